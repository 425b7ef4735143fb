//! The Lightning legs of swaps: invoices with a preimage we chose (so it
//! can be derived again from the seed), hold invoices (`invoicesrpc`: the
//! provider accepts an HTLC and settles or cancels it later), their states,
//! and payments that are started and then tracked rather than waited for
//! (a payment to a hold invoice stays in flight until the swap settles).

use super::client::{LndClient, CALL_TIMEOUT};
use super::error::NodeError;
use fedimint_tonic_lnd::{invoicesrpc, lnrpc, routerrpc};
use switchyard_pure::amount::Sat;

/// An invoice's state as LND reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceState {
    /// Not paid.
    Open,
    /// A hold invoice's HTLC arrived and is held.
    Accepted,
    /// Paid (the preimage was released).
    Settled,
    /// Cancelled or expired.
    Canceled,
}

fn invoice_state(state: i32) -> InvoiceState {
    use lnrpc::invoice::InvoiceState as S;
    match S::try_from(state) {
        Ok(S::Accepted) => InvoiceState::Accepted,
        Ok(S::Settled) => InvoiceState::Settled,
        Ok(S::Canceled) => InvoiceState::Canceled,
        _ => InvoiceState::Open,
    }
}

/// A payment's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentState {
    /// LND knows no payment for the hash.
    Unknown,
    /// HTLCs are out.
    InFlight,
    /// Paid; the preimage.
    Succeeded([u8; 32]),
    /// Failed for good, with LND's reason.
    Failed(String),
}

fn payment_state(p: &lnrpc::Payment) -> PaymentState {
    use lnrpc::payment::PaymentStatus as S;
    match S::try_from(p.status) {
        Ok(S::Succeeded) => {
            let pre = <[u8; 32] as bitcoin::hex::FromHex>::from_hex(&p.payment_preimage)
                .unwrap_or([0u8; 32]);
            PaymentState::Succeeded(pre)
        }
        Ok(S::Failed) => {
            let reason = lnrpc::PaymentFailureReason::try_from(p.failure_reason)
                .map(|r| r.as_str_name().to_string())
                .unwrap_or_else(|_| "unknown".into());
            PaymentState::Failed(reason)
        }
        _ => PaymentState::InFlight,
    }
}

/// LND's words for "no payment for this hash" (TrackPaymentV2).
fn unknown_payment(e: &str) -> bool {
    e.contains("not found") || e.contains("isn't initiated") || e.contains("not initiated")
}

fn sat_i64(v: Sat) -> Result<i64, NodeError> {
    i64::try_from(v.to_sat()).map_err(|_| NodeError::BadRequest {
        message: "amount too large".into(),
    })
}

impl LndClient {
    /// An invoice for `value` paid to `preimage` (ours, derived from the
    /// seed); returns the payment request.
    pub async fn add_invoice_with_preimage(
        &self,
        preimage: &[u8; 32],
        value: Sat,
        memo: &str,
        expiry_secs: i64,
        cltv_expiry: u64,
    ) -> Result<String, NodeError> {
        let mut ln = self.lightning.clone();
        let r = self
            .call(
                CALL_TIMEOUT,
                ln.add_invoice(lnrpc::Invoice {
                    r_preimage: preimage.to_vec(),
                    value: sat_i64(value)?,
                    memo: memo.to_string(),
                    expiry: expiry_secs,
                    cltv_expiry,
                    ..Default::default()
                }),
            )
            .await?;
        Ok(r.payment_request)
    }

    /// A hold invoice for `hash` (the provider's side of a reverse swap).
    pub async fn add_hold_invoice(
        &self,
        hash: &[u8; 32],
        value: Sat,
        memo: &str,
        expiry_secs: i64,
        cltv_expiry: u64,
    ) -> Result<String, NodeError> {
        let mut inv = self.invoices.clone();
        let r = self
            .call(
                CALL_TIMEOUT,
                inv.add_hold_invoice(invoicesrpc::AddHoldInvoiceRequest {
                    hash: hash.to_vec(),
                    value: sat_i64(value)?,
                    memo: memo.to_string(),
                    expiry: expiry_secs,
                    cltv_expiry,
                    ..Default::default()
                }),
            )
            .await?;
        Ok(r.payment_request)
    }

    /// The state of the invoice for `hash` (`None`: no such invoice).
    pub async fn invoice_state(&self, hash: &[u8; 32]) -> Result<Option<InvoiceState>, NodeError> {
        let mut ln = self.lightning.clone();
        match self
            .call(
                CALL_TIMEOUT,
                ln.lookup_invoice(lnrpc::PaymentHash {
                    r_hash: hash.to_vec(),
                    ..Default::default()
                }),
            )
            .await
        {
            Ok(i) => Ok(Some(invoice_state(i.state))),
            Err(NodeError::BadRequest { message })
                if message.contains("unable to locate invoice") =>
            {
                Ok(None)
            }
            Err(NodeError::Rpc { detail }) if detail.contains("unable to locate invoice") => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Settles a held HTLC with its preimage (an already settled invoice
    /// is not an error).
    pub async fn settle_invoice(&self, preimage: &[u8; 32]) -> Result<(), NodeError> {
        let mut inv = self.invoices.clone();
        match self
            .call(
                CALL_TIMEOUT,
                inv.settle_invoice(invoicesrpc::SettleInvoiceMsg {
                    preimage: preimage.to_vec(),
                }),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.to_string().contains("already settled") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Cancels a hold invoice (the payer's HTLC fails back).
    pub async fn cancel_invoice(&self, hash: &[u8; 32]) -> Result<(), NodeError> {
        let mut inv = self.invoices.clone();
        self.call(
            CALL_TIMEOUT,
            inv.cancel_invoice(invoicesrpc::CancelInvoiceMsg {
                payment_hash: hash.to_vec(),
            }),
        )
        .await
        .map(|_| ())
    }

    /// Starts paying `payment_request` and returns once LND has taken it
    /// (the outcome comes from [`Self::payment_state`]). `cltv_limit` caps
    /// the route's total time lock (a submarine swap's provider must be
    /// paid back before its on-chain time lock).
    pub async fn start_payment(
        &self,
        payment_request: &str,
        fee_limit: Sat,
        cltv_limit: i32,
        timeout_secs: i32,
    ) -> Result<PaymentState, NodeError> {
        let mut router = self.router.clone();
        let mut stream = self
            .call(
                CALL_TIMEOUT,
                router.send_payment_v2(routerrpc::SendPaymentRequest {
                    payment_request: payment_request.to_string(),
                    fee_limit_sat: sat_i64(fee_limit)?,
                    cltv_limit,
                    timeout_seconds: timeout_secs,
                    no_inflight_updates: false,
                    ..Default::default()
                }),
            )
            .await?;
        match tokio::time::timeout(CALL_TIMEOUT, stream.message()).await {
            Ok(Ok(Some(p))) => {
                // Keep reading in the background so LND's stream is drained.
                tokio::spawn(async move { while let Ok(Some(_)) = stream.message().await {} });
                Ok(payment_state(&p))
            }
            Ok(Ok(None)) => Ok(PaymentState::InFlight),
            Ok(Err(status)) => {
                let e = self.status_error(&status);
                if e.to_string().contains("already") {
                    // Paid or in flight before (a retry after a restart).
                    return Ok(PaymentState::InFlight);
                }
                Err(e)
            }
            Err(_) => Ok(PaymentState::InFlight),
        }
    }

    /// The state of our payment for `hash`.
    pub async fn payment_state(&self, hash: &[u8; 32]) -> Result<PaymentState, NodeError> {
        let mut router = self.router.clone();
        let opened = self
            .call(
                CALL_TIMEOUT,
                router.track_payment_v2(routerrpc::TrackPaymentRequest {
                    payment_hash: hash.to_vec(),
                    no_inflight_updates: false,
                }),
            )
            .await;
        let mut stream = match opened {
            Ok(s) => s,
            Err(e) if unknown_payment(&e.to_string()) => return Ok(PaymentState::Unknown),
            Err(e) => return Err(e),
        };
        match tokio::time::timeout(CALL_TIMEOUT, stream.message()).await {
            Ok(Ok(Some(p))) => Ok(payment_state(&p)),
            Ok(Ok(None)) => Ok(PaymentState::Unknown),
            Ok(Err(status)) => {
                let e = self.status_error(&status);
                if unknown_payment(&e.to_string()) {
                    Ok(PaymentState::Unknown)
                } else {
                    Err(e)
                }
            }
            Err(_) => Ok(PaymentState::InFlight),
        }
    }

    /// A fresh address of the node's wallet (taproot), for claims and refunds.
    pub async fn fresh_address(&self) -> Result<String, NodeError> {
        let mut ln = self.lightning.clone();
        let r = self
            .call(
                CALL_TIMEOUT,
                ln.new_address(lnrpc::NewAddressRequest {
                    r#type: lnrpc::AddressType::TaprootPubkey as i32,
                    account: String::new(),
                }),
            )
            .await?;
        Ok(r.address)
    }

    /// The node's tip height.
    pub async fn height(&self) -> Result<u32, NodeError> {
        Ok(self.get_info().await?.block_height)
    }
}
