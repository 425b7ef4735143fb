//! `switchyard audit …`: the audit log — list it, verify it, export it for a
//! third party, prove one entry or that the log only grew, and check such a
//! file without any wallet (`audit check`).

use crate::{out, Output};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use switchyard_core::audit::files::{check, parse_key};
use switchyard_core::audit::Entry;
use switchyard_core::{ApiError, Context, ErrorCode};

#[derive(Subcommand)]
pub enum AuditCmd {
    /// The latest entries, newest first.
    List {
        /// Only entries of this kind (e.g. wallet_reveal, psbt_sign).
        #[arg(long)]
        kind: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Checks the whole log: each entry in its place, the HMAC chain, every
    /// signed tree head, and the keychain's copy of the latest head. Names
    /// the first broken link (edit, deletion, reorder, truncation, fork).
    Verify,
    /// Writes the log for a third party: a JSON bundle (entries and signed
    /// heads, checked by `audit check`), JSON lines and CSV.
    Export {
        /// The directory (default: DATA_DIR/exports).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Proof that one entry is in a signed tree (RFC 9162 inclusion proof).
    Prove {
        /// The entry's index (from 0).
        #[arg(long)]
        entry: u64,
        /// The tree head's size (default: the latest).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Proof that the log only grew between two signed heads (RFC 9162
    /// consistency proof).
    Consistency {
        /// The earlier head's size.
        #[arg(long)]
        from: u64,
        /// The later head's size (default: the latest).
        #[arg(long)]
        to: Option<u64>,
    },
    /// Checks an export or a proof without any wallet or keychain.
    Check {
        /// The file (`-` reads standard input).
        file: String,
        /// The log's public key you trust (hex); without it the file's own
        /// key is used, which proves only that the file is self-consistent.
        #[arg(long)]
        key: Option<String>,
    },
}

fn read(file: &str) -> Result<String, ApiError> {
    let text = if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s)
    } else {
        std::fs::read_to_string(file)
    };
    text.map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("Cannot read {file}: {e}"),
        )
    })
}

fn entry_text(e: &Entry) -> String {
    let detail: Vec<String> = e.detail.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{:>5}  {}  {:<20} {:<6} {:<26} {}  {}",
        e.index,
        e.at_ms,
        e.kind.name(),
        if e.ok { "ok" } else { "FAILED" },
        e.subject.as_deref().unwrap_or("-"),
        e.actor,
        detail.join("; ")
    )
}

/// Checks a file against the key given (no data directory, no keychain:
/// anyone can run this).
fn check_file(file: &str, key: Option<&str>) -> Result<Output, ApiError> {
    let pinned = key.map(parse_key).transpose()?;
    let report = check(&read(file)?, pinned.as_ref())?;
    let text = format!("{}\nKey: {}", report.summary, report.public_key);
    if !report.ok {
        return Err(ApiError::new(ErrorCode::AuditLog, report.summary));
    }
    out(&report, text)
}

pub async fn run(cmd: AuditCmd, data_dir: &Path) -> Result<Output, ApiError> {
    let log = || async { Context::open(data_dir).await };
    match cmd {
        AuditCmd::Check { file, key } => check_file(&file, key.as_deref()),
        AuditCmd::List { kind, limit } => {
            let entries = log()
                .await?
                .audit
                .entries_named(kind.as_deref(), limit)
                .await?;
            let text = if entries.is_empty() {
                "No audit entries.".to_string()
            } else {
                entries
                    .iter()
                    .map(entry_text)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            out(&entries, text)
        }
        AuditCmd::Verify => {
            let v = log().await?.audit.verify().await?;
            if let Some(b) = &v.broken {
                return Err(ApiError {
                    code: ErrorCode::AuditLog,
                    message: format!("The audit log is broken: {b}."),
                    detail: Some(serde_json::to_string(&v).unwrap_or_default()),
                });
            }
            let text = format!(
                "Intact: {} entries, the HMAC chain and {} signed tree heads hold.\nRoot: {}",
                v.entries, v.heads, v.root
            );
            out(&v, text)
        }
        AuditCmd::Export { out: dir } => {
            let ctx = log().await?;
            let dir = dir.unwrap_or_else(|| ctx.data_dir.join("exports"));
            let files = ctx.audit.export_to(&dir).await?;
            let text = format!(
                "{} entries exported.\nFor a third party: {}\nJSON lines: {}\nCSV: {}\nThe log's public key (to pin with `audit check --key`): {}",
                files.entries, files.bundle, files.jsonl, files.csv, files.public_key
            );
            out(&files, text)
        }
        AuditCmd::Prove { entry, size } => {
            let p = log().await?.audit.inclusion(entry, size).await?;
            let json = serde_json::to_string_pretty(&p).unwrap_or_default();
            out(&p, json)
        }
        AuditCmd::Consistency { from, to } => {
            let p = log().await?.audit.consistency(from, to).await?;
            let json = serde_json::to_string_pretty(&p).unwrap_or_default();
            out(&p, json)
        }
    }
}
