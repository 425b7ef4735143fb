//! App lock commands: the only ones that work while the app is locked
//! (status, unlock); the others need it unlocked like every command.

use crate::AppState;
use switchyard_core::api::SecretInput;
use switchyard_core::lock::LockStatus;
use switchyard_core::ApiError;
use tauri::State;

/// Whether a password is set, whether locked, the idle time.
#[tauri::command]
pub async fn lock_status(state: State<'_, AppState>) -> Result<LockStatus, ApiError> {
    Ok(state.core()?.lock.status().await?)
}

/// Unlocks with the app password (wrong ones back off).
#[tauri::command]
pub async fn unlock_app(state: State<'_, AppState>, password: SecretInput) -> Result<(), ApiError> {
    Ok(state.core()?.unlock_app(&password.into()).await?)
}

/// Locks now.
#[tauri::command]
pub async fn lock_app(state: State<'_, AppState>) -> Result<(), ApiError> {
    Ok(state.ctx()?.lock_app().await?)
}

/// Sets or changes the app password (`current` when one is set).
#[tauri::command]
pub async fn set_app_password(
    state: State<'_, AppState>,
    current: Option<SecretInput>,
    password: SecretInput,
) -> Result<(), ApiError> {
    let ctx = state.core()?;
    // Setting the first password needs no unlock; changing it does.
    if ctx.lock.status().await?.enabled {
        ctx.lock.ensure_unlocked()?;
    }
    let current = current.map(Into::into);
    Ok(ctx
        .set_app_password(current.as_ref(), &password.into())
        .await?)
}

/// Sets the idle time, after the password.
#[tauri::command]
pub async fn set_idle_minutes(
    state: State<'_, AppState>,
    password: SecretInput,
    minutes: u32,
) -> Result<(), ApiError> {
    Ok(state
        .ctx()?
        .set_idle_minutes(&password.into(), minutes)
        .await?)
}

/// The user typed or clicked: the idle time starts again.
#[tauri::command]
pub fn app_activity(state: State<'_, AppState>) -> Result<(), ApiError> {
    state.core()?.lock.touch();
    Ok(())
}
