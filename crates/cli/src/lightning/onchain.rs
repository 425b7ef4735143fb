//! `balance`, `onchain …`: addresses, send, transactions, coins, fee bumps.

use super::{context_on, FeeArgs};
use crate::format::*;
use crate::{out, Output};
use clap::Subcommand;
use switchyard_core::amount::Sat;
use switchyard_core::node::onchain::{AddressKind, SendCoinsRequest};
use switchyard_core::node::NodeService;
use switchyard_core::{ApiError, ErrorCode};

/// On-chain commands.
#[derive(Subcommand)]
pub enum OnchainCmd {
    /// A new receive address.
    Address {
        /// p2wkh (bc1q…) or p2tr (bc1p…).
        #[arg(long, default_value = "p2wkh")]
        kind: String,
    },
    /// Send bitcoin.
    Send {
        /// Destination address.
        address: String,
        /// Amount, sats.
        #[arg(required_unless_present = "all")]
        amount_sat: Option<Sat>,
        /// Send everything the wallet holds (no amount: the two conflict).
        #[arg(long, conflicts_with = "amount_sat")]
        all: bool,
        /// Fee.
        #[command(flatten)]
        fee: FeeArgs,
        /// Through a PSBT from a wallet's LND account (see `wallet
        /// lnd-import`): LND funds it, you see the review, the wallet's
        /// signer (its hardware wallet, or its seed) signs, LND publishes.
        #[arg(long, conflicts_with = "all")]
        psbt: bool,
        /// Only these coins, txid:vout (with --psbt; repeat).
        #[arg(long = "utxo", requires = "psbt")]
        utxos: Vec<String>,
        /// With --psbt.
        #[command(flatten)]
        cold: super::PsbtArgs,
    },
    /// The wallet's transactions.
    Txs,
    /// The wallet's coins (for --utxo when opening a channel).
    Utxos,
    /// Speed up an unconfirmed transaction of ours (CPFP on our change).
    Bump {
        /// The transaction id.
        txid: String,
        /// The child transaction's fee (a rate or a target is needed).
        #[command(flatten)]
        fee: FeeArgs,
    },
}

/// Runs one on-chain command.
pub(super) async fn run(
    cmd: OnchainCmd,
    svc: &NodeService,
    data_dir: &std::path::Path,
) -> Result<Output, ApiError> {
    match cmd {
        OnchainCmd::Address { kind } => {
            let k = match kind.as_str() {
                "p2wkh" => AddressKind::P2wkh,
                "p2tr" => AddressKind::P2tr,
                other => {
                    return Err(ApiError::new(
                        ErrorCode::InvalidRequest,
                        format!("Unknown address kind \"{other}\": use p2wkh or p2tr."),
                    ))
                }
            };
            let a = svc.onchain().new_address(k).await?;
            out(&serde_json::json!({ "address": a }), a.clone())
        }
        OnchainCmd::Send {
            address,
            amount_sat,
            all,
            fee,
            ..
        } => {
            let txid = context_on(svc, data_dir)
                .await?
                .send_coins(&SendCoinsRequest {
                    address,
                    amount_sat: amount_sat.unwrap_or(Sat::ZERO),
                    send_all: all,
                    fee: fee.choice(),
                    allow_high_fee: fee.allow_high_fee,
                })
                .await?;
            out(
                &serde_json::json!({ "txid": txid }),
                format!("Sent: {txid}"),
            )
        }
        OnchainCmd::Txs => {
            let t = svc.onchain().transactions().await?;
            let text = t
                .iter()
                .map(|t| {
                    format!(
                        "{} {:>14} sats  {} conf  {}",
                        t.txid, t.amount_sat, t.confirmations, t.label
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            out(&t, text)
        }
        OnchainCmd::Utxos => {
            let u = svc.onchain().utxos().await?;
            let text = u
                .iter()
                .map(|u| {
                    format!(
                        "{} {:>14} sats  {} conf  {}",
                        u.outpoint,
                        sats(u.amount_sat),
                        u.confirmations,
                        u.address
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            out(&u, text)
        }
        OnchainCmd::Bump { txid, fee } => bump(svc, &txid, fee).await,
    }
}

/// On-chain and channel balances.
pub(super) async fn balance(svc: &NodeService) -> Result<Output, ApiError> {
    let b = svc.channels().balances().await?;
    let text = format!(
        "on-chain   {} confirmed, {} unconfirmed, {} locked\nlightning  {} local, {} remote, {} opening, {} in flight\nclosing    {}",
        sats(b.onchain_confirmed_sat), sats(b.onchain_unconfirmed_sat), sats(b.onchain_locked_sat),
        sats(b.lightning_local_sat), sats(b.lightning_remote_sat), sats(b.pending_open_local_sat),
        sats(b.unsettled_local_sat), sats(b.limbo_sat)
    );
    out(&b, text)
}

/// Bumps the fee of an unconfirmed transaction (or a channel's opening one) with a child.
pub(super) async fn bump(svc: &NodeService, txid: &str, fee: FeeArgs) -> Result<Output, ApiError> {
    let txid = txid.split(':').next().unwrap_or_default().to_string();
    let Some(choice) = fee.choice() else {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "Give --sat-per-vbyte or --target-blocks.",
        ));
    };
    let b = svc
        .onchain()
        .bump_fee(&txid, choice, fee.allow_high_fee)
        .await?;
    let text = format!(
        "Fee bump requested: a child transaction spends {} ({}).",
        b.outpoint, b.status
    );
    out(&b, text)
}
