//! `switchyard regtest …`: the local regtest network (see `switchyard-regtest`).

use crate::format::{pay_text, status_text, up_text};
use clap::Subcommand;
use serde_json::{json, Value};
use std::path::PathBuf;
use switchyard_core::{ApiError, ErrorCode};
use switchyard_regtest::network::OnDrop;
use switchyard_regtest::{Network, NetworkOptions, RegtestError};

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
