//! Node operations from the command line: balances, channels, invoices and
//! payments, on-chain funds, channel backups, routes, live events. Each
//! mirrors a screen of the app and lives in its own module; this one picks
//! the node and dispatches. `--node NAME` picks a node of the regtest network
//! in the data directory (default: the first, alice), or `--grpc-host`,
//! `--tls-cert`, `--macaroon` point at any LND.

mod activity;
mod backups;
mod channels;
mod onchain;
mod payments;
mod routes;

pub use activity::ActivityCmd;
pub use backups::BackupCmd;
pub use channels::ChannelCmd;
pub use onchain::OnchainCmd;
pub use payments::{InvoiceCmd, PaymentCmd};
pub use routes::RouteCmd;

use crate::Output;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use switchyard_core::amount::Sat;
use switchyard_core::cold::ChannelTarget;
use switchyard_core::node::channels::FeeChoice;
use switchyard_core::node::{NodeService, NodeSource};
use switchyard_core::{ApiError, Context, ErrorCode, Network};

/// Which node.
#[derive(Args, Clone)]
pub struct NodeArgs {
    /// A node profile by name or id (`switchyard node profiles`; regtest nodes by
    /// name: alice, bob…). Default: the profile in use.
    #[arg(long, global = true, value_name = "NAME")]
    node: Option<String>,
    /// host:port of LND's gRPC interface (with --tls-cert and --macaroon), instead of a profile.
    #[arg(long, global = true, requires_all = ["tls_cert", "macaroon"])]
    grpc_host: Option<String>,
    /// LND's tls.cert.
    #[arg(long, global = true)]
    tls_cert: Option<PathBuf>,
    /// A macaroon file.
    #[arg(long, global = true)]
    macaroon: Option<PathBuf>,
    /// The network the node must be on (with --grpc-host or --lndconnect-stdin).
    #[arg(long, global = true, default_value = "regtest")]
    network: Network,
}

impl NodeArgs {
    /// The network given.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The node these options name: --grpc-host…, else --node, else the profile in use.
    pub async fn source(&self, ctx: &Context) -> Result<Option<NodeSource>, ApiError> {
        if let (Some(h), Some(c), Some(m)) = (&self.grpc_host, &self.tls_cert, &self.macaroon) {
            return Ok(Some(NodeSource::files(
                h.clone(),
                h.clone(),
                c.clone(),
                m.clone(),
                self.network,
            )));
        }
        Ok(match &self.node {
            Some(n) => Some(ctx.profiles.source(n).await?),
            None => ctx.profiles.active_source().await?,
        })
    }

    async fn service(&self, data_dir: &Path) -> Result<Arc<NodeService>, ApiError> {
        let ctx = Context::open(data_dir).await?;
        let Some(source) = self.source(&ctx).await? else {
            return Err(ApiError::new(
                ErrorCode::NodeNotConfigured,
                "No node is set up: start the regtest network (`switchyard regtest up`), add a profile (`switchyard node add`), or pass --grpc-host, --tls-cert and --macaroon.",
            ));
        };
        Ok(Arc::new(NodeService::new(Some(source))))
    }
}

/// How a transaction's fee is chosen, the same for every command that
/// publishes one.
#[derive(clap::Args, Debug, Clone)]
pub struct FeeArgs {
    /// Fee rate, sat/vB.
    #[arg(long, conflicts_with = "target_blocks")]
    sat_per_vbyte: Option<u64>,
    /// Or let LND estimate for confirmation within this many blocks.
    #[arg(long)]
    target_blocks: Option<u32>,
    /// Pay a fee rate far above the node's estimate (over 500 sat/vB, or over
    /// 5 times the estimate) without being stopped.
    #[arg(long)]
    allow_high_fee: bool,
}

impl FeeArgs {
    fn choice(&self) -> Option<FeeChoice> {
        match (self.target_blocks, self.sat_per_vbyte) {
            (_, Some(r)) => Some(FeeChoice::SatPerVbyte(r)),
            (Some(n), None) => Some(FeeChoice::TargetBlocks(n)),
            _ => None,
        }
    }
}

/// How a send or an open is funded through a PSBT from a wallet's LND
/// account (with `--psbt`).
#[derive(clap::Args)]
pub struct PsbtArgs {
    /// The wallet whose account funds it (with --psbt; default: the only wallet).
    #[arg(long, requires = "psbt")]
    pub wallet: Option<String>,
    /// The most fee you accept, sats (with --psbt).
    #[arg(long, requires = "psbt")]
    pub max_fee: Option<Sat>,
    /// Sign and go on (without it, only the review is shown and everything
    /// is released).
    #[arg(long, requires = "psbt")]
    pub yes: bool,
    /// Also look for device emulators.
    #[arg(long, requires = "psbt")]
    pub emulators: bool,
}

/// The top-level node commands.
#[derive(Subcommand)]
pub enum LightningCmd {
    /// On-chain and channel balances.
    Balance,
    /// Channels.
    #[command(subcommand)]
    Channel(ChannelCmd),
    /// Invoices.
    #[command(subcommand)]
    Invoice(InvoiceCmd),
    /// Paying and the payment history.
    #[command(flatten)]
    Payments(PaymentCmd),
    /// On-chain funds.
    #[command(subcommand)]
    Onchain(OnchainCmd),
    /// Static channel backups.
    #[command(subcommand)]
    Backup(BackupCmd),
    /// Routing.
    #[command(flatten)]
    Routes(RouteCmd),
    /// History and live events.
    #[command(flatten)]
    Activity(ActivityCmd),
}

/// The data directory's context (its SQLite store: mission control) talking
/// to the node `svc` was opened for.
async fn context_on(svc: &NodeService, data_dir: &Path) -> Result<Context, ApiError> {
    let ctx = Context::open(data_dir).await?;
    ctx.node
        .conn
        .switch(svc.conn.source().map(|s| (*s).clone()))
        .await;
    Ok(ctx)
}

/// Runs one node command.
pub async fn run(cmd: LightningCmd, node: &NodeArgs, data_dir: &Path) -> Result<Output, ApiError> {
    if let LightningCmd::Routes(RouteCmd::Route {
        to,
        amt_sat,
        routes,
        fee_limit_sat,
        graph_file,
        gossip_file,
        from: Some(from),
        ..
    }) = &cmd
    {
        return routes::offline_route(
            graph_file.as_deref(),
            gossip_file.as_deref(),
            from,
            to,
            *amt_sat,
            *routes,
            *fee_limit_sat,
        );
    }
    match cmd {
        LightningCmd::Onchain(onchain::OnchainCmd::Send {
            psbt: true,
            address,
            amount_sat,
            fee,
            utxos,
            cold,
            ..
        }) => {
            return crate::cold::send_psbt(
                data_dir,
                node,
                cold,
                address,
                amount_sat.unwrap_or(switchyard_core::amount::Sat::ZERO),
                fee.sat_per_vbyte,
                utxos,
            )
            .await;
        }
        LightningCmd::Channel(channels::ChannelCmd::Open {
            psbt: true,
            peer,
            amount_sat,
            push_sat,
            private,
            fee,
            utxos,
            cold,
            ..
        }) => {
            let req = switchyard_core::cold::PsbtOpen {
                wallet: String::new(),
                channels: vec![ChannelTarget {
                    peer,
                    amount_sat,
                    push_sat,
                }],
                private,
                sat_per_vbyte: 0,
                max_fee_sat: Sat::ZERO,
                inputs: utxos,
            };
            return crate::cold::open_psbt(data_dir, node, cold, req, fee.sat_per_vbyte).await;
        }
        LightningCmd::Channel(channels::ChannelCmd::OpenBatch {
            psbt: true,
            channels: specs,
            private,
            fee,
            cold,
        }) => {
            let mut targets = Vec::new();
            for c in &specs {
                let (peer, amount_sat) = channels::channel_spec(c)?;
                targets.push(ChannelTarget {
                    peer,
                    amount_sat,
                    push_sat: Sat::ZERO,
                });
            }
            let req = switchyard_core::cold::PsbtOpen {
                wallet: String::new(),
                channels: targets,
                private,
                sat_per_vbyte: 0,
                max_fee_sat: Sat::ZERO,
                inputs: Vec::new(),
            };
            return crate::cold::open_psbt(data_dir, node, cold, req, fee.sat_per_vbyte).await;
        }
        _ => {}
    }
    let svc = node.service(data_dir).await?;
    match cmd {
        LightningCmd::Balance => onchain::balance(&svc).await,
        LightningCmd::Channel(c) => channels::run(c, &svc, data_dir).await,
        LightningCmd::Invoice(c) => payments::invoice(c, &svc).await,
        LightningCmd::Payments(c) => payments::run(c, &svc, data_dir).await,
        LightningCmd::Onchain(c) => onchain::run(c, &svc, data_dir).await,
        LightningCmd::Backup(c) => backups::run(c, &svc, data_dir).await,
        LightningCmd::Routes(c) => routes::run(c, &svc, data_dir).await,
        LightningCmd::Activity(c) => activity::run(c, &svc, data_dir).await,
    }
}
