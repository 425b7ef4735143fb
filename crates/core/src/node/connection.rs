//! The connection to the node in use: one cached gRPC client to the
//! profile's source, failover between its endpoints, unlocking the node's
//! wallet when the profile holds its password, the live-event streams'
//! states, and the header's view of it all. Switched to another source
//! (profiles.rs) at run time.

use super::client::{LndClient, NodeTarget};
use super::error::NodeError;
use super::events::{StreamKind, StreamState};
use super::source::NodeSource;
use crate::network::Network;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Mutex;
use ts_rs::TS;

/// How the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum NodeState {
    /// No node is set up.
    NotConfigured,
    /// Connected; the node answers.
    Connected,
    /// Set up but not usable now (see the error).
    Disconnected,
}

/// What the header shows about the node (over IPC with the error in the
/// `{code, message, detail}` shape: `api::NodeStatusView`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct NodeStatus {
    /// Connection state.
    pub state: NodeState,
    /// The profile's name.
    pub profile: Option<String>,
    /// host:port.
    pub endpoint: Option<String>,
    /// The network the profile is for.
    pub network: Option<Network>,
    /// The node's alias.
    pub alias: Option<String>,
    /// The node's public key.
    pub pubkey: Option<String>,
    /// LND's version.
    pub version: Option<String>,
    /// Best block height the node knows.
    pub block_height: Option<u32>,
    /// Synced to the chain.
    pub synced_to_chain: bool,
    /// Synced to the channel graph.
    pub synced_to_graph: bool,
    /// Active channels.
    pub active_channels: u32,
    /// Pending channels.
    pub pending_channels: u32,
    /// Connected peers.
    pub peers: u32,
    /// Live events: "live" (every stream subscribed), "reconnecting", or
    /// none when events are not followed (CLI).
    pub events: Option<String>,
    /// Why it is disconnected.
    #[serde(skip)]
    #[ts(skip)]
    pub error: Option<NodeError>,
}

impl NodeStatus {
    fn empty(state: NodeState) -> NodeStatus {
        NodeStatus {
            state,
            profile: None,
            endpoint: None,
            network: None,
            alias: None,
            pubkey: None,
            version: None,
            block_height: None,
            synced_to_chain: false,
            synced_to_graph: false,
            active_channels: 0,
            pending_channels: 0,
            peers: 0,
            events: None,
            error: None,
        }
    }
}

/// Parses "0.20.1-beta commit=…" into (0, 20).
fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut it = version.split(['.', '-', ' ']);
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// Whether trying the next endpoint of a profile could help.
fn endpoint_failure(e: &NodeError) -> bool {
    matches!(
        e,
        NodeError::Unreachable { .. }
            | NodeError::Tls { .. }
            | NodeError::TlsMismatch { .. }
            | NodeError::Starting
    )
}

/// The connection to the node in use.
pub struct Connection {
    source: std::sync::RwLock<Option<Arc<NodeSource>>>,
    client: Mutex<Option<LndClient>>,
    /// Index of the endpoint that answered last (tried first next time).
    preferred: AtomicUsize,
    streams: std::sync::Mutex<BTreeMap<StreamKind, StreamState>>,
    /// Bumped at each switch to another node: what was learned from the
    /// previous one (the routing service's graph) is stale.
    generation: AtomicU64,
}

impl Connection {
    /// A connection to `source` (none: not configured).
    pub fn new(source: Option<NodeSource>) -> Connection {
        Connection {
            source: std::sync::RwLock::new(source.map(Arc::new)),
            client: Mutex::new(None),
            preferred: AtomicUsize::new(0),
            streams: std::sync::Mutex::new(BTreeMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// Which node this is: changes at each [`Connection::switch`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Uses another node from now on (none: no node). The connection is
    /// rebuilt at the next call; live events must be restarted by the owner
    /// of the event hub.
    pub async fn switch(&self, source: Option<NodeSource>) {
        let mut guard = self.client.lock().await;
        if let Ok(mut s) = self.source.write() {
            *s = source.map(Arc::new);
        }
        *guard = None;
        self.preferred.store(0, Ordering::SeqCst);
        if let Ok(mut g) = self.streams.lock() {
            g.clear();
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The network the profile is for.
    pub fn network(&self) -> Option<Network> {
        self.source().map(|s| s.network)
    }

    /// Drops the cached connection; the next call builds a new one.
    pub async fn reset_client(&self) {
        *self.client.lock().await = None;
    }

    /// Records a live-event stream's state (events.rs).
    pub(crate) fn set_stream_state(&self, kind: StreamKind, state: StreamState) {
        if let Ok(mut g) = self.streams.lock() {
            g.insert(kind, state);
        }
    }

    /// Each live-event stream's state (empty: events not started).
    pub fn stream_states(&self) -> Vec<(StreamKind, StreamState)> {
        self.streams
            .lock()
            .map(|g| g.iter().map(|(k, v)| (*k, v.clone())).collect())
            .unwrap_or_default()
    }

    /// The profile in use.
    pub fn source(&self) -> Option<Arc<NodeSource>> {
        self.source.read().ok().and_then(|g| g.clone())
    }

    /// A connected client (the cached one, or a new one). With several
    /// endpoints, each is probed in turn, starting with the one that
    /// answered last; the first that is up (and not waiting to become the
    /// cluster's leader) is used.
    pub async fn client(&self) -> Result<LndClient, NodeError> {
        let mut guard = self.client.lock().await;
        let source = self.source().ok_or(NodeError::NotConfigured)?;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let targets = source.targets()?;
        let client = if targets.len() == 1 {
            let Some(t) = targets.into_iter().next() else {
                return Err(NodeError::NotConfigured);
            };
            LndClient::new(t)?
        } else {
            self.first_answering(targets).await?
        };
        *guard = Some(client.clone());
        Ok(client)
    }

    async fn first_answering(&self, targets: Vec<NodeTarget>) -> Result<LndClient, NodeError> {
        let n = targets.len();
        let start = self.preferred.load(Ordering::SeqCst) % n;
        let mut failures = Vec::new();
        let mut first_error = None;
        for i in (0..n).map(|k| (start + k) % n) {
            let client = LndClient::new(targets[i].clone())?;
            match client.get_info().await {
                Err(e) if endpoint_failure(&e) => {
                    tracing::info!(endpoint = %targets[i].endpoint(), error = %e, "endpoint down; trying the next");
                    failures.push(format!("{}: {e}", targets[i].endpoint()));
                    first_error.get_or_insert(e);
                }
                // Up (other errors, such as a locked wallet, are the node's, not the endpoint's).
                _ => {
                    if i != start {
                        tracing::warn!(endpoint = %targets[i].endpoint(), "failed over to another endpoint");
                    }
                    self.preferred.store(i, Ordering::SeqCst);
                    return Ok(client);
                }
            }
        }
        Err(match first_error {
            Some(NodeError::Starting) | None => NodeError::Starting,
            Some(_) => NodeError::Unreachable {
                endpoint: targets
                    .iter()
                    .map(NodeTarget::endpoint)
                    .collect::<Vec<_>>()
                    .join(", "),
                detail: failures.join("; "),
            },
        })
    }

    /// Checks the node: reachable, right macaroon, right network, new enough.
    /// A locked wallet is unlocked if the profile holds its password.
    pub async fn check(&self) -> Result<fedimint_tonic_lnd::lnrpc::GetInfoResponse, NodeError> {
        let source = self.source().ok_or(NodeError::NotConfigured)?;
        let client = self.client().await?;
        let mut info = client.get_info().await;
        if let (Err(NodeError::WalletLocked), Some(password)) = (&info, &source.unlock_password) {
            tracing::info!(profile = %source.name, "the node's wallet is locked; unlocking it");
            info = match super::unlocker::unlock(&client, password).await {
                Ok(()) => super::unlocker::wait_ready(&client).await,
                Err(e) => Err(e),
            };
        }
        let result = info.and_then(|info| {
            let actual = info
                .chains
                .first()
                .map(|c| c.network.clone())
                .unwrap_or_default();
            let expected = source.network;
            let same = match expected {
                Network::Bitcoin => actual == "mainnet",
                other => actual == other.as_str(),
            };
            if !same {
                return Err(NodeError::WrongNetwork { expected, actual });
            }
            if major_minor(&info.version).is_some_and(|v| v < (0, 18)) {
                return Err(NodeError::TooOld {
                    version: info.version.clone(),
                });
            }
            Ok(info)
        });
        if result.is_err() {
            // Reconnect from scratch next time (certificate or macaroon may have changed).
            *self.client.lock().await = None;
        }
        result
    }

    /// The endpoint in use (or the preferred one when not connected).
    async fn endpoint(&self, source: &NodeSource) -> Option<String> {
        if let Some(c) = self.client.lock().await.as_ref() {
            return Some(c.target().endpoint());
        }
        let i = self.preferred.load(Ordering::SeqCst);
        source
            .endpoints
            .get(i)
            .or(source.endpoints.first())
            .cloned()
    }

    /// The header's view of the node.
    pub async fn status(&self) -> NodeStatus {
        let Some(source) = self.source() else {
            return NodeStatus::empty(NodeState::NotConfigured);
        };
        let mut s = NodeStatus::empty(NodeState::Disconnected);
        let streams = self.stream_states();
        if !streams.is_empty() {
            let live = streams.iter().all(|(_, st)| *st == StreamState::Live);
            s.events = Some(if live { "live" } else { "reconnecting" }.to_string());
        }
        s.profile = Some(source.name.clone());
        s.network = Some(source.network);
        match self.check().await {
            Ok(info) => {
                s.state = NodeState::Connected;
                s.alias = Some(info.alias);
                s.pubkey = Some(info.identity_pubkey);
                s.version = info.version.split_whitespace().next().map(String::from);
                s.block_height = Some(info.block_height);
                s.synced_to_chain = info.synced_to_chain;
                s.synced_to_graph = info.synced_to_graph;
                s.active_channels = info.num_active_channels;
                s.pending_channels = info.num_pending_channels;
                s.peers = info.num_peers;
            }
            Err(e) => {
                tracing::warn!(profile = %source.name, error = %e, "node check failed");
                s.error = Some(e);
            }
        }
        s.endpoint = self.endpoint(&source).await;
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare() {
        assert_eq!(
            major_minor("0.20.1-beta commit=v0.20.1-beta"),
            Some((0, 20))
        );
        assert!(major_minor("0.17.5-beta").is_some_and(|v| v < (0, 18)));
        assert_eq!(major_minor("garbage"), None);
    }
}
