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
    /// Proof that one entry is in a signed tree (RFC 9162 inclusion proof:
    /// shows the entry). With --window: a zero-knowledge proof that the
    /// entry's time is in the window and its actor in --authorised, showing
    /// only its kind and outcome (Halo 2, no trusted setup; a few seconds).
    Prove {
        /// The entry's index (from 0).
        #[arg(long)]
        entry: u64,
        /// The tree head's size (default: the latest; not with --window).
        #[arg(long, conflicts_with = "window")]
        size: Option<u64>,
        /// T0..T1, each Unix milliseconds, a date (2026-12-01, UTC: the
        /// day's start for T0, its end for T1) or an RFC 3339 time.
        #[arg(long, requires = "authorised")]
        window: Option<String>,
        /// The authorised actors, comma-separated (desktop:alice,cli:alice);
        /// see `audit list` for who made each entry.
        #[arg(long, value_delimiter = ',', requires = "window")]
        authorised: Vec<String>,
        /// Write the proof to this file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Checks a zero-knowledge proof from `audit prove --window` without the
    /// log, any wallet or keychain.
    VerifyProof {
        /// The file (`-` reads standard input).
        file: String,
        /// The log's public key you trust (hex); without it the file's own
        /// key is used, which proves only that the file is self-consistent.
        #[arg(long)]
        key: Option<String>,
        /// The authorised actors you expect, comma-separated: the proof must
        /// be for exactly this set.
        #[arg(long, value_delimiter = ',')]
        authorised: Vec<String>,
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

/// Prints `json` (the proof), or writes it to `file` and says where.
fn written<T: serde::Serialize>(
    file: Option<&Path>,
    value: &T,
    json: String,
) -> Result<Output, ApiError> {
    match file {
        None => out(value, json),
        Some(f) => {
            std::fs::write(f, format!("{json}\n")).map_err(|e| {
                ApiError::new(
                    ErrorCode::InvalidRequest,
                    format!("Cannot write {}: {e}", f.display()),
                )
            })?;
            out(value, format!("Proof written to {}.", f.display()))
        }
    }
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

/// One end of a window: Unix ms, a date (UTC; the day's first millisecond,
/// or its last for the end) or an RFC 3339 time.
fn window_end(s: &str, end: bool) -> Option<u64> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<u64>() {
        return Some(ms);
    }
    let ms = if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let t = if end {
            d.and_hms_milli_opt(23, 59, 59, 999)?
        } else {
            d.and_hms_opt(0, 0, 0)?
        };
        t.and_utc().timestamp_millis()
    } else {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()?
            .timestamp_millis()
    };
    u64::try_from(ms).ok()
}

/// `T0..T1` as Unix ms.
pub fn parse_window(s: &str) -> Result<(u64, u64), ApiError> {
    let bad = |why: &str| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!(
                "The window {s:?} {why}. Write T0..T1, each Unix milliseconds, a date (2026-12-01) or an RFC 3339 time (2026-12-01T09:00:00Z)."
            ),
        )
    };
    let (a, b) = s.split_once("..").ok_or_else(|| bad("has no \"..\""))?;
    let from = window_end(a, false).ok_or_else(|| bad("does not start with a time"))?;
    let to = window_end(b, true).ok_or_else(|| bad("does not end with a time"))?;
    if from > to {
        return Err(bad("ends before it starts"));
    }
    Ok((from, to))
}

/// Checks a zero-knowledge proof file (no data directory, no keychain).
fn verify_proof_file(
    file: &str,
    key: Option<&str>,
    authorised: &[String],
) -> Result<Output, ApiError> {
    let text = read(file)?;
    let verifier =
        switchyard_zk::Verifier::new().map_err(switchyard_zk::audit::AuditZkError::from)?;
    let expected = (!authorised.is_empty()).then_some(authorised);
    let report = switchyard_zk::audit::check(&verifier, &text, key, expected)?;
    if !report.ok {
        return Err(ApiError::new(ErrorCode::AuditLog, report.summary));
    }
    let text = report.summary.clone();
    out(&report, text)
}

pub async fn run(cmd: AuditCmd, data_dir: &Path) -> Result<Output, ApiError> {
    let log = || async { Context::open(data_dir).await };
    match cmd {
        AuditCmd::Check { file, key } => check_file(&file, key.as_deref()),
        AuditCmd::VerifyProof {
            file,
            key,
            authorised,
        } => verify_proof_file(&file, key.as_deref(), &authorised),
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
        AuditCmd::Prove {
            entry,
            size,
            window: None,
            out: file,
            ..
        } => {
            let p = log().await?.audit.inclusion(entry, size).await?;
            let json = serde_json::to_string_pretty(&p).unwrap_or_default();
            written(file.as_deref(), &p, json)
        }
        AuditCmd::Prove {
            entry,
            window: Some(window),
            authorised,
            out: file,
            ..
        } => {
            let (from, to) = parse_window(&window)?;
            let p = log()
                .await?
                .audit
                .prove_zk(entry, from, to, authorised)
                .await?;
            let json = serde_json::to_string_pretty(&p).unwrap_or_default();
            written(file.as_deref(), &p, json)
        }
        AuditCmd::Consistency { from, to } => {
            let p = log().await?.audit.consistency(from, to).await?;
            let json = serde_json::to_string_pretty(&p).unwrap_or_default();
            out(&p, json)
        }
    }
}
