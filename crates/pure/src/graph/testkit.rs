//! Small graphs for unit tests: node keys and a plain forwarding policy.

use super::model::{Policy, Pubkey};

/// A valid-looking compressed key, distinct per `n`.
pub fn key(n: u8) -> Pubkey {
    let mut k = [n; 33];
    k[0] = 2;
    k
}

/// An enabled policy: `base` msat + `ppm`, CLTV delta 40, HTLCs 1 msat–5M sats.
pub fn policy(base: u32, ppm: u32) -> Policy {
    Policy {
        base_fee_msat: base,
        fee_ppm: ppm,
        cltv_delta: 40,
        htlc_min_msat: 1,
        htlc_max_msat: 5_000_000_000,
        disabled: false,
        last_update: 1,
        inbound_base_msat: 0,
        inbound_fee_ppm: 0,
    }
}
