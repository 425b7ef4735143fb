//! Wallet commands: thin wrappers over `switchyard_core::wallet::WalletService`.

use crate::AppState;
use switchyard_core::api::SecretInput;
use switchyard_core::keys::{self, Chain, Purpose, WordCheck, WordCount};
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

/// Word-by-word validation for the restore form.
#[tauri::command]
pub fn check_words(words: SecretInput) -> WordCheck {
    keys::check_words(&words.into())
}

/// Creates or restores a wallet.
#[tauri::command]
pub async fn create_wallet(
    state: State<'_, AppState>,
    req: CreateWalletRequest,
) -> Result<WalletSummary, ApiError> {
    Ok(state.ctx()?.wallets.create(req.into()).await?)
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

/// Reveals the words after the passphrase (or the wallet's name) is given.
#[tauri::command]
pub async fn reveal_words(
    state: State<'_, AppState>,
    id: String,
    confirmation: SecretInput,
) -> Result<RevealedWords, ApiError> {
    Ok(state
        .ctx()?
        .wallets
        .reveal_words(&id, &confirmation.into())
        .await?)
}

/// Deletes a wallet (keychain entry and metadata).
#[tauri::command]
pub async fn delete_wallet(state: State<'_, AppState>, id: String) -> Result<(), ApiError> {
    Ok(state.ctx()?.wallets.delete(&id).await?)
}
