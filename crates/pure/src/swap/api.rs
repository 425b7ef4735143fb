//! Boltz's v2 API for BTC/BTC swaps, as JSON types: field names, nesting
//! and status names exactly as Boltz's backend sends them (camelCase, the
//! `"BTC": {"BTC": …}` pair maps), so our client talks to any
//! Boltz-compatible provider and our provider to any Boltz client.
//! Amounts are sats; keys, hashes, nonces and signatures hex.
//!
//! Parsing only: every value a provider sends is checked before use
//! ([`super::check`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The currency code of bitcoin on chain and over Lightning.
pub const BTC: &str = "BTC";

/// Submarine statuses (Boltz's `SwapUpdateEvent`).
pub mod status {
    /// Created, waiting for the lockup.
    pub const SWAP_CREATED: &str = "swap.created";
    /// The invoice of a swap created with a preimage hash was set.
    pub const INVOICE_SET: &str = "invoice.set";
    /// The lockup is in the mempool.
    pub const TRANSACTION_MEMPOOL: &str = "transaction.mempool";
    /// The lockup is confirmed.
    pub const TRANSACTION_CONFIRMED: &str = "transaction.confirmed";
    /// The provider is paying the invoice.
    pub const INVOICE_PENDING: &str = "invoice.pending";
    /// The provider paid the invoice.
    pub const INVOICE_PAID: &str = "invoice.paid";
    /// The provider could not pay the invoice.
    pub const INVOICE_FAILED_TO_PAY: &str = "invoice.failedToPay";
    /// The provider asks for a cooperative claim signature.
    pub const CLAIM_PENDING: &str = "transaction.claim.pending";
    /// The provider claimed the lockup.
    pub const TRANSACTION_CLAIMED: &str = "transaction.claimed";
    /// The lockup was not acceptable (amount, late).
    pub const LOCKUP_FAILED: &str = "transaction.lockupFailed";
    /// The swap expired.
    pub const SWAP_EXPIRED: &str = "swap.expired";
    /// Reverse: the hold invoice was settled.
    pub const INVOICE_SETTLED: &str = "invoice.settled";
    /// Reverse: the hold invoice expired.
    pub const INVOICE_EXPIRED: &str = "invoice.expired";
    /// Reverse: the lockup could not be sent.
    pub const TRANSACTION_FAILED: &str = "transaction.failed";
    /// Reverse: the provider took its lockup back.
    pub const TRANSACTION_REFUNDED: &str = "transaction.refunded";
}

/// Submarine limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmarineLimits {
    /// Largest invoice, sats.
    pub maximal: u64,
    /// Smallest invoice, sats.
    pub minimal: u64,
    /// Largest amount accepted without confirmation.
    pub maximal_zero_conf: u64,
}

/// Submarine fees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmarineFees {
    /// Percent of the invoice (0.1 = 0.1 %).
    pub percentage: f64,
    /// The provider's claim transaction, sats.
    pub miner_fees: u64,
}

/// One submarine pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmarinePair {
    /// Changes when the terms change; sent back on create.
    pub hash: String,
    /// 1 for BTC/BTC.
    pub rate: f64,
    /// Limits.
    pub limits: SubmarineLimits,
    /// Fees.
    pub fees: SubmarineFees,
}

/// Reverse limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReverseLimits {
    /// Largest invoice, sats.
    pub maximal: u64,
    /// Smallest invoice, sats.
    pub minimal: u64,
}

/// Reverse miner fees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReverseMinerFees {
    /// The provider's lockup, sats (deducted from what we receive).
    pub lockup: u64,
    /// Our claim, sats (an estimate; we pay it from the output).
    pub claim: u64,
}

/// Reverse fees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReverseFees {
    /// Percent of the invoice.
    pub percentage: f64,
    /// Miner fees.
    pub miner_fees: ReverseMinerFees,
}

/// One reverse pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReversePair {
    /// Changes when the terms change.
    pub hash: String,
    /// 1 for BTC/BTC.
    pub rate: f64,
    /// Limits.
    pub limits: ReverseLimits,
    /// Fees.
    pub fees: ReverseFees,
}

/// `GET /v2/swap/submarine` or `/reverse`: from → to → pair.
pub type Pairs<P> = BTreeMap<String, BTreeMap<String, P>>;

/// `POST /v2/swap/submarine`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSubmarineRequest {
    /// "BTC" (on chain).
    pub from: String,
    /// "BTC" (Lightning).
    pub to: String,
    /// The BOLT 11 invoice the provider pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<String>,
    /// Instead of the invoice (set later): its payment hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preimage_hash: Option<String>,
    /// Our key (compressed, hex).
    pub refund_public_key: String,
    /// The pair hash we were quoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pair_hash: Option<String>,
    /// Boltz's referral tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_id: Option<String>,
}

/// The swap tree as sent.
pub use super::tree::{LeafJson, SwapTreeJson};

/// Its answer (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSubmarineResponse {
    /// The swap's id.
    pub id: String,
    /// `bitcoin:` URI for the lockup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bip21: Option<String>,
    /// The lockup address.
    pub address: String,
    /// The scripts.
    pub swap_tree: SwapTreeJson,
    /// The provider's key (compressed, hex).
    pub claim_public_key: String,
    /// The refund leaf's height.
    pub timeout_block_height: u32,
    /// Whether the provider pays before the lockup confirms.
    pub accept_zero_conf: bool,
    /// What to send, sats.
    pub expected_amount: u64,
    /// Boltz's referral tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_id: Option<String>,
}

/// `POST /v2/swap/reverse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateReverseRequest {
    /// "BTC" (Lightning).
    pub from: String,
    /// "BTC" (on chain).
    pub to: String,
    /// SHA-256 of our preimage, hex.
    pub preimage_hash: String,
    /// Our key (compressed, hex).
    pub claim_public_key: String,
    /// The invoice's amount, sats (or `onchain_amount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_amount: Option<u64>,
    /// What we want on chain, sats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onchain_amount: Option<u64>,
    /// The pair hash we were quoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pair_hash: Option<String>,
    /// The invoice's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Boltz's referral tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_id: Option<String>,
}

/// Its answer (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateReverseResponse {
    /// The swap's id.
    pub id: String,
    /// The hold invoice we pay.
    pub invoice: String,
    /// The scripts.
    pub swap_tree: SwapTreeJson,
    /// The lockup address.
    pub lockup_address: String,
    /// The provider's key (compressed, hex).
    pub refund_public_key: String,
    /// The refund leaf's height.
    pub timeout_block_height: u32,
    /// What the provider locks, sats.
    pub onchain_amount: u64,
}

/// A transaction in a status update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionInfo {
    /// Its txid.
    pub id: String,
    /// Raw, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
    /// Blocks until it is expected to confirm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta: Option<u64>,
}

/// Expected and actual amounts of a failed lockup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureDetails {
    /// What was agreed, sats.
    pub expected: u64,
    /// What arrived, sats.
    pub actual: u64,
}

/// `GET /v2/swap/{id}` and the WebSocket's `swap.update` items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwapStatus {
    /// The swap (in WebSocket updates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// One of [`status`].
    pub status: String,
    /// The provider would not accept the lockup unconfirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zero_conf_rejected: Option<bool>,
    /// The lockup (or claim) transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction: Option<TransactionInfo>,
    /// Why it failed, in the provider's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// Amounts of a failed lockup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_details: Option<FailureDetails>,
}

/// `GET /v2/swap/submarine/{id}/claim`: the provider asks us to co-sign its
/// claim, showing the preimage (proof it paid).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmarineClaimDetails {
    /// The invoice's preimage, hex.
    pub preimage: String,
    /// The provider's MuSig2 nonce, hex (66 bytes).
    pub pub_nonce: String,
    /// The provider's key, hex.
    pub public_key: String,
    /// The key-path sighash to sign, hex.
    pub transaction_hash: String,
}

/// A MuSig2 answer: nonce and partial signature (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartialSignature {
    /// 66 bytes, hex.
    pub pub_nonce: String,
    /// 32 bytes, hex.
    pub partial_signature: String,
}

/// `POST /v2/swap/submarine/{id}/refund`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequest {
    /// Our nonce, hex.
    pub pub_nonce: String,
    /// The unsigned refund transaction, hex.
    pub transaction: String,
    /// Which input to sign.
    pub index: u32,
}

/// `POST /v2/swap/reverse/{id}/claim`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReverseClaimRequest {
    /// Our preimage, hex (the provider settles its invoice with it).
    pub preimage: String,
    /// Our nonce, hex.
    pub pub_nonce: String,
    /// The unsigned claim transaction, hex.
    pub transaction: String,
    /// Which input to sign.
    pub index: u32,
}

/// `POST /v2/chain/BTC/transaction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionHex {
    /// Raw, hex.
    pub hex: String,
}

/// A txid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionId {
    /// The txid.
    pub id: String,
}

/// `GET /v2/swap/{kind}/{id}/transaction`: the lockup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockupTransaction {
    /// Its txid.
    pub id: String,
    /// Raw, hex.
    pub hex: String,
    /// The refund leaf's height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_block_height: Option<u32>,
}

/// `GET /v2/chain/BTC/height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Height {
    /// The provider's tip.
    pub height: u32,
}

/// An error answer (400/404/409/500).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// In the provider's words.
    pub error: String,
}

/// A WebSocket request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WsRequest {
    /// `subscribe`, `unsubscribe` or `ping`.
    pub op: String,
    /// `swap.update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Swap ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
}

/// A WebSocket message from the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WsMessage {
    /// `subscribe`, `unsubscribe`, `update`, `pong` or `error`.
    pub event: String,
    /// `swap.update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Swap ids (subscribe) or status items (update).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<serde_json::Value>,
    /// Milliseconds since the epoch, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// For `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl WsMessage {
    /// The status items of an `update`, if it is one (malformed items are
    /// skipped; each names its swap).
    pub fn updates(&self) -> Vec<SwapStatus> {
        if self.event != "update" || self.channel.as_deref() != Some("swap.update") {
            return Vec::new();
        }
        match &self.args {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|v| serde_json::from_value::<SwapStatus>(v.clone()).ok())
                .filter(|s| s.id.is_some())
                .collect(),
            _ => Vec::new(),
        }
    }
}
