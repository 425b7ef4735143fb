//! `backup …`: export, verify and restore static channel backups.

use super::context_on;
use crate::{out, Output};
use clap::Subcommand;
use std::path::PathBuf;
use switchyard_core::node::NodeService;
use switchyard_core::ApiError;

/// Backup commands.
#[derive(Subcommand)]
pub enum BackupCmd {
    /// Write the node's current multi-channel backup to a file.
    Export {
        /// Where.
        file: PathBuf,
    },
    /// Check a backup file with the node.
    Verify {
        /// The file.
        file: PathBuf,
    },
    /// Restore channels from a backup: every channel in it is force-closed by the peer.
    Restore {
        /// The file.
        file: PathBuf,
        /// I understand restoring force-closes the channels.
        #[arg(long)]
        yes_force_close: bool,
    },
}

/// Runs one backup command.
pub(super) async fn run(
    cmd: BackupCmd,
    svc: &NodeService,
    data_dir: &std::path::Path,
) -> Result<Output, ApiError> {
    match cmd {
        BackupCmd::Export { file } => {
            let s = context_on(svc, data_dir)
                .await?
                .export_backup(&file)
                .await?;
            let text = format!(
                "Saved {} ({} channels, {} bytes).",
                s.path,
                s.channel_points.len(),
                s.bytes
            );
            out(&s, text)
        }
        BackupCmd::Verify { file } => {
            let s = svc.backups().verify(&file).await?;
            let text = format!(
                "Valid backup of {} channel(s): {}",
                s.channel_points.len(),
                s.channel_points.join(", ")
            );
            out(&s, text)
        }
        BackupCmd::Restore {
            file,
            yes_force_close,
        } => {
            let n = context_on(svc, data_dir)
                .await?
                .restore_backup(&file, yes_force_close)
                .await?;
            out(
                &serde_json::json!({ "restored": n }),
                format!("Restored {n} channel(s); the peers will force-close them."),
            )
        }
    }
}
