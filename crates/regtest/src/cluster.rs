//! One Lightning node served by several LND instances that share one
//! replicated database on etcd (Raft), as LND's clustering runs in
//! production: the instances campaign for the leadership on etcd; the leader
//! opens the database and serves, the others wait (their State service says
//! WAITING_TO_START) and one of them takes over when the leader's etcd
//! session expires.
//!
//! Layout under `DIR/cluster/`: `etcd-1…3/` (each member's data and log),
//! `lnd-1…3/` (each instance's lnddir, log and own TLS certificate),
//! `tls.cert` (the instances' certificates in one PEM bundle: what the
//! profile pins) and the admin macaroon the instances share (its root key
//! lives in the shared database, so it is valid at every instance).
//!
//! LND's etcd client of the leader election takes a single endpoint, so each
//! instance talks to "its" member (instance i to member i), as when each
//! host runs one LND and one etcd member.

use crate::bins::Binaries;
use crate::btcd::Btcd;
use crate::error::RegtestError;
use crate::etcd::{initial_cluster, Etcd, EtcdHealth, EtcdRecord};
use crate::lnd::{Lnd, LndRecord};
use crate::process::wait_for;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The clustered node's name (its profile's and in channel plans).
pub const CLUSTER_NODE: &str = "cluster";
/// LND instances serving it.
pub const INSTANCES: usize = 3;
/// etcd members (a majority, 2, must run).
pub const MEMBERS: usize = 3;
/// Ports the cluster takes: each member's client and peer port, each
/// instance's gRPC, REST and peer port.
pub const PORTS: usize = 2 * MEMBERS + 3 * INSTANCES;
/// The TTL of the leader's etcd session (`cluster.leader-session-ttl`),
/// seconds: how long a dead leader keeps the leadership. LND's default is
/// 90 s; etcd grants no lease under 1.5 s (its election timeout × 1.5).
pub const LEADER_SESSION_TTL: u32 = 3;

/// The states in which an instance serves (it holds the leadership).
const SERVING: [&str; 2] = ["RPC_ACTIVE", "SERVER_ACTIVE"];

/// What is persisted about the cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterRecord {
    /// The node's name.
    pub name: String,
    /// `DIR/cluster`.
    pub dir: PathBuf,
    /// The etcd members.
    pub etcd: Vec<EtcdRecord>,
    /// The LND instances.
    pub instances: Vec<LndRecord>,
}

/// One instance's line in the status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceStatus {
    /// cluster-1, …
    pub name: String,
    /// host:port of its gRPC interface.
    pub endpoint: String,
    /// The process runs.
    pub running: bool,
    /// Its State service's answer (WAITING_TO_START: a standby).
    pub state: Option<String>,
    /// It serves (holds the leadership).
    pub leader: bool,
}

/// `regtest status` of the cluster.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterStatus {
    /// The node's name.
    pub name: String,
    /// The instance that serves, if one does.
    pub leader: Option<String>,
    /// Every instance.
    pub instances: Vec<InstanceStatus>,
    /// Every etcd member.
    pub etcd: Vec<EtcdHealth>,
}

/// A running cluster.
#[derive(Debug)]
pub struct Cluster {
    /// The node's name.
    pub name: String,
    /// `DIR/cluster`.
    pub dir: PathBuf,
    /// The etcd members.
    pub etcd: Vec<Etcd>,
    /// The LND instances.
    pub instances: Vec<Lnd>,
}

/// Instance `i`'s cluster options: database on member `i`, leadership on etcd.
fn instance_args(id: &str, etcd_client_port: u16) -> Vec<String> {
    vec![
        "--db.backend=etcd".into(),
        format!("--db.etcd.host=127.0.0.1:{etcd_client_port}"),
        "--db.etcd.disabletls".into(),
        "--cluster.enable-leader-election".into(),
        "--cluster.leader-elector=etcd".into(),
        "--cluster.etcd-election-prefix=cluster-leader".into(),
        format!("--cluster.id={id}"),
        format!("--cluster.leader-session-ttl={LEADER_SESSION_TTL}"),
        // A leader that lost the leadership (its session expired while etcd
        // was out of its reach) shuts down: checked every 2 s, twice.
        "--healthcheck.leader.interval=2s".into(),
        "--healthcheck.leader.timeout=2s".into(),
        "--healthcheck.leader.backoff=1s".into(),
        "--healthcheck.leader.attempts=2".into(),
    ]
}

/// The index of `which` (a name, or a number from 1) among `names`.
fn by_name_or_number<'a>(
    which: &str,
    names: impl Iterator<Item = &'a str> + Clone,
) -> Result<usize, RegtestError> {
    let count = names.clone().count();
    let by_number = which.parse::<usize>().ok().and_then(|n| n.checked_sub(1));
    names
        .clone()
        .position(|n| n == which)
        .or(by_number.filter(|n| *n < count))
        .ok_or_else(|| RegtestError::UnknownNode {
            name: which.into(),
            known: names.collect::<Vec<_>>().join(", "),
        })
}

impl Cluster {
    /// Starts the members, then the first instance (it becomes the leader
    /// and creates the node's wallet), waits until it is synced, then the
    /// standbys. `ports`: [`PORTS`] of them. `on_spawn` runs after each
    /// daemon starts (the network records it). On error, what was started is
    /// stopped.
    pub fn start(
        bins: &Binaries,
        dir: &Path,
        ports: &[u16],
        btcd: &Btcd,
        on_spawn: &mut dyn FnMut(&Cluster) -> Result<(), RegtestError>,
    ) -> Result<Cluster, RegtestError> {
        if ports.len() != PORTS {
            return Err(RegtestError::BadRequest(format!(
                "a cluster needs {PORTS} ports"
            )));
        }
        let mut c = Cluster {
            name: CLUSTER_NODE.into(),
            dir: dir.to_path_buf(),
            etcd: Vec::new(),
            instances: Vec::new(),
        };
        match c.start_all(bins, ports, btcd, on_spawn) {
            Ok(()) => Ok(c),
            Err(e) => {
                c.down();
                Err(e)
            }
        }
    }

    fn start_all(
        &mut self,
        bins: &Binaries,
        ports: &[u16],
        btcd: &Btcd,
        on_spawn: &mut dyn FnMut(&Cluster) -> Result<(), RegtestError>,
    ) -> Result<(), RegtestError> {
        let (etcd_ports, lnd_ports) = ports.split_at(2 * MEMBERS);
        let peers: Vec<u16> = etcd_ports.iter().skip(1).step_by(2).copied().collect();
        let members = initial_cluster(&peers);
        for i in 0..MEMBERS {
            let name = format!("etcd-{}", i + 1);
            let e = Etcd::start(
                &bins.etcd,
                &name,
                &self.dir.join(&name),
                etcd_ports[2 * i],
                etcd_ports[2 * i + 1],
                &members,
            )?;
            self.etcd.push(e);
            on_spawn(self)?;
        }
        self.wait_members_healthy(Duration::from_secs(30))?;
        for i in 0..INSTANCES {
            let id = format!("{}-{}", self.name, i + 1);
            let p = &lnd_ports[3 * i..3 * i + 3];
            let lnd = Lnd::start_instance(
                &bins.lnd,
                &bins.lncli,
                &id,
                &self.dir.join(format!("lnd-{}", i + 1)),
                [p[0], p[1], p[2]],
                btcd,
                &self.dir,
                instance_args(&id, self.etcd[i].client_port),
            )?;
            self.instances.push(lnd);
            on_spawn(self)?;
            if i == 0 {
                // The first one alone: it wins the election, makes the
                // wallet (and the macaroon all share).
                self.wait_leader(Duration::from_secs(90))?;
                self.instances[0].wait_synced(Duration::from_secs(60))?;
            }
        }
        for i in 1..INSTANCES {
            let what = format!("{} to wait as a standby", self.instances[i].name);
            let inst = &mut self.instances[i];
            let cli = inst.cli_handle();
            wait_for(
                &what,
                Duration::from_secs(60),
                &mut [&mut inst.daemon],
                || {
                    let v = cli.json(&["state"]).ok()?;
                    (v["state"].as_str() == Some("WAITING_TO_START")).then_some(())
                },
            )?;
        }
        self.write_bundle()
    }

    /// The bundle of every instance's certificate, `DIR/cluster/tls.cert`.
    pub fn bundle_path(&self) -> PathBuf {
        self.dir.join("tls.cert")
    }

    fn write_bundle(&self) -> Result<(), RegtestError> {
        let mut pem = String::new();
        for l in &self.instances {
            let own = l.dir.join("tls.cert");
            pem.push_str(
                &std::fs::read_to_string(&own).map_err(RegtestError::io("cannot read", &own))?,
            );
        }
        let path = self.bundle_path();
        std::fs::write(&path, pem).map_err(RegtestError::io("cannot write", &path))
    }

    /// Waits until every member answers its health check (a quorum formed).
    pub fn wait_members_healthy(&mut self, timeout: Duration) -> Result<(), RegtestError> {
        let deadline = Instant::now() + timeout;
        loop {
            let health: Vec<EtcdHealth> = self.etcd.iter_mut().map(Etcd::health).collect();
            if health.iter().all(|h| h.healthy) {
                return Ok(());
            }
            for e in &mut self.etcd {
                if !e.daemon.is_alive() {
                    return Err(e.daemon.died());
                }
            }
            if Instant::now() > deadline {
                return Err(RegtestError::Timeout {
                    what: "the etcd members to form a cluster".into(),
                    seconds: timeout.as_secs(),
                    tail: health
                        .iter()
                        .map(|h| format!("{}: {:?}", h.name, h.reason))
                        .collect::<Vec<_>>()
                        .join("\n"),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A cluster another process started.
    pub fn attach(lncli: &Path, rec: &ClusterRecord) -> Cluster {
        Cluster {
            name: rec.name.clone(),
            dir: rec.dir.clone(),
            etcd: rec.etcd.iter().map(Etcd::attach).collect(),
            instances: rec
                .instances
                .iter()
                .map(|r| Lnd::attach(lncli, r))
                .collect(),
        }
    }

    /// What to persist.
    pub fn record(&self) -> ClusterRecord {
        ClusterRecord {
            name: self.name.clone(),
            dir: self.dir.clone(),
            etcd: self.etcd.iter().map(Etcd::record).collect(),
            instances: self.instances.iter().map(Lnd::record).collect(),
        }
    }

    /// The instances that serve now (one, or none during a failover; two
    /// would be a split brain).
    pub fn serving(&self) -> Vec<usize> {
        self.instances
            .iter()
            .enumerate()
            .filter(|(_, l)| l.state().is_some_and(|s| SERVING.contains(&s.as_str())))
            .map(|(i, _)| i)
            .collect()
    }

    /// The instance that serves, if exactly one does.
    pub fn leader(&self) -> Option<usize> {
        match self.serving().as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Waits until one instance serves and answers `getinfo`.
    pub fn wait_leader(&mut self, timeout: Duration) -> Result<usize, RegtestError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self.leader() {
                if self.instances[i].cli(&["getinfo"]).is_ok() {
                    return Ok(i);
                }
            }
            if self.instances.iter_mut().all(|l| !l.daemon.is_alive()) {
                return Err(RegtestError::BadRequest(format!(
                    "every instance of {} has stopped",
                    self.name
                )));
            }
            if Instant::now() > deadline {
                return Err(RegtestError::Timeout {
                    what: format!("an instance of {} to lead", self.name),
                    seconds: timeout.as_secs(),
                    tail: self
                        .instances
                        .iter()
                        .map(|l| format!("--- {} ---\n{}", l.name, l.daemon.tail(6)))
                        .collect::<Vec<_>>()
                        .join("\n"),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The instance by name (cluster-1…) or number (1…).
    pub fn instance_index(&self, which: &str) -> Result<usize, RegtestError> {
        by_name_or_number(which, self.instances.iter().map(|l| l.name.as_str()))
    }

    /// The member by name (etcd-1…) or number (1…).
    pub fn member_index(&self, which: &str) -> Result<usize, RegtestError> {
        by_name_or_number(which, self.etcd.iter().map(|e| e.name.as_str()))
    }

    /// Starts a stopped instance again (it campaigns, as a standby first).
    pub fn start_instance(&mut self, bins: &Binaries, i: usize) -> Result<(), RegtestError> {
        if self.instances[i].daemon.is_alive() {
            return Ok(());
        }
        let rec = self.instances[i].record();
        self.instances[i] = Lnd::restart(&bins.lnd, &bins.lncli, &rec)?;
        self.instances[i].wait_rpc_port(Duration::from_secs(60))
    }

    /// Starts a stopped member again (it catches up from the others).
    pub fn start_member(&mut self, bins: &Binaries, i: usize) -> Result<(), RegtestError> {
        if self.etcd[i].daemon.is_alive() {
            return Ok(());
        }
        let rec = self.etcd[i].record();
        self.etcd[i] = Etcd::restart(&bins.etcd, &rec)?;
        Ok(())
    }

    /// Every daemon runs.
    pub fn all_running(&mut self) -> bool {
        self.etcd.iter_mut().all(|e| e.daemon.is_alive())
            && self.instances.iter_mut().all(|l| l.daemon.is_alive())
    }

    /// PIDs of the members and instances.
    pub fn pids(&self) -> Vec<u32> {
        self.etcd
            .iter()
            .map(|e| e.daemon.pid())
            .chain(self.instances.iter().map(|l| l.daemon.pid()))
            .collect()
    }

    /// The status of every instance and member.
    pub fn status(&mut self) -> ClusterStatus {
        let serving = self.serving();
        let instances = self
            .instances
            .iter_mut()
            .enumerate()
            .map(|(i, l)| {
                let running = l.daemon.is_alive();
                InstanceStatus {
                    name: l.name.clone(),
                    endpoint: format!("127.0.0.1:{}", l.rpc_port),
                    running,
                    state: running.then(|| l.state()).flatten(),
                    leader: serving.contains(&i),
                }
            })
            .collect();
        ClusterStatus {
            name: self.name.clone(),
            leader: match serving.as_slice() {
                [one] => Some(self.instances[*one].name.clone()),
                _ => None,
            },
            instances,
            etcd: self.etcd.iter_mut().map(Etcd::health).collect(),
        }
    }

    /// Stops the instances (together), then the members.
    pub fn down(&mut self) {
        for l in &mut self.instances {
            l.daemon.terminate();
        }
        for l in &mut self.instances {
            l.daemon.stop(Duration::from_secs(20));
        }
        for e in &mut self.etcd {
            e.daemon.terminate();
        }
        for e in &mut self.etcd {
            e.daemon.stop(Duration::from_secs(10));
        }
    }
}
