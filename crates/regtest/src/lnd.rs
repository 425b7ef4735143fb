//! One LND node on regtest, driven through `lncli` (JSON output).
//!
//! Nodes run with `--noseedbackup`: LND creates a wallet with its built-in
//! password and unlocks it on every start, so a node restarts unattended.
//! (The wallet app initialises real wallets from its own seed instead: a
//! node started with [`Lnd::start_without_wallet`] waits for `InitWallet`,
//! and asks for its password on every start.)

use crate::btcd::{Btcd, RPC_PASS, RPC_USER};
use crate::error::RegtestError;
use crate::process::{wait_for, Daemon, DaemonRecord};
use bitcoin::base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bitcoin::base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What is persisted about a node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LndRecord {
    /// The process.
    pub daemon: DaemonRecord,
    /// alice, bob, …
    pub name: String,
    /// `--lnddir`.
    pub dir: PathBuf,
    /// gRPC port.
    pub rpc_port: u16,
    /// REST port.
    pub rest_port: u16,
    /// Peer port.
    pub p2p_port: u16,
    /// The btcd it uses: RPC port and certificate.
    pub btcd_rpc_port: u16,
    /// btcd's RPC certificate.
    pub btcd_cert: PathBuf,
    /// Started with `--noseedbackup` (a wallet LND makes and unlocks itself).
    #[serde(default = "yes")]
    pub noseedbackup: bool,
    /// More options (a cluster instance's database and election settings).
    #[serde(default)]
    pub extra_args: Vec<String>,
    /// The admin macaroon, when not in `dir` (a cluster's shared one).
    #[serde(default)]
    pub macaroon_path: Option<PathBuf>,
}

fn yes() -> bool {
    true
}

/// A running LND node.
#[derive(Debug)]
pub struct Lnd {
    /// The process.
    pub daemon: Daemon,
    /// alice, bob, …
    pub name: String,
    /// `--lnddir`.
    pub dir: PathBuf,
    /// gRPC port.
    pub rpc_port: u16,
    /// REST port.
    pub rest_port: u16,
    /// Peer port.
    pub p2p_port: u16,
    btcd_rpc_port: u16,
    btcd_cert: PathBuf,
    noseedbackup: bool,
    extra_args: Vec<String>,
    macaroon_path: Option<PathBuf>,
    lncli: PathBuf,
}

/// A connection profile for one node: what the wallet needs to connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeProfile {
    /// alice, bob, …
    pub name: String,
    /// The node's public key (hex).
    pub pubkey: String,
    /// `127.0.0.1:port` of the gRPC interface.
    pub grpc_host: String,
    /// `pubkey@127.0.0.1:port` for peers.
    pub p2p_uri: String,
    /// The TLS certificate (PEM).
    pub tls_cert_path: PathBuf,
    /// The admin macaroon.
    pub macaroon_path: PathBuf,
    /// `lndconnect://host:port?cert=…&macaroon=…` (base64url DER and macaroon).
    pub lndconnect: String,
    /// A clustered node: every instance's gRPC host:port (`grpc_host` is the
    /// one that led when this was written).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// A clustered node: its etcd members' client host:port (for health).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub etcd_endpoints: Vec<String>,
}

impl Lnd {
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            format!("--lnddir={}", self.dir.display()),
            format!("--alias={}", self.name),
            "--bitcoin.regtest".into(),
            "--bitcoin.node=btcd".into(),
            format!("--btcd.rpchost=127.0.0.1:{}", self.btcd_rpc_port),
            format!("--btcd.rpcuser={RPC_USER}"),
            format!("--btcd.rpcpass={RPC_PASS}"),
            format!("--btcd.rpccert={}", self.btcd_cert.display()),
            format!("--rpclisten=127.0.0.1:{}", self.rpc_port),
            format!("--restlisten=127.0.0.1:{}", self.rest_port),
            format!("--listen=127.0.0.1:{}", self.p2p_port),
            format!("--externalip=127.0.0.1:{}", self.p2p_port),
            "--nobootstrap".into(),
            "--accept-keysend".into(),
            "--protocol.wumbo-channels".into(),
            "--bitcoin.defaultchanconfs=1".into(),
            "--bitcoin.defaultremotedelay=4".into(),
            "--trickledelay=50".into(),
            "--db.batch-commit-interval=10ms".into(),
            "--caches.rpc-graph-cache-duration=100ms".into(),
            // Several channels with one peer open in the same block.
            "--maxpendingchannels=10".into(),
            "--debuglevel=info".into(),
        ];
        if self.noseedbackup {
            args.push("--noseedbackup".into());
        }
        if let Some(p) = &self.macaroon_path {
            args.push(format!("--adminmacaroonpath={}", p.display()));
        }
        args.extend(self.extra_args.iter().cloned());
        args
    }

    /// Starts one instance of a clustered node: its database on etcd, its
    /// leadership campaigned for on etcd; its own TLS certificate, the admin
    /// macaroon shared with the other instances (in `shared_dir`: its root
    /// key is in the shared database). Returns at once: an instance that is
    /// not the leader waits (its state is WAITING_TO_START).
    #[allow(clippy::too_many_arguments)]
    pub fn start_instance(
        lnd: &Path,
        lncli: &Path,
        name: &str,
        dir: &Path,
        ports: [u16; 3],
        btcd: &Btcd,
        shared_dir: &Path,
        cluster_args: Vec<String>,
    ) -> Result<Lnd, RegtestError> {
        let mut s = LndSettings::new(name, dir, ports, btcd, true);
        s.macaroon_path = Some(shared_dir.join("admin.macaroon"));
        s.extra_args = cluster_args;
        Lnd::start_with(lnd, lncli, s)
    }

    /// What the node's State service says: WAITING_TO_START (a standby of a
    /// cluster), LOCKED, UNLOCKED, RPC_ACTIVE, SERVER_ACTIVE; None when it
    /// does not answer.
    pub fn state(&self) -> Option<String> {
        let v = self.cli(&["state"]).ok()?;
        v["state"].as_str().map(String::from)
    }

    /// Starts a node in `dir` against `btcd` and waits until it is synced.
    pub fn start(
        lnd: &Path,
        lncli: &Path,
        name: &str,
        dir: &Path,
        ports: [u16; 3],
        btcd: &Btcd,
    ) -> Result<Lnd, RegtestError> {
        Lnd::start_with(lnd, lncli, LndSettings::new(name, dir, ports, btcd, true))
    }

    /// Starts a node without a wallet: it waits for `InitWallet` (no
    /// `--noseedbackup`), then for `UnlockWallet` on every later start.
    /// Returns once its gRPC port is open; not part of any network.
    pub fn start_without_wallet(
        lnd: &Path,
        lncli: &Path,
        name: &str,
        dir: &Path,
        ports: [u16; 3],
        btcd: &Btcd,
    ) -> Result<Lnd, RegtestError> {
        let mut me = Lnd::start_with(lnd, lncli, LndSettings::new(name, dir, ports, btcd, false))?;
        me.wait_rpc_port(Duration::from_secs(60))?;
        Ok(me)
    }

    /// Waits until the gRPC port accepts connections and the TLS certificate exists.
    pub fn wait_rpc_port(&mut self, timeout: Duration) -> Result<(), RegtestError> {
        let what = format!("{} to open its gRPC port", self.name);
        let port = self.rpc_port;
        let cert = self.tls_cert();
        wait_for(&what, timeout, &mut [&mut self.daemon], || {
            (cert.exists() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok())
                .then_some(())
        })
    }

    /// Restarts a stopped node with its recorded settings.
    pub fn restart(lnd: &Path, lncli: &Path, rec: &LndRecord) -> Result<Lnd, RegtestError> {
        Lnd::start_with(lnd, lncli, LndSettings::from(rec))
    }

    fn start_with(lnd: &Path, lncli: &Path, s: LndSettings) -> Result<Lnd, RegtestError> {
        std::fs::create_dir_all(&s.dir).map_err(RegtestError::io("cannot create", &s.dir))?;
        let placeholder = Daemon::from_record(DaemonRecord {
            name: s.name.clone(),
            pid: 0,
            start_ticks: 0,
            log: s.dir.join("lnd.log"),
        });
        let mut me = Lnd::with(s, placeholder, lncli);
        me.daemon = Daemon::spawn(&me.name, lnd, &me.args(), &me.dir.join("lnd.log"))?;
        Ok(me)
    }

    fn with(s: LndSettings, daemon: Daemon, lncli: &Path) -> Lnd {
        Lnd {
            daemon,
            name: s.name,
            dir: s.dir,
            rpc_port: s.rpc_port,
            rest_port: s.rest_port,
            p2p_port: s.p2p_port,
            btcd_rpc_port: s.btcd_rpc_port,
            btcd_cert: s.btcd_cert,
            noseedbackup: s.noseedbackup,
            extra_args: s.extra_args,
            macaroon_path: s.macaroon_path,
            lncli: lncli.to_path_buf(),
        }
    }

    /// Waits until the node answers and is synced to the chain.
    pub fn wait_synced(&mut self, timeout: Duration) -> Result<(), RegtestError> {
        let what = format!("{} to start and sync to the chain", self.name);
        let cli = self.cli_handle();
        wait_for(&what, timeout, &mut [&mut self.daemon], || {
            let info = cli.json(&["getinfo"]).ok()?;
            info["synced_to_chain"]
                .as_bool()
                .unwrap_or(false)
                .then_some(())
        })
    }

    /// A node another process started.
    pub fn attach(lncli: &Path, rec: &LndRecord) -> Lnd {
        Lnd::with(
            LndSettings::from(rec),
            Daemon::from_record(rec.daemon.clone()),
            lncli,
        )
    }

    /// What to persist.
    pub fn record(&self) -> LndRecord {
        LndRecord {
            daemon: self.daemon.record().clone(),
            name: self.name.clone(),
            dir: self.dir.clone(),
            rpc_port: self.rpc_port,
            rest_port: self.rest_port,
            p2p_port: self.p2p_port,
            btcd_rpc_port: self.btcd_rpc_port,
            btcd_cert: self.btcd_cert.clone(),
            noseedbackup: self.noseedbackup,
            extra_args: self.extra_args.clone(),
            macaroon_path: self.macaroon_path.clone(),
        }
    }

    /// A handle that runs lncli against this node.
    pub fn cli_handle(&self) -> Lncli {
        Lncli {
            lncli: self.lncli.clone(),
            dir: self.dir.clone(),
            rpc_port: self.rpc_port,
            macaroon: self.macaroon_path.clone(),
        }
    }

    /// Runs lncli and parses its JSON output.
    pub fn cli(&self, args: &[&str]) -> Result<Value, RegtestError> {
        self.cli_handle().json(args)
    }

    /// The node's identity public key.
    pub fn pubkey(&self) -> Result<String, RegtestError> {
        let info = self.cli(&["getinfo"])?;
        str_field(&info, "identity_pubkey", "lncli getinfo")
    }

    /// A fresh P2WPKH address of the node's wallet.
    pub fn new_address(&self) -> Result<String, RegtestError> {
        let v = self.cli(&["newaddress", "p2wkh"])?;
        str_field(&v, "address", "lncli newaddress")
    }

    /// The TLS certificate.
    pub fn tls_cert(&self) -> PathBuf {
        self.dir.join("tls.cert")
    }

    /// The admin macaroon.
    pub fn admin_macaroon(&self) -> PathBuf {
        self.macaroon_path
            .clone()
            .unwrap_or_else(|| self.dir.join("data/chain/bitcoin/regtest/admin.macaroon"))
    }

    /// The node's connection profile.
    pub fn profile(&self) -> Result<NodeProfile, RegtestError> {
        let pubkey = self.pubkey()?;
        let cert_pem = std::fs::read_to_string(self.tls_cert())
            .map_err(RegtestError::io("cannot read", self.tls_cert()))?;
        let der = pem_to_der(&cert_pem).ok_or_else(|| RegtestError::DataDir {
            dir: self.tls_cert(),
            reason: "the TLS certificate is not PEM".into(),
        })?;
        let mac = std::fs::read(self.admin_macaroon())
            .map_err(RegtestError::io("cannot read", self.admin_macaroon()))?;
        let host = format!("127.0.0.1:{}", self.rpc_port);
        Ok(NodeProfile {
            name: self.name.clone(),
            p2p_uri: format!("{pubkey}@127.0.0.1:{}", self.p2p_port),
            pubkey,
            lndconnect: format!(
                "lndconnect://{host}?cert={}&macaroon={}",
                URL_SAFE_NO_PAD.encode(der),
                URL_SAFE_NO_PAD.encode(mac)
            ),
            grpc_host: host,
            tls_cert_path: self.tls_cert(),
            macaroon_path: self.admin_macaroon(),
            endpoints: Vec::new(),
            etcd_endpoints: Vec::new(),
        })
    }
}

struct LndSettings {
    name: String,
    dir: PathBuf,
    rpc_port: u16,
    rest_port: u16,
    p2p_port: u16,
    btcd_rpc_port: u16,
    btcd_cert: PathBuf,
    noseedbackup: bool,
    extra_args: Vec<String>,
    macaroon_path: Option<PathBuf>,
}

impl LndSettings {
    fn new(name: &str, dir: &Path, ports: [u16; 3], btcd: &Btcd, noseedbackup: bool) -> Self {
        LndSettings {
            name: name.to_string(),
            dir: dir.to_path_buf(),
            rpc_port: ports[0],
            rest_port: ports[1],
            p2p_port: ports[2],
            btcd_rpc_port: btcd.rpc_port,
            btcd_cert: btcd.cert(),
            noseedbackup,
            extra_args: Vec::new(),
            macaroon_path: None,
        }
    }
}

impl From<&LndRecord> for LndSettings {
    fn from(r: &LndRecord) -> Self {
        LndSettings {
            name: r.name.clone(),
            dir: r.dir.clone(),
            rpc_port: r.rpc_port,
            rest_port: r.rest_port,
            p2p_port: r.p2p_port,
            btcd_rpc_port: r.btcd_rpc_port,
            btcd_cert: r.btcd_cert.clone(),
            noseedbackup: r.noseedbackup,
            extra_args: r.extra_args.clone(),
            macaroon_path: r.macaroon_path.clone(),
        }
    }
}

/// Runs `lncli` against one node.
#[derive(Debug, Clone)]
pub struct Lncli {
    lncli: PathBuf,
    dir: PathBuf,
    rpc_port: u16,
    macaroon: Option<PathBuf>,
}

impl Lncli {
    /// Runs a command and returns its stdout.
    pub fn run(&self, args: &[&str]) -> Result<String, RegtestError> {
        let mut fixed = vec![
            "--network=regtest".to_string(),
            format!("--lnddir={}", self.dir.display()),
            format!("--rpcserver=127.0.0.1:{}", self.rpc_port),
        ];
        if let Some(p) = &self.macaroon {
            fixed.push(format!("--macaroonpath={}", p.display()));
        }
        crate::process::run_client("lncli", &self.lncli, &fixed, args)
    }

    /// Runs a command and parses its JSON output.
    pub fn json(&self, args: &[&str]) -> Result<Value, RegtestError> {
        let out = self.run(args)?;
        serde_json::from_str(&out).map_err(|e| RegtestError::Output {
            command: format!("lncli {}", args.join(" ")),
            detail: format!("{e}: {}", out.chars().take(200).collect::<String>()),
        })
    }
}

/// A string field of a JSON answer.
pub fn str_field(v: &Value, field: &str, command: &str) -> Result<String, RegtestError> {
    v[field]
        .as_str()
        .map(String::from)
        .ok_or_else(|| RegtestError::Output {
            command: command.into(),
            detail: format!("no '{field}' in {v}"),
        })
}

/// A numeric field of a JSON answer (LND prints int64 fields as strings).
pub fn num_field(v: &Value, field: &str) -> u64 {
    match &v[field] {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    use bitcoin::base64::engine::general_purpose::STANDARD;
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    STANDARD.decode(body.trim()).ok()
}
