//! Node profiles: the nodes a user has set up, which one is in use, and
//! initialising a fresh LND from a Switchyard wallet's seed.
//!
//! Three kinds, one list:
//! - **stored**: from an lndconnect URI (or made by [`ProfileService::init_node`]):
//!   endpoints and the TLS certificate in SQLite, the macaroon (and, for a
//!   node we initialised, its wallet password) in the OS keychain;
//! - **files**: endpoints in SQLite, the certificate and macaroon read from
//!   LND's own files at each connect (a local node that renews them);
//! - **regtest**: the nodes of the local regtest network in
//!   `DATA_DIR/regtest` (read from its `profiles.json`, never stored; ids
//!   `regtest:<name>`).
//!
//! The profile in use is the `node.active_profile` setting; when it is unset
//! or names a profile that is gone, the regtest network's first node is used
//! if one runs there.
//!
//! A wallet password `node init` generated exists nowhere but in the
//! keychain until the user reveals it (after the same confirmation as the
//! recovery words): until then the profile cannot be removed, and a failed
//! init keeps it unless LND itself says it still has no wallet.
//!
//! No SQLite write transaction is held across a keychain call: the keychain
//! entry is written first, the row after, and the entry removed again if the
//! row fails.

use crate::audit::{AuditLog, Record};
use crate::confirm::{ConfirmTarget, Confirmation};
use crate::keychain::{KeychainError, SecretStore};
use crate::network::Network;
use crate::node::client::{LndClient, NodeTarget};
use crate::node::error::NodeError;
use crate::node::lndconnect::pem_to_der;
use crate::node::unlocker::{self, WalletState};
use crate::node::{Credentials, NodeSource};
use crate::store::{ProfileFlag, ProfileRow, ProfileRowKind, Store, StoreError};
use crate::wallet::{WalletError, WalletService};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use switchyard_pure::audit::Kind;
use ts_rs::TS;
use zeroize::Zeroizing;

/// The setting naming the profile in use.
pub const ACTIVE_PROFILE_SETTING: &str = "node.active_profile";
pub use crate::node::source::REGTEST_PREFIX;
const MAX_NAME_CHARS: usize = 64;

/// Why a profile could not be added, found or used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// No profile by that name or id.
    #[error("There is no node profile named \"{name}\". `switchyard node profiles` lists them.")]
    NotFound {
        /// What was asked for.
        name: String,
    },
    /// Bad or empty name.
    #[error("A profile name has 1 to 64 characters.")]
    BadName,
    /// The name is taken.
    #[error("A node profile named \"{name}\" already exists; choose another name.")]
    NameTaken {
        /// The name.
        name: String,
    },
    /// Regtest profiles come and go with the network.
    #[error("\"{name}\" belongs to the local regtest network; it goes away with the network and cannot be removed here.")]
    BuiltIn {
        /// The name.
        name: String,
    },
    /// The macaroon of a stored profile is missing from the keychain.
    #[error("The macaroon of node profile \"{name}\" is missing from the system keychain. Add the profile again from its lndconnect link.")]
    MacaroonMissing {
        /// The profile.
        name: String,
    },
    /// A node that already has a wallet cannot be initialised.
    #[error("The node at {endpoint} already has a wallet ({state}). Only a fresh LND, started without a wallet, can be initialised from your words.")]
    AlreadyInitialised {
        /// host:port.
        endpoint: String,
        /// What LND said it is doing.
        state: String,
    },
    /// The wallet's network is not the profile's.
    #[error("The wallet \"{wallet}\" is for {wallet_network}, but the node is on {network}; choose a wallet of the node's network.")]
    NetworkMismatch {
        /// The wallet's name.
        wallet: String,
        /// Its network.
        wallet_network: Network,
        /// The profile's network.
        network: Network,
    },
    /// The node's generated wallet password exists only in the keychain.
    #[error("Only Switchyard knows the wallet password of node \"{name}\" (it was generated when the node was initialised). Removing the profile would lock you out of the node's wallet for good: reveal the password and write it down first (Nodes → Reveal password, or `switchyard node password \"{name}\"`).")]
    PasswordOnlyHere {
        /// The profile.
        name: String,
    },
    /// InitWallet failed in a way that may have created the wallet.
    #[error("LND did not confirm that it created the wallet ({detail}). It may have: the wallet password is kept in the profile \"{name}\" (reveal it on the Nodes screen). Once the node runs, add its admin.macaroon to that profile (Nodes → Add macaroon, or `switchyard node macaroon \"{name}\" --macaroon-file …`); if the node still has no wallet, remove the profile and initialise again.")]
    InitUnconfirmed {
        /// The profile kept.
        name: String,
        /// What went wrong.
        detail: String,
    },
    /// No password is kept for this profile.
    #[error("Switchyard keeps no wallet password for node \"{name}\".")]
    NoPassword {
        /// The profile.
        name: String,
    },
    /// The node.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The wallet.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// The keychain.
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A background task failed.
    #[error("internal task failed: {0}")]
    Task(String),
}

impl From<sqlx::Error> for ProfileError {
    fn from(e: sqlx::Error) -> Self {
        ProfileError::Store(StoreError::from(e))
    }
}

/// How a profile finds its credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ProfileKind {
    /// A node of the local regtest network.
    Regtest,
    /// Certificate and macaroon files on disk.
    Files,
    /// Certificate in the database, macaroon in the keychain.
    Stored,
}

/// A node profile as the UI and the CLI list it. No secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ProfileInfo {
    /// Stable id (`p_…`, or `regtest:<name>`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The node's network.
    pub network: Network,
    /// Where the credentials come from.
    pub kind: ProfileKind,
    /// host:port of each endpoint, preferred first.
    pub endpoints: Vec<String>,
    /// Certificate file (files, regtest).
    pub tls_cert_path: Option<String>,
    /// Macaroon file (files, regtest).
    pub macaroon_path: Option<String>,
    /// The Switchyard wallet whose words the node's wallet derives from.
    pub wallet_id: Option<String>,
    /// The keychain holds the node's wallet password (unlocked on start-up).
    pub auto_unlock: bool,
    /// The keychain holds the only copy of the node's wallet password
    /// (generated by `node init`, not revealed yet).
    pub password_only_here: bool,
    /// A stored profile whose macaroon is not in the keychain yet.
    pub macaroon_missing: bool,
    /// In use.
    pub active: bool,
    /// Unix seconds (0 for regtest nodes).
    #[ts(type = "number")]
    pub created_at: i64,
}

/// A profile to add. `Debug` never shows the lndconnect link (it holds the
/// macaroon), and the type can be neither cloned nor serialised: the link
/// arrives once, is parsed, and its buffer is zeroized.
#[derive(Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum NewProfile {
    /// From an lndconnect link (the macaroon goes to the keychain).
    Lndconnect {
        /// Display name.
        name: String,
        /// The link.
        uri: crate::secret::SecretInput,
        /// The node's network.
        network: Network,
        /// More endpoints of the same node (cluster members), host:port.
        #[serde(default)]
        extra_endpoints: Vec<String>,
    },
    /// From LND's certificate and macaroon files.
    Files {
        /// Display name.
        name: String,
        /// host:port of each endpoint, preferred first.
        endpoints: Vec<String>,
        /// tls.cert.
        tls_cert_path: String,
        /// A macaroon file.
        macaroon_path: String,
        /// The node's network.
        network: Network,
    },
}

impl std::fmt::Debug for NewProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NewProfile::Lndconnect {
                name,
                network,
                extra_endpoints,
                ..
            } => f
                .debug_struct("Lndconnect")
                .field("name", name)
                .field("network", network)
                .field("extra_endpoints", extra_endpoints)
                .finish_non_exhaustive(),
            NewProfile::Files {
                name,
                endpoints,
                tls_cert_path,
                macaroon_path,
                network,
            } => f
                .debug_struct("Files")
                .field("name", name)
                .field("endpoints", endpoints)
                .field("tls_cert_path", tls_cert_path)
                .field("macaroon_path", macaroon_path)
                .field("network", network)
                .finish(),
        }
    }
}

/// A node wallet password, revealed on explicit request. Zeroized on drop;
/// `Debug` shows nothing.
#[derive(Serialize, TS)]
#[ts(export)]
pub struct RevealedPassword {
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for RevealedPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevealedPassword(<redacted>)")
    }
}

impl Drop for RevealedPassword {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.password);
    }
}

/// Initialise a fresh LND's wallet from a Switchyard wallet's seed.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct InitNodeRequest {
    /// The new profile's name.
    pub name: String,
    /// host:port of the node's gRPC interface.
    pub endpoint: String,
    /// The node's tls.cert (PEM file).
    pub tls_cert_path: String,
    /// The Switchyard wallet (id or name) whose words the node will use.
    pub wallet: String,
    /// Scan the chain from the start for funds the words already hold
    /// (a restored seed); otherwise the node starts from now.
    pub rescan: bool,
}

/// How long `node init` waits for LND to create the wallet by default.
pub const INIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
/// After a failed `InitWallet` that LND did not clearly refuse (a timeout, a
/// lost connection), how long LND must keep saying it has no wallet before
/// the generated password is forgotten: LND may still be creating it.
pub const INIT_SETTLE: std::time::Duration = std::time::Duration::from_secs(30);

/// Profiles over the database and the keychain.
#[derive(Clone)]
pub struct ProfileService {
    store: Store,
    keychain: Arc<dyn SecretStore>,
    data_dir: PathBuf,
    init_timeout: std::time::Duration,
    audit: AuditLog,
    /// The app lock, whose password removing a profile asks for again.
    app_lock: Option<crate::lock::AppLock>,
}

fn macaroon_entry(id: &str) -> String {
    format!("profile/{id}/macaroon")
}

fn password_entry(id: &str) -> String {
    format!("profile/{id}/wallet-password")
}

fn new_profile_id() -> String {
    format!("p_{:016x}", rand::random::<u64>())
}

fn to_hex(bytes: &[u8]) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(bytes.len() * 2));
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn from_hex(s: &str) -> Option<Zeroizing<Vec<u8>>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(s.len() / 2));
    for i in (0..s.len()).step_by(2) {
        out.push(u8::from_str_radix(s.get(i..i + 2)?, 16).ok()?);
    }
    Some(out)
}

/// Checks and normalises host:port endpoints.
fn check_endpoints(endpoints: &[String]) -> Result<Vec<String>, ProfileError> {
    let mut out = Vec::new();
    for e in endpoints.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let bad = || {
            ProfileError::Node(NodeError::BadRequest {
                message: format!(
                    "\"{e}\" is not an endpoint: write host:port, for example 127.0.0.1:10009."
                ),
            })
        };
        let (host, port) = e.rsplit_once(':').ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        let host = host.trim_matches(['[', ']']);
        if host.is_empty() || port == 0 {
            return Err(bad());
        }
        let norm = NodeTarget::format_endpoint(host, port);
        if !out.contains(&norm) {
            out.push(norm);
        }
    }
    if out.is_empty() {
        return Err(ProfileError::Node(NodeError::BadRequest {
            message: "Give at least one endpoint (host:port of LND's gRPC interface).".into(),
        }));
    }
    Ok(out)
}

fn now_unix() -> i64 {
    i64::try_from(crate::node::convert::now_secs()).unwrap_or(i64::MAX)
}

/// An entry about `info`: the profile as its subject, its name and network.
fn profile_record(kind: Kind, info: &ProfileInfo) -> Record {
    Record::new(kind)
        .on(format!("profile:{}", info.id))
        .with("name", &info.name)
        .with("network", info.network.as_str())
}

struct Row_ {
    info: ProfileInfo,
    cert_der: Option<Vec<u8>>,
}

impl ProfileService {
    /// Profiles in `store`, secrets in `keychain`, regtest nodes from `data_dir/regtest`.
    pub fn new(store: Store, keychain: Arc<dyn SecretStore>, data_dir: &Path) -> ProfileService {
        ProfileService {
            audit: AuditLog::new(store.clone(), keychain.clone()),
            store,
            keychain,
            data_dir: data_dir.to_path_buf(),
            init_timeout: INIT_TIMEOUT,
            app_lock: None,
        }
    }

    /// The same service asking `lock`'s password again before removing a
    /// profile, once one is set.
    pub fn with_app_lock(mut self, lock: crate::lock::AppLock) -> ProfileService {
        self.app_lock = Some(lock);
        self
    }

    /// Waits `limit` for LND's answer to `InitWallet` (default [`INIT_TIMEOUT`]).
    pub fn with_init_timeout(mut self, limit: std::time::Duration) -> ProfileService {
        self.init_timeout = limit;
        self
    }

    /// Whether LND still has no wallet after a failed `InitWallet`: one look
    /// when LND itself refused the request; otherwise LND must say so for
    /// [`INIT_SETTLE`] (it may still be creating the wallet). Anything else —
    /// another state, no answer — means the password may be in use.
    async fn wallet_still_absent(client: &LndClient, refused: bool) -> bool {
        let deadline = tokio::time::Instant::now() + INIT_SETTLE;
        loop {
            match unlocker::wallet_state(client).await {
                Ok(WalletState::NonExisting) => {}
                other => {
                    tracing::warn!(state = ?other, "after the failed InitWallet, LND may have a wallet");
                    return false;
                }
            }
            if refused || tokio::time::Instant::now() >= deadline {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore) -> Result<T, KeychainError> + Send + 'static,
    ) -> Result<T, ProfileError> {
        let kc = Arc::clone(&self.keychain);
        tokio::task::spawn_blocking(move || f(kc.as_ref()))
            .await
            .map_err(|e| ProfileError::Task(e.to_string()))?
            .map_err(ProfileError::from)
    }

    async fn stored(&self) -> Result<Vec<Row_>, ProfileError> {
        Ok(self
            .store
            .profiles()
            .await?
            .into_iter()
            .map(|r| Row_ {
                info: ProfileInfo {
                    id: r.id,
                    name: r.name,
                    network: r.network,
                    kind: match r.kind {
                        ProfileRowKind::Files => ProfileKind::Files,
                        ProfileRowKind::Stored => ProfileKind::Stored,
                    },
                    endpoints: r.endpoints,
                    tls_cert_path: r.tls_cert_path,
                    macaroon_path: r.macaroon_path,
                    wallet_id: r.wallet_id,
                    auto_unlock: r.auto_unlock,
                    password_only_here: r.password_generated && !r.password_revealed,
                    macaroon_missing: !r.macaroon_stored,
                    active: false,
                    created_at: r.created_at,
                },
                cert_der: r.cert_der,
            })
            .collect())
    }

    fn regtest(&self) -> Vec<(ProfileInfo, NodeSource)> {
        NodeSource::regtest_all(&self.data_dir)
            .into_iter()
            .map(|src| {
                let (cert, mac) = match &src.credentials {
                    Credentials::Files {
                        tls_cert_path,
                        macaroon_path,
                    } => (
                        Some(tls_cert_path.display().to_string()),
                        Some(macaroon_path.display().to_string()),
                    ),
                    Credentials::Inline { .. } => (None, None),
                };
                let info = ProfileInfo {
                    id: format!("{REGTEST_PREFIX}{}", src.name),
                    name: src.name.clone(),
                    network: Network::Regtest,
                    kind: ProfileKind::Regtest,
                    endpoints: src.endpoints.clone(),
                    tls_cert_path: cert,
                    macaroon_path: mac,
                    wallet_id: None,
                    auto_unlock: false,
                    password_only_here: false,
                    macaroon_missing: false,
                    active: false,
                    created_at: 0,
                };
                (info, src)
            })
            .collect()
    }

    /// The id of the profile in use (None: no profile at all).
    pub async fn active_id(&self) -> Result<Option<String>, ProfileError> {
        let set = self.store.setting(ACTIVE_PROFILE_SETTING).await?;
        let stored = self.stored().await?;
        let regtest = self.regtest();
        let exists = |id: &str| {
            stored.iter().any(|r| r.info.id == id) || regtest.iter().any(|(i, _)| i.id == id)
        };
        Ok(match set {
            Some(id) if exists(&id) => Some(id),
            _ => regtest
                .first()
                .map(|(i, _)| i.id.clone())
                .or_else(|| stored.first().map(|r| r.info.id.clone())),
        })
    }

    /// Every profile: stored ones, then the regtest network's nodes.
    pub async fn list(&self) -> Result<Vec<ProfileInfo>, ProfileError> {
        let active = self.active_id().await?;
        let mut all: Vec<ProfileInfo> = self.stored().await?.into_iter().map(|r| r.info).collect();
        all.extend(self.regtest().into_iter().map(|(i, _)| i));
        for p in &mut all {
            p.active = active.as_deref() == Some(p.id.as_str());
        }
        Ok(all)
    }

    /// A profile by id, name or unique id prefix.
    pub async fn resolve(&self, id_or_name: &str) -> Result<ProfileInfo, ProfileError> {
        let all = self.list().await?;
        if let Some(p) = all
            .iter()
            .find(|p| p.id == id_or_name || p.name == id_or_name)
        {
            return Ok(p.clone());
        }
        let mut by_prefix = all.iter().filter(|p| p.id.starts_with(id_or_name));
        match (by_prefix.next(), by_prefix.next()) {
            (Some(p), None) if !id_or_name.is_empty() => Ok(p.clone()),
            _ => Err(ProfileError::NotFound {
                name: id_or_name.to_string(),
            }),
        }
    }

    /// What is needed to connect to a profile (reads the keychain for stored ones).
    pub async fn source(&self, id_or_name: &str) -> Result<NodeSource, ProfileError> {
        let info = self.resolve(id_or_name).await?;
        if info.kind == ProfileKind::Regtest {
            return self
                .regtest()
                .into_iter()
                .find(|(i, _)| i.id == info.id)
                .map(|(_, s)| s)
                .ok_or(ProfileError::NotFound { name: info.name });
        }
        let row = self
            .stored()
            .await?
            .into_iter()
            .find(|r| r.info.id == info.id)
            .ok_or_else(|| ProfileError::NotFound {
                name: info.name.clone(),
            })?;
        let credentials = match (info.kind, row.cert_der) {
            (ProfileKind::Files, _) => Credentials::Files {
                tls_cert_path: PathBuf::from(info.tls_cert_path.clone().unwrap_or_default()),
                macaroon_path: PathBuf::from(info.macaroon_path.clone().unwrap_or_default()),
            },
            (_, cert_der) => {
                let key = macaroon_entry(&info.id);
                let mac = self.blocking(move |kc| kc.get(&key)).await?;
                let macaroon = mac
                    .and_then(|m| from_hex(m.expose_secret()))
                    .ok_or_else(|| ProfileError::MacaroonMissing {
                        name: info.name.clone(),
                    })?;
                Credentials::Inline {
                    cert_der: cert_der.unwrap_or_default(),
                    macaroon: Arc::new(macaroon),
                }
            }
        };
        let unlock_password = if info.auto_unlock {
            let key = password_entry(&info.id);
            self.blocking(move |kc| kc.get(&key)).await?.map(Arc::new)
        } else {
            None
        };
        Ok(NodeSource {
            id: info.id,
            name: info.name,
            network: info.network,
            endpoints: info.endpoints,
            etcd_endpoints: Vec::new(),
            credentials,
            unlock_password,
        })
    }

    /// The profile in use, ready to connect (None: no profile).
    pub async fn active_source(&self) -> Result<Option<NodeSource>, ProfileError> {
        match self.active_id().await? {
            Some(id) => Ok(Some(self.source(&id).await?)),
            None => Ok(None),
        }
    }

    /// Makes a profile the one in use; returns it, ready to connect.
    pub async fn activate(
        &self,
        id_or_name: &str,
    ) -> Result<(ProfileInfo, NodeSource), ProfileError> {
        let r = self.activate_unaudited(id_or_name).await;
        let rec = match &r {
            Ok((info, _)) => profile_record(Kind::ProfileUse, info),
            Err(_) => Record::new(Kind::ProfileUse).with("profile", id_or_name),
        };
        self.audit.note(rec, &r).await;
        r
    }

    /// Makes a profile the one in use, unrecorded.
    async fn activate_unaudited(
        &self,
        id_or_name: &str,
    ) -> Result<(ProfileInfo, NodeSource), ProfileError> {
        let info = self.resolve(id_or_name).await?;
        let source = self.source(&info.id).await?;
        self.store
            .set_setting(ACTIVE_PROFILE_SETTING, &info.id)
            .await?;
        tracing::info!(profile = %info.id, "node profile switched");
        Ok((
            ProfileInfo {
                active: true,
                ..info
            },
            source,
        ))
    }

    async fn check_new_name(&self, name: &str) -> Result<String, ProfileError> {
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(ProfileError::BadName);
        }
        if self.list().await?.iter().any(|p| p.name == name) {
            return Err(ProfileError::NameTaken { name });
        }
        Ok(name)
    }

    /// Adds a profile after checking what can be checked offline (the link
    /// parses, the files exist and hold a certificate and a macaroon).
    pub async fn add(&self, new: NewProfile) -> Result<ProfileInfo, ProfileError> {
        let (how, name) = match &new {
            NewProfile::Lndconnect { name, .. } => ("lndconnect", name.trim().to_string()),
            NewProfile::Files { name, .. } => ("files", name.trim().to_string()),
        };
        let r = self.add_unaudited(new).await;
        let rec = match &r {
            Ok(info) => profile_record(Kind::ProfileAdd, info),
            Err(_) => Record::new(Kind::ProfileAdd).with("name", name),
        };
        self.audit.note(rec.with("from", how), &r).await;
        r
    }

    /// Adds a profile, unrecorded.
    async fn add_unaudited(&self, new: NewProfile) -> Result<ProfileInfo, ProfileError> {
        match new {
            NewProfile::Lndconnect {
                name,
                uri,
                network,
                extra_endpoints,
            } => {
                let uri: SecretString = uri.into();
                let name = self.check_new_name(&name).await?;
                let src = NodeSource::lndconnect(name.clone(), uri.expose_secret(), network)?;
                drop(uri);
                let Credentials::Inline { cert_der, macaroon } = src.credentials else {
                    return Err(ProfileError::Task(
                        "lndconnect gave file credentials".into(),
                    ));
                };
                let mut endpoints = src.endpoints;
                endpoints.extend(extra_endpoints);
                let endpoints = check_endpoints(&endpoints)?;
                self.insert_stored(
                    new_profile_id(),
                    &name,
                    network,
                    &endpoints,
                    &cert_der,
                    Some(&macaroon),
                    None,
                    false,
                )
                .await
            }
            NewProfile::Files {
                name,
                endpoints,
                tls_cert_path,
                macaroon_path,
                network,
            } => {
                let name = self.check_new_name(&name).await?;
                let endpoints = check_endpoints(&endpoints)?;
                let probe = NodeSource {
                    id: "adhoc:probe".into(),
                    name: name.clone(),
                    network,
                    endpoints: endpoints.clone(),
                    etcd_endpoints: Vec::new(),
                    credentials: Credentials::Files {
                        tls_cert_path: PathBuf::from(&tls_cert_path),
                        macaroon_path: PathBuf::from(&macaroon_path),
                    },
                    unlock_password: None,
                };
                probe.targets()?;
                let info = ProfileInfo {
                    id: new_profile_id(),
                    name,
                    network,
                    kind: ProfileKind::Files,
                    endpoints,
                    tls_cert_path: Some(tls_cert_path),
                    macaroon_path: Some(macaroon_path),
                    wallet_id: None,
                    auto_unlock: false,
                    password_only_here: false,
                    macaroon_missing: false,
                    active: false,
                    created_at: now_unix(),
                };
                let mut tx = self.store.begin().await?;
                insert_row(&mut tx, &info, None).await?;
                tx.commit().await.map_err(StoreError::from)?;
                tracing::info!(profile = %info.id, "node profile added (files)");
                Ok(info)
            }
        }
    }

    /// Inserts a stored profile: the row and its macaroon entry (if one is
    /// given), both or neither. The keychain entry is written first, with no
    /// transaction open, and removed again if the row cannot be committed.
    /// `auto_unlock` with a wallet means `node init` generated the password.
    #[allow(clippy::too_many_arguments)]
    async fn insert_stored(
        &self,
        id: String,
        name: &str,
        network: Network,
        endpoints: &[String],
        cert_der: &[u8],
        macaroon: Option<&[u8]>,
        wallet_id: Option<String>,
        auto_unlock: bool,
    ) -> Result<ProfileInfo, ProfileError> {
        let generated = auto_unlock && wallet_id.is_some();
        let info = ProfileInfo {
            id: id.clone(),
            name: name.to_string(),
            network,
            kind: ProfileKind::Stored,
            endpoints: endpoints.to_vec(),
            tls_cert_path: None,
            macaroon_path: None,
            wallet_id,
            auto_unlock,
            password_only_here: generated,
            macaroon_missing: macaroon.is_none(),
            active: false,
            created_at: now_unix(),
        };
        let mac_key = macaroon_entry(&id);
        if let Some(macaroon) = macaroon {
            let secret = SecretString::from(to_hex(macaroon).to_string());
            let key = mac_key.clone();
            self.blocking(move |kc| kc.put(&key, &secret)).await?;
        }
        let inserted = async {
            let mut tx = self.store.begin().await?;
            insert_row(&mut tx, &info, Some(cert_der)).await?;
            tx.commit().await.map_err(StoreError::from)?;
            Ok::<(), ProfileError>(())
        }
        .await;
        if let Err(e) = inserted {
            if macaroon.is_some() {
                if let Err(cleanup) = self.blocking(move |kc| kc.delete(&mac_key)).await {
                    tracing::error!(profile = %id, error = %cleanup, "profile not committed and its macaroon entry could not be removed");
                }
            }
            return Err(e);
        }
        tracing::info!(profile = %id, "node profile added (stored)");
        Ok(info)
    }

    async fn forget_secrets(&self, id: &str) {
        for key in [macaroon_entry(id), password_entry(id)] {
            let k = key.clone();
            if let Err(e) = self.blocking(move |kc| kc.delete(&k)).await {
                tracing::error!(entry = %key, error = %e, "could not remove a keychain entry");
            }
        }
    }

    /// Removes a stored profile and its keychain entries; with an app
    /// password set, after it (`app_password`).
    pub async fn remove(
        &self,
        id_or_name: &str,
        app_password: Option<&SecretString>,
    ) -> Result<ProfileInfo, ProfileError> {
        let r = self.remove_unaudited(id_or_name, app_password).await;
        let rec = match &r {
            Ok(info) => profile_record(Kind::ProfileRemove, info),
            Err(_) => Record::new(Kind::ProfileRemove).with("profile", id_or_name),
        };
        self.audit.note(rec, &r).await;
        r
    }

    /// Removes a profile, unrecorded.
    async fn remove_unaudited(
        &self,
        id_or_name: &str,
        app_password: Option<&SecretString>,
    ) -> Result<ProfileInfo, ProfileError> {
        let info = self.resolve(id_or_name).await?;
        if info.kind == ProfileKind::Regtest {
            return Err(ProfileError::BuiltIn { name: info.name });
        }
        if info.password_only_here {
            return Err(ProfileError::PasswordOnlyHere { name: info.name });
        }
        if let Some(lock) = &self.app_lock {
            lock.reauth(app_password)
                .await
                .map_err(|e| ProfileError::Wallet(WalletError::AppLock(e)))?;
        }
        let mut tx = self.store.begin().await?;
        Store::delete_profile(&mut tx, &info.id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        // Rows first: a profile without its secrets is visible and fixable,
        // secrets without a profile would be invisible.
        self.forget_secrets(&info.id).await;
        tracing::info!(profile = %info.id, "node profile removed");
        Ok(info)
    }

    /// Reveals the wallet password Switchyard keeps for a node, after a
    /// confirmation: a code for [`ConfirmTarget::NodePassword`], or the
    /// passphrase of the wallet that initialised the node. From then on the
    /// user holds a copy, so the profile may be removed.
    pub async fn reveal_password(
        &self,
        wallets: &WalletService,
        id_or_name: &str,
        confirmation: &Confirmation,
    ) -> Result<RevealedPassword, ProfileError> {
        let r = self
            .reveal_password_unaudited(wallets, id_or_name, confirmation)
            .await;
        let rec = match self.resolve(id_or_name).await {
            Ok(info) => profile_record(Kind::NodePasswordReveal, &info),
            Err(_) => Record::new(Kind::NodePasswordReveal).with("profile", id_or_name),
        };
        self.audit.note(rec, &r).await;
        r
    }

    /// Reveals a node's password, unrecorded.
    async fn reveal_password_unaudited(
        &self,
        wallets: &WalletService,
        id_or_name: &str,
        confirmation: &Confirmation,
    ) -> Result<RevealedPassword, ProfileError> {
        let info = self.resolve(id_or_name).await?;
        let key = password_entry(&info.id);
        let password = self
            .blocking(move |kc| kc.get(&key))
            .await?
            .ok_or_else(|| ProfileError::NoPassword {
                name: info.name.clone(),
            })?;
        let passphrase = match &info.wallet_id {
            Some(w) => wallets.passphrase_of(w).await.unwrap_or(None),
            None => None,
        };
        let target = ConfirmTarget::NodePassword {
            profile_id: info.id.clone(),
        };
        wallets
            .confirm(&target, confirmation, passphrase.as_ref())
            .await?;
        self.store
            .set_profile_flag(&info.id, ProfileFlag::PasswordRevealed)
            .await?;
        tracing::warn!(profile = %info.id, "node wallet password revealed on request");
        Ok(RevealedPassword {
            password: password.expose_secret().to_string(),
        })
    }

    /// Stores the admin macaroon of a stored profile that has none yet
    /// (after a `node init` LND did not confirm), read from LND's file.
    pub async fn set_macaroon(
        &self,
        id_or_name: &str,
        macaroon_path: &Path,
    ) -> Result<ProfileInfo, ProfileError> {
        let info = self.resolve(id_or_name).await?;
        if info.kind != ProfileKind::Stored {
            return Err(ProfileError::Node(NodeError::BadRequest {
                message: format!(
                    "\"{}\" reads its macaroon from LND's files or the regtest network; only profiles from a link or `node init` keep one.",
                    info.name
                ),
            }));
        }
        let bytes = Zeroizing::new(crate::node::read_capped(
            macaroon_path,
            "the macaroon",
            64 * 1024,
        )?);
        if bytes.is_empty() {
            return Err(ProfileError::Node(NodeError::File {
                what: "the macaroon",
                path: macaroon_path.display().to_string(),
                detail: "the file is empty".into(),
            }));
        }
        let secret = SecretString::from(to_hex(&bytes).to_string());
        let key = macaroon_entry(&info.id);
        self.blocking(move |kc| kc.put(&key, &secret)).await?;
        self.store
            .set_profile_flag(&info.id, ProfileFlag::MacaroonStored)
            .await?;
        tracing::info!(profile = %info.id, "macaroon added to the profile");
        Ok(ProfileInfo {
            macaroon_missing: false,
            ..info
        })
    }

    /// Unlocks a profile's node with `password` (a no-op if it is not
    /// locked); with `remember`, keeps the password in the keychain so the
    /// node is unlocked automatically from now on (stored and files profiles).
    pub async fn unlock(
        &self,
        id_or_name: &str,
        password: SecretString,
        remember: bool,
    ) -> Result<ProfileInfo, ProfileError> {
        let r = self.unlock_unaudited(id_or_name, password, remember).await;
        let rec = match &r {
            Ok(info) => profile_record(Kind::NodeUnlock, info),
            Err(_) => Record::new(Kind::NodeUnlock).with("profile", id_or_name),
        };
        self.audit.note(rec.with("remember", remember), &r).await;
        r
    }

    /// Unlocks a node, unrecorded.
    async fn unlock_unaudited(
        &self,
        id_or_name: &str,
        password: SecretString,
        remember: bool,
    ) -> Result<ProfileInfo, ProfileError> {
        let info = self.resolve(id_or_name).await?;
        let mut source = self.source(&info.id).await?;
        source.unlock_password = Some(Arc::new(password.clone()));
        crate::node::Connection::new(Some(source)).check().await?;
        if !remember || info.kind == ProfileKind::Regtest {
            return Ok(info);
        }
        let key = password_entry(&info.id);
        self.blocking(move |kc| kc.put(&key, &password)).await?;
        self.store
            .set_profile_flag(&info.id, ProfileFlag::AutoUnlock)
            .await?;
        Ok(ProfileInfo {
            auto_unlock: true,
            ..info
        })
    }

    /// Initialises a fresh LND (started without a wallet, e.g. without
    /// `--noseedbackup`) from a Switchyard wallet's seed: LND's
    /// `InitWallet` with the BIP32 master key and a random wallet password.
    /// The password and the admin macaroon LND returns go to the keychain;
    /// the new profile unlocks the node whenever it starts locked.
    pub async fn init_node(
        &self,
        wallets: &WalletService,
        req: InitNodeRequest,
    ) -> Result<ProfileInfo, ProfileError> {
        let rec = Record::new(Kind::NodeInit)
            .with("endpoint", &req.endpoint)
            .with("wallet", &req.wallet);
        let r = self.init_node_unaudited(wallets, req).await;
        let rec = match &r {
            Ok(info) => rec
                .on(format!("profile:{}", info.id))
                .with("name", &info.name),
            Err(_) => rec,
        };
        self.audit.note(rec, &r).await;
        r
    }

    /// Initialises a node, unrecorded.
    async fn init_node_unaudited(
        &self,
        wallets: &WalletService,
        req: InitNodeRequest,
    ) -> Result<ProfileInfo, ProfileError> {
        let name = self.check_new_name(&req.name).await?;
        let endpoint = check_endpoints(std::slice::from_ref(&req.endpoint))?
            .into_iter()
            .next()
            .ok_or(ProfileError::BadName)?;
        let wallet = wallets.resolve(&req.wallet).await?;
        let pem = String::from_utf8(crate::node::read_capped(
            Path::new(&req.tls_cert_path),
            "the TLS certificate",
            crate::files::MAX_CREDENTIAL_BYTES,
        )?)
        .map_err(|_| NodeError::File {
            what: "the TLS certificate",
            path: req.tls_cert_path.clone(),
            detail: "it is not a PEM certificate".into(),
        })?;
        let cert_der = pem_to_der(&pem).ok_or_else(|| NodeError::File {
            what: "the TLS certificate",
            path: req.tls_cert_path.clone(),
            detail: "it is not a PEM certificate".into(),
        })?;
        let (host, port) = endpoint
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.trim_matches(['[', ']']).to_string(), p.parse().ok()?)))
            .ok_or(ProfileError::BadName)?;
        let client = LndClient::new(NodeTarget {
            host,
            port,
            cert_der: cert_der.clone(),
            macaroon: Arc::new(Zeroizing::new(Vec::new())),
        })?;
        // A node that has just started says "waiting to start" for a moment
        // before it knows whether it has a wallet: wait that out.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        let state = loop {
            match unlocker::wallet_state(&client).await? {
                WalletState::WaitingToStart if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await
                }
                WalletState::WaitingToStart => return Err(NodeError::Starting.into()),
                other => break other,
            }
        };
        if state != WalletState::NonExisting {
            return Err(ProfileError::AlreadyInitialised {
                endpoint,
                state: format!("{state:?}"),
            });
        }
        let (network, xprv) = wallets.master_xprv(&wallet.id).await?;
        let password = {
            let bytes: [u8; 32] = rand::random();
            SecretString::from(to_hex(&bytes).to_string())
        };
        // The password is in the keychain before LND holds it, so it is never lost.
        let id = new_profile_id();
        {
            let key = password_entry(&id);
            let pw = password.clone();
            self.blocking(move |kc| kc.put(&key, &pw)).await?;
        }
        let init =
            unlocker::init_wallet(&client, &password, &xprv, req.rescan, self.init_timeout).await;
        let macaroon = match init {
            Ok(m) => m,
            Err(e) => {
                // A timeout or a lost connection may come after LND created
                // the wallet with our password: forget it only if LND says
                // it still has none. (An answer from LND is a refusal.)
                let refused = matches!(e, NodeError::Rpc { .. } | NodeError::BadRequest { .. });
                if Self::wallet_still_absent(&client, refused).await {
                    self.forget_secrets(&id).await;
                    return Err(e.into());
                }
                tracing::error!(profile = %id, error = %e,
                    "InitWallet failed but the node may have created the wallet; its password is kept");
                self.insert_stored(
                    id.clone(),
                    &name,
                    network,
                    std::slice::from_ref(&endpoint),
                    &cert_der,
                    None,
                    Some(wallet.id.clone()),
                    true,
                )
                .await?;
                return Err(ProfileError::InitUnconfirmed {
                    name,
                    detail: e.to_string(),
                });
            }
        };
        drop(xprv);
        tracing::info!(wallet = %wallet.id, profile = %id, "LND wallet initialised from a Switchyard seed");
        // LND now holds the password: keep its keychain entry whatever happens.
        self.insert_stored(
            id.clone(),
            &name,
            network,
            &[endpoint],
            &cert_der,
            Some(&macaroon),
            Some(wallet.id.clone()),
            true,
        )
        .await
        .inspect_err(|e| {
            tracing::error!(profile = %id, entry = %password_entry(&id), error = %e,
                "the node was initialised but its profile could not be saved; the wallet password stays in the keychain");
        })
    }
}

async fn insert_row(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    p: &ProfileInfo,
    cert_der: Option<&[u8]>,
) -> Result<(), ProfileError> {
    let row = ProfileRow {
        id: p.id.clone(),
        name: p.name.clone(),
        network: p.network,
        kind: match p.kind {
            ProfileKind::Files => ProfileRowKind::Files,
            _ => ProfileRowKind::Stored,
        },
        endpoints: p.endpoints.clone(),
        tls_cert_path: p.tls_cert_path.clone(),
        macaroon_path: p.macaroon_path.clone(),
        cert_der: cert_der.map(<[u8]>::to_vec),
        wallet_id: p.wallet_id.clone(),
        auto_unlock: p.auto_unlock,
        password_generated: p.password_only_here,
        password_revealed: false,
        macaroon_stored: !p.macaroon_missing,
        created_at: p.created_at,
    };
    Ok(Store::insert_profile(tx, &row).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_checked_and_normalised() {
        let ok = check_endpoints(&[
            " 127.0.0.1:10009 ".into(),
            "[::1]:10009".into(),
            "127.0.0.1:10009".into(),
            String::new(),
        ])
        .unwrap_or_default();
        assert_eq!(ok, vec!["127.0.0.1:10009", "[::1]:10009"]);
        for bad in ["localhost", "host:port", ":10009", "h:0", "h:70000"] {
            let e = check_endpoints(&[bad.into()]).err().map(|e| e.to_string());
            assert!(
                e.as_deref().is_some_and(|m| m.contains("host:port")),
                "{bad}: {e:?}"
            );
        }
        assert!(check_endpoints(&[]).is_err());
    }

    #[test]
    fn debug_never_shows_the_link() {
        let p = NewProfile::Lndconnect {
            name: "home".into(),
            uri: crate::secret::SecretInput(SecretString::from(
                "lndconnect://h:1?macaroon=SECRETMAC".to_string(),
            )),
            network: Network::Regtest,
            extra_endpoints: vec![],
        };
        let shown = format!("{p:?}");
        assert!(
            shown.contains("home") && !shown.contains("SECRETMAC"),
            "{shown}"
        );
    }

    #[test]
    fn hex_round_trip() {
        let bytes = [0u8, 1, 0xab, 0xff];
        let h = to_hex(&bytes);
        assert_eq!(h.as_str(), "0001abff");
        assert_eq!(
            from_hex(&h).as_deref().map(|v| v.to_vec()),
            Some(bytes.to_vec())
        );
        assert!(from_hex("abc").is_none());
        assert!(from_hex("zz").is_none());
    }
}
