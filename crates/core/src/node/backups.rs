//! Static channel backups (SCB): the multi-channel backup LND keeps current.
//! Saved automatically when LND announces a new one (events.rs), exported
//! on demand, verified by LND, and restored only behind a guard: restoring
//! asks every peer in the backup to force-close, so it is refused while any
//! of those channels is still open on the node.

use super::client::CALL_TIMEOUT;
use super::connection::Connection;
use super::error::{classify_rpc, NodeError};
use fedimint_tonic_lnd::lnrpc;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use ts_rs::TS;

/// The file name LND uses for its own copy.
pub const BACKUP_FILE: &str = "channel.backup";

/// A backup LND accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BackupSummary {
    /// The file.
    pub path: String,
    /// Channels it covers (`txid:index`).
    pub channel_points: Vec<String>,
    /// Size in bytes.
    #[ts(type = "number")]
    pub bytes: u64,
}

/// The folder (inside `DATA_DIR/backups`) for a profile's automatic
/// backups, keyed by the profile's id, never its name: names collide on
/// case-insensitive file systems ("Home"/"home"), may escape the directory
/// (`../x`) or be invalid on Windows. Ids are `p_` + hex, or
/// `regtest:<node>`; anything outside `[a-z0-9_]` is replaced and a hash of
/// the id keeps distinct ids apart.
pub fn backup_folder(profile_id: &str) -> String {
    let clean: String = profile_id
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(48)
        .collect();
    if clean == profile_id {
        return clean;
    }
    use bitcoin::hashes::{sha256, Hash};
    let h = sha256::Hash::hash(profile_id.as_bytes());
    format!("{clean}-{}", &h.to_string()[..8])
}

/// Writes `bytes` to `dir/channel.backup` atomically (temp file, fsync,
/// rename; owner-only), keeping the previous one as `channel.backup.prev`.
pub fn save_backup_file(dir: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    crate::files::ensure_private_dir(dir)?;
    let path = dir.join(BACKUP_FILE);
    let tmp = dir.join(format!("{BACKUP_FILE}.new"));
    crate::files::write_private(&tmp, bytes)?;
    if path.exists() {
        std::fs::rename(&path, dir.join(format!("{BACKUP_FILE}.prev")))?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

fn read_backup(path: &Path) -> Result<Vec<u8>, NodeError> {
    let bytes = super::read_capped(path, "the channel backup", crate::files::MAX_BACKUP_BYTES)?;
    if bytes.is_empty() {
        return Err(NodeError::BadRequest {
            message: format!("{} is empty; it is not a channel backup.", path.display()),
        });
    }
    Ok(bytes)
}

/// Static channel backups: export, verify, restore.
#[derive(Clone)]
pub struct Backups {
    conn: Arc<Connection>,
}

impl Backups {
    /// Over `conn`.
    pub fn new(conn: Arc<Connection>) -> Backups {
        Backups { conn }
    }
}

impl Backups {
    /// Asks LND for its current multi-channel backup and writes it to `path`.
    pub async fn export(&self, path: &Path) -> Result<BackupSummary, NodeError> {
        let c = self.conn.client().await?;
        let mut ln = c.lightning.clone();
        let snap = c
            .call(
                CALL_TIMEOUT,
                ln.export_all_channel_backups(lnrpc::ChanBackupExportRequest {}),
            )
            .await?;
        let multi = snap.multi_chan_backup.ok_or(NodeError::BadRequest {
            message: "The node has no channels to back up yet.".into(),
        })?;
        crate::files::write_private(path, &multi.multi_chan_backup).map_err(|e| {
            NodeError::File {
                what: "the backup file",
                path: path.display().to_string(),
                detail: e.to_string(),
            }
        })?;
        self.verify(path).await
    }

    /// Has LND check that `path` is a backup it can read (its own seed).
    pub async fn verify(&self, path: &Path) -> Result<BackupSummary, NodeError> {
        let bytes = read_backup(path)?;
        self.verify_bytes(path, bytes).await.map(|(s, _)| s)
    }

    /// Has LND check `bytes` (read from `path`); gives them back for a restore.
    async fn verify_bytes(
        &self,
        path: &Path,
        bytes: Vec<u8>,
    ) -> Result<(BackupSummary, Vec<u8>), NodeError> {
        let c = self.conn.client().await?;
        let mut ln = c.lightning.clone();
        let msg = lnrpc::ChanBackupSnapshot {
            single_chan_backups: None,
            multi_chan_backup: Some(lnrpc::MultiChanBackup {
                chan_points: Vec::new(),
                multi_chan_backup: bytes.clone(),
            }),
        };
        let r = c.call(CALL_TIMEOUT, ln.verify_chan_backup(msg)).await.map_err(|e| match e {
            NodeError::Rpc { detail } => NodeError::BadRequest {
                message: format!(
                    "This node cannot read the backup {} (it is damaged, or made by a node with another seed): {detail}",
                    path.display()
                ),
            },
            other => other,
        })?;
        let summary = BackupSummary {
            path: path.display().to_string(),
            channel_points: r.chan_points,
            bytes: bytes.len() as u64,
        };
        Ok((summary, bytes))
    }

    /// Restores channels from a backup: each peer is asked to force-close, and
    /// the funds come back on chain after the peer's time lock. Refused unless
    /// `confirmed`, and while any channel in the backup is still open or
    /// opening on this node (restoring then would close channels that work).
    pub async fn restore(&self, path: &Path, confirmed: bool) -> Result<u32, NodeError> {
        if !confirmed {
            return Err(NodeError::BadRequest {
                message: "Restoring a channel backup force-closes every channel in it. Confirm that this node lost its channel state, then try again.".into(),
            });
        }
        // Read once: the bytes LND verified are the bytes restored, even if
        // the file changes in between.
        let (summary, bytes) = self.verify_bytes(path, read_backup(path)?).await?;
        let live = super::channels::Channels::new(self.conn.clone())
            .list()
            .await?;
        let open: Vec<&str> = live
            .channels
            .iter()
            .filter(|c| {
                !matches!(c.state, super::channels::ChannelState::Closed)
                    && summary.channel_points.contains(&c.channel_point)
            })
            .map(|c| c.channel_point.as_str())
            .collect();
        if !open.is_empty() {
            return Err(NodeError::BadRequest {
                message: format!(
                    "The node still has {} of the backup's channels ({}). Restoring would force-close working channels; restore only onto a node that lost them.",
                    open.len(),
                    open.join(", ")
                ),
            });
        }
        let c = self.conn.client().await?;
        let mut ln = c.lightning.clone();
        let msg = lnrpc::RestoreChanBackupRequest {
            backup: Some(lnrpc::restore_chan_backup_request::Backup::MultiChanBackup(
                bytes,
            )),
        };
        let r = c
            .call(CALL_TIMEOUT, ln.restore_channel_backups(msg))
            .await
            .map_err(|e| classify_rpc(e, None))?;
        tracing::warn!(restored = r.num_restored, "channel backup restored");
        Ok(r.num_restored)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn saving_keeps_the_previous_backup() {
        let dir = tempfile::tempdir().unwrap();
        let p = save_backup_file(dir.path(), b"one").unwrap();
        save_backup_file(dir.path(), b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(
            std::fs::read(dir.path().join("channel.backup.prev")).unwrap(),
            b"one"
        );
        assert!(!dir.path().join("channel.backup.new").exists());
    }

    #[test]
    fn backup_folders_are_keyed_safely_by_profile_id() {
        assert_eq!(backup_folder("p_00ab12cd34ef5678"), "p_00ab12cd34ef5678");
        let alice = backup_folder("regtest:alice");
        assert!(alice.starts_with("regtest-alice-"), "{alice}");
        // Ids differing only in case or in unsafe characters stay apart.
        assert_ne!(backup_folder("regtest:Home"), backup_folder("regtest:home"));
        assert_ne!(backup_folder("regtest:a/b"), backup_folder("regtest:a-b"));
        for id in ["regtest:../../x", "regtest:CON", "regtest:a\\b:c*?\"<>|"] {
            let f = backup_folder(id);
            assert!(
                f.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'),
                "{f}"
            );
            assert!(!f.contains(".."));
        }
    }
}
