//! The HTTP and WebSocket API, Boltz's v2 paths and JSON (everything under
//! `/v2`; errors as `{"error": "…"}` with 400/404/409).

use crate::swap::{Lockup, ProviderSwap};
use crate::worker::{coop_context, owed, preimage_matches, PendingClaim};
use crate::{hash_hex, Provider};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bitcoin::hex::{DisplayHex, FromHex};
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;
use switchyard_core::amount::Sat;
use switchyard_core::node::invoice::decode_invoice;
use switchyard_core::swap::api::*;
use switchyard_core::swap::check::{parse_key, reverse_quote, submarine_quote};
use switchyard_core::swap::musig::{initiate, respond};
use switchyard_core::swap::tree::{lockup_address, tree_json, SwapKind, TreeParams};
use switchyard_core::swap::tx::{build_sweep, LockupUtxo, SpendPath};

type S = State<Arc<Provider>>;

/// An error answer.
pub(crate) struct ApiErr(StatusCode, String);

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody { error: self.1 })).into_response()
    }
}

fn bad(msg: impl Into<String>) -> ApiErr {
    ApiErr(StatusCode::BAD_REQUEST, msg.into())
}

fn internal(e: impl std::fmt::Display) -> ApiErr {
    tracing::error!(error = %e, "provider request failed");
    ApiErr(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

type R<T> = Result<T, ApiErr>;

pub(crate) fn router(p: Arc<Provider>) -> Router {
    Router::new()
        .route(
            "/v2/swap/submarine",
            get(submarine_pairs).post(create_submarine),
        )
        .route("/v2/swap/reverse", get(reverse_pairs).post(create_reverse))
        .route("/v2/swap/restore", post(restore))
        .route("/v2/swap/{id}", get(swap_status))
        .route(
            "/v2/swap/submarine/{id}/transaction",
            get(lockup_transaction),
        )
        .route("/v2/swap/reverse/{id}/transaction", get(lockup_transaction))
        .route(
            "/v2/swap/submarine/{id}/claim",
            get(claim_details).post(claim_signature),
        )
        .route("/v2/swap/submarine/{id}/refund", post(refund_signature))
        .route("/v2/swap/reverse/{id}/claim", post(reverse_claim))
        .route("/v2/chain/BTC/transaction", post(broadcast))
        .route("/v2/chain/BTC/height", get(height))
        .route("/v2/chain/heights", get(heights))
        .route("/v2/ws", get(ws))
        .with_state(p)
}

fn pair_hash(v: &impl serde::Serialize) -> String {
    hash_hex(serde_json::to_string(v).unwrap_or_default().as_bytes())
}

pub(crate) fn submarine_pair(p: &Provider) -> SubmarinePair {
    let mut pair = SubmarinePair {
        hash: String::new(),
        rate: 1.0,
        limits: SubmarineLimits {
            maximal: p.cfg.max_sat,
            minimal: p.cfg.min_sat,
            maximal_zero_conf: 0,
        },
        fees: SubmarineFees {
            percentage: p.cfg.submarine_percentage,
            miner_fees: p.cfg.submarine_miner_fee,
        },
    };
    pair.hash = pair_hash(&pair);
    pair
}

pub(crate) fn reverse_pair(p: &Provider) -> ReversePair {
    let mut pair = ReversePair {
        hash: String::new(),
        rate: 1.0,
        limits: ReverseLimits {
            maximal: p.cfg.max_sat,
            minimal: p.cfg.min_sat,
        },
        fees: ReverseFees {
            percentage: p.cfg.reverse_percentage,
            miner_fees: ReverseMinerFees {
                lockup: p.cfg.reverse_lockup_fee,
                claim: p.cfg.reverse_claim_fee,
            },
        },
    };
    pair.hash = pair_hash(&pair);
    pair
}

fn pairs<P>(pair: P) -> Pairs<P> {
    let mut m = Pairs::new();
    m.entry(BTC.to_string())
        .or_default()
        .insert(BTC.to_string(), pair);
    // Boltz also lists Liquid; clients that expect the key get it, empty.
    m.entry("L-BTC".to_string()).or_default();
    m
}

async fn submarine_pairs(State(p): S) -> Json<Pairs<SubmarinePair>> {
    Json(pairs(submarine_pair(&p)))
}

async fn reverse_pairs(State(p): S) -> Json<Pairs<ReversePair>> {
    Json(pairs(reverse_pair(&p)))
}

fn new_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

fn check_pair(from: &str, to: &str, hash: Option<&str>, current: &str) -> R<()> {
    if from != BTC || to != BTC {
        return Err(bad(format!("could not find pair with id: {from}/{to}")));
    }
    if let Some(h) = hash {
        if h != current {
            return Err(bad("invalid pair hash"));
        }
    }
    Ok(())
}

/// The same request again answers with the same swap; another request for
/// a hash in use is refused (409).
async fn existing(p: &Provider, hash: &str, request: &str) -> R<Option<Response>> {
    let Some(s) = p.db.by_hash(hash).await.map_err(internal)? else {
        return Ok(None);
    };
    if s.request_json == request {
        // The very bytes of the first answer.
        return Ok(Some(
            (
                StatusCode::CREATED,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                s.response_json,
            )
                .into_response(),
        ));
    }
    Err(ApiErr(
        StatusCode::CONFLICT,
        "a swap with this preimage hash exists already".into(),
    ))
}

fn address(
    p: &Provider,
    params: &TreeParams,
    provider: &bitcoin::secp256k1::PublicKey,
    user: &bitcoin::secp256k1::PublicKey,
) -> R<String> {
    lockup_address(
        switchyard_core::keys::account::secp(),
        p.cfg.network.to_bitcoin(),
        params,
        provider,
        user,
    )
    .map(|a| a.to_string())
    .map_err(|_| bad("invalid public key"))
}

async fn create_submarine(State(p): S, Json(req): Json<CreateSubmarineRequest>) -> R<Response> {
    let pair = submarine_pair(&p);
    check_pair(&req.from, &req.to, req.pair_hash.as_deref(), &pair.hash)?;
    let Some(invoice) = req.invoice.clone() else {
        return Err(bad(
            "an invoice is required (swaps with only a preimage hash are not supported here)",
        ));
    };
    let decoded = decode_invoice(&invoice, p.cfg.network).map_err(|e| bad(e.to_string()))?;
    let user_key =
        parse_key(&req.refund_public_key).map_err(|_| bad("invalid refund public key"))?;
    let msat = decoded
        .amount_msat
        .ok_or_else(|| bad("the invoice has no amount"))?
        .to_msat();
    if msat % 1000 != 0 {
        return Err(bad("the invoice's amount must be whole sats"));
    }
    // The payment must reach the payee with the invoice's final CLTV delta
    // and still end `payment_margin_blocks` before the time lock: refused
    // now, not found out after the user locked funds.
    let room = p
        .cfg
        .submarine_timeout_blocks
        .saturating_sub(p.cfg.payment_margin_blocks);
    if decoded.min_final_cltv_expiry_delta >= room {
        return Err(bad(format!(
            "the invoice's final CLTV expiry delta of {} blocks is too long for this provider's time lock of {} blocks: make the invoice with a delta below {room}",
            decoded.min_final_cltv_expiry_delta, p.cfg.submarine_timeout_blocks
        )));
    }
    let request = serde_json::to_string(&req).map_err(internal)?;
    let _guard = p.create_lock.lock().await;
    if let Some(r) = existing(&p, &decoded.payment_hash, &request).await? {
        return Ok(r);
    }
    let quote =
        submarine_quote(&pair, Sat::from_sat(msat / 1000)).map_err(|e| bad(e.to_string()))?;
    let index = p.db.take_key_index().await.map_err(internal)?;
    let keys = p.keys(index);
    let tip = p.tip();
    let timeout = tip + p.cfg.submarine_timeout_blocks;
    let hash: [u8; 32] =
        <[u8; 32]>::from_hex(&decoded.payment_hash).map_err(|_| bad("invalid payment hash"))?;
    let params = TreeParams {
        kind: SwapKind::Submarine,
        payment_hash: hash,
        claim_key: keys.public_key().x_only_public_key().0,
        refund_key: user_key.x_only_public_key().0,
        timeout_height: timeout,
    };
    let mut addr = address(&p, &params, &keys.public_key(), &user_key)?;
    if p.cfg.faults.wrong_address {
        // The provider's own key in the refund leaf too: funds it alone could take.
        let mut evil = params;
        evil.refund_key = keys.public_key().x_only_public_key().0;
        addr = address(&p, &evil, &keys.public_key(), &user_key)?;
    }
    let expected = quote.onchain.to_sat();
    let id = new_id();
    let resp = CreateSubmarineResponse {
        id: id.clone(),
        bip21: Some(format!(
            "bitcoin:{addr}?amount={}",
            bitcoin::Amount::from_sat(expected).to_btc()
        )),
        address: addr.clone(),
        swap_tree: tree_json(&params),
        claim_public_key: keys.public_key().serialize().to_lower_hex_string(),
        timeout_block_height: timeout,
        accept_zero_conf: false,
        expected_amount: expected,
        referral_id: None,
    };
    let s = ProviderSwap {
        id: id.clone(),
        kind: SwapKind::Submarine,
        // Boltz's first status for a submarine swap created with its
        // invoice (`swap.created` is for one still waiting for an invoice).
        status: status::INVOICE_SET.into(),
        payment_hash: decoded.payment_hash.clone(),
        key_index: index,
        user_key: user_key.serialize().to_lower_hex_string(),
        timeout_height: timeout,
        created_height: tip,
        address: addr,
        invoice,
        invoice_amount: msat / 1000,
        onchain_amount: expected,
        request_json: request,
        response_json: serde_json::to_string(&resp).map_err(internal)?,
        lockup: Vec::new(),
        lockup_hex: None,
        preimage: None,
        sweep_hex: None,
        failure_reason: None,
        failure_details: None,
    };
    p.db.insert(&s).await.map_err(internal)?;
    p.spawn_worker(id);
    Ok((StatusCode::CREATED, Json(resp)).into_response())
}

async fn create_reverse(State(p): S, Json(req): Json<CreateReverseRequest>) -> R<Response> {
    let pair = reverse_pair(&p);
    check_pair(&req.from, &req.to, req.pair_hash.as_deref(), &pair.hash)?;
    let Some(amount) = req.invoice_amount else {
        return Err(bad("invoiceAmount is required"));
    };
    let user_key = parse_key(&req.claim_public_key).map_err(|_| bad("invalid claim public key"))?;
    let hash: [u8; 32] =
        <[u8; 32]>::from_hex(&req.preimage_hash).map_err(|_| bad("invalid preimage hash"))?;
    let hash_hex = hash.to_lower_hex_string();
    let request = serde_json::to_string(&req).map_err(internal)?;
    let _guard = p.create_lock.lock().await;
    if let Some(r) = existing(&p, &hash_hex, &request).await? {
        return Ok(r);
    }
    let quote = reverse_quote(&pair, Sat::from_sat(amount)).map_err(|e| bad(e.to_string()))?;
    let index = p.db.take_key_index().await.map_err(internal)?;
    let keys = p.keys(index);
    let tip = p.tip();
    let timeout = tip + p.cfg.reverse_timeout_blocks;
    let params = TreeParams {
        kind: SwapKind::Reverse,
        payment_hash: hash,
        claim_key: user_key.x_only_public_key().0,
        refund_key: keys.public_key().x_only_public_key().0,
        timeout_height: timeout,
    };
    let addr = address(&p, &params, &keys.public_key(), &user_key)?;
    let c = p.client().await.map_err(internal)?;
    // The payer's HTLC must outlive our time lock, so that a preimage
    // learnt from the chain up to the last block can still settle it.
    let cltv = u64::from(p.cfg.reverse_timeout_blocks) + 15;
    let invoice = c
        .add_hold_invoice(
            &hash,
            Sat::from_sat(amount),
            req.description.as_deref().unwrap_or("Switchyard swap"),
            3600,
            cltv,
        )
        .await
        .map_err(|e| bad(e.to_string()))?;
    let id = new_id();
    let resp = CreateReverseResponse {
        id: id.clone(),
        invoice: invoice.clone(),
        swap_tree: tree_json(&params),
        lockup_address: addr.clone(),
        refund_public_key: keys.public_key().serialize().to_lower_hex_string(),
        timeout_block_height: timeout,
        onchain_amount: quote.onchain.to_sat(),
    };
    let s = ProviderSwap {
        id: id.clone(),
        kind: SwapKind::Reverse,
        status: status::SWAP_CREATED.into(),
        payment_hash: hash_hex,
        key_index: index,
        user_key: user_key.serialize().to_lower_hex_string(),
        timeout_height: timeout,
        created_height: tip,
        address: addr,
        invoice,
        invoice_amount: amount,
        onchain_amount: quote.onchain.to_sat(),
        request_json: request,
        response_json: serde_json::to_string(&resp).map_err(internal)?,
        lockup: Vec::new(),
        lockup_hex: None,
        preimage: None,
        sweep_hex: None,
        failure_reason: None,
        failure_details: None,
    };
    p.db.insert(&s).await.map_err(internal)?;
    p.spawn_worker(id);
    Ok((StatusCode::CREATED, Json(resp)).into_response())
}

async fn load(p: &Provider, id: &str) -> R<ProviderSwap> {
    p.db.get(id).await.map_err(internal)?.ok_or_else(|| {
        ApiErr(
            StatusCode::NOT_FOUND,
            format!("could not find swap with id: {id}"),
        )
    })
}

async fn swap_status(State(p): S, Path(id): Path<String>) -> R<Json<SwapStatus>> {
    Ok(Json(load(&p, &id).await?.status_view(false)))
}

async fn lockup_transaction(State(p): S, Path(id): Path<String>) -> R<Json<LockupTransaction>> {
    let s = load(&p, &id).await?;
    match (&s.lockup_hex, crate::worker::lockup_txid(&s)) {
        (Some(hex), Some(txid)) => Ok(Json(LockupTransaction {
            id: txid.to_string(),
            hex: hex.clone(),
            timeout_block_height: Some(s.timeout_height),
        })),
        _ => Err(bad("no lockup transaction yet")),
    }
}

async fn claim_details(State(p): S, Path(id): Path<String>) -> R<Json<SubmarineClaimDetails>> {
    let s = load(&p, &id).await?;
    if p.cfg.faults.refuse_cooperation {
        return Err(bad("cooperative claims are disabled"));
    }
    let eligible = matches!(
        s.status.as_str(),
        status::INVOICE_PAID | status::CLAIM_PENDING
    ) && s.sweep_hex.is_none();
    let (Some(pre), Some(out), true) = (s.preimage.clone(), owed(&s).cloned(), eligible) else {
        return Err(bad("swap not eligible for a cooperative claim"));
    };
    let (ctx, params, spend) = coop_context(&p, &s).map_err(internal)?;
    let c = p.client().await.map_err(internal)?;
    let dest = bitcoin::Address::from_str(&c.fresh_address().await.map_err(internal)?)
        .map_err(internal)?
        .assume_checked()
        .script_pubkey();
    let rate = match p.cfg.fee_rate {
        Some(r) => r,
        None => c.fee_rate(6).await.unwrap_or(2),
    };
    let utxo = LockupUtxo {
        outpoint: bitcoin::OutPoint::from_str(&out.outpoint).map_err(internal)?,
        value: Sat::from_sat(out.value),
    };
    let sweep = build_sweep(
        &[utxo],
        &params,
        &spend,
        &dest,
        rate,
        SpendPath::Cooperative,
    )
    .map_err(internal)?;
    let msg = sweep.key_spend_sighash(0).map_err(internal)?;
    let keys = p.keys(s.key_index);
    let init = initiate(&ctx, keys.keypair(), msg, fresh_rand()).map_err(internal)?;
    let details = SubmarineClaimDetails {
        preimage: pre,
        pub_nonce: init.public_nonce().to_lower_hex_string(),
        public_key: keys.public_key().serialize().to_lower_hex_string(),
        transaction_hash: msg.to_lower_hex_string(),
    };
    p.pending_claims
        .lock()
        .await
        .insert(id, PendingClaim { init, sweep, ctx });
    Ok(Json(details))
}

fn fresh_rand() -> [u8; 32] {
    let mut r = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut r);
    r
}

fn hex_bytes(h: &str, what: &str) -> R<Vec<u8>> {
    Vec::<u8>::from_hex(h).map_err(|_| bad(format!("{what} is not hex")))
}

async fn claim_signature(
    State(p): S,
    Path(id): Path<String>,
    Json(sig): Json<PartialSignature>,
) -> R<Json<serde_json::Value>> {
    let s = load(&p, &id).await?;
    let Some(pending) = p.pending_claims.lock().await.remove(&id) else {
        return Err(bad(
            "no cooperative claim is pending for this swap: ask for its details first",
        ));
    };
    let keys = p.keys(s.key_index);
    let nonce = hex_bytes(&sig.pub_nonce, "pubNonce")?;
    let partial = hex_bytes(&sig.partial_signature, "partialSignature")?;
    let PendingClaim {
        init,
        mut sweep,
        ctx,
    } = pending;
    let final_sig = init
        .finish(&ctx, keys.keypair(), &nonce, &partial)
        .map_err(|e| bad(e.to_string()))?;
    sweep.set_key_spend(0, &final_sig).map_err(internal)?;
    let c = p.client().await.map_err(internal)?;
    c.publish(&sweep.tx, "swap claim").await.map_err(internal)?;
    let hex = bitcoin::consensus::serialize(&sweep.tx).to_lower_hex_string();
    p.modify(&id, |x| x.sweep_hex = Some(hex))
        .await
        .map_err(internal)?;
    p.notify(&id).notify_one();
    tracing::info!(swap = %id, "claimed cooperatively");
    Ok(Json(serde_json::json!({})))
}

/// The sighash of `index` in `tx`, whose inputs must all be this swap's
/// lockup outputs.
fn lockup_sighash(
    p: &Provider,
    s: &ProviderSwap,
    tx: &bitcoin::Transaction,
    index: u32,
) -> R<[u8; 32]> {
    let script = bitcoin::Address::from_str(&s.address)
        .map_err(internal)?
        .assume_checked()
        .script_pubkey();
    let _ = p;
    let prevouts = tx
        .input
        .iter()
        .map(|i| {
            let op = i.previous_output.to_string();
            s.lockup
                .iter()
                .find(|l: &&Lockup| l.outpoint == op)
                .map(|l| bitcoin::TxOut {
                    value: bitcoin::Amount::from_sat(l.value),
                    script_pubkey: script.clone(),
                })
                .ok_or_else(|| {
                    bad(format!(
                        "the transaction spends {op}, which is not a lockup output of this swap"
                    ))
                })
        })
        .collect::<R<Vec<_>>>()?;
    let idx = usize::try_from(index).map_err(|_| bad("index out of range"))?;
    if idx >= tx.input.len() {
        return Err(bad("index out of range"));
    }
    let mut cache = SighashCache::new(tx);
    let h = cache
        .taproot_key_spend_signature_hash(idx, &Prevouts::All(&prevouts), TapSighashType::Default)
        .map_err(|e| bad(e.to_string()))?;
    Ok(*h.as_ref())
}

fn parse_tx(hex: &str) -> R<bitcoin::Transaction> {
    bitcoin::consensus::deserialize(&hex_bytes(hex, "transaction")?)
        .map_err(|_| bad("the transaction does not decode"))
}

async fn refund_signature(
    State(p): S,
    Path(id): Path<String>,
    Json(req): Json<RefundRequest>,
) -> R<Json<PartialSignature>> {
    let s = load(&p, &id).await?;
    if s.kind != SwapKind::Submarine {
        return Err(bad("not a submarine swap"));
    }
    if p.cfg.faults.refuse_cooperation {
        return Err(bad("cooperative refunds are disabled"));
    }
    let failed = matches!(
        s.status.as_str(),
        status::INVOICE_FAILED_TO_PAY | status::LOCKUP_FAILED | status::SWAP_EXPIRED
    );
    if !failed {
        return Err(bad("swap not eligible for a cooperative refund"));
    }
    let tx = parse_tx(&req.transaction)?;
    let msg = lockup_sighash(&p, &s, &tx, req.index)?;
    let nonce = hex_bytes(&req.pub_nonce, "pubNonce")?;
    // The one decision that excludes paying the invoice ever after.
    if !p.db.allow_refund(&id).await.map_err(internal)? {
        return Err(bad(
            "a payment for this swap is in flight or done: no refund",
        ));
    }
    let (ctx, _, _) = coop_context(&p, &s).map_err(internal)?;
    let keys = p.keys(s.key_index);
    let r =
        respond(&ctx, keys.keypair(), &nonce, msg, fresh_rand()).map_err(|e| bad(e.to_string()))?;
    tracing::info!(swap = %id, "signed a cooperative refund");
    Ok(Json(PartialSignature {
        pub_nonce: r.public_nonce.to_lower_hex_string(),
        partial_signature: r.partial_signature.to_lower_hex_string(),
    }))
}

async fn reverse_claim(
    State(p): S,
    Path(id): Path<String>,
    Json(req): Json<ReverseClaimRequest>,
) -> R<Json<PartialSignature>> {
    let mut s = load(&p, &id).await?;
    if s.kind != SwapKind::Reverse {
        return Err(bad("not a reverse swap"));
    }
    let Some(pre) = preimage_matches(&req.preimage, &s.payment_hash) else {
        return Err(bad("invalid preimage"));
    };
    if p.cfg.faults.refuse_cooperation {
        return Err(bad("cooperative claims are disabled"));
    }
    if s.lockup.is_empty() {
        return Err(bad("no lockup transaction yet"));
    }
    let tx = parse_tx(&req.transaction)?;
    let msg = lockup_sighash(&p, &s, &tx, req.index)?;
    let nonce = hex_bytes(&req.pub_nonce, "pubNonce")?;
    // Settle first: we are paid before we sign anything.
    if s.status != status::INVOICE_SETTLED {
        let c = p.client().await.map_err(internal)?;
        c.settle_invoice(&pre).await.map_err(internal)?;
        let preimage = req.preimage.clone();
        s = p
            .modify(&id, |x| {
                x.preimage = Some(preimage);
                x.status = status::INVOICE_SETTLED.into();
            })
            .await
            .map_err(internal)?;
        p.notify(&id).notify_one();
    }
    let (ctx, _, _) = coop_context(&p, &s).map_err(internal)?;
    let keys = p.keys(s.key_index);
    let r =
        respond(&ctx, keys.keypair(), &nonce, msg, fresh_rand()).map_err(|e| bad(e.to_string()))?;
    Ok(Json(PartialSignature {
        pub_nonce: r.public_nonce.to_lower_hex_string(),
        partial_signature: r.partial_signature.to_lower_hex_string(),
    }))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RestoreRequest {
    #[serde(default)]
    public_keys: Option<Vec<String>>,
    #[serde(default)]
    xpub: Option<String>,
}

async fn restore(State(p): S, Json(req): Json<RestoreRequest>) -> R<Json<Vec<serde_json::Value>>> {
    let keys = match (req.public_keys, req.xpub) {
        (Some(k), _) => k,
        (None, Some(_)) => {
            return Err(bad("this provider finds swaps by their public keys (send publicKeys); keys derived on hardened paths have no xpub"))
        }
        (None, None) => return Err(bad("send publicKeys")),
    };
    if keys.len() > 10_000 {
        return Err(bad("at most 10000 keys per request"));
    }
    let swaps = p.db.by_user_keys(&keys).await.map_err(internal)?;
    let out = swaps
        .iter()
        .map(|s| {
            serde_json::json!({
                "id": s.id,
                "type": s.kind_str(),
                "status": s.status,
                "from": BTC,
                "to": BTC,
                "createdAt": s.created_height,
                "createRequest": serde_json::from_str::<serde_json::Value>(&s.request_json).unwrap_or_default(),
                "createResponse": serde_json::from_str::<serde_json::Value>(&s.response_json).unwrap_or_default(),
                "transaction": crate::worker::lockup_txid(s).map(|t| t.to_string()),
            })
        })
        .collect();
    Ok(Json(out))
}

async fn broadcast(State(p): S, Json(req): Json<TransactionHex>) -> R<Json<TransactionId>> {
    let tx = parse_tx(&req.hex)?;
    let c = p.client().await.map_err(internal)?;
    c.publish(&tx, "broadcast for a client")
        .await
        .map_err(|e| bad(e.to_string()))?;
    Ok(Json(TransactionId {
        id: tx.compute_txid().to_string(),
    }))
}

async fn height(State(p): S) -> Json<u32> {
    Json(p.tip())
}

async fn heights(State(p): S) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "BTC": p.tip(), "L-BTC": 0 }))
}

async fn ws(State(p): S, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| websocket(p, socket))
}

fn now_ms() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis().to_string())
        .unwrap_or_default()
}

async fn websocket(p: Arc<Provider>, mut socket: WebSocket) {
    let mut updates = p.updates.subscribe();
    let mut subscribed: HashSet<String> = HashSet::new();
    loop {
        tokio::select! {
            msg = socket.recv() => {
                let Some(Ok(msg)) = msg else { return };
                let text = match msg {
                    Message::Text(t) => t.to_string(),
                    Message::Close(_) => return,
                    _ => continue,
                };
                let reply = match serde_json::from_str::<WsRequest>(&text) {
                    Ok(r) if r.op == "ping" => vec![WsMessage { event: "pong".into(), channel: None, args: None, timestamp: Some(now_ms()), reason: None }],
                    Ok(r) if r.op == "subscribe" && r.channel.as_deref() == Some("swap.update") => {
                        let ids = r.args.unwrap_or_default();
                        let mut out = vec![WsMessage {
                            event: "subscribe".into(),
                            channel: Some("swap.update".into()),
                            args: Some(serde_json::json!(ids)),
                            timestamp: Some(now_ms()),
                            reason: None,
                        }];
                        let mut current = Vec::new();
                        for id in &ids {
                            subscribed.insert(id.clone());
                            if let Ok(Some(s)) = p.db.get(id).await {
                                current.push(s.status_view(true));
                            }
                        }
                        if !current.is_empty() {
                            out.push(WsMessage {
                                event: "update".into(),
                                channel: Some("swap.update".into()),
                                args: Some(serde_json::to_value(current).unwrap_or_default()),
                                timestamp: Some(now_ms()),
                                reason: None,
                            });
                        }
                        out
                    }
                    Ok(r) if r.op == "unsubscribe" => {
                        for id in r.args.clone().unwrap_or_default() {
                            subscribed.remove(&id);
                        }
                        vec![WsMessage { event: "unsubscribe".into(), channel: r.channel, args: Some(serde_json::json!(r.args)), timestamp: Some(now_ms()), reason: None }]
                    }
                    _ => vec![WsMessage { event: "error".into(), channel: None, args: None, timestamp: Some(now_ms()), reason: Some("unknown request".into()) }],
                };
                for m in reply {
                    let Ok(t) = serde_json::to_string(&m) else { continue };
                    if socket.send(Message::Text(t.into())).await.is_err() {
                        return;
                    }
                }
            }
            u = updates.recv() => {
                let u = match u {
                    Ok(u) => u,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                };
                if !u.id.as_ref().is_some_and(|id| subscribed.contains(id)) {
                    continue;
                }
                let m = WsMessage {
                    event: "update".into(),
                    channel: Some("swap.update".into()),
                    args: Some(serde_json::json!([u])),
                    timestamp: Some(now_ms()),
                    reason: None,
                };
                let Ok(t) = serde_json::to_string(&m) else { continue };
                if socket.send(Message::Text(t.into())).await.is_err() {
                    return;
                }
            }
        }
    }
}
