//! The SQLite database: one place for SQL, one module per table family —
//! `wallets` (wallets and their accounts), `profiles` (node profiles),
//! `outcomes` (payment outcomes for mission control) — beside the settings
//! here; `swaps` (swaps and their event logs); the audit log gets a module
//! of its own. Never secrets.
//!
//! One file per data directory (`switchyard.db`), WAL mode so the app and the
//! CLI can use it at the same time (readers never block the writer; writers
//! wait up to [`BUSY_TIMEOUT`] for each other). Migrations are embedded from
//! `crates/core/migrations` and run on open. Every multi-row change runs in one
//! transaction.

mod audit;
mod outcomes;
mod profiles;
mod swaps;
mod wallets;

pub use audit::Tail as AuditTail;
pub use profiles::{ProfileFlag, ProfileRow, ProfileRowKind};
pub use swaps::{NewSwap, StateColumns, SwapRow};
pub use wallets::{AccountRow, WalletRow};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
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
    ///
    /// Two processes opening a new data directory at once (the app and the
    /// CLI, or two commands of a script) would race through the migrations
    /// (sqlx takes no lock on SQLite) and one would fail on a table the other
    /// just made: the connection and migration run under an exclusive lock
    /// on `<file>.lock`.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let _migrating =
            crate::files::migration_lock(path)
                .await
                .map_err(|source| StoreError::DataDir {
                    path: path.to_path_buf(),
                    source,
                })?;
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

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a write transaction with `BEGIN IMMEDIATE`: it takes the write
    /// lock at once (waiting up to [`BUSY_TIMEOUT`] for another writer), so a
    /// transaction that reads before it writes (a swap's next event number)
    /// never has to upgrade a read lock, which SQLite refuses at once with
    /// "database is locked" when another writer is waiting (measured: the
    /// provider under 8 concurrent clients). Readers are not blocked (WAL).
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
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

    /// SQLite's journal mode (for tests and diagnostics).
    pub async fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await?)
    }
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        detail: e.to_string(),
    }
}
