//! Strict parsing of serialized extended keys (xpub/ypub/zpub/tpub/upub/vpub
//! and their private forms), for importing keys a user pastes.
//!
//! Why our own checks: `bitcoin` 0.32's `Xpub`/`Xpriv` `FromStr` accept 7 of
//! the 16 invalid keys of BIP32 test vector 5 (they do not check the key-type
//! byte, nor that a depth-0 key has no parent fingerprint or child index). We
//! validate the 78-byte payload per BIP32 "Serialization format" first, then
//! hand it to `bitcoin` with the standard version bytes.

use super::account::Purpose;
use crate::network::Network;
use bitcoin::bip32::{Xpriv, Xpub};
use bitcoin::secp256k1::{PublicKey, SecretKey};

/// Why an extended key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XkeyError {
    /// Not base58, or the checksum does not match (a typo).
    #[error("This extended key is mistyped: {reason}.")]
    Encoding {
        /// What the decoder said.
        reason: String,
    },
    /// Not 78 bytes.
    #[error("An extended key encodes 78 bytes; this one encodes {len}.")]
    Length {
        /// Bytes decoded.
        len: usize,
    },
    /// Version bytes we do not know.
    #[error("Unknown extended key version {version}: expected an xpub, ypub, zpub, tpub, upub or vpub (or their private forms).")]
    UnknownVersion {
        /// The four version bytes, hex.
        version: String,
    },
    /// A public key where a private one was expected, or the reverse.
    #[error("This is an extended {found} key, but an extended {expected} key is needed here.")]
    WrongKind {
        /// What was expected.
        expected: &'static str,
        /// What was given.
        found: &'static str,
    },
    /// Depth 0 (a master key) must have a zero parent fingerprint and index.
    #[error("This extended key claims to be a master key (depth 0) but has a parent {what}; it is damaged or forged.")]
    ZeroDepth {
        /// "fingerprint" or "child index".
        what: &'static str,
    },
    /// The key data does not fit the version (02/03 for public, 00 for private).
    #[error("The key data of this extended {kind} key starts with byte {prefix:02x}, which is not valid for a {kind} key.")]
    KeyPrefix {
        /// public or private.
        kind: &'static str,
        /// The first key byte.
        prefix: u8,
    },
    /// The key bytes are not a valid secp256k1 key.
    #[error("The key in this extended {kind} key is not a valid secp256k1 {kind} key.")]
    InvalidKey {
        /// public or private.
        kind: &'static str,
    },
    /// The key is for another network.
    #[error("This extended key is for {found}, but the wallet is on {expected}.")]
    WrongNetwork {
        /// The wallet's network.
        expected: Network,
        /// "mainnet" or "a test network".
        found: &'static str,
    },
}

/// One registered extended key version (SLIP-0132, "Registered HD version bytes").
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyVersion {
    /// The four version bytes.
    pub bytes: [u8; 4],
    /// A private key.
    pub private: bool,
    /// Mainnet (else any test network).
    pub mainnet: bool,
    /// The script type a SLIP-132 version implies.
    pub purpose: Option<Purpose>,
    /// What the base58 encoding starts with.
    pub prefix: &'static str,
}

const fn kv(
    bytes: u32,
    private: bool,
    mainnet: bool,
    purpose: Option<Purpose>,
    prefix: &'static str,
) -> KeyVersion {
    KeyVersion {
        bytes: bytes.to_be_bytes(),
        private,
        mainnet,
        purpose,
        prefix,
    }
}

/// Every extended key version we read or write: the one table of version
/// bytes in the code base.
#[rustfmt::skip]
pub(crate) const VERSIONS: [KeyVersion; 12] = [
    kv(0x0488_b21e, false, true, None, "xpub"),
    kv(0x049d_7cb2, false, true, Some(Purpose::Bip49), "ypub"),
    kv(0x04b2_4746, false, true, Some(Purpose::Bip84), "zpub"),
    kv(0x0435_87cf, false, false, None, "tpub"),
    kv(0x044a_5262, false, false, Some(Purpose::Bip49), "upub"),
    kv(0x045f_1cf6, false, false, Some(Purpose::Bip84), "vpub"),
    kv(0x0488_ade4, true, true, None, "xprv"),
    kv(0x049d_7878, true, true, Some(Purpose::Bip49), "yprv"),
    kv(0x04b2_430c, true, true, Some(Purpose::Bip84), "zprv"),
    kv(0x0435_8394, true, false, None, "tprv"),
    kv(0x044a_4e28, true, false, Some(Purpose::Bip49), "uprv"),
    kv(0x045f_18bc, true, false, Some(Purpose::Bip84), "vprv"),
];

/// The version bytes for a key of this kind, network and SLIP-132 purpose
/// (`None` for plain xpub/tpub/xprv/tprv).
pub(crate) fn version_bytes(private: bool, network: Network, purpose: Option<Purpose>) -> [u8; 4] {
    let mainnet = network == Network::Bitcoin;
    VERSIONS
        .iter()
        .find(|k| k.private == private && k.mainnet == mainnet && k.purpose == purpose)
        .map(|k| k.bytes)
        .unwrap_or_else(|| {
            unreachable!("every (kind, network, purpose) combination is in the table")
        })
}

/// An extended public key with what its encoding said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedXpub {
    /// The key, re-encoded with standard version bytes.
    pub xpub: Xpub,
    /// The script type a SLIP-132 version implies (ypub → BIP49, zpub → BIP84).
    pub implied_purpose: Option<Purpose>,
    /// The encoding it came in: "xpub", "zpub", "vpub", …
    pub encoding: &'static str,
}

struct Checked {
    data: [u8; 78],
    private: bool,
    mainnet: bool,
    purpose: Option<Purpose>,
    prefix: &'static str,
}

fn check(s: &str) -> Result<Checked, XkeyError> {
    let bytes = bitcoin::base58::decode_check(s.trim()).map_err(|e| XkeyError::Encoding {
        reason: e.to_string(),
    })?;
    let data: [u8; 78] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| XkeyError::Length { len: bytes.len() })?;
    let KeyVersion {
        private,
        mainnet,
        purpose,
        prefix,
        ..
    } = VERSIONS
        .iter()
        .copied()
        .find(|k| k.bytes == data[..4])
        .ok_or_else(|| XkeyError::UnknownVersion {
            version: data[..4].iter().map(|b| format!("{b:02x}")).collect(),
        })?;
    if data[4] == 0 {
        if data[5..9] != [0; 4] {
            return Err(XkeyError::ZeroDepth {
                what: "fingerprint",
            });
        }
        if data[9..13] != [0; 4] {
            return Err(XkeyError::ZeroDepth {
                what: "child index",
            });
        }
    }
    let key = &data[45..78];
    if private {
        if key[0] != 0 {
            return Err(XkeyError::KeyPrefix {
                kind: "private",
                prefix: key[0],
            });
        }
        SecretKey::from_slice(&key[1..]).map_err(|_| XkeyError::InvalidKey { kind: "private" })?;
    } else {
        if key[0] != 2 && key[0] != 3 {
            return Err(XkeyError::KeyPrefix {
                kind: "public",
                prefix: key[0],
            });
        }
        PublicKey::from_slice(key).map_err(|_| XkeyError::InvalidKey { kind: "public" })?;
    }
    Ok(Checked {
        data,
        private,
        mainnet,
        purpose,
        prefix,
    })
}

fn network_matches(mainnet: bool, network: Option<Network>) -> Result<(), XkeyError> {
    match network {
        Some(n) if (n == Network::Bitcoin) != mainnet => Err(XkeyError::WrongNetwork {
            expected: n,
            found: if mainnet { "mainnet" } else { "a test network" },
        }),
        _ => Ok(()),
    }
}

/// Parses an extended public key in any of its common encodings, checking
/// every BIP32 serialization rule, and (when given) the network.
pub fn parse_xpub(s: &str, network: Option<Network>) -> Result<ImportedXpub, XkeyError> {
    let mut c = check(s)?;
    if c.private {
        return Err(XkeyError::WrongKind {
            expected: "public",
            found: "private",
        });
    }
    network_matches(c.mainnet, network)?;
    let plain = if c.mainnet {
        Network::Bitcoin
    } else {
        Network::Testnet
    };
    c.data[..4].copy_from_slice(&version_bytes(false, plain, None));
    let xpub = Xpub::decode(&c.data).map_err(|e| XkeyError::Encoding {
        reason: e.to_string(),
    })?;
    Ok(ImportedXpub {
        xpub,
        implied_purpose: c.purpose,
        encoding: c.prefix,
    })
}

/// Parses an extended private key, checking every BIP32 serialization rule.
pub fn parse_xpriv(s: &str, network: Option<Network>) -> Result<Xpriv, XkeyError> {
    let mut c = check(s)?;
    if !c.private {
        return Err(XkeyError::WrongKind {
            expected: "private",
            found: "public",
        });
    }
    network_matches(c.mainnet, network)?;
    let plain = if c.mainnet {
        Network::Bitcoin
    } else {
        Network::Testnet
    };
    c.data[..4].copy_from_slice(&version_bytes(true, plain, None));
    Xpriv::decode(&c.data).map_err(|e| XkeyError::Encoding {
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZPUB: &str = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";

    #[test]
    fn slip132_keys_import_with_their_purpose() {
        let k = parse_xpub(ZPUB, Some(Network::Bitcoin)).unwrap();
        assert_eq!(k.implied_purpose, Some(Purpose::Bip84));
        assert!(k.xpub.to_string().starts_with("xpub"));
        assert!(matches!(
            parse_xpub(ZPUB, Some(Network::Regtest)),
            Err(XkeyError::WrongNetwork {
                found: "mainnet",
                ..
            })
        ));
    }

    #[test]
    fn every_version_encodes_to_its_prefix_and_round_trips() {
        use crate::keys::account::{master_key, AccountKey};
        let master = master_key(&[7u8; 64], Network::Bitcoin);
        let test_master = master_key(&[7u8; 64], Network::Regtest);
        for KeyVersion {
            bytes: version,
            private,
            mainnet,
            purpose,
            prefix,
        } in VERSIONS
        {
            let (m, net) = if mainnet {
                (&master, Network::Bitcoin)
            } else {
                (&test_master, Network::Regtest)
            };
            let mut data = if private {
                m.encode()
            } else {
                bitcoin::bip32::Xpub::from_priv(crate::keys::account::secp(), m).encode()
            };
            data[..4].copy_from_slice(&version);
            let text = bitcoin::base58::encode_check(&data);
            assert!(text.starts_with(prefix), "{prefix}: {text}");
            if private {
                assert_eq!(parse_xpriv(&text, Some(net)).unwrap(), *m);
            } else {
                let k = parse_xpub(&text, Some(net)).unwrap();
                assert_eq!(k.implied_purpose, purpose);
                assert_eq!(k.encoding, prefix);
            }
        }
        // The account view's SLIP-132 forms use the same table.
        for net in [Network::Bitcoin, Network::Regtest] {
            let m = master_key(&[9u8; 64], net);
            for p in Purpose::ALL {
                let slip = AccountKey::derive(&m, p, net, 0).slip132(net);
                let want = match (p, net) {
                    (Purpose::Bip49, Network::Bitcoin) => Some("ypub"),
                    (Purpose::Bip84, Network::Bitcoin) => Some("zpub"),
                    (Purpose::Bip49, _) => Some("upub"),
                    (Purpose::Bip84, _) => Some("vpub"),
                    _ => None,
                };
                assert_eq!(slip.as_deref().map(|s| &s[..4]), want, "{p:?} {net}");
            }
        }
    }

    #[test]
    fn typos_and_kinds_are_named() {
        let mut typo = ZPUB.to_string();
        typo.replace_range(10..11, "z");
        assert!(matches!(
            parse_xpub(&typo, None),
            Err(XkeyError::Encoding { .. })
        ));
        assert!(matches!(
            parse_xpriv(ZPUB, None),
            Err(XkeyError::WrongKind {
                expected: "private",
                ..
            })
        ));
    }
}
