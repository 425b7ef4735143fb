//! Node profiles: list, add, switch (restarts live events), remove,
//! initialise a fresh LND from a wallet's words, unlock.

use crate::AppState;
use switchyard_core::confirm::Confirmation;
use switchyard_core::profiles::{InitNodeRequest, NewProfile, ProfileInfo};
use switchyard_core::seal::Sealed;
use switchyard_core::ApiError;
use tauri::{AppHandle, State};

/// Every profile; the one in use is marked.
#[tauri::command]
pub async fn list_profiles(state: State<'_, AppState>) -> Result<Vec<ProfileInfo>, ApiError> {
    Ok(state.ctx()?.profiles.list().await?)
}

/// Adds a profile (an lndconnect link's macaroon goes to the keychain).
#[tauri::command]
pub async fn add_profile(
    state: State<'_, AppState>,
    profile: NewProfile,
) -> Result<ProfileInfo, ApiError> {
    Ok(state.ctx()?.profiles.add(profile).await?)
}

/// Uses another profile from now on: reconnects and restarts live events.
#[tauri::command]
pub async fn switch_profile(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
) -> Result<ProfileInfo, ApiError> {
    let ctx = state.ctx()?;
    let (info, source) = ctx.profiles.activate(&id).await?;
    ctx.node.conn.switch(Some(source)).await;
    state
        .events
        .restart(app, ctx.node.clone(), ctx.data_dir.join("backups"));
    Ok(info)
}

/// Removes a profile (not the one in use) and its keychain entries.
#[tauri::command]
pub async fn remove_profile(
    state: State<'_, AppState>,
    id: String,
    app_password: Option<switchyard_core::api::SecretInput>,
) -> Result<ProfileInfo, ApiError> {
    let ctx = state.ctx()?;
    let target = ctx.profiles.resolve(&id).await?;
    if target.active {
        return Err(ApiError::new(
            switchyard_core::ErrorCode::InvalidRequest,
            "This profile is in use; switch to another one before removing it.",
        ));
    }
    Ok(ctx
        .profiles
        .remove(&id, app_password.as_ref().map(|p| &p.0))
        .await?)
}

/// Initialises a fresh LND from a wallet's words and adds its profile.
#[tauri::command]
pub async fn init_node(
    state: State<'_, AppState>,
    request: InitNodeRequest,
) -> Result<ProfileInfo, ApiError> {
    let ctx = state.ctx()?;
    Ok(ctx.profiles.init_node(&ctx.wallets, request).await?)
}

/// Unlocks the node of a profile; `remember` keeps the password in the keychain.
#[tauri::command]
pub async fn unlock_node(
    state: State<'_, AppState>,
    id: String,
    password: switchyard_core::api::SecretInput,
    remember: bool,
) -> Result<ProfileInfo, ApiError> {
    let ctx = state.ctx()?;
    let password: secrecy::SecretString = password.into();
    let info = ctx.profiles.unlock(&id, password, remember).await?;
    if info.active {
        // Pick up the remembered password.
        let source = ctx.profiles.source(&info.id).await?;
        ctx.node.conn.switch(Some(source)).await;
    }
    Ok(info)
}

/// Reveals the wallet password Switchyard generated for a node, after a
/// confirmation (a code from `begin_confirmation`, or the wallet's passphrase).
#[tauri::command]
pub async fn reveal_node_password(
    state: State<'_, AppState>,
    id: String,
    confirmation: Confirmation,
    to: String,
) -> Result<Sealed, ApiError> {
    let ctx = state.ctx()?;
    let revealed = ctx
        .profiles
        .reveal_password(&ctx.wallets, &id, &confirmation)
        .await?;
    Ok(switchyard_core::seal::seal(
        revealed.password.as_bytes(),
        &to,
    )?)
}

/// Adds the admin macaroon (LND's file) to a profile that has none yet.
#[tauri::command]
pub async fn set_profile_macaroon(
    state: State<'_, AppState>,
    id: String,
    path: String,
) -> Result<ProfileInfo, ApiError> {
    Ok(state
        .ctx()?
        .profiles
        .set_macaroon(&id, std::path::Path::new(path.trim()))
        .await?)
}
