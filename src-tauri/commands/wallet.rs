//! Wallet commands: thin wrappers over `switchyard_core::wallet::WalletService`.

use crate::AppState;
use switchyard_core::api::SecretInput;
use switchyard_core::confirm::{ChallengeTicket, ConfirmTarget, Confirmation};
use switchyard_core::keys::{self, Chain, Purpose, WordCheck, WordCount};
use switchyard_core::seal::Sealed;
use switchyard_core::wallet::{
    AddressInfo, AddressOwnership, CreateWalletRequest, RevealedWords, WalletDetail, WalletSummary,
    DEFAULT_SEARCH_GAP,
};
use switchyard_core::ApiError;
use tauri::State;

/// New recovery words, shown to the user to write down.
#[tauri::command]
pub fn generate_mnemonic(words: WordCount) -> RevealedWords {
    RevealedWords {
        words: secrecy::ExposeSecret::expose_secret(&keys::phrase_of(&keys::generate_mnemonic(
            words,
        )))
        .to_string(),
    }
}

/// Word-by-word validation for the restore form (async: off the main
/// thread, so a huge paste never freezes the window; the core caps the input).
#[tauri::command]
pub async fn check_words(words: SecretInput) -> WordCheck {
    keys::check_words(&words.into())
}

/// Creates or restores a wallet.
#[tauri::command]
pub async fn create_wallet(
    state: State<'_, AppState>,
    req: CreateWalletRequest,
) -> Result<WalletSummary, ApiError> {
    Ok(state.ctx()?.wallets.create_from(req).await?)
}

/// All wallets.
#[tauri::command]
pub async fn list_wallets(state: State<'_, AppState>) -> Result<Vec<WalletSummary>, ApiError> {
    Ok(state.ctx()?.wallets.list().await?)
}

/// One wallet with its accounts.
#[tauri::command]
pub async fn wallet_detail(
    state: State<'_, AppState>,
    id: String,
) -> Result<WalletDetail, ApiError> {
    Ok(state.ctx()?.wallets.detail(&id).await?)
}

/// Addresses of one account and chain.
#[tauri::command]
pub async fn wallet_addresses(
    state: State<'_, AppState>,
    id: String,
    purpose: Purpose,
    chain: Chain,
    start: u32,
    count: u32,
) -> Result<Vec<AddressInfo>, ApiError> {
    Ok(state
        .ctx()?
        .wallets
        .addresses(&id, purpose, chain, start, count)
        .await?)
}

/// Whether an address belongs to the wallet.
#[tauri::command]
pub async fn verify_address(
    state: State<'_, AppState>,
    id: String,
    address: String,
) -> Result<AddressOwnership, ApiError> {
    Ok(state
        .ctx()?
        .wallets
        .find_address(&id, &address, DEFAULT_SEARCH_GAP)
        .await?)
}

/// A one-time confirmation code for revealing a secret. The code is shown
/// in a native dialog, outside the web view; the web view gets only the
/// ticket to send back with what the user types.
#[tauri::command]
pub async fn begin_confirmation(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    target: ConfirmTarget,
) -> Result<ChallengeTicket, ApiError> {
    let ctx = state.ctx()?;
    let what = match &target {
        ConfirmTarget::Words { wallet_id } => {
            let w = ctx.wallets.resolve(wallet_id).await?;
            format!("reveal the recovery words of the wallet \"{}\"", w.name)
        }
        ConfirmTarget::NodePassword { profile_id } => {
            let p = ctx.profiles.resolve(profile_id).await?;
            format!("reveal the wallet password of the node \"{}\"", p.name)
        }
    };
    let challenge = ctx.wallets.challenge(target);
    crate::confirm_dialog::show(&app, &challenge, &what).map_err(|e| {
        tracing::error!(error = %e, "the confirmation dialog could not be shown");
        ApiError::new(
            switchyard_core::ErrorCode::Internal,
            "Switchyard could not open the window that shows the confirmation code. Try again, or use `switchyard wallet reveal` in a terminal.",
        )
    })?;
    Ok(ChallengeTicket::from(&challenge))
}

/// Reveals the words after the app password (or, without one, the
/// passphrase or a confirmation code), sealed to the page's key `to` (see
/// `switchyard_core::seal`): only ciphertext crosses into the web view.
#[tauri::command]
pub async fn reveal_words(
    state: State<'_, AppState>,
    id: String,
    confirmation: Confirmation,
    to: String,
) -> Result<Sealed, ApiError> {
    let words = state
        .ctx()?
        .wallets
        .reveal_words(&id, &confirmation)
        .await?;
    Ok(switchyard_core::seal::seal(words.words.as_bytes(), &to)?)
}

/// Deletes a wallet (keychain entry and metadata); a wallet that initialised
/// nodes needs them named in `unlink_nodes`.
#[tauri::command]
pub async fn delete_wallet(
    state: State<'_, AppState>,
    id: String,
    unlink_nodes: Vec<String>,
    app_password: Option<switchyard_core::api::SecretInput>,
) -> Result<(), ApiError> {
    Ok(state
        .ctx()?
        .wallets
        .delete(&id, &unlink_nodes, app_password.as_ref().map(|p| &p.0))
        .await?)
}
