//! The audit log's rows: entries (line and chain link), the signed tree
//! heads, and the tree's right edge. An append writes all three in one
//! transaction, so the log, its head and its frontier never disagree after a
//! crash.

use super::{corrupt, Store, StoreError};
use sqlx::Row;
use switchyard_pure::audit::merkle::{Frontier, Hash};
use switchyard_pure::audit::{self, Entry, Stored, TreeHead};

/// The last entry's index and link, and the frontier, as an append finds
/// them (inside its transaction).
pub struct Tail {
    /// The next entry's index.
    pub next_index: u64,
    /// The last entry's link ([`audit::GENESIS`] for an empty log).
    pub prev_link: Hash,
    /// The tree's right edge.
    pub frontier: Frontier,
}

fn hash_of(bytes: &[u8]) -> Result<Hash, StoreError> {
    bytes
        .try_into()
        .map_err(|_| corrupt("an audit link that is not 32 bytes"))
}

impl Store {
    /// This database's audit log id (made on first use, with `fresh`): it
    /// names the log's keys in the keychain, so two data directories never
    /// share them.
    pub async fn audit_log_id(&self, fresh: &str) -> Result<String, StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT OR IGNORE INTO settings (key, value) VALUES ('audit.log_id', ?)")
            .bind(fresh)
            .execute(&mut *tx)
            .await?;
        let id: String =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'audit.log_id'")
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Appends one entry: `make` builds it for the index it gets and returns
    /// it with its link and the head to store (computed from the tail).
    pub async fn audit_append<F>(&self, make: F) -> Result<(Entry, TreeHead), StoreError>
    where
        F: FnOnce(Tail) -> (Entry, Hash, Frontier, TreeHead),
    {
        let mut tx = self.begin().await?;
        let last = sqlx::query("SELECT idx, link FROM audit_log ORDER BY idx DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
        let (next_index, prev_link) = match last {
            Some(r) => {
                let idx: i64 = r.try_get("idx")?;
                let link: Vec<u8> = r.try_get("link")?;
                ((idx + 1) as u64, hash_of(&link)?)
            }
            None => (0, audit::GENESIS),
        };
        let frontier = match sqlx::query("SELECT size, hashes FROM audit_frontier WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?
        {
            Some(r) => {
                let size: i64 = r.try_get("size")?;
                let hashes: String = r.try_get("hashes")?;
                let hs: Option<Vec<Hash>> = hashes
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(audit::unhex32)
                    .collect();
                hs.and_then(|h| Frontier::from_parts(size as u64, &h))
                    .ok_or_else(|| corrupt("the audit tree's stored edge"))?
            }
            None => Frontier::default(),
        };
        if frontier.size() != next_index {
            return Err(corrupt(format!(
                "the audit tree covers {} entries but the log has {next_index}",
                frontier.size()
            )));
        }
        let (entry, link, frontier, head) = make(Tail {
            next_index,
            prev_link,
            frontier,
        });
        sqlx::query("INSERT INTO audit_log (idx, line, link, at_ms, kind) VALUES (?, ?, ?, ?, ?)")
            .bind(entry.index as i64)
            .bind(entry.line())
            .bind(link.to_vec())
            .bind(entry.at_ms as i64)
            .bind(entry.kind.name())
            .execute(&mut *tx)
            .await?;
        let hashes: Vec<String> = frontier.hashes().iter().map(|h| audit::hex(h)).collect();
        sqlx::query("INSERT INTO audit_frontier (id, size, hashes) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET size = excluded.size, hashes = excluded.hashes")
            .bind(frontier.size() as i64)
            .bind(hashes.join(","))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO audit_heads (size, head) VALUES (?, ?)")
            .bind(head.size as i64)
            .bind(serde_json::to_string(&head).map_err(corrupt)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((entry, head))
    }

    /// Every stored entry in index order, as stored (for verification).
    pub async fn audit_rows(&self) -> Result<Vec<Stored>, StoreError> {
        let rows = sqlx::query("SELECT line, link FROM audit_log ORDER BY idx")
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| {
                let link: Vec<u8> = r.try_get("link")?;
                Ok(Stored {
                    line: r.try_get("line")?,
                    link: Some(hash_of(&link)?),
                })
            })
            .collect()
    }

    /// Entries, newest first, optionally of one kind, at most `limit`.
    pub async fn audit_lines(
        &self,
        kind: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let rows = match kind {
            Some(k) => {
                sqlx::query_scalar(
                    "SELECT line FROM audit_log WHERE kind = ? ORDER BY idx DESC LIMIT ?",
                )
                .bind(k)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_scalar("SELECT line FROM audit_log ORDER BY idx DESC LIMIT ?")
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(rows)
    }

    /// Every signed head, by size.
    pub async fn audit_heads(&self) -> Result<Vec<TreeHead>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT head FROM audit_heads ORDER BY size")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|h| serde_json::from_str(h).map_err(corrupt))
            .collect()
    }
}
