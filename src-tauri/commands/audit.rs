//! Audit log commands: each parses, calls the core (`audit`), maps the error.

use crate::AppState;
use switchyard_core::audit::files::{check, parse_key, CheckReport};
use switchyard_core::audit::{AuditExportFiles, Entry, Verdict};
use switchyard_core::ApiError;
use tauri::State;

/// The latest entries, newest first, optionally of one kind.
#[tauri::command]
pub async fn audit_entries(
    state: State<'_, AppState>,
    kind: Option<String>,
    limit: Option<u32>,
) -> Result<Vec<Entry>, ApiError> {
    Ok(state
        .ctx()?
        .audit
        .entries_named(kind.as_deref(), limit.unwrap_or(200))
        .await?)
}

/// Checks the whole log.
#[tauri::command]
pub async fn audit_verify(state: State<'_, AppState>) -> Result<Verdict, ApiError> {
    Ok(state.ctx()?.audit.verify().await?)
}

/// Exports the log to DATA_DIR/exports.
#[tauri::command]
pub async fn audit_export(state: State<'_, AppState>) -> Result<AuditExportFiles, ApiError> {
    let ctx = state.ctx()?;
    Ok(ctx.audit.export_to(&ctx.data_dir.join("exports")).await?)
}

/// Checks an export or a proof (its text) against `key` when given.
#[tauri::command]
pub fn audit_check(text: String, key: Option<String>) -> Result<CheckReport, ApiError> {
    let pinned = key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(parse_key)
        .transpose()?;
    Ok(check(&text, pinned.as_ref())?)
}
