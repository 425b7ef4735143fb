//! The wallet service: create, restore, list, inspect, reveal and delete
//! wallets, keeping the OS keychain and the database consistent.
//!
//! Invariants:
//! - The words and passphrase are written only to the keychain; the database
//!   holds the fingerprint and account xpubs derived from them.
//! - Nothing is half-written: a wallet row exists only if its keychain entry
//!   was written, and a keychain entry is removed again if its row could not be
//!   committed. Deleting restores the keychain entry if the row delete fails.
//!   No SQLite write transaction is ever open during a keychain (D-Bus) call:
//!   a keychain prompt must not hold the database's write lock (the CLI
//!   would wait on it and fail with "database is locked").
//! - Addresses come from the stored xpubs: listing them never reads the seed.
//! - The words leave the keychain only after a confirmation (the passphrase,
//!   or a one-time code shown outside the web view: see [`crate::confirm`]).
//! - The passphrase is NFKD-normalised into the seed (BIP39). Wallets an
//!   earlier version derived from the passphrase's bytes as typed keep their
//!   keys (their funds are there) and are flagged so the user is told.

use crate::audit::{AuditLog, Record};
use crate::confirm::{Challenge, ConfirmError, ConfirmTarget, Confirmation, Confirmer};
use crate::keychain::{KeychainError, SecretStore};
use crate::keys::{
    master_key, normalize_passphrase, parse_address, parse_mnemonic, passphrase_is_normalized,
    phrase_of, seed_from, seed_from_unnormalized, AccountKey, AddressError, Chain, MnemonicError,
    Purpose,
};
use crate::network::Network;
use crate::store::{AccountRow, Store, StoreError, WalletRow};
use bitcoin::bip32::Xpub;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::sync::Arc;
use switchyard_pure::audit::Kind;
use ts_rs::TS;
use zeroize::Zeroizing;

/// Longest wallet name we accept, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Most addresses one listing returns.
pub const MAX_ADDRESSES: u32 = 1000;
/// How far [`WalletService::find_address`] searches by default, per chain.
pub const DEFAULT_SEARCH_GAP: u32 = 1000;

const SECRET_HEADER: &str = "switchyard-seed-v1";

/// Why a wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The recovery words.
    #[error(transparent)]
    Mnemonic(#[from] MnemonicError),
    /// An address given to check.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// The OS keychain.
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No wallet with that id.
    #[error("There is no wallet with id {id}.")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// The name is empty or too long.
    #[error("A wallet name has 1 to 64 characters.")]
    BadName,
    /// Another wallet has that name.
    #[error("A wallet named \"{name}\" already exists; choose another name.")]
    NameTaken {
        /// The name.
        name: String,
    },
    /// The same seed (words + passphrase) is already a wallet on this network.
    #[error("These recovery words (with this passphrase) are already set up as the wallet \"{existing}\" on {network}.")]
    Duplicate {
        /// The existing wallet's name.
        existing: String,
        /// The network.
        network: Network,
    },
    /// The wallet's keychain entry is gone.
    #[error("The recovery words of wallet \"{name}\" are missing from the system keychain. Restore the wallet from your written-down words.")]
    SecretMissing {
        /// The wallet's name.
        name: String,
    },
    /// The keychain entry is not one we wrote.
    #[error(
        "The keychain entry of wallet \"{name}\" cannot be read by this version of Switchyard."
    )]
    SecretUnreadable {
        /// The wallet's name.
        name: String,
    },
    /// Reveal was asked with the wrong passphrase (or confirmation).
    #[error("{0}")]
    NotConfirmed(&'static str),
    /// Too soon after wrong confirmations.
    #[error("Too many wrong answers. Wait {retry_in_secs} seconds, then try again.")]
    TooSoon {
        /// Seconds until the next attempt is accepted.
        retry_in_secs: u64,
    },
    /// Deleting would leave nodes whose wallet comes from these words.
    #[error("This wallet's words are the seed of the node{} {}: their on-chain funds can be recovered only from these words. Write the words down first; to delete anyway, confirm by naming {}.",
        if .nodes.len() == 1 { "" } else { "s" },
        .nodes.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", "),
        if .nodes.len() == 1 { "that node" } else { "those nodes" })]
    LinkedNodes {
        /// The profiles' names.
        nodes: Vec<String>,
    },
    /// Swaps in flight need the wallet's seed to claim or refund.
    #[error("This wallet has {0} swap(s) that are not finished; their claim or refund needs its seed. Wait until they end (Swaps screen), then delete the wallet.")]
    OpenSwaps(usize),
    /// A request field out of range.
    #[error("{0}")]
    BadRequest(String),
    /// A blocking task (keychain call) did not finish.
    #[error("An internal task failed: {0}")]
    Task(String),
    /// The app password, asked again before a sensitive action.
    #[error(transparent)]
    AppLock(crate::lock::LockError),
    /// A watch-only wallet has no words or private keys.
    #[error("“{name}” is a watch-only wallet: it holds public keys only, no recovery words. Sign with its hardware wallet.")]
    WatchOnly {
        /// The wallet's name.
        name: String,
    },
    /// What was pasted for a watch-only wallet.
    #[error(transparent)]
    Watch(#[from] crate::keys::WatchError),
}

/// A watch-only wallet to import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ImportWatch {
    /// Display name, unique.
    pub name: String,
    /// Network.
    pub network: Network,
    /// An extended public key (xpub, zpub, tpub, vpub, …) or an output
    /// descriptor with its key origin.
    pub key: String,
    /// The master key's fingerprint (for a bare extended key).
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// The account's path (for a bare extended key; default: its SLIP-132
    /// purpose, account 0).
    #[serde(default)]
    pub path: Option<String>,
    /// The device the key came from ("Ledger Nano S Plus"), when it did.
    #[serde(default)]
    pub device: Option<String>,
}

/// What is needed to create or restore a wallet.
pub struct NewWallet {
    /// Display name, unique.
    pub name: String,
    /// Network the wallet's keys and addresses are for.
    pub network: Network,
    /// The recovery words (English BIP39).
    pub words: SecretString,
    /// The BIP39 passphrase ("25th word"); empty for none.
    pub passphrase: SecretString,
}

/// The IPC request to create (or restore) a wallet. The words and passphrase
/// deserialize straight into secret containers; `Debug` shows neither.
#[derive(Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct CreateWalletRequest {
    /// Display name.
    pub name: String,
    /// Network.
    pub network: Network,
    /// Space-separated recovery words.
    pub words: crate::secret::SecretInput,
    /// BIP39 passphrase, empty for none.
    pub passphrase: crate::secret::SecretInput,
    /// Whether the words were brought by the user (a restore) rather than
    /// generated for this wallet: the audit log records which.
    #[serde(default)]
    #[ts(optional)]
    pub restored: Option<bool>,
}

impl std::fmt::Debug for CreateWalletRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateWalletRequest")
            .field("name", &self.name)
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

impl From<CreateWalletRequest> for NewWallet {
    fn from(r: CreateWalletRequest) -> Self {
        NewWallet {
            name: r.name,
            network: r.network,
            words: r.words.into(),
            passphrase: r.passphrase.into(),
        }
    }
}

/// A wallet as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WalletSummary {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Network.
    pub network: Network,
    /// Master key fingerprint (8 hex digits), as hardware wallets show it.
    pub fingerprint: String,
    /// Whether the seed includes a BIP39 passphrase.
    pub has_passphrase: bool,
    /// The passphrase (with accents or other non-ASCII characters) was
    /// stretched as typed by an earlier version, not NFKD-normalised as
    /// BIP39 requires: other BIP39 wallets restoring these words with this
    /// passphrase find another, empty wallet. The user must be told.
    pub legacy_passphrase: bool,
    /// Unix seconds.
    #[ts(type = "number")]
    pub created_at: i64,
    /// Public keys only: signed by its hardware wallet.
    pub watch_only: bool,
    /// The hardware wallet's type (HWI's: `ledger`, `trezor`, …), if known.
    pub device: Option<String>,
    /// The LND account its account is imported as, if any.
    pub lnd_account: Option<String>,
}

/// One account of a wallet, with everything a watch-only tool needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AccountInfo {
    /// Purpose.
    pub purpose: Purpose,
    /// "Native SegWit (P2WPKH)" etc.
    pub label: String,
    /// `m/84'/0'/0'`.
    pub path: String,
    /// xpub/tpub.
    pub xpub: String,
    /// zpub/ypub/vpub/upub where wallets expect one.
    pub slip132: Option<String>,
    /// Receive descriptor with checksum.
    pub receive_descriptor: String,
    /// Change descriptor with checksum.
    pub change_descriptor: String,
}

/// A wallet with its accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WalletDetail {
    /// The summary.
    pub wallet: WalletSummary,
    /// BIP84, BIP86, BIP49, BIP44 (in that order).
    pub accounts: Vec<AccountInfo>,
    /// Node profiles whose LND wallet was initialised from these words.
    pub linked_nodes: Vec<String>,
}

/// One address with its path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AddressInfo {
    /// Address index (last path level).
    pub index: u32,
    /// Receive or change.
    pub chain: Chain,
    /// Full path, `m/84'/0'/0'/0/3`.
    pub path: String,
    /// The address.
    pub address: String,
}

/// Where an address sits in a wallet, if it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AddressOwnership {
    /// The address belongs to the wallet (within the searched range).
    pub is_mine: bool,
    /// Where it was found.
    pub found: Option<AddressInfo>,
    /// The account it was found in.
    pub purpose: Option<Purpose>,
    /// How many indexes per chain were searched.
    pub searched: u32,
}

/// The recovery words, revealed on explicit request.
#[derive(Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RevealedWords {
    /// Space-separated words.
    pub words: String,
}

impl std::fmt::Debug for RevealedWords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevealedWords(<redacted>)")
    }
}

impl Drop for RevealedWords {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.words);
    }
}

/// Creates, lists and deletes wallets over a [`Store`] and a [`SecretStore`].
#[derive(Clone)]
pub struct WalletService {
    store: Store,
    keychain: Arc<dyn SecretStore>,
    confirmer: Confirmer,
    audit: AuditLog,
    /// The app lock, whose password a sensitive action asks for again
    /// (none in tests of the service alone: nothing to ask).
    app_lock: Option<crate::lock::AppLock>,
}

fn secret_name(wallet_id: &str) -> String {
    format!("wallet/{wallet_id}/seed")
}

fn encode_secret(words: &SecretString, passphrase: &SecretString) -> SecretString {
    SecretString::from(format!(
        "{SECRET_HEADER}\n{}\n{}",
        words.expose_secret(),
        passphrase.expose_secret()
    ))
}

/// Splits a keychain entry into (words, passphrase).
fn decode_secret(s: &SecretString) -> Option<(SecretString, SecretString)> {
    let mut parts = s.expose_secret().splitn(3, '\n');
    if parts.next()? != SECRET_HEADER {
        return None;
    }
    let words = SecretString::from(parts.next()?.to_string());
    let passphrase = SecretString::from(parts.next().unwrap_or("").to_string());
    Some((words, passphrase))
}

fn new_wallet_id() -> String {
    format!("w_{:016x}", rand::random::<u64>())
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl WalletService {
    /// A service over `store` and `keychain`.
    pub fn new(store: Store, keychain: Arc<dyn SecretStore>) -> Self {
        WalletService {
            confirmer: Confirmer::new(store.clone()),
            audit: AuditLog::new(store.clone(), keychain.clone()),
            store,
            keychain,
            app_lock: None,
        }
    }

    /// The same service with confirmations timed by `clock` (Unix
    /// milliseconds), for tests that must not depend on the machine's speed.
    pub fn with_confirm_clock(mut self, clock: fn() -> u64) -> Self {
        self.confirmer = Confirmer::with_clock(self.store.clone(), clock);
        self
    }

    /// The same service asking `lock`'s password again before sensitive
    /// actions, once one is set.
    pub fn with_app_lock(mut self, lock: crate::lock::AppLock) -> Self {
        self.app_lock = Some(lock);
        self
    }

    /// Only regtest wallets may be kept without an app password (the app's
    /// first run offers to skip it for them alone).
    fn password_first(&self, network: Network) -> Result<(), WalletError> {
        match &self.app_lock {
            Some(lock) if network != Network::Regtest && !lock.enabled() => {
                Err(WalletError::AppLock(crate::lock::LockError::PasswordFirst))
            }
            _ => Ok(()),
        }
    }

    /// Whether sensitive actions ask for the app password (one is set).
    pub fn asks_app_password(&self) -> bool {
        self.app_lock.as_ref().is_some_and(|l| l.enabled())
    }

    /// The re-authentication before a sensitive action: the app password
    /// `given`, when one is set (see [`crate::lock::AppLock::reauth`]).
    pub async fn reauth(&self, given: Option<&SecretString>) -> Result<(), WalletError> {
        match &self.app_lock {
            Some(lock) => lock.reauth(given).await.map_err(WalletError::AppLock),
            None => Ok(()),
        }
    }

    /// A one-time code confirming `target`, to show the user outside the
    /// web view (see [`crate::confirm`]).
    pub fn challenge(&self, target: ConfirmTarget) -> Challenge {
        self.confirmer.challenge(target)
    }

    /// Forgets every confirmation code not yet answered (the app locked).
    pub fn forget_challenges(&self) {
        self.confirmer.forget_all();
    }

    /// Checks `confirmation` for `target`: the passphrase `expected` (NFKD
    /// compared), when given, or a code; backs off after wrong answers.
    pub(crate) async fn confirm(
        &self,
        target: &ConfirmTarget,
        confirmation: &Confirmation,
        expected_passphrase: Option<&SecretString>,
    ) -> Result<(), WalletError> {
        // Once an app password is set it is the one answer (the codes and
        // the wallet's passphrase were the stopgap before it).
        if self.asks_app_password() {
            let given = match confirmation {
                Confirmation::AppPassword { password } => Some(&password.0),
                _ => None,
            };
            return self.reauth(given).await;
        }
        if let Confirmation::AppPassword { .. } = confirmation {
            return Err(WalletError::NotConfirmed(
                "No app password is set: confirm with the code Switchyard shows.",
            ));
        }
        self.confirmer.check_wait().await.map_err(from_confirm)?;
        let right = match (confirmation, expected_passphrase) {
            (Confirmation::Passphrase { passphrase }, Some(expected)) => {
                let typed = normalize_passphrase(&passphrase.0);
                !typed.is_empty() && *typed == *normalize_passphrase(expected)
            }
            (Confirmation::Code { challenge_id, code }, _) => {
                self.confirmer.take_code(target, challenge_id, &code.0)
            }
            (Confirmation::Passphrase { .. }, None) | (Confirmation::AppPassword { .. }, _) => {
                false
            }
        };
        self.confirmer.record(right).await?;
        if right {
            return Ok(());
        }
        Err(WalletError::NotConfirmed(match confirmation {
            Confirmation::Passphrase { .. } if expected_passphrase.is_some() => {
                "That is not this wallet's passphrase."
            }
            Confirmation::Passphrase { .. } => {
                "There is no passphrase to give here; confirm with the code Switchyard shows."
            }
            Confirmation::Code { .. } | Confirmation::AppPassword { .. } => {
                "That code is wrong or has expired. Ask for a new code and type it exactly."
            }
        }))
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The audit log (the same database and keychain).
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore) -> Result<T, KeychainError> + Send + 'static,
    ) -> Result<T, WalletError> {
        let kc = Arc::clone(&self.keychain);
        tokio::task::spawn_blocking(move || f(kc.as_ref()))
            .await
            .map_err(|e| WalletError::Task(e.to_string()))?
            .map_err(WalletError::from)
    }

    /// Creates a wallet from words (new or restored): derives the accounts,
    /// writes the seed to the keychain and the metadata to the database, both
    /// or neither.
    pub async fn create(&self, req: NewWallet) -> Result<WalletSummary, WalletError> {
        self.create_as(Kind::WalletCreate, req).await
    }

    /// [`Self::create`] for words the user brought (recorded as a restore).
    pub async fn restore(&self, req: NewWallet) -> Result<WalletSummary, WalletError> {
        self.create_as(Kind::WalletRestore, req).await
    }

    /// Creates a wallet from an IPC request, as a restore when it says so.
    pub async fn create_from(
        &self,
        req: CreateWalletRequest,
    ) -> Result<WalletSummary, WalletError> {
        let kind = if req.restored == Some(true) {
            Kind::WalletRestore
        } else {
            Kind::WalletCreate
        };
        self.create_as(kind, req.into()).await
    }

    async fn create_as(&self, kind: Kind, req: NewWallet) -> Result<WalletSummary, WalletError> {
        let rec = Record::new(kind)
            .with("name", req.name.trim())
            .with("network", req.network.as_str());
        let r = self.create_unaudited(req).await;
        self.note_new(rec, &r).await;
        r
    }

    /// Records a wallet's creation or import, naming it once it exists.
    async fn note_new(&self, rec: Record, r: &Result<WalletSummary, WalletError>) {
        let rec = match r {
            Ok(w) => rec
                .on(format!("wallet:{}", w.id))
                .with("fingerprint", &w.fingerprint),
            Err(_) => rec,
        };
        self.audit.note(rec, r).await;
    }

    /// Creates a wallet (see [`WalletService::create`]), unrecorded.
    async fn create_unaudited(&self, req: NewWallet) -> Result<WalletSummary, WalletError> {
        let name = req.name.trim().to_string();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(WalletError::BadName);
        }
        self.password_first(req.network)?;
        let mnemonic = parse_mnemonic(&req.words)?;
        let words = phrase_of(&mnemonic);
        let (fingerprint, accounts) = {
            // NFKD-normalised passphrase (BIP39).
            let seed = seed_from(&mnemonic, &req.passphrase);
            let mut master = master_key(&seed, req.network);
            let accounts: Vec<AccountKey> = Purpose::ALL
                .into_iter()
                .map(|p| AccountKey::derive(&master, p, req.network, 0))
                .collect();
            crate::keys::account::erase_xpriv(&mut master);
            (accounts[0].fingerprint.to_string(), accounts)
        };
        self.check_new(&name, &fingerprint, req.network).await?;
        let row = WalletRow {
            id: new_wallet_id(),
            name,
            network: req.network,
            fingerprint,
            has_passphrase: !req.passphrase.expose_secret().is_empty(),
            passphrase_nfkd: Some(true),
            created_at: now_unix(),
            watch_only: false,
            device: None,
            lnd_account: None,
        };
        let account_rows: Vec<AccountRow> = accounts
            .iter()
            .map(|a| AccountRow {
                purpose: a.purpose.number(),
                account: 0,
                path: crate::keys::format_path(&a.path),
                xpub: a.xpub.to_string(),
            })
            .collect();

        // The keychain first, with no transaction open (a keychain prompt
        // must not hold SQLite's write lock); then the rows in one short
        // transaction; if they fail, the entry goes again.
        let name_in_keychain = secret_name(&row.id);
        let secret = encode_secret(&words, &req.passphrase);
        {
            let key = name_in_keychain.clone();
            self.blocking(move |kc| kc.put(&key, &secret)).await?;
        }
        let inserted = async {
            let mut tx = self.store.begin().await?;
            Store::insert_wallet(&mut tx, &row, &account_rows).await?;
            tx.commit().await.map_err(StoreError::from)
        }
        .await;
        if let Err(e) = inserted {
            let key = name_in_keychain.clone();
            if let Err(cleanup) = self.blocking(move |kc| kc.delete(&key)).await {
                tracing::error!(entry = %name_in_keychain, error = %cleanup,
                    "wallet row not committed and its keychain entry could not be removed");
            }
            return Err(e.into());
        }
        tracing::info!(wallet = %row.id, network = %row.network, "wallet created");
        Ok(summary(&row))
    }

    /// Refuses a new wallet whose name is taken, or whose master key is
    /// already a wallet on this network.
    async fn check_new(
        &self,
        name: &str,
        fingerprint: &str,
        network: Network,
    ) -> Result<(), WalletError> {
        for w in self.store.wallets().await? {
            if w.name == name {
                return Err(WalletError::NameTaken {
                    name: name.to_string(),
                });
            }
            if w.fingerprint == fingerprint && w.network == network {
                return Err(WalletError::Duplicate {
                    existing: w.name,
                    network: w.network,
                });
            }
        }
        Ok(())
    }

    /// Imports a watch-only wallet: one account from an extended public key
    /// or a descriptor (see [`crate::keys::parse_watch`]); nothing goes to
    /// the keychain.
    pub async fn import_watch(&self, req: ImportWatch) -> Result<WalletSummary, WalletError> {
        let mut rec = Record::new(Kind::WalletImportWatch)
            .with("name", req.name.trim())
            .with("network", req.network.as_str());
        if let Some(d) = &req.device {
            rec = rec.with("device", d);
        }
        let r = self.import_watch_unaudited(req).await;
        self.note_new(rec, &r).await;
        r
    }

    /// Imports a watch-only wallet, unrecorded.
    async fn import_watch_unaudited(&self, req: ImportWatch) -> Result<WalletSummary, WalletError> {
        let name = req.name.trim().to_string();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(WalletError::BadName);
        }
        self.password_first(req.network)?;
        let account = crate::keys::parse_watch(
            &req.key,
            req.network,
            req.fingerprint.as_deref(),
            req.path.as_deref(),
        )?;
        let fingerprint = account.fingerprint.to_string();
        self.check_new(&name, &fingerprint, req.network).await?;
        let row = WalletRow {
            id: new_wallet_id(),
            name,
            network: req.network,
            fingerprint,
            has_passphrase: false,
            passphrase_nfkd: Some(true),
            created_at: now_unix(),
            watch_only: true,
            device: req
                .device
                .map(|d| d.trim().chars().take(64).collect::<String>())
                .filter(|d| !d.is_empty()),
            lnd_account: None,
        };
        let accounts = [AccountRow {
            purpose: account.purpose.number(),
            account: 0,
            path: crate::keys::format_path(&account.path),
            xpub: account.xpub.to_string(),
        }];
        let mut tx = self.store.begin().await?;
        Store::insert_wallet(&mut tx, &row, &accounts).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(wallet = %row.id, network = %row.network, "watch-only wallet imported");
        Ok(summary(&row))
    }

    /// Records that the wallet's account is imported into LND as `account`.
    pub async fn set_lnd_account(&self, id: &str, account: &str) -> Result<(), WalletError> {
        let row = self.row(id).await?;
        self.store.set_lnd_account(&row.id, account).await?;
        Ok(())
    }

    /// All wallets. Wallets with a passphrase not yet checked for how it
    /// was stretched are checked first (see `WalletService::check_passphrase`).
    pub async fn list(&self) -> Result<Vec<WalletSummary>, WalletError> {
        let mut rows = self.store.wallets().await?;
        for row in rows.iter_mut().filter(|r| r.passphrase_nfkd.is_none()) {
            match self.check_passphrase(row).await {
                Ok(nfkd) => row.passphrase_nfkd = Some(nfkd),
                // The keychain may be locked now; checked again next time.
                Err(e) => tracing::warn!(wallet = %row.id, error = %e,
                    "could not check how the wallet's passphrase was stretched"),
            }
        }
        Ok(rows.iter().map(summary).collect())
    }

    /// Finds out how an existing wallet's passphrase was stretched into its
    /// stored keys and records it: a passphrase that NFKD leaves unchanged
    /// gives the same seed either way; otherwise the stored fingerprint
    /// tells which derivation made the wallet. Reads the keychain once.
    async fn check_passphrase(&self, row: &WalletRow) -> Result<bool, WalletError> {
        let (words, passphrase) = self.read_secret(row).await?;
        let nfkd = if passphrase_is_normalized(&passphrase) {
            true
        } else {
            let mnemonic = parse_mnemonic(&words)?;
            let legacy = seed_from_unnormalized(&mnemonic, &passphrase);
            let mut master = master_key(&legacy, row.network);
            let fp = master.fingerprint(crate::keys::account::secp());
            crate::keys::account::erase_xpriv(&mut master);
            fp.to_string() != row.fingerprint
        };
        self.store.set_passphrase_nfkd(&row.id, nfkd).await?;
        if !nfkd {
            tracing::warn!(wallet = %row.id,
                "wallet derived from an unnormalised passphrase by an earlier version");
        }
        Ok(nfkd)
    }

    /// The seed the wallet's stored keys came from: NFKD-normalised, or the
    /// passphrase's bytes for a wallet an earlier version made that way.
    fn seed_of(
        row: &WalletRow,
        mnemonic: &bip39::Mnemonic,
        passphrase: &SecretString,
    ) -> Zeroizing<[u8; 64]> {
        if row.passphrase_nfkd == Some(false) {
            seed_from_unnormalized(mnemonic, passphrase)
        } else {
            seed_from(mnemonic, passphrase)
        }
    }

    async fn row(&self, id: &str) -> Result<WalletRow, WalletError> {
        self.store
            .wallet(id)
            .await?
            .ok_or_else(|| WalletError::NotFound { id: id.to_string() })
    }

    /// Finds a wallet by id, name, or a unique id prefix (for the CLI).
    pub async fn resolve(&self, id_or_name: &str) -> Result<WalletSummary, WalletError> {
        let all = self.store.wallets().await?;
        let exact = all
            .iter()
            .find(|w| w.id == id_or_name || w.name == id_or_name);
        let found = match exact {
            Some(w) => Some(w),
            None => {
                let mut by_prefix = all.iter().filter(|w| w.id.starts_with(id_or_name));
                match (by_prefix.next(), by_prefix.next()) {
                    (Some(w), None) => Some(w),
                    _ => None,
                }
            }
        };
        found.map(summary).ok_or_else(|| WalletError::NotFound {
            id: id_or_name.to_string(),
        })
    }

    async fn account_keys(&self, row: &WalletRow) -> Result<Vec<AccountKey>, WalletError> {
        let fingerprint = bitcoin::bip32::Fingerprint::from_str(&row.fingerprint).map_err(|e| {
            StoreError::Corrupt {
                detail: e.to_string(),
            }
        })?;
        let mut keys = Vec::new();
        for a in self.store.accounts(&row.id).await? {
            let purpose = Purpose::from_number(a.purpose).ok_or_else(|| StoreError::Corrupt {
                detail: format!("unknown purpose {}", a.purpose),
            })?;
            keys.push(AccountKey {
                purpose,
                fingerprint,
                path: crate::keys::parse_path(&a.path).map_err(|e| StoreError::Corrupt {
                    detail: e.to_string(),
                })?,
                xpub: Xpub::from_str(&a.xpub).map_err(|e| StoreError::Corrupt {
                    detail: e.to_string(),
                })?,
            });
        }
        keys.sort_by_key(|k| Purpose::ALL.iter().position(|p| *p == k.purpose));
        Ok(keys)
    }

    /// A wallet with its accounts (xpubs, SLIP-132 forms, descriptors).
    pub async fn detail(&self, id: &str) -> Result<WalletDetail, WalletError> {
        let row = self.row(id).await?;
        let accounts = self
            .account_keys(&row)
            .await?
            .into_iter()
            .map(|k| AccountInfo {
                purpose: k.purpose,
                label: k.purpose.label().to_string(),
                path: crate::keys::format_path(&k.path),
                xpub: k.xpub.to_string(),
                slip132: k.slip132(row.network),
                receive_descriptor: k.descriptor(Chain::Receive),
                change_descriptor: k.descriptor(Chain::Change),
            })
            .collect();
        Ok(WalletDetail {
            wallet: summary(&row),
            accounts,
            linked_nodes: self.store.profiles_of_wallet(&row.id).await?,
        })
    }

    /// Addresses `start .. start+count` of one account and chain.
    pub async fn addresses(
        &self,
        id: &str,
        purpose: Purpose,
        chain: Chain,
        start: u32,
        count: u32,
    ) -> Result<Vec<AddressInfo>, WalletError> {
        if count == 0 || count > MAX_ADDRESSES {
            return Err(WalletError::BadRequest(format!(
                "Ask for 1 to {MAX_ADDRESSES} addresses at a time."
            )));
        }
        let end = start
            .checked_add(count)
            .filter(|e| *e <= 1 << 31)
            .ok_or_else(|| {
                WalletError::BadRequest("Address indexes go up to 2147483647.".into())
            })?;
        let row = self.row(id).await?;
        let key = self
            .account_keys(&row)
            .await?
            .into_iter()
            .find(|k| k.purpose == purpose)
            .ok_or_else(|| StoreError::Corrupt {
                detail: format!("wallet {} has no {:?} account", row.id, purpose),
            })?;
        Ok((start..end)
            .map(|i| AddressInfo {
                index: i,
                chain,
                path: key.address_path(chain, i),
                address: key.address(row.network, chain, i).to_string(),
            })
            .collect())
    }

    /// Whether `address` is one of the wallet's first `gap` receive or change
    /// addresses of the account its script type belongs to.
    pub async fn find_address(
        &self,
        id: &str,
        address: &str,
        gap: u32,
    ) -> Result<AddressOwnership, WalletError> {
        let gap = gap.clamp(1, 100_000);
        let row = self.row(id).await?;
        let target = parse_address(address, row.network)?;
        let not_found = AddressOwnership {
            is_mine: false,
            found: None,
            purpose: None,
            searched: gap,
        };
        let Some(purpose) = Purpose::of_address(&target) else {
            return Ok(not_found);
        };
        let keys = self.account_keys(&row).await?;
        let Some(key) = keys.iter().find(|k| k.purpose == purpose) else {
            return Ok(not_found);
        };
        for chain in [Chain::Receive, Chain::Change] {
            for i in 0..gap {
                if key.address(row.network, chain, i) == target {
                    return Ok(AddressOwnership {
                        is_mine: true,
                        found: Some(AddressInfo {
                            index: i,
                            chain,
                            path: key.address_path(chain, i),
                            address: target.to_string(),
                        }),
                        purpose: Some(purpose),
                        searched: gap,
                    });
                }
            }
        }
        Ok(not_found)
    }

    async fn read_secret(
        &self,
        row: &WalletRow,
    ) -> Result<(SecretString, SecretString), WalletError> {
        if row.watch_only {
            return Err(WalletError::WatchOnly {
                name: row.name.clone(),
            });
        }
        let key = secret_name(&row.id);
        let secret = self
            .blocking(move |kc| kc.get(&key))
            .await?
            .ok_or_else(|| WalletError::SecretMissing {
                name: row.name.clone(),
            })?;
        decode_secret(&secret).ok_or_else(|| WalletError::SecretUnreadable {
            name: row.name.clone(),
        })
    }

    /// Whether the wallet's seed is in the keychain (and readable).
    pub async fn seed_present(&self, id: &str) -> Result<bool, WalletError> {
        let row = self.row(id).await?;
        if row.watch_only {
            return Ok(false);
        }
        match self.read_secret(&row).await {
            Ok(_) => Ok(true),
            Err(WalletError::SecretMissing { .. } | WalletError::SecretUnreadable { .. }) => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Reveals the recovery words. The caller proves intent: a wallet with a
    /// BIP39 passphrase needs that passphrase; a wallet without one needs a
    /// code from [`WalletService::challenge`] for [`ConfirmTarget::Words`].
    /// Wrong answers back off exponentially.
    pub async fn reveal_words(
        &self,
        id: &str,
        confirmation: &Confirmation,
    ) -> Result<RevealedWords, WalletError> {
        let r = self.reveal_words_unaudited(id, confirmation).await;
        self.audit
            .note(
                Record::new(Kind::WalletReveal).on(format!("wallet:{id}")),
                &r,
            )
            .await;
        r
    }

    /// Reveals the words, unrecorded.
    async fn reveal_words_unaudited(
        &self,
        id: &str,
        confirmation: &Confirmation,
    ) -> Result<RevealedWords, WalletError> {
        let row = self.row(id).await?;
        let (words, passphrase) = self.read_secret(&row).await?;
        let target = ConfirmTarget::Words {
            wallet_id: row.id.clone(),
        };
        match (row.has_passphrase, confirmation) {
            (true, Confirmation::Code { .. }) => {
                return Err(WalletError::NotConfirmed(
                    "This wallet has a passphrase: type it to reveal the words.",
                ))
            }
            (true, _) => {
                self.confirm(&target, confirmation, Some(&passphrase))
                    .await?
            }
            (false, _) => self.confirm(&target, confirmation, None).await?,
        }
        tracing::warn!(wallet = %row.id, "recovery words revealed on request");
        Ok(RevealedWords {
            words: words.expose_secret().to_string(),
        })
    }

    /// The wallet's passphrase, to check another secret's confirmation
    /// against (a node password of a node this wallet initialised). None:
    /// the wallet has none.
    pub(crate) async fn passphrase_of(
        &self,
        id: &str,
    ) -> Result<Option<SecretString>, WalletError> {
        let row = self.row(id).await?;
        if !row.has_passphrase {
            return Ok(None);
        }
        Ok(Some(self.read_secret(&row).await?.1))
    }

    /// The wallet's BIP32 master private key (`xprv…`/`tprv…`), to hand to
    /// LND's `InitWallet` so the node's on-chain wallet derives from the same
    /// words. Only for that: the string is a secret and is zeroized on drop.
    pub async fn master_xprv(&self, id: &str) -> Result<(Network, Zeroizing<String>), WalletError> {
        let row = self.row(id).await?;
        let (words, passphrase) = self.read_secret(&row).await?;
        let mnemonic = parse_mnemonic(&words)?;
        let seed = Self::seed_of(&row, &mnemonic, &passphrase);
        let mut master = master_key(&seed, row.network);
        tracing::info!(wallet = %row.id, "master key handed to a node for InitWallet");
        let encoded = Zeroizing::new(master.to_string());
        crate::keys::account::erase_xpriv(&mut master);
        Ok((row.network, encoded))
    }

    /// Runs `f` with the wallet's BIP32 master private key (to sign a PSBT
    /// the user reviewed); the key is derived from the seed in the keychain
    /// for this call only and erased after it.
    pub async fn with_master_key<T>(
        &self,
        id: &str,
        f: impl FnOnce(&bitcoin::bip32::Xpriv) -> T,
    ) -> Result<T, WalletError> {
        let row = self.row(id).await?;
        let (words, passphrase) = self.read_secret(&row).await?;
        let mnemonic = parse_mnemonic(&words)?;
        let seed = Self::seed_of(&row, &mnemonic, &passphrase);
        let mut master = master_key(&seed, row.network);
        let out = f(&master);
        crate::keys::account::erase_xpriv(&mut master);
        tracing::info!(wallet = %row.id, "wallet key used to sign");
        Ok(out)
    }

    /// The secrets of swap `index` (key pair and preimage), derived from the
    /// wallet's seed on the swap path (`m/9735'/coin'/0'/index'`, all
    /// hardened). The seed is read from the keychain and dropped at once.
    pub async fn swap_secrets(
        &self,
        id: &str,
        index: u32,
    ) -> Result<(Network, crate::swap::keys::SwapSecrets), WalletError> {
        let row = self.row(id).await?;
        let (words, passphrase) = self.read_secret(&row).await?;
        let mnemonic = parse_mnemonic(&words)?;
        let seed = Self::seed_of(&row, &mnemonic, &passphrase);
        let secrets = crate::swap::keys::derive_swap(&seed, row.network, index)
            .map_err(|e| WalletError::BadRequest(e.to_string()))?;
        Ok((row.network, secrets))
    }

    /// The public keys of swaps `range` (what a rescue asks providers about).
    pub async fn swap_public_keys(
        &self,
        id: &str,
        range: std::ops::Range<u32>,
    ) -> Result<Vec<(u32, bitcoin::secp256k1::PublicKey)>, WalletError> {
        let row = self.row(id).await?;
        let (words, passphrase) = self.read_secret(&row).await?;
        let mnemonic = parse_mnemonic(&words)?;
        let seed = Self::seed_of(&row, &mnemonic, &passphrase);
        crate::swap::keys::public_keys(&seed, row.network, range)
            .map_err(|e| WalletError::BadRequest(e.to_string()))
    }

    /// Deletes a wallet: its keychain entry and its rows, both or neither.
    /// A wallet whose words initialised node profiles is deleted only when
    /// `unlink_nodes` names every one of them (the user saw which nodes
    /// lose the record of where their seed came from).
    /// With an app password set, it must be given (`app_password`) and
    /// right, asked once the rest allows the deletion.
    pub async fn delete(
        &self,
        id: &str,
        unlink_nodes: &[String],
        app_password: Option<&SecretString>,
    ) -> Result<(), WalletError> {
        let r = self.delete_unaudited(id, unlink_nodes, app_password).await;
        let mut rec = Record::new(Kind::WalletDelete).on(format!("wallet:{id}"));
        if !unlink_nodes.is_empty() {
            rec = rec.with("unlinked_nodes", unlink_nodes.join(", "));
        }
        self.audit.note(rec, &r).await;
        r
    }

    /// Deletes a wallet, unrecorded.
    async fn delete_unaudited(
        &self,
        id: &str,
        unlink_nodes: &[String],
        app_password: Option<&SecretString>,
    ) -> Result<(), WalletError> {
        let row = self.row(id).await?;
        let linked = self.store.profiles_of_wallet(&row.id).await?;
        if !linked
            .iter()
            .all(|n| unlink_nodes.iter().any(|u| u.trim() == n))
        {
            return Err(WalletError::LinkedNodes { nodes: linked });
        }
        let open = self
            .store
            .swaps()
            .await?
            .iter()
            .filter(|s| s.wallet_id == row.id && !s.is_final)
            .count();
        if open > 0 {
            return Err(WalletError::OpenSwaps(open));
        }
        self.reauth(app_password).await?;
        // Keep the secret in memory so it can be put back if the rows stay.
        let key = secret_name(&row.id);
        let previous = if row.watch_only {
            None
        } else {
            let key = key.clone();
            self.blocking(move |kc| kc.get(&key)).await?
        };
        // The keychain entry first, with no transaction open; then the rows.
        if !row.watch_only {
            let key = key.clone();
            self.blocking(move |kc| kc.delete(&key)).await?;
        }
        let deleted = async {
            let mut tx = self.store.begin().await?;
            Store::delete_wallet(&mut tx, &row.id).await?;
            tx.commit().await.map_err(StoreError::from)
        }
        .await;
        if !linked.is_empty() {
            tracing::warn!(wallet = %row.id, nodes = ?linked, "wallet deleted although nodes were initialised from it");
        }
        if let Err(e) = deleted {
            if let Some(secret) = previous {
                if let Err(restore) = self.blocking(move |kc| kc.put(&key, &secret)).await {
                    tracing::error!(wallet = %row.id, error = %restore,
                        "wallet rows kept but its keychain entry could not be restored");
                }
            }
            return Err(e.into());
        }
        tracing::info!(wallet = %row.id, "wallet deleted");
        Ok(())
    }
}

fn from_confirm(e: ConfirmError) -> WalletError {
    match e {
        ConfirmError::Wrong(m) => WalletError::NotConfirmed(m),
        ConfirmError::TooSoon { retry_in_secs } => WalletError::TooSoon { retry_in_secs },
        ConfirmError::Store(s) => WalletError::Store(s),
    }
}

fn summary(row: &WalletRow) -> WalletSummary {
    WalletSummary {
        id: row.id.clone(),
        name: row.name.clone(),
        network: row.network,
        fingerprint: row.fingerprint.clone(),
        has_passphrase: row.has_passphrase,
        legacy_passphrase: row.passphrase_nfkd == Some(false),
        created_at: row.created_at,
        watch_only: row.watch_only,
        device: row.device.clone(),
        lnd_account: row.lnd_account.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keychain::MemoryKeychain;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    fn s(x: &str) -> SecretString {
        SecretString::from(x.to_string())
    }

    async fn service() -> (WalletService, Arc<MemoryKeychain>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        let kc = Arc::new(MemoryKeychain::default());
        (WalletService::new(store, kc.clone()), kc, dir)
    }

    fn new(name: &str, network: Network, pass: &str) -> NewWallet {
        NewWallet {
            name: name.into(),
            network,
            words: s(ABANDON),
            passphrase: s(pass),
        }
    }

    /// The audit log tells a restore (words the user brought: the window's
    /// restore flow, `wallet restore`) from a creation.
    #[tokio::test]
    async fn a_restore_is_recorded_as_one() {
        let (svc, _kc, _dir) = service().await;
        let req = |name: &str, network: Network, restored: Option<bool>| CreateWalletRequest {
            name: name.into(),
            network,
            words: ABANDON.into(),
            passphrase: "".into(),
            restored,
        };
        svc.create_from(req("made", Network::Regtest, None))
            .await
            .unwrap();
        svc.create_from(req("brought", Network::Testnet, Some(true)))
            .await
            .unwrap();
        svc.restore(new("again", Network::Signet, ""))
            .await
            .unwrap();
        let kinds: Vec<Kind> = svc
            .audit()
            .entries(None, 10)
            .await
            .unwrap()
            .iter()
            .rev()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [Kind::WalletCreate, Kind::WalletRestore, Kind::WalletRestore]
        );
    }

    /// A clock the app-password test moves by hand past each back-off.
    static LOCK_NOW_MS: std::sync::atomic::AtomicU64 =
        std::sync::atomic::AtomicU64::new(1_800_000_000_000);
    fn lock_now() -> u64 {
        LOCK_NOW_MS.load(std::sync::atomic::Ordering::SeqCst)
    }
    fn lock_later() {
        LOCK_NOW_MS.fetch_add(3_600_000, std::sync::atomic::Ordering::SeqCst);
    }

    /// Once an app password is set, revealing words and deleting a wallet
    /// ask for it (codes and the passphrase no longer do); wrong ones are
    /// counted by the unlock's back-off; without one, nothing changes.
    #[tokio::test]
    async fn sensitive_actions_ask_the_app_password_once_one_is_set() {
        use crate::lock::{AppLock, Cost, LockError};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        let cheap = Cost {
            memory_kib: 256,
            target: std::time::Duration::from_millis(1),
            max_passes: 2,
        };
        let lock = AppLock::open_with(store.clone(), cheap, lock_now)
            .await
            .unwrap();
        let svc = WalletService::new(store, Arc::new(MemoryKeychain::default()))
            .with_app_lock(lock.clone());
        // No app password: regtest wallets only.
        let e = svc
            .create(new("main", Network::Bitcoin, ""))
            .await
            .unwrap_err();
        assert!(
            matches!(e, WalletError::AppLock(LockError::PasswordFirst)),
            "{e}"
        );
        let w = svc.create(new("hot", Network::Regtest, "")).await.unwrap();
        let words = ConfirmTarget::Words {
            wallet_id: w.id.clone(),
        };
        // No password yet: the code, as before.
        assert!(!svc.asks_app_password());
        let ch = svc.challenge(words.clone());
        svc.reveal_words(&w.id, &Confirmation::code(ch.id, ch.code))
            .await
            .unwrap();
        assert!(matches!(
            svc.reveal_words(&w.id, &Confirmation::app_password(s("anything")))
                .await,
            Err(WalletError::NotConfirmed(_))
        ));

        lock.set_password(None, &s("correct horse")).await.unwrap();
        assert!(svc.asks_app_password());
        // A code is no answer any more, even a right one.
        let ch = svc.challenge(words.clone());
        let e = svc
            .reveal_words(&w.id, &Confirmation::code(ch.id, ch.code))
            .await
            .unwrap_err();
        assert!(
            matches!(e, WalletError::AppLock(LockError::PasswordNeeded)),
            "{e}"
        );
        lock_later();
        let e = svc
            .reveal_words(&w.id, &Confirmation::app_password(s("wrong horse")))
            .await
            .unwrap_err();
        assert!(matches!(e, WalletError::AppLock(LockError::Wrong)), "{e}");
        // Right, but too soon after the wrong one: not even checked.
        let e = svc
            .reveal_words(&w.id, &Confirmation::app_password(s("correct horse")))
            .await
            .unwrap_err();
        assert!(
            matches!(e, WalletError::AppLock(LockError::TooSoon { .. })),
            "{e}"
        );
        lock_later();
        let shown = svc
            .reveal_words(&w.id, &Confirmation::app_password(s("correct horse")))
            .await
            .unwrap();
        assert_eq!(shown.words, ABANDON);

        // Deleting: refused without it (nothing typed is no attempt: not
        // counted), done with it.
        let e = svc.delete(&w.id, &[], None).await.unwrap_err();
        assert!(
            matches!(e, WalletError::AppLock(LockError::PasswordNeeded)),
            "{e}"
        );
        let e = svc.delete(&w.id, &[], Some(&s(""))).await.unwrap_err();
        assert!(
            matches!(e, WalletError::AppLock(LockError::PasswordNeeded)),
            "{e}"
        );
        svc.delete(&w.id, &[], Some(&s("correct horse")))
            .await
            .unwrap();
        assert!(svc.list().await.unwrap().is_empty());
        // With one, any network.
        svc.create(new("main", Network::Bitcoin, "")).await.unwrap();
    }

    /// A watch-only wallet from a seed wallet's own zpub: the same
    /// addresses, nothing in the keychain, every secret operation refused by
    /// name, deleted without the keychain.
    #[tokio::test]
    async fn a_watch_only_wallet_watches_and_refuses_secrets() {
        let (svc, kc, _d) = service().await;
        let seeded = svc.create(new("hot", Network::Bitcoin, "")).await.unwrap();
        let detail = svc.detail(&seeded.id).await.unwrap();
        let zpub = detail.accounts[0].slip132.clone().unwrap();
        let req = |name: &str| ImportWatch {
            name: name.into(),
            network: Network::Bitcoin,
            key: zpub.clone(),
            fingerprint: Some(seeded.fingerprint.clone()),
            path: None,
            device: Some("Ledger".into()),
        };
        // The same fingerprint on the same network is the same wallet.
        assert!(matches!(
            svc.import_watch(req("cold")).await,
            Err(WalletError::Duplicate { .. })
        ));
        svc.delete(&seeded.id, &[], None).await.unwrap();
        let entries_before = kc.len();
        let w = svc.import_watch(req("cold")).await.unwrap();
        assert!(w.watch_only);
        assert_eq!(w.device.as_deref(), Some("Ledger"));
        assert_eq!(kc.len(), entries_before, "nothing written to the keychain");
        let first = svc
            .addresses(&w.id, Purpose::Bip84, Chain::Receive, 0, 1)
            .await
            .unwrap();
        assert_eq!(
            first[0].address,
            "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
        );
        assert!(!svc.seed_present(&w.id).await.unwrap());
        let e = svc.with_master_key(&w.id, |_| ()).await.unwrap_err();
        assert!(matches!(e, WalletError::WatchOnly { .. }), "{e}");
        assert!(e.to_string().contains("watch-only"));
        svc.set_lnd_account(&w.id, "cold").await.unwrap();
        assert_eq!(
            svc.resolve("cold").await.unwrap().lnd_account.as_deref(),
            Some("cold")
        );
        svc.delete(&w.id, &[], None).await.unwrap();
        assert!(svc.list().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn keychain_failure_leaves_no_row() {
        let (svc, kc, _d) = service().await;
        kc.fail_with(Some(KeychainError::Locked {
            detail: "test".into(),
        }));
        let err = svc
            .create(new("a", Network::Bitcoin, ""))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            WalletError::Keychain(KeychainError::Locked { .. })
        ));
        assert!(svc.list().await.unwrap().is_empty());
        kc.fail_with(None);
        assert!(kc.is_empty());
        svc.create(new("a", Network::Bitcoin, "")).await.unwrap();
        assert_eq!(svc.list().await.unwrap().len(), 1);
        assert_eq!(kc.seeds(), 1);
    }

    #[tokio::test]
    async fn keychain_failure_on_delete_keeps_everything() {
        let (svc, kc, _d) = service().await;
        let w = svc.create(new("a", Network::Bitcoin, "")).await.unwrap();
        kc.fail_with(Some(KeychainError::Unavailable {
            detail: "test".into(),
        }));
        assert!(svc.delete(&w.id, &[], None).await.is_err());
        kc.fail_with(None);
        assert_eq!(svc.list().await.unwrap().len(), 1);
        assert!(svc.seed_present(&w.id).await.unwrap());
        svc.delete(&w.id, &[], None).await.unwrap();
        assert!(svc.list().await.unwrap().is_empty());
        assert_eq!(kc.seeds(), 0);
    }

    #[tokio::test]
    async fn duplicates_and_names_are_refused() {
        let (svc, _kc, _d) = service().await;
        svc.create(new("a", Network::Bitcoin, "")).await.unwrap();
        assert!(matches!(
            svc.create(new("a", Network::Regtest, "")).await,
            Err(WalletError::NameTaken { .. })
        ));
        assert!(matches!(
            svc.create(new("b", Network::Bitcoin, "")).await,
            Err(WalletError::Duplicate { .. })
        ));
        // Same words, other passphrase: another wallet.
        svc.create(new("c", Network::Bitcoin, "x")).await.unwrap();
        // Same words on another network: another wallet.
        svc.create(new("d", Network::Regtest, "")).await.unwrap();
        assert!(matches!(
            svc.create(new("   ", Network::Regtest, "")).await,
            Err(WalletError::BadName)
        ));
    }

    static NOW: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1_700_000_000_000);
    fn fixed_now() -> u64 {
        NOW.load(std::sync::atomic::Ordering::SeqCst)
    }
    /// The fixed clock moves past a one-second back-off.
    fn wait_out_backoff() {
        NOW.fetch_add(1_000, std::sync::atomic::Ordering::SeqCst);
    }

    #[tokio::test]
    async fn reveal_requires_the_passphrase_or_a_fresh_code() {
        let (svc, _kc, _d) = service().await;
        let svc = svc.with_confirm_clock(fixed_now);
        let pass = |p: &str| Confirmation::passphrase(s(p));
        let with = svc
            .create(new("with", Network::Bitcoin, "TREZOR"))
            .await
            .unwrap();
        assert!(matches!(
            svc.reveal_words(&with.id, &pass("trezor")).await,
            Err(WalletError::NotConfirmed(_))
        ));
        // One wrong answer: the next is accepted only a second later.
        assert!(matches!(
            svc.reveal_words(&with.id, &pass("TREZOR")).await,
            Err(WalletError::TooSoon { .. })
        ));
        wait_out_backoff();
        assert_eq!(
            svc.reveal_words(&with.id, &pass("TREZOR"))
                .await
                .unwrap()
                .words,
            ABANDON
        );
        // A code does not replace the passphrase.
        let ch = svc.challenge(ConfirmTarget::Words {
            wallet_id: with.id.clone(),
        });
        assert!(svc
            .reveal_words(&with.id, &Confirmation::code(ch.id, ch.code))
            .await
            .is_err());
        let without = svc
            .create(new("without", Network::Regtest, ""))
            .await
            .unwrap();
        // Its name, shown on screen, no longer reveals anything.
        assert!(svc
            .reveal_words(&without.id, &pass("without"))
            .await
            .is_err());
        wait_out_backoff();
        let target = ConfirmTarget::Words {
            wallet_id: without.id.clone(),
        };
        let ch = svc.challenge(target.clone());
        let revealed = svc
            .reveal_words(
                &without.id,
                &Confirmation::code(ch.id.clone(), ch.code.clone()),
            )
            .await
            .unwrap();
        assert_eq!(revealed.words, ABANDON);
        assert_eq!(format!("{revealed:?}"), "RevealedWords(<redacted>)");
        // Used once.
        assert!(svc
            .reveal_words(&without.id, &Confirmation::code(ch.id, ch.code))
            .await
            .is_err());
    }

    #[tokio::test]
    async fn passphrases_are_normalised_and_old_wallets_are_flagged() {
        let (svc, kc, _d) = service().await;
        // NFC and NFD "été": one wallet.
        let nfc = svc
            .create(new("nfc", Network::Bitcoin, "\u{e9}t\u{e9}"))
            .await
            .unwrap();
        assert_eq!(nfc.fingerprint, "e75b2e01", "the reference derivation");
        assert!(matches!(
            svc.create(new("nfd", Network::Bitcoin, "e\u{301}te\u{301}"))
                .await,
            Err(WalletError::Duplicate { .. })
        ));
        // A wallet an earlier version made from the NFC bytes as typed.
        let mnemonic = parse_mnemonic(&s(ABANDON)).unwrap();
        let legacy_seed = seed_from_unnormalized(&mnemonic, &s("\u{e9}t\u{e9}"));
        let master = master_key(&legacy_seed, Network::Regtest);
        let row = WalletRow {
            id: "w_00000000000000aa".into(),
            name: "old".into(),
            network: Network::Regtest,
            fingerprint: master.fingerprint(crate::keys::account::secp()).to_string(),
            has_passphrase: true,
            passphrase_nfkd: None,
            created_at: 1,
            watch_only: false,
            device: None,
            lnd_account: None,
        };
        let accounts: Vec<AccountRow> = Purpose::ALL
            .into_iter()
            .map(|p| {
                let a = AccountKey::derive(&master, p, Network::Regtest, 0);
                AccountRow {
                    purpose: p.number(),
                    account: 0,
                    path: crate::keys::format_path(&a.path),
                    xpub: a.xpub.to_string(),
                }
            })
            .collect();
        let mut tx = svc.store.begin().await.unwrap();
        Store::insert_wallet(&mut tx, &row, &accounts)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        kc.put(
            &secret_name(&row.id),
            &encode_secret(&s(ABANDON), &s("\u{e9}t\u{e9}")),
        )
        .unwrap();
        let all = svc.list().await.unwrap();
        let old = all.iter().find(|w| w.id == row.id).unwrap();
        assert!(old.legacy_passphrase, "flagged for the user");
        assert!(
            !all.iter()
                .find(|w| w.id == nfc.id)
                .unwrap()
                .legacy_passphrase
        );
        // Its keys stay what they were: a node initialised from it gets the old master key.
        let (_, xprv) = svc.master_xprv(&row.id).await.unwrap();
        assert_eq!(xprv.as_str(), master.to_string());
        // The check ran once and was stored.
        assert_eq!(
            svc.store
                .wallet(&row.id)
                .await
                .unwrap()
                .unwrap()
                .passphrase_nfkd,
            Some(false)
        );
    }

    #[tokio::test]
    async fn addresses_and_ownership() {
        let (svc, _kc, _d) = service().await;
        let w = svc.create(new("a", Network::Bitcoin, "")).await.unwrap();
        let addrs = svc
            .addresses(&w.id, Purpose::Bip84, Chain::Change, 0, 2)
            .await
            .unwrap();
        assert_eq!(
            addrs[0].address,
            "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"
        );
        assert_eq!(addrs[0].path, "m/84'/0'/0'/1/0");
        let own = svc
            .find_address(&w.id, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g", 20)
            .await
            .unwrap();
        assert!(own.is_mine);
        assert_eq!(own.found.unwrap().path, "m/84'/0'/0'/0/1");
        let foreign = svc
            .find_address(&w.id, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", 20)
            .await
            .unwrap();
        assert!(!foreign.is_mine);
        assert!(matches!(
            svc.find_address(&w.id, "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk", 20)
                .await,
            Err(WalletError::Address(AddressError::WrongNetwork { .. }))
        ));
        assert!(matches!(
            svc.addresses(&w.id, Purpose::Bip84, Chain::Receive, 0, 0)
                .await,
            Err(WalletError::BadRequest(_))
        ));
    }

    /// A keychain whose every call waits, like one showing a prompt.
    struct PromptingKeychain {
        inner: MemoryKeychain,
        pause: std::time::Duration,
    }

    impl SecretStore for PromptingKeychain {
        fn put(&self, name: &str, secret: &SecretString) -> Result<(), KeychainError> {
            std::thread::sleep(self.pause);
            self.inner.put(name, secret)
        }
        fn get(&self, name: &str) -> Result<Option<SecretString>, KeychainError> {
            std::thread::sleep(self.pause);
            self.inner.get(name)
        }
        fn delete(&self, name: &str) -> Result<(), KeychainError> {
            std::thread::sleep(self.pause);
            self.inner.delete(name)
        }
    }

    /// While a keychain call waits (a prompt on screen), another process can
    /// still write the database: no write transaction is held across it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_write_lock_is_held_while_the_keychain_prompts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        let kc = Arc::new(PromptingKeychain {
            inner: MemoryKeychain::default(),
            pause: std::time::Duration::from_secs(3),
        });
        let svc = WalletService::new(store, kc);
        // Another handle on the same file, as the CLI holds while the app runs.
        let other = Store::open_in(dir.path()).await.unwrap();
        let write_meanwhile = |n: u32| {
            let other = other.clone();
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                let t = std::time::Instant::now();
                other.set_setting("probe", &n.to_string()).await.unwrap();
                t.elapsed()
            }
        };
        let (created, waited) = tokio::join!(
            svc.create(new("a", Network::Regtest, "")),
            write_meanwhile(1)
        );
        let w = created.unwrap();
        assert!(
            waited < std::time::Duration::from_secs(1),
            "waited {waited:?} during create"
        );
        let (deleted, waited) = tokio::join!(svc.delete(&w.id, &[], None), write_meanwhile(2));
        deleted.unwrap();
        assert!(
            waited < std::time::Duration::from_secs(1),
            "waited {waited:?} during delete"
        );
    }

    #[test]
    fn secret_encoding_round_trips_passphrases_with_newlines() {
        let enc = encode_secret(&s(ABANDON), &s("two\nlines"));
        let (w, p) = decode_secret(&enc).unwrap();
        assert_eq!(w.expose_secret(), ABANDON);
        assert_eq!(p.expose_secret(), "two\nlines");
        assert!(decode_secret(&s("something else")).is_none());
    }
}
