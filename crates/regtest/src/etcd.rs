//! One member of the etcd cluster that holds a clustered LND's database
//! (Raft: a majority of the members must be up for anything to be read or
//! written). Plain HTTP on loopback; each member's data survives a restart,
//! so a member that comes back catches up from the others.

use crate::error::RegtestError;
use crate::process::{Daemon, DaemonRecord};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What is persisted about a member.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EtcdRecord {
    /// The process.
    pub daemon: DaemonRecord,
    /// etcd-1, etcd-2, …
    pub name: String,
    /// Its directory (data and log).
    pub dir: PathBuf,
    /// Client port (what LND connects to).
    pub client_port: u16,
    /// Peer port (Raft between members).
    pub peer_port: u16,
    /// `name=http://127.0.0.1:peer,…` for every member.
    pub initial_cluster: String,
}

/// A member's health, from its `/health` endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EtcdHealth {
    /// etcd-1, …
    pub name: String,
    /// The process runs.
    pub running: bool,
    /// The member answers and has a Raft leader (a quorum).
    pub healthy: bool,
    /// etcd's reason when unhealthy ("RAFT NO LEADER"), or why it could not be asked.
    pub reason: Option<String>,
    /// The revision of the member's key-value store (equal on members that
    /// are caught up), when it answers.
    pub revision: Option<u64>,
    /// It is the Raft leader of the members.
    pub raft_leader: bool,
}

/// A running member.
#[derive(Debug)]
pub struct Etcd {
    /// The process.
    pub daemon: Daemon,
    /// etcd-1, …
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// Client port.
    pub client_port: u16,
    /// Peer port.
    pub peer_port: u16,
    initial_cluster: String,
}

/// `name=http://127.0.0.1:port,…` for members named etcd-1… on `peer_ports`.
pub fn initial_cluster(peer_ports: &[u16]) -> String {
    peer_ports
        .iter()
        .enumerate()
        .map(|(i, p)| format!("etcd-{}=http://127.0.0.1:{p}", i + 1))
        .collect::<Vec<_>>()
        .join(",")
}

impl Etcd {
    fn args(&self) -> Vec<String> {
        let client = format!("http://127.0.0.1:{}", self.client_port);
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        vec![
            format!("--name={}", self.name),
            format!("--data-dir={}", self.dir.join("data").display()),
            format!("--listen-client-urls={client}"),
            format!("--advertise-client-urls={client}"),
            format!("--listen-peer-urls={peer}"),
            format!("--initial-advertise-peer-urls={peer}"),
            format!("--initial-cluster={}", self.initial_cluster),
            // Ignored once the data directory exists (a restarted member).
            "--initial-cluster-state=new".into(),
            "--initial-cluster-token=switchyard-regtest".into(),
            // etcd's defaults: a 100 ms heartbeat, a leader elected within 1 s.
            "--heartbeat-interval=100".into(),
            "--election-timeout=1000".into(),
            // What LND's etcd documentation asks for (large transactions).
            "--max-txn-ops=16384".into(),
            "--max-request-bytes=104857600".into(),
            "--log-level=warn".into(),
        ]
    }

    /// Starts member `name` (it forms the cluster with the others of
    /// `initial_cluster` once a majority of them run).
    pub fn start(
        etcd: &Path,
        name: &str,
        dir: &Path,
        client_port: u16,
        peer_port: u16,
        initial_cluster: &str,
    ) -> Result<Etcd, RegtestError> {
        std::fs::create_dir_all(dir).map_err(RegtestError::io("cannot create", dir))?;
        let mut me = Etcd {
            daemon: Daemon::from_record(DaemonRecord {
                name: name.to_string(),
                pid: 0,
                start_ticks: 0,
                log: dir.join("etcd.log"),
            }),
            name: name.to_string(),
            dir: dir.to_path_buf(),
            client_port,
            peer_port,
            initial_cluster: initial_cluster.to_string(),
        };
        me.daemon = Daemon::spawn(name, etcd, &me.args(), &dir.join("etcd.log"))?;
        Ok(me)
    }

    /// Starts a stopped member again with its recorded settings and data.
    pub fn restart(etcd: &Path, rec: &EtcdRecord) -> Result<Etcd, RegtestError> {
        Etcd::start(
            etcd,
            &rec.name,
            &rec.dir,
            rec.client_port,
            rec.peer_port,
            &rec.initial_cluster,
        )
    }

    /// A member another process started.
    pub fn attach(rec: &EtcdRecord) -> Etcd {
        Etcd {
            daemon: Daemon::from_record(rec.daemon.clone()),
            name: rec.name.clone(),
            dir: rec.dir.clone(),
            client_port: rec.client_port,
            peer_port: rec.peer_port,
            initial_cluster: rec.initial_cluster.clone(),
        }
    }

    /// What to persist.
    pub fn record(&self) -> EtcdRecord {
        EtcdRecord {
            daemon: self.daemon.record().clone(),
            name: self.name.clone(),
            dir: self.dir.clone(),
            client_port: self.client_port,
            peer_port: self.peer_port,
            initial_cluster: self.initial_cluster.clone(),
        }
    }

    /// host:port of the client interface.
    pub fn client_endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.client_port)
    }

    /// Asks the member's `/health` (which needs a Raft leader, i.e. a quorum)
    /// and its revision and role (`/metrics`).
    pub fn health(&mut self) -> EtcdHealth {
        let running = self.daemon.is_alive();
        let mut h = EtcdHealth {
            name: self.name.clone(),
            running,
            healthy: false,
            reason: None,
            revision: None,
            raft_leader: false,
        };
        if !running {
            h.reason = Some("not running".into());
            return h;
        }
        match http_get(self.client_port, "/health") {
            Ok(body) => {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                h.healthy = v["health"].as_str() == Some("true");
                h.reason = v["reason"]
                    .as_str()
                    .filter(|r| !r.is_empty())
                    .map(String::from);
            }
            Err(e) => h.reason = Some(e),
        }
        if let Ok(m) = http_get(self.client_port, "/metrics") {
            h.revision = metric(&m, "etcd_debugging_mvcc_current_revision");
            h.raft_leader = metric(&m, "etcd_server_is_leader") == Some(1);
        }
        h
    }
}

/// One sample of a Prometheus text metric.
fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
}

/// A plain HTTP/1.0 GET on loopback; the body.
fn http_get(port: u16, path: &str) -> Result<String, String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("cannot connect: {e}"))?;
    // /health waits for a linearizable read; without a quorum etcd answers
    // after its own timeout (about 5 s).
    s.set_read_timeout(Some(Duration::from_secs(8)))
        .map_err(|e| e.to_string())?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out)
        .map_err(|e| format!("no answer: {e}"))?;
    Ok(out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_metrics() {
        assert_eq!(
            initial_cluster(&[1, 2]),
            "etcd-1=http://127.0.0.1:1,etcd-2=http://127.0.0.1:2"
        );
        let m = "# HELP x\netcd_debugging_mvcc_current_revision_x 9\netcd_debugging_mvcc_current_revision 1234\n";
        assert_eq!(
            metric(m, "etcd_debugging_mvcc_current_revision"),
            Some(1234)
        );
        assert_eq!(metric(m, "etcd_missing"), None);
    }
}
