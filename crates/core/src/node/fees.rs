//! Fee-rate sanity before anything is published: a fee rate the user typed is
//! checked against the node's own estimate, and a rate far above it is
//! refused until the user confirms it, with the fee in sats for this
//! transaction in the message (a typo such as 2000 for 20 sat/vB would
//! otherwise burn real money).
//!
//! The rule ([`judge`]): a rate is high when it is above
//! [`ABSOLUTE_HIGH_SAT_PER_VBYTE`] (500 sat/vB, more than any fee market has
//! needed for long), or above [`ESTIMATE_MULTIPLE`] (5) times the node's
//! estimate for confirmation within 6 blocks — but never below
//! [`FLOOR_SAT_PER_VBYTE`] (10 sat/vB), where even a large multiple of a quiet
//! market's rate costs little. A rate chosen as a confirmation target is the
//! node's own estimate and is never judged.
//!
//! Transaction sizes for the fee in sats are estimates: LND's own
//! `EstimateFee` for a send or a channel funding (it runs coin selection), a
//! count of inputs for a sweep, fixed sizes for a cooperative close and a
//! CPFP child.

use super::channels::FeeChoice;
use super::client::{LndClient, CALL_TIMEOUT};
use super::error::NodeError;
use fedimint_tonic_lnd::{lnrpc, walletrpc};
use std::collections::HashMap;

/// Above this, a fee rate always asks for confirmation, sat/vB.
pub const ABSOLUTE_HIGH_SAT_PER_VBYTE: u64 = 500;
/// Above this multiple of the node's 6-block estimate, a rate asks for confirmation.
pub const ESTIMATE_MULTIPLE: u64 = 5;
/// A rate at or below this never asks, sat/vB.
pub const FLOOR_SAT_PER_VBYTE: u64 = 10;

/// Virtual size of a cooperative close (two P2WSH/P2TR outputs, one 2-of-2 input), vB.
pub const CLOSE_VSIZE: u64 = 170;
/// Virtual size of a CPFP child (one P2WPKH input, one output), vB.
pub const CPFP_CHILD_VSIZE: u64 = 110;

/// Why `rate` is too high given the node's estimate (sat/vB), or `None` if it is fine.
pub fn judge(rate_sat_per_vbyte: u64, estimate_sat_per_vbyte: Option<u64>) -> Option<String> {
    if rate_sat_per_vbyte <= FLOOR_SAT_PER_VBYTE {
        return None;
    }
    if rate_sat_per_vbyte > ABSOLUTE_HIGH_SAT_PER_VBYTE {
        return Some(format!(
            "more than {ABSOLUTE_HIGH_SAT_PER_VBYTE} sat/vB{}",
            estimate_sat_per_vbyte
                .map(|e| format!("; the node estimates {e} sat/vB for 6 blocks"))
                .unwrap_or_default()
        ));
    }
    let e = estimate_sat_per_vbyte?;
    (rate_sat_per_vbyte > e.max(1).saturating_mul(ESTIMATE_MULTIPLE)).then(|| {
        format!(
            "more than {ESTIMATE_MULTIPLE} times the node's estimate of {e} sat/vB for 6 blocks"
        )
    })
}

/// The output script kinds whose sizes [`sweep_vsize`] knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptKind {
    /// Native SegWit v0 key hash.
    P2wpkh,
    /// Taproot.
    P2tr,
    /// Nested SegWit.
    NestedP2wpkh,
    /// SegWit v0 script hash.
    P2wsh,
    /// Legacy key hash.
    P2pkh,
    /// Legacy script hash.
    P2sh,
}

impl ScriptKind {
    /// Of an address (by its script).
    pub fn of(address: &bitcoin::Address) -> ScriptKind {
        let s = address.script_pubkey();
        if s.is_p2wpkh() {
            ScriptKind::P2wpkh
        } else if s.is_p2tr() {
            ScriptKind::P2tr
        } else if s.is_p2wsh() {
            ScriptKind::P2wsh
        } else if s.is_p2pkh() {
            ScriptKind::P2pkh
        } else {
            ScriptKind::P2sh
        }
    }

    /// Virtual size of spending an output of this kind with a single key, vB (rounded up).
    fn input_vsize(self) -> u64 {
        match self {
            ScriptKind::P2wpkh => 68,
            ScriptKind::P2tr => 58,
            ScriptKind::NestedP2wpkh => 91,
            ScriptKind::P2pkh => 148,
            // Not in an LND wallet; sized as the largest single-key spend.
            ScriptKind::P2wsh | ScriptKind::P2sh => 148,
        }
    }

    /// Virtual size of an output of this kind, vB.
    fn output_vsize(self) -> u64 {
        match self {
            ScriptKind::P2wpkh => 31,
            ScriptKind::P2tr | ScriptKind::P2wsh => 43,
            ScriptKind::NestedP2wpkh | ScriptKind::P2sh => 32,
            ScriptKind::P2pkh => 34,
        }
    }
}

/// Virtual size of a transaction spending `inputs` to one output of kind
/// `output` (a sweep): 11 vB of version, counts, lock time and SegWit marker.
pub fn sweep_vsize(inputs: &[ScriptKind], output: ScriptKind) -> u64 {
    11 + inputs.iter().map(|k| k.input_vsize()).sum::<u64>() + output.output_vsize()
}

/// A P2WSH address of `network` that nobody can spend, standing in for a
/// channel's funding output when asking LND what a funding transaction of
/// that size would cost (`EstimateFee` only sizes the transaction).
pub fn funding_stand_in(network: crate::Network, index: u8) -> bitcoin::Address {
    let script = bitcoin::ScriptBuf::from_bytes(vec![0x6a, 0x01, index]);
    bitcoin::Address::p2wsh(&script, network.to_bitcoin())
}

/// The node's fee estimate for confirmation within 6 blocks, sat/vB
/// (rounded up; at least 1). None if the node gives none.
pub async fn estimate_sat_per_vbyte(c: &LndClient) -> Option<u64> {
    // 1 vB = 4 weight units; per kw → per vB = kw · 4 / 1000, rounded up.
    Some(
        estimate_sat_per_kw(c)
            .await?
            .saturating_mul(4)
            .div_ceil(1000)
            .max(1),
    )
}

/// The node's 6-block estimate, sats per 1000 weight units (exact).
async fn estimate_sat_per_kw(c: &LndClient) -> Option<u64> {
    let mut wk = c.wallet_kit.clone();
    let r = c
        .call(
            CALL_TIMEOUT,
            wk.estimate_fee(walletrpc::EstimateFeeRequest { conf_target: 6 }),
        )
        .await
        .ok()?;
    u64::try_from(r.sat_per_kw).ok().filter(|k| *k > 0)
}

/// LND's estimate of the fee for paying `outputs` (address → sats) from
/// the wallet at its 6-block rate, as a transaction size in vB (the fee
/// over the exact rate: sats per kw are sats per 250 vB), if it can make one.
pub(crate) async fn estimate_vsize(c: &LndClient, outputs: HashMap<String, i64>) -> Option<u64> {
    let mut ln = c.lightning.clone();
    let r = c
        .call(
            CALL_TIMEOUT,
            ln.estimate_fee(lnrpc::EstimateFeeRequest {
                addr_to_amount: outputs,
                target_conf: 6,
                ..Default::default()
            }),
        )
        .await
        .ok()?;
    let fee = u64::try_from(r.fee_sat).ok()?;
    match estimate_sat_per_kw(c).await {
        Some(per_kw) => Some(fee.saturating_mul(250).div_ceil(per_kw)),
        None => Some(fee.div_ceil(r.sat_per_vbyte.max(1))),
    }
}

/// Refuses a typed fee rate that [`judge`] finds high, unless the user
/// confirmed it (`allow_high`). `vsize` is the transaction's estimated
/// size in vB, asked only when the rate is high.
pub(crate) async fn guard_fee_rate<F, Fut>(
    c: &LndClient,
    fee: Option<FeeChoice>,
    allow_high: bool,
    vsize: F,
) -> Result<(), NodeError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = u64>,
{
    let Some(FeeChoice::SatPerVbyte(rate)) = fee else {
        return Ok(());
    };
    if rate == 0 {
        return Err(NodeError::BadRequest {
            message: "The fee rate must be at least 1 sat/vB.".into(),
        });
    }
    if allow_high {
        return Ok(());
    }
    let estimate = estimate_sat_per_vbyte(c).await;
    let Some(reason) = judge(rate, estimate) else {
        return Ok(());
    };
    let fee_sat = rate.saturating_mul(vsize().await);
    tracing::info!(
        rate,
        ?estimate,
        fee_sat,
        "high fee rate refused until confirmed"
    );
    Err(NodeError::HighFeeRate {
        rate_sat_per_vbyte: rate,
        estimate_sat_per_vbyte: estimate,
        fee_sat,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn high_rates_are_named_and_normal_ones_pass() {
        // Never below the floor, whatever the estimate.
        assert_eq!(judge(10, Some(1)), None);
        assert_eq!(judge(1, None), None);
        // 5× the estimate is fine, more is not.
        assert_eq!(judge(50, Some(10)), None);
        let r = judge(51, Some(10)).unwrap_or_default();
        assert!(r.contains("5 times") && r.contains("10 sat/vB"), "{r}");
        // Above 500 always, even when the market is that high.
        assert_eq!(judge(500, Some(200)), None);
        assert!(judge(501, Some(200)).is_some());
        assert!(judge(501, None).is_some());
        // Without an estimate only the absolute bound applies.
        assert_eq!(judge(400, None), None);
    }

    #[test]
    fn sweep_sizes_count_inputs_by_kind() {
        // One P2WPKH input to one P2WPKH output: the textbook 110 vB.
        assert_eq!(sweep_vsize(&[ScriptKind::P2wpkh], ScriptKind::P2wpkh), 110);
        assert_eq!(
            sweep_vsize(&[ScriptKind::P2wpkh, ScriptKind::P2tr], ScriptKind::P2tr),
            11 + 68 + 58 + 43
        );
    }

    #[test]
    fn the_funding_stand_in_is_a_p2wsh_address_of_the_network() {
        let a = funding_stand_in(crate::Network::Regtest, 0);
        assert!(a.to_string().starts_with("bcrt1q"));
        assert_eq!(ScriptKind::of(&a), ScriptKind::P2wsh);
        assert_ne!(a, funding_stand_in(crate::Network::Regtest, 1));
    }
}
