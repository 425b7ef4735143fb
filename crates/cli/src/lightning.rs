//! Node operations from the command line: balances, channels, invoices and
//! payments, on-chain funds, channel backups, live events. Each mirrors a
//! screen of the app; `--node NAME` picks a node of the regtest network in
//! the data directory (default: the first, alice), or `--grpc-host`,
//! `--tls-cert`, `--macaroon` point at any LND.

use crate::{out, Output};
use clap::{Args, Subcommand};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use switchyard_core::node::channels::{
    ChannelState, CloseChannelRequest, FeeChoice, OpenChannelRequest, PolicyUpdate,
};
use switchyard_core::node::events::EventHub;
use switchyard_core::node::history::write_history_csv;
use switchyard_core::node::onchain::{AddressKind, SendCoinsRequest};
use switchyard_core::node::payments::{
    CreateInvoiceRequest, KeysendRequest, PayInvoiceRequest, PaymentRecord,
};
use switchyard_core::node::routes::{
    PreviewRoute, RebalanceRequest, RoutePreview, RoutePreviewRequest,
};
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
        amount_sat: u64,
        /// Give this many sats to the peer at open.
        #[arg(long, default_value_t = 0)]
        push_sat: u64,
        /// Do not announce the channel.
        #[arg(long)]
        private: bool,
        /// Funding fee.
        #[command(flatten)]
        fee: FeeArgs,
        /// Smallest HTLC accepted, msat.
        #[arg(long)]
        min_htlc_msat: Option<u64>,
        /// Spend exactly this coin (txid:vout); repeat for several.
        #[arg(long = "utxo")]
        utxos: Vec<String>,
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
        base_fee_msat: u64,
        /// Proportional fee, ppm.
        #[arg(long)]
        fee_rate_ppm: u32,
        /// CLTV delta, blocks.
        #[arg(long, default_value_t = 80)]
        time_lock_delta: u32,
        /// Smallest HTLC, msat.
        #[arg(long)]
        min_htlc_msat: Option<u64>,
        /// Largest HTLC, msat.
        #[arg(long)]
        max_htlc_msat: Option<u64>,
    },
}

/// Invoice commands.
#[derive(Subcommand)]
pub enum InvoiceCmd {
    /// Create an invoice.
    Create {
        /// Amount, sats (omit for "any amount").
        amount_sat: Option<u64>,
        /// Memo shown to the payer.
        #[arg(long, default_value = "")]
        memo: String,
        /// Seconds until it expires.
        #[arg(long)]
        expiry: Option<u64>,
        /// Include hints to private channels.
        #[arg(long)]
        private: bool,
    },
    /// Decode an invoice and show what paying it would cost.
    Decode {
        /// The invoice.
        invoice: String,
        /// Amount, sats, for invoices without one.
        #[arg(long)]
        amount_sat: Option<u64>,
    },
}

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
        amount_sat: Option<u64>,
        /// Send everything the wallet holds (no amount: the two conflict).
        #[arg(long, conflicts_with = "amount_sat")]
        all: bool,
        /// Fee.
        #[command(flatten)]
        fee: FeeArgs,
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

/// Backup commands.
#[derive(Subcommand)]
pub enum BackupCmd {
    /// Write the node's current multi-channel backup to a file.
    Export {
        /// Where.
        file: PathBuf,
    },
    /// Check a backup file with the node.
    Verify {
        /// The file.
        file: PathBuf,
    },
    /// Restore channels from a backup: every channel in it is force-closed by the peer.
    Restore {
        /// The file.
        file: PathBuf,
        /// I understand restoring force-closes the channels.
        #[arg(long)]
        yes_force_close: bool,
    },
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
    /// Pay a BOLT 11 invoice.
    Pay {
        /// The invoice.
        invoice: String,
        /// Amount, sats, for invoices without one.
        #[arg(long)]
        amount_sat: Option<u64>,
        /// Most to pay in fees, sats (default: 1%, at least 10).
        #[arg(long)]
        fee_limit_sat: Option<u64>,
    },
    /// Send to a node key without an invoice.
    Keysend {
        /// Recipient node key.
        destination: String,
        /// Amount, sats.
        amount_sat: u64,
        /// Most to pay in fees, sats.
        #[arg(long)]
        fee_limit_sat: Option<u64>,
    },
    /// Payments and invoices, newest first.
    Payments {
        /// At most this many of each.
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// On-chain funds.
    #[command(subcommand)]
    Onchain(OnchainCmd),
    /// Static channel backups.
    #[command(subcommand)]
    Backup(BackupCmd),
    /// Preview routes to a node or an invoice with our router, beside LND's
    /// answer; --pay pays the invoice along the chosen route (SendToRouteV2).
    Route {
        /// Destination: node key (hex) or BOLT 11 invoice.
        #[arg(long)]
        to: String,
        /// Amount, sats (for a node key or an invoice without amount).
        #[arg(long)]
        amt_sat: Option<u64>,
        /// How many routes (best + alternatives).
        #[arg(long, default_value_t = 3)]
        routes: u32,
        /// Most to pay in fees, sats.
        #[arg(long)]
        fee_limit_sat: Option<u64>,
        /// Pay the invoice along route number --pick (1 = best).
        #[arg(long)]
        pay: bool,
        /// Which route to pay.
        #[arg(long, default_value_t = 1)]
        pick: usize,
        /// Offline: route over this `lncli describegraph` JSON file instead of the node's graph.
        #[arg(long, requires = "from")]
        graph_file: Option<PathBuf>,
        /// Offline: route over this BOLT 7 gossip file.
        #[arg(long, requires = "from", conflicts_with = "graph_file")]
        gossip_file: Option<PathBuf>,
        /// Offline: the paying node's key (with --graph-file or --gossip-file).
        #[arg(long)]
        from: Option<String>,
    },
    /// Move liquidity from one of our channels to another: a payment to
    /// ourselves out through --out and back in through --in.
    Rebalance {
        /// Channel to send out through (short channel id, e.g. 442x1x0).
        #[arg(long = "out")]
        out_channel: String,
        /// Channel to come back in through.
        #[arg(long = "in")]
        in_channel: String,
        /// Amount to move, sats.
        #[arg(long)]
        amt_sat: u64,
        /// Most to pay in fees, sats.
        #[arg(long, default_value_t = 10)]
        max_fee_sat: u64,
        /// Show the route and fee only.
        #[arg(long)]
        dry_run: bool,
    },
    /// Everything that moved the node's money (channel opens/closes, on-chain,
    /// payments, invoices), oldest first; --csv writes it for accounting.
    History {
        /// Write CSV to this file.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Follow live events, one JSON object per line, until interrupted or --count.
    Events {
        /// Stop after this many events.
        #[arg(long)]
        count: Option<u64>,
    },
}

fn sats(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} sats")
}

/// `route --from K --to K --graph-file F`: our router over a file, no node.
fn offline_route(
    graph_file: Option<&Path>,
    gossip_file: Option<&Path>,
    from: &str,
    to: &str,
    amt_sat: Option<u64>,
    routes: u32,
    fee_limit_sat: Option<u64>,
) -> Result<Output, ApiError> {
    use switchyard_core::graph::model::pubkey_from_hex;
    use switchyard_core::graph::{Graph, RouterConfig};
    use switchyard_core::plan::{plan, PlanQuery};
    let bad = |m: String| ApiError::new(ErrorCode::InvalidRequest, m);
    let (path, specs, aliases) = match (graph_file, gossip_file) {
        (Some(p), _) => {
            let bytes = std::fs::read(p)
                .map_err(|e| bad(format!("Could not read {}: {e}", p.display())))?;
            let specs = switchyard_core::graph::import::parse_describegraph(&bytes)
                .map_err(|e| bad(e.to_string()))?;
            (p, specs, Default::default())
        }
        (None, Some(p)) => {
            let bytes = std::fs::read(p)
                .map_err(|e| bad(format!("Could not read {}: {e}", p.display())))?;
            let imp = switchyard_core::graph::gossip::parse_gossip(&bytes)
                .map_err(|e| bad(e.to_string()))?;
            (p, imp.channels, imp.aliases)
        }
        (None, None) => return Err(bad("Give --graph-file or --gossip-file with --from.".into())),
    };
    let mut g = Graph::from_channels(specs);
    for (pk, alias) in aliases {
        g.apply(&switchyard_core::graph::GraphUpdate::Node { pubkey: pk, alias });
    }
    let key = |s: &str, what: &str| {
        pubkey_from_hex(s).ok_or_else(|| {
            bad(format!(
                "{what} must be a node key (66 hex characters) offline; got \"{s}\"."
            ))
        })
    };
    let (src, dst) = (key(from, "--from")?, key(to, "--to")?);
    let amount = amt_sat
        .filter(|a| *a > 0)
        .ok_or_else(|| bad("Give --amt-sat.".into()))?;
    let amount_msat =
        switchyard_core::amount::sat_to_msat(amount).map_err(|e| bad(e.to_string()))?;
    let fee_limit_msat = fee_limit_sat
        .map(switchyard_core::amount::sat_to_msat)
        .transpose()
        .map_err(|e| bad(e.to_string()))?;
    let planned = plan(
        &g,
        &PlanQuery {
            source: src,
            destination: dst,
            amount_msat,
            routes: routes.clamp(1, 10) as usize,
            config: RouterConfig {
                fee_limit_msat,
                ..RouterConfig::default()
            },
            local_balance_msat: Default::default(),
            route_hints: Vec::new(),
            compare_with: None,
        },
        &[],
    );
    if let Some(e) = planned.error {
        return Err(ApiError::new(ErrorCode::NoRoute, e));
    }
    let shown = planned.routes;
    let mut text = format!(
        "Offline over {} ({} nodes, {} channels), {amount} sats\n",
        path.display(),
        g.node_count(),
        g.channel_count()
    );
    for (i, r) in shown.iter().enumerate() {
        route_lines(&mut text, &format!("Route {}", i + 1), r);
    }
    out(&serde_json::json!({ "routes": shown }), text)
}

fn route_lines(text: &mut String, title: &str, r: &PreviewRoute) {
    let _ = writeln!(
        text,
        "{title}: fee {} msat, {} hop(s), time lock {} blocks, success ~{:.0}%",
        r.fee_msat,
        r.hops.len(),
        r.total_cltv,
        r.probability * 100.0
    );
    for (i, h) in r.hops.iter().enumerate() {
        let name = |alias: &Option<String>, key: &str| {
            alias
                .clone()
                .unwrap_or_else(|| key.chars().take(12).collect())
        };
        let _ = writeln!(
            text,
            "  {}. {} → {}  {}  {} msat  fee {} msat  +{} blocks  p={:.2}",
            i + 1,
            name(&h.from_alias, &h.from),
            name(&h.to_alias, &h.to),
            h.scid,
            h.amount_msat,
            h.fee_msat,
            h.cltv_delta,
            h.probability
        );
    }
}

fn route_text(p: &RoutePreview) -> String {
    let hinted = match p.hint_channels {
        0 => String::new(),
        1 => ", 1 private channel from the invoice's route hints".into(),
        n => format!(", {n} private channels from the invoice's route hints"),
    };
    let mut text = format!(
        "To {} for {} msat (graph: {} nodes, {} channels{hinted})\n",
        p.destination_alias
            .clone()
            .unwrap_or_else(|| p.destination.clone()),
        p.amount_msat,
        p.graph_nodes,
        p.graph_channels
    );
    for (i, r) in p.routes.iter().enumerate() {
        route_lines(
            &mut text,
            &format!(
                "Route {} (ours{})",
                i + 1,
                if i == 0 { ", best" } else { "" }
            ),
            r,
        );
    }
    if let Some(e) = &p.error {
        let _ = writeln!(text, "Our router: {e}");
    }
    match (&p.lnd, &p.lnd_error) {
        (Some(r), _) => route_lines(&mut text, "LND's QueryRoutes", r),
        (None, Some(e)) => {
            let _ = writeln!(text, "LND: {e}");
        }
        _ => {}
    }
    for d in &p.differences {
        let _ = writeln!(text, "• {d}");
    }
    text
}

fn payment_line(p: &PaymentRecord) -> String {
    format!(
        "{:?} {:?} {} msat fee {} msat {} {}",
        p.direction,
        p.status,
        p.amount_msat,
        p.fee_msat,
        p.payment_hash,
        p.memo.as_deref().unwrap_or("")
    )
}

/// The data directory's context (its SQLite store: mission control) talking
/// to the node `svc` was opened for.
async fn context_on(svc: &NodeService, data_dir: &Path) -> Result<Context, ApiError> {
    let ctx = Context::open(data_dir).await?;
    ctx.node.switch(svc.source().map(|s| (*s).clone())).await;
    Ok(ctx)
}

/// Runs one node command.
pub async fn run(cmd: LightningCmd, node: &NodeArgs, data_dir: &Path) -> Result<Output, ApiError> {
    if let LightningCmd::Route {
        to,
        amt_sat,
        routes,
        fee_limit_sat,
        graph_file,
        gossip_file,
        from: Some(from),
        ..
    } = &cmd
    {
        return offline_route(
            graph_file.as_deref(),
            gossip_file.as_deref(),
            from,
            to,
            *amt_sat,
            *routes,
            *fee_limit_sat,
        );
    }
    let svc = node.service(data_dir).await?;
    match cmd {
        LightningCmd::Balance => {
            let b = svc.balances().await?;
            let text = format!(
                "on-chain   {} confirmed, {} unconfirmed, {} locked\nlightning  {} local, {} remote, {} opening, {} in flight\nclosing    {}",
                sats(b.onchain_confirmed_sat), sats(b.onchain_unconfirmed_sat), sats(b.onchain_locked_sat),
                sats(b.lightning_local_sat), sats(b.lightning_remote_sat), sats(b.pending_open_local_sat),
                sats(b.unsettled_local_sat), sats(b.limbo_sat)
            );
            out(&b, text)
        }
        LightningCmd::Channel(ChannelCmd::List) => {
            let l = svc.list_channels().await?;
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
        LightningCmd::Channel(ChannelCmd::Open {
            peer,
            amount_sat,
            push_sat,
            private,
            fee,
            min_htlc_msat,
            utxos,
        }) => {
            let r = svc
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
        LightningCmd::Channel(ChannelCmd::Close {
            channel_point,
            force,
            fee,
            address,
        }) => {
            let r = svc
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
        LightningCmd::Channel(ChannelCmd::Policy {
            channel_point,
            all,
            base_fee_msat,
            fee_rate_ppm,
            time_lock_delta,
            min_htlc_msat,
            max_htlc_msat,
        }) => {
            let req = PolicyUpdate {
                channel_point: if all { None } else { channel_point },
                base_fee_msat,
                fee_rate_ppm,
                time_lock_delta,
                min_htlc_msat,
                max_htlc_msat,
            };
            svc.update_policy(&req).await?;
            out(&req, "Policy updated.".into())
        }
        LightningCmd::Invoice(InvoiceCmd::Create {
            amount_sat,
            memo,
            expiry,
            private,
        }) => {
            let r = svc
                .create_invoice(&CreateInvoiceRequest {
                    amount_msat: amount_sat.map(|s| s.saturating_mul(1000)),
                    memo,
                    expiry_secs: expiry,
                    private_hints: private,
                })
                .await?;
            let text = r.payment_request.clone();
            out(&r, text)
        }
        LightningCmd::Invoice(InvoiceCmd::Decode {
            invoice,
            amount_sat,
        }) => {
            let p = svc
                .preview_payment(&invoice, amount_sat.map(|s| s.saturating_mul(1000)))
                .await?;
            let text = format!(
                "amount   {} msat\npayee    {}\nmemo     {}\nexpires  {} (unix)\nfee      {} msat over {} hop(s), time lock to block {}",
                p.amount_msat,
                p.invoice.payee,
                p.invoice.description.as_deref().unwrap_or(""),
                p.invoice.expires_at,
                p.fee_msat,
                p.hops.len(),
                p.total_time_lock
            );
            out(&p, text)
        }
        LightningCmd::Pay {
            invoice,
            amount_sat,
            fee_limit_sat,
        } => {
            let ctx = context_on(&svc, data_dir).await?;
            let r = ctx
                .pay_invoice(&PayInvoiceRequest {
                    invoice,
                    amount_msat: amount_sat.map(|s| s.saturating_mul(1000)),
                    fee_limit_sat,
                    timeout_secs: None,
                })
                .await?;
            let text = format!(
                "Paid {} msat (fee {} msat). Preimage {}.",
                r.amount_msat,
                r.fee_msat,
                r.preimage.as_deref().unwrap_or("?")
            );
            out(&r, text)
        }
        LightningCmd::Keysend {
            destination,
            amount_sat,
            fee_limit_sat,
        } => {
            let ctx = context_on(&svc, data_dir).await?;
            let r = ctx
                .keysend(&KeysendRequest {
                    destination,
                    amount_sat,
                    fee_limit_sat,
                })
                .await?;
            let text = format!("Sent {} msat (fee {} msat).", r.amount_msat, r.fee_msat);
            out(&r, text)
        }
        LightningCmd::Payments { limit } => {
            let h = svc.payment_history(limit).await?;
            let text = h.iter().map(payment_line).collect::<Vec<_>>().join("\n");
            out(&h, text)
        }
        LightningCmd::Onchain(OnchainCmd::Address { kind }) => {
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
            let a = svc.new_address(k).await?;
            out(&serde_json::json!({ "address": a }), a.clone())
        }
        LightningCmd::Onchain(OnchainCmd::Send {
            address,
            amount_sat,
            all,
            fee,
        }) => {
            let txid = svc
                .send_coins(&SendCoinsRequest {
                    address,
                    amount_sat: amount_sat.unwrap_or(0),
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
        LightningCmd::Onchain(OnchainCmd::Txs) => {
            let t = svc.transactions().await?;
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
        LightningCmd::Onchain(OnchainCmd::Utxos) => {
            let u = svc.list_utxos().await?;
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
        LightningCmd::Onchain(OnchainCmd::Bump { txid, fee })
        | LightningCmd::Channel(ChannelCmd::Bump {
            channel_point: txid,
            fee,
        }) => {
            let txid = txid.split(':').next().unwrap_or_default().to_string();
            let Some(choice) = fee.choice() else {
                return Err(ApiError::new(
                    ErrorCode::InvalidRequest,
                    "Give --sat-per-vbyte or --target-blocks.",
                ));
            };
            let b = svc.bump_fee(&txid, choice, fee.allow_high_fee).await?;
            let text = format!(
                "Fee bump requested: a child transaction spends {} ({}).",
                b.outpoint, b.status
            );
            out(&b, text)
        }
        LightningCmd::Channel(ChannelCmd::OpenBatch {
            channels,
            private,
            fee,
        }) => {
            let mut reqs = Vec::new();
            for c in &channels {
                let (peer, amount) = c.rsplit_once('=').ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidRequest,
                        format!("\"{c}\" is not PEER=AMOUNT_SAT (pubkey@host:port=100000)."),
                    )
                })?;
                let amount_sat: u64 = amount.trim().parse().map_err(|_| {
                    ApiError::new(
                        ErrorCode::InvalidRequest,
                        format!("The amount in \"{c}\" is not a number of sats."),
                    )
                })?;
                reqs.push(OpenChannelRequest {
                    peer: peer.trim().to_string(),
                    amount_sat,
                    push_sat: 0,
                    private,
                    fee: None,
                    min_htlc_msat: None,
                    utxos: Vec::new(),
                    allow_high_fee: false,
                });
            }
            let r = svc
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
        LightningCmd::Route {
            to,
            amt_sat,
            routes,
            fee_limit_sat,
            pay,
            pick,
            ..
        } => {
            let ctx = context_on(&svc, data_dir).await?;
            let preview = ctx
                .preview_route(&RoutePreviewRequest {
                    to: to.clone(),
                    amount_sat: amt_sat,
                    routes: Some(routes),
                    fee_limit_sat,
                })
                .await?;
            let mut text = route_text(&preview);
            if !pay {
                return out(&preview, text);
            }
            if preview.payment_hash.is_none() {
                return Err(ApiError::new(
                    ErrorCode::InvalidRequest,
                    "--pay needs an invoice as --to (a node key has no payment hash).",
                ));
            }
            let Some(route) = pick.checked_sub(1).and_then(|i| preview.routes.get(i)) else {
                return Err(ApiError::new(
                    ErrorCode::NoRoute,
                    preview
                        .error
                        .clone()
                        .unwrap_or_else(|| format!("There is no route number {pick}.")),
                ));
            };
            let ids: Vec<u64> = route
                .hops
                .iter()
                .filter_map(|h| h.chan_id.parse().ok())
                .collect();
            // The fee just shown is the most this pays: the graph may change
            // between the preview and the payment.
            let payment = ctx
                .pay_along_route(&to, amt_sat, &ids, route.fee_msat)
                .await?;
            let _ = writeln!(
                text,
                "\n{}",
                if payment.succeeded {
                    format!("Paid along route {pick}; fee {} msat.", payment.fee_msat)
                } else {
                    payment.failure.clone().unwrap_or_default()
                }
            );
            out(
                &serde_json::json!({ "preview": preview, "payment": payment }),
                text,
            )
        }
        LightningCmd::Rebalance {
            out_channel,
            in_channel,
            amt_sat,
            max_fee_sat,
            dry_run,
        } => {
            let ctx = context_on(&svc, data_dir).await?;
            let (plan, paid) = ctx
                .rebalance(
                    &RebalanceRequest {
                        out_channel,
                        in_channel,
                        amount_sat: amt_sat,
                        max_fee_sat,
                    },
                    dry_run,
                )
                .await?;
            let mut text = String::new();
            route_lines(&mut text, "Rebalance route", &plan);
            if let Some(p) = &paid {
                let _ = writeln!(
                    text,
                    "{}",
                    if p.succeeded {
                        format!("Moved {amt_sat} sats for a fee of {} msat.", p.fee_msat)
                    } else {
                        p.failure.clone().unwrap_or_default()
                    }
                );
            }
            out(&serde_json::json!({ "route": plan, "payment": paid }), text)
        }
        LightningCmd::History { csv } => {
            let rows = svc.history().await?;
            match csv {
                Some(path) => {
                    let e = write_history_csv(&path, &rows)?;
                    let text = format!("Wrote {} row(s) to {}.", e.rows, e.path);
                    out(&e, text)
                }
                None => {
                    let text = rows
                        .iter()
                        .map(|r| {
                            format!(
                                "{} {:<16} {:>16} msat  fee {:>10} msat  {} {}",
                                r.time,
                                r.kind.as_str(),
                                r.amount_msat,
                                r.fee_msat,
                                r.reference,
                                r.description
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n");
                    out(&rows, text)
                }
            }
        }
        LightningCmd::Backup(BackupCmd::Export { file }) => {
            let s = svc.export_backup(&file).await?;
            let text = format!(
                "Saved {} ({} channels, {} bytes).",
                s.path,
                s.channel_points.len(),
                s.bytes
            );
            out(&s, text)
        }
        LightningCmd::Backup(BackupCmd::Verify { file }) => {
            let s = svc.verify_backup(&file).await?;
            let text = format!(
                "Valid backup of {} channel(s): {}",
                s.channel_points.len(),
                s.channel_points.join(", ")
            );
            out(&s, text)
        }
        LightningCmd::Backup(BackupCmd::Restore {
            file,
            yes_force_close,
        }) => {
            let n = svc.restore_backup(&file, yes_force_close).await?;
            out(
                &serde_json::json!({ "restored": n }),
                format!("Restored {n} channel(s); the peers will force-close them."),
            )
        }
        LightningCmd::Events { count } => {
            let dir = svc.source().map(|src| {
                data_dir
                    .join("backups")
                    .join(switchyard_core::node::backups::backup_folder(&src.id))
            });
            let hub = EventHub::start(svc.clone(), dir, (0, 0));
            let mut rx = hub.subscribe();
            let mut seen = 0u64;
            while count.is_none_or(|c| seen < c) {
                let Some(e) = rx.recv().await else { break };
                crate::print_out(&serde_json::to_string(&e).unwrap_or_default());
                seen += 1;
            }
            out(
                &serde_json::json!({ "events": seen, "dropped": rx.dropped() }),
                format!("{seen} event(s)."),
            )
        }
    }
}
