//! `history` (CSV for accounting), `events` (live, one JSON object per line).

use crate::{out, Output};
use clap::Subcommand;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use switchyard_core::node::history::write_history_csv;
use switchyard_core::node::NodeService;
use switchyard_core::ApiError;

/// What happened on the node: the accounting history, live events.
#[derive(Subcommand)]
pub enum ActivityCmd {
    /// Everything that moved the node's money (channel opens/closes, on-chain,
    /// payments, invoices), oldest first; --csv writes it for accounting.
    History {
        /// Write CSV to this file.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Follow live events, one JSON object per line, until interrupted or --count.
    Events {
        /// Stop after this many events.
        #[arg(long)]
        count: Option<u64>,
    },
}

/// Runs one activity command.
pub(super) async fn run(
    cmd: ActivityCmd,
    svc: &Arc<NodeService>,
    data_dir: &Path,
) -> Result<Output, ApiError> {
    match cmd {
        ActivityCmd::History { csv } => {
            let rows = svc.activity().history().await?;
            match csv {
                Some(path) => {
                    let e = write_history_csv(&path, &rows)?;
                    let text = format!("Wrote {} row(s) to {}.", e.rows, e.path);
                    out(&e, text)
                }
                None => {
                    let text = rows
                        .iter()
                        .map(|r| {
                            format!(
                                "{} {:<16} {:>16} msat  fee {:>10} msat  {} {}",
                                r.time,
                                r.kind.as_str(),
                                r.amount_msat,
                                r.fee_msat.to_msat(),
                                r.reference,
                                r.description
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n");
                    out(&rows, text)
                }
            }
        }
        ActivityCmd::Events { count } => {
            let dir = svc.conn.source().map(|src| {
                data_dir
                    .join("backups")
                    .join(switchyard_core::node::backups::backup_folder(&src.id))
            });
            let hub = svc.events(dir, (0, 0));
            let mut rx = hub.subscribe();
            let mut seen = 0u64;
            while count.is_none_or(|c| seen < c) {
                let Some(e) = rx.recv().await else { break };
                crate::print_out(&serde_json::to_string(&e).unwrap_or_default());
                seen += 1;
            }
            out(
                &serde_json::json!({ "events": seen, "dropped": rx.dropped() }),
                format!("{seen} event(s)."),
            )
        }
    }
}
