//! Lightning payments and invoices: create, decode, fee preview, pay (with a
//! fee limit), keysend, and the history of both directions.

use super::channels::parse_pubkey;
use super::client::{LndClient, CALL_TIMEOUT};
use super::connection::Connection;
use super::convert::{hex, lnd_msat, lnd_sat, msat, non_negative as u, now_secs};
use super::error::{classify_rpc, NodeError, PaymentFailure};
use super::invoice::{decode_invoice, DecodedInvoice};
use super::routes::Outcomes;
use crate::amount::{Msat, Sat};
use bitcoin::hashes::{sha256, Hash};
use fedimint_tonic_lnd::{lnrpc, routerrpc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use ts_rs::TS;

/// The TLV record keysend carries the preimage in.
const KEYSEND_RECORD: u64 = 5_482_373_484;

/// Create an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CreateInvoiceRequest {
    /// Amount, msat (none or 0: the payer chooses).
    #[serde(default)]
    pub amount_msat: Option<Msat>,
    /// What it is for (shown to the payer).
    #[serde(default)]
    pub memo: String,
    /// Seconds until it expires (default 3600).
    #[ts(type = "number | null")]
    #[serde(default)]
    pub expiry_secs: Option<u64>,
    /// Include hints to our private channels.
    #[serde(default)]
    pub private_hints: bool,
}

/// A new invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CreatedInvoice {
    /// BOLT 11 text to give the payer.
    pub payment_request: String,
    /// Payment hash (hex).
    pub payment_hash: String,
    /// LND's add index.
    #[ts(type = "number")]
    pub add_index: u64,
}

/// What paying would cost, before paying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PaymentPreview {
    /// The invoice.
    pub invoice: DecodedInvoice,
    /// Amount to pay, msat.
    pub amount_msat: Msat,
    /// Fee of the route LND would try first, msat.
    pub fee_msat: Msat,
    /// Hops of that route (aliases or keys), ours first.
    pub hops: Vec<String>,
    /// Total time lock of that route (absolute height).
    pub total_time_lock: u32,
    /// The fee limit we would use by default, sats.
    pub suggested_fee_limit_sat: Sat,
}

/// Pay an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PayInvoiceRequest {
    /// BOLT 11 text.
    pub invoice: String,
    /// Amount, msat, only for invoices without one.
    #[serde(default)]
    pub amount_msat: Option<Msat>,
    /// Most we pay in fees, sats (default: see [`default_fee_limit`]).
    #[serde(default)]
    pub fee_limit_sat: Option<Sat>,
    /// Give up after this many seconds (default 60).
    #[serde(default)]
    pub timeout_secs: Option<u32>,
}

/// Send to a node key without an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct KeysendRequest {
    /// Recipient node key (hex).
    pub destination: String,
    /// Amount, sats.
    pub amount_sat: Sat,
    /// Most we pay in fees, sats.
    #[serde(default)]
    pub fee_limit_sat: Option<Sat>,
}

/// Which way the money went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Direction {
    /// We paid.
    Sent,
    /// We were paid (an invoice of ours).
    Received,
}

/// Where a payment or invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PaymentStatus {
    /// Sent and not final yet / invoice not paid yet.
    Pending,
    /// Paid.
    Succeeded,
    /// Failed (payment) or cancelled (invoice).
    Failed,
    /// Invoice past its expiry, unpaid.
    Expired,
    /// Hold invoice: HTLCs held, not settled yet.
    Accepted,
}

/// One entry of the payment history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PaymentRecord {
    /// Sent or received.
    pub direction: Direction,
    /// Status.
    pub status: PaymentStatus,
    /// Amount, msat (received: what was paid, or asked if unpaid).
    pub amount_msat: Msat,
    /// Routing fee we paid, msat (sent only).
    pub fee_msat: Msat,
    /// Payment hash (hex).
    pub payment_hash: String,
    /// Memo of the invoice, if we know it.
    pub memo: Option<String>,
    /// The invoice, if there was one.
    pub payment_request: Option<String>,
    /// Preimage (hex), once paid: the proof of payment.
    pub preimage: Option<String>,
    /// Why it failed.
    pub failure: Option<PaymentFailure>,
    /// Unix seconds created.
    #[ts(type = "number")]
    pub created_at: u64,
    /// Unix seconds settled.
    #[ts(type = "number | null")]
    pub settled_at: Option<u64>,
    /// Keysend (no invoice).
    pub keysend: bool,
}

/// The default fee limit: 1% of the amount, and at least 10 sats, so that
/// small payments over a few hops (base fees are ~1 sat each) can route.
pub fn default_fee_limit(amount: Msat) -> Sat {
    Sat::from_sat((amount.to_sat_ceil().to_sat() / 100).max(10))
}

fn failure_of(reason: i32) -> PaymentFailure {
    use lnrpc::PaymentFailureReason as R;
    match R::try_from(reason) {
        Ok(R::FailureReasonNoRoute) => PaymentFailure::NoRoute,
        Ok(R::FailureReasonInsufficientBalance) => PaymentFailure::InsufficientBalance,
        Ok(R::FailureReasonIncorrectPaymentDetails) => PaymentFailure::IncorrectPaymentDetails,
        Ok(R::FailureReasonTimeout) => PaymentFailure::Timeout,
        Ok(R::FailureReasonCanceled) => PaymentFailure::Canceled,
        _ => PaymentFailure::Error,
    }
}

fn payment_record(p: &lnrpc::Payment, network: crate::network::Network) -> PaymentRecord {
    use lnrpc::payment::PaymentStatus as S;
    let status = match S::try_from(p.status) {
        Ok(S::Succeeded) => PaymentStatus::Succeeded,
        Ok(S::Failed) => PaymentStatus::Failed,
        _ => PaymentStatus::Pending,
    };
    let memo = (!p.payment_request.is_empty())
        .then(|| decode_invoice(&p.payment_request, network).ok())
        .flatten()
        .and_then(|d| d.description);
    let preimage = (status == PaymentStatus::Succeeded
        && !p.payment_preimage.chars().all(|c| c == '0'))
    .then(|| p.payment_preimage.clone());
    PaymentRecord {
        direction: Direction::Sent,
        status,
        amount_msat: msat(p.value_msat),
        fee_msat: msat(p.fee_msat),
        payment_hash: p.payment_hash.clone(),
        memo,
        payment_request: (!p.payment_request.is_empty()).then(|| p.payment_request.clone()),
        preimage,
        failure: (status == PaymentStatus::Failed).then(|| failure_of(p.failure_reason)),
        created_at: u(p.creation_time_ns) / 1_000_000_000,
        settled_at: p
            .htlcs
            .iter()
            .filter(|h| h.resolve_time_ns > 0)
            .map(|h| u(h.resolve_time_ns) / 1_000_000_000)
            .max()
            .filter(|_| status == PaymentStatus::Succeeded),
        keysend: p.payment_request.is_empty(),
    }
}

/// An invoice of ours as a history entry.
pub(crate) fn invoice_record(i: &lnrpc::Invoice, now: u64) -> PaymentRecord {
    use lnrpc::invoice::InvoiceState as S;
    let created = u(i.creation_date);
    let status = match S::try_from(i.state) {
        Ok(S::Settled) => PaymentStatus::Succeeded,
        Ok(S::Canceled) => PaymentStatus::Failed,
        Ok(S::Accepted) => PaymentStatus::Accepted,
        _ if now >= created.saturating_add(u(i.expiry)) => PaymentStatus::Expired,
        _ => PaymentStatus::Pending,
    };
    let paid = status == PaymentStatus::Succeeded;
    PaymentRecord {
        direction: Direction::Received,
        status,
        amount_msat: if paid {
            msat(i.amt_paid_msat)
        } else {
            msat(i.value_msat)
        },
        fee_msat: Msat::ZERO,
        payment_hash: hex(&i.r_hash),
        memo: (!i.memo.is_empty()).then(|| i.memo.clone()),
        payment_request: (!i.payment_request.is_empty()).then(|| i.payment_request.clone()),
        preimage: paid.then(|| hex(&i.r_preimage)),
        failure: None,
        created_at: created,
        settled_at: (paid && i.settle_date > 0).then(|| u(i.settle_date)),
        keysend: i.is_keysend,
    }
}

/// An invoice's route hints in LND's form (none if it does not parse).
pub(crate) fn route_hints_of(payment_request: &str) -> Vec<lnrpc::RouteHint> {
    let parsed: Option<lightning_invoice::Bolt11Invoice> = payment_request.parse().ok();
    parsed
        .map(|p| {
            p.route_hints()
                .iter()
                .map(|rh| lnrpc::RouteHint {
                    hop_hints: rh
                        .0
                        .iter()
                        .map(|h| lnrpc::HopHint {
                            node_id: h.src_node_id.to_string(),
                            chan_id: h.short_channel_id,
                            fee_base_msat: h.fees.base_msat,
                            fee_proportional_millionths: h.fees.proportional_millionths,
                            cltv_expiry_delta: u32::from(h.cltv_expiry_delta),
                        })
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Payments: invoices, paying (LND's pathfinding), keysend, previews, history.
#[derive(Clone)]
pub struct Payments {
    conn: Arc<Connection>,
}

impl Payments {
    /// Over `conn`.
    pub fn new(conn: Arc<Connection>) -> Payments {
        Payments { conn }
    }
}

impl Payments {
    /// Creates an invoice on the node.
    pub async fn create_invoice(
        &self,
        req: &CreateInvoiceRequest,
    ) -> Result<CreatedInvoice, NodeError> {
        if req.memo.len() > 639 {
            return Err(NodeError::BadRequest {
                message: "The memo is too long for an invoice (at most 639 bytes).".into(),
            });
        }
        let expiry = req.expiry_secs.unwrap_or(3600);
        if expiry == 0 || expiry > 365 * 86_400 {
            return Err(NodeError::BadRequest {
                message: "Expiry must be between 1 second and one year.".into(),
            });
        }
        let c = self.conn.client().await?;
        let mut ln = c.lightning.clone();
        let msg = lnrpc::Invoice {
            memo: req.memo.clone(),
            value_msat: req.amount_msat.map_or(0, lnd_msat),
            expiry: i64::try_from(expiry).unwrap_or(i64::MAX),
            private: req.private_hints,
            ..Default::default()
        };
        let r = c
            .call(CALL_TIMEOUT, ln.add_invoice(msg))
            .await
            .map_err(|e| classify_rpc(e, None))?;
        Ok(CreatedInvoice {
            payment_request: r.payment_request,
            payment_hash: hex(&r.r_hash),
            add_index: r.add_index,
        })
    }

    /// Decodes an invoice for this node's network.
    pub fn decode_invoice(&self, text: &str) -> Result<DecodedInvoice, NodeError> {
        let network = self.conn.network().ok_or(NodeError::NotConfigured)?;
        Ok(decode_invoice(text, network)?)
    }

    /// What paying `invoice` would cost along LND's first choice of route.
    pub async fn preview(
        &self,
        invoice: &str,
        amount_msat: Option<Msat>,
    ) -> Result<PaymentPreview, NodeError> {
        let inv = self.decode_invoice(invoice)?;
        let amount = inv.payable(amount_msat)?;
        let c = self.conn.client().await?;
        let limit = default_fee_limit(amount);
        let route = self.query_route(&c, &inv, amount, limit).await?;
        let mut hops = Vec::new();
        for h in &route.hops {
            hops.push(h.pub_key.clone());
        }
        Ok(PaymentPreview {
            amount_msat: amount,
            fee_msat: msat(route.total_fees_msat),
            hops,
            total_time_lock: route.total_time_lock,
            suggested_fee_limit_sat: limit.max(msat(route.total_fees_msat).to_sat_ceil()),
            invoice: inv,
        })
    }

    async fn query_route(
        &self,
        c: &LndClient,
        inv: &DecodedInvoice,
        amount_msat: Msat,
        fee_limit_sat: Sat,
    ) -> Result<lnrpc::Route, NodeError> {
        let mut ln = c.lightning.clone();
        let route_hints = route_hints_of(&inv.payment_request);
        let msg = lnrpc::QueryRoutesRequest {
            pub_key: inv.payee.clone(),
            amt_msat: lnd_msat(amount_msat),
            final_cltv_delta: i32::try_from(inv.min_final_cltv_expiry_delta).unwrap_or(i32::MAX),
            fee_limit: Some(lnrpc::FeeLimit {
                limit: Some(lnrpc::fee_limit::Limit::Fixed(lnd_sat(fee_limit_sat))),
            }),
            use_mission_control: true,
            route_hints,
            ..Default::default()
        };
        let r = c
            .call(CALL_TIMEOUT, ln.query_routes(msg))
            .await
            .map_err(|e| match e {
                NodeError::Rpc { detail }
                    if detail.contains("unable to find a path") || detail.contains("no route") =>
                {
                    NodeError::PaymentFailed {
                        reason: PaymentFailure::NoRoute,
                        detail,
                    }
                }
                NodeError::Rpc { detail } if detail.contains("insufficient local balance") => {
                    NodeError::PaymentFailed {
                        reason: PaymentFailure::InsufficientBalance,
                        detail,
                    }
                }
                other => classify_rpc(other, None),
            })?;
        r.routes.into_iter().next().ok_or(NodeError::PaymentFailed {
            reason: PaymentFailure::NoRoute,
            detail: String::new(),
        })
    }

    /// Pays an invoice and waits for the result.
    pub async fn pay_invoice(&self, req: &PayInvoiceRequest) -> Result<PaymentRecord, NodeError> {
        self.pay_invoice_learning(req).await.0
    }

    /// [`Payments::pay_invoice`], also returning what LND's attempts
    /// taught about the channels they used (for our mission control).
    pub async fn pay_invoice_learning(
        &self,
        req: &PayInvoiceRequest,
    ) -> (Result<PaymentRecord, NodeError>, Outcomes) {
        match self.pay_invoice_request(req) {
            Ok(msg) => self.send_payment(msg).await,
            Err(e) => (Err(e), Vec::new()),
        }
    }

    fn pay_invoice_request(
        &self,
        req: &PayInvoiceRequest,
    ) -> Result<routerrpc::SendPaymentRequest, NodeError> {
        let inv = self.decode_invoice(&req.invoice)?;
        let amount = inv.payable(req.amount_msat)?;
        let fee_limit = req
            .fee_limit_sat
            .unwrap_or_else(|| default_fee_limit(amount));
        let msg = routerrpc::SendPaymentRequest {
            payment_request: inv.payment_request.clone(),
            amt_msat: if inv.amount_msat.is_none() {
                lnd_msat(amount)
            } else {
                0
            },
            fee_limit_sat: lnd_sat(fee_limit),
            timeout_seconds: i32::try_from(req.timeout_secs.unwrap_or(60)).unwrap_or(60),
            no_inflight_updates: true,
            ..Default::default()
        };
        Ok(msg)
    }

    /// Sends `amount_sat` to a node key with keysend.
    pub async fn keysend(&self, req: &KeysendRequest) -> Result<PaymentRecord, NodeError> {
        self.keysend_learning(req).await.0
    }

    /// [`Payments::keysend`], also returning what the attempts taught.
    pub async fn keysend_learning(
        &self,
        req: &KeysendRequest,
    ) -> (Result<PaymentRecord, NodeError>, Outcomes) {
        match keysend_request(req) {
            Ok(msg) => self.send_payment(msg).await,
            Err(e) => (Err(e), Vec::new()),
        }
    }
}

/// The `SendPaymentV2` request for a keysend: a fresh preimage in the
/// keysend record, its hash as the payment hash.
fn keysend_request(req: &KeysendRequest) -> Result<routerrpc::SendPaymentRequest, NodeError> {
    let dest = parse_pubkey(&req.destination)?;
    if req.amount_sat.is_zero() {
        return Err(NodeError::BadRequest {
            message: "Enter an amount in sats.".into(),
        });
    }
    let amount_msat = req.amount_sat.to_msat()?;
    let preimage: [u8; 32] = rand::random();
    let hash = sha256::Hash::hash(&preimage);
    let msg = routerrpc::SendPaymentRequest {
        dest,
        amt: lnd_sat(req.amount_sat),
        payment_hash: hash.to_byte_array().to_vec(),
        dest_custom_records: [(KEYSEND_RECORD, preimage.to_vec())].into_iter().collect(),
        fee_limit_sat: lnd_sat(
            req.fee_limit_sat
                .unwrap_or_else(|| default_fee_limit(amount_msat)),
        ),
        final_cltv_delta: 40,
        timeout_seconds: 60,
        no_inflight_updates: true,
        ..Default::default()
    };
    Ok(msg)
}

/// How long a payment is followed after the node went away mid-payment
/// (a cluster's failover takes seconds; a restart, longer).
const FOLLOW_FOR: Duration = Duration::from_secs(120);

impl Payments {
    /// Sends with `SendPaymentV2` and waits for the outcome; the second part
    /// is what the HTLC attempts taught (also when the payment failed).
    async fn send_payment(
        &self,
        msg: routerrpc::SendPaymentRequest,
    ) -> (Result<PaymentRecord, NodeError>, Outcomes) {
        let Some(network) = self.conn.network() else {
            return (Err(NodeError::NotConfigured), Vec::new());
        };
        let payment = self.send_payment_raw(msg).await;
        let outcomes = match &payment {
            Ok(p) if !p.htlcs.is_empty() => self.learn_from(p).await,
            _ => Vec::new(),
        };
        let result = payment.and_then(|p| {
            let rec = payment_record(&p, network);
            tracing::info!(hash = %rec.payment_hash, status = ?rec.status, fee_msat = rec.fee_msat.to_msat(), "payment");
            if rec.status == PaymentStatus::Failed {
                return Err(NodeError::PaymentFailed {
                    reason: rec.failure.unwrap_or(PaymentFailure::Error),
                    detail: String::new(),
                });
            }
            Ok(rec)
        });
        (result, outcomes)
    }

    /// Outcomes of a payment's HTLC attempts (our key from GetInfo).
    async fn learn_from(&self, p: &lnrpc::Payment) -> Outcomes {
        let me = match self.conn.client().await {
            Ok(c) => match c.get_info().await {
                Ok(info) => super::convert::parse_pubkey_hex(&info.identity_pubkey),
                Err(_) => None,
            },
            Err(_) => None,
        };
        let Some(me) = me else {
            return Vec::new();
        };
        let now = super::convert::now_secs();
        p.htlcs
            .iter()
            .filter_map(|a| {
                let dirs = super::convert::route_dirs(&me, a.route.as_ref()?)?;
                Some(super::convert::attempt_outcomes(&dirs, a, now))
            })
            .flatten()
            .collect()
    }

    /// Sends, and when the node goes away mid-payment (a cluster's leader
    /// dies, the node restarts) follows the payment on the node that serves
    /// next until it ends: a payment never stays "stuck" in the app.
    async fn send_payment_raw(
        &self,
        msg: routerrpc::SendPaymentRequest,
    ) -> Result<lnrpc::Payment, NodeError> {
        let hash = if msg.payment_hash.len() == 32 {
            Some(msg.payment_hash.clone())
        } else {
            self.decode_invoice(&msg.payment_request)
                .ok()
                .and_then(|i| bitcoin::hex::FromHex::from_hex(&i.payment_hash).ok())
        };
        match self.send_once(msg).await {
            Err(
                e @ (NodeError::Unreachable { .. }
                | NodeError::Starting
                | NodeError::NoLeader { .. }),
            ) => match hash {
                Some(hash) => {
                    tracing::warn!(error = %e, "the node went away mid-payment; following the payment");
                    self.follow(hash).await
                }
                None => Err(e),
            },
            other => other,
        }
    }

    /// Follows a payment with `TrackPaymentV2` (on whichever endpoint
    /// serves) until it succeeds or fails, for at most [`FOLLOW_FOR`].
    async fn follow(&self, hash: Vec<u8>) -> Result<lnrpc::Payment, NodeError> {
        let deadline = tokio::time::Instant::now() + FOLLOW_FOR;
        let pending = || NodeError::PaymentPending {
            payment_hash: hex(&hash),
        };
        let mut delay = Duration::from_millis(250);
        loop {
            if tokio::time::Instant::now() >= deadline {
                return Err(pending());
            }
            let attempt = async {
                let c = self.conn.client().await?;
                let mut router = c.router.clone();
                let req = routerrpc::TrackPaymentRequest {
                    payment_hash: hash.clone(),
                    no_inflight_updates: true,
                };
                let mut stream = c.call(CALL_TIMEOUT, router.track_payment_v2(req)).await?;
                loop {
                    match stream.message().await {
                        Ok(Some(p))
                            if p.status == lnrpc::payment::PaymentStatus::Succeeded as i32
                                || p.status == lnrpc::payment::PaymentStatus::Failed as i32 =>
                        {
                            return Ok(Some(p));
                        }
                        Ok(Some(_)) => {}
                        Ok(None) => return Ok(None),
                        Err(status) => return Err(c.status_error(&status)),
                    }
                }
            };
            match tokio::time::timeout_at(deadline, attempt).await {
                Err(_) => return Err(pending()),
                Ok(Ok(Some(p))) => return Ok(p),
                Ok(Ok(None)) => {}
                Ok(Err(NodeError::Rpc { detail })) if detail.contains("isn't initiated") => {
                    // The node never recorded it: nothing was sent.
                    return Err(NodeError::PaymentFailed {
                        reason: PaymentFailure::Error,
                        detail: "the node went down before the payment started; nothing was sent"
                            .into(),
                    });
                }
                Ok(Err(
                    NodeError::Unreachable { .. }
                    | NodeError::Starting
                    | NodeError::NoLeader { .. },
                )) => {}
                Ok(Err(e)) => return Err(e),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    async fn send_once(
        &self,
        msg: routerrpc::SendPaymentRequest,
    ) -> Result<lnrpc::Payment, NodeError> {
        let c = self.conn.client().await?;
        let limit = Duration::from_secs(u64::try_from(msg.timeout_seconds).unwrap_or(60) + 30);
        let mut router = c.router.clone();
        let mut stream = c
            // With no in-flight updates LND answers only with the outcome,
            // and its first answer carries the stream's headers.
            .call(limit, router.send_payment_v2(msg))
            .await
            .map_err(|e| classify_rpc(e, None))?;
        let result = tokio::time::timeout(limit, async {
            let mut last = None;
            loop {
                match stream.message().await {
                    Ok(Some(p)) => {
                        let done = p.status == lnrpc::payment::PaymentStatus::Succeeded as i32
                            || p.status == lnrpc::payment::PaymentStatus::Failed as i32;
                        last = Some(p);
                        if done {
                            return Ok(last);
                        }
                    }
                    Ok(None) => return Ok(last),
                    Err(status) => return Err(classify_rpc(c.status_error(&status), None)),
                }
            }
        })
        .await;
        let last = match result {
            Err(_) => {
                return Err(NodeError::PaymentFailed {
                    reason: PaymentFailure::Timeout,
                    detail: "still in flight; see the payment history for its outcome".into(),
                })
            }
            Ok(r) => r?,
        };
        last.ok_or(NodeError::Rpc {
            detail: "the node ended the payment without a result".into(),
        })
    }

    /// Payments and invoices, newest first (at most `limit` of each).
    pub async fn history(&self, limit: u64) -> Result<Vec<PaymentRecord>, NodeError> {
        let network = self.conn.network().ok_or(NodeError::NotConfigured)?;
        let c = self.conn.client().await?;
        let mut ln = c.lightning.clone();
        let pays = c
            .call(
                CALL_TIMEOUT,
                ln.list_payments(lnrpc::ListPaymentsRequest {
                    include_incomplete: true,
                    reversed: true,
                    max_payments: limit,
                    ..Default::default()
                }),
            )
            .await?;
        let invs = c
            .call(
                CALL_TIMEOUT,
                ln.list_invoices(lnrpc::ListInvoiceRequest {
                    reversed: true,
                    num_max_invoices: limit,
                    ..Default::default()
                }),
            )
            .await?;
        let now = now_secs();
        let mut out: Vec<PaymentRecord> = pays
            .payments
            .iter()
            .map(|p| payment_record(p, network))
            .chain(invs.invoices.iter().map(|i| invoice_record(i, now)))
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_limit_defaults() {
        let limit = |msat| default_fee_limit(Msat::from_msat(msat)).to_sat();
        assert_eq!(limit(1_000), 10);
        assert_eq!(limit(100_000_000), 1_000);
        assert_eq!(limit(1_000_001), 10);
    }
}
