//! Mission control: what past payments taught us about channels' liquidity,
//! and the success probability of sending an amount through a channel.
//!
//! ### The model
//! A directed channel of capacity `c` holds some liquidity `L` on the sending
//! side, unknown, with a **uniform prior** on `[0, c]` (Pickhardt & Richter,
//! "Optimally Reliable & Cheap Payment Flows on the Lightning Network", 2021).
//! Payment outcomes narrow it:
//! - the channel forwarded `a` → `L ≥ a` (a lower bound `lo`);
//! - the channel failed to forward `a` (temporary channel failure) → `L < a`
//!   (an upper bound `hi`).
//!
//! The probability that `amt` passes is `P(L ≥ amt | lo ≤ L < hi)`:
//! `1` below `lo`, `0` at or above `hi`, else `(hi − amt) / (hi − lo)`.
//! What we learned fades: each bound relaxes back to the prior (`lo → 0`,
//! `hi → c`) with a half-life ([`MissionControl::half_life_secs`], default one
//! hour, like LND's a-priori estimator recovery), because liquidity moves.
//!
//! Everything is pure: the caller passes the time.

use super::model::EdgeIdx;
use std::collections::HashMap;

/// What we know about one directed channel (edge).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Liquidity is at least this, msat.
    pub lower_msat: u64,
    /// Liquidity is at most this, msat (`u64::MAX`: no failure seen).
    pub upper_msat: u64,
    /// Unix seconds of the last outcome.
    pub updated_at: u64,
}

/// One observed outcome, as stored in SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Short channel id.
    pub scid: u64,
    /// Direction: 0 from the channel's node1, 1 from node2.
    pub direction: u8,
    /// Amount the channel was asked to carry, msat.
    pub amount_msat: u64,
    /// Whether it carried it.
    pub success: bool,
    /// Unix seconds.
    pub at: u64,
}

/// Liquidity knowledge per directed channel.
#[derive(Debug, Clone)]
pub struct MissionControl {
    bounds: HashMap<EdgeIdx, Bounds>,
    /// Seconds for what we learned to fade halfway back to the prior.
    pub half_life_secs: u64,
}

impl Default for MissionControl {
    fn default() -> Self {
        MissionControl {
            bounds: HashMap::new(),
            half_life_secs: 3600,
        }
    }
}

impl MissionControl {
    /// Nothing known.
    pub fn new() -> MissionControl {
        MissionControl::default()
    }

    /// Number of channels with knowledge.
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    /// Nothing known.
    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    /// Records that `edge` carried `amount_msat` at `now`.
    pub fn record_success(&mut self, edge: EdgeIdx, amount_msat: u64, now: u64) {
        let b = self.bounds.entry(edge).or_insert(Bounds {
            lower_msat: 0,
            upper_msat: u64::MAX,
            updated_at: now,
        });
        b.lower_msat = b.lower_msat.max(amount_msat);
        if b.upper_msat < b.lower_msat {
            b.upper_msat = u64::MAX;
        }
        b.updated_at = now;
    }

    /// Records that `edge` could not carry `amount_msat` at `now`.
    pub fn record_failure(&mut self, edge: EdgeIdx, amount_msat: u64, now: u64) {
        let b = self.bounds.entry(edge).or_insert(Bounds {
            lower_msat: 0,
            upper_msat: u64::MAX,
            updated_at: now,
        });
        // Liquidity is below the amount: at most amount − 1 (inclusive bound).
        b.upper_msat = b.upper_msat.min(amount_msat.saturating_sub(1));
        if b.lower_msat > b.upper_msat {
            b.lower_msat = 0;
        }
        b.updated_at = now;
    }

    /// The bounds in force at `now` for an edge of capacity `cap_msat`
    /// (faded towards `[0, cap]`).
    pub fn bounds_at(&self, edge: EdgeIdx, cap_msat: u64, now: u64) -> (u64, u64) {
        let Some(b) = self.bounds.get(&edge) else {
            return (0, cap_msat);
        };
        let age = now.saturating_sub(b.updated_at) as f64;
        let keep = 0.5f64.powf(age / self.half_life_secs.max(1) as f64);
        let lo = (b.lower_msat.min(cap_msat) as f64 * keep) as u64;
        let hi_known = b.upper_msat.min(cap_msat) as f64;
        let hi = (hi_known + (cap_msat as f64 - hi_known) * (1.0 - keep)) as u64;
        (lo, hi.max(lo))
    }

    /// Probability that `amt_msat` passes through `edge` of capacity `cap_msat`.
    #[inline]
    pub fn probability(&self, edge: EdgeIdx, cap_msat: u64, amt_msat: u64, now: u64) -> f64 {
        if self.bounds.is_empty() {
            return prior_probability(cap_msat, amt_msat);
        }
        let (lo, hi) = self.bounds_at(edge, cap_msat, now);
        conditional_probability(lo, hi, amt_msat)
    }
}

/// `P(L ≥ amt)` for `L` uniform on `[0, cap]`.
#[inline]
pub fn prior_probability(cap_msat: u64, amt_msat: u64) -> f64 {
    conditional_probability(0, cap_msat, amt_msat)
}

/// `P(L ≥ amt | lo ≤ L ≤ hi)` for uniform `L`.
#[inline]
pub fn conditional_probability(lo: u64, hi: u64, amt: u64) -> f64 {
    if amt <= lo {
        1.0
    } else if amt > hi {
        0.0
    } else {
        // +1: liquidity exactly `hi` still carries `hi`. In floating point:
        // `hi − lo + 1` overflows u64 when the bounds span all of it.
        ((hi - amt) as f64 + 1.0) / ((hi - lo) as f64 + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prior_is_uniform() {
        assert_eq!(prior_probability(1000, 0), 1.0);
        assert!((prior_probability(1000, 500) - 501.0 / 1001.0).abs() < 1e-12);
        assert_eq!(prior_probability(1000, 1001), 0.0);
    }

    #[test]
    fn outcomes_narrow_then_fade() {
        let mut mc = MissionControl::new();
        let cap = 1_000_000;
        mc.record_failure(7, 400_000, 100);
        assert_eq!(mc.probability(7, cap, 400_000, 100), 0.0);
        assert!(mc.probability(7, cap, 200_000, 100) > 0.49);
        mc.record_success(7, 100_000, 100);
        assert_eq!(mc.probability(7, cap, 100_000, 100), 1.0);
        // Other edges keep the prior.
        assert!(
            (mc.probability(8, cap, 500_000, 100) - prior_probability(cap, 500_000)).abs() < 1e-12
        );
        // After many half-lives the failure is forgotten.
        let later = 100 + 20 * mc.half_life_secs;
        assert!(
            (mc.probability(7, cap, 400_000, later) - prior_probability(cap, 400_000)).abs() < 1e-3
        );
        // One half-life: halfway back.
        let (lo, hi) = mc.bounds_at(7, cap, 100 + mc.half_life_secs);
        assert_eq!(lo, 50_000);
        assert_eq!(hi, 699_999);
    }
}
