//! BIP32 derivation paths: our own parser, so that every syntax mistake gets
//! its own message, and a check of the BIP44/49/84/86 layout
//! `m / purpose' / coin_type' / account' / change / address_index`.

use crate::network::Network;
use bitcoin::bip32::{ChildNumber, DerivationPath};

/// The first index of the hardened range (2^31).
const HARDENED: u32 = 1 << 31;

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Nothing was given.
    #[error("The derivation path is empty. A path looks like m/84'/0'/0'/0/0.")]
    Empty,
    /// It does not start at the master key.
    #[error("A derivation path starts with m/ (the master key), for example m/84'/0'/0'/0/0.")]
    MissingRoot,
    /// Two slashes in a row, or a slash at the end.
    #[error("Level {level} of the path is empty: remove the extra '/'.")]
    EmptyLevel {
        /// 1-based level.
        level: usize,
    },
    /// A level that is not a number (with an optional ' or h).
    #[error("Level {level} of the path, '{text}', is not a number. Each level is a number, followed by ' (or h) when hardened.")]
    NotANumber {
        /// 1-based level.
        level: usize,
        /// What was written there.
        text: String,
    },
    /// An index at or above 2^31 (use the hardened mark instead).
    #[error("Level {level} of the path, {value}, is too large: indexes go up to 2147483647; write a hardened index as 5' rather than 2147483653.")]
    IndexTooLarge {
        /// 1-based level.
        level: usize,
        /// The number written.
        value: u64,
    },
    /// More than 255 levels (BIP32 stores the depth in one byte).
    #[error("The path has {depth} levels; BIP32 allows at most 255.")]
    TooDeep {
        /// How many levels.
        depth: usize,
    },
    /// A level that the standard requires hardened was not.
    #[error("Level {level} ({name}) must be hardened in a BIP{purpose} path: write {index}' instead of {index}.")]
    MustBeHardened {
        /// 1-based level.
        level: usize,
        /// purpose, coin type or account.
        name: &'static str,
        /// 44, 49, 84 or 86.
        purpose: u32,
        /// The index written.
        index: u32,
    },
    /// A level that the standard requires unhardened was hardened.
    #[error("Level {level} ({name}) must not be hardened in a BIP{purpose} path: write {index} instead of {index}'.")]
    MustNotBeHardened {
        /// 1-based level.
        level: usize,
        /// change or address index.
        name: &'static str,
        /// 44, 49, 84 or 86.
        purpose: u32,
        /// The index written, without the hardened bit.
        index: u32,
    },
    /// The coin type does not match the network.
    #[error("Coin type {found}' is for {found_for}, but the network is {network}: use {expected}' (or pass --allow-nonstandard).")]
    WrongCoinType {
        /// What the path says.
        found: u32,
        /// What the network uses.
        expected: u32,
        /// The network.
        network: Network,
        /// Which networks `found` belongs to.
        found_for: &'static str,
    },
    /// The change level is neither 0 (receive) nor 1 (change).
    #[error("The change level of a BIP{purpose} path is 0 (receive) or 1 (change), not {found}.")]
    BadChangeLevel {
        /// 44, 49, 84 or 86.
        purpose: u32,
        /// What the path says.
        found: u32,
    },
    /// Deeper than address_index.
    #[error("A BIP{purpose} path has at most 5 levels (m/purpose'/coin'/account'/change/index); this one has {depth}.")]
    TooDeepForPurpose {
        /// 44, 49, 84 or 86.
        purpose: u32,
        /// How many levels.
        depth: usize,
    },
}

/// Parses `m/84'/0'/0'/0/0` (hardened as `'`, `h` or `H`).
pub fn parse_path(input: &str) -> Result<DerivationPath, PathError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(PathError::Empty);
    }
    let mut parts = s.split('/');
    match parts.next() {
        Some("m") | Some("M") => {}
        _ => return Err(PathError::MissingRoot),
    }
    if s == "m" || s == "M" {
        return Ok(DerivationPath::master());
    }
    let mut children = Vec::new();
    for (i, part) in parts.enumerate() {
        let level = i + 1;
        if part.is_empty() {
            return Err(PathError::EmptyLevel { level });
        }
        let (digits, hardened) = match part.strip_suffix(['\'', 'h', 'H']) {
            Some(d) => (d, true),
            None => (part, false),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PathError::NotANumber {
                level,
                text: part.to_string(),
            });
        }
        let value: u64 = digits.parse().map_err(|_| PathError::IndexTooLarge {
            level,
            value: u64::MAX,
        })?;
        let index = u32::try_from(value)
            .ok()
            .filter(|v| *v < HARDENED)
            .ok_or(PathError::IndexTooLarge { level, value })?;
        children.push(if hardened {
            ChildNumber::Hardened { index }
        } else {
            ChildNumber::Normal { index }
        });
    }
    if children.len() > 255 {
        return Err(PathError::TooDeep {
            depth: children.len(),
        });
    }
    Ok(DerivationPath::from(children))
}

/// The standard purposes whose layout [`check_standard`] knows.
pub const STANDARD_PURPOSES: [u32; 4] = [44, 49, 84, 86];

/// Checks a path against the BIP44 layout when its first level is a standard
/// purpose (44, 49, 84, 86), hardened or not. Returns the purpose it follows,
/// or `None` for a path outside those standards (left as it is).
pub fn check_standard(path: &DerivationPath, network: Network) -> Result<Option<u32>, PathError> {
    let levels: Vec<ChildNumber> = path.into_iter().copied().collect();
    let Some(first) = levels.first() else {
        return Ok(None);
    };
    let (purpose, _) = split(*first);
    if !STANDARD_PURPOSES.contains(&purpose) {
        return Ok(None);
    }
    if levels.len() > 5 {
        return Err(PathError::TooDeepForPurpose {
            purpose,
            depth: levels.len(),
        });
    }
    const NAMES: [&str; 5] = ["purpose", "coin type", "account", "change", "address index"];
    for (i, child) in levels.iter().enumerate() {
        let (index, hardened) = split(*child);
        let level = i + 1;
        if i < 3 && !hardened {
            return Err(PathError::MustBeHardened {
                level,
                name: NAMES[i],
                purpose,
                index,
            });
        }
        if i >= 3 && hardened {
            return Err(PathError::MustNotBeHardened {
                level,
                name: NAMES[i],
                purpose,
                index,
            });
        }
        if i == 1 && index != network.coin_type() {
            return Err(PathError::WrongCoinType {
                found: index,
                expected: network.coin_type(),
                network,
                found_for: match index {
                    0 => "mainnet",
                    1 => "test networks (testnet, signet, regtest)",
                    _ => "another coin",
                },
            });
        }
        if i == 3 && index > 1 {
            return Err(PathError::BadChangeLevel {
                purpose,
                found: index,
            });
        }
    }
    Ok(Some(purpose))
}

fn split(c: ChildNumber) -> (u32, bool) {
    match c {
        ChildNumber::Normal { index } => (index, false),
        ChildNumber::Hardened { index } => (index, true),
    }
}

/// Formats a path the way users read it: `m/84'/0'/0'/0/0`.
pub fn format_path(path: &DerivationPath) -> String {
    let mut s = String::from("m");
    for c in path {
        let (index, hardened) = split(*c);
        s.push('/');
        s.push_str(&index.to_string());
        if hardened {
            s.push('\'');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_hardened_marks() {
        for p in ["m/84'/0'/0'/0/5", "m/84h/0h/0h/0/5", "m/84H/0H/0H/0/5"] {
            assert_eq!(format_path(&parse_path(p).unwrap()), "m/84'/0'/0'/0/5");
        }
        assert_eq!(parse_path("m").unwrap(), DerivationPath::master());
    }

    #[test]
    fn each_syntax_mistake_has_its_own_error() {
        assert_eq!(parse_path(""), Err(PathError::Empty));
        assert_eq!(parse_path("84'/0'"), Err(PathError::MissingRoot));
        assert_eq!(parse_path("m//0"), Err(PathError::EmptyLevel { level: 1 }));
        assert_eq!(parse_path("m/0/"), Err(PathError::EmptyLevel { level: 2 }));
        assert!(matches!(
            parse_path("m/x'"),
            Err(PathError::NotANumber { level: 1, .. })
        ));
        assert!(matches!(
            parse_path("m/1''"),
            Err(PathError::NotANumber { level: 1, .. })
        ));
        assert!(matches!(
            parse_path("m/-1"),
            Err(PathError::NotANumber { level: 1, .. })
        ));
        assert_eq!(
            parse_path("m/2147483648"),
            Err(PathError::IndexTooLarge {
                level: 1,
                value: 2147483648
            })
        );
        let deep = format!("m{}", "/0".repeat(256));
        assert_eq!(parse_path(&deep), Err(PathError::TooDeep { depth: 256 }));
    }

    #[test]
    fn standard_layout_mixups_are_named() {
        let check = |p: &str, n| check_standard(&parse_path(p).unwrap(), n);
        assert_eq!(check("m/84'/0'/0'/0/0", Network::Bitcoin), Ok(Some(84)));
        assert_eq!(check("m/86'/1'/0'", Network::Regtest), Ok(Some(86)));
        assert_eq!(check("m/0/1", Network::Bitcoin), Ok(None));
        assert!(matches!(
            check("m/84/0'/0'/0/0", Network::Bitcoin),
            Err(PathError::MustBeHardened {
                level: 1,
                name: "purpose",
                ..
            })
        ));
        assert!(matches!(
            check("m/84'/0'/0/0/0", Network::Bitcoin),
            Err(PathError::MustBeHardened {
                level: 3,
                name: "account",
                ..
            })
        ));
        assert!(matches!(
            check("m/84'/0'/0'/0'/0", Network::Bitcoin),
            Err(PathError::MustNotBeHardened {
                level: 4,
                name: "change",
                ..
            })
        ));
        assert!(matches!(
            check("m/84'/0'/0'/0/0'", Network::Bitcoin),
            Err(PathError::MustNotBeHardened { level: 5, .. })
        ));
        assert!(matches!(
            check("m/84'/0'/0'/0/0", Network::Regtest),
            Err(PathError::WrongCoinType {
                found: 0,
                expected: 1,
                ..
            })
        ));
        assert!(matches!(
            check("m/49'/0'/0'/2/0", Network::Bitcoin),
            Err(PathError::BadChangeLevel { found: 2, .. })
        ));
        assert!(matches!(
            check("m/44'/0'/0'/0/0/0", Network::Bitcoin),
            Err(PathError::TooDeepForPurpose { depth: 6, .. })
        ));
    }

    #[test]
    fn messages_tell_what_to_write() {
        let e = check_standard(&parse_path("m/84/0'/0'").unwrap(), Network::Bitcoin).unwrap_err();
        assert!(e.to_string().contains("write 84'"), "{e}");
    }
}
