//! One swap as the provider keeps it.

use serde::{Deserialize, Serialize};
use switchyard_core::swap::api::{FailureDetails, SwapStatus, TransactionInfo};
use switchyard_core::swap::tree::SwapKind;

/// An output at a swap's lockup address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockup {
    /// `txid:vout`.
    pub outpoint: String,
    /// Sats.
    pub value: u64,
}

/// A swap on the provider's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSwap {
    /// Its id (random, given to the client).
    pub id: String,
    /// Submarine or reverse.
    pub kind: SwapKind,
    /// Boltz's status name.
    pub status: String,
    /// SHA-256 of the preimage, hex.
    pub payment_hash: String,
    /// The provider's key index.
    pub key_index: u32,
    /// The user's key, compressed hex.
    pub user_key: String,
    /// The refund leaf's height.
    pub timeout_height: u32,
    /// The tip when it was created.
    pub created_height: u32,
    /// The lockup address.
    pub address: String,
    /// The invoice (the user's, submarine; our hold invoice, reverse).
    pub invoice: String,
    /// The invoice's amount, sats.
    pub invoice_amount: u64,
    /// Expected at the address (submarine) / locked by us (reverse), sats.
    pub onchain_amount: u64,
    /// The create request, verbatim.
    pub request_json: String,
    /// Our create response, verbatim (sent again for the same request).
    pub response_json: String,
    /// Outputs seen at (submarine) or sent to (reverse) the address.
    pub lockup: Vec<Lockup>,
    /// The lockup transaction, hex.
    pub lockup_hex: Option<String>,
    /// The preimage, hex, once known.
    pub preimage: Option<String>,
    /// Our claim (submarine) or refund (reverse), hex.
    pub sweep_hex: Option<String>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Amounts of a failed lockup.
    pub failure_details: Option<FailureDetails>,
}

impl ProviderSwap {
    /// `submarine` / `reverse`.
    pub fn kind_str(&self) -> &'static str {
        match self.kind {
            SwapKind::Submarine => "submarine",
            SwapKind::Reverse => "reverse",
        }
    }

    /// The status as `GET /v2/swap/{id}` and the WebSocket send it.
    pub fn status_view(&self, with_id: bool) -> SwapStatus {
        let transaction = self.lockup_hex.as_ref().and_then(|hex| {
            let id = self.lockup.first()?.outpoint.split(':').next()?.to_string();
            Some(TransactionInfo {
                id,
                hex: Some(hex.clone()),
                eta: None,
            })
        });
        SwapStatus {
            id: with_id.then(|| self.id.clone()),
            status: self.status.clone(),
            zero_conf_rejected: None,
            transaction,
            failure_reason: self.failure_reason.clone(),
            failure_details: self.failure_details.clone(),
        }
    }

    /// Whether nothing more will happen.
    pub fn is_final(&self) -> bool {
        use switchyard_core::swap::api::status as s;
        matches!(
            self.status.as_str(),
            s::TRANSACTION_CLAIMED
                | s::INVOICE_SETTLED
                | s::INVOICE_EXPIRED
                | s::TRANSACTION_REFUNDED
                | s::TRANSACTION_FAILED
        ) || (self.kind == SwapKind::Submarine
            && matches!(
                self.status.as_str(),
                s::SWAP_EXPIRED | s::INVOICE_FAILED_TO_PAY | s::LOCKUP_FAILED
            ))
    }
}
