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
        /// Do not start a swap provider on carol.
        #[arg(long)]
        no_provider: bool,
        /// Also a node named `cluster` served by 3 LND instances on a 3-member
        /// etcd cluster (leader election on etcd); its profile lists every instance.
        #[arg(long)]
        cluster: bool,
    },
    /// The LND cluster (`up --cluster`): show it, crash its leader, stop or start an instance or an etcd member.
    Cluster {
        #[command(subcommand)]
        cmd: ClusterCmd,
        #[arg(long, global = true)]
        dir: Option<PathBuf>,
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

#[derive(Subcommand)]
pub enum ClusterCmd {
    /// Which instance leads, each instance's state and each etcd member's health.
    Status,
    /// SIGKILL the leading LND instance (a crash); a standby takes over.
    KillLeader,
    /// SIGKILL an LND instance (cluster-1…, or 1…).
    Kill { instance: String },
    /// Start a stopped LND instance (it campaigns as a standby).
    Start { instance: String },
    /// SIGKILL an etcd member (etcd-1…, or 1…).
    KillEtcd { member: String },
    /// Start a stopped etcd member (it catches up from the others).
    StartEtcd { member: String },
}

fn cluster(cmd: ClusterCmd, dir: PathBuf) -> Result<(Value, String), ApiError> {
    let mut net = Network::attach(&dir).map_err(api)?;
    let said = match cmd {
        ClusterCmd::Status => None,
        ClusterCmd::KillLeader => {
            let name = net.kill_leader().map_err(api)?;
            Some(format!("Killed {name} (SIGKILL)."))
        }
        ClusterCmd::Kill { instance } => {
            let c = net.cluster_mut().map_err(api)?;
            let i = c.instance_index(&instance).map_err(api)?;
            c.instances[i].daemon.kill();
            Some(format!("Killed {} (SIGKILL).", c.instances[i].name))
        }
        ClusterCmd::Start { instance } => {
            net.start_instance(&instance).map_err(api)?;
            Some(format!("Started {instance}."))
        }
        ClusterCmd::KillEtcd { member } => {
            net.kill_member(&member).map_err(api)?;
            Some(format!("Killed etcd member {member} (SIGKILL)."))
        }
        ClusterCmd::StartEtcd { member } => {
            net.start_member(&member).map_err(api)?;
            Some(format!("Started etcd member {member}."))
        }
    };
    let s = net.cluster_mut().map_err(api)?.status();
    let mut text = said.map(|t| format!("{t}\n")).unwrap_or_default();
    text.push_str(crate::format::cluster_text(&s).trim_end());
    Ok((encode(&s), text))
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
pub fn run(
    cmd: RegtestCmd,
    default_dir: PathBuf,
    data_dir: PathBuf,
) -> Result<(Value, String), ApiError> {
    let dir_or = |d: Option<PathBuf>| d.unwrap_or_else(|| default_dir.clone());
    match cmd {
        RegtestCmd::Up {
            nodes,
            dir,
            fresh,
            no_provider,
            cluster,
        } => {
            let started = std::time::Instant::now();
            let mut opts = NetworkOptions::new(dir_or(dir));
            opts.nodes = nodes;
            opts.fresh = fresh;
            opts.cluster = cluster;
            opts.on_drop = OnDrop::KeepRunning;
            let net = Network::up(opts).map_err(api)?;
            let profiles = net.profiles().map_err(api)?;
            let provider = if no_provider {
                None
            } else {
                let carol = profiles.iter().find(|p| p.name == "carol").ok_or_else(|| {
                    ApiError::new(ErrorCode::RegtestFailed, "the network has no node carol")
                })?;
                // A provider of an earlier network (or of nodes restarted
                // since) talks to a carol that is gone: start anew unless the
                // very network it serves is reused.
                if net.start_kind != switchyard_regtest::network::StartKind::Reused {
                    stop_provider(net.dir());
                }
                Some(start_provider(&data_dir, net.dir(), carol)?)
            };
            let secs = started.elapsed().as_secs_f64();
            let mut text = up_text(&net, &profiles, secs);
            if let Some(url) = &provider {
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str(&format!(
                    "Swap provider on carol: {url} (the app's default)\n"
                ));
            }
            Ok((
                json!({
                    "provider": provider,
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
        RegtestCmd::Cluster { cmd, dir } => cluster(cmd, dir_or(dir)),
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
            stop_provider(&dir);
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

const PROVIDER_FILE: &str = "provider.json";

/// Whether `pid` (from provider.json) is still the provider `up` started for
/// `data_dir`: alive, not a zombie, and its command line ours. A pid alone
/// can have been reused by any process since.
fn is_our_provider(pid: u32, data_dir: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let zombie = stat
        .rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
    let has = |a: &str| args.contains(&a.as_bytes());
    let dir_follows = args
        .windows(2)
        .any(|w| w[0] == b"--data-dir" && w[1] == data_dir.as_bytes());
    !stat.is_empty() && !zombie && has("provider") && dir_follows
}

/// The provider recorded in provider.json, if it is still running.
fn recorded_provider(file: &std::path::Path) -> Option<(u32, Value)> {
    let v = serde_json::from_str::<Value>(&std::fs::read_to_string(file).ok()?).ok()?;
    let pid = u32::try_from(v["pid"].as_u64()?).ok()?;
    let dir = v["data_dir"].as_str()?;
    is_our_provider(pid, dir).then_some((pid, v))
}

/// Starts our swap provider on carol (once; a running one is reused), as a
/// process of its own tracked in the network's directory, and makes it the
/// data directory's default provider.
fn start_provider(
    data_dir: &std::path::Path,
    net_dir: &std::path::Path,
    carol: &switchyard_regtest::NodeProfile,
) -> Result<String, ApiError> {
    use std::io::BufRead;
    let fail = |m: String| ApiError::new(ErrorCode::RegtestFailed, m);
    let file = net_dir.join(PROVIDER_FILE);
    let running = recorded_provider(&file)
        .map(|(_, v)| v)
        .filter(|v| v["url"].is_string());
    if running.is_none() {
        // Half-started before (an interrupted `up`): stop it first.
        stop_provider(net_dir);
    }
    let url = match running {
        Some(v) => v["url"].as_str().unwrap_or_default().to_string(),
        None => {
            let exe = std::env::current_exe().map_err(|e| fail(e.to_string()))?;
            let log = std::fs::File::create(net_dir.join("provider.log"))
                .map_err(|e| fail(e.to_string()))?;
            let mut child = std::process::Command::new(exe)
                .arg("--data-dir")
                .arg(data_dir)
                .arg("--grpc-host")
                .arg(&carol.grpc_host)
                .arg("--tls-cert")
                .arg(&carol.tls_cert_path)
                .arg("--macaroon")
                .arg(&carol.macaroon_path)
                .args([
                    "provider",
                    "--listen",
                    "127.0.0.1:0",
                    "--fee-rate",
                    "2",
                    "--name",
                    "regtest",
                ])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(log)
                .spawn()
                .map_err(|e| fail(format!("could not start the swap provider: {e}")))?;
            // Tracked from the moment it exists (an interrupted `up` leaves
            // nothing `down` cannot stop).
            let pid = child.id();
            let record = |url: Option<&str>| {
                json!({ "pid": pid, "url": url, "data_dir": data_dir.to_string_lossy() })
                    .to_string()
            };
            std::fs::write(&file, record(None)).map_err(|e| fail(e.to_string()))?;
            let stdout = child
                .stdout
                .take()
                .ok_or_else(|| fail("no provider output".into()))?;
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut line = String::new();
                let _ = std::io::BufReader::new(stdout).read_line(&mut line);
                let _ = tx.send(line);
            });
            let did_not_start = || {
                let log = net_dir.join("provider.log");
                let last = std::fs::read_to_string(&log)
                    .ok()
                    .and_then(|t| {
                        t.lines()
                            .rev()
                            .map(str::trim)
                            .find(|l| !l.is_empty())
                            .map(|l| l.chars().take(400).collect::<String>())
                    })
                    .map(|l| format!(": {l}"))
                    .unwrap_or_default();
                fail(format!(
                    "the swap provider did not start{last} (see {})",
                    log.display()
                ))
            };
            let line = rx
                .recv_timeout(std::time::Duration::from_secs(60))
                .map_err(|_| did_not_start())?;
            let v: Value = serde_json::from_str(line.trim()).map_err(|_| {
                // It ended: let its last words reach the log first.
                let _ = child.wait();
                did_not_start()
            })?;
            let url = v["listening"].as_str().unwrap_or_default().to_string();
            std::fs::write(&file, record(Some(&url))).map_err(|e| fail(e.to_string()))?;
            url
        }
    };
    let dir = data_dir.to_path_buf();
    let set = url.clone();
    tokio::runtime::Handle::current()
        .block_on(async move {
            let store = switchyard_core::store::Store::open_in(&dir).await?;
            store
                .set_setting(switchyard_core::swaps::PROVIDER_SETTING, &set)
                .await
        })
        .map_err(|e| fail(e.to_string()))?;
    Ok(url)
}

/// Stops the provider `up` started, if any.
fn stop_provider(net_dir: &std::path::Path) {
    let file = net_dir.join(PROVIDER_FILE);
    // Only if that pid is still our provider: never a process that reused it.
    if let Some((pid, _)) = recorded_provider(&file) {
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
    }
    let _ = std::fs::remove_file(file);
}
