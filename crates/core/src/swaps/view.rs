//! What the Swaps screen and `swap status --json` show of a swap.

use crate::amount::Sat;
use crate::store::SwapRow;
use crate::swap::check::{CheckedSwap, SwapQuote};
use crate::swap::machine::{Htlc, Lightning, Outcome, Phase, SwapState};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A swap in's lockup from another wallet, broadcast by the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct FundedSwap {
    /// The lockup transaction's id.
    pub txid: String,
    /// The swap (it goes on once the lockup confirms).
    pub swap: SwapView,
}

/// A quote as the user sees it before agreeing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct QuoteView {
    /// The provider's terms.
    pub quote: SwapQuote,
    /// Our own on-chain transaction's fee, estimated (the lockup of a swap
    /// in, the claim of a swap out), sats.
    pub our_miner_fee: Sat,
    /// The fee rate that estimate used, sat/vB.
    #[ts(type = "number")]
    pub fee_rate: u64,
    /// Everything the swap costs: the provider's fees plus ours, sats.
    pub total_fee: Sat,
    /// Blocks until the refund path opens (the provider's time lock).
    #[ts(type = "number")]
    pub timeout_blocks: u32,
    /// The provider's API.
    pub provider: String,
    /// The provider's pair hash for these terms (sent back on create: the
    /// provider refuses if its terms changed since).
    pub pair_hash: String,
}

/// One step of a swap's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct TimelineStep {
    /// What the step is, in words.
    pub label: String,
    /// `done`, `current`, `pending` or `failed`.
    pub state: String,
    /// A detail (confirmations, a txid).
    pub detail: Option<String>,
}

/// A swap as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct SwapView {
    /// Our id (the payment hash).
    pub id: String,
    /// The provider's id.
    pub provider_id: Option<String>,
    /// `submarine` (swap in: on-chain → Lightning) or `reverse` (swap out).
    pub kind: String,
    /// The provider.
    pub provider: String,
    /// The Lightning amount, sats.
    pub amount: Sat,
    /// The on-chain amount (sent or to receive), sats.
    pub onchain: Sat,
    /// The provider's fees, sats.
    pub provider_fee: Sat,
    /// The lockup address.
    pub address: Option<String>,
    /// A swap in the user funds from another wallet, not funded yet: pay
    /// `bip21` (exactly `onchain` to `address`), or import the signed PSBT.
    pub awaiting_funding: bool,
    /// `bitcoin:ADDRESS?amount=BTC` for another wallet (a swap in awaiting
    /// funding).
    pub bip21: Option<String>,
    /// The refund path's height.
    #[ts(type = "number | null")]
    pub timeout_height: Option<u32>,
    /// The tip height last seen.
    #[ts(type = "number")]
    pub height: u32,
    /// Blocks until the time lock (0 once passed).
    #[ts(type = "number | null")]
    pub blocks_left: Option<u32>,
    /// `initiate`, `prepare`, `commit`, `settle`.
    pub phase: String,
    /// `created`, `locked`, `redeemed`, `refunded`, `settled`.
    pub htlc: String,
    /// `succeeded`, `refunded`, `failed` once decided.
    pub outcome: Option<String>,
    /// Why it failed, in words.
    pub outcome_reason: Option<String>,
    /// Nothing more will happen.
    pub is_final: bool,
    /// What the provider says (kept apart from our own conclusion).
    pub provider_status: Option<String>,
    /// The lockup outputs (`txid:vout`).
    pub lockup: Vec<String>,
    /// Our claim or refund's txid.
    pub sweep_txid: Option<String>,
    /// A warning or why it stopped.
    pub error: Option<String>,
    /// The steps.
    pub timeline: Vec<TimelineStep>,
    /// Unix seconds.
    #[ts(type = "number")]
    pub created_at: u64,
}

fn step(label: &str, state: &str, detail: Option<String>) -> TimelineStep {
    TimelineStep {
        label: label.to_string(),
        state: state.to_string(),
        detail,
    }
}

impl SwapView {
    /// From a stored row.
    pub fn from_row(row: &SwapRow) -> SwapView {
        let state: Option<SwapState> = serde_json::from_str(&row.state_json).ok();
        let checked: Option<CheckedSwap> = row
            .checked_json
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok());
        let quote: Option<SwapQuote> = serde_json::from_str(&row.quote_json).ok();
        let (outcome, reason) = match state.as_ref().and_then(|s| s.outcome.clone()) {
            Some(Outcome::Succeeded) => (Some("succeeded".to_string()), None),
            Some(Outcome::Refunded) => (Some("refunded".to_string()), None),
            Some(Outcome::Failed(r)) => (Some("failed".to_string()), Some(r)),
            None => (None, None),
        };
        let height = state.as_ref().map(|s| s.height).unwrap_or(0);
        let awaiting_funding = state
            .as_ref()
            .is_some_and(|s| s.terms.external_funding && s.outputs.is_empty() && !s.is_final())
            && checked.is_some();
        let timeline = state
            .as_ref()
            .map(|s| timeline(s, row.kind == "submarine", s.terms.external_funding))
            .unwrap_or_default();
        SwapView {
            id: row.id.clone(),
            provider_id: row.provider_id.clone(),
            kind: row.kind.clone(),
            provider: row.provider_url.clone(),
            amount: quote.map(|q| q.invoice).unwrap_or_default(),
            onchain: checked
                .as_ref()
                .map(|c| c.lockup_amount)
                .or(quote.map(|q| q.onchain))
                .unwrap_or_default(),
            provider_fee: quote.and_then(|q| q.total_fee()).unwrap_or_default(),
            address: checked.as_ref().map(|c| c.address.clone()),
            awaiting_funding,
            bip21: checked.as_ref().filter(|_| awaiting_funding).map(|c| {
                format!(
                    "bitcoin:{}?amount={}",
                    c.address,
                    bitcoin::Amount::from_sat(c.lockup_amount.to_sat())
                        .display_in(bitcoin::Denomination::Bitcoin)
                )
            }),
            timeout_height: checked.as_ref().map(|c| c.timeout_height),
            height,
            blocks_left: checked
                .as_ref()
                .map(|c| c.timeout_height.saturating_sub(height)),
            phase: row.phase.clone(),
            htlc: row.htlc.clone(),
            outcome,
            outcome_reason: reason.or_else(|| state.as_ref().and_then(|s| s.refused.clone())),
            is_final: row.is_final,
            provider_status: row.provider_status.clone(),
            lockup: state
                .as_ref()
                .map(|s| s.outputs.iter().map(|o| o.outpoint.clone()).collect())
                .unwrap_or_default(),
            sweep_txid: state
                .as_ref()
                .and_then(|s| s.sweep.as_ref().map(|w| w.txid.clone())),
            error: row.error.clone(),
            timeline,
            created_at: row.created_at,
        }
    }
}

fn timeline(s: &SwapState, submarine: bool, external: bool) -> Vec<TimelineStep> {
    let done = |b: bool| if b { "done" } else { "pending" };
    let confs = s.outputs.iter().map(|o| o.confirmations).max().unwrap_or(0);
    let lock_detail = (!s.outputs.is_empty()).then(|| {
        format!(
            "{} · {confs} confirmation{}",
            s.outputs[0].outpoint.split(':').next().unwrap_or(""),
            if confs == 1 { "" } else { "s" }
        )
    });
    let locked = s.htlc.rank() >= Htlc::Locked.rank() || !s.outputs.is_empty();
    let paid = s.lightning == Lightning::Paid;
    let swept = s.sweep.is_some() || s.htlc.rank() >= Htlc::Redeemed.rank();
    let settled = s.htlc == Htlc::Settled;
    let failed = matches!(s.outcome, Some(Outcome::Failed(_)));
    let mut steps = vec![step(
        "Swap created with the provider",
        done(s.phase >= Phase::Prepare),
        None,
    )];
    if submarine {
        steps.push(step(
            if external {
                "Lockup paid from your other wallet"
            } else {
                "Lockup sent from your node's wallet"
            },
            done(s.phase >= Phase::Commit || locked),
            None,
        ));
        steps.push(step(
            "Lockup confirmed on chain",
            done(confs > 0),
            lock_detail,
        ));
        steps.push(step("Provider pays your invoice", done(paid), None));
        let last = if s.outcome == Some(Outcome::Refunded) || (s.sweep.is_some() && !paid) {
            "Refunded to your wallet"
        } else {
            "Provider claims the lockup"
        };
        steps.push(step(
            last,
            done(swept),
            s.sweep.as_ref().map(|w| w.txid.clone()),
        ));
    } else {
        steps.push(step(
            "Hold invoice paid (held by the provider)",
            done(s.lightning != Lightning::Pending),
            None,
        ));
        steps.push(step("Provider locks on chain", done(locked), lock_detail));
        steps.push(step(
            "Claimed to your wallet",
            done(swept),
            s.sweep.as_ref().map(|w| w.txid.clone()),
        ));
        steps.push(step("Provider settles the invoice", done(paid), None));
    }
    steps.push(step(
        "Settled",
        if failed { "failed" } else { done(settled) },
        None,
    ));
    // The first pending step is the current one.
    if let Some(first) = steps.iter_mut().find(|t| t.state == "pending") {
        if !settled {
            first.state = "current".into();
        }
    }
    steps
}
