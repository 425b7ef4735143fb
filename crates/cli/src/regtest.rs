//! `switchyard regtest …`: the local regtest network (see `switchyard-regtest`).

use clap::Subcommand;
use serde_json::{json, Value};
use std::path::PathBuf;
use switchyard_core::{ApiError, ErrorCode};
use switchyard_regtest::network::{NetworkStatus, OnDrop, PaymentReport};
use switchyard_regtest::{Network, NetworkOptions, NodeProfile, RegtestError};

#[derive(Subcommand)]
pub enum RegtestCmd {
    /// Start the network (or reuse the running one, or resume a stopped one) and print each node's profile.
    Up {
        /// How many LND nodes (3 to 8): alice, bob, carol, dave, …
        #[arg(long, default_value_t = 3)]
        nodes: usize,
        /// The network's directory. Default: DATA_DIR/regtest, where the app finds it.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Throw away what the directory holds and start from scratch.
        #[arg(long)]
        fresh: bool,
    },
    /// Show each daemon, the chain height, channels and balances.
    Status {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Mine blocks.
    Mine {
        /// How many blocks.
        blocks: u32,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Pay AMT sats from one node to another over Lightning (TO makes the invoice).
    Pay {
        from: String,
        to: String,
        /// Amount in sats.
        amt_sat: u64,
        /// Force the first hop through this peer (e.g. `--via bob`).
        #[arg(long)]
        via: Option<String>,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Stop every daemon (no process is left behind). Logs stay; the next `up` starts afresh.
    Down {
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Also delete the network's directory.
        #[arg(long)]
        purge: bool,
    },
}

fn api(e: RegtestError) -> ApiError {
    let code = match e {
        RegtestError::NotRunning { .. } => ErrorCode::RegtestNotRunning,
        RegtestError::MissingBinary { .. } => ErrorCode::RegtestMissingBinary,
        RegtestError::BadRequest(_) | RegtestError::UnknownNode { .. } => ErrorCode::InvalidRequest,
        _ => ErrorCode::RegtestFailed,
    };
    ApiError::new(code, e.to_string())
}

fn encode<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Runs a regtest command (blocking); returns (JSON, text).
pub fn run(cmd: RegtestCmd, default_dir: PathBuf) -> Result<(Value, String), ApiError> {
    let dir_or = |d: Option<PathBuf>| d.unwrap_or_else(|| default_dir.clone());
    match cmd {
        RegtestCmd::Up { nodes, dir, fresh } => {
            let started = std::time::Instant::now();
            let mut opts = NetworkOptions::new(dir_or(dir));
            opts.nodes = nodes;
            opts.fresh = fresh;
            opts.on_drop = OnDrop::KeepRunning;
            let net = Network::up(opts).map_err(api)?;
            let profiles = net.profiles().map_err(api)?;
            let secs = started.elapsed().as_secs_f64();
            let text = up_text(&net, &profiles, secs);
            Ok((
                json!({
                    "dir": net.dir(),
                    "start": net.start_kind,
                    "seconds": secs,
                    "profiles_file": net.profiles_path(),
                    "channels": encode(&net.channels()),
                    "profiles": encode(&profiles),
                }),
                text,
            ))
        }
        RegtestCmd::Status { dir } => {
            let mut net = Network::attach(&dir_or(dir)).map_err(api)?;
            let s = net.status();
            let text = status_text(&s);
            Ok((encode(&s), text))
        }
        RegtestCmd::Mine { blocks, dir } => {
            let mut net = Network::attach(&dir_or(dir)).map_err(api)?;
            let height = net.mine(blocks).map_err(api)?;
            Ok((
                json!({ "mined": blocks, "height": height }),
                format!("Mined {blocks} block(s); height {height}."),
            ))
        }
        RegtestCmd::Pay {
            from,
            to,
            amt_sat,
            via,
            dir,
        } => {
            let net = Network::attach(&dir_or(dir)).map_err(api)?;
            let p = net
                .pay_via(&from, &to, amt_sat, via.as_deref())
                .map_err(api)?;
            let text = pay_text(&p);
            Ok((encode(&p), text))
        }
        RegtestCmd::Down { dir, purge } => {
            let dir = dir_or(dir);
            let mut net = Network::attach(&dir).map_err(api)?;
            net.down();
            if purge {
                std::fs::remove_dir_all(&dir).map_err(|e| {
                    ApiError::new(
                        ErrorCode::RegtestFailed,
                        format!("Stopped, but could not delete {}: {e}", dir.display()),
                    )
                })?;
            }
            drop(net);
            let what = if purge {
                "stopped and deleted"
            } else {
                "stopped; logs are kept, and the next `switchyard regtest up` starts a fresh network"
            };
            Ok((
                json!({ "dir": dir, "stopped": true, "purged": purge }),
                format!("Regtest network in {} {what}.", dir.display()),
            ))
        }
    }
}

fn up_text(net: &Network, profiles: &[NodeProfile], secs: f64) -> String {
    let how = match net.start_kind {
        switchyard_regtest::network::StartKind::Created => format!("started in {secs:.0} s"),
        switchyard_regtest::network::StartKind::Reused => "already running".to_string(),
        switchyard_regtest::network::StartKind::Resumed => format!("resumed (stopped nodes restarted) in {secs:.0} s"),
        switchyard_regtest::network::StartKind::Recreated => format!("started afresh in {secs:.0} s (the previous one was stopped or never finished starting; btcd does not keep a regtest chain across restarts)"),
    };
    let mut t = format!(
        "Regtest network in {} {how}.\n\nChannels:\n",
        net.dir().display()
    );
    for c in net.channels() {
        t.push_str(&format!(
            "  {} → {}  {} sat capacity, {} sat pushed{}\n",
            c.from,
            c.to,
            c.capacity_sat,
            c.push_sat,
            if c.private { ", private" } else { "" }
        ));
    }
    t.push_str("\nNodes:\n");
    for p in profiles {
        t.push_str(&format!(
            "  {:<6} {}\n         gRPC {}  cert {}  macaroon {}\n         {}\n",
            p.name,
            p.pubkey,
            p.grpc_host,
            p.tls_cert_path.display(),
            p.macaroon_path.display(),
            p.lndconnect
        ));
    }
    t.push_str(&format!(
        "\nProfiles written to {}.",
        net.profiles_path().display()
    ));
    t
}

fn status_text(s: &NetworkStatus) -> String {
    let mut t = format!(
        "Regtest network in {}\n  btcd   {}  height {}\n",
        s.dir.display(),
        if s.btcd_running { "running" } else { "stopped" },
        s.height
            .map(|h| h.to_string())
            .unwrap_or_else(|| "?".into())
    );
    for n in &s.nodes {
        if !n.running {
            t.push_str(&format!("  {:<6} stopped\n", n.name));
            continue;
        }
        t.push_str(&format!(
            "  {:<6} running  {} active channel(s), {} sat on-chain, {} sat in channels, height {}\n",
            n.name, n.active_channels, n.onchain_sat, n.channel_local_sat, n.block_height
        ));
    }
    t.trim_end().to_string()
}

fn pay_text(p: &PaymentReport) -> String {
    format!(
        "Paid {} sat from {} to {} via {} (fee {} msat).",
        p.amount_sat,
        p.from,
        p.to,
        p.hops.join(" → "),
        p.fee_msat
    )
}
