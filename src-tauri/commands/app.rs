//! App-wide commands: status for the header, first-paint timing for the bench.

use crate::AppState;
use switchyard_core::context::AppStatus;
use switchyard_core::ApiError;
use tauri::State;

/// Version, data directory, keychain health and node connection state.
#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> Result<AppStatus, ApiError> {
    Ok(AppStatus::gather(state.ctx()?).await)
}

/// The UI calls this once after its first paint; with `--bench-report` the
/// time since process start is written to that file.
#[tauri::command]
pub fn first_paint(state: State<'_, AppState>) -> Result<(), ApiError> {
    if let Some(path) = &state.bench_report {
        let painted = crate::unix_ms();
        let line = format!(
            "{{\"started_unix_ms\":{},\"first_paint_unix_ms\":{},\"pid\":{}}}\n",
            state.started_unix_ms,
            painted,
            std::process::id()
        );
        std::fs::write(path, line).map_err(|e| {
            ApiError::new(
                switchyard_core::ErrorCode::Internal,
                format!("Could not write the bench report: {e}"),
            )
        })?;
    }
    Ok(())
}

/// The node connection for the header: connected (alias, height, channels)
/// or why not.
#[tauri::command]
pub async fn node_status(
    state: State<'_, AppState>,
) -> Result<switchyard_core::api::NodeStatusView, ApiError> {
    Ok(state.ctx()?.node.conn.status().await.into())
}
