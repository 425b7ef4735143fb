//! Switchyard's swap provider: Boltz's v2 API for BTC/BTC submarine and
//! reverse swaps (REST and WebSocket on one port), backed by its own LND —
//! hold invoices for reverse swaps, the chain notifier for lockups and
//! spends, its wallet for lockups — with its state in its own SQLite
//! database, so it survives its own restart.
//!
//! Two promises it keeps whatever a client does: it never pays a
//! submarine swap's invoice after signing a cooperative refund for it, and
//! never signs a refund while a payment for the hash is in flight or done
//! (both are single guarded updates in the database, [`db::Db`]).
//!
//! For tests of a client against a provider that lies or fails, [`Faults`]
//! makes this one misbehave on purpose (never pay, never lock, lock less,
//! refuse to co-sign); off by default.

pub mod db;
mod server;
pub mod swap;
mod worker;

use bitcoin::hashes::{sha256, Hash};
use db::Db;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use swap::ProviderSwap;
use switchyard_core::keychain::SecretStore;
use switchyard_core::node::{Connection, LndClient, NodeError};
use switchyard_core::swap::api::SwapStatus;
use switchyard_core::swap::keys::{derive_swap, SwapSecrets};
use switchyard_core::Network;
use tokio::sync::{broadcast, watch, Mutex, Notify};
use zeroize::Zeroizing;

/// Deliberate misbehaviour, for testing clients against a hostile or broken
/// provider on regtest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Never pay a submarine swap's invoice (it fails to pay at the time lock).
    pub never_pay: bool,
    /// Fail to pay a submarine swap's invoice at once (and say so).
    pub fail_payment: bool,
    /// Never lock a reverse swap's funds.
    pub never_lock: bool,
    /// Lock this many sats less than agreed.
    pub lock_short_by: u64,
    /// Refuse every cooperative signature.
    pub refuse_cooperation: bool,
    /// Answer creates with a lockup address of other scripts than the
    /// swap tree sent (a provider that tries to take the funds).
    pub wrong_address: bool,
}

/// Fees, limits and time locks.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The network it serves.
    pub network: Network,
    /// Submarine service fee, percent.
    pub submarine_percentage: f64,
    /// Submarine: our claim's miner fee, sats.
    pub submarine_miner_fee: u64,
    /// Reverse service fee, percent.
    pub reverse_percentage: f64,
    /// Reverse: our lockup's miner fee, sats.
    pub reverse_lockup_fee: u64,
    /// Reverse: the user's claim's miner fee (an estimate we show), sats.
    pub reverse_claim_fee: u64,
    /// Smallest swap, sats.
    pub min_sat: u64,
    /// Largest swap, sats.
    pub max_sat: u64,
    /// Submarine time lock, blocks from creation.
    pub submarine_timeout_blocks: u32,
    /// Reverse time lock, blocks from creation.
    pub reverse_timeout_blocks: u32,
    /// Pay a submarine invoice only with a route time lock this many blocks
    /// short of the on-chain one.
    pub payment_margin_blocks: u32,
    /// How long to wait for the user's cooperative claim signature before
    /// claiming by the script path.
    pub coop_claim_wait: Duration,
    /// Fee rate of our lockups and sweeps, sat/vB (else the node's estimate).
    pub fee_rate: Option<u64>,
    /// A submarine invoice whose payment failed is tried again this many
    /// times in all (the user's node may be restarting or failing over to
    /// another cluster instance), while the time lock allows.
    pub payment_attempts: u32,
    /// The wait between those attempts.
    pub payment_retry_wait: Duration,
    /// Misbehaviour for tests.
    pub faults: Faults,
}

impl Config {
    /// Boltz's defaults (time locks of 1008 and 144 blocks).
    pub fn defaults(network: Network) -> Config {
        Config {
            network,
            submarine_percentage: 0.1,
            submarine_miner_fee: 300,
            reverse_percentage: 0.25,
            reverse_lockup_fee: 300,
            reverse_claim_fee: 200,
            min_sat: 10_000,
            max_sat: 10_000_000,
            submarine_timeout_blocks: 1008,
            reverse_timeout_blocks: 144,
            payment_margin_blocks: 20,
            coop_claim_wait: Duration::from_secs(10),
            fee_rate: None,
            payment_attempts: 12,
            payment_retry_wait: Duration::from_secs(5),
            faults: Faults::default(),
        }
    }
}

/// Why the provider could not start or do something.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Its database.
    #[error(transparent)]
    Db(#[from] db::DbError),
    /// Its node.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// Its keychain.
    #[error("the provider's key is not available: {0}")]
    Keys(String),
    /// Its directory.
    #[error("cannot use the provider's directory {}: {source}", dir.display())]
    Dir {
        /// Which.
        dir: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another provider runs on the same directory.
    #[error("another swap provider is already running on {}", dir.display())]
    AlreadyRunning {
        /// Its directory.
        dir: std::path::PathBuf,
    },
    /// Listening.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// Where.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The running provider (shared by the HTTP handlers and the workers).
pub struct Provider {
    cfg: Config,
    db: Db,
    conn: Arc<Connection>,
    seed: Zeroizing<[u8; 64]>,
    updates: broadcast::Sender<SwapStatus>,
    height: watch::Receiver<u32>,
    /// Serialises creates (so the same request twice makes one swap).
    create_lock: Mutex<()>,
    /// Per swap: wakes its worker (a cooperative claim was signed, say).
    wake: std::sync::Mutex<HashMap<String, Arc<Notify>>>,
    /// Submarine claims waiting for the user's partial signature.
    pending_claims: Mutex<HashMap<String, worker::PendingClaim>>,
    /// Per submarine swap: payment attempts that failed so far.
    failed_payments: std::sync::Mutex<HashMap<String, u32>>,
    /// Serialises read-modify-write of swaps (workers and handlers).
    write_lock: Mutex<()>,
    /// This directory's one provider.
    _instance: switchyard_core::files::FileLock,
}

impl Provider {
    /// Counts a failed payment of swap `id`; whether to try again.
    pub(crate) fn retry_payment(&self, id: &str) -> bool {
        let Ok(mut g) = self.failed_payments.lock() else {
            return false;
        };
        let n = g.entry(id.to_string()).or_insert(0);
        *n += 1;
        *n < self.cfg.payment_attempts
    }
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

/// Where the provider's database records which keychain entry holds its
/// seed.
const SEED_ENTRY_META: &str = "seed_entry";

/// The keychain entry holding the seed of the provider whose database is
/// `db`. Swap keys are derived from the seed at the database's own swap
/// counter, so each database has a seed of its own (entry
/// `provider-seed:<name>:<random id>`, recorded in the database): two data
/// directories running a provider of the same name never derive the same
/// keys. A database that holds swaps from before this rule keeps the entry
/// it used then, `provider-seed:<name>`.
async fn seed_entry(db: &Db, name: &str) -> Result<(String, bool), ProviderError> {
    if let Some(entry) = db.meta(SEED_ENTRY_META).await? {
        return Ok((entry, false));
    }
    if db.has_swaps().await? {
        return Ok((format!("provider-seed:{name}"), true));
    }
    let mut id = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
    Ok((
        format!(
            "provider-seed:{name}:{}",
            bitcoin::hex::DisplayHex::to_lower_hex_string(&id[..])
        ),
        true,
    ))
}

fn load_or_make_seed(
    keychain: &dyn SecretStore,
    entry: &str,
) -> Result<Zeroizing<[u8; 64]>, ProviderError> {
    let entry = entry.to_string();
    let stored = keychain
        .get(&entry)
        .map_err(|e| ProviderError::Keys(e.to_string()))?;
    let hex = match stored {
        Some(s) => Zeroizing::new(s.expose_secret().to_string()),
        None => {
            let mut bytes = Zeroizing::new([0u8; 64]);
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes[..]);
            let hex = Zeroizing::new(bitcoin::hex::DisplayHex::to_lower_hex_string(&bytes[..]));
            keychain
                .put(&entry, &SecretString::from(hex.to_string()))
                .map_err(|e| ProviderError::Keys(e.to_string()))?;
            hex
        }
    };
    let bytes: Zeroizing<Vec<u8>> = Zeroizing::new(
        bitcoin::hex::FromHex::from_hex(&hex)
            .map_err(|_| ProviderError::Keys("malformed seed".into()))?,
    );
    let mut seed = Zeroizing::new([0u8; 64]);
    if bytes.len() != 64 {
        return Err(ProviderError::Keys("malformed seed".into()));
    }
    seed.copy_from_slice(&bytes);
    Ok(seed)
}

impl Provider {
    /// Opens the provider's database in `data_dir`, its seed from the
    /// keychain (made on first use, see [`seed_entry`]), and follows the
    /// node's blocks. One provider at a time per directory: a second one
    /// would pay and claim the same swaps twice, so it is refused while the
    /// first runs (an exclusive lock on `<data_dir>/provider.lock`, released
    /// however the first one ends).
    pub async fn start(
        cfg: Config,
        data_dir: &Path,
        name: &str,
        keychain: &dyn SecretStore,
        conn: Arc<Connection>,
    ) -> Result<Arc<Provider>, ProviderError> {
        let dir_err = |source| ProviderError::Dir {
            dir: data_dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(dir_err)?;
        let instance = switchyard_core::files::try_lock_exclusive(&data_dir.join("provider.lock"))
            .map_err(dir_err)?
            .ok_or_else(|| ProviderError::AlreadyRunning {
                dir: data_dir.to_path_buf(),
            })?;
        let db = Db::open(data_dir).await?;
        let (entry, new) = seed_entry(&db, name).await?;
        let seed = load_or_make_seed(keychain, &entry)?;
        if new {
            db.set_meta(SEED_ENTRY_META, &entry).await?;
        }
        let client = conn.client().await?;
        let tip = client.height().await?;
        let (tx, rx) = watch::channel(tip);
        let (updates, _) = broadcast::channel(1024);
        let p = Arc::new(Provider {
            cfg,
            db,
            conn,
            seed,
            updates,
            height: rx,
            create_lock: Mutex::new(()),
            wake: std::sync::Mutex::new(HashMap::new()),
            pending_claims: Mutex::new(HashMap::new()),
            failed_payments: std::sync::Mutex::new(HashMap::new()),
            write_lock: Mutex::new(()),
            _instance: instance,
        });
        tokio::spawn(worker::follow_blocks(p.clone(), tx));
        for s in p.db.open_swaps().await? {
            tracing::info!(swap = %s.id, status = %s.status, "resuming swap");
            p.spawn_worker(s.id.clone());
        }
        Ok(p)
    }

    /// Serves the API on `addr` until the task is dropped; returns the bound
    /// address once listening (port 0 picks one).
    pub async fn serve(
        self: &Arc<Self>,
        addr: SocketAddr,
    ) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), ProviderError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ProviderError::Listen { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| ProviderError::Listen { addr, source })?;
        let app = server::router(self.clone());
        let handle = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "provider server stopped");
            }
        });
        tracing::info!(%bound, "swap provider listening");
        Ok((bound, handle))
    }

    /// The database (for tests and the CLI's status).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub(crate) async fn client(&self) -> Result<LndClient, NodeError> {
        self.conn.client().await
    }

    pub(crate) fn tip(&self) -> u32 {
        *self.height.borrow()
    }

    pub(crate) fn keys(&self, index: u32) -> SwapSecrets {
        // Indexes come from our own counter, far below 2^31.
        derive_swap(
            &self.seed,
            self.cfg.network,
            index.min(switchyard_core::swap::keys::MAX_INDEX),
        )
        .unwrap_or_else(|e| unreachable!("index in range: {e}"))
    }

    /// Changes a swap as stored now (never a stale copy: a worker and a
    /// request handler may both hold one), saves it and tells WebSocket
    /// subscribers. A final swap is never changed again.
    pub(crate) async fn modify(
        &self,
        id: &str,
        f: impl FnOnce(&mut ProviderSwap),
    ) -> Result<ProviderSwap, db::DbError> {
        let _guard = self.write_lock.lock().await;
        let mut s = self
            .db
            .get(id)
            .await?
            .ok_or_else(|| db::DbError::Corrupt(format!("no swap {id}")))?;
        if s.is_final() {
            return Ok(s);
        }
        let before = s.status.clone();
        f(&mut s);
        self.db.save(&s, s.is_final()).await?;
        if s.status != before {
            let _ = self.updates.send(s.status_view(true));
        }
        Ok(s)
    }

    pub(crate) fn notify(&self, id: &str) -> Arc<Notify> {
        let mut m = self.wake.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(id.to_string())
            .or_insert_with(|| Arc::new(Notify::new()))
            .clone()
    }

    pub(crate) fn spawn_worker(self: &Arc<Self>, id: String) {
        let p = self.clone();
        tokio::spawn(async move {
            if let Err(e) = worker::run(p, &id).await {
                tracing::error!(swap = %id, error = %e, "swap worker stopped");
            }
        });
    }
}

/// SHA-256 of a preimage, hex.
pub(crate) fn hash_hex(preimage: &[u8]) -> String {
    bitcoin::hex::DisplayHex::to_lower_hex_string(&sha256::Hash::hash(preimage).to_byte_array()[..])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_provider_on_one_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _first = switchyard_core::files::try_lock_exclusive(&dir.path().join("provider.lock"))
            .unwrap()
            .unwrap();
        let kc = switchyard_core::keychain::MemoryKeychain::default();
        let err = Provider::start(
            Config::defaults(Network::Regtest),
            dir.path(),
            "p",
            &kc,
            Arc::new(Connection::new(None)),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, ProviderError::AlreadyRunning { dir: d } if d == dir.path()),
            "{err}"
        );
        assert!(err.to_string().contains("already running"), "{err}");
    }

    #[tokio::test]
    async fn each_database_has_a_seed_of_its_own() {
        let kc = switchyard_core::keychain::MemoryKeychain::default();
        let mut seeds = Vec::new();
        for _ in 0..2 {
            let dir = tempfile::tempdir().unwrap();
            let db = Db::open(dir.path()).await.unwrap();
            let (entry, new) = seed_entry(&db, "same-name").await.unwrap();
            assert!(
                new && entry.starts_with("provider-seed:same-name:"),
                "{entry}"
            );
            let seed = load_or_make_seed(&kc, &entry).unwrap();
            db.set_meta(SEED_ENTRY_META, &entry).await.unwrap();
            // Opened again: the same entry, the same seed.
            let (again, new) = seed_entry(&db, "same-name").await.unwrap();
            assert!(!new);
            assert_eq!(again, entry);
            assert_eq!(*load_or_make_seed(&kc, &again).unwrap(), *seed);
            seeds.push(seed);
        }
        assert_ne!(*seeds[0], *seeds[1], "two databases, two seeds");
    }
}
