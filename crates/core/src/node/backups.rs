//! Static channel backups (SCB): the multi-channel backup LND keeps current.
//! Saved automatically when LND announces a new one (events.rs), exported
//! on demand, verified by LND, and restored only behind a guard: restoring
//! asks every peer in the backup to force-close, so it is refused while any
//! of those channels is still open on the node.

use super::client::CALL_TIMEOUT;
use super::error::{classify_rpc, NodeError};
use super::service::NodeService;
use fedimint_tonic_lnd::lnrpc;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
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

/// Writes `bytes` to `dir/channel.backup` atomically (temp file, fsync,
/// rename), keeping the previous one as `channel.backup.prev`.
pub fn save_backup_file(dir: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(BACKUP_FILE);
    let tmp = dir.join(format!("{BACKUP_FILE}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    if path.exists() {
        std::fs::rename(&path, dir.join(format!("{BACKUP_FILE}.prev")))?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

fn read_backup(path: &Path) -> Result<Vec<u8>, NodeError> {
    let bytes = std::fs::read(path).map_err(|e| NodeError::File {
        what: "the channel backup",
        path: path.display().to_string(),
        detail: e.to_string(),
    })?;
    if bytes.is_empty() {
        return Err(NodeError::BadRequest {
            message: format!("{} is empty; it is not a channel backup.", path.display()),
        });
    }
    Ok(bytes)
}

impl NodeService {
    /// Asks LND for its current multi-channel backup and writes it to `path`.
    pub async fn export_backup(&self, path: &Path) -> Result<BackupSummary, NodeError> {
        let c = self.client().await?;
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
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| NodeError::File {
            what: "the backup folder",
            path: dir.display().to_string(),
            detail: e.to_string(),
        })?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &multi.multi_chan_backup)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| NodeError::File {
                what: "the backup file",
                path: path.display().to_string(),
                detail: e.to_string(),
            })?;
        self.verify_backup(path).await
    }

    /// Has LND check that `path` is a backup it can read (its own seed).
    pub async fn verify_backup(&self, path: &Path) -> Result<BackupSummary, NodeError> {
        let bytes = read_backup(path)?;
        let c = self.client().await?;
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
        Ok(BackupSummary {
            path: path.display().to_string(),
            channel_points: r.chan_points,
            bytes: bytes.len() as u64,
        })
    }

    /// Restores channels from a backup: each peer is asked to force-close, and
    /// the funds come back on chain after the peer's time lock. Refused unless
    /// `confirmed`, and while any channel in the backup is still open or
    /// opening on this node (restoring then would close channels that work).
    pub async fn restore_backup(&self, path: &Path, confirmed: bool) -> Result<u32, NodeError> {
        if !confirmed {
            return Err(NodeError::BadRequest {
                message: "Restoring a channel backup force-closes every channel in it. Confirm that this node lost its channel state, then try again.".into(),
            });
        }
        let summary = self.verify_backup(path).await?;
        let live = self.list_channels().await?;
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
        let bytes = read_backup(path)?;
        let c = self.client().await?;
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
        assert!(!dir.path().join("channel.backup.tmp").exists());
    }
}
