//! Node commands: each parses, calls the core's `NodeService`, maps the error.

use crate::AppState;
use switchyard_core::node::backups::BackupSummary;
use switchyard_core::node::channels::{
    Balances, ChannelList, CloseChannelRequest, ClosingChannel, OpenChannelRequest, OpenedChannel,
    PolicyUpdate,
};
use switchyard_core::node::onchain::{AddressKind, OnchainTx, SendCoinsRequest};
use switchyard_core::node::payments::{
    CreateInvoiceRequest, CreatedInvoice, KeysendRequest, PayInvoiceRequest, PaymentPreview,
    PaymentRecord,
};
use switchyard_core::ApiError;
use tauri::State;

/// On-chain and channel balances.
#[tauri::command]
pub async fn balances(state: State<'_, AppState>) -> Result<Balances, ApiError> {
    Ok(state.ctx()?.node.balances().await?)
}

/// Every channel.
#[tauri::command]
pub async fn list_channels(state: State<'_, AppState>) -> Result<ChannelList, ApiError> {
    Ok(state.ctx()?.node.list_channels().await?)
}

/// Opens a channel.
#[tauri::command]
pub async fn open_channel(
    state: State<'_, AppState>,
    req: OpenChannelRequest,
) -> Result<OpenedChannel, ApiError> {
    Ok(state.ctx()?.node.open_channel(&req).await?)
}

/// Closes a channel.
#[tauri::command]
pub async fn close_channel(
    state: State<'_, AppState>,
    req: CloseChannelRequest,
) -> Result<ClosingChannel, ApiError> {
    Ok(state.ctx()?.node.close_channel(&req).await?)
}

/// Sets a forwarding policy.
#[tauri::command]
pub async fn update_policy(state: State<'_, AppState>, req: PolicyUpdate) -> Result<(), ApiError> {
    Ok(state.ctx()?.node.update_policy(&req).await?)
}

/// Creates an invoice.
#[tauri::command]
pub async fn create_invoice(
    state: State<'_, AppState>,
    req: CreateInvoiceRequest,
) -> Result<CreatedInvoice, ApiError> {
    Ok(state.ctx()?.node.create_invoice(&req).await?)
}

/// Decodes an invoice and estimates the fee.
#[tauri::command]
pub async fn preview_payment(
    state: State<'_, AppState>,
    invoice: String,
    amount_msat: Option<u64>,
) -> Result<PaymentPreview, ApiError> {
    Ok(state
        .ctx()?
        .node
        .preview_payment(&invoice, amount_msat)
        .await?)
}

/// Pays an invoice.
#[tauri::command]
pub async fn pay_invoice(
    state: State<'_, AppState>,
    req: PayInvoiceRequest,
) -> Result<PaymentRecord, ApiError> {
    Ok(state.ctx()?.node.pay_invoice(&req).await?)
}

/// Keysend.
#[tauri::command]
pub async fn keysend(
    state: State<'_, AppState>,
    req: KeysendRequest,
) -> Result<PaymentRecord, ApiError> {
    Ok(state.ctx()?.node.keysend(&req).await?)
}

/// Payments and invoices.
#[tauri::command]
pub async fn payment_history(state: State<'_, AppState>) -> Result<Vec<PaymentRecord>, ApiError> {
    Ok(state.ctx()?.node.payment_history(200).await?)
}

/// A receive address.
#[tauri::command]
pub async fn new_address(
    state: State<'_, AppState>,
    kind: AddressKind,
) -> Result<String, ApiError> {
    Ok(state.ctx()?.node.new_address(kind).await?)
}

/// Sends on chain.
#[tauri::command]
pub async fn send_coins(
    state: State<'_, AppState>,
    req: SendCoinsRequest,
) -> Result<String, ApiError> {
    Ok(state.ctx()?.node.send_coins(&req).await?)
}

/// Wallet transactions.
#[tauri::command]
pub async fn transactions(state: State<'_, AppState>) -> Result<Vec<OnchainTx>, ApiError> {
    Ok(state.ctx()?.node.transactions().await?)
}

/// Exports the channel backup into DATA_DIR/backups/exports.
#[tauri::command]
pub async fn export_backup(state: State<'_, AppState>) -> Result<BackupSummary, ApiError> {
    let ctx = state.ctx()?;
    let name = format!("channel-{}.backup", crate::unix_ms() / 1000);
    let path = ctx.data_dir.join("backups").join("exports").join(name);
    Ok(ctx.node.export_backup(&path).await?)
}
