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

/// A known version: (bytes, private?, mainnet?, SLIP-132 purpose).
const VERSIONS: [([u8; 4], bool, bool, Option<Purpose>); 12] = [
    ([0x04, 0x88, 0xb2, 0x1e], false, true, None),
    ([0x04, 0x9d, 0x7c, 0xb2], false, true, Some(Purpose::Bip49)),
    ([0x04, 0xb2, 0x47, 0x46], false, true, Some(Purpose::Bip84)),
    ([0x04, 0x35, 0x87, 0xcf], false, false, None),
    ([0x04, 0x4a, 0x52, 0x62], false, false, Some(Purpose::Bip49)),
    ([0x04, 0x5f, 0x1c, 0x35], false, false, Some(Purpose::Bip84)),
    ([0x04, 0x88, 0xad, 0xe4], true, true, None),
    ([0x04, 0x9d, 0x78, 0x78], true, true, Some(Purpose::Bip49)),
    ([0x04, 0xb2, 0x43, 0x0c], true, true, Some(Purpose::Bip84)),
    ([0x04, 0x35, 0x83, 0x94], true, false, None),
    ([0x04, 0x4a, 0x4e, 0x28], true, false, Some(Purpose::Bip49)),
    ([0x04, 0x5f, 0x18, 0xbc], true, false, Some(Purpose::Bip84)),
];

/// An extended public key with what its encoding said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedXpub {
    /// The key, re-encoded with standard version bytes.
    pub xpub: Xpub,
    /// The script type a SLIP-132 version implies (ypub → BIP49, zpub → BIP84).
    pub implied_purpose: Option<Purpose>,
}

struct Checked {
    data: [u8; 78],
    private: bool,
    mainnet: bool,
    purpose: Option<Purpose>,
}

fn check(s: &str) -> Result<Checked, XkeyError> {
    let bytes = bitcoin::base58::decode_check(s.trim()).map_err(|e| XkeyError::Encoding {
        reason: e.to_string(),
    })?;
    let data: [u8; 78] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| XkeyError::Length { len: bytes.len() })?;
    let (_, private, mainnet, purpose) = VERSIONS
        .iter()
        .copied()
        .find(|(v, ..)| *v == data[..4])
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
    c.data[..4].copy_from_slice(if c.mainnet {
        &[0x04, 0x88, 0xb2, 0x1e]
    } else {
        &[0x04, 0x35, 0x87, 0xcf]
    });
    let xpub = Xpub::decode(&c.data).map_err(|e| XkeyError::Encoding {
        reason: e.to_string(),
    })?;
    Ok(ImportedXpub {
        xpub,
        implied_purpose: c.purpose,
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
    c.data[..4].copy_from_slice(if c.mainnet {
        &[0x04, 0x88, 0xad, 0xe4]
    } else {
        &[0x04, 0x35, 0x83, 0x94]
    });
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
