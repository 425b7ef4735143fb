//! One worker per open swap: it reads the swap from the database, does the
//! next step (each one saved before the next), and resumes from whatever was
//! saved after a restart.

use crate::swap::{Lockup, ProviderSwap};
use crate::{db, Provider};
use bitcoin::hashes::Hash;
use bitcoin::hex::{DisplayHex, FromHex};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use switchyard_core::amount::Sat;
use switchyard_core::node::htlc::{InvoiceState, PaymentState};
use switchyard_core::node::NodeError;
use switchyard_core::swap::api::{status as st, FailureDetails};
use switchyard_core::swap::check::{parse_key, CheckedSwap};
use switchyard_core::swap::musig::{CoopContext, Initiated};
use switchyard_core::swap::tree::{spend_info, SwapKind, TreeParams};
use switchyard_core::swap::tx::{build_sweep, revealed_preimage, LockupUtxo, SpendPath, Sweep};
use tokio::sync::watch;

/// A cooperative submarine claim waiting for the user's partial signature.
pub(crate) struct PendingClaim {
    pub init: Initiated,
    pub sweep: Sweep,
    pub ctx: CoopContext,
}

/// Why a worker stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WorkerError {
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("{0}")]
    Other(String),
}

impl From<NodeError> for WorkerError {
    fn from(e: NodeError) -> Self {
        WorkerError::Other(e.to_string())
    }
}

/// Follows the node's blocks into `tx` (reconnecting on errors).
pub(crate) async fn follow_blocks(p: Arc<Provider>, tx: watch::Sender<u32>) {
    loop {
        if let Ok(c) = p.client().await {
            if let Ok(mut blocks) = c.watch_blocks().await {
                while let Ok(Some(h)) = blocks.next().await {
                    tx.send_if_modified(|cur| {
                        let newer = h > *cur;
                        *cur = (*cur).max(h);
                        newer
                    });
                }
            }
            // Also poll, in case the stream lags.
            if let Ok(h) = c.height().await {
                tx.send_if_modified(|cur| {
                    let newer = h > *cur;
                    *cur = (*cur).max(h);
                    newer
                });
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The swap's terms as the provider sees them.
pub(crate) fn terms(
    p: &Provider,
    s: &ProviderSwap,
) -> Result<(CheckedSwap, TreeParams), WorkerError> {
    let user_key = parse_key(&s.user_key).map_err(|e| WorkerError::Other(e.to_string()))?;
    let hash: Vec<u8> =
        FromHex::from_hex(&s.payment_hash).map_err(|_| WorkerError::Other("bad hash".into()))?;
    let payment_hash: [u8; 32] = hash
        .try_into()
        .map_err(|_| WorkerError::Other("bad hash".into()))?;
    let c = CheckedSwap {
        kind: s.kind,
        id: s.id.clone(),
        provider_key: p.keys(s.key_index).public_key(),
        our_key: user_key,
        payment_hash,
        timeout_height: s.timeout_height,
        address: s.address.clone(),
        lockup_amount: Sat::from_sat(s.onchain_amount),
    };
    // CheckedSwap names the user "our"; the tree is the same from both sides.
    let params = c.tree_params();
    Ok((c, params))
}

pub(crate) fn coop_context(
    p: &Provider,
    s: &ProviderSwap,
) -> Result<(CoopContext, TreeParams, bitcoin::taproot::TaprootSpendInfo), WorkerError> {
    let (c, params) = terms(p, s)?;
    let secp = switchyard_core::keys::account::secp();
    let internal = switchyard_core::swap::tree::aggregate_key(&c.provider_key, &c.our_key)
        .map_err(|e| WorkerError::Other(e.to_string()))?;
    let spend = spend_info(secp, &params, internal);
    let ctx = CoopContext::new(&c.provider_key, &c.our_key, spend.merkle_root())
        .map_err(|e| WorkerError::Other(e.to_string()))?;
    Ok((ctx, params, spend))
}

fn lockup_script(
    s: &ProviderSwap,
    network: switchyard_core::Network,
) -> Result<bitcoin::ScriptBuf, WorkerError> {
    let a = bitcoin::Address::from_str(&s.address)
        .map_err(|e| WorkerError::Other(e.to_string()))?
        .require_network(network.to_bitcoin())
        .map_err(|e| WorkerError::Other(e.to_string()))?;
    Ok(a.script_pubkey())
}

fn utxo(l: &Lockup) -> Result<LockupUtxo, WorkerError> {
    Ok(LockupUtxo {
        outpoint: bitcoin::OutPoint::from_str(&l.outpoint)
            .map_err(|e| WorkerError::Other(e.to_string()))?,
        value: Sat::from_sat(l.value),
    })
}

async fn fee_rate(p: &Provider) -> u64 {
    match p.cfg.fee_rate {
        Some(r) => r,
        None => match p.client().await {
            Ok(c) => c.fee_rate(6).await.unwrap_or(2),
            Err(_) => 2,
        },
    }
}

/// Waits for a block or a wake-up, at most `limit`.
async fn wait(p: &Provider, id: &str, limit: Duration) {
    let mut h = p.height.clone();
    let n = p.notify(id);
    tokio::select! {
        _ = h.changed() => {}
        _ = n.notified() => {}
        _ = tokio::time::sleep(limit) => {}
    }
}

pub(crate) async fn run(p: Arc<Provider>, id: &str) -> Result<(), WorkerError> {
    loop {
        let Some(s) = p.db.get(id).await? else {
            return Ok(());
        };
        if s.is_final() {
            return Ok(());
        }
        let step = match s.kind {
            SwapKind::Submarine => submarine_step(&p, s).await,
            SwapKind::Reverse => reverse_step(&p, s).await,
        };
        if let Err(e) = step {
            // The node may be down or restarting: try again shortly.
            tracing::warn!(swap = %id, error = %e, "swap step failed; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Saves what this worker learnt (fields it sets) onto the stored swap,
/// with a new status if given; `s` becomes the stored swap.
async fn save(p: &Provider, s: &mut ProviderSwap, status: Option<&str>) -> Result<(), WorkerError> {
    let local = s.clone();
    let status = status.map(str::to_string);
    *s = p
        .modify(&local.id.clone(), move |x| {
            if let Some(st) = status {
                x.status = st;
            }
            if !local.lockup.is_empty() {
                x.lockup = local.lockup;
            }
            if local.lockup_hex.is_some() {
                x.lockup_hex = local.lockup_hex;
            }
            if local.preimage.is_some() {
                x.preimage = local.preimage;
            }
            if local.sweep_hex.is_some() {
                x.sweep_hex = local.sweep_hex;
            }
            if local.failure_reason.is_some() {
                x.failure_reason = local.failure_reason;
                x.failure_details = local.failure_details;
            }
        })
        .await?;
    Ok(())
}

async fn set_status(p: &Provider, s: &mut ProviderSwap, status: &str) -> Result<(), WorkerError> {
    save(p, s, Some(status)).await
}

// ---- submarine: the user locks, we pay, we claim ----

async fn submarine_step(p: &Arc<Provider>, mut s: ProviderSwap) -> Result<(), WorkerError> {
    let tip = p.tip();
    match s.status.as_str() {
        st::SWAP_CREATED | st::INVOICE_SET => {
            if tip >= s.timeout_height {
                return set_status(p, &mut s, st::SWAP_EXPIRED).await;
            }
            let script = lockup_script(&s, p.cfg.network)?;
            let c = p.client().await?;
            let mut conf = c
                .watch_confirmation(None, &script, 1, s.created_height)
                .await?;
            let mut h = p.height.clone();
            loop {
                tokio::select! {
                    r = conf.next(&script) => {
                        let Some(found) = r? else { return Ok(()) };
                        s.lockup = found
                            .outputs
                            .iter()
                            .map(|(o, v)| Lockup { outpoint: o.to_string(), value: v.to_sat() })
                            .collect();
                        s.lockup_hex = Some(bitcoin::consensus::serialize(&found.tx).to_lower_hex_string());
                        // The first output that pays at least the agreed amount goes first.
                        s.lockup.sort_by_key(|l| l.value < s.onchain_amount);
                        let best = s.lockup.first().map(|l| l.value).unwrap_or(0);
                        if best < s.onchain_amount {
                            s.failure_reason = Some(format!(
                                "the lockup pays {best} sats, less than the expected {} sats",
                                s.onchain_amount
                            ));
                            s.failure_details = Some(FailureDetails { expected: s.onchain_amount, actual: best });
                            return set_status(p, &mut s, st::LOCKUP_FAILED).await;
                        }
                        return set_status(p, &mut s, st::TRANSACTION_CONFIRMED).await;
                    }
                    _ = h.changed() => {
                        if *h.borrow() >= s.timeout_height {
                            return set_status(p, &mut s, st::SWAP_EXPIRED).await;
                        }
                    }
                }
            }
        }
        st::TRANSACTION_CONFIRMED => {
            let blocks_left = s.timeout_height.saturating_sub(tip);
            if p.cfg.faults.never_pay {
                if tip >= s.timeout_height {
                    return set_status(p, &mut s, st::SWAP_EXPIRED).await;
                }
                wait(p, &s.id, Duration::from_secs(5)).await;
                return Ok(());
            }
            if blocks_left <= p.cfg.payment_margin_blocks {
                s.failure_reason = Some("too close to the time lock to pay safely".into());
                return set_status(p, &mut s, st::INVOICE_FAILED_TO_PAY).await;
            }
            if !p.db.begin_payment(&s.id).await? {
                s.failure_reason =
                    Some("a cooperative refund was signed; the invoice is never paid".into());
                return set_status(p, &mut s, st::INVOICE_FAILED_TO_PAY).await;
            }
            set_status(p, &mut s, st::INVOICE_PENDING).await?;
            if p.cfg.faults.fail_payment {
                p.db.end_payment(&s.id, db::Payment::Failed).await?;
                s.failure_reason = Some("no route to the invoice's node (a test fault)".into());
                return set_status(p, &mut s, st::INVOICE_FAILED_TO_PAY).await;
            }
            let c = p.client().await?;
            let fee_limit = Sat::from_sat((s.invoice_amount / 100).max(10));
            let cltv_limit =
                i32::try_from(blocks_left - p.cfg.payment_margin_blocks).unwrap_or(i32::MAX);
            match c.start_payment(&s.invoice, fee_limit, cltv_limit, 60).await {
                Ok(_) => Ok(()),
                Err(e) => {
                    // LND refused it outright: nothing in flight.
                    p.db.end_payment(&s.id, db::Payment::Failed).await?;
                    s.failure_reason = Some(e.to_string());
                    set_status(p, &mut s, st::INVOICE_FAILED_TO_PAY).await
                }
            }
        }
        st::INVOICE_PENDING => {
            let c = p.client().await?;
            let hash: [u8; 32] = <[u8; 32]>::from_hex(&s.payment_hash)
                .map_err(|_| WorkerError::Other("bad hash".into()))?;
            match c.payment_state(&hash).await? {
                PaymentState::Succeeded(pre) => {
                    p.db.end_payment(&s.id, db::Payment::Succeeded).await?;
                    s.preimage = Some(pre.to_lower_hex_string());
                    set_status(p, &mut s, st::INVOICE_PAID).await
                }
                PaymentState::Failed(reason) if p.retry_payment(&s.id) => {
                    // The user's node may be restarting or failing over:
                    // try again after a while (the time lock is checked
                    // before each attempt; LND refuses a second payment of
                    // a hash while one is in flight or succeeded).
                    tracing::info!(swap = %s.id, %reason, "the invoice could not be paid; trying again");
                    p.db.end_payment(&s.id, db::Payment::None).await?;
                    wait(p, &s.id, p.cfg.payment_retry_wait).await;
                    set_status(p, &mut s, st::TRANSACTION_CONFIRMED).await
                }
                PaymentState::Failed(reason) => {
                    p.db.end_payment(&s.id, db::Payment::Failed).await?;
                    s.failure_reason = Some(format!("the invoice could not be paid: {reason}"));
                    set_status(p, &mut s, st::INVOICE_FAILED_TO_PAY).await
                }
                PaymentState::Unknown => {
                    // LND never took it (a crash between the two): try again.
                    p.db.end_payment(&s.id, db::Payment::None).await?;
                    set_status(p, &mut s, st::TRANSACTION_CONFIRMED).await
                }
                PaymentState::InFlight => {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Ok(())
                }
            }
        }
        st::INVOICE_PAID => set_status(p, &mut s, st::CLAIM_PENDING).await,
        st::CLAIM_PENDING => submarine_claim(p, s).await,
        _ => {
            wait(p, &s.id, Duration::from_secs(5)).await;
            Ok(())
        }
    }
}

/// The output a submarine claim takes: the first paying the agreed amount.
pub(crate) fn owed(s: &ProviderSwap) -> Option<&Lockup> {
    s.lockup.iter().find(|l| l.value >= s.onchain_amount)
}

async fn submarine_claim(p: &Arc<Provider>, mut s: ProviderSwap) -> Result<(), WorkerError> {
    let Some(owed) = owed(&s).cloned() else {
        return Err(WorkerError::Other("no lockup output to claim".into()));
    };
    if s.sweep_hex.is_none() {
        // Give the user a moment to co-sign (the key path is cheaper and
        // private); then claim alone with the preimage.
        let n = p.notify(&s.id);
        if !p.cfg.faults.refuse_cooperation {
            let _ = tokio::time::timeout(p.cfg.coop_claim_wait, n.notified()).await;
        }
        s = p.db.get(&s.id).await?.unwrap_or(s);
        if s.sweep_hex.is_none() {
            p.pending_claims.lock().await.remove(&s.id);
            let (_, params, spend) = coop_context(p, &s)?;
            let pre = s
                .preimage
                .as_deref()
                .and_then(|h| <[u8; 32]>::from_hex(h).ok())
                .ok_or_else(|| WorkerError::Other("claim without a preimage".into()))?;
            let c = p.client().await?;
            let dest = bitcoin::Address::from_str(&c.fresh_address().await?)
                .map_err(|e| WorkerError::Other(e.to_string()))?
                .assume_checked()
                .script_pubkey();
            let mut sweep = build_sweep(
                &[utxo(&owed)?],
                &params,
                &spend,
                &dest,
                fee_rate(p).await,
                SpendPath::ClaimScript,
            )
            .map_err(|e| WorkerError::Other(e.to_string()))?;
            let keys = p.keys(s.key_index);
            sweep
                .sign_claim_script(&params, &spend, keys.keypair(), &pre)
                .map_err(|e| WorkerError::Other(e.to_string()))?;
            s.sweep_hex = Some(bitcoin::consensus::serialize(&sweep.tx).to_lower_hex_string());
            save(p, &mut s, None).await?;
            tracing::info!(swap = %s.id, "claimed by the script path");
        }
    }
    // Broadcast (again) and wait for the spend to confirm.
    let tx: bitcoin::Transaction = bitcoin::consensus::deserialize(
        &Vec::<u8>::from_hex(s.sweep_hex.as_deref().unwrap_or_default())
            .map_err(|e| WorkerError::Other(e.to_string()))?,
    )
    .map_err(|e| WorkerError::Other(e.to_string()))?;
    let c = p.client().await?;
    c.publish(&tx, "swap claim").await?;
    let script = lockup_script(&s, p.cfg.network)?;
    let op = bitcoin::OutPoint::from_str(&owed.outpoint)
        .map_err(|e| WorkerError::Other(e.to_string()))?;
    let mut spend = c.watch_spend(op, &script, s.created_height).await?;
    let mut h = p.height.clone();
    loop {
        tokio::select! {
            r = spend.next() => {
                if r?.is_some() {
                    return set_status(p, &mut s, st::TRANSACTION_CLAIMED).await;
                }
                return Ok(());
            }
            _ = h.changed() => { let _ = c.publish(&tx, "swap claim").await; }
        }
    }
}

// ---- reverse: the user pays our hold invoice, we lock, the user claims ----

async fn reverse_step(p: &Arc<Provider>, mut s: ProviderSwap) -> Result<(), WorkerError> {
    let tip = p.tip();
    let hash: [u8; 32] =
        <[u8; 32]>::from_hex(&s.payment_hash).map_err(|_| WorkerError::Other("bad hash".into()))?;
    let c = p.client().await?;
    match s.status.as_str() {
        st::SWAP_CREATED => {
            match c.invoice_state(&hash).await? {
                Some(InvoiceState::Accepted) => {}
                Some(InvoiceState::Canceled) | None => {
                    return set_status(p, &mut s, st::INVOICE_EXPIRED).await;
                }
                Some(InvoiceState::Settled) => {
                    return set_status(p, &mut s, st::INVOICE_SETTLED).await;
                }
                Some(InvoiceState::Open) => {
                    if tip + 10 >= s.timeout_height {
                        c.cancel_invoice(&hash).await?;
                        return set_status(p, &mut s, st::INVOICE_EXPIRED).await;
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    return Ok(());
                }
            }
            // The HTLC is held: lock on chain (unless told to misbehave).
            if p.cfg.faults.never_lock || tip + 10 >= s.timeout_height {
                if tip + 10 >= s.timeout_height {
                    c.cancel_invoice(&hash).await?;
                    s.failure_reason = Some("the funds were never locked".into());
                    return set_status(p, &mut s, st::INVOICE_EXPIRED).await;
                }
                wait(p, &s.id, Duration::from_secs(5)).await;
                return Ok(());
            }
            let script = lockup_script(&s, p.cfg.network)?;
            // A crash after sending but before saving: find it in the wallet.
            let tx = match c.wallet_tx_paying(&script).await? {
                Some(tx) => tx,
                None => {
                    let amount = s.onchain_amount.saturating_sub(p.cfg.faults.lock_short_by);
                    c.send_to_script(
                        &script,
                        Sat::from_sat(amount),
                        fee_rate(p).await,
                        "swap lockup",
                    )
                    .await?
                }
            };
            let txid = tx.compute_txid();
            s.lockup = switchyard_core::swap::check::outputs_to(&tx, &script)
                .into_iter()
                .map(|(vout, v)| Lockup {
                    outpoint: format!("{txid}:{vout}"),
                    value: v.to_sat(),
                })
                .collect();
            s.lockup_hex = Some(bitcoin::consensus::serialize(&tx).to_lower_hex_string());
            set_status(p, &mut s, st::TRANSACTION_MEMPOOL).await
        }
        st::TRANSACTION_MEMPOOL | st::TRANSACTION_CONFIRMED => reverse_watch(p, s, hash).await,
        _ => {
            wait(p, &s.id, Duration::from_secs(5)).await;
            Ok(())
        }
    }
}

async fn reverse_watch(
    p: &Arc<Provider>,
    mut s: ProviderSwap,
    hash: [u8; 32],
) -> Result<(), WorkerError> {
    let c = p.client().await?;
    let script = lockup_script(&s, p.cfg.network)?;
    let Some(first) = s.lockup.first().cloned() else {
        return Err(WorkerError::Other("no lockup recorded".into()));
    };
    let op = bitcoin::OutPoint::from_str(&first.outpoint)
        .map_err(|e| WorkerError::Other(e.to_string()))?;
    let mut conf = c
        .watch_confirmation(Some(op.txid), &script, 1, s.created_height)
        .await?;
    let mut spend = c.watch_spend(op, &script, s.created_height).await?;
    let mut h = p.height.clone();
    let n = p.notify(&s.id);
    let mut confirmed = s.status == st::TRANSACTION_CONFIRMED;
    loop {
        if *h.borrow() >= s.timeout_height {
            return reverse_refund(p, s, hash).await;
        }
        tokio::select! {
            r = conf.next(&script), if !confirmed => {
                if r?.is_some() {
                    confirmed = true;
                    set_status(p, &mut s, st::TRANSACTION_CONFIRMED).await?;
                } else {
                    return Ok(());
                }
            }
            r = spend.next() => {
                let Some(spent) = r? else { return Ok(()) };
                if let Some(pre) = revealed_preimage(&spent.tx, &hash) {
                    c.settle_invoice(&pre).await?;
                    s.preimage = Some(pre.to_lower_hex_string());
                    return set_status(p, &mut s, st::INVOICE_SETTLED).await;
                }
                // Spent by the key path: a cooperative claim we co-signed,
                // which we do only after settling the invoice.
                if c.invoice_state(&hash).await? == Some(InvoiceState::Settled) {
                    return set_status(p, &mut s, st::INVOICE_SETTLED).await;
                }
                tracing::warn!(swap = %s.id, "lockup spent by the key path but the invoice is not settled");
                return Ok(());
            }
            _ = n.notified() => {
                if let Some(now) = p.db.get(&s.id).await? {
                    if now.is_final() { return Ok(()); }
                    s = now;
                }
            }
            _ = h.changed() => {}
        }
    }
}

async fn reverse_refund(
    p: &Arc<Provider>,
    mut s: ProviderSwap,
    hash: [u8; 32],
) -> Result<(), WorkerError> {
    let c = p.client().await?;
    let (_, params, spend) = coop_context(p, &s)?;
    let utxos = s.lockup.iter().map(utxo).collect::<Result<Vec<_>, _>>()?;
    let dest = bitcoin::Address::from_str(&c.fresh_address().await?)
        .map_err(|e| WorkerError::Other(e.to_string()))?
        .assume_checked()
        .script_pubkey();
    let tx = match s.sweep_hex.as_deref() {
        Some(h) => bitcoin::consensus::deserialize(
            &Vec::<u8>::from_hex(h).map_err(|e| WorkerError::Other(e.to_string()))?,
        )
        .map_err(|e| WorkerError::Other(e.to_string()))?,
        None => {
            let mut sweep = build_sweep(
                &utxos,
                &params,
                &spend,
                &dest,
                fee_rate(p).await,
                SpendPath::RefundScript,
            )
            .map_err(|e| WorkerError::Other(e.to_string()))?;
            let keys = p.keys(s.key_index);
            sweep
                .sign_refund_script(&params, &spend, keys.keypair())
                .map_err(|e| WorkerError::Other(e.to_string()))?;
            s.sweep_hex = Some(bitcoin::consensus::serialize(&sweep.tx).to_lower_hex_string());
            save(p, &mut s, None).await?;
            sweep.tx
        }
    };
    match c.publish(&tx, "swap refund").await {
        Ok(()) => {}
        Err(e) => {
            // The user's claim may have won: then the spend tells us the preimage.
            tracing::warn!(swap = %s.id, error = %e, "refund not accepted");
            let Some(first) = s.lockup.first() else {
                return Ok(());
            };
            let op = bitcoin::OutPoint::from_str(&first.outpoint)
                .map_err(|e| WorkerError::Other(e.to_string()))?;
            let script = lockup_script(&s, p.cfg.network)?;
            let mut spend = c.watch_spend(op, &script, s.created_height).await?;
            if let Ok(Ok(Some(spent))) =
                tokio::time::timeout(Duration::from_secs(5), spend.next()).await
            {
                if let Some(pre) = revealed_preimage(&spent.tx, &hash) {
                    c.settle_invoice(&pre).await?;
                    s.preimage = Some(pre.to_lower_hex_string());
                    return set_status(p, &mut s, st::INVOICE_SETTLED).await;
                }
            }
            return Err(WorkerError::Other(e.to_string()));
        }
    }
    let _ = c.cancel_invoice(&hash).await;
    s.failure_reason = Some("the swap expired; the lockup was refunded".into());
    set_status(p, &mut s, st::TRANSACTION_REFUNDED).await
}

/// Takes a swap's first lockup output's txid.
pub(crate) fn lockup_txid(s: &ProviderSwap) -> Option<bitcoin::Txid> {
    s.lockup
        .first()
        .and_then(|l| bitcoin::OutPoint::from_str(&l.outpoint).ok())
        .map(|o| o.txid)
}

/// `sha256` check, hex in.
pub(crate) fn preimage_matches(preimage_hex: &str, hash_hex: &str) -> Option<[u8; 32]> {
    let pre = <[u8; 32]>::from_hex(preimage_hex).ok()?;
    let h = bitcoin::hashes::sha256::Hash::hash(&pre).to_byte_array();
    (h.to_lower_hex_string() == hash_hex).then_some(pre)
}
