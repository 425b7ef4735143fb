//! Amounts a user types, checked before any arithmetic: sats to msat with
//! checked multiplication, and nothing above the 21 million bitcoin that can
//! ever exist. (Newtypes for `Sat` and `Msat` come with the pure crate.)

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
pub fn sat_to_msat(sat: u64) -> Result<u64, AmountError> {
    if sat > MAX_MONEY_SAT {
        return Err(AmountError::TooLarge { sat });
    }
    sat.checked_mul(1000).ok_or(AmountError::TooLarge { sat })
}

/// Checks an amount in msat the same way.
pub fn check_msat(msat: u64) -> Result<u64, AmountError> {
    if msat / 1000 > MAX_MONEY_SAT {
        return Err(AmountError::TooLarge { sat: msat / 1000 });
    }
    Ok(msat)
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
    fn grouping() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(126_900), "126,900");
        assert_eq!(grouped(u64::MAX), "18,446,744,073,709,551,615");
    }
}
