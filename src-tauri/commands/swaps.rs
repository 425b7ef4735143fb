//! Swap commands: each parses, calls the core's `SwapEngine`, maps the error.

use crate::AppState;
use switchyard_core::amount::Sat;
use switchyard_core::cold::{self, PreparedView};
use switchyard_core::swap::tree::SwapKind;
use switchyard_core::swaps::{FundedSwap, QuoteView, RescueReport, SwapRequest, SwapView};
use switchyard_core::{ApiError, ErrorCode};
use tauri::State;

fn kind(direction: &str) -> Result<SwapKind, ApiError> {
    match direction {
        "in" => Ok(SwapKind::Submarine),
        "out" => Ok(SwapKind::Reverse),
        other => Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("A swap goes \"in\" or \"out\", not \"{other}\"."),
        )),
    }
}

/// The provider remembered (or none).
#[tauri::command]
pub async fn swap_provider(state: State<'_, AppState>) -> Result<Option<String>, ApiError> {
    Ok(state.ctx()?.swaps.provider(None).await.ok())
}

/// What a swap would cost now.
#[tauri::command]
pub async fn swap_quote(
    state: State<'_, AppState>,
    direction: String,
    amount: Sat,
    provider: Option<String>,
) -> Result<QuoteView, ApiError> {
    let swaps = &state.ctx()?.swaps;
    let provider = swaps.provider(provider.as_deref()).await?;
    Ok(swaps.quote(&provider, kind(&direction)?, amount).await?)
}

/// Creates a swap (in: from the node's on-chain wallet into its channels;
/// out: the reverse) within the fee the user agreed to.
#[tauri::command]
pub async fn create_swap(
    state: State<'_, AppState>,
    direction: String,
    amount: Sat,
    max_fee: Sat,
    provider: Option<String>,
    wallet: Option<String>,
    external: Option<bool>,
) -> Result<SwapView, ApiError> {
    let swaps = &state.ctx()?.swaps;
    let req = SwapRequest {
        wallet: swaps.wallet(wallet.as_deref()).await?,
        provider: swaps.provider(provider.as_deref()).await?,
        amount,
        max_fee,
        external_funding: external.unwrap_or(false),
    };
    Ok(match kind(&direction)? {
        SwapKind::Submarine => swaps.swap_in(&req).await?,
        SwapKind::Reverse => swaps.swap_out(&req).await?,
    })
}

/// Funds a swap in from another wallet: `signed` is the signed lockup as a
/// finalized PSBT (base64) or raw transaction (hex); checked against the
/// swap, then broadcast by the node.
#[tauri::command]
pub async fn fund_swap(
    state: State<'_, AppState>,
    id: String,
    signed: String,
) -> Result<FundedSwap, ApiError> {
    Ok(state
        .ctx()?
        .swaps
        .fund(&id, signed.trim().as_bytes())
        .await?)
}

/// Every swap, newest first.
#[tauri::command]
pub async fn list_swaps(state: State<'_, AppState>) -> Result<Vec<SwapView>, ApiError> {
    Ok(state.ctx()?.swaps.list().await?)
}

/// Drives every unfinished swap again (after the node came back, say).
#[tauri::command]
pub async fn resume_swaps(state: State<'_, AppState>) -> Result<usize, ApiError> {
    Ok(state.ctx()?.swaps.resume_all().await?)
}

/// Finds swaps from the wallet's words with the provider and finishes them.
#[tauri::command]
pub async fn rescue_swaps(
    state: State<'_, AppState>,
    provider: Option<String>,
    wallet: Option<String>,
    count: u32,
) -> Result<RescueReport, ApiError> {
    let swaps = &state.ctx()?.swaps;
    let provider = swaps.provider(provider.as_deref()).await?;
    let wallet = swaps.wallet(wallet.as_deref()).await?;
    Ok(swaps
        .rescue(&wallet, &provider, 0..count.clamp(1, 1000))
        .await?)
}

/// Funds a swap in from a wallet's LND account: LND funds the lockup, the
/// review comes back (the coins locked until complete or abort).
#[tauri::command]
pub async fn prepare_swap_lockup(
    state: State<'_, AppState>,
    swap: String,
    wallet: String,
    sat_per_vbyte: u64,
    max_fee_sat: Sat,
) -> Result<PreparedView, ApiError> {
    Ok(
        cold::fund_swap_prepare_pending(state.ctx()?, &swap, &wallet, sat_per_vbyte, max_fee_sat)
            .await?,
    )
}

/// Signs a prepared lockup with the wallet's signer; the swap checks it and
/// the node broadcasts it.
#[tauri::command]
pub async fn complete_swap_lockup(
    state: State<'_, AppState>,
    id: String,
) -> Result<FundedSwap, ApiError> {
    Ok(cold::fund_swap_complete_pending(state.ctx()?, &id, cold::emulators_enabled()).await?)
}

/// Cancels a prepared lockup: its coins are released, the swap still waits.
#[tauri::command]
pub async fn abort_swap_lockup(state: State<'_, AppState>, id: String) -> Result<(), ApiError> {
    Ok(cold::fund_swap_abort_pending(state.ctx()?, &id).await?)
}
