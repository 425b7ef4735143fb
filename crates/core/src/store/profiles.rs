//! Node profiles: how to reach each node (endpoints, the TLS certificate or
//! the paths of LND's files) and what Switchyard keeps for it in the
//! keychain — never the macaroon or the password themselves.

use super::{corrupt, Store, StoreError};
use crate::network::Network;
use sqlx::Row;

/// Where a profile's credentials come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileRowKind {
    /// The certificate and macaroon are read from LND's files at each connect.
    Files,
    /// The certificate is in the row, the macaroon in the keychain.
    Stored,
}

/// A node profile's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRow {
    /// `p_…`.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// The network the node is on.
    pub network: Network,
    /// Files or stored.
    pub kind: ProfileRowKind,
    /// `host:port`, in the order to try them.
    pub endpoints: Vec<String>,
    /// LND's `tls.cert` (files).
    pub tls_cert_path: Option<String>,
    /// The macaroon file (files).
    pub macaroon_path: Option<String>,
    /// The certificate, DER (stored).
    pub cert_der: Option<Vec<u8>>,
    /// The wallet whose seed initialised the node.
    pub wallet_id: Option<String>,
    /// Unlock the node with the keychain's password on connect.
    pub auto_unlock: bool,
    /// `node init` generated the node's wallet password.
    pub password_generated: bool,
    /// The user has seen that password.
    pub password_revealed: bool,
    /// The keychain holds the macaroon.
    pub macaroon_stored: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// A fact about a profile that, once true, stays true.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileFlag {
    /// The user has seen the generated wallet password.
    PasswordRevealed,
    /// The keychain holds the macaroon now.
    MacaroonStored,
    /// Unlock on connect with the keychain's password.
    AutoUnlock,
}

impl Store {
    /// Every stored profile, oldest first.
    pub async fn profiles(&self) -> Result<Vec<ProfileRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, network, kind, endpoints, tls_cert_path, macaroon_path, tls_cert_der, wallet_id, auto_unlock,
                    password_generated, password_revealed, macaroon_stored, created_at
             FROM node_profiles ORDER BY created_at, name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let network: String = r.try_get("network")?;
                let kind: String = r.try_get("kind")?;
                let endpoints: String = r.try_get("endpoints")?;
                Ok(ProfileRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    network: network.parse().map_err(corrupt)?,
                    kind: match kind.as_str() {
                        "files" => ProfileRowKind::Files,
                        "stored" => ProfileRowKind::Stored,
                        other => return Err(corrupt(format!("profile kind {other}"))),
                    },
                    endpoints: serde_json::from_str(&endpoints)
                        .map_err(|e| corrupt(format!("profile endpoints: {e}")))?,
                    tls_cert_path: r.try_get("tls_cert_path")?,
                    macaroon_path: r.try_get("macaroon_path")?,
                    cert_der: r.try_get("tls_cert_der")?,
                    wallet_id: r.try_get("wallet_id")?,
                    auto_unlock: r.try_get("auto_unlock")?,
                    password_generated: r.try_get("password_generated")?,
                    password_revealed: r.try_get("password_revealed")?,
                    macaroon_stored: r.try_get("macaroon_stored")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Inserts a profile inside `tx`.
    pub async fn insert_profile(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        p: &ProfileRow,
    ) -> Result<(), StoreError> {
        let endpoints = serde_json::to_string(&p.endpoints).map_err(corrupt)?;
        sqlx::query(
            "INSERT INTO node_profiles (id, name, network, kind, endpoints, tls_cert_path, macaroon_path, tls_cert_der, wallet_id, auto_unlock,
                                        password_generated, password_revealed, macaroon_stored, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(p.network.as_str())
        .bind(match p.kind {
            ProfileRowKind::Files => "files",
            ProfileRowKind::Stored => "stored",
        })
        .bind(endpoints)
        .bind(&p.tls_cert_path)
        .bind(&p.macaroon_path)
        .bind(&p.cert_der)
        .bind(&p.wallet_id)
        .bind(p.auto_unlock)
        .bind(p.password_generated)
        .bind(p.password_revealed)
        .bind(p.macaroon_stored)
        .bind(p.created_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Deletes a profile's row inside `tx`.
    pub async fn delete_profile(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM node_profiles WHERE id = ?")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Records `flag` for a profile.
    pub async fn set_profile_flag(&self, id: &str, flag: ProfileFlag) -> Result<(), StoreError> {
        let sql = match flag {
            ProfileFlag::PasswordRevealed => {
                "UPDATE node_profiles SET password_revealed = 1 WHERE id = ?"
            }
            ProfileFlag::MacaroonStored => {
                "UPDATE node_profiles SET macaroon_stored = 1 WHERE id = ?"
            }
            ProfileFlag::AutoUnlock => "UPDATE node_profiles SET auto_unlock = 1 WHERE id = ?",
        };
        sqlx::query(sql).bind(id).execute(&self.pool).await?;
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
}
