//! PSBT and cold-storage commands: each parses, calls the core (`psbt`,
//! `cold`), maps the error.

use crate::AppState;
use switchyard_core::cold::{
    self, AccountBalance, LndImport, PreparedOpenView, PreparedView, PsbtOpen, PsbtSend, SignedView,
};
use switchyard_core::psbt::{qr_frames, review_with_wallet, QrFrames, Review};
use switchyard_core::psbt_open::OpenedWithPsbt;
use switchyard_core::signer::hwi::DeviceInfo;
use switchyard_core::spend::Sent;
use switchyard_core::wallet::{ImportWatch, WalletSummary};
use switchyard_core::ApiError;
use tauri::State;

/// What a PSBT (base64 text) spends and pays, by `wallet`'s descriptors.
#[tauri::command]
pub async fn review_psbt(
    state: State<'_, AppState>,
    wallet: String,
    psbt: String,
) -> Result<Review, ApiError> {
    Ok(review_with_wallet(&state.ctx()?.wallets, &wallet, psbt.trim().as_bytes()).await?)
}

/// Reviews, then signs with the wallet's signer (its seed or its device).
#[tauri::command]
pub async fn sign_psbt(
    state: State<'_, AppState>,
    wallet: String,
    psbt: String,
    app_password: Option<switchyard_core::api::SecretInput>,
) -> Result<SignedView, ApiError> {
    Ok(cold::sign_psbt(
        &state.ctx()?.wallets,
        &wallet,
        psbt.trim().as_bytes(),
        cold::emulators_enabled(),
        app_password.as_ref().map(|p| &p.0),
    )
    .await?)
}

/// The connected hardware wallets.
#[tauri::command]
pub async fn list_devices(state: State<'_, AppState>) -> Result<Vec<DeviceInfo>, ApiError> {
    let network = state
        .ctx()?
        .node
        .conn
        .network()
        .unwrap_or(switchyard_core::Network::Regtest);
    Ok(cold::devices(network, cold::emulators_enabled()).await?)
}

/// A watch-only wallet of a connected device's account (`path`, default
/// BIP84 account 0), named `name`.
#[tauri::command]
pub async fn watch_device(
    state: State<'_, AppState>,
    name: String,
    fingerprint: String,
    path: Option<String>,
) -> Result<WalletSummary, ApiError> {
    let ctx = state.ctx()?;
    let network = ctx
        .node
        .conn
        .network()
        .unwrap_or(switchyard_core::Network::Regtest);
    Ok(cold::watch_device(
        ctx,
        name,
        network,
        Some(&fingerprint),
        path.as_deref(),
        cold::emulators_enabled(),
    )
    .await?)
}

/// A watch-only wallet from an extended public key or a descriptor.
#[tauri::command]
pub async fn import_watch(
    state: State<'_, AppState>,
    req: ImportWatch,
) -> Result<WalletSummary, ApiError> {
    Ok(state.ctx()?.wallets.import_watch(req).await?)
}

/// The wallet's account into LND: the dry run (`dry_run`), or the import.
#[tauri::command]
pub async fn lnd_import(
    state: State<'_, AppState>,
    wallet: String,
    dry_run: bool,
) -> Result<LndImport, ApiError> {
    Ok(cold::lnd_import(state.ctx()?, &wallet, dry_run).await?)
}

/// The wallet's balance in its LND account (and a receive address).
#[tauri::command]
pub async fn account_balance(
    state: State<'_, AppState>,
    wallet: String,
    address: bool,
) -> Result<AccountBalance, ApiError> {
    Ok(cold::account_balance(state.ctx()?, &wallet, address).await?)
}

/// Funds and reviews a send from a wallet's LND account.
#[tauri::command]
pub async fn prepare_psbt_send(
    state: State<'_, AppState>,
    req: PsbtSend,
) -> Result<PreparedView, ApiError> {
    Ok(cold::prepare_pending(state.ctx()?, &req).await?)
}

/// Signs and publishes a prepared send.
#[tauri::command]
pub async fn complete_psbt_send(state: State<'_, AppState>, id: String) -> Result<Sent, ApiError> {
    Ok(cold::complete_pending(state.ctx()?, &id, cold::emulators_enabled()).await?)
}

/// Cancels a prepared send: its coins are released.
#[tauri::command]
pub async fn abort_psbt_send(state: State<'_, AppState>, id: String) -> Result<(), ApiError> {
    Ok(cold::abort_pending(state.ctx()?, &id).await?)
}

/// Starts a channel open funded from a wallet's LND account: the peer
/// agrees, LND funds the PSBT, the review comes back (the peer waits about
/// ten minutes).
#[tauri::command]
pub async fn prepare_psbt_open(
    state: State<'_, AppState>,
    req: PsbtOpen,
) -> Result<PreparedOpenView, ApiError> {
    Ok(cold::open_prepare_pending(state.ctx()?, &req).await?)
}

/// Signs a prepared open; LND publishes once the peer has signed.
#[tauri::command]
pub async fn complete_psbt_open(
    state: State<'_, AppState>,
    id: String,
) -> Result<OpenedWithPsbt, ApiError> {
    Ok(cold::open_complete_pending(state.ctx()?, &id, cold::emulators_enabled()).await?)
}

/// Cancels a prepared open: the peer forgets it, the coins are released.
#[tauri::command]
pub async fn abort_psbt_open(state: State<'_, AppState>, id: String) -> Result<(), ApiError> {
    Ok(cold::open_abort_pending(state.ctx()?, &id).await?)
}

/// A PSBT as BBQr QR frames (animated in the page when more than one).
#[tauri::command]
pub fn psbt_qr(psbt: String) -> Result<QrFrames, ApiError> {
    Ok(qr_frames(psbt.trim().as_bytes())?)
}

/// Saves a PSBT as a binary `.psbt` file in DATA_DIR/exports; returns the path.
#[tauri::command]
pub async fn save_psbt(state: State<'_, AppState>, psbt: String) -> Result<String, ApiError> {
    let dir = state.ctx()?.data_dir.join("exports");
    Ok(
        switchyard_core::psbt::save_psbt(&dir, psbt.trim().as_bytes())?
            .display()
            .to_string(),
    )
}
