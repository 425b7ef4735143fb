//! Swaps and their event logs. A swap row exists before any request leaves
//! (its key index reserved, so a crash never reuses a key); the provider's
//! create response is stored verbatim before any money moves; every event is
//! written in the same transaction as the state it leads to, before the
//! engine acts on it.

use super::{corrupt, Store, StoreError};
use sqlx::Row;

/// A swap as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapRow {
    /// The payment hash, hex (our id).
    pub id: String,
    /// The wallet whose seed holds its key.
    pub wallet_id: String,
    /// Its network.
    pub network: String,
    /// Its key's index.
    pub key_index: u32,
    /// `submarine` or `reverse`.
    pub kind: String,
    /// The provider's API base URL.
    pub provider_url: String,
    /// The provider's swap id.
    pub provider_id: Option<String>,
    /// The quote the user agreed to (JSON).
    pub quote_json: String,
    /// The create request (JSON).
    pub request_json: String,
    /// The create response, verbatim.
    pub response_json: Option<String>,
    /// The checked terms (JSON).
    pub checked_json: Option<String>,
    /// The invoice.
    pub invoice: Option<String>,
    /// The state machine's state (JSON).
    pub state_json: String,
    /// Its phase (for lists).
    pub phase: String,
    /// Its HTLC state (for lists).
    pub htlc: String,
    /// Its outcome, once decided.
    pub outcome: Option<String>,
    /// Whether it is final.
    pub is_final: bool,
    /// The provider's last status.
    pub provider_status: Option<String>,
    /// Our signed claim/refund, hex.
    pub sweep_hex: Option<String>,
    /// Why it stopped, in words.
    pub error: Option<String>,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds.
    pub updated_at: u64,
}

/// A new swap before the provider is asked.
#[derive(Debug, Clone)]
pub struct NewSwap<'a> {
    /// The payment hash, hex.
    pub id: &'a str,
    /// The wallet.
    pub wallet_id: &'a str,
    /// Its network.
    pub network: &'a str,
    /// The reserved key index.
    pub key_index: u32,
    /// `submarine` or `reverse`.
    pub kind: &'a str,
    /// The provider.
    pub provider_url: &'a str,
    /// The quote (JSON).
    pub quote_json: &'a str,
    /// The request (JSON).
    pub request_json: &'a str,
    /// The initial state (JSON), with its phase and HTLC.
    pub state: StateColumns<'a>,
    /// Our invoice (submarine), if made before the request.
    pub invoice: Option<&'a str>,
}

/// The state and its columns for lists.
#[derive(Debug, Clone, Copy)]
pub struct StateColumns<'a> {
    /// The state (JSON).
    pub json: &'a str,
    /// Its phase.
    pub phase: &'a str,
    /// Its HTLC state.
    pub htlc: &'a str,
    /// Its outcome.
    pub outcome: Option<&'a str>,
    /// Whether it is final.
    pub is_final: bool,
    /// The provider's last status.
    pub provider_status: Option<&'a str>,
}

fn now() -> i64 {
    i64::try_from(crate::node::convert::now_secs()).unwrap_or(i64::MAX)
}

const COLUMNS: &str = "id, wallet_id, network, key_index, kind, provider_url, provider_id, quote_json, request_json, response_json, checked_json, invoice, state_json, phase, htlc, outcome, final, provider_status, sweep_hex, error, created_at, updated_at";

fn row(r: &sqlx::sqlite::SqliteRow) -> Result<SwapRow, StoreError> {
    Ok(SwapRow {
        id: r.try_get("id")?,
        wallet_id: r.try_get("wallet_id")?,
        network: r.try_get("network")?,
        key_index: u32::try_from(r.try_get::<i64, _>("key_index")?).map_err(corrupt)?,
        kind: r.try_get("kind")?,
        provider_url: r.try_get("provider_url")?,
        provider_id: r.try_get("provider_id")?,
        quote_json: r.try_get("quote_json")?,
        request_json: r.try_get("request_json")?,
        response_json: r.try_get("response_json")?,
        checked_json: r.try_get("checked_json")?,
        invoice: r.try_get("invoice")?,
        state_json: r.try_get("state_json")?,
        phase: r.try_get("phase")?,
        htlc: r.try_get("htlc")?,
        outcome: r.try_get("outcome")?,
        is_final: r.try_get::<i64, _>("final")? == 1,
        provider_status: r.try_get("provider_status")?,
        sweep_hex: r.try_get("sweep_hex")?,
        error: r.try_get("error")?,
        created_at: u64::try_from(r.try_get::<i64, _>("created_at")?).map_err(corrupt)?,
        updated_at: u64::try_from(r.try_get::<i64, _>("updated_at")?).map_err(corrupt)?,
    })
}

impl Store {
    /// The next unused swap key index of a wallet on a network.
    pub async fn next_swap_index(&self, wallet_id: &str, network: &str) -> Result<u32, StoreError> {
        let max: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(key_index) FROM swaps WHERE wallet_id = ? AND network = ?",
        )
        .bind(wallet_id)
        .bind(network)
        .fetch_one(&self.pool)
        .await?;
        match max {
            None => Ok(0),
            Some(m) => u32::try_from(m + 1).map_err(corrupt),
        }
    }

    /// Stores a swap about to be created. Fails (unique constraint) if its
    /// key index was taken meanwhile; the caller takes the next.
    pub async fn insert_swap(&self, s: &NewSwap<'_>) -> Result<(), StoreError> {
        let t = now();
        sqlx::query(
            "INSERT INTO swaps (id, wallet_id, network, key_index, kind, provider_url, quote_json, request_json, invoice, state_json, phase, htlc, outcome, final, provider_status, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(s.id)
        .bind(s.wallet_id)
        .bind(s.network)
        .bind(i64::from(s.key_index))
        .bind(s.kind)
        .bind(s.provider_url)
        .bind(s.quote_json)
        .bind(s.request_json)
        .bind(s.invoice)
        .bind(s.state.json)
        .bind(s.state.phase)
        .bind(s.state.htlc)
        .bind(s.state.outcome)
        .bind(i64::from(s.state.is_final))
        .bind(s.state.provider_status)
        .bind(t)
        .bind(t)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores the provider's answer (verbatim) and the checked terms with
    /// the event and state they lead to, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_swap_created(
        &self,
        id: &str,
        provider_id: &str,
        response_json: &str,
        checked_json: &str,
        invoice: Option<&str>,
        event_json: &str,
        state: StateColumns<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE swaps SET provider_id = ?, response_json = ?, checked_json = ?, invoice = COALESCE(?, invoice) WHERE id = ?")
            .bind(provider_id)
            .bind(response_json)
            .bind(checked_json)
            .bind(invoice)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Self::append_event(&mut tx, id, event_json, state, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends an event with the state it led to (and, for a sweep, its
    /// signed transaction), in one transaction.
    pub async fn record_swap_event(
        &self,
        id: &str,
        event_json: &str,
        state: StateColumns<'_>,
        sweep_hex: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        Self::append_event(&mut tx, id, event_json, state, sweep_hex).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn append_event(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        id: &str,
        event_json: &str,
        state: StateColumns<'_>,
        sweep_hex: Option<&str>,
    ) -> Result<(), StoreError> {
        let t = now();
        let seq: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM swap_events WHERE swap_id = ?",
        )
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query("INSERT INTO swap_events (swap_id, seq, event_json, at) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(seq)
            .bind(event_json)
            .bind(t)
            .execute(&mut **tx)
            .await?;
        let n = sqlx::query(
            "UPDATE swaps SET state_json = ?, phase = ?, htlc = ?, outcome = ?, final = ?, provider_status = COALESCE(?, provider_status), sweep_hex = COALESCE(?, sweep_hex), updated_at = ? WHERE id = ?",
        )
        .bind(state.json)
        .bind(state.phase)
        .bind(state.htlc)
        .bind(state.outcome)
        .bind(i64::from(state.is_final))
        .bind(state.provider_status)
        .bind(sweep_hex)
        .bind(t)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::Corrupt {
                detail: format!("no swap {id} to record an event for"),
            });
        }
        Ok(())
    }

    /// Notes why a swap stopped (shown with it).
    pub async fn set_swap_error(&self, id: &str, error: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("UPDATE swaps SET error = ?, updated_at = ? WHERE id = ?")
            .bind(error)
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// One swap by our id or the provider's.
    pub async fn swap(&self, id: &str) -> Result<Option<SwapRow>, StoreError> {
        let r = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM swaps WHERE id = ? OR provider_id = ? ORDER BY id = ? DESC LIMIT 1"
        ))
        .bind(id)
        .bind(id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(row).transpose()
    }

    /// Every swap, newest first.
    pub async fn swaps(&self) -> Result<Vec<SwapRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM swaps ORDER BY created_at DESC, key_index DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row).collect()
    }

    /// Swaps not final yet (what the engine resumes).
    pub async fn unfinished_swaps(&self) -> Result<Vec<SwapRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM swaps WHERE final = 0 ORDER BY created_at, key_index"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row).collect()
    }

    /// A swap's events, in order.
    pub async fn swap_events(&self, id: &str) -> Result<Vec<(u32, String, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, event_json, at FROM swap_events WHERE swap_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    u32::try_from(r.try_get::<i64, _>("seq")?).map_err(corrupt)?,
                    r.try_get("event_json")?,
                    u64::try_from(r.try_get::<i64, _>("at")?).map_err(corrupt)?,
                ))
            })
            .collect()
    }
}
