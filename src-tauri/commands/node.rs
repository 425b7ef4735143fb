//! Node commands: each parses, calls the core's `NodeService`, maps the error.

use crate::AppState;
use switchyard_core::amount::{Msat, Sat};
use switchyard_core::node::backups::BackupSummary;
use switchyard_core::node::channels::{
    Balances, ChannelList, CloseChannelRequest, ClosingChannel, FeeChoice, OpenChannelRequest,
    OpenedChannel, PolicyUpdate,
};
use switchyard_core::node::history::{write_history_csv, HistoryExport};
use switchyard_core::node::onchain::{AddressKind, BumpedFee, OnchainTx, SendCoinsRequest, Utxo};
use switchyard_core::node::payments::{
    CreateInvoiceRequest, CreatedInvoice, KeysendRequest, PayInvoiceRequest, PaymentPreview,
    PaymentRecord,
};
use switchyard_core::node::routes::{
    Neighbourhood, RebalanceRequest, RebalanceResult, RoutePayment, RoutePreview,
    RoutePreviewRequest,
};
use switchyard_core::ApiError;
use tauri::State;

/// On-chain and channel balances.
#[tauri::command]
pub async fn balances(state: State<'_, AppState>) -> Result<Balances, ApiError> {
    Ok(state.ctx()?.node.channels().balances().await?)
}

/// Every channel.
#[tauri::command]
pub async fn list_channels(state: State<'_, AppState>) -> Result<ChannelList, ApiError> {
    Ok(state.ctx()?.node.channels().list().await?)
}

/// Opens a channel.
#[tauri::command]
pub async fn open_channel(
    state: State<'_, AppState>,
    req: OpenChannelRequest,
) -> Result<OpenedChannel, ApiError> {
    Ok(state.ctx()?.open_channel(&req).await?)
}

/// Opens channels to several peers in one funding transaction.
#[tauri::command]
pub async fn open_channels_batch(
    state: State<'_, AppState>,
    reqs: Vec<OpenChannelRequest>,
    fee: Option<FeeChoice>,
    allow_high_fee: bool,
) -> Result<Vec<OpenedChannel>, ApiError> {
    Ok(state
        .ctx()?
        .open_channels_batch(&reqs, fee, allow_high_fee)
        .await?)
}

/// Closes a channel.
#[tauri::command]
pub async fn close_channel(
    state: State<'_, AppState>,
    req: CloseChannelRequest,
) -> Result<ClosingChannel, ApiError> {
    Ok(state.ctx()?.close_channel(&req).await?)
}

/// Sets a forwarding policy.
#[tauri::command]
pub async fn update_policy(state: State<'_, AppState>, req: PolicyUpdate) -> Result<(), ApiError> {
    Ok(state.ctx()?.update_policy(&req).await?)
}

/// Creates an invoice.
#[tauri::command]
pub async fn create_invoice(
    state: State<'_, AppState>,
    req: CreateInvoiceRequest,
) -> Result<CreatedInvoice, ApiError> {
    Ok(state.ctx()?.node.payments().create_invoice(&req).await?)
}

/// Decodes an invoice and estimates the fee.
#[tauri::command]
pub async fn preview_payment(
    state: State<'_, AppState>,
    invoice: String,
    amount_msat: Option<Msat>,
) -> Result<PaymentPreview, ApiError> {
    Ok(state
        .ctx()?
        .node
        .payments()
        .preview(&invoice, amount_msat)
        .await?)
}

/// Pays an invoice (what the attempts taught goes to mission control).
#[tauri::command]
pub async fn pay_invoice(
    state: State<'_, AppState>,
    req: PayInvoiceRequest,
) -> Result<PaymentRecord, ApiError> {
    state.ctx()?.pay_invoice(&req).await
}

/// Keysend.
#[tauri::command]
pub async fn keysend(
    state: State<'_, AppState>,
    req: KeysendRequest,
) -> Result<PaymentRecord, ApiError> {
    state.ctx()?.keysend(&req).await
}

/// Payments and invoices.
#[tauri::command]
pub async fn payment_history(state: State<'_, AppState>) -> Result<Vec<PaymentRecord>, ApiError> {
    Ok(state.ctx()?.node.payments().history(200).await?)
}

/// A receive address.
#[tauri::command]
pub async fn new_address(
    state: State<'_, AppState>,
    kind: AddressKind,
) -> Result<String, ApiError> {
    Ok(state.ctx()?.node.onchain().new_address(kind).await?)
}

/// Sends on chain.
#[tauri::command]
pub async fn send_coins(
    state: State<'_, AppState>,
    req: SendCoinsRequest,
) -> Result<String, ApiError> {
    Ok(state.ctx()?.send_coins(&req).await?)
}

/// Wallet transactions.
#[tauri::command]
pub async fn transactions(state: State<'_, AppState>) -> Result<Vec<OnchainTx>, ApiError> {
    Ok(state.ctx()?.node.onchain().transactions().await?)
}

/// Exports the channel backup into DATA_DIR/backups/exports.
#[tauri::command]
pub async fn export_backup(state: State<'_, AppState>) -> Result<BackupSummary, ApiError> {
    let ctx = state.ctx()?;
    let name = format!("channel-{}.backup", crate::unix_ms() / 1000);
    let path = ctx.data_dir.join("backups").join("exports").join(name);
    Ok(ctx.export_backup(&path).await?)
}

/// Has the node check a channel backup file.
#[tauri::command]
pub async fn verify_backup(
    state: State<'_, AppState>,
    path: String,
) -> Result<BackupSummary, ApiError> {
    Ok(state
        .ctx()?
        .node
        .backups()
        .verify(std::path::Path::new(path.trim()))
        .await?)
}

/// Restores channels from a backup file (force-closes them; guarded).
#[tauri::command]
pub async fn restore_backup(
    state: State<'_, AppState>,
    path: String,
    confirmed: bool,
) -> Result<u32, ApiError> {
    Ok(state
        .ctx()?
        .restore_backup(std::path::Path::new(path.trim()), confirmed)
        .await?)
}

/// The node wallet's coins, for coin control.
#[tauri::command]
pub async fn list_utxos(state: State<'_, AppState>) -> Result<Vec<Utxo>, ApiError> {
    Ok(state.ctx()?.node.onchain().utxos().await?)
}

/// Speeds up an unconfirmed transaction (a channel's funding) with CPFP.
#[tauri::command]
pub async fn bump_fee(
    state: State<'_, AppState>,
    txid: String,
    fee: FeeChoice,
    allow_high_fee: bool,
) -> Result<BumpedFee, ApiError> {
    Ok(state
        .ctx()?
        .node
        .onchain()
        .bump_fee(&txid, fee, allow_high_fee)
        .await?)
}

/// Writes the whole history as CSV into DATA_DIR/exports.
#[tauri::command]
pub async fn export_history(state: State<'_, AppState>) -> Result<HistoryExport, ApiError> {
    let ctx = state.ctx()?;
    let rows = ctx.node.activity().history().await?;
    let path = ctx
        .data_dir
        .join("exports")
        .join(format!("history-{}.csv", crate::unix_ms() / 1000));
    Ok(write_history_csv(&path, &rows)?)
}

/// Our routes and LND's to a node or an invoice.
#[tauri::command]
pub async fn preview_route(
    state: State<'_, AppState>,
    req: RoutePreviewRequest,
) -> Result<RoutePreview, ApiError> {
    state.ctx()?.preview_route(&req).await
}

/// Pays an invoice along a previewed route (its channel ids, in order).
#[tauri::command]
pub async fn pay_route(
    state: State<'_, AppState>,
    invoice: String,
    amount_sat: Option<Sat>,
    chan_ids: Vec<String>,
    max_fee_msat: Msat,
) -> Result<RoutePayment, ApiError> {
    let ids = chan_ids
        .iter()
        .map(|c| c.parse::<u64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            ApiError::new(
                switchyard_core::ErrorCode::InvalidRequest,
                "The route's channel ids are not numbers; preview again.",
            )
        })?;
    state
        .ctx()?
        .pay_along_route(&invoice, amount_sat, &ids, max_fee_msat)
        .await
}

/// Our node, its peers and their best-connected peers, for the graph picture.
#[tauri::command]
pub async fn graph_neighbourhood(state: State<'_, AppState>) -> Result<Neighbourhood, ApiError> {
    Ok(state.ctx()?.node.routing.neighbourhood().await?)
}

/// Moves liquidity between two of our channels (`dry_run`: the route and fee only).
#[tauri::command]
pub async fn rebalance(
    state: State<'_, AppState>,
    req: RebalanceRequest,
    dry_run: bool,
) -> Result<RebalanceResult, ApiError> {
    let (route, payment) = state.ctx()?.rebalance(&req, dry_run).await?;
    Ok(RebalanceResult { route, payment })
}
