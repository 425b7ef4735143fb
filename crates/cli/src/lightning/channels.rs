//! `channel …`: list, open (single and batch), close, forwarding policy, fee bumps.

use super::{context_on, FeeArgs};
use crate::format::*;
use crate::{out, Output};
use clap::Subcommand;
use std::fmt::Write as _;
use switchyard_core::amount::{Msat, Sat};
use switchyard_core::node::channels::{
    ChannelState, CloseChannelRequest, OpenChannelRequest, PolicyUpdate,
};
use switchyard_core::node::NodeService;
use switchyard_core::{ApiError, ErrorCode};

/// Channel commands.
#[derive(Subcommand)]
pub enum ChannelCmd {
    /// Every channel: active, inactive, opening (with confirmations), closing, closed.
    List,
    /// Open a channel (connects to the peer first if an address is given).
    Open {
        /// pubkey@host:port, or pubkey of a connected peer.
        peer: String,
        /// Channel size, sats.
        amount_sat: Sat,
        /// Give this many sats to the peer at open.
        #[arg(long, default_value = "0")]
        push_sat: Sat,
        /// Do not announce the channel.
        #[arg(long)]
        private: bool,
        /// Funding fee.
        #[command(flatten)]
        fee: FeeArgs,
        /// Smallest HTLC accepted, msat.
        #[arg(long)]
        min_htlc_msat: Option<Msat>,
        /// Spend exactly this coin (txid:vout); repeat for several.
        #[arg(long = "utxo")]
        utxos: Vec<String>,
        /// Fund it through a PSBT from a wallet's LND account (see `wallet
        /// lnd-import`): the peer agrees, LND funds the PSBT, you see the
        /// review, the wallet's signer (its hardware wallet, or its seed)
        /// signs, LND publishes once the peer has signed.
        #[arg(long, conflicts_with_all = ["min_htlc_msat", "target_blocks"])]
        psbt: bool,
        /// With --psbt.
        #[command(flatten)]
        cold: super::PsbtArgs,
    },
    /// Open channels to several peers in one funding transaction.
    OpenBatch {
        /// pubkey@host:port=AMOUNT_SAT, once per channel (at least two).
        #[arg(long = "channel", required = true, num_args = 1)]
        channels: Vec<String>,
        /// Do not announce the channels.
        #[arg(long)]
        private: bool,
        /// Funding fee.
        #[command(flatten)]
        fee: FeeArgs,
        /// Fund them through one PSBT from a wallet's LND account (see
        /// `channel open --psbt`); LND publishes once every peer has signed.
        #[arg(long, conflicts_with = "target_blocks")]
        psbt: bool,
        /// With --psbt.
        #[command(flatten)]
        cold: super::PsbtArgs,
    },
    /// Speed up an opening channel's funding transaction (CPFP on our change).
    Bump {
        /// txid:index of the opening channel.
        channel_point: String,
        /// The child transaction's fee (a rate or a target is needed).
        #[command(flatten)]
        fee: FeeArgs,
    },
    /// Close a channel cooperatively, or force-close it (funds time-locked).
    Close {
        /// txid:index of the channel.
        channel_point: String,
        /// Force-close without the peer.
        #[arg(long)]
        force: bool,
        /// Closing fee (cooperative).
        #[command(flatten)]
        fee: FeeArgs,
        /// Pay our side to this address (cooperative).
        #[arg(long)]
        address: Option<String>,
    },
    /// Set the forwarding policy of one channel (or all with --all).
    Policy {
        /// txid:index of the channel.
        #[arg(required_unless_present = "all")]
        channel_point: Option<String>,
        /// Every channel.
        #[arg(long)]
        all: bool,
        /// Base fee, msat.
        #[arg(long)]
        base_fee_msat: Msat,
        /// Proportional fee, ppm.
        #[arg(long)]
        fee_rate_ppm: u32,
        /// CLTV delta, blocks.
        #[arg(long, default_value_t = 80)]
        time_lock_delta: u32,
        /// Smallest HTLC, msat.
        #[arg(long)]
        min_htlc_msat: Option<Msat>,
        /// Largest HTLC, msat.
        #[arg(long)]
        max_htlc_msat: Option<Msat>,
    },
}

/// Runs one channel command.
pub(super) async fn run(
    cmd: ChannelCmd,
    svc: &NodeService,
    data_dir: &std::path::Path,
) -> Result<Output, ApiError> {
    match cmd {
        ChannelCmd::List => {
            let l = svc.channels().list().await?;
            let mut text = String::new();
            for c in &l.channels {
                let extra = match c.state {
                    ChannelState::Opening => format!(
                        " ({} of {} confirmations)",
                        c.confirmations.unwrap_or(0),
                        c.confirmations_needed
                            .map(|n| n.to_string())
                            .unwrap_or_else(|| "?".into())
                    ),
                    ChannelState::ForceClosing => {
                        format!(
                            " (funds mature in {} blocks)",
                            c.blocks_til_maturity.unwrap_or(0)
                        )
                    }
                    _ => String::new(),
                };
                let _ = writeln!(
                    text,
                    "{:<13} {:<10} {} local {} / capacity {}  {}{}",
                    format!("{:?}", c.state).to_lowercase(),
                    c.peer_alias
                        .as_deref()
                        .unwrap_or(&c.peer_pubkey[..12.min(c.peer_pubkey.len())]),
                    c.channel_point,
                    sats(c.local_sat),
                    sats(c.capacity_sat),
                    c.scid.as_deref().unwrap_or(""),
                    extra
                );
            }
            out(&l, text.trim_end().to_string())
        }
        ChannelCmd::Open {
            peer,
            amount_sat,
            push_sat,
            private,
            fee,
            min_htlc_msat,
            utxos,
            ..
        } => {
            let r = context_on(svc, data_dir)
                .await?
                .open_channel(&OpenChannelRequest {
                    peer,
                    amount_sat,
                    push_sat,
                    private,
                    fee: fee.choice(),
                    min_htlc_msat,
                    utxos,
                    allow_high_fee: fee.allow_high_fee,
                })
                .await?;
            let text = format!(
                "Opening channel {} (funding transaction published; waiting for confirmations).",
                r.channel_point
            );
            out(&r, text)
        }
        ChannelCmd::Close {
            channel_point,
            force,
            fee,
            address,
        } => {
            let r = context_on(svc, data_dir)
                .await?
                .close_channel(&CloseChannelRequest {
                    channel_point,
                    force,
                    fee: fee.choice(),
                    delivery_address: address,
                    allow_high_fee: fee.allow_high_fee,
                })
                .await?;
            let text = format!(
                "Closing {}: closing transaction {}.",
                r.channel_point, r.closing_txid
            );
            out(&r, text)
        }
        ChannelCmd::Policy {
            channel_point,
            all,
            base_fee_msat,
            fee_rate_ppm,
            time_lock_delta,
            min_htlc_msat,
            max_htlc_msat,
        } => {
            let req = PolicyUpdate {
                channel_point: if all { None } else { channel_point },
                base_fee_msat,
                fee_rate_ppm,
                time_lock_delta,
                min_htlc_msat,
                max_htlc_msat,
            };
            context_on(svc, data_dir).await?.update_policy(&req).await?;
            out(&req, "Policy updated.".into())
        }
        ChannelCmd::OpenBatch {
            channels,
            private,
            fee,
            ..
        } => {
            let mut reqs = Vec::new();
            for c in &channels {
                let (peer, amount_sat) = channel_spec(c)?;
                reqs.push(OpenChannelRequest {
                    peer,
                    amount_sat,
                    push_sat: Sat::ZERO,
                    private,
                    fee: None,
                    min_htlc_msat: None,
                    utxos: Vec::new(),
                    allow_high_fee: false,
                });
            }
            let r = context_on(svc, data_dir)
                .await?
                .open_channels_batch(&reqs, fee.choice(), fee.allow_high_fee)
                .await?;
            let text = format!(
                "Opening {} channels in one transaction: {}",
                r.len(),
                r.iter()
                    .map(|o| o.channel_point.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            out(&r, text)
        }
        ChannelCmd::Bump { channel_point, fee } => {
            super::onchain::bump(svc, &channel_point, fee).await
        }
    }
}

/// `PEER=AMOUNT_SAT` of `channel open-batch --channel`.
pub fn channel_spec(c: &str) -> Result<(String, Sat), ApiError> {
    let (peer, amount) = c.rsplit_once('=').ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("\"{c}\" is not PEER=AMOUNT_SAT (pubkey@host:port=100000)."),
        )
    })?;
    let amount_sat: Sat = amount.trim().parse().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("The amount in \"{c}\" is not a number of sats."),
        )
    })?;
    Ok((peer.trim().to_string(), amount_sat))
}
