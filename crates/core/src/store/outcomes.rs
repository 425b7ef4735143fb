//! Payment outcomes: what each channel carried or refused, for mission control.

use super::{corrupt, Store, StoreError};
use sqlx::Row;

impl Store {
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
}
