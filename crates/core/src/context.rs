//! Opening Switchyard's state: the data directory, the database and the
//! keychain, the same way for the desktop app and the CLI.
//!
//! ### Defaults
//! - data directory: `$SWITCHYARD_DATA_DIR`, else the platform's data directory
//!   (`~/.local/share/switchyard` on Linux);
//! - keychain service name: `$SWITCHYARD_KEYCHAIN_SERVICE`, else
//!   [`crate::keychain::DEFAULT_SERVICE`] (tests set their own so they never
//!   touch a user's entries).

use crate::api::ApiError;
use crate::audit::Record;
use crate::keychain::{OsKeychain, DEFAULT_SERVICE};
use crate::node::NodeService;
use crate::profiles::ProfileService;
use crate::store::Store;
use crate::wallet::WalletService;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use switchyard_pure::audit::Kind;

/// Environment variable naming the data directory.
pub const DATA_DIR_ENV: &str = "SWITCHYARD_DATA_DIR";
/// Environment variable naming the keychain service.
pub const KEYCHAIN_SERVICE_ENV: &str = "SWITCHYARD_KEYCHAIN_SERVICE";

/// The data directory when none is given on the command line.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("switchyard")
}

/// The keychain service name in force.
pub fn keychain_service() -> String {
    std::env::var(KEYCHAIN_SERVICE_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SERVICE.to_string())
}

/// Everything a front end needs, opened.
#[derive(Clone)]
pub struct Context {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The OS keychain.
    pub keychain: OsKeychain,
    /// Wallets.
    pub wallets: WalletService,
    /// Node profiles.
    pub profiles: ProfileService,
    /// The LND node of the profile in use.
    pub node: Arc<NodeService>,
    /// Swaps (the engine follows the node of the profile in use).
    pub swaps: crate::swaps::SwapEngine,
    /// PSBT sends prepared and waiting for the user's yes.
    pub pending: Arc<crate::cold::PendingSends>,
    /// Channel opens funded by a PSBT, waiting for the user's yes.
    pub pending_opens: Arc<crate::cold::PendingOpens>,
    /// Swap lockups from a wallet's LND account waiting for the user's yes.
    pub pending_lockups: Arc<crate::cold::PendingLockups>,
    /// The audit log.
    pub audit: crate::audit::AuditLog,
    /// The app lock (the desktop app enforces it; the CLI asks for the
    /// password where a command needs it).
    pub lock: crate::lock::AppLock,
}

impl Context {
    /// Opens (creating if needed) the data directory and its database.
    pub async fn open(data_dir: &Path) -> Result<Context, ApiError> {
        let store = Store::open_in(data_dir).await?;
        let keychain = OsKeychain::new(keychain_service());
        let lock = crate::lock::AppLock::open(store.clone()).await?;
        let profiles = ProfileService::new(store.clone(), Arc::new(keychain.clone()), data_dir)
            .with_app_lock(lock.clone());
        let source = match profiles.active_source().await {
            Ok(s) => s,
            Err(e) => {
                // The app still opens; the header shows no node and the
                // profiles screen shows the profile and can switch.
                tracing::warn!(error = %e, "the node profile in use could not be loaded");
                None
            }
        };
        let wallets = WalletService::new(store.clone(), Arc::new(keychain.clone()))
            .with_app_lock(lock.clone());
        let audit = crate::audit::AuditLog::new(store.clone(), Arc::new(keychain.clone()));
        let node = Arc::new(NodeService::new(source));
        let swaps = crate::swaps::SwapEngine::new(
            store,
            wallets.clone(),
            node.conn.clone(),
            crate::swaps::EngineConfig::default(),
        );
        Ok(Context {
            data_dir: data_dir.to_path_buf(),
            wallets,
            keychain,
            profiles,
            node,
            swaps,
            pending: Arc::default(),
            pending_opens: Arc::default(),
            pending_lockups: Arc::default(),
            audit,
            lock,
        })
    }
}

impl Context {
    /// Unlocks with the app password; a refused attempt is recorded (the
    /// unlock itself is, by [`Context::follow_lock`]).
    pub async fn unlock_app(
        &self,
        password: &secrecy::SecretString,
    ) -> Result<(), crate::lock::LockError> {
        let r = self.lock.unlock(password).await;
        if let Err(e) = &r {
            self.record(Record::new(Kind::UnlockFailed), Err(e.to_string()))
                .await;
        }
        r
    }

    /// Locks now (recorded by [`Context::follow_lock`]).
    pub async fn lock_app(&self) -> Result<(), crate::lock::LockError> {
        self.lock.lock().await
    }

    /// Sets or changes the app password (recorded, never the password).
    pub async fn set_app_password(
        &self,
        current: Option<&secrecy::SecretString>,
        new: &secrecy::SecretString,
    ) -> Result<(), crate::lock::LockError> {
        let had = self.lock.status().await?.enabled;
        let r = self.lock.set_password(current, new).await;
        let rec =
            Record::new(Kind::LockSettings).with("password", if had { "changed" } else { "set" });
        self.audit.note(rec, &r).await;
        r
    }

    /// Sets the idle time before the app locks (recorded).
    pub async fn set_idle_minutes(
        &self,
        password: &secrecy::SecretString,
        minutes: u32,
    ) -> Result<(), crate::lock::LockError> {
        let r = self.lock.set_idle_minutes(password, minutes).await;
        let rec = Record::new(Kind::LockSettings).with("idle_minutes", minutes);
        self.audit.note(rec, &r).await;
        r
    }

    /// Follows the lock (a task for the desktop shell to run): each lock
    /// and unlock is recorded; on lock, the confirmation codes not yet
    /// answered are forgotten and everything waiting for the user's yes is
    /// cancelled, its coins released.
    pub async fn follow_lock(self) {
        let mut changes = self.lock.subscribe();
        loop {
            match changes.recv().await {
                Ok(true) => {
                    self.wallets.forget_challenges();
                    let cancelled = crate::cold::abort_all_pending(&self).await;
                    self.record(
                        Record::new(Kind::Lock)
                            .with("why", self.lock.why_locked())
                            .with("cancelled_waiting", cancelled),
                        Ok(()),
                    )
                    .await
                }
                Ok(false) => self.record(Record::new(Kind::Unlock), Ok(())).await,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => break,
            }
        }
    }
}

/// An entry for a payment's result: its hash, amount and fee, and whether
/// it succeeded (never its preimage); a payment LND reports as failed is a
/// failed entry with LND's reason.
fn payment_entry<E: std::fmt::Display>(
    rec: Record,
    paid: &Result<crate::node::payments::PaymentRecord, E>,
) -> (Record, Result<(), String>) {
    use crate::node::payments::PaymentStatus;
    match paid {
        Ok(p) => {
            let rec = rec
                .on(format!("payment:{}", p.payment_hash))
                .with("amount_msat", p.amount_msat.to_msat())
                .with("fee_msat", p.fee_msat.to_msat())
                .with("status", format!("{:?}", p.status).to_lowercase());
            let outcome = match p.status {
                PaymentStatus::Failed | PaymentStatus::Expired => Err(p
                    .failure
                    .as_ref()
                    .map(|f| format!("{f:?}"))
                    .unwrap_or_else(|| "the payment failed".into())),
                _ => Ok(()),
            };
            (rec, outcome)
        }
        Err(e) => (rec, Err(e.to_string())),
    }
}

/// How far back mission control looks: outcomes older than this have faded
/// to nothing anyway (the half-life is an hour).
pub const MISSION_MEMORY_SECS: u64 = 24 * 3600;

impl Context {
    /// Route preview with mission control from the database.
    pub async fn preview_route(
        &self,
        req: &crate::node::routes::RoutePreviewRequest,
    ) -> Result<crate::node::routes::RoutePreview, ApiError> {
        let since = crate::node::convert::now_secs().saturating_sub(MISSION_MEMORY_SECS);
        let outcomes = self.wallets.store().route_outcomes(since).await?;
        Ok(self.node.routing.preview_route(req, &outcomes).await?)
    }

    /// Pays an invoice with LND's own pathfinding; what its attempts taught
    /// about the channels they tried goes to our mission control too.
    pub async fn pay_invoice(
        &self,
        req: &crate::node::payments::PayInvoiceRequest,
    ) -> Result<crate::node::payments::PaymentRecord, ApiError> {
        let (paid, outcomes) = self.node.payments().pay_invoice_learning(req).await;
        self.remember_outcomes(&outcomes).await;
        let mut rec = Record::new(Kind::Payment);
        if let Some(a) = req.amount_msat {
            rec = rec.with("amount_msat", a.to_msat());
        }
        if let Some(f) = req.fee_limit_sat {
            rec = rec.with("fee_limit_sat", f.to_sat());
        }
        let (rec, outcome) = payment_entry(rec, &paid);
        self.record(rec, outcome).await;
        Ok(paid?)
    }

    /// Keysend, learning from the attempts like [`Context::pay_invoice`].
    pub async fn keysend(
        &self,
        req: &crate::node::payments::KeysendRequest,
    ) -> Result<crate::node::payments::PaymentRecord, ApiError> {
        let (paid, outcomes) = self.node.payments().keysend_learning(req).await;
        self.remember_outcomes(&outcomes).await;
        let rec = Record::new(Kind::Keysend)
            .with("destination", &req.destination)
            .with("amount_sat", req.amount_sat.to_sat());
        let (rec, outcome) = payment_entry(rec, &paid);
        self.record(rec, outcome).await;
        Ok(paid?)
    }

    /// Appends an audit entry; a failure to write it is logged, never
    /// returned (the operation's own result is what the caller sees).
    pub(crate) async fn record(&self, rec: Record, outcome: Result<(), String>) {
        let kind = rec.kind();
        if let Err(e) = self.audit.append(rec, outcome).await {
            tracing::error!(error = %e, kind = %kind.name(), "could not write the audit entry");
        }
    }

    /// Stores outcomes for mission control. A failure to store is logged, not
    /// returned: the payment's own result is what the caller must see.
    async fn remember_outcomes(&self, outcomes: &[crate::graph::mission::Outcome]) {
        if outcomes.is_empty() {
            return;
        }
        if let Err(e) = self.wallets.store().record_route_outcomes(outcomes).await {
            tracing::warn!(error = %e, "could not store what a payment taught mission control");
        }
    }

    /// Pays an invoice along a previewed route, refused (nothing sent) if it
    /// now costs more than `max_fee_msat`, the fee the user saw; the outcome
    /// goes to mission control. Once the payment went out, its result is
    /// returned even if storing the outcome fails (that is only logged).
    pub async fn pay_along_route(
        &self,
        invoice: &str,
        amount_sat: Option<crate::amount::Sat>,
        chan_ids: &[u64],
        max_fee_msat: crate::amount::Msat,
    ) -> Result<crate::node::routes::RoutePayment, ApiError> {
        let (payment, outcomes) = self
            .node
            .routing
            .pay_along_route(invoice, amount_sat, chan_ids, max_fee_msat)
            .await?;
        self.remember_outcomes(&outcomes).await;
        Ok(payment)
    }
}

impl Context {
    /// Moves liquidity between two of our channels (mission control in and out).
    pub async fn rebalance(
        &self,
        req: &crate::node::routes::RebalanceRequest,
        dry_run: bool,
    ) -> Result<
        (
            crate::node::routes::PreviewRoute,
            Option<crate::node::routes::RoutePayment>,
        ),
        ApiError,
    > {
        let since = crate::node::convert::now_secs().saturating_sub(MISSION_MEMORY_SECS);
        let outcomes = self.wallets.store().route_outcomes(since).await?;
        let preview = self.node.routing.preview_rebalance(req, &outcomes).await?;
        if dry_run {
            return Ok((preview, None));
        }
        let paid = self.node.routing.rebalance(req, &outcomes).await;
        let mut rec = Record::new(Kind::Rebalance)
            .with("out_channel", &req.out_channel)
            .with("in_channel", &req.in_channel)
            .with("amount_sat", req.amount_sat.to_sat())
            .with("max_fee_sat", req.max_fee_sat.to_sat());
        let outcome: Result<(), String> = match &paid {
            Ok((p, _)) if p.succeeded => {
                rec = rec.with("fee_msat", p.fee_msat.to_msat());
                Ok(())
            }
            Ok((p, _)) => Err(p
                .failure
                .clone()
                .unwrap_or_else(|| "the rebalance failed".into())),
            Err(e) => Err(e.to_string()),
        };
        self.record(rec, outcome).await;
        let (payment, learned) = paid?;
        // The payment went out: its result is what the user must see.
        self.remember_outcomes(&learned).await;
        Ok((preview, Some(payment)))
    }
}

/// Whether the keychain works, and if not, why (a sentence for the user).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct KeychainStatus {
    /// A probe entry could be written, read back and deleted.
    pub ok: bool,
    /// Why not.
    pub error: Option<ApiError>,
}

/// What the header and the settings screen show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct AppStatus {
    /// Switchyard's version.
    pub version: String,
    /// The data directory in use.
    pub data_dir: String,
    /// The keychain's health.
    pub keychain: KeychainStatus,
}

impl AppStatus {
    /// Probes the keychain and reports.
    pub async fn gather(ctx: &Context) -> AppStatus {
        let kc = ctx.keychain.clone();
        let probe = tokio::task::spawn_blocking(move || kc.probe()).await;
        let keychain = match probe {
            Ok(Ok(())) => KeychainStatus {
                ok: true,
                error: None,
            },
            Ok(Err(e)) => KeychainStatus {
                ok: false,
                error: Some(e.into()),
            },
            Err(e) => KeychainStatus {
                ok: false,
                error: Some(ApiError::new(crate::ErrorCode::Internal, e.to_string())),
            },
        };
        AppStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            data_dir: ctx.data_dir.display().to_string(),
            keychain,
        }
    }
}
