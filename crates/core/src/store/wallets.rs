//! Wallets and their accounts (public keys only).

use super::{corrupt, Store, StoreError};
use crate::network::Network;
use sqlx::Row;

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
    /// Public keys only: no keychain entry, signed by its device.
    pub watch_only: bool,
    /// HWI's device type of the hardware wallet holding its keys.
    pub device: Option<String>,
    /// The LND account its account is imported as.
    pub lnd_account: Option<String>,
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

impl Store {
    /// All wallets, oldest first.
    pub async fn wallets(&self) -> Result<Vec<WalletRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, network, fingerprint, has_passphrase, passphrase_nfkd, created_at, watch_only, device, lnd_account FROM wallets ORDER BY created_at, name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(wallet_from_row).collect()
    }

    /// One wallet by id.
    pub async fn wallet(&self, id: &str) -> Result<Option<WalletRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, network, fingerprint, has_passphrase, passphrase_nfkd, created_at, watch_only, device, lnd_account FROM wallets WHERE id = ?",
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
            "INSERT INTO wallets (id, name, network, fingerprint, has_passphrase, passphrase_nfkd, created_at, watch_only, device, lnd_account) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&wallet.id)
        .bind(&wallet.name)
        .bind(wallet.network.as_str())
        .bind(&wallet.fingerprint)
        .bind(wallet.has_passphrase)
        .bind(wallet.passphrase_nfkd)
        .bind(wallet.created_at)
        .bind(wallet.watch_only)
        .bind(&wallet.device)
        .bind(&wallet.lnd_account)
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

    /// Records the LND account a wallet's account is imported as.
    pub async fn set_lnd_account(&self, id: &str, account: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE wallets SET lnd_account = ? WHERE id = ?")
            .bind(account)
            .bind(id)
            .execute(&self.pool)
            .await?;
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
        watch_only: r.try_get("watch_only")?,
        device: r.try_get("device")?,
        lnd_account: r.try_get("lnd_account")?,
    })
}
