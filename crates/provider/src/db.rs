//! The provider's own SQLite database (`provider.db` in its data
//! directory): swaps, their status history, and the two guarded decisions.

use crate::swap::ProviderSwap;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::time::Duration;

/// The provider's database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: SqlitePool,
}

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite.
    #[error("provider database: {0}")]
    Sql(#[from] sqlx::Error),
    /// Migrations.
    #[error("provider database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row that does not decode.
    #[error("provider database holds a swap that does not decode: {0}")]
    Corrupt(String),
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The submarine payment's state (a column, for the guarded updates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    /// Not started.
    None,
    /// Started.
    InFlight,
    /// Paid.
    Succeeded,
    /// Failed for good.
    Failed,
}

impl Payment {
    fn as_str(self) -> &'static str {
        match self {
            Payment::None => "none",
            Payment::InFlight => "inflight",
            Payment::Succeeded => "succeeded",
            Payment::Failed => "failed",
        }
    }
}

impl Db {
    /// Opens (creating) `<dir>/provider.db`.
    pub async fn open(dir: &Path) -> Result<Db, DbError> {
        std::fs::create_dir_all(dir).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let file = dir.join("provider.db");
        // Two processes opening it at once must not race through the
        // migrations (see `Store::open`).
        let _migrating = switchyard_core::files::migration_lock(&file)
            .await
            .map_err(|e| DbError::Corrupt(e.to_string()))?;
        let opts = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Db { pool })
    }

    /// Whether any swap was ever stored.
    pub async fn has_swaps(&self) -> Result<bool, DbError> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT EXISTS (SELECT 1 FROM swaps)")
                .fetch_one(&self.pool)
                .await?
                != 0,
        )
    }

    /// A metadata value.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, DbError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Sets a metadata value.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), DbError> {
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The next key index (one per swap, never reused).
    pub async fn take_key_index(&self) -> Result<u32, DbError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let cur: Option<String> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'next_key_index'")
                .fetch_optional(&mut *tx)
                .await?;
        let n: u32 = cur.and_then(|v| v.parse().ok()).unwrap_or(0);
        sqlx::query("INSERT INTO meta (key, value) VALUES ('next_key_index', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind((n + 1).to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Stores a new swap with its first status.
    pub async fn insert(&self, s: &ProviderSwap) -> Result<(), DbError> {
        let t = now();
        let data = serde_json::to_string(s).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("INSERT INTO swaps (id, payment_hash, kind, status, data_json, user_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(&s.id)
            .bind(&s.payment_hash)
            .bind(s.kind_str())
            .bind(&s.status)
            .bind(&data)
            .bind(&s.user_key)
            .bind(t)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO statuses (swap_id, seq, status, at) VALUES (?, 1, ?, ?)")
            .bind(&s.id)
            .bind(&s.status)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Saves a swap; a changed status is appended to its history.
    pub async fn save(&self, s: &ProviderSwap, is_final: bool) -> Result<(), DbError> {
        let t = now();
        let data = serde_json::to_string(s).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let old: Option<String> = sqlx::query_scalar("SELECT status FROM swaps WHERE id = ?")
            .bind(&s.id)
            .fetch_optional(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE swaps SET status = ?, data_json = ?, final = ?, updated_at = ? WHERE id = ?",
        )
        .bind(&s.status)
        .bind(&data)
        .bind(i64::from(is_final))
        .bind(t)
        .bind(&s.id)
        .execute(&mut *tx)
        .await?;
        if old.as_deref() != Some(s.status.as_str()) {
            sqlx::query("INSERT INTO statuses (swap_id, seq, status, at) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM statuses WHERE swap_id = ?), ?, ?)")
                .bind(&s.id)
                .bind(&s.id)
                .bind(&s.status)
                .bind(t)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    fn decode(r: &sqlx::sqlite::SqliteRow) -> Result<ProviderSwap, DbError> {
        let data: String = r.try_get("data_json")?;
        serde_json::from_str(&data).map_err(|e| DbError::Corrupt(e.to_string()))
    }

    /// One swap.
    pub async fn get(&self, id: &str) -> Result<Option<ProviderSwap>, DbError> {
        let r = sqlx::query("SELECT data_json FROM swaps WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(Self::decode).transpose()
    }

    /// The swap for a payment hash.
    pub async fn by_hash(&self, hash: &str) -> Result<Option<ProviderSwap>, DbError> {
        let r = sqlx::query("SELECT data_json FROM swaps WHERE payment_hash = ?")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(Self::decode).transpose()
    }

    /// Swaps made with any of these user keys.
    pub async fn by_user_keys(&self, keys: &[String]) -> Result<Vec<ProviderSwap>, DbError> {
        let mut out = Vec::new();
        for k in keys {
            let rows =
                sqlx::query("SELECT data_json FROM swaps WHERE user_key = ? ORDER BY created_at")
                    .bind(k)
                    .fetch_all(&self.pool)
                    .await?;
            for r in &rows {
                out.push(Self::decode(r)?);
            }
        }
        Ok(out)
    }

    /// Swaps not final (resumed at start).
    pub async fn open_swaps(&self) -> Result<Vec<ProviderSwap>, DbError> {
        let rows = sqlx::query("SELECT data_json FROM swaps WHERE final = 0 ORDER BY created_at")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Self::decode).collect()
    }

    /// Every status a swap went through.
    pub async fn statuses(&self, id: &str) -> Result<Vec<String>, DbError> {
        Ok(
            sqlx::query_scalar("SELECT status FROM statuses WHERE swap_id = ? ORDER BY seq")
                .bind(id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The submarine payment's state.
    pub async fn payment(&self, id: &str) -> Result<(Payment, bool), DbError> {
        let r = sqlx::query("SELECT payment, refund_signed FROM swaps WHERE id = ?")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        let p: String = r.try_get("payment")?;
        let signed: i64 = r.try_get("refund_signed")?;
        let p = match p.as_str() {
            "inflight" => Payment::InFlight,
            "succeeded" => Payment::Succeeded,
            "failed" => Payment::Failed,
            _ => Payment::None,
        };
        Ok((p, signed == 1))
    }

    /// Marks the payment started — only if no refund was ever signed for
    /// the swap and it was not started before. `true`: go ahead and pay.
    pub async fn begin_payment(&self, id: &str) -> Result<bool, DbError> {
        let n = sqlx::query("UPDATE swaps SET payment = 'inflight' WHERE id = ? AND payment = 'none' AND refund_signed = 0")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Records the payment's outcome.
    pub async fn end_payment(&self, id: &str, p: Payment) -> Result<(), DbError> {
        sqlx::query("UPDATE swaps SET payment = ? WHERE id = ?")
            .bind(p.as_str())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Allows signing a cooperative refund — only if no payment was ever
    /// started, or it failed for good. `true`: sign; from then on the swap's
    /// invoice is never paid.
    pub async fn allow_refund(&self, id: &str) -> Result<bool, DbError> {
        let n = sqlx::query(
            "UPDATE swaps SET refund_signed = 1 WHERE id = ? AND payment IN ('none', 'failed')",
        )
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}
