//! The swap engine: creates swaps with a provider and drives each one to
//! its end, whatever the provider, the chain or a crash does.
//!
//! For each swap a driver task folds events into the pure state machine
//! ([`crate::swap::machine`]): blocks and outputs at the lockup address from
//! LND's chain notifier, spends of those outputs, the node's view of the
//! Lightning leg (our invoice, our payment), and the provider's status (over
//! the WebSocket, polled as a fallback; kept apart, a prompt only). Each
//! event is stored with the state it leads to, in one transaction, before
//! the actions it calls for run; a signed claim or refund is stored before
//! it is broadcast and rebroadcast as is. On start every unfinished swap is
//! resumed from the database and the chain.

use super::client::{BoltzClient, ProviderApiError};
use super::view::{FundedSwap, QuoteView, SwapView};
use crate::amount::Sat;
use crate::audit::Record;
use crate::node::htlc::{InvoiceState, PaymentState};
use crate::node::{Connection, LndClient, NodeError};
use crate::store::{NewSwap, StateColumns, Store, StoreError, SwapRow};
use crate::swap::api::*;
use crate::swap::check::{self, CheckError, CheckedSwap, SwapQuote};
use crate::swap::funding::{check_funding, read_funding, FundingError};
use crate::swap::keys::SwapSecrets;
use crate::swap::machine::{Action, Event, OurSweep, Spender, SwapState, SweepKind, Terms};
use crate::swap::musig::{initiate, respond, CoopContext};
use crate::swap::tree::{aggregate_key, spend_info, SwapKind, TreeParams};
use crate::swap::tx::{
    build_sweep, revealed_preimage, with_preimage, without_preimage, LockupUtxo, SpendPath, Sweep,
};
use crate::wallet::{WalletError, WalletService};
use crate::Network;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::hex::{DisplayHex, FromHex};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use switchyard_pure::audit::Kind;
use tokio::sync::{broadcast, mpsc, Mutex};

/// The engine's safety margins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineConfig {
    /// Never reveal a preimage within this many blocks of the time lock.
    pub reveal_margin: u32,
    /// Warn this many blocks before a time lock.
    pub warn_blocks: u32,
    /// Bump a claim/refund unconfirmed for this many blocks.
    pub bump_after: u32,
    /// Confirmations of the provider's lockup before we claim.
    pub min_confirmations: u32,
    /// How often the node and the provider are asked when nothing arrives.
    pub poll: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            reveal_margin: 20,
            warn_blocks: 36,
            bump_after: 6,
            min_confirmations: 1,
            poll: Duration::from_secs(2),
        }
    }
}

/// What the user asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapRequest {
    /// The wallet (id or name) whose seed holds the swap key.
    pub wallet: String,
    /// The provider's URL.
    pub provider: String,
    /// The Lightning amount, sats.
    pub amount: Sat,
    /// The most the user agreed to pay in fees (provider's and miners'), sats.
    pub max_fee: Sat,
    /// Swap in only: the user funds the lockup from another wallet (pays the
    /// address, or brings a signed PSBT to [`SwapEngine::fund`]); the
    /// node's wallet never sends it.
    #[serde(default)]
    pub external_funding: bool,
}

/// Why a swap could not be made or driven.
#[derive(Debug, thiserror::Error)]
pub enum SwapError {
    /// Talking to the provider.
    #[error(transparent)]
    Provider(#[from] ProviderApiError),
    /// The provider's terms or answer.
    #[error(transparent)]
    Check(#[from] CheckError),
    /// The node.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The wallet.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// Fees above the user's limit.
    #[error("this swap costs {fee} sats in fees, more than your limit of {limit} sats: nothing was done")]
    FeeAboveLimit {
        /// The swap's fees.
        fee: u64,
        /// The limit.
        limit: u64,
    },
    /// The provider does not offer BTC/BTC.
    #[error("the provider offers no BTC/BTC {0} swaps")]
    NoPair(&'static str),
    /// No such swap.
    #[error("no swap {0} here")]
    NotFound(String),
    /// The node is on another network than the wallet.
    #[error("the node is on {node}, the wallet on {wallet}")]
    WrongNetwork {
        /// The node's.
        node: Network,
        /// The wallet's.
        wallet: Network,
    },
    /// Something stored that cannot be read back.
    #[error("swap {0}: stored data cannot be read back")]
    Corrupt(String),
    /// No provider given or remembered.
    #[error("No swap provider is set: enter its address (on regtest, `switchyard regtest up` starts one on carol and sets it).")]
    NoProvider,
    /// No wallet to hold the swap keys, or several.
    #[error("{0}")]
    NoWallet(&'static str),
    /// A lockup from another wallet that does not fit the swap.
    #[error(transparent)]
    Funding(#[from] FundingError),
    /// The swap cannot take a lockup now.
    #[error("This swap cannot be funded: {0}.")]
    NotFundable(String),
}

/// The setting that remembers the provider last used (`regtest up` sets
/// the one it starts).
pub const PROVIDER_SETTING: &str = "swap.provider";

/// What a rescue found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct RescueReport {
    /// Key indexes scanned.
    #[ts(type = "number")]
    pub scanned: u32,
    /// Swaps the provider knew for our keys.
    pub found: Vec<String>,
    /// Swaps added to this data directory (and now driven to their end).
    pub restored: Vec<String>,
    /// Swaps already here.
    pub known: Vec<String>,
    /// Swaps whose provider data failed our checks (not touched).
    pub refused: Vec<String>,
}

struct Inner {
    store: Store,
    wallets: WalletService,
    conn: Arc<Connection>,
    cfg: EngineConfig,
    running: Mutex<HashSet<String>>,
    updates: broadcast::Sender<String>,
    stop: tokio::sync::watch::Sender<bool>,
}

/// The swap engine (cheap to clone).
#[derive(Clone)]
pub struct SwapEngine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SwapEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwapEngine")
            .field("cfg", &self.inner.cfg)
            .finish_non_exhaustive()
    }
}

fn hex32(h: &str) -> Result<[u8; 32], SwapError> {
    <[u8; 32]>::from_hex(h).map_err(|_| SwapError::Corrupt(h.to_string()))
}

fn kind_str(k: SwapKind) -> &'static str {
    match k {
        SwapKind::Submarine => "submarine",
        SwapKind::Reverse => "reverse",
    }
}

/// The final CLTV delta of a swap in's invoice. The provider pays it only
/// with a route whose time lock ends before its on-chain one (minus a
/// margin); a short final delta leaves it room (LND's default, 80, would
/// not fit a short time lock).
pub const SUBMARINE_INVOICE_CLTV: u64 = 40;

/// A reasonable vsize for our own transaction (a taproot lockup with one
/// input and change; a one-input claim), to show its fee in the quote.
const OUR_TX_VBYTES: u64 = 154;

impl SwapEngine {
    /// An engine over the data directory's store, its wallets and a node.
    pub fn new(
        store: Store,
        wallets: WalletService,
        conn: Arc<Connection>,
        cfg: EngineConfig,
    ) -> SwapEngine {
        let (updates, _) = broadcast::channel(256);
        let (stop, _) = tokio::sync::watch::channel(false);
        SwapEngine {
            inner: Arc::new(Inner {
                store,
                wallets,
                conn,
                cfg,
                running: Mutex::new(HashSet::new()),
                updates,
                stop,
            }),
        }
    }

    /// The provider to use: `given` (then remembered), else the one
    /// remembered.
    pub async fn provider(&self, given: Option<&str>) -> Result<String, SwapError> {
        if let Some(p) = given.map(str::trim).filter(|p| !p.is_empty()) {
            super::client::api_base(p)?;
            self.inner.store.set_setting(PROVIDER_SETTING, p).await?;
            return Ok(p.to_string());
        }
        self.inner
            .store
            .setting(PROVIDER_SETTING)
            .await?
            .ok_or(SwapError::NoProvider)
    }

    /// The wallet whose seed holds swap keys: `given`, else the only one
    /// with words on the node's network (a watch-only wallet has none).
    pub async fn wallet(&self, given: Option<&str>) -> Result<String, SwapError> {
        if let Some(w) = given.filter(|w| !w.is_empty()) {
            let w = self.inner.wallets.resolve(w).await?;
            if w.watch_only {
                return Err(SwapError::NoWallet(
                    "Swap keys come from a wallet's words, and this wallet is watch-only: choose a wallet with words.",
                ));
            }
            return Ok(w.id);
        }
        let network = self.inner.conn.network();
        let mine: Vec<_> = self
            .inner
            .wallets
            .list()
            .await?
            .into_iter()
            .filter(|w| !w.watch_only && network.is_none_or(|n| n == w.network))
            .collect();
        match mine.as_slice() {
            [only] => Ok(only.id.clone()),
            [] => Err(SwapError::NoWallet("Swap keys come from a wallet's words: create or restore a wallet on the node's network first.")),
            _ => Err(SwapError::NoWallet("Several wallets could hold the swap keys: choose one.")),
        }
    }

    /// Stops every driver (what quitting does; the swaps resume from the
    /// database next time).
    pub fn stop(&self) {
        self.inner.stop.send_replace(true);
    }

    /// The signed claim or refund stored for a swap, hex (a claim by the
    /// claim leaf without its preimage: see `swap::tx::without_preimage`).
    pub async fn stored_sweep_hex(&self, id: &str) -> Result<Option<String>, SwapError> {
        Ok(self.row(id).await?.sweep_hex)
    }

    /// Swap ids whose view changed, as they change.
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.inner.updates.subscribe()
    }

    async fn client(&self) -> Result<LndClient, SwapError> {
        Ok(self.inner.conn.client().await?)
    }

    /// What a swap of `amount` would cost with the provider, now.
    pub async fn quote(
        &self,
        provider: &str,
        kind: SwapKind,
        amount: Sat,
    ) -> Result<QuoteView, SwapError> {
        let api = BoltzClient::new(provider)?;
        let (quote, pair_hash) = self.provider_quote(&api, kind, amount).await?;
        let c = self.client().await?;
        let fee_rate = c.fee_rate(6).await.unwrap_or(2);
        let ours = Sat::from_sat(fee_rate.saturating_mul(OUR_TX_VBYTES));
        let total = quote
            .total_fee()
            .and_then(|f| f.checked_add(ours))
            .ok_or(CheckError::Overflow)?;
        let timeout_blocks = match kind {
            SwapKind::Submarine => 1008,
            SwapKind::Reverse => 144,
        };
        Ok(QuoteView {
            quote,
            our_miner_fee: ours,
            fee_rate,
            total_fee: total,
            timeout_blocks,
            provider: api.base().to_string(),
            pair_hash,
        })
    }

    async fn provider_quote(
        &self,
        api: &BoltzClient,
        kind: SwapKind,
        amount: Sat,
    ) -> Result<(SwapQuote, String), SwapError> {
        match kind {
            SwapKind::Submarine => {
                let pairs = api.submarine_pairs().await?;
                let pair = pairs
                    .get(BTC)
                    .and_then(|m| m.get(BTC))
                    .ok_or(SwapError::NoPair("submarine"))?;
                Ok((check::submarine_quote(pair, amount)?, pair.hash.clone()))
            }
            SwapKind::Reverse => {
                let pairs = api.reverse_pairs().await?;
                let pair = pairs
                    .get(BTC)
                    .and_then(|m| m.get(BTC))
                    .ok_or(SwapError::NoPair("reverse"))?;
                Ok((check::reverse_quote(pair, amount)?, pair.hash.clone()))
            }
        }
    }

    fn terms(&self, checked: &CheckedSwap) -> Terms {
        Terms {
            kind: checked.kind,
            lockup_amount: checked.lockup_amount,
            timeout_height: checked.timeout_height,
            min_confirmations: self.inner.cfg.min_confirmations,
            reveal_margin: self.inner.cfg.reveal_margin,
            warn_blocks: self.inner.cfg.warn_blocks,
            bump_after: self.inner.cfg.bump_after,
            external_funding: false,
        }
    }

    /// Swap in: on-chain funds from the node's wallet → its channels.
    pub async fn swap_in(&self, req: &SwapRequest) -> Result<SwapView, SwapError> {
        self.create(req, SwapKind::Submarine).await
    }

    /// Swap out: channel funds → the node's on-chain wallet.
    pub async fn swap_out(&self, req: &SwapRequest) -> Result<SwapView, SwapError> {
        self.create(req, SwapKind::Reverse).await
    }

    async fn create(&self, req: &SwapRequest, kind: SwapKind) -> Result<SwapView, SwapError> {
        let wallet = self.inner.wallets.resolve(&req.wallet).await?;
        let api = BoltzClient::new(&req.provider)?;
        let c = self.client().await?;
        if let Some(node) = self.inner.conn.network() {
            if node != wallet.network {
                return Err(SwapError::WrongNetwork {
                    node,
                    wallet: wallet.network,
                });
            }
        }
        // One quote for both the fee limit and the checks of the answer (the
        // pair hash sent makes the provider refuse if its terms changed).
        let quote_view = self.quote(&req.provider, kind, req.amount).await?;
        let (quote, pair_hash) = (quote_view.quote, quote_view.pair_hash.clone());
        if quote_view.total_fee > req.max_fee {
            return Err(SwapError::FeeAboveLimit {
                fee: quote_view.total_fee.to_sat(),
                limit: req.max_fee.to_sat(),
            });
        }
        // A swap in from the node's wallet that it cannot pay is refused
        // here, before anything is stored or asked of the provider.
        if kind == SwapKind::Submarine && !req.external_funding {
            let need = quote
                .onchain
                .checked_add(quote_view.our_miner_fee)
                .ok_or_else(|| SwapError::Corrupt("amount overflow".into()))?;
            let have = c.confirmed_balance().await?;
            if have < need {
                return Err(SwapError::Node(NodeError::InsufficientFunds {
                    detail: format!(
                        "the lockup needs {} sats plus about {} sats of miner fee; the wallet has {} sats confirmed",
                        quote.onchain.to_sat(),
                        quote_view.our_miner_fee.to_sat(),
                        have.to_sat()
                    ),
                }));
            }
        }
        let network = wallet.network;
        // Reserve a key index (another process may take one at the same time).
        let (index, secrets) = loop {
            let index = self
                .inner
                .store
                .next_swap_index(&wallet.id, network.as_str())
                .await?;
            let (_, secrets) = self.inner.wallets.swap_secrets(&wallet.id, index).await?;
            let hash = secrets.payment_hash().to_lower_hex_string();
            // The invoice (submarine) is ours, paid to our derived preimage.
            let invoice = match kind {
                SwapKind::Submarine => Some(
                    c.add_invoice_with_preimage(
                        secrets.preimage(),
                        req.amount,
                        "Switchyard swap in",
                        86_400,
                        SUBMARINE_INVOICE_CLTV,
                    )
                    .await?,
                ),
                SwapKind::Reverse => None,
            };
            let request = match kind {
                SwapKind::Submarine => serde_json::to_string(&CreateSubmarineRequest {
                    from: BTC.into(),
                    to: BTC.into(),
                    invoice: invoice.clone(),
                    preimage_hash: None,
                    refund_public_key: secrets.public_key().serialize().to_lower_hex_string(),
                    pair_hash: Some(pair_hash.clone()),
                    referral_id: None,
                }),
                SwapKind::Reverse => serde_json::to_string(&CreateReverseRequest {
                    from: BTC.into(),
                    to: BTC.into(),
                    preimage_hash: hash.clone(),
                    claim_public_key: secrets.public_key().serialize().to_lower_hex_string(),
                    invoice_amount: Some(req.amount.to_sat()),
                    onchain_amount: None,
                    pair_hash: Some(pair_hash.clone()),
                    description: Some("Switchyard swap out".into()),
                    referral_id: None,
                }),
            }
            .map_err(|e| SwapError::Corrupt(e.to_string()))?;
            let height = c.height().await?;
            let placeholder = CheckedSwap {
                kind,
                id: String::new(),
                provider_key: secrets.public_key(),
                our_key: secrets.public_key(),
                payment_hash: secrets.payment_hash(),
                timeout_height: height,
                address: String::new(),
                lockup_amount: quote.onchain,
            };
            let mut terms = self.terms(&placeholder);
            terms.external_funding = req.external_funding && kind == SwapKind::Submarine;
            let state = SwapState::new(terms, height);
            let state_json =
                serde_json::to_string(&state).map_err(|e| SwapError::Corrupt(e.to_string()))?;
            let quote_json =
                serde_json::to_string(&quote).map_err(|e| SwapError::Corrupt(e.to_string()))?;
            let cols = columns(&state, &state_json);
            let new = NewSwap {
                id: &hash,
                wallet_id: &wallet.id,
                network: network.as_str(),
                key_index: index,
                kind: kind_str(kind),
                provider_url: api.base(),
                quote_json: &quote_json,
                request_json: &request,
                state: cols,
                invoice: invoice.as_deref(),
            };
            match self.inner.store.insert_swap(&new).await {
                Ok(()) => break (index, secrets),
                Err(StoreError::Query(e)) if e.to_string().contains("UNIQUE") => continue,
                Err(e) => return Err(e.into()),
            }
        };
        let id = secrets.payment_hash().to_lower_hex_string();
        tracing::info!(swap = %id, index, kind = kind_str(kind), "swap stored; asking the provider");
        match self
            .send_create(&api, &id, kind, &secrets, &quote, network)
            .await
        {
            Ok(()) => {}
            Err(e) => {
                // Nothing was locked or paid: the swap ends here, its key
                // index stays used.
                let reason = e.to_string();
                let row = self.row(&id).await?;
                let state: SwapState = serde_json::from_str(&row.state_json)
                    .map_err(|_| SwapError::Corrupt(id.clone()))?;
                let event = Event::Rejected {
                    reason: reason.clone(),
                };
                let (next, _) = state.apply(&event);
                self.persist(&id, &event, &next, None).await?;
                self.inner.store.set_swap_error(&id, Some(&reason)).await?;
                return Err(e);
            }
        }
        self.start(&id).await;
        self.view(&id).await
    }

    async fn send_create(
        &self,
        api: &BoltzClient,
        id: &str,
        kind: SwapKind,
        secrets: &SwapSecrets,
        quote: &SwapQuote,
        network: Network,
    ) -> Result<(), SwapError> {
        let row = self.row(id).await?;
        let c = self.client().await?;
        let height = c.height().await?;
        let (provider_id, raw, checked, invoice) = match kind {
            SwapKind::Submarine => {
                let req: CreateSubmarineRequest = serde_json::from_str(&row.request_json)
                    .map_err(|_| SwapError::Corrupt(id.into()))?;
                let (resp, raw) = api.create_submarine(&req).await?;
                let checked = check::check_submarine(
                    &resp,
                    network,
                    &secrets.public_key(),
                    secrets.payment_hash(),
                    quote,
                    height,
                )?;
                (resp.id, raw, checked, None)
            }
            SwapKind::Reverse => {
                let req: CreateReverseRequest = serde_json::from_str(&row.request_json)
                    .map_err(|_| SwapError::Corrupt(id.into()))?;
                let (resp, raw) = api.create_reverse(&req).await?;
                let inv = crate::node::invoice::decode_invoice(&resp.invoice, network)
                    .map_err(|e| CheckError::Invoice(e.to_string()))?;
                let inv_hash = hex32(&inv.payment_hash)
                    .map_err(|_| CheckError::Invoice("has no valid payment hash".into()))?;
                let amount = inv.amount_msat.map(|m| Sat::from_sat(m.to_msat() / 1000));
                let checked = check::check_reverse(
                    &resp,
                    network,
                    &secrets.public_key(),
                    secrets.payment_hash(),
                    quote,
                    height,
                    inv_hash,
                    amount,
                )?;
                (resp.id, raw, checked, Some(resp.invoice))
            }
        };
        let state: SwapState =
            serde_json::from_str(&row.state_json).map_err(|_| SwapError::Corrupt(id.into()))?;
        // The real terms replace the placeholder's (same kind and hash; who
        // funds it stays).
        let mut state = state;
        let external_funding = state.terms.external_funding;
        state.terms = self.terms(&checked);
        state.terms.external_funding = external_funding;
        let event = Event::Created;
        let (next, _) = state.apply(&event);
        let state_json =
            serde_json::to_string(&next).map_err(|e| SwapError::Corrupt(e.to_string()))?;
        let checked_json =
            serde_json::to_string(&checked).map_err(|e| SwapError::Corrupt(e.to_string()))?;
        let event_json =
            serde_json::to_string(&event).map_err(|e| SwapError::Corrupt(e.to_string()))?;
        self.inner
            .store
            .record_swap_created(
                id,
                &provider_id,
                &raw,
                &checked_json,
                invoice.as_deref(),
                &event_json,
                columns(&next, &state_json),
            )
            .await?;
        tracing::info!(swap = %id, provider_id = %provider_id, "swap created and checked");
        Ok(())
    }

    /// Funds a swap in from another wallet: `signed` is the signed lockup
    /// transaction as a finalized PSBT (base64 or binary) or raw hex. It
    /// must pay the lockup address exactly the agreed amount; then the
    /// user's node broadcasts it, the lockup is recorded (a second funding
    /// is refused from then on) and the swap goes on from its first
    /// confirmation.
    pub async fn fund(&self, id: &str, signed: &[u8]) -> Result<FundedSwap, SwapError> {
        let row = self.row(id).await?;
        let state: SwapState =
            serde_json::from_str(&row.state_json).map_err(|_| SwapError::Corrupt(id.into()))?;
        let checked: CheckedSwap = row
            .checked_json
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .ok_or_else(|| {
                SwapError::NotFundable("the provider has not accepted this swap".into())
            })?;
        if checked.kind != SwapKind::Submarine {
            return Err(SwapError::NotFundable(
                "only a swap in is funded on chain by you".into(),
            ));
        }
        if !state.terms.external_funding {
            return Err(SwapError::NotFundable(
                "your node's wallet funds this swap itself (start a swap with funding from another wallet for that)".into(),
            ));
        }
        if !state.outputs.is_empty() {
            return Err(SwapError::NotFundable(
                "its lockup is already paid; paying it again would only be refunded later".into(),
            ));
        }
        if state.is_final() || state.outcome.is_some() {
            return Err(SwapError::NotFundable("this swap has ended".into()));
        }
        if state.blocks_left() <= self.inner.cfg.reveal_margin {
            return Err(SwapError::NotFundable(format!(
                "only {} blocks are left before its time lock: the provider could not pay in time; start a new swap",
                state.blocks_left()
            )));
        }
        let tx = read_funding(signed)?;
        let address = bitcoin::Address::from_str(&checked.address)
            .map_err(|e| SwapError::Corrupt(e.to_string()))?
            .assume_checked();
        check_funding(
            &tx,
            &address.script_pubkey(),
            bitcoin::Amount::from_sat(checked.lockup_amount.to_sat()),
        )?;
        // A lockup already on its way (funded a moment ago, in another
        // process, not confirmed yet): the provider may see it before we
        // do. Paying again would only be refunded after the time lock.
        if let Some(pid) = &row.provider_id {
            let seen = match BoltzClient::new(&row.provider_url) {
                Ok(api) => api.status(pid).await.ok().map(|s| s.status),
                Err(_) => None,
            };
            if let Some(status) = seen.filter(|s| s.starts_with("transaction.")) {
                return Err(SwapError::NotFundable(format!(
                    "the provider already sees a lockup for it ({status}); paying again would only be refunded after the time lock"
                )));
            }
        }
        let c = self.client().await?;
        c.publish(&tx, "swap lockup (from another wallet)").await?;
        let txid = tx.compute_txid();
        tracing::info!(swap = %id, %txid, "lockup from another wallet broadcast");
        // Recorded at once, as our own lockups are (so that it is not
        // funded twice while unconfirmed); the driver follows it from here.
        let script = address.script_pubkey();
        let mut events = vec![Event::LockupBroadcast {
            txid: txid.to_string(),
        }];
        for (vout, value) in check::outputs_to(&tx, &script) {
            events.push(Event::LockupSeen {
                outpoint: bitcoin::OutPoint { txid, vout }.to_string(),
                value,
                confirmations: 0,
            });
        }
        let mut current = state;
        for e in &events {
            let (next, _) = current.apply(e);
            self.persist(id, e, &next, None).await?;
            current = next;
        }
        self.start(id).await;
        Ok(FundedSwap {
            txid: txid.to_string(),
            swap: self.view(id).await?,
        })
    }

    async fn row(&self, id: &str) -> Result<SwapRow, SwapError> {
        self.inner
            .store
            .swap(id)
            .await?
            .ok_or_else(|| SwapError::NotFound(id.to_string()))
    }

    /// One swap as shown.
    pub async fn view(&self, id: &str) -> Result<SwapView, SwapError> {
        Ok(SwapView::from_row(&self.row(id).await?))
    }

    /// Every swap, newest first.
    pub async fn list(&self) -> Result<Vec<SwapView>, SwapError> {
        Ok(self
            .inner
            .store
            .swaps()
            .await?
            .iter()
            .map(SwapView::from_row)
            .collect())
    }

    async fn persist(
        &self,
        id: &str,
        event: &Event,
        next: &SwapState,
        sweep_hex: Option<&str>,
    ) -> Result<(), SwapError> {
        let state_json =
            serde_json::to_string(next).map_err(|e| SwapError::Corrupt(e.to_string()))?;
        let event_json =
            serde_json::to_string(event).map_err(|e| SwapError::Corrupt(e.to_string()))?;
        let cols = columns(next, &state_json);
        let outcome = cols.outcome;
        self.inner
            .store
            .record_swap_event(id, &event_json, cols, sweep_hex)
            .await?;
        let _ = self.inner.updates.send(id.to_string());
        // Each step in the audit log: the event's name and where it led.
        let name = match serde_json::to_value(event) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(serde_json::Value::Object(m)) => m.keys().next().cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let mut rec = Record::new(Kind::SwapStep)
            .on(format!("swap:{id}"))
            .with("event", name)
            .with("phase", next.phase.name())
            .with("htlc", next.htlc.name());
        if let Some(o) = outcome {
            rec = rec.with("outcome", o);
        }
        let result = match &next.outcome {
            Some(crate::swap::machine::Outcome::Failed(why)) => Err(why.clone()),
            _ => Ok(()),
        };
        self.inner.wallets.audit().note(rec, &result).await;
        Ok(())
    }

    /// Starts driving a swap (once per process).
    pub async fn start(&self, id: &str) {
        let mut running = self.inner.running.lock().await;
        if !running.insert(id.to_string()) {
            return;
        }
        let engine = self.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            let mut stop = engine.inner.stop.subscribe();
            loop {
                if *stop.borrow() {
                    break;
                }
                match Driver::load(&engine, &id).await {
                    Ok(Some(mut d)) => match tokio::select! {
                        r = d.run() => r,
                        _ = stop.wait_for(|s| *s) => Ok(()),
                    } {
                        Ok(()) => break,
                        Err(e) => {
                            tracing::warn!(swap = %id, error = %e, "swap driver interrupted; resuming");
                            let _ = engine
                                .inner
                                .store
                                .set_swap_error(&id, Some(&e.to_string()))
                                .await;
                        }
                    },
                    Ok(None) => break,
                    Err(e) => tracing::warn!(swap = %id, error = %e, "cannot load swap; retrying"),
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            engine.inner.running.lock().await.remove(&id);
        });
    }

    /// Resumes every unfinished swap (at start-up and after a reconnect).
    pub async fn resume_all(&self) -> Result<usize, SwapError> {
        let open = self.inner.store.unfinished_swaps().await?;
        for s in &open {
            if s.provider_id.is_some() {
                self.start(&s.id).await;
            } else {
                // Stored, but the provider's answer never arrived (a crash in
                // between): ask again with the same request (our provider
                // answers with the same swap; another answers 409).
                self.retry_create(s).await;
            }
        }
        Ok(open.len())
    }

    async fn retry_create(&self, row: &SwapRow) {
        let kind = if row.kind == "submarine" {
            SwapKind::Submarine
        } else {
            SwapKind::Reverse
        };
        let attempt = async {
            let api = BoltzClient::new(&row.provider_url)?;
            let (network, secrets) = self
                .inner
                .wallets
                .swap_secrets(&row.wallet_id, row.key_index)
                .await?;
            let quote: SwapQuote = serde_json::from_str(&row.quote_json)
                .map_err(|_| SwapError::Corrupt(row.id.clone()))?;
            self.send_create(&api, &row.id, kind, &secrets, &quote, network)
                .await
        };
        match attempt.await {
            Ok(()) => self.start(&row.id).await,
            Err(e) => {
                tracing::warn!(swap = %row.id, error = %e, "could not finish creating a stored swap");
                if let SwapError::Provider(p) = &e {
                    if p.is_conflict() || matches!(p, ProviderApiError::Refused { .. }) {
                        if let Ok(state) = serde_json::from_str::<SwapState>(&row.state_json) {
                            let event = Event::Rejected {
                                reason: e.to_string(),
                            };
                            let (next, _) = state.apply(&event);
                            let _ = self.persist(&row.id, &event, &next, None).await;
                        }
                    }
                }
            }
        }
    }

    /// Waits until a swap is final (or `limit` passes) and returns its view.
    pub async fn wait_final(&self, id: &str, limit: Duration) -> Result<SwapView, SwapError> {
        let mut rx = self.subscribe();
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let v = self.view(id).await?;
            if v.is_final {
                return Ok(v);
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Ok(v);
            }
            let _ = tokio::time::timeout(left.min(Duration::from_secs(1)), rx.recv()).await;
        }
    }

    /// Rescue from the words alone: derive the public keys of swap indexes
    /// `range`, ask the provider which swaps it made with them, check each
    /// against our own terms (tree, address, keys), store the ones missing
    /// here and drive them to their end (claim or refund).
    pub async fn rescue(
        &self,
        wallet: &str,
        provider: &str,
        range: std::ops::Range<u32>,
    ) -> Result<RescueReport, SwapError> {
        let w = self.inner.wallets.resolve(wallet).await?;
        let api = BoltzClient::new(provider)?;
        let keys = self
            .inner
            .wallets
            .swap_public_keys(&w.id, range.clone())
            .await?;
        let by_key: HashMap<String, u32> = keys
            .iter()
            .map(|(i, k)| (k.serialize().to_lower_hex_string(), *i))
            .collect();
        let hex_keys: Vec<String> = by_key.keys().cloned().collect();
        let found = api.restore(&hex_keys).await?;
        let mut report = RescueReport {
            scanned: range.end.saturating_sub(range.start),
            ..RescueReport::default()
        };
        let c = self.client().await?;
        let height = c.height().await?;
        for item in found {
            let pid = item
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            report.found.push(pid.clone());
            match self
                .restore_one(&api, &w.id, w.network, &by_key, &item, height)
                .await
            {
                Ok(Some(id)) => {
                    report.restored.push(pid);
                    self.start(&id).await;
                }
                Ok(None) => report.known.push(pid),
                Err(e) => {
                    tracing::warn!(swap = %pid, error = %e, "rescue: provider data refused");
                    report.refused.push(pid);
                }
            }
        }
        Ok(report)
    }

    async fn restore_one(
        &self,
        api: &BoltzClient,
        wallet_id: &str,
        network: Network,
        by_key: &HashMap<String, u32>,
        item: &serde_json::Value,
        height: u32,
    ) -> Result<Option<String>, SwapError> {
        let kind = match item.get("type").and_then(|v| v.as_str()) {
            Some("submarine") => SwapKind::Submarine,
            Some("reverse") => SwapKind::Reverse,
            _ => return Err(SwapError::Corrupt("unknown swap type".into())),
        };
        let request = item.get("createRequest").cloned().unwrap_or_default();
        let response = item.get("createResponse").cloned().unwrap_or_default();
        let key_field = match kind {
            SwapKind::Submarine => "refundPublicKey",
            SwapKind::Reverse => "claimPublicKey",
        };
        let key = request
            .get(key_field)
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let Some(&index) = by_key.get(key) else {
            return Err(SwapError::Corrupt("not one of our keys".into()));
        };
        let (_, secrets) = self.inner.wallets.swap_secrets(wallet_id, index).await?;
        let id = secrets.payment_hash().to_lower_hex_string();
        if self.inner.store.swap(&id).await?.is_some() {
            return Ok(None);
        }
        // Check the provider's terms as at creation, except the time lock's
        // distance (the swap is older now) and the quote (the user agreed
        // then): rebuild the tree and the address from our own key.
        let checked = match kind {
            SwapKind::Submarine => {
                let resp: CreateSubmarineResponse = serde_json::from_value(response.clone())
                    .map_err(|e| SwapError::Corrupt(e.to_string()))?;
                let quote = agreed(kind, Sat::from_sat(resp.expected_amount));
                let created_at = resp.timeout_block_height.saturating_sub(1008).min(height);
                check::check_submarine(
                    &resp,
                    network,
                    &secrets.public_key(),
                    secrets.payment_hash(),
                    &quote,
                    created_at,
                )?
            }
            SwapKind::Reverse => {
                let resp: CreateReverseResponse = serde_json::from_value(response.clone())
                    .map_err(|e| SwapError::Corrupt(e.to_string()))?;
                let quote = agreed(kind, Sat::from_sat(resp.onchain_amount));
                let created_at = resp.timeout_block_height.saturating_sub(144).min(height);
                check::check_reverse(
                    &resp,
                    network,
                    &secrets.public_key(),
                    secrets.payment_hash(),
                    &quote,
                    created_at,
                    secrets.payment_hash(),
                    Some(quote.invoice),
                )?
            }
        };
        let quote = agreed(kind, checked.lockup_amount);
        let mut state = SwapState::new(self.terms(&checked), height);
        // A rescued swap is past its first step: never fund or pay again.
        let (s1, _) = state.apply(&Event::Created);
        state = s1;
        let first_step = match kind {
            SwapKind::Submarine => Event::LockupBroadcast {
                txid: item
                    .get("transaction")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string(),
            },
            SwapKind::Reverse => Event::PaymentInFlight,
        };
        let (s2, _) = state.apply(&first_step);
        state = s2;
        let state_json =
            serde_json::to_string(&state).map_err(|e| SwapError::Corrupt(e.to_string()))?;
        let quote_json =
            serde_json::to_string(&quote).map_err(|e| SwapError::Corrupt(e.to_string()))?;
        let request_json = request.to_string();
        let new = NewSwap {
            id: &id,
            wallet_id,
            network: network.as_str(),
            key_index: index,
            kind: kind_str(kind),
            provider_url: api.base(),
            quote_json: &quote_json,
            request_json: &request_json,
            state: columns(&state, &state_json),
            invoice: None,
        };
        self.inner.store.insert_swap(&new).await?;
        let checked_json =
            serde_json::to_string(&checked).map_err(|e| SwapError::Corrupt(e.to_string()))?;
        let ev =
            serde_json::to_string(&first_step).map_err(|e| SwapError::Corrupt(e.to_string()))?;
        let pid = item.get("id").and_then(|v| v.as_str()).unwrap_or_default();
        self.inner
            .store
            .record_swap_created(
                &id,
                pid,
                &response.to_string(),
                &checked_json,
                None,
                &ev,
                columns(&state, &state_json),
            )
            .await?;
        Ok(Some(id))
    }
}

/// The terms of a rescued swap as the provider states them (the quote the
/// user agreed to is gone with the lost data directory).
fn agreed(kind: SwapKind, amount: Sat) -> SwapQuote {
    SwapQuote {
        kind,
        invoice: amount,
        service_fee: Sat::ZERO,
        percentage_ppm: 0,
        provider_miner_fee: Sat::ZERO,
        onchain: amount,
        min: Sat::ZERO,
        max: amount,
    }
}

fn columns<'a>(s: &'a SwapState, json: &'a str) -> StateColumns<'a> {
    let outcome = s.outcome.as_ref().map(|o| match o {
        crate::swap::machine::Outcome::Succeeded => "succeeded",
        crate::swap::machine::Outcome::Refunded => "refunded",
        crate::swap::machine::Outcome::Failed(_) => "failed",
    });
    StateColumns {
        json,
        phase: s.phase.name(),
        htlc: s.htlc.name(),
        outcome,
        is_final: s.is_final(),
        provider_status: s.provider_status.as_deref(),
    }
}

/// A note from a chain watcher.
enum ChainNote {
    Confirmed {
        outputs: Vec<(bitcoin::OutPoint, Sat)>,
        height: u32,
    },
    Spent {
        outpoint: bitcoin::OutPoint,
        tx: bitcoin::Transaction,
    },
}

/// Drives one swap.
struct Driver {
    engine: SwapEngine,
    id: String,
    provider_id: String,
    kind: SwapKind,
    api: BoltzClient,
    checked: CheckedSwap,
    secrets: SwapSecrets,
    params: TreeParams,
    spend: bitcoin::taproot::TaprootSpendInfo,
    ctx: CoopContext,
    script: bitcoin::ScriptBuf,
    invoice: Option<String>,
    state: SwapState,
    conf_heights: HashMap<String, u32>,
    spend_watched: HashSet<String>,
    our_txids: HashSet<String>,
    claim_signed: bool,
    chain_tx: mpsc::Sender<ChainNote>,
    chain_rx: mpsc::Receiver<ChainNote>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Driver {
    async fn load(engine: &SwapEngine, id: &str) -> Result<Option<Driver>, SwapError> {
        let row = engine.row(id).await?;
        if row.is_final {
            return Ok(None);
        }
        let (Some(provider_id), Some(checked_json)) =
            (row.provider_id.clone(), row.checked_json.clone())
        else {
            return Ok(None);
        };
        let checked: CheckedSwap =
            serde_json::from_str(&checked_json).map_err(|_| SwapError::Corrupt(id.into()))?;
        let state: SwapState =
            serde_json::from_str(&row.state_json).map_err(|_| SwapError::Corrupt(id.into()))?;
        let (_, secrets) = engine
            .inner
            .wallets
            .swap_secrets(&row.wallet_id, row.key_index)
            .await?;
        let params = checked.tree_params();
        let secp = crate::keys::account::secp();
        let internal = aggregate_key(&checked.provider_key, &checked.our_key)
            .map_err(|_| SwapError::Corrupt(id.into()))?;
        let spend = spend_info(secp, &params, internal);
        let ctx = CoopContext::new(&checked.provider_key, &checked.our_key, spend.merkle_root())
            .map_err(|_| SwapError::Corrupt(id.into()))?;
        let script = bitcoin::ScriptBuf::new_p2tr_tweaked(spend.output_key());
        let mut our_txids = HashSet::new();
        for (_, e, _) in engine.inner.store.swap_events(id).await? {
            if let Ok(Event::SweepBroadcast(s)) = serde_json::from_str::<Event>(&e) {
                our_txids.insert(s.txid);
            }
        }
        let (chain_tx, chain_rx) = mpsc::channel(64);
        Ok(Some(Driver {
            engine: engine.clone(),
            id: id.to_string(),
            provider_id,
            kind: checked.kind,
            api: BoltzClient::new(&row.provider_url)?,
            checked,
            secrets,
            params,
            spend,
            ctx,
            script,
            invoice: row.invoice.clone(),
            state,
            conf_heights: HashMap::new(),
            spend_watched: HashSet::new(),
            our_txids,
            claim_signed: false,
            chain_tx,
            chain_rx,
            tasks: Vec::new(),
        }))
    }

    async fn run(&mut self) -> Result<(), SwapError> {
        let c = self.engine.client().await?;
        // Outputs paid to the address, from the swap's creation on (at the
        // latest the time lock minus the longest we accept).
        let created = self.created_height();
        self.watch_script(created);
        for o in self.state.outputs.clone() {
            self.watch_spend(&o.outpoint);
        }
        let mut statuses = self.api.subscribe(vec![self.provider_id.clone()]);
        let mut blocks = c.watch_blocks().await?;
        // Resume: redo an unrecorded first step; take the current height.
        let mut pending: VecDeque<Event> = VecDeque::new();
        for a in self.state.resume() {
            pending.extend(self.act(a).await?);
        }
        pending.push_back(Event::Height {
            height: c.height().await?,
        });
        self.process(pending).await?;
        let mut tick = tokio::time::interval(self.engine.inner.cfg.poll);
        while !self.state.is_final() {
            let events = tokio::select! {
                n = self.chain_rx.recv() => match n {
                    Some(n) => self.chain_note(n),
                    None => Vec::new(),
                },
                s = statuses.recv() => match s {
                    Some(s) => self.provider_status(s).await,
                    None => Vec::new(),
                },
                b = blocks.next() => match b? {
                    Some(h) => self.on_height(h),
                    None => return Err(SwapError::Node(NodeError::Internal { detail: "block stream ended".into() })),
                },
                _ = tick.tick() => self.poll().await,
            };
            self.process(events.into()).await?;
            self.serve_provider_claim().await;
        }
        tracing::info!(swap = %self.id, outcome = ?self.state.outcome, "swap final");
        Ok(())
    }

    /// No later than the swap's creation: its time lock minus the longest
    /// time lock we accept.
    fn created_height(&self) -> u32 {
        let max = check::TimeoutBounds::for_kind(self.kind).max_blocks;
        // LND refuses a height hint of 0.
        self.checked.timeout_height.saturating_sub(max).max(1)
    }

    fn watch_script(&mut self, from: u32) {
        let engine = self.engine.clone();
        let script = self.script.clone();
        let tx = self.chain_tx.clone();
        self.tasks.push(tokio::spawn(async move {
            let mut hint = from;
            loop {
                let found = async {
                    let c = engine.client().await.ok()?;
                    let mut n = c.watch_confirmation(None, &script, 1, hint).await.ok()?;
                    n.next(&script).await.ok()?
                }
                .await;
                match found {
                    Some(conf) => {
                        hint = conf.height + 1;
                        if tx
                            .send(ChainNote::Confirmed {
                                outputs: conf.outputs,
                                height: conf.height,
                            })
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    None => tokio::time::sleep(Duration::from_secs(1)).await,
                }
            }
        }));
    }

    fn watch_spend(&mut self, outpoint: &str) {
        if !self.spend_watched.insert(outpoint.to_string()) {
            return;
        }
        let Ok(op) = bitcoin::OutPoint::from_str(outpoint) else {
            return;
        };
        let engine = self.engine.clone();
        let script = self.script.clone();
        let tx = self.chain_tx.clone();
        let hint = self.created_height();
        self.tasks.push(tokio::spawn(async move {
            loop {
                let found = async {
                    let c = engine.client().await.ok()?;
                    let mut n = c.watch_spend(op, &script, hint).await.ok()?;
                    n.next().await.ok()?
                }
                .await;
                match found {
                    Some(s) => {
                        let _ = tx
                            .send(ChainNote::Spent {
                                outpoint: op,
                                tx: s.tx,
                            })
                            .await;
                        return;
                    }
                    None => tokio::time::sleep(Duration::from_secs(1)).await,
                }
            }
        }));
    }

    fn chain_note(&mut self, n: ChainNote) -> Vec<Event> {
        match n {
            ChainNote::Confirmed { outputs, height } => outputs
                .into_iter()
                .map(|(op, value)| {
                    let key = op.to_string();
                    self.conf_heights.insert(key.clone(), height);
                    self.watch_spend(&key);
                    Event::LockupSeen {
                        confirmations: self.state.height.max(height).saturating_sub(height) + 1,
                        outpoint: key,
                        value,
                    }
                })
                .collect(),
            ChainNote::Spent { outpoint, tx, .. } => {
                let by = self.spender(&tx);
                vec![Event::LockupSpent {
                    outpoint: outpoint.to_string(),
                    by,
                    confirmed: true,
                }]
            }
        }
    }

    /// Who spent a lockup output, from the spending transaction.
    fn spender(&self, tx: &bitcoin::Transaction) -> Spender {
        let txid = tx.compute_txid().to_string();
        let ours = self.our_txids.contains(&txid);
        let with_preimage = revealed_preimage(tx, &self.checked.payment_hash).is_some();
        let refund_leaf = tx.input.iter().any(|i| i.witness.len() == 3);
        match self.kind {
            SwapKind::Submarine => {
                if ours || (refund_leaf && !with_preimage) {
                    Spender::OurRefund
                } else {
                    Spender::ProviderClaim
                }
            }
            SwapKind::Reverse => {
                if ours || with_preimage {
                    Spender::OurClaim
                } else if refund_leaf {
                    Spender::ProviderRefund
                } else {
                    Spender::OurClaim
                }
            }
        }
    }

    fn on_height(&mut self, h: u32) -> Vec<Event> {
        let mut out = vec![Event::Height { height: h }];
        for o in &self.state.outputs {
            if o.spent.is_some() {
                continue;
            }
            if let Some(ch) = self.conf_heights.get(&o.outpoint) {
                out.push(Event::LockupSeen {
                    outpoint: o.outpoint.clone(),
                    value: o.value,
                    confirmations: h.saturating_sub(*ch) + 1,
                });
            }
        }
        out
    }

    async fn provider_status(&mut self, s: SwapStatus) -> Vec<Event> {
        let mut out = Vec::new();
        // A lockup the provider says it sent: seen at once if it pays our
        // address (checked here), else ignored.
        if let Some(hex) = s.transaction.as_ref().and_then(|t| t.hex.as_deref()) {
            if let Ok(bytes) = Vec::<u8>::from_hex(hex) {
                if let Ok(tx) = bitcoin::consensus::deserialize::<bitcoin::Transaction>(&bytes) {
                    let txid = tx.compute_txid();
                    for (vout, value) in check::outputs_to(&tx, &self.script) {
                        let op = bitcoin::OutPoint { txid, vout }.to_string();
                        if !self.state.outputs.iter().any(|o| o.outpoint == op) {
                            self.watch_spend(&op);
                            out.push(Event::LockupSeen {
                                outpoint: op,
                                value,
                                confirmations: 0,
                            });
                        }
                    }
                }
            }
        }
        if self.state.provider_status.as_deref() != Some(s.status.as_str()) {
            out.push(Event::ProviderStatus { status: s.status });
        }
        out
    }

    async fn poll(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        if let Ok(s) = self.api.status(&self.provider_id).await {
            out.extend(self.provider_status(s).await);
        }
        let Ok(c) = self.engine.client().await else {
            return out;
        };
        let hash = self.checked.payment_hash;
        match self.kind {
            SwapKind::Submarine => match c.invoice_state(&hash).await {
                Ok(Some(InvoiceState::Settled)) => {
                    out.push(Event::LightningPaid { preimage_ok: true })
                }
                Ok(Some(InvoiceState::Canceled)) => out.push(Event::LightningFailed {
                    reason: "our invoice expired unpaid".into(),
                }),
                _ => {}
            },
            SwapKind::Reverse => match c.payment_state(&hash).await {
                Ok(PaymentState::Succeeded(pre)) => {
                    let ok = sha256::Hash::hash(&pre).to_byte_array() == hash;
                    out.push(Event::LightningPaid { preimage_ok: ok });
                }
                Ok(PaymentState::Failed(reason)) => out.push(Event::LightningFailed {
                    reason: format!("the payment failed: {reason}"),
                }),
                Ok(PaymentState::InFlight) => out.push(Event::PaymentInFlight),
                _ => {}
            },
        }
        out
    }

    /// Applies events (and the events their actions lead to), storing each
    /// with its state before its actions run.
    async fn process(&mut self, mut pending: VecDeque<Event>) -> Result<(), SwapError> {
        while let Some(e) = pending.pop_front() {
            let actions = self.step(&e, None).await?;
            for a in actions {
                pending.extend(self.act(a).await?);
            }
        }
        Ok(())
    }

    async fn step(&mut self, e: &Event, sweep_hex: Option<&str>) -> Result<Vec<Action>, SwapError> {
        let (next, actions) = self.state.apply(e);
        if next == self.state && actions.is_empty() && sweep_hex.is_none() {
            return Ok(Vec::new());
        }
        self.engine.persist(&self.id, e, &next, sweep_hex).await?;
        self.state = next;
        Ok(actions)
    }

    async fn act(&mut self, a: Action) -> Result<Vec<Event>, SwapError> {
        tracing::info!(swap = %self.id, action = ?a, "swap action");
        let c = self.engine.client().await?;
        match a {
            Action::FundLockup => {
                // Sent before a crash? Then it is in the wallet already.
                let tx = match c.wallet_tx_paying(&self.script).await? {
                    Some(tx) => tx,
                    None => {
                        let rate = c.fee_rate(6).await.unwrap_or(2);
                        c.send_to_script(
                            &self.script,
                            self.checked.lockup_amount,
                            rate,
                            "swap lockup",
                        )
                        .await?
                    }
                };
                let txid = tx.compute_txid();
                let mut out = vec![Event::LockupBroadcast {
                    txid: txid.to_string(),
                }];
                for (vout, value) in check::outputs_to(&tx, &self.script) {
                    let op = bitcoin::OutPoint { txid, vout }.to_string();
                    self.watch_spend(&op);
                    out.push(Event::LockupSeen {
                        outpoint: op,
                        value,
                        confirmations: 0,
                    });
                }
                Ok(out)
            }
            Action::PayInvoice => {
                let hash = self.checked.payment_hash;
                let state = match c.payment_state(&hash).await? {
                    PaymentState::Unknown => {
                        let invoice = self
                            .invoice
                            .clone()
                            .ok_or_else(|| SwapError::Corrupt(self.id.clone()))?;
                        let amount = self.checked.lockup_amount;
                        let limit = Sat::from_sat((amount.to_sat() / 100).max(10));
                        c.start_payment(&invoice, limit, 0, 120).await?
                    }
                    s => s,
                };
                Ok(match state {
                    PaymentState::Failed(r) => vec![Event::LightningFailed {
                        reason: format!("the payment failed: {r}"),
                    }],
                    PaymentState::Succeeded(pre) => vec![
                        Event::PaymentInFlight,
                        Event::LightningPaid {
                            preimage_ok: sha256::Hash::hash(&pre).to_byte_array() == hash,
                        },
                    ],
                    _ => vec![Event::PaymentInFlight],
                })
            }
            Action::Claim {
                cooperative,
                outpoints,
            } => {
                self.sweep(&c, SweepKind::Claim, cooperative, &outpoints, None)
                    .await
            }
            Action::Refund {
                cooperative,
                outpoints,
            } => {
                self.sweep(&c, SweepKind::Refund, cooperative, &outpoints, None)
                    .await
            }
            Action::Rebroadcast { .. } => {
                if let Some(tx) = self.stored_sweep().await? {
                    if let Err(e) = c.publish(&tx, "swap sweep").await {
                        tracing::warn!(swap = %self.id, error = %e, "rebroadcast refused");
                    }
                }
                Ok(Vec::new())
            }
            Action::BumpFee { .. } => {
                let Some(old) = self.state.sweep.clone() else {
                    return Ok(Vec::new());
                };
                let script_path_possible = match self.kind {
                    SwapKind::Reverse => true,
                    SwapKind::Submarine => self.state.height >= self.checked.timeout_height,
                };
                if !script_path_possible {
                    return Ok(Vec::new());
                }
                let rate = c.fee_rate(2).await.unwrap_or(2);
                let old_rate = self.stored_sweep().await?.map(|t| {
                    let inputs: u64 = self
                        .state
                        .outputs
                        .iter()
                        .filter(|o| old.spends.contains(&o.outpoint))
                        .map(|o| o.value.to_sat())
                        .sum();
                    let outs: u64 = t.output.iter().map(|o| o.value.to_sat()).sum();
                    inputs.saturating_sub(outs) / (t.vsize() as u64).max(1)
                });
                let rate = rate.max(old_rate.unwrap_or(1) * 3 / 2 + 1);
                self.sweep(&c, old.kind, false, &old.spends, Some(rate))
                    .await
            }
            Action::WarnDeadline { blocks_left } => {
                let msg = format!(
                    "{blocks_left} blocks (about {} hours) left before this swap's time lock; Switchyard keeps watching it while it runs — keep the app or `switchyard swap resume` running.",
                    blocks_left / 6
                );
                tracing::warn!(swap = %self.id, "{msg}");
                self.engine
                    .inner
                    .store
                    .set_swap_error(&self.id, Some(&msg))
                    .await?;
                Ok(Vec::new())
            }
        }
    }

    /// The signed sweep as stored, with the preimage (never stored, see
    /// [`without_preimage`]) derived again and put back.
    async fn stored_sweep(&self) -> Result<Option<bitcoin::Transaction>, SwapError> {
        let row = self.engine.row(&self.id).await?;
        Ok(row
            .sweep_hex
            .as_deref()
            .and_then(|h| Vec::<u8>::from_hex(h).ok())
            .and_then(|b| bitcoin::consensus::deserialize(&b).ok())
            .map(|tx| with_preimage(&tx, self.secrets.preimage())))
    }

    /// Builds, signs, stores and broadcasts a claim or refund of
    /// `outpoints`.
    async fn sweep(
        &mut self,
        c: &LndClient,
        kind: SweepKind,
        cooperative: bool,
        outpoints: &[String],
        rate: Option<u64>,
    ) -> Result<Vec<Event>, SwapError> {
        let bump = rate.is_some();
        let utxos: Vec<LockupUtxo> = self
            .state
            .outputs
            .iter()
            .filter(|o| outpoints.contains(&o.outpoint))
            .filter_map(|o| {
                Some(LockupUtxo {
                    outpoint: bitcoin::OutPoint::from_str(&o.outpoint).ok()?,
                    value: o.value,
                })
            })
            .collect();
        if utxos.is_empty() {
            return Ok(Vec::new());
        }
        let dest = bitcoin::Address::from_str(&c.fresh_address().await?)
            .map_err(|e| SwapError::Corrupt(e.to_string()))?
            .assume_checked()
            .script_pubkey();
        let rate = match rate {
            Some(r) => r,
            None => c.fee_rate(6).await.unwrap_or(2),
        };
        let path = match (cooperative, kind) {
            (true, _) => SpendPath::Cooperative,
            (false, SweepKind::Claim) => SpendPath::ClaimScript,
            (false, SweepKind::Refund) => SpendPath::RefundScript,
        };
        let mut sweep = build_sweep(&utxos, &self.params, &self.spend, &dest, rate, path)
            .map_err(|e| SwapError::Corrupt(e.to_string()))?;
        match path {
            SpendPath::Cooperative => {
                if let Err(e) = self.cosign(&mut sweep, kind).await {
                    tracing::warn!(swap = %self.id, error = %e, "cooperative signature refused; the script path is next");
                    return Ok(vec![Event::CooperationRefused]);
                }
            }
            SpendPath::ClaimScript => sweep
                .sign_claim_script(
                    &self.params,
                    &self.spend,
                    self.secrets.keypair(),
                    self.secrets.preimage(),
                )
                .map_err(|e| SwapError::Corrupt(e.to_string()))?,
            SpendPath::RefundScript => sweep
                .sign_refund_script(&self.params, &self.spend, self.secrets.keypair())
                .map_err(|e| SwapError::Corrupt(e.to_string()))?,
        }
        let txid = sweep.tx.compute_txid().to_string();
        // Stored without the preimage: a crash before it leaves must not
        // leave the secret of an unfinished swap on disk.
        let hex = bitcoin::consensus::serialize(&without_preimage(&sweep.tx)).to_lower_hex_string();
        let ours = OurSweep {
            kind,
            txid: txid.clone(),
            spends: outpoints.to_vec(),
            broadcast_height: self.state.height,
            cooperative,
        };
        self.our_txids.insert(txid.clone());
        if bump {
            // A replacement is kept only once the node took it (a node
            // without replace-by-fee refuses it, and the stored sweep must
            // stay the one that can confirm). A crash in between is
            // harmless: its spend is recognised as ours by its witness.
            if let Err(e) = c.publish(&sweep.tx, "swap sweep (fee bump)").await {
                tracing::info!(swap = %self.id, error = %e, "fee bump not accepted; the stored sweep stays");
                return Ok(Vec::new());
            }
            let follow = self.step(&Event::SweepBroadcast(ours), Some(&hex)).await?;
            let mut out = Vec::new();
            for a in follow {
                out.extend(Box::pin(self.act(a)).await?);
            }
            return Ok(out);
        }
        // Stored before it leaves: a retry rebroadcasts these very bytes.
        let follow = self.step(&Event::SweepBroadcast(ours), Some(&hex)).await?;
        if let Err(e) = c.publish(&sweep.tx, "swap sweep").await {
            tracing::warn!(swap = %self.id, error = %e, "sweep not accepted yet; it is rebroadcast on each block");
            let _ = self
                .engine
                .inner
                .store
                .set_swap_error(
                    &self.id,
                    Some(&format!(
                        "our {} transaction was not accepted yet: {e}",
                        if kind == SweepKind::Claim {
                            "claim"
                        } else {
                            "refund"
                        }
                    )),
                )
                .await;
        } else {
            let _ = self.engine.inner.store.set_swap_error(&self.id, None).await;
        }
        let by = match kind {
            SweepKind::Claim => Spender::OurClaim,
            SweepKind::Refund => Spender::OurRefund,
        };
        let mut out: Vec<Event> = outpoints
            .iter()
            .map(|o| Event::LockupSpent {
                outpoint: o.clone(),
                by,
                confirmed: false,
            })
            .collect();
        for a in follow {
            out.extend(Box::pin(self.act(a)).await?);
        }
        Ok(out)
    }

    /// The provider's half of a cooperative sweep, input by input.
    async fn cosign(&self, sweep: &mut Sweep, kind: SweepKind) -> Result<(), SwapError> {
        let unsigned = bitcoin::consensus::serialize(&sweep.tx).to_lower_hex_string();
        for i in 0..sweep.tx.input.len() {
            let msg = sweep
                .key_spend_sighash(i)
                .map_err(|e| SwapError::Corrupt(e.to_string()))?;
            let init = initiate(&self.ctx, self.secrets.keypair(), msg, fresh_rand())
                .map_err(CheckError::from)?;
            let nonce = init.public_nonce().to_lower_hex_string();
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            let answer = match kind {
                SweepKind::Claim => {
                    self.engine_api()
                        .reverse_claim(
                            &self.provider_id,
                            &ReverseClaimRequest {
                                preimage: self.secrets.preimage().to_lower_hex_string(),
                                pub_nonce: nonce,
                                transaction: unsigned.clone(),
                                index,
                            },
                        )
                        .await?
                }
                SweepKind::Refund => {
                    self.engine_api()
                        .submarine_refund(
                            &self.provider_id,
                            &RefundRequest {
                                pub_nonce: nonce,
                                transaction: unsigned.clone(),
                                index,
                            },
                        )
                        .await?
                }
            };
            let their_nonce = Vec::<u8>::from_hex(&answer.pub_nonce)
                .map_err(|_| CheckError::from(crate::swap::musig::CoopError::BadNonce))?;
            let their_partial = Vec::<u8>::from_hex(&answer.partial_signature).map_err(|_| {
                CheckError::from(crate::swap::musig::CoopError::BadPartialSignature)
            })?;
            let sig = init
                .finish(
                    &self.ctx,
                    self.secrets.keypair(),
                    &their_nonce,
                    &their_partial,
                )
                .map_err(CheckError::from)?;
            sweep
                .set_key_spend(i, &sig)
                .map_err(|e| SwapError::Corrupt(e.to_string()))?;
        }
        Ok(())
    }

    fn engine_api(&self) -> &BoltzClient {
        &self.api
    }

    /// A submarine swap's provider asks us to co-sign its claim once it has
    /// paid: we do, after checking it knows the preimage (which only our
    /// node's settled invoice could have told it).
    async fn serve_provider_claim(&mut self) {
        if self.kind != SwapKind::Submarine || self.claim_signed {
            return;
        }
        let asks = matches!(
            self.state.provider_status.as_deref(),
            Some(status::CLAIM_PENDING) | Some(status::INVOICE_PAID)
        );
        if !asks || self.state.lightning != crate::swap::machine::Lightning::Paid {
            return;
        }
        let r = async {
            let d = self.api.submarine_claim_details(&self.provider_id).await?;
            let pre = <[u8; 32]>::from_hex(&d.preimage)
                .map_err(|_| SwapError::Corrupt("preimage".into()))?;
            if sha256::Hash::hash(&pre).to_byte_array() != self.checked.payment_hash {
                return Err(SwapError::Check(CheckError::Invoice(
                    "claim request with a wrong preimage".into(),
                )));
            }
            if check::parse_key(&d.public_key)? != self.checked.provider_key {
                return Err(SwapError::Check(CheckError::BadKey));
            }
            let msg = <[u8; 32]>::from_hex(&d.transaction_hash)
                .map_err(|_| SwapError::Corrupt("hash".into()))?;
            let nonce = Vec::<u8>::from_hex(&d.pub_nonce)
                .map_err(|_| SwapError::Corrupt("nonce".into()))?;
            let a = respond(&self.ctx, self.secrets.keypair(), &nonce, msg, fresh_rand())
                .map_err(CheckError::from)?;
            self.api
                .submarine_claim_sign(
                    &self.provider_id,
                    &PartialSignature {
                        pub_nonce: a.public_nonce.to_lower_hex_string(),
                        partial_signature: a.partial_signature.to_lower_hex_string(),
                    },
                )
                .await?;
            Ok::<(), SwapError>(())
        }
        .await;
        match r {
            Ok(()) => {
                self.claim_signed = true;
                tracing::info!(swap = %self.id, "co-signed the provider's claim");
            }
            Err(e) => {
                tracing::debug!(swap = %self.id, error = %e, "provider claim not co-signed (yet)")
            }
        }
    }
}

fn fresh_rand() -> [u8; 32] {
    let mut r = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut r);
    r
}
