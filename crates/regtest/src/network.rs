//! The whole network: start (fresh, reuse a running one, or resume a stopped
//! one), operate (mine, pay, restart a node), and stop. State lives in
//! `network.json` so another process can operate or stop the network.

use crate::bins::Binaries;
use crate::btcd::{Btcd, BtcdRecord};
use crate::cluster::{Cluster, ClusterRecord, ClusterStatus, CLUSTER_NODE};
use crate::error::RegtestError;
pub use crate::lnd::NodeProfile;
use crate::lnd::{num_field, str_field, Lncli, Lnd, LndRecord};
use crate::miner::Miner;
use crate::process::{free_ports, port_in_use, stop_strays, wait_for};
use bitcoin::{Address, Amount};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Node names, in order.
pub const NAMES: [&str; 8] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];
/// BIP9 activation of segwit and CSV on regtest needs 3 windows of 144 blocks.
const ACTIVATION_HEIGHT: u32 = 432;
/// Blocks mined at start: activation plus a margin; block 1's coinbase is mature.
const INITIAL_BLOCKS: u32 = ACTIVATION_HEIGHT + 8;
/// What each node's wallet gets: this many outputs of this many sats.
const FUNDING_OUTPUTS: usize = 4;
const FUNDING_SATS: u64 = 100_000_000;
const STATE_FILE: &str = "network.json";
const PROFILES_FILE: &str = "profiles.json";
const STATE_VERSION: u32 = 1;

/// One channel the network opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelPlan {
    /// Funder.
    pub from: String,
    /// Peer.
    pub to: String,
    /// Capacity in sats.
    pub capacity_sat: u64,
    /// Pushed to the peer, in sats.
    pub push_sat: u64,
    /// Announced to the network or not.
    pub private: bool,
}

/// The channels for `n` nodes: public alice→bob→carol→alice with pushed
/// balances, a private carol→bob, and a public chain onwards from carol.
pub fn channel_plan(n: usize) -> Vec<ChannelPlan> {
    let ch = |a: usize, b: usize, cap: u64, push: u64, private: bool| ChannelPlan {
        from: NAMES[a].into(),
        to: NAMES[b].into(),
        capacity_sat: cap,
        push_sat: push,
        private,
    };
    let mut plan = vec![
        ch(0, 1, 5_000_000, 1_500_000, false),
        ch(1, 2, 5_000_000, 1_500_000, false),
        ch(2, 0, 5_000_000, 1_500_000, false),
        ch(2, 1, 2_000_000, 500_000, true),
    ];
    for i in 3..n {
        plan.push(ch(i - 1, i, 5_000_000, 1_500_000, false));
    }
    plan
}

/// The clustered node's channels: it pays bob directly (as alice does, for
/// the benchmark's side-by-side) and is paid by carol.
pub fn cluster_channel_plan() -> Vec<ChannelPlan> {
    let ch = |from: &str, to: &str| ChannelPlan {
        from: from.into(),
        to: to.into(),
        capacity_sat: 5_000_000,
        push_sat: 1_500_000,
        private: false,
    };
    vec![ch(CLUSTER_NODE, NAMES[1]), ch(NAMES[2], CLUSTER_NODE)]
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    version: u32,
    /// False while `up` is still starting things: the daemons listed are
    /// recorded from the moment they are spawned, so an interrupted `up`
    /// leaves nothing untracked.
    #[serde(default)]
    complete: bool,
    created_unix: u64,
    btcd: BtcdRecord,
    nodes: Vec<LndRecord>,
    channels: Vec<ChannelPlan>,
    /// The clustered node (`up --cluster`).
    #[serde(default)]
    cluster: Option<ClusterRecord>,
}

/// How `up` should be done.
#[derive(Debug, Clone)]
pub struct NetworkOptions {
    /// The data directory of the network.
    pub dir: PathBuf,
    /// How many LND nodes (3 to 8).
    pub nodes: usize,
    /// Start from scratch even if the directory holds a network.
    pub fresh: bool,
    /// What dropping the [`Network`] does.
    pub on_drop: OnDrop,
    /// The daemon binaries (default: [`Binaries::locate`]).
    pub bins: Option<Binaries>,
    /// Also a node served by an LND cluster on etcd (see [`crate::cluster`]).
    pub cluster: bool,
}

/// What dropping a [`Network`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDrop {
    /// Nothing: the daemons keep running (the CLI's `up`).
    KeepRunning,
    /// Stop every daemon.
    Stop,
    /// Stop every daemon and remove the directory (tests).
    StopAndRemove,
}

impl NetworkOptions {
    /// A network in `dir` with 3 nodes that keeps running after the handle is dropped.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        NetworkOptions {
            dir: dir.into(),
            nodes: 3,
            fresh: false,
            on_drop: OnDrop::KeepRunning,
            bins: None,
            cluster: false,
        }
    }

    /// A fresh network in a new temporary directory, stopped and removed when
    /// dropped: what each integration test file uses.
    pub fn temp(label: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "switchyard-regtest-{label}-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        NetworkOptions {
            dir,
            nodes: 3,
            fresh: true,
            on_drop: OnDrop::StopAndRemove,
            bins: None,
            cluster: false,
        }
    }
}

/// How `up` found the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartKind {
    /// Created from scratch.
    Created,
    /// A network was already running there.
    Reused,
    /// btcd was running but some LND nodes were not; they were restarted.
    Resumed,
    /// The network there was stopped. btcd deletes its regtest chain when it
    /// starts, so a stopped network cannot be resumed: it was started afresh.
    Recreated,
}

/// A payment's outcome, as `regtest pay` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentReport {
    /// Payer.
    pub from: String,
    /// Payee.
    pub to: String,
    /// Amount in sats.
    pub amount_sat: u64,
    /// Routing fee paid, in msat.
    pub fee_msat: u64,
    /// The route's hops by node alias/pubkey.
    pub hops: Vec<String>,
    /// Payment hash (hex).
    pub payment_hash: String,
}

/// One node's line in `regtest status`.
#[derive(Debug, Clone, Serialize)]
pub struct NodeStatus {
    /// Name.
    pub name: String,
    /// Process running.
    pub running: bool,
    /// Public key, when it answers.
    pub pubkey: Option<String>,
    /// Active channels.
    pub active_channels: u64,
    /// Confirmed on-chain balance, sats.
    pub onchain_sat: u64,
    /// Sum of local channel balances, sats.
    pub channel_local_sat: u64,
    /// Block height the node is synced to.
    pub block_height: u64,
}

/// `regtest status`.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkStatus {
    /// The directory.
    pub dir: PathBuf,
    /// btcd running.
    pub btcd_running: bool,
    /// Chain height.
    pub height: Option<u64>,
    /// Per node (the clustered one through its leader).
    pub nodes: Vec<NodeStatus>,
    /// The cluster's instances and etcd members.
    pub cluster: Option<ClusterStatus>,
}

/// A running regtest network.
pub struct Network {
    dir: PathBuf,
    bins: Binaries,
    /// The chain backend.
    pub btcd: Btcd,
    /// The LND nodes, in `NAMES` order.
    pub nodes: Vec<Lnd>,
    /// The node an LND cluster serves (`up --cluster`).
    pub cluster: Option<Cluster>,
    channels: Vec<ChannelPlan>,
    created_unix: u64,
    on_drop: OnDrop,
    complete: bool,
    /// How `up` found the directory.
    pub start_kind: StartKind,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("dir", &self.dir)
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn read_state(dir: &Path) -> Result<Option<State>, RegtestError> {
    let path = dir.join(STATE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(RegtestError::io("cannot read", &path)(e)),
    };
    let state: State = serde_json::from_str(&text).map_err(|e| RegtestError::DataDir {
        dir: dir.to_path_buf(),
        reason: format!("{STATE_FILE} is damaged ({e}); start over with --fresh"),
    })?;
    if state.version != STATE_VERSION {
        return Err(RegtestError::DataDir {
            dir: dir.to_path_buf(),
            reason: "it was made by another version of Switchyard; start over with --fresh".into(),
        });
    }
    Ok(Some(state))
}

impl Network {
    /// Starts a network per `opts`: reuses a running one, resumes a stopped
    /// one, or creates one (always creates with `fresh`).
    pub fn up(opts: NetworkOptions) -> Result<Network, RegtestError> {
        if !(3..=NAMES.len()).contains(&opts.nodes) {
            return Err(RegtestError::BadRequest(format!(
                "A regtest network has 3 to {} nodes, not {}.",
                NAMES.len(),
                opts.nodes
            )));
        }
        let bins = match &opts.bins {
            Some(b) => b.clone(),
            None => Binaries::locate()?,
        };
        if opts.fresh && opts.dir.exists() {
            if let Ok(mut running) = Network::attach_with(&opts.dir, bins.clone()) {
                running.on_drop = OnDrop::Stop;
                drop(running);
            }
            std::fs::remove_dir_all(&opts.dir)
                .map_err(RegtestError::io("cannot remove", &opts.dir))?;
        }
        if let Some(state) = read_state(&opts.dir)? {
            if opts.cluster && state.cluster.is_none() && state.complete {
                return Err(RegtestError::DataDir {
                    dir: opts.dir.clone(),
                    reason: "its network has no LND cluster; start over with --cluster --fresh"
                        .into(),
                });
            }
            let mut net = Network::from_state(&opts.dir, bins.clone(), state, opts.on_drop);
            if net.complete && net.all_running() {
                net.start_kind = StartKind::Reused;
                return Ok(net);
            }
            if net.complete && net.btcd.daemon.is_alive() {
                net.resume_nodes()?;
                return Ok(net);
            }
            // Either an earlier `up` was interrupted, or btcd is gone: btcd
            // removes its regtest database on start ("Removing regression test
            // database"), so the nodes' view of the chain cannot be restored.
            return Network::start_over(net, &opts, bins);
        }
        if opts.dir.exists()
            && std::fs::read_dir(&opts.dir)
                .map(|mut d| d.next().is_some())
                .unwrap_or(false)
        {
            return Err(RegtestError::DataDir {
                dir: opts.dir.clone(),
                reason: format!("it holds files but no {STATE_FILE}; choose an empty directory"),
            });
        }
        Network::create(&opts, bins)
    }

    /// Stops what `old` still runs, removes its directory, and creates a new network.
    fn start_over(
        mut old: Network,
        opts: &NetworkOptions,
        bins: Binaries,
    ) -> Result<Network, RegtestError> {
        tracing::warn!(dir = %opts.dir.display(), "the network there is stopped or never finished starting; starting afresh");
        old.on_drop = OnDrop::Stop;
        drop(old);
        stop_strays(&opts.dir, Duration::from_secs(20));
        std::fs::remove_dir_all(&opts.dir).map_err(RegtestError::io("cannot remove", &opts.dir))?;
        let mut net = Network::create(opts, bins)?;
        net.start_kind = StartKind::Recreated;
        Ok(net)
    }

    /// The network running in `dir` (started by another process).
    pub fn attach(dir: &Path) -> Result<Network, RegtestError> {
        Network::attach_with(dir, Binaries::locate()?)
    }

    fn attach_with(dir: &Path, bins: Binaries) -> Result<Network, RegtestError> {
        let state = read_state(dir)?.ok_or_else(|| RegtestError::NotRunning {
            dir: dir.to_path_buf(),
        })?;
        let mut net = Network::from_state(dir, bins, state, OnDrop::KeepRunning);
        net.start_kind = StartKind::Reused;
        Ok(net)
    }

    fn from_state(dir: &Path, bins: Binaries, state: State, on_drop: OnDrop) -> Network {
        Network {
            dir: dir.to_path_buf(),
            btcd: Btcd::attach(&bins.btcctl, &state.btcd),
            nodes: state
                .nodes
                .iter()
                .map(|n| Lnd::attach(&bins.lncli, n))
                .collect(),
            cluster: state
                .cluster
                .as_ref()
                .map(|c| Cluster::attach(&bins.lncli, c)),
            bins,
            channels: state.channels,
            created_unix: state.created_unix,
            on_drop,
            complete: state.complete,
            start_kind: StartKind::Reused,
        }
    }

    fn create(opts: &NetworkOptions, bins: Binaries) -> Result<Network, RegtestError> {
        let started = Instant::now();
        std::fs::create_dir_all(&opts.dir).map_err(RegtestError::io("cannot create", &opts.dir))?;
        let miner = Miner::load_or_create(&opts.dir.join("miner.key"))?;
        let cluster_ports = if opts.cluster {
            crate::cluster::PORTS
        } else {
            0
        };
        let ports = free_ports(2 + 3 * opts.nodes + cluster_ports)?;
        let btcd = Btcd::start(
            &bins.btcd,
            &bins.btcctl,
            &opts.dir.join("btcd"),
            ports[0],
            ports[1],
            &miner.address.to_string(),
        )?;
        // From here on, dropping `net` (on any error) stops what was started.
        let mut net = Network {
            dir: opts.dir.clone(),
            bins,
            btcd,
            nodes: Vec::new(),
            cluster: None,
            channels: channel_plan(opts.nodes),
            created_unix: unix_now(),
            complete: false,
            on_drop: match opts.on_drop {
                OnDrop::KeepRunning => OnDrop::Stop,
                other => other,
            },
            start_kind: StartKind::Created,
        };
        net.save_state()?;
        let hashes = net.btcd.generate(INITIAL_BLOCKS)?;
        tracing::info!(
            blocks = INITIAL_BLOCKS,
            secs = started.elapsed().as_secs_f32(),
            "mined past activation"
        );

        for (i, name) in NAMES.iter().take(opts.nodes).enumerate() {
            let p = &ports[2 + 3 * i..5 + 3 * i];
            let node = Lnd::start(
                &net.bins.lnd,
                &net.bins.lncli,
                name,
                &opts.dir.join(name),
                [p[0], p[1], p[2]],
                &net.btcd,
            )?;
            net.nodes.push(node);
            net.save_state()?;
        }
        for node in &mut net.nodes {
            node.wait_synced(Duration::from_secs(60))?;
        }
        if opts.cluster {
            let from = 2 + 3 * opts.nodes;
            let dir = opts.dir.join("cluster");
            let bins = net.bins.clone();
            let mut record = |c: &Cluster| net.write_state(Some(c.record()));
            let cluster = Cluster::start(
                &bins,
                &dir,
                &ports[from..from + cluster_ports],
                &net.btcd,
                &mut record,
            )?;
            net.cluster = Some(cluster);
            net.channels.extend(cluster_channel_plan());
            net.save_state()?;
        }
        tracing::info!(secs = started.elapsed().as_secs_f32(), "nodes synced");

        net.fund_nodes(&miner, &hashes[0])?;
        tracing::info!(secs = started.elapsed().as_secs_f32(), "nodes funded");
        net.open_channels()?;
        tracing::info!(
            secs = started.elapsed().as_secs_f32(),
            "channels open and announced"
        );
        net.complete = true;
        net.save()?;
        net.on_drop = opts.on_drop;
        Ok(net)
    }

    /// Restarts the LND nodes that are not running, against the running btcd.
    /// On failure, stops the nodes it restarted and leaves the rest as it was.
    fn resume_nodes(&mut self) -> Result<(), RegtestError> {
        let mut restarted = Vec::new();
        let result = self.restart_dead_nodes(&mut restarted);
        if result.is_err() {
            for i in restarted {
                self.nodes[i].daemon.stop(Duration::from_secs(20));
            }
            return result;
        }
        self.save()?;
        self.start_kind = StartKind::Resumed;
        Ok(())
    }

    fn restart_dead_nodes(&mut self, restarted: &mut Vec<usize>) -> Result<(), RegtestError> {
        for i in 0..self.nodes.len() {
            if self.nodes[i].daemon.is_alive() {
                continue;
            }
            let n = &self.nodes[i];
            if let Some(p) = [n.rpc_port, n.rest_port, n.p2p_port]
                .into_iter()
                .find(|p| port_in_use(*p))
            {
                return Err(RegtestError::DataDir {
                    dir: self.dir.clone(),
                    reason: format!(
                        "{} is stopped and port {p} it used is now taken by another program; free the port or start over with --fresh",
                        n.name
                    ),
                });
            }
            let rec = n.record();
            self.nodes[i] = Lnd::restart(&self.bins.lnd, &self.bins.lncli, &rec)?;
            restarted.push(i);
        }
        for &i in restarted.iter() {
            self.nodes[i].wait_synced(Duration::from_secs(60))?;
        }
        if let Some(c) = &mut self.cluster {
            for i in 0..c.etcd.len() {
                c.start_member(&self.bins, i)?;
            }
            c.wait_members_healthy(Duration::from_secs(30))?;
            for i in 0..c.instances.len() {
                c.start_instance(&self.bins, i)?;
            }
            c.wait_leader(Duration::from_secs(90))?;
        }
        Ok(())
    }

    fn all_running(&mut self) -> bool {
        self.btcd.daemon.is_alive()
            && self.nodes.iter_mut().all(|n| n.daemon.is_alive())
            && self.cluster.as_mut().is_none_or(Cluster::all_running)
    }

    /// Writes `network.json`: every daemon's PID, start time and ports.
    fn save_state(&self) -> Result<(), RegtestError> {
        self.write_state(self.cluster.as_ref().map(Cluster::record))
    }

    fn write_state(&self, cluster: Option<ClusterRecord>) -> Result<(), RegtestError> {
        let state = State {
            version: STATE_VERSION,
            complete: self.complete,
            created_unix: self.created_unix,
            btcd: self.btcd.record(),
            nodes: self.nodes.iter().map(Lnd::record).collect(),
            channels: self.channels.clone(),
            cluster,
        };
        write_json(&self.dir.join(STATE_FILE), &state)
    }

    /// Writes `network.json` and `profiles.json`.
    fn save(&self) -> Result<(), RegtestError> {
        self.save_state()?;
        let profiles = self.profiles()?;
        write_json(&self.dir.join(PROFILES_FILE), &profiles)
    }

    /// The network's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the connection profiles are written (the app reads them there).
    pub fn profiles_path(&self) -> PathBuf {
        self.dir.join(PROFILES_FILE)
    }

    /// Every node's connection profile.
    pub fn profiles(&self) -> Result<Vec<NodeProfile>, RegtestError> {
        let mut all: Vec<NodeProfile> = self
            .nodes
            .iter()
            .map(Lnd::profile)
            .collect::<Result<_, _>>()?;
        if let Some(c) = &self.cluster {
            let leader = self.leader_of(c)?;
            let mut p = leader.profile()?;
            p.name = c.name.clone();
            p.tls_cert_path = c.bundle_path();
            p.endpoints = c
                .instances
                .iter()
                .map(|l| format!("127.0.0.1:{}", l.rpc_port))
                .collect();
            p.etcd_endpoints = c.etcd.iter().map(|e| e.client_endpoint()).collect();
            all.push(p);
        }
        Ok(all)
    }

    fn leader_of<'a>(&self, c: &'a Cluster) -> Result<&'a Lnd, RegtestError> {
        c.leader().map(|i| &c.instances[i]).ok_or_else(|| {
            RegtestError::BadRequest(format!(
                "No instance of {} serves now (a failover, or its etcd cluster has lost its quorum); `switchyard regtest status` shows each instance and member.",
                c.name
            ))
        })
    }

    /// The nodes that serve, by name: the standalone ones and the cluster's leader.
    fn serving(&self) -> Vec<(String, &Lnd)> {
        let mut v: Vec<(String, &Lnd)> = self.nodes.iter().map(|n| (n.name.clone(), n)).collect();
        if let Some(c) = &self.cluster {
            if let Some(i) = c.leader() {
                v.push((c.name.clone(), &c.instances[i]));
            }
        }
        v
    }

    /// [`Network::serving`], mutable (to watch the daemons while waiting).
    fn serving_mut(&mut self) -> Vec<(String, &mut Lnd)> {
        let leader = self.cluster.as_ref().and_then(|c| c.leader());
        let cluster = self
            .cluster
            .as_mut()
            .and_then(|c| Some((c.name.clone(), c.instances.get_mut(leader?)?)));
        self.nodes
            .iter_mut()
            .map(|n| (n.name.clone(), n))
            .chain(cluster)
            .collect()
    }

    /// The cluster, when the network has one.
    pub fn cluster_mut(&mut self) -> Result<&mut Cluster, RegtestError> {
        self.cluster.as_mut().ok_or_else(|| {
            RegtestError::BadRequest(
                "This network has no LND cluster; start one with `switchyard regtest up --cluster --fresh`.".into(),
            )
        })
    }

    /// SIGKILLs the cluster's serving instance; returns its name.
    pub fn kill_leader(&mut self) -> Result<String, RegtestError> {
        let c = self.cluster_mut()?;
        let i = c.leader().ok_or_else(|| {
            RegtestError::BadRequest("No instance of the cluster serves now.".into())
        })?;
        c.instances[i].daemon.kill();
        Ok(c.instances[i].name.clone())
    }

    /// Starts a stopped cluster instance again (by name or number).
    pub fn start_instance(&mut self, which: &str) -> Result<(), RegtestError> {
        let bins = self.bins.clone();
        let c = self.cluster_mut()?;
        let i = c.instance_index(which)?;
        c.start_instance(&bins, i)?;
        self.save_state()
    }

    /// SIGKILLs an etcd member (by name or number).
    pub fn kill_member(&mut self, which: &str) -> Result<(), RegtestError> {
        let c = self.cluster_mut()?;
        let i = c.member_index(which)?;
        c.etcd[i].daemon.kill();
        Ok(())
    }

    /// Starts a stopped etcd member again (by name or number).
    pub fn start_member(&mut self, which: &str) -> Result<(), RegtestError> {
        let bins = self.bins.clone();
        let c = self.cluster_mut()?;
        let i = c.member_index(which)?;
        c.start_member(&bins, i)?;
        self.save_state()
    }

    /// The planned channels.
    pub fn channels(&self) -> &[ChannelPlan] {
        &self.channels
    }

    /// What dropping this handle does from now on.
    pub fn set_on_drop(&mut self, on_drop: OnDrop) {
        self.on_drop = on_drop;
    }

    /// A node by name.
    pub fn node(&self, name: &str) -> Result<&Lnd, RegtestError> {
        if let Some(c) = self.cluster.as_ref().filter(|c| c.name == name) {
            return self.leader_of(c);
        }
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| self.unknown(name))
    }

    fn node_index(&self, name: &str) -> Result<usize, RegtestError> {
        if self.cluster.as_ref().is_some_and(|c| c.name == name) {
            return Err(RegtestError::BadRequest(format!(
                "{name} is served by a cluster: stop or start its instances and etcd members with `switchyard regtest cluster`."
            )));
        }
        self.nodes
            .iter()
            .position(|n| n.name == name)
            .ok_or_else(|| self.unknown(name))
    }

    fn unknown(&self, name: &str) -> RegtestError {
        RegtestError::UnknownNode {
            name: name.to_string(),
            known: self
                .nodes
                .iter()
                .map(|n| n.name.as_str())
                .chain(self.cluster.as_ref().map(|c| c.name.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// Waits, node by node, until `check` holds for each; fails early if a
    /// node dies. Stopped nodes are skipped when `skip_stopped`.
    fn wait_each(
        &mut self,
        what: impl Fn(&str) -> String,
        timeout: Duration,
        skip_stopped: bool,
        check: impl Fn(&str, &Lncli) -> bool,
    ) -> Result<(), RegtestError> {
        for (name, node) in self.serving_mut() {
            if skip_stopped && !node.daemon.is_alive() {
                continue;
            }
            let cli = node.cli_handle();
            wait_for(&what(&name), timeout, &mut [&mut node.daemon], || {
                check(&name, &cli).then_some(())
            })?;
        }
        Ok(())
    }

    fn fund_nodes(&mut self, miner: &Miner, first_block: &str) -> Result<(), RegtestError> {
        let (coinbase, value) = self.btcd.coinbase(first_block)?;
        let mut outputs = Vec::new();
        for (_, node) in self.serving() {
            for _ in 0..FUNDING_OUTPUTS {
                let addr = Address::from_str(&node.new_address()?)
                    .map_err(|e| RegtestError::Output {
                        command: "lncli newaddress".into(),
                        detail: e.to_string(),
                    })?
                    .assume_checked();
                outputs.push((addr, Amount::from_sat(FUNDING_SATS)));
            }
        }
        let tx = miner.pay_from_coinbase(
            &coinbase,
            Amount::from_sat(value),
            &outputs,
            Amount::from_sat(20_000),
        )?;
        self.btcd
            .send_raw(&bitcoin::consensus::encode::serialize_hex(&tx))?;
        self.mine(1)?;
        let want = FUNDING_SATS * FUNDING_OUTPUTS as u64;
        self.wait_each(
            |n| format!("{n}'s wallet to see its funding"),
            Duration::from_secs(30),
            false,
            |_, cli| {
                cli.json(&["walletbalance"])
                    .is_ok_and(|b| num_field(&b, "confirmed_balance") >= want)
            },
        )?;
        Ok(())
    }

    fn open_channels(&mut self) -> Result<(), RegtestError> {
        let plan = self.channels.clone();
        for ch in &plan {
            let from = self.node(&ch.from)?;
            let to = self.node(&ch.to)?;
            let to_profile = to.profile()?;
            let to_pubkey = to_profile.pubkey.clone();
            match from.cli(&["connect", &to_profile.p2p_uri]) {
                Ok(_) => {}
                Err(RegtestError::Command { stderr, .. })
                    if stderr.contains("already connected") => {}
                Err(e) => return Err(e),
            }
            let cap = ch.capacity_sat.to_string();
            let push = ch.push_sat.to_string();
            let mut args = vec![
                "openchannel",
                "--node_key",
                &to_pubkey,
                "--local_amt",
                &cap,
                "--push_amt",
                &push,
            ];
            if ch.private {
                args.push("--private");
            }
            // The peer may need a moment after connecting before it accepts.
            let cli = from.cli_handle();
            let mut attempts = 0;
            loop {
                match cli.json(&args) {
                    Ok(_) => break,
                    Err(RegtestError::Command { stderr, .. })
                        if attempts < 20
                            && (stderr.contains("not connected")
                                || stderr.contains("not found")
                                || stderr.contains("is not online")
                                || stderr.contains("synced")) =>
                    {
                        attempts += 1;
                        std::thread::sleep(Duration::from_millis(250));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        // Six confirmations make public channels announceable.
        self.mine(6)?;
        let public = plan.iter().filter(|c| !c.private).count();
        let expected = |name: &str| {
            plan.iter()
                .filter(|c| c.from == name || c.to == name)
                .count()
        };
        self.wait_each(
            |n| format!("{n}'s {} channels to be active", expected(n)),
            Duration::from_secs(60),
            false,
            |n, cli| {
                cli.json(&["listchannels", "--active_only"]).is_ok_and(|v| {
                    v["channels"]
                        .as_array()
                        .is_some_and(|c| c.len() >= expected(n))
                })
            },
        )?;
        let n_nodes = self.nodes.len();
        self.wait_each(
            |n| format!("{n} to see all {public} public channels and {n_nodes} nodes in its graph"),
            Duration::from_secs(90),
            false,
            |_, cli| {
                let Ok(g) = cli.json(&["describegraph"]) else {
                    return false;
                };
                let complete = g["edges"].as_array().map_or(0, |edges| {
                    edges
                        .iter()
                        .filter(|e| !e["node1_policy"].is_null() && !e["node2_policy"].is_null())
                        .count()
                });
                complete >= public && g["nodes"].as_array().is_some_and(|n| n.len() >= n_nodes)
            },
        )?;
        Ok(())
    }

    /// Mines `n` blocks and waits until every node has seen them.
    pub fn mine(&mut self, n: u32) -> Result<u64, RegtestError> {
        if n == 0 || n > 10_000 {
            return Err(RegtestError::BadRequest(
                "Mine 1 to 10000 blocks at a time.".into(),
            ));
        }
        self.btcd.generate(n)?;
        let height = self.btcd.height()?;
        self.wait_each(
            |n| format!("{n} to reach height {height}"),
            Duration::from_secs(30),
            true,
            |_, cli| {
                cli.json(&["getinfo"]).is_ok_and(|info| {
                    num_field(&info, "block_height") >= height
                        && info["synced_to_chain"].as_bool() == Some(true)
                })
            },
        )?;
        Ok(height)
    }

    /// `to` invoices `amount_sat`, `from` pays it; returns what happened.
    pub fn pay(
        &self,
        from: &str,
        to: &str,
        amount_sat: u64,
    ) -> Result<PaymentReport, RegtestError> {
        self.pay_via(from, to, amount_sat, None)
    }

    /// Like [`Network::pay`], with the first hop forced through `via` (one
    /// part, no multi-path split), e.g. alice → carol through bob.
    pub fn pay_via(
        &self,
        from: &str,
        to: &str,
        amount_sat: u64,
        via: Option<&str>,
    ) -> Result<PaymentReport, RegtestError> {
        if amount_sat == 0 {
            return Err(RegtestError::BadRequest("Pay at least 1 sat.".into()));
        }
        if from == to {
            return Err(RegtestError::BadRequest(
                "Payer and payee must be different nodes.".into(),
            ));
        }
        let payer = self.node(from)?;
        let payee = self.node(to)?;
        let inv = payee.cli(&[
            "addinvoice",
            "--amt",
            &amount_sat.to_string(),
            "--memo",
            "switchyard regtest pay",
        ])?;
        let request = str_field(&inv, "payment_request", "lncli addinvoice")?;
        let mut args = vec!["payinvoice", "--force", "--json", "--timeout", "60s"];
        let chan_id;
        if let Some(via) = via {
            let via_pk = self.node(via)?.pubkey().map_err(|_| {
                RegtestError::BadRequest(format!(
                    "{via} is not answering (is it running? `switchyard regtest status` tells)."
                ))
            })?;
            let chans = payer.cli(&["listchannels", "--active_only", "--peer", &via_pk])?;
            chan_id = chans["channels"]
                .as_array()
                .and_then(|c| c.first())
                // lncli >= 0.20 prints `chan_id` as the 32-byte channel ID; the
                // numeric short channel ID that --outgoing_chan_id takes is `scid`.
                .and_then(|c| c["scid"].as_str())
                .map(String::from)
                .ok_or_else(|| {
                    RegtestError::BadRequest(format!("{from} has no active channel with {via}."))
                })?;
            args.extend(["--outgoing_chan_id", chan_id.as_str(), "--max_parts", "1"]);
        }
        args.push(&request);
        let paid = payer.cli(&args)?;
        let status = paid["status"].as_str().unwrap_or("");
        if status != "SUCCEEDED" {
            return Err(RegtestError::Command {
                command: format!("lncli payinvoice (from {from} to {to}, {amount_sat} sat)"),
                stderr: format!(
                    "payment {}: {}",
                    status.to_lowercase(),
                    paid["failure_reason"].as_str().unwrap_or("no reason given")
                ),
            });
        }
        let route = paid["htlcs"]
            .as_array()
            .and_then(|h| h.iter().find(|h| h["status"] == "SUCCEEDED"))
            .map(|h| h["route"].clone())
            .unwrap_or(Value::Null);
        let names: std::collections::HashMap<String, String> = self
            .serving()
            .into_iter()
            .filter_map(|(name, n)| Some((n.pubkey().ok()?, name)))
            .collect();
        let hops = route["hops"]
            .as_array()
            .map(|hs| {
                hs.iter()
                    .map(|h| {
                        let pk = h["pub_key"].as_str().unwrap_or("?");
                        names.get(pk).cloned().unwrap_or_else(|| pk.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(PaymentReport {
            from: from.into(),
            to: to.into(),
            amount_sat,
            fee_msat: num_field(&paid, "fee_msat"),
            hops,
            payment_hash: paid["payment_hash"].as_str().unwrap_or("").to_string(),
        })
    }

    /// Stops one node (SIGTERM, as a user would).
    pub fn stop_node(&mut self, name: &str) -> Result<(), RegtestError> {
        let i = self.node_index(name)?;
        self.nodes[i].daemon.stop(Duration::from_secs(20));
        Ok(())
    }

    /// Starts a stopped node again with its recorded settings and waits until it is synced.
    pub fn start_node(&mut self, name: &str) -> Result<(), RegtestError> {
        let i = self.node_index(name)?;
        if self.nodes[i].daemon.is_alive() {
            return Ok(());
        }
        let rec = self.nodes[i].record();
        self.nodes[i] = Lnd::restart(&self.bins.lnd, &self.bins.lncli, &rec)?;
        self.nodes[i].wait_synced(Duration::from_secs(60))?;
        self.save()
    }

    /// PIDs of every daemon (for tests that check nothing is left behind).
    pub fn pids(&self) -> Vec<u32> {
        std::iter::once(self.btcd.daemon.pid())
            .chain(self.nodes.iter().map(|n| n.daemon.pid()))
            .chain(self.cluster.iter().flat_map(Cluster::pids))
            .collect()
    }

    /// Status of every daemon.
    pub fn status(&mut self) -> NetworkStatus {
        let btcd_running = self.btcd.daemon.is_alive();
        let height = if btcd_running {
            self.btcd.height().ok()
        } else {
            None
        };
        let nodes = self
            .serving_mut()
            .into_iter()
            .map(|(name, n)| {
                let running = n.daemon.is_alive();
                let info = running.then(|| n.cli(&["getinfo"]).ok()).flatten();
                let wallet = running.then(|| n.cli(&["walletbalance"]).ok()).flatten();
                let chans = running.then(|| n.cli(&["channelbalance"]).ok()).flatten();
                NodeStatus {
                    name,
                    running,
                    pubkey: info
                        .as_ref()
                        .and_then(|i| i["identity_pubkey"].as_str().map(String::from)),
                    active_channels: info
                        .as_ref()
                        .map(|i| num_field(i, "num_active_channels"))
                        .unwrap_or(0),
                    block_height: info
                        .as_ref()
                        .map(|i| num_field(i, "block_height"))
                        .unwrap_or(0),
                    onchain_sat: wallet
                        .as_ref()
                        .map(|w| num_field(w, "confirmed_balance"))
                        .unwrap_or(0),
                    channel_local_sat: chans
                        .as_ref()
                        .map(|c| num_field(&c["local_balance"], "sat"))
                        .unwrap_or(0),
                }
            })
            .collect();
        NetworkStatus {
            dir: self.dir.clone(),
            btcd_running,
            height,
            nodes,
            cluster: self.cluster.as_mut().map(Cluster::status),
        }
    }

    /// Stops every daemon: the nodes together first (they need btcd to shut
    /// down cleanly), then btcd.
    pub fn down(&mut self) {
        for n in &mut self.nodes {
            n.daemon.terminate();
        }
        for n in &mut self.nodes {
            n.daemon.stop(Duration::from_secs(20));
        }
        if let Some(c) = &mut self.cluster {
            c.down();
        }
        self.btcd.daemon.stop(Duration::from_secs(10));
        stop_strays(&self.dir, Duration::from_secs(20));
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        match self.on_drop {
            OnDrop::KeepRunning => {}
            OnDrop::Stop => self.down(),
            OnDrop::StopAndRemove => {
                self.down();
                let _ = std::fs::remove_dir_all(&self.dir);
            }
        }
    }
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), RegtestError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| RegtestError::Output {
        command: "encode".into(),
        detail: e.to_string(),
    })?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(RegtestError::io("cannot write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(RegtestError::io("cannot write", path))
}
