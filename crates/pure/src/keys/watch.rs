//! A watch-only account from what a user pastes: an extended public key
//! (xpub/ypub/zpub/tpub/upub/vpub, with the master fingerprint and the
//! account path), or an output descriptor with its key origin, e.g.
//! `wpkh([f5acc2fd/84'/1'/0']tpub…/<0;1>/*)`. Single-key accounts (BIP44,
//! 49, 84, 86); multisig and miniscript policies are refused by name.
//!
//! A private key is refused without being echoed back in the error.

use super::account::Purpose;
use super::path::{check_standard, format_path, parse_path, PathError};
use super::xkey::{parse_xpub, XkeyError};
use crate::network::Network;
use bitcoin::bip32::{ChildNumber, DerivationPath, Fingerprint, Xpub};
use miniscript::descriptor::{DescriptorPublicKey, ShInner, Wildcard};
use miniscript::Descriptor;
use std::str::FromStr;

/// One account to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchAccount {
    /// Its script type.
    pub purpose: Purpose,
    /// The master key's fingerprint (as the device shows it).
    pub fingerprint: Fingerprint,
    /// The account's path, e.g. `m/84'/1'/0'`.
    pub path: DerivationPath,
    /// The account's extended public key (standard version bytes).
    pub xpub: Xpub,
}

/// Why a watch-only account was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    /// A private key was pasted.
    #[error("This is a private key. A watch-only wallet needs the public key only (xpub, zpub, tpub, vpub… or a descriptor with one): nothing was saved; keep the private key secret.")]
    Private,
    /// The extended key itself.
    #[error(transparent)]
    Xkey(#[from] XkeyError),
    /// A path that does not parse or does not follow its purpose.
    #[error(transparent)]
    Path(#[from] PathError),
    /// A descriptor that does not parse.
    #[error("This descriptor could not be read: {0}")]
    Descriptor(String),
    /// A descriptor kind we do not watch yet.
    #[error("Only single-key accounts (wpkh, sh(wpkh), tr with a key only, pkh) can be watched; this is {0}.")]
    Unsupported(String),
    /// A descriptor key without its origin.
    #[error("The descriptor's key has no origin ([fingerprint/path] before the key): a hardware wallet needs both to sign. Export the descriptor again with its key origin.")]
    NoOrigin,
    /// A descriptor key not at an account (not xpub/0/* or xpub/<0;1>/*).
    #[error("The descriptor's key must be an account key followed by /0/*, /1/* or /<0;1>/*.")]
    NotAccount,
    /// No fingerprint for a bare extended key.
    #[error("Give the master key fingerprint (8 hex digits): your hardware wallet or the wallet that exported the key shows it.")]
    MissingFingerprint,
    /// A fingerprint that is not 8 hex digits.
    #[error("“{0}” is not a master key fingerprint: it has 8 hex digits, like f5acc2fd.")]
    BadFingerprint(String),
    /// The key's depth is not the path's length.
    #[error("The extended key is at depth {depth}, but the path {path} has {levels} levels: check the path.")]
    DepthMismatch {
        /// The key's depth.
        depth: u8,
        /// The path.
        path: String,
        /// Its levels.
        levels: usize,
    },
    /// A SLIP-132 version for another script type than the path's.
    #[error("A {encoding} is a BIP{implied} key, but the path {path} is for BIP{purpose}.")]
    PurposeMismatch {
        /// "zpub", "ypub", …
        encoding: &'static str,
        /// What the version implies.
        implied: u32,
        /// What the path says.
        purpose: u32,
        /// The path.
        path: String,
    },
    /// The path is not a BIP44/49/84/86 account path.
    #[error("The path {0} is not a BIP44, 49, 84 or 86 account (m/purpose'/coin'/account').")]
    NotStandard(String),
}

fn looks_private(input: &str) -> bool {
    ["xprv", "yprv", "zprv", "tprv", "uprv", "vprv"]
        .iter()
        .any(|p| input.contains(p))
}

/// Reads a watch-only account for `network`. `fingerprint` and `path` are
/// for a bare extended key (a descriptor carries its own); a bare key
/// without a path is taken as its SLIP-132 version's purpose (BIP84 for
/// xpub/tpub), account 0.
pub fn parse_watch(
    input: &str,
    network: Network,
    fingerprint: Option<&str>,
    path: Option<&str>,
) -> Result<WatchAccount, WatchError> {
    let input = input.trim();
    if looks_private(input) {
        return Err(WatchError::Private);
    }
    if input.contains('(') {
        return parse_descriptor(input, network);
    }
    let imported = parse_xpub(input, Some(network))?;
    let fingerprint = match fingerprint.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => Fingerprint::from_str(f).map_err(|_| WatchError::BadFingerprint(f.into()))?,
        None => return Err(WatchError::MissingFingerprint),
    };
    let path = match path.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => parse_path(p)?,
        None => imported
            .implied_purpose
            .unwrap_or(Purpose::Bip84)
            .account_path(network, 0),
    };
    let purpose = account_purpose(&path, network)?;
    if let Some(implied) = imported.implied_purpose {
        if implied != purpose {
            return Err(WatchError::PurposeMismatch {
                encoding: imported.encoding,
                implied: implied.number(),
                purpose: purpose.number(),
                path: format_path(&path),
            });
        }
    }
    check_depth(&imported.xpub, &path)?;
    Ok(WatchAccount {
        purpose,
        fingerprint,
        path,
        xpub: imported.xpub,
    })
}

fn account_purpose(path: &DerivationPath, network: Network) -> Result<Purpose, WatchError> {
    let purpose = check_standard(path, network)?
        .and_then(Purpose::from_number)
        .filter(|_| path.len() == 3)
        .ok_or_else(|| WatchError::NotStandard(format_path(path)))?;
    Ok(purpose)
}

fn check_depth(xpub: &Xpub, path: &DerivationPath) -> Result<(), WatchError> {
    if usize::from(xpub.depth) != path.len() {
        return Err(WatchError::DepthMismatch {
            depth: xpub.depth,
            path: format_path(path),
            levels: path.len(),
        });
    }
    Ok(())
}

fn parse_descriptor(input: &str, network: Network) -> Result<WatchAccount, WatchError> {
    let d = Descriptor::<DescriptorPublicKey>::from_str(input)
        .map_err(|e| WatchError::Descriptor(e.to_string()))?;
    let (purpose, key) = match &d {
        Descriptor::Wpkh(w) => (Purpose::Bip84, w.as_inner().clone()),
        Descriptor::Pkh(p) => (Purpose::Bip44, p.as_inner().clone()),
        Descriptor::Sh(sh) => match sh.as_inner() {
            ShInner::Wpkh(w) => (Purpose::Bip49, w.as_inner().clone()),
            _ => return Err(WatchError::Unsupported("a script inside sh()".into())),
        },
        Descriptor::Tr(tr) if tr.tap_tree().is_none() => {
            (Purpose::Bip86, tr.internal_key().clone())
        }
        Descriptor::Tr(_) => return Err(WatchError::Unsupported("a taproot tree".into())),
        Descriptor::Wsh(_) => {
            return Err(WatchError::Unsupported(
                "wsh() (multisig or miniscript)".into(),
            ))
        }
        Descriptor::Bare(_) => return Err(WatchError::Unsupported("a bare script".into())),
    };
    let (xkey, origin, after, wildcard) = match key {
        DescriptorPublicKey::XPub(x) => (x.xkey, x.origin, vec![x.derivation_path], x.wildcard),
        DescriptorPublicKey::MultiXPub(x) => (
            x.xkey,
            x.origin,
            x.derivation_paths.into_paths(),
            x.wildcard,
        ),
        DescriptorPublicKey::Single(_) => {
            return Err(WatchError::Unsupported(
                "a single key, not an account".into(),
            ))
        }
    };
    let (fingerprint, path) = origin.ok_or(WatchError::NoOrigin)?;
    let chains_ok = wildcard == Wildcard::Unhardened
        && after.iter().all(|p| {
            matches!(
                p.into_iter().copied().collect::<Vec<_>>().as_slice(),
                [ChildNumber::Normal { index: 0 | 1 }]
            )
        });
    if !chains_ok {
        return Err(WatchError::NotAccount);
    }
    if (network == Network::Bitcoin) != (xkey.network == bitcoin::NetworkKind::Main) {
        return Err(WatchError::Xkey(XkeyError::WrongNetwork {
            expected: network,
            found: if xkey.network == bitcoin::NetworkKind::Main {
                "mainnet"
            } else {
                "a test network"
            },
        }));
    }
    let path_purpose = account_purpose(&path, network)?;
    if path_purpose != purpose {
        return Err(WatchError::Unsupported(format!(
            "a BIP{} script with a BIP{} path",
            purpose.number(),
            path_purpose.number()
        )));
    }
    check_depth(&xkey, &path)?;
    Ok(WatchAccount {
        purpose,
        fingerprint,
        path,
        xpub: xkey,
    })
}
