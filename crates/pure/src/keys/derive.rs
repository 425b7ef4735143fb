//! One-off derivation at an arbitrary path, for `switchyard keys derive`:
//! nothing is stored, and only public material leaves this function.

use super::account::{master_key, secp, Purpose};
use super::mnemonic::{parse_mnemonic, seed_from, MnemonicError};
use super::path::{check_standard, format_path, parse_path, PathError};
use crate::network::Network;
use bitcoin::bip32::Xpub;
use bitcoin::CompressedPublicKey;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Why a derivation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeriveError {
    /// The words.
    #[error(transparent)]
    Mnemonic(#[from] MnemonicError),
    /// The path.
    #[error(transparent)]
    Path(#[from] PathError),
}

/// Options of [`derive_at_path`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DeriveOptions {
    /// Skip the BIP44/49/84/86 layout check (hardened levels, coin type).
    pub allow_nonstandard: bool,
}

/// The public result of a derivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DerivedKey {
    /// The path, normalised (`'` for hardened).
    pub path: String,
    /// The network the address and xpub are encoded for.
    pub network: Network,
    /// The master key fingerprint (8 hex digits).
    pub fingerprint: String,
    /// The address of the key at the path, in the script type of its purpose
    /// (P2WPKH when the path follows no standard purpose).
    pub address: String,
    /// Which script type `address` uses.
    pub script_type: String,
    /// The compressed public key, hex.
    pub public_key: String,
    /// The extended public key at the path.
    pub xpub: String,
}

/// Derives the key at `path` from the words and passphrase.
pub fn derive_at_path(
    words: &SecretString,
    passphrase: &SecretString,
    path: &str,
    network: Network,
    opts: DeriveOptions,
) -> Result<DerivedKey, DeriveError> {
    let mnemonic = parse_mnemonic(words)?;
    let path = parse_path(path)?;
    let purpose = if opts.allow_nonstandard {
        path.into_iter()
            .next()
            .and_then(|c| Purpose::from_number(u32::from(*c) & 0x7fff_ffff))
    } else {
        check_standard(&path, network)?.and_then(Purpose::from_number)
    };
    let seed = seed_from(&mnemonic, passphrase);
    let mut master = master_key(&seed, network);
    let mut xpriv = master
        .derive_priv(secp(), &path)
        .unwrap_or_else(|e| unreachable!("derivation along a parsed path: {e}"));
    let xpub = Xpub::from_priv(secp(), &xpriv);
    let fingerprint = master.fingerprint(secp()).to_string();
    super::account::erase_xpriv(&mut xpriv);
    super::account::erase_xpriv(&mut master);
    let pk = CompressedPublicKey(xpub.public_key);
    let purpose_or_default = purpose.unwrap_or(Purpose::Bip84);
    Ok(DerivedKey {
        path: format_path(&path),
        network,
        fingerprint,
        address: purpose_or_default.address_for(pk, network).to_string(),
        script_type: purpose_or_default.label().to_string(),
        public_key: pk.to_string(),
        xpub: xpub.to_string(),
    })
}
