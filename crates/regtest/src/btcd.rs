//! btcd on regtest, driven through `btcctl`.
//!
//! btcd serves RPC over TLS only (LND has no option to turn it off); it writes
//! its self-signed certificate to `rpc.cert` on first start. On regtest, btcd
//! deletes its block database every time it starts, so its chain lives exactly
//! as long as the process.

use crate::error::RegtestError;
use crate::process::{wait_for, Daemon, DaemonRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// RPC credentials (regtest only, on loopback).
pub const RPC_USER: &str = "switchyard";
/// RPC password.
pub const RPC_PASS: &str = "regtest";

/// What is persisted about btcd.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BtcdRecord {
    /// The process.
    pub daemon: DaemonRecord,
    /// Its directory.
    pub dir: PathBuf,
    /// RPC port.
    pub rpc_port: u16,
    /// P2P port.
    pub p2p_port: u16,
    /// The address coinbase outputs pay to.
    pub mining_address: String,
}

/// A running btcd.
#[derive(Debug)]
pub struct Btcd {
    /// The process.
    pub daemon: Daemon,
    /// Its directory (data, logs, rpc.cert).
    pub dir: PathBuf,
    /// RPC port.
    pub rpc_port: u16,
    /// P2P port.
    pub p2p_port: u16,
    /// Where coinbases pay.
    pub mining_address: String,
    btcctl: PathBuf,
}

impl Btcd {
    fn args(dir: &Path, rpc_port: u16, p2p_port: u16, mining_address: &str) -> Vec<String> {
        let d = |p: &str| dir.join(p).display().to_string();
        vec![
            "--regtest".into(),
            "--txindex".into(),
            // Transactions by address (searchrawtransactions), for chain
            // clients that look a swap's lockup up by its address, as
            // Electrum and Esplora do.
            "--addrindex".into(),
            format!("--rpcuser={RPC_USER}"),
            format!("--rpcpass={RPC_PASS}"),
            format!("--rpclisten=127.0.0.1:{rpc_port}"),
            format!("--listen=127.0.0.1:{p2p_port}"),
            format!("--rpccert={}", d("rpc.cert")),
            format!("--rpckey={}", d("rpc.key")),
            format!("--datadir={}", d("data")),
            format!("--logdir={}", d("logs")),
            format!("--miningaddr={mining_address}"),
            "--nobanning".into(),
            "--rejectnonstd".into(),
            "--rpcmaxwebsockets=50".into(),
            "--trickleinterval=100ms".into(),
            "--debuglevel=info".into(),
        ]
    }

    /// Starts btcd in `dir` and waits until its RPC answers.
    pub fn start(
        btcd: &Path,
        btcctl: &Path,
        dir: &Path,
        rpc_port: u16,
        p2p_port: u16,
        mining_address: &str,
    ) -> Result<Btcd, RegtestError> {
        std::fs::create_dir_all(dir).map_err(RegtestError::io("cannot create", dir))?;
        let daemon = Daemon::spawn(
            "btcd",
            btcd,
            &Btcd::args(dir, rpc_port, p2p_port, mining_address),
            &dir.join("btcd.log"),
        )?;
        let mut me = Btcd {
            daemon,
            dir: dir.to_path_buf(),
            rpc_port,
            p2p_port,
            mining_address: mining_address.to_string(),
            btcctl: btcctl.to_path_buf(),
        };
        me.wait_ready()?;
        Ok(me)
    }

    /// A btcd another process started.
    pub fn attach(btcctl: &Path, rec: &BtcdRecord) -> Btcd {
        Btcd {
            daemon: Daemon::from_record(rec.daemon.clone()),
            dir: rec.dir.clone(),
            rpc_port: rec.rpc_port,
            p2p_port: rec.p2p_port,
            mining_address: rec.mining_address.clone(),
            btcctl: btcctl.to_path_buf(),
        }
    }

    /// What to persist.
    pub fn record(&self) -> BtcdRecord {
        BtcdRecord {
            daemon: self.daemon.record().clone(),
            dir: self.dir.clone(),
            rpc_port: self.rpc_port,
            p2p_port: self.p2p_port,
            mining_address: self.mining_address.clone(),
        }
    }

    fn wait_ready(&mut self) -> Result<(), RegtestError> {
        let cert = self.cert();
        let ctl = self.btcctl.clone();
        let port = self.rpc_port;
        wait_for(
            "btcd's RPC",
            Duration::from_secs(30),
            &mut [&mut self.daemon],
            || {
                (cert.exists() && run_btcctl(&ctl, &cert, port, &["getblockcount"]).is_ok())
                    .then_some(())
            },
        )
    }

    /// The RPC certificate (LND needs it too).
    pub fn cert(&self) -> PathBuf {
        self.dir.join("rpc.cert")
    }

    /// Runs a btcctl command, returning its stdout.
    pub fn ctl(&self, args: &[&str]) -> Result<String, RegtestError> {
        run_btcctl(&self.btcctl, &self.cert(), self.rpc_port, args)
    }

    /// A handle for RPC calls that can move to another thread or task
    /// (the process stays owned by this `Btcd`).
    pub fn rpc(&self) -> BtcdRpc {
        BtcdRpc {
            btcctl: self.btcctl.clone(),
            cert: self.cert(),
            port: self.rpc_port,
        }
    }

    fn ctl_json(&self, args: &[&str]) -> Result<Value, RegtestError> {
        let out = self.ctl(args)?;
        serde_json::from_str(&out).map_err(|e| RegtestError::Output {
            command: format!("btcctl {}", args.join(" ")),
            detail: e.to_string(),
        })
    }

    /// The chain height.
    pub fn height(&self) -> Result<u64, RegtestError> {
        let out = self.ctl(&["getblockcount"])?;
        out.trim().parse().map_err(|_| RegtestError::Output {
            command: "btcctl getblockcount".into(),
            detail: out,
        })
    }

    /// Mines `n` blocks, returning their hashes.
    pub fn generate(&self, n: u32) -> Result<Vec<String>, RegtestError> {
        let v = self.ctl_json(&["generate", &n.to_string()])?;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| h.as_str().map(String::from))
                    .collect()
            })
            .ok_or_else(|| RegtestError::Output {
                command: "btcctl generate".into(),
                detail: v.to_string(),
            })
    }

    /// The coinbase of a block: (txid, first output's value in sats).
    pub fn coinbase(&self, block_hash: &str) -> Result<(String, u64), RegtestError> {
        let block = self.ctl_json(&["getblock", block_hash])?;
        let txid = block["tx"][0]
            .as_str()
            .ok_or_else(|| RegtestError::Output {
                command: "btcctl getblock".into(),
                detail: "no transactions".into(),
            })?
            .to_string();
        let tx = self.ctl_json(&["getrawtransaction", &txid, "1"])?;
        let btc = tx["vout"][0]["value"]
            .as_f64()
            .ok_or_else(|| RegtestError::Output {
                command: "btcctl getrawtransaction".into(),
                detail: "no output value".into(),
            })?;
        // Values are whole satoshis in BTC; rounding removes float noise.
        let sats = (btc * 100_000_000.0).round();
        Ok((txid, sats as u64))
    }

    /// Broadcasts a raw transaction.
    pub fn send_raw(&self, hex: &str) -> Result<String, RegtestError> {
        Ok(self
            .ctl(&["sendrawtransaction", hex])?
            .trim()
            .trim_matches('"')
            .to_string())
    }
}

/// btcd's RPC through btcctl, without the process (see [`Btcd::rpc`]).
#[derive(Debug, Clone)]
pub struct BtcdRpc {
    btcctl: PathBuf,
    cert: PathBuf,
    port: u16,
}

impl BtcdRpc {
    /// Runs a btcctl command, returning its stdout.
    pub fn ctl(&self, args: &[&str]) -> Result<String, RegtestError> {
        run_btcctl(&self.btcctl, &self.cert, self.port, args)
    }
}

fn run_btcctl(ctl: &Path, cert: &Path, port: u16, args: &[&str]) -> Result<String, RegtestError> {
    let fixed = [
        format!("--rpcuser={RPC_USER}"),
        format!("--rpcpass={RPC_PASS}"),
        format!("--rpcserver=127.0.0.1:{port}"),
        format!("--rpccert={}", cert.display()),
    ];
    crate::process::run_client("btcctl", ctl, &fixed, args)
}
