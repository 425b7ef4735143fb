//! The SQLite database: wallet metadata, settings, and (later) swaps, route
//! history and the audit log. Never secrets.
//!
//! One file per data directory (`switchyard.db`), WAL mode so the app and the
//! CLI can use it at the same time (readers never block the writer; writers
//! wait up to [`BUSY_TIMEOUT`] for each other). Migrations are embedded from
//! `crates/core/migrations` and run on open. Every multi-row change runs in one
//! transaction.

use crate::network::Network;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "switchyard.db";

/// How long a writer waits for another process's write to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the database could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be created or opened.
    #[error("Could not open the database at {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: sqlx::Error,
    },
    /// The data directory could not be created.
    #[error("Could not create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A migration failed (a newer app's database, or a damaged file).
    #[error("Could not bring the database up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("Database error: {0}")]
    Query(#[from] sqlx::Error),
    /// A row holds a value this version cannot read.
    #[error("The database holds a value this version cannot read: {detail}")]
    Corrupt {
        /// Which value.
        detail: String,
    },
}

/// A wallet's metadata row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletRow {
    /// Stable id (`w_` + 16 hex digits).
    pub id: String,
    /// User-chosen, unique.
    pub name: String,
    /// Network.
    pub network: Network,
    /// Master fingerprint, 8 hex digits.
    pub fingerprint: String,
    /// Whether the seed includes a BIP39 passphrase.
    pub has_passphrase: bool,
    /// Whether the passphrase was NFKD-normalised into the seed (BIP39);
    /// `Some(false)` for wallets an earlier version derived from the bytes as
    /// typed, `None` until checked.
    pub passphrase_nfkd: Option<bool>,
    /// Unix seconds.
    pub created_at: i64,
}

/// An account row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// 44, 49, 84 or 86.
    pub purpose: u32,
    /// Account index.
    pub account: u32,
    /// `m/84'/0'/0'`.
    pub path: String,
    /// Extended public key at `path`.
    pub xpub: String,
}

/// The database handle (a small connection pool; cheap to clone).
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/switchyard.db` and migrates it.
    pub async fn open_in(data_dir: &Path) -> Result<Store, StoreError> {
        // Owner-only: names, fingerprints and xpubs are private too.
        crate::files::ensure_private_dir(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        Store::open(&data_dir.join(DB_FILE)).await
    }

    /// Opens (creating if needed) the database file and migrates it.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store {
            pool,
            path: path.to_path_buf(),
        })
    }

    /// The pool, for modules that keep their own tables (profiles).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a write transaction. `BEGIN IMMEDIATE` would be ideal; sqlx's
    /// deferred BEGIN plus the busy timeout gives the same safety here because
    /// every transaction writes before it reads anything it depends on.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// All wallets, oldest first.
    pub async fn wallets(&self) -> Result<Vec<WalletRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, network, fingerprint, has_passphrase, passphrase_nfkd, created_at FROM wallets ORDER BY created_at, name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(wallet_from_row).collect()
    }

    /// One wallet by id.
    pub async fn wallet(&self, id: &str) -> Result<Option<WalletRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, network, fingerprint, has_passphrase, passphrase_nfkd, created_at FROM wallets WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(wallet_from_row).transpose()
    }

    /// A wallet's accounts, by purpose.
    pub async fn accounts(&self, wallet_id: &str) -> Result<Vec<AccountRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT purpose, account, path, xpub FROM wallet_accounts WHERE wallet_id = ? ORDER BY purpose, account",
        )
        .bind(wallet_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AccountRow {
                    purpose: u32::try_from(r.try_get::<i64, _>("purpose")?).map_err(corrupt)?,
                    account: u32::try_from(r.try_get::<i64, _>("account")?).map_err(corrupt)?,
                    path: r.try_get("path")?,
                    xpub: r.try_get("xpub")?,
                })
            })
            .collect()
    }

    /// Inserts a wallet and its accounts inside `tx`.
    pub async fn insert_wallet(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        wallet: &WalletRow,
        accounts: &[AccountRow],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO wallets (id, name, network, fingerprint, has_passphrase, passphrase_nfkd, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&wallet.id)
        .bind(&wallet.name)
        .bind(wallet.network.as_str())
        .bind(&wallet.fingerprint)
        .bind(wallet.has_passphrase)
        .bind(wallet.passphrase_nfkd)
        .bind(wallet.created_at)
        .execute(&mut **tx)
        .await?;
        for a in accounts {
            sqlx::query(
                "INSERT INTO wallet_accounts (wallet_id, purpose, account, path, xpub) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&wallet.id)
            .bind(i64::from(a.purpose))
            .bind(i64::from(a.account))
            .bind(&a.path)
            .bind(&a.xpub)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Deletes a wallet (its accounts go with it) inside `tx`; whether it existed.
    pub async fn delete_wallet(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM wallets WHERE id = ?")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records how a wallet's passphrase was stretched (see [`WalletRow::passphrase_nfkd`]).
    pub async fn set_passphrase_nfkd(&self, id: &str, nfkd: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE wallets SET passphrase_nfkd = ? WHERE id = ?")
            .bind(nfkd)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Names of the node profiles whose LND wallet was initialised from this
    /// wallet's seed, oldest first.
    pub async fn profiles_of_wallet(&self, wallet_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT name FROM node_profiles WHERE wallet_id = ? ORDER BY created_at, name",
        )
        .bind(wallet_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A setting's value.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Sets a setting.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Appends payment outcomes for mission control, in one transaction.
    pub async fn record_route_outcomes(
        &self,
        outcomes: &[crate::graph::mission::Outcome],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for o in outcomes {
            sqlx::query("INSERT INTO route_outcomes (scid, direction, amount_msat, success, at) VALUES (?, ?, ?, ?, ?)")
                .bind(i64::try_from(o.scid).map_err(corrupt)?)
                .bind(i64::from(o.direction & 1))
                .bind(i64::try_from(o.amount_msat).map_err(corrupt)?)
                .bind(o.success)
                .bind(i64::try_from(o.at).map_err(corrupt)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Outcomes recorded at or after `since` (Unix seconds), oldest first.
    pub async fn route_outcomes(
        &self,
        since: u64,
    ) -> Result<Vec<crate::graph::mission::Outcome>, StoreError> {
        let rows = sqlx::query(
            "SELECT scid, direction, amount_msat, success, at FROM route_outcomes WHERE at >= ? ORDER BY at, id",
        )
        .bind(i64::try_from(since).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::graph::mission::Outcome {
                    scid: u64::try_from(r.try_get::<i64, _>("scid")?).map_err(corrupt)?,
                    direction: u8::try_from(r.try_get::<i64, _>("direction")?).map_err(corrupt)?,
                    amount_msat: u64::try_from(r.try_get::<i64, _>("amount_msat")?)
                        .map_err(corrupt)?,
                    success: r.try_get("success")?,
                    at: u64::try_from(r.try_get::<i64, _>("at")?).map_err(corrupt)?,
                })
            })
            .collect()
    }

    /// SQLite's journal mode (for tests and diagnostics).
    pub async fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await?)
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        detail: e.to_string(),
    }
}

fn wallet_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<WalletRow, StoreError> {
    let network: String = r.try_get("network")?;
    Ok(WalletRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        network: network.parse().map_err(corrupt)?,
        fingerprint: r.try_get("fingerprint")?,
        has_passphrase: r.try_get("has_passphrase")?,
        passphrase_nfkd: r.try_get("passphrase_nfkd")?,
        created_at: r.try_get("created_at")?,
    })
}
