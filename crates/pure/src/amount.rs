//! Amounts: [`Sat`] and [`Msat`] keep the unit in the type (a sats field
//! cannot be passed where msat are meant, over IPC as much as in the core),
//! with checked arithmetic only (no `+`/`-` that could wrap or panic) and
//! the conversion between them refusing anything above the 21 million
//! bitcoin that can ever exist. Over IPC both are plain JSON numbers; the
//! UI's bindings name them `Sat` and `Msat`. Neither implements `Display`:
//! a sentence says which number it shows (`to_sat()`, `to_msat()`).
//!
//! The router keeps raw `u64` msat inside its hot loops (with its own
//! checked sums); amounts enter and leave it as [`Msat`] through the plan.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Every bitcoin there will ever be, in sats.
pub const MAX_MONEY_SAT: u64 = 21_000_000 * 100_000_000;

/// An amount no wallet can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// More than 21 million bitcoin.
    #[error("{sat} sats is more bitcoin than will ever exist (21,000,000 BTC = 2,100,000,000,000,000 sats). Check the amount.")]
    TooLarge {
        /// What was given.
        sat: u64,
    },
}

/// `sat` in msat, refusing amounts above [`MAX_MONEY_SAT`] (so the result,
/// at most 2.1·10¹⁸, leaves room for fees in a `u64`).
fn sat_to_msat(sat: u64) -> Result<u64, AmountError> {
    if sat > MAX_MONEY_SAT {
        return Err(AmountError::TooLarge { sat });
    }
    sat.checked_mul(1000).ok_or(AmountError::TooLarge { sat })
}

/// Checks an amount in msat the same way.
fn check_msat(msat: u64) -> Result<u64, AmountError> {
    if msat / 1000 > MAX_MONEY_SAT {
        return Err(AmountError::TooLarge { sat: msat / 1000 });
    }
    Ok(msat)
}

/// An amount in satoshis.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS,
)]
#[ts(export)]
pub struct Sat(#[ts(type = "number")] u64);

/// An amount in millisatoshis (Lightning's unit).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS,
)]
#[ts(export)]
pub struct Msat(#[ts(type = "number")] u64);

impl Sat {
    /// `sat` sats.
    pub const fn from_sat(sat: u64) -> Sat {
        Sat(sat)
    }

    /// The number of sats.
    pub const fn to_sat(self) -> u64 {
        self.0
    }

    /// In msat; refused above [`MAX_MONEY_SAT`] (so the result leaves room
    /// for fees in a `u64`).
    pub fn to_msat(self) -> Result<Msat, AmountError> {
        sat_to_msat(self.0).map(Msat)
    }
}

impl Msat {
    /// `msat` millisatoshis.
    pub const fn from_msat(msat: u64) -> Msat {
        Msat(msat)
    }

    /// The number of msat.
    pub const fn to_msat(self) -> u64 {
        self.0
    }

    /// This amount, if it is no more than every bitcoin there will ever be.
    pub fn checked(self) -> Result<Msat, AmountError> {
        check_msat(self.0).map(Msat)
    }

    /// Whole sats, rounded up (a limit that must cover this amount).
    pub const fn to_sat_ceil(self) -> Sat {
        Sat(self.0.div_ceil(1000))
    }
}

/// What both amount types do the same way: checked arithmetic only.
macro_rules! checked_ops {
    ($ty:ident) => {
        impl $ty {
            /// Nothing.
            pub const ZERO: $ty = $ty(0);

            /// `self + other`, `None` on overflow.
            pub fn checked_add(self, other: $ty) -> Option<$ty> {
                self.0.checked_add(other.0).map($ty)
            }

            /// `self - other`, `None` below zero.
            pub fn checked_sub(self, other: $ty) -> Option<$ty> {
                self.0.checked_sub(other.0).map($ty)
            }

            /// `self - other`, at least zero (what is left, never negative).
            pub fn saturating_sub(self, other: $ty) -> $ty {
                $ty(self.0.saturating_sub(other.0))
            }

            /// Whether this is zero.
            pub const fn is_zero(self) -> bool {
                self.0 == 0
            }
        }
    };
}
checked_ops!(Sat);
checked_ops!(Msat);

/// A typed amount that is not a whole number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" is not a whole number of {unit} (digits only, like 25000).")]
pub struct ParseAmountError {
    text: String,
    unit: &'static str,
}

fn parse_whole(text: &str, unit: &'static str) -> Result<u64, ParseAmountError> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseAmountError {
            text: text.to_string(),
            unit,
        });
    }
    t.parse().map_err(|_| ParseAmountError {
        text: text.to_string(),
        unit,
    })
}

impl std::str::FromStr for Sat {
    type Err = ParseAmountError;
    /// Digits only (what a command line or a form gives).
    fn from_str(s: &str) -> Result<Sat, ParseAmountError> {
        parse_whole(s, "sats").map(Sat)
    }
}

impl std::str::FromStr for Msat {
    type Err = ParseAmountError;
    /// Digits only.
    fn from_str(s: &str) -> Result<Msat, ParseAmountError> {
        parse_whole(s, "msat").map(Msat)
    }
}

/// `1234567` as `1,234,567`, for sentences.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sats_convert_exactly_up_to_the_supply_and_no_further() {
        assert_eq!(sat_to_msat(0), Ok(0));
        assert_eq!(sat_to_msat(1), Ok(1000));
        assert_eq!(sat_to_msat(MAX_MONEY_SAT), Ok(MAX_MONEY_SAT * 1000));
        assert!(sat_to_msat(MAX_MONEY_SAT + 1).is_err());
        assert!(sat_to_msat(u64::MAX).is_err());
        assert!(sat_to_msat(u64::MAX / 1000 + 1).is_err());
        assert_eq!(
            check_msat(MAX_MONEY_SAT * 1000 + 999),
            Ok(MAX_MONEY_SAT * 1000 + 999)
        );
        assert!(check_msat(u64::MAX).is_err());
    }

    #[test]
    fn sat_and_msat_convert_and_add_only_when_checked() {
        let s = Sat::from_sat(1_500);
        assert_eq!(s.to_msat(), Ok(Msat::from_msat(1_500_000)));
        assert!(Sat::from_sat(MAX_MONEY_SAT + 1).to_msat().is_err());
        assert_eq!(
            Sat::from_sat(MAX_MONEY_SAT).to_msat().map(Msat::to_msat),
            Ok(MAX_MONEY_SAT * 1000)
        );
        assert_eq!(Msat::from_msat(1_001).to_sat_ceil(), Sat::from_sat(2));
        assert_eq!(Msat::from_msat(1_000).to_sat_ceil(), Sat::from_sat(1));
        assert_eq!(Sat::from_sat(u64::MAX).checked_add(Sat::from_sat(1)), None);
        assert_eq!(Sat::from_sat(1).checked_sub(Sat::from_sat(2)), None);
        assert_eq!(Sat::from_sat(1).saturating_sub(Sat::from_sat(2)), Sat::ZERO);
        assert!(Msat::from_msat(u64::MAX).checked().is_err());
    }

    #[test]
    fn amounts_cross_ipc_as_plain_numbers() {
        assert_eq!(
            serde_json::to_string(&Sat::from_sat(21)).ok().as_deref(),
            Some("21")
        );
        assert_eq!(
            serde_json::from_str::<Msat>("1500").ok(),
            Some(Msat::from_msat(1500))
        );
    }

    #[test]
    fn typed_amounts_parse_digits_only() {
        assert_eq!("25000".parse::<Sat>(), Ok(Sat::from_sat(25_000)));
        assert_eq!(" 7 ".parse::<Msat>(), Ok(Msat::from_msat(7)));
        for bad in ["", "-1", "1.5", "1e3", "abc", "18446744073709551616"] {
            let e = bad
                .parse::<Sat>()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains("not a whole number of sats"), "{bad}: {e}");
        }
    }

    #[test]
    fn grouping() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(126_900), "126,900");
        assert_eq!(grouped(u64::MAX), "18,446,744,073,709,551,615");
    }
}
