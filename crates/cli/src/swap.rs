//! `switchyard swap …` (the Swaps screen's operations) and
//! `switchyard provider` (our own swap provider on a node).
//!
//! The engine runs inside the command: `swap in|out --wait`, `swap resume`
//! and `swap rescue --wait` keep the process alive until the swaps are
//! final; a killed process resumes every unfinished swap on the next
//! `swap resume` (or when the app starts).

use crate::lightning::NodeArgs;
use crate::{out, Output};
use clap::{Args, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use switchyard_core::amount::Sat;
use switchyard_core::swap::tree::SwapKind;
use switchyard_core::swaps::{SwapEngine, SwapRequest, SwapView};
use switchyard_core::{ApiError, Context, ErrorCode};

#[derive(Clone, Copy, ValueEnum)]
pub enum Direction {
    /// On-chain → Lightning (submarine).
    In,
    /// Lightning → on-chain (reverse).
    Out,
}

impl Direction {
    fn kind(self) -> SwapKind {
        match self {
            Direction::In => SwapKind::Submarine,
            Direction::Out => SwapKind::Reverse,
        }
    }
}

/// Which provider and wallet.
#[derive(Args, Clone)]
pub struct SwapArgs {
    /// The provider's URL (default: the one `regtest up` started, or the last used).
    #[arg(long)]
    provider: Option<String>,
    /// The wallet whose seed holds the swap keys (default: the only one on the node's network).
    #[arg(long)]
    wallet: Option<String>,
}

#[derive(Subcommand)]
pub enum SwapCmd {
    /// What a swap would cost now (fees in sats and %, limits, time lock).
    Quote {
        #[arg(value_enum)]
        direction: Direction,
        /// The Lightning amount, sats.
        #[arg(long)]
        amount: Sat,
        #[command(flatten)]
        args: SwapArgs,
    },
    /// Swap in: on-chain funds of the node's wallet → its channels.
    In {
        /// The Lightning amount, sats.
        #[arg(long)]
        amount: Sat,
        /// The most to pay in fees (provider and miners), sats.
        #[arg(long)]
        max_fee: Sat,
        /// Fund the lockup from another wallet (a hardware wallet, say):
        /// prints the address, the exact amount and a BIP21 link; bring the
        /// signed transaction back with `swap fund`, or pay the link.
        #[arg(long)]
        external: bool,
        /// Stay until the swap is final.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        args: SwapArgs,
    },
    /// Swap out: channel funds → the node's on-chain wallet.
    Out {
        /// The Lightning amount, sats.
        #[arg(long)]
        amount: Sat,
        /// The most to pay in fees (provider and miners), sats.
        #[arg(long)]
        max_fee: Sat,
        /// Stay until the swap is final.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        args: SwapArgs,
    },
    /// Fund a swap in made with `--external`: FILE holds the signed lockup
    /// transaction as a finalized PSBT (binary or base64) or raw hex (`-`
    /// reads standard input). It must pay the lockup address exactly the
    /// agreed amount; your node broadcasts it. Or, with --psbt, from a
    /// wallet's LND account (see `wallet lnd-import`): LND funds the
    /// lockup, you see the review, the wallet's signer signs.
    Fund {
        /// Our id or the provider's.
        id: String,
        /// The signed PSBT or transaction (`-` for standard input).
        #[arg(required_unless_present = "psbt")]
        file: Option<String>,
        /// Fund it from a wallet's LND account through a PSBT.
        #[arg(long, conflicts_with = "file")]
        psbt: bool,
        /// Fee rate of the lockup, sat/vB (with --psbt).
        #[arg(long, requires = "psbt")]
        sat_per_vbyte: Option<u64>,
        /// With --psbt.
        #[command(flatten)]
        cold: crate::lightning::PsbtArgs,
    },
    /// One swap with its timeline.
    Status {
        /// Our id or the provider's.
        id: String,
    },
    /// Every swap.
    List,
    /// Drive every unfinished swap (claims, refunds) until all are final.
    Resume {
        /// Give up after this many seconds (default: run until done).
        #[arg(long)]
        timeout_secs: Option<u64>,
    },
    /// Refund a swap in as soon as it may be (cooperatively when the provider
    /// agrees, else after the time lock): drives it until final.
    Refund {
        /// Our id or the provider's.
        id: String,
        /// Give up after this many seconds.
        #[arg(long)]
        timeout_secs: Option<u64>,
    },
    /// Find swaps from the wallet's words alone (asks the provider about
    /// the first COUNT swap keys) and claim or refund what is still there.
    Rescue {
        #[arg(long, default_value_t = 0)]
        from: u32,
        #[arg(long, default_value_t = 100)]
        count: u32,
        /// Stay until the rescued swaps are final.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        args: SwapArgs,
    },
}

async fn engine(node: &NodeArgs, data_dir: &Path) -> Result<(Context, SwapEngine), ApiError> {
    let ctx = Context::open(data_dir).await?;
    let source = node.source(&ctx).await?;
    ctx.node.conn.switch(source).await;
    let engine = ctx.swaps.clone();
    Ok((ctx, engine))
}

async fn provider_url(engine: &SwapEngine, args: &SwapArgs) -> Result<String, ApiError> {
    Ok(engine.provider(args.provider.as_deref()).await?)
}

async fn wallet_of(engine: &SwapEngine, args: &SwapArgs) -> Result<String, ApiError> {
    Ok(engine.wallet(args.wallet.as_deref()).await?)
}

pub fn swap_text(v: &SwapView) -> String {
    let dir = if v.kind == "submarine" { "in " } else { "out" };
    let left = match v.blocks_left {
        Some(b) if !v.is_final => format!(" · {b} blocks to the time lock"),
        _ => String::new(),
    };
    let mut t = format!(
        "swap {dir} {} · {} sats · {} · {}{}{left}\n",
        v.provider_id
            .as_deref()
            .unwrap_or(&v.id[..12.min(v.id.len())]),
        v.amount.to_sat(),
        v.phase,
        v.outcome.as_deref().unwrap_or("in progress"),
        v.outcome_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default(),
    );
    for s in &v.timeline {
        let mark = match s.state.as_str() {
            "done" => "✓",
            "current" => "…",
            "failed" => "✗",
            _ => " ",
        };
        t.push_str(&format!(
            "  {mark} {}{}\n",
            s.label,
            s.detail
                .as_deref()
                .map(|d| format!(" — {d}"))
                .unwrap_or_default()
        ));
    }
    if let (true, Some(addr), Some(link)) = (v.awaiting_funding, &v.address, &v.bip21) {
        t.push_str(&format!(
            "  → pay exactly {} sats to {addr} from your other wallet\n    {link}\n    then `switchyard swap fund {} SIGNED.psbt` (or let that wallet broadcast it)\n",
            v.onchain.to_sat(),
            v.provider_id.as_deref().unwrap_or(&v.id)
        ));
    }
    if let Some(e) = &v.error {
        t.push_str(&format!("  ! {e}\n"));
    }
    t
}

async fn drive(
    engine: &SwapEngine,
    ids: &[String],
    limit: Option<u64>,
) -> Result<Vec<SwapView>, ApiError> {
    let limit = Duration::from_secs(limit.unwrap_or(u64::MAX / 4));
    let mut views = Vec::new();
    for id in ids {
        engine.start(id).await;
    }
    for id in ids {
        views.push(engine.wait_final(id, limit).await?);
    }
    Ok(views)
}

/// Runs one swap command.
pub async fn run(cmd: SwapCmd, node: &NodeArgs, data_dir: &Path) -> Result<Output, ApiError> {
    let (ctx, engine) = engine(node, data_dir).await?;
    match cmd {
        SwapCmd::Quote {
            direction,
            amount,
            args,
        } => {
            let provider = provider_url(&engine, &args).await?;
            let q = engine.quote(&provider, direction.kind(), amount).await?;
            let text = format!(
                "{} sats {} · provider fee {} sats ({:.2} %) + its miner fee {} sats · our transaction ≈ {} sats at {} sat/vB · total {} sats\nlimits {}–{} sats · time lock {} blocks (≈ {} hours)\n",
                amount.to_sat(),
                if direction.kind() == SwapKind::Submarine { "in" } else { "out" },
                q.quote.service_fee.to_sat(),
                q.quote.percentage_ppm as f64 / 10_000.0,
                q.quote.provider_miner_fee.to_sat(),
                q.our_miner_fee.to_sat(),
                q.fee_rate,
                q.total_fee.to_sat(),
                q.quote.min.to_sat(),
                q.quote.max.to_sat(),
                q.timeout_blocks,
                q.timeout_blocks / 6,
            );
            out(&q, text)
        }
        SwapCmd::In {
            amount,
            max_fee,
            external,
            wait,
            args,
        } => {
            let new = NewSwap {
                kind: SwapKind::Submarine,
                amount,
                max_fee,
                external,
            };
            create(&engine, new, wait, &args).await
        }
        SwapCmd::Out {
            amount,
            max_fee,
            wait,
            args,
        } => {
            let new = NewSwap {
                kind: SwapKind::Reverse,
                amount,
                max_fee,
                external: false,
            };
            create(&engine, new, wait, &args).await
        }
        SwapCmd::Fund {
            id,
            file: None,
            sat_per_vbyte,
            cold,
            ..
        } => {
            let id = engine.view(&id).await?.id;
            crate::cold::fund_swap_psbt(&ctx, &id, cold, sat_per_vbyte).await
        }
        SwapCmd::Fund {
            id,
            file: Some(file),
            ..
        } => {
            let bytes = crate::psbt::read_input(&file)?;
            let id = engine.view(&id).await?.id;
            let f = engine.fund(&id, &bytes).await?;
            let text = format!(
                "lockup {} broadcast by your node; the swap goes on once it confirms (`switchyard swap resume` follows it)\n{}",
                f.txid,
                swap_text(&f.swap)
            );
            out(&f, text)
        }
        SwapCmd::Status { id } => {
            let v = engine.view(&id).await?;
            let text = swap_text(&v);
            out(&v, text)
        }
        SwapCmd::List => {
            let all = engine.list().await?;
            let text = if all.is_empty() {
                "no swaps yet\n".to_string()
            } else {
                all.iter().map(swap_text).collect()
            };
            out(&all, text)
        }
        SwapCmd::Resume { timeout_secs } => {
            let open: Vec<String> = engine
                .list()
                .await?
                .into_iter()
                .filter(|v| !v.is_final)
                .map(|v| v.id)
                .collect();
            engine.resume_all().await?;
            let views = drive(&engine, &open, timeout_secs).await?;
            let text = if views.is_empty() {
                "no unfinished swaps\n".to_string()
            } else {
                views.iter().map(swap_text).collect()
            };
            out(&views, text)
        }
        SwapCmd::Refund { id, timeout_secs } => {
            let v = engine.view(&id).await?;
            if v.kind != "submarine" {
                return Err(ApiError::new(
                    ErrorCode::InvalidRequest,
                    "Only a swap in has funds of yours on chain to refund; a failed swap out's payment fails back on its own.",
                ));
            }
            let views = drive(&engine, &[v.id], timeout_secs).await?;
            let text = views.iter().map(swap_text).collect();
            out(&views, text)
        }
        SwapCmd::Rescue {
            from,
            count,
            wait,
            args,
        } => {
            let provider = provider_url(&engine, &args).await?;
            let wallet = wallet_of(&engine, &args).await?;
            let end = from.saturating_add(count);
            let report = engine.rescue(&wallet, &provider, from..end).await?;
            let mut text = format!(
                "scanned {} swap keys · the provider knows {} swaps · restored {} · already here {} · refused {}\n",
                report.scanned,
                report.found.len(),
                report.restored.len(),
                report.known.len(),
                report.refused.len()
            );
            if wait {
                let ids: Vec<String> = engine
                    .list()
                    .await?
                    .into_iter()
                    .filter(|v| !v.is_final)
                    .map(|v| v.id)
                    .collect();
                for v in drive(&engine, &ids, None).await? {
                    text.push_str(&swap_text(&v));
                }
            }
            out(&report, text)
        }
    }
}

struct NewSwap {
    kind: SwapKind,
    amount: Sat,
    max_fee: Sat,
    external: bool,
}

async fn create(
    engine: &SwapEngine,
    new: NewSwap,
    wait: bool,
    args: &SwapArgs,
) -> Result<Output, ApiError> {
    let NewSwap {
        kind,
        amount,
        max_fee,
        external,
    } = new;
    let req = SwapRequest {
        wallet: wallet_of(engine, args).await?,
        provider: provider_url(engine, args).await?,
        amount,
        max_fee,
        external_funding: external,
    };
    let v = match kind {
        SwapKind::Submarine => engine.swap_in(&req).await?,
        SwapKind::Reverse => engine.swap_out(&req).await?,
    };
    let v = if wait {
        drive(engine, std::slice::from_ref(&v.id), None)
            .await?
            .remove(0)
    } else {
        // Without --wait the process ends here; the first step runs now and
        // `swap resume` (or the app) takes it on from the database.
        engine.wait_final(&v.id, Duration::from_secs(3)).await?
    };
    let text = swap_text(&v);
    out(&v, text)
}

/// `switchyard provider`.
#[derive(Args)]
pub struct ProviderArgs {
    /// Where to listen (REST and WebSocket on one port).
    #[arg(long, default_value = "127.0.0.1:9001")]
    listen: SocketAddr,
    /// A name for its seed in the keychain and its data folder.
    #[arg(long, default_value = "default")]
    name: String,
    /// Submarine time lock, blocks.
    #[arg(long, default_value_t = 1008)]
    submarine_timeout_blocks: u32,
    /// Reverse time lock, blocks.
    #[arg(long, default_value_t = 144)]
    reverse_timeout_blocks: u32,
    /// Service fee of swaps in, percent.
    #[arg(long, default_value_t = 0.1)]
    submarine_percentage: f64,
    /// Service fee of swaps out, percent.
    #[arg(long, default_value_t = 0.25)]
    reverse_percentage: f64,
    /// Smallest swap, sats.
    #[arg(long, default_value_t = 10_000)]
    min_sat: u64,
    /// Largest swap, sats.
    #[arg(long, default_value_t = 10_000_000)]
    max_sat: u64,
    /// Fee rate of its own transactions, sat/vB (default: the node's estimate).
    #[arg(long)]
    fee_rate: Option<u64>,
    /// Seconds to wait for a client's cooperative claim signature.
    #[arg(long, default_value_t = 10)]
    coop_wait_secs: u64,
    /// Misbehave on purpose, to test clients: never-pay, fail-payment, never-lock,
    /// refuse-cooperation, wrong-address, lock-short-by=SATS (repeatable).
    #[arg(long, hide = true)]
    fault: Vec<String>,
}

/// Runs the provider until interrupted.
pub async fn provider(
    args: ProviderArgs,
    node: &NodeArgs,
    data_dir: &Path,
) -> Result<Output, ApiError> {
    use switchyard_provider::{Config, Faults, Provider};
    let ctx = Context::open(data_dir).await?;
    let source = node.source(&ctx).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NodeNotConfigured,
            "Name the provider's node with --node.",
        )
    })?;
    let network = source.network();
    ctx.node.conn.switch(Some(source)).await;
    let mut faults = Faults::default();
    for f in &args.fault {
        match f.as_str() {
            "never-pay" => faults.never_pay = true,
            "fail-payment" => faults.fail_payment = true,
            "never-lock" => faults.never_lock = true,
            "refuse-cooperation" => faults.refuse_cooperation = true,
            "wrong-address" => faults.wrong_address = true,
            other => match other
                .strip_prefix("lock-short-by=")
                .and_then(|v| v.parse().ok())
            {
                Some(n) => faults.lock_short_by = n,
                None => {
                    return Err(ApiError::new(
                        ErrorCode::InvalidRequest,
                        format!("unknown fault {other}"),
                    ))
                }
            },
        }
    }
    let cfg = Config {
        submarine_timeout_blocks: args.submarine_timeout_blocks,
        reverse_timeout_blocks: args.reverse_timeout_blocks,
        submarine_percentage: args.submarine_percentage,
        reverse_percentage: args.reverse_percentage,
        min_sat: args.min_sat,
        max_sat: args.max_sat,
        fee_rate: args.fee_rate,
        coop_claim_wait: Duration::from_secs(args.coop_wait_secs),
        faults,
        ..Config::defaults(network)
    };
    let dir = data_dir.join("provider").join(&args.name);
    let p = Provider::start(cfg, &dir, &args.name, &ctx.keychain, ctx.node.conn.clone())
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let (bound, handle) = p
        .serve(args.listen)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    // One line on stdout once listening, for scripts that wait for it.
    println!(
        "{}",
        serde_json::json!({ "listening": format!("http://{bound}") })
    );
    let _keep: Arc<Provider> = p;
    tokio::select! {
        _ = handle => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    out(
        &serde_json::json!({ "stopped": true }),
        "provider stopped\n".into(),
    )
}
