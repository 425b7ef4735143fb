//! The node the app talks to, and its status for the header.
//!
//! Until node profiles are stored (with macaroons in the keychain), the one
//! node is the local regtest network's alice, read from
//! `DATA_DIR/regtest/profiles.json` (written by `switchyard regtest up`), or a
//! target given on the CLI. Each status check reuses the connection, and
//! builds a new one after a failure.

use super::client::{LndClient, NodeTarget};
use super::error::NodeError;
use super::events::{StreamKind, StreamState};
use super::lndconnect::{parse_lndconnect, pem_to_der};
use crate::api::ApiError;
use crate::network::Network;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;
use ts_rs::TS;
use zeroize::Zeroizing;

/// Where to find a node's address and credentials.
#[derive(Debug, Clone)]
pub enum NodeSource {
    /// Files on disk, read at each (re)connect: LND rewrites them on renewal.
    Files {
        /// Display name ("alice").
        name: String,
        /// host:port of gRPC.
        grpc_host: String,
        /// PEM certificate.
        tls_cert_path: PathBuf,
        /// Macaroon file.
        macaroon_path: PathBuf,
        /// The network the node must be on.
        network: Network,
    },
    /// An lndconnect URI.
    LndConnect {
        /// Display name.
        name: String,
        /// The URI (holds the macaroon; never logged).
        uri: Zeroizing<String>,
        /// The network the node must be on.
        network: Network,
    },
}

impl NodeSource {
    /// The profile's display name.
    pub fn name(&self) -> &str {
        match self {
            NodeSource::Files { name, .. } | NodeSource::LndConnect { name, .. } => name,
        }
    }

    /// The network the node must be on.
    pub fn network(&self) -> Network {
        match self {
            NodeSource::Files { network, .. } | NodeSource::LndConnect { network, .. } => *network,
        }
    }

    /// Reads what is needed to connect.
    pub fn target(&self) -> Result<NodeTarget, NodeError> {
        match self {
            NodeSource::Files {
                grpc_host,
                tls_cert_path,
                macaroon_path,
                ..
            } => {
                let (host, port) = split_host_port(grpc_host)?;
                let pem = std::fs::read_to_string(tls_cert_path).map_err(|e| NodeError::File {
                    what: "the TLS certificate",
                    path: tls_cert_path.display().to_string(),
                    detail: e.to_string(),
                })?;
                let cert_der = pem_to_der(&pem).ok_or_else(|| NodeError::File {
                    what: "the TLS certificate",
                    path: tls_cert_path.display().to_string(),
                    detail: "it is not a PEM certificate".into(),
                })?;
                let macaroon =
                    Zeroizing::new(std::fs::read(macaroon_path).map_err(|e| NodeError::File {
                        what: "the macaroon",
                        path: macaroon_path.display().to_string(),
                        detail: e.to_string(),
                    })?);
                Ok(NodeTarget {
                    host,
                    port,
                    cert_der,
                    macaroon: Arc::new(macaroon),
                })
            }
            NodeSource::LndConnect { uri, .. } => {
                let c = parse_lndconnect(uri)?;
                let cert_der = c.cert_der.ok_or_else(|| NodeError::Tls {
                    endpoint: format!("{}:{}", c.host, c.port),
                    detail: "the lndconnect link has no certificate; nodes with CA-signed certificates are not supported yet".into(),
                })?;
                Ok(NodeTarget {
                    host: c.host,
                    port: c.port,
                    cert_der,
                    macaroon: Arc::new(c.macaroon),
                })
            }
        }
    }

    /// alice of the regtest network in `DATA_DIR/regtest`, if one was started there.
    pub fn regtest_default(data_dir: &Path) -> Option<NodeSource> {
        NodeSource::regtest_named(data_dir, None)
    }

    /// A node of the regtest network in `DATA_DIR/regtest` by name (none: the first).
    pub fn regtest_named(data_dir: &Path, name: Option<&str>) -> Option<NodeSource> {
        #[derive(Deserialize)]
        struct Profile {
            name: String,
            grpc_host: String,
            tls_cert_path: PathBuf,
            macaroon_path: PathBuf,
        }
        let text = std::fs::read_to_string(data_dir.join("regtest").join("profiles.json")).ok()?;
        let profiles: Vec<Profile> = serde_json::from_str(&text).ok()?;
        let p = match name {
            Some(n) => profiles.into_iter().find(|p| p.name == n)?,
            None => profiles.into_iter().next()?,
        };
        Some(NodeSource::Files {
            name: p.name,
            grpc_host: p.grpc_host,
            tls_cert_path: p.tls_cert_path,
            macaroon_path: p.macaroon_path,
            network: Network::Regtest,
        })
    }
}

fn split_host_port(s: &str) -> Result<(String, u16), NodeError> {
    let bad = || NodeError::Unreachable {
        endpoint: s.to_string(),
        detail: "not host:port".into(),
    };
    let (h, p) = s.rsplit_once(':').ok_or_else(bad)?;
    let port = p.parse().map_err(|_| bad())?;
    Ok((h.trim_matches(['[', ']']).to_string(), port))
}

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

/// What the header shows about the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
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
    pub error: Option<ApiError>,
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

/// The node connection.
pub struct NodeService {
    source: Option<NodeSource>,
    client: Mutex<Option<LndClient>>,
    streams: std::sync::Mutex<BTreeMap<StreamKind, StreamState>>,
}

impl NodeService {
    /// A service for `source` (none: not configured).
    pub fn new(source: Option<NodeSource>) -> NodeService {
        NodeService {
            source,
            client: Mutex::new(None),
            streams: std::sync::Mutex::new(BTreeMap::new()),
        }
    }

    /// The network the profile is for.
    pub fn network(&self) -> Option<Network> {
        self.source.as_ref().map(NodeSource::network)
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
    pub fn source(&self) -> Option<&NodeSource> {
        self.source.as_ref()
    }

    /// A connected client (the cached one, or a new one).
    pub async fn client(&self) -> Result<LndClient, NodeError> {
        let source = self.source.as_ref().ok_or(NodeError::NotConfigured)?;
        let mut guard = self.client.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let client = LndClient::new(source.target()?)?;
        *guard = Some(client.clone());
        Ok(client)
    }

    /// Checks the node: reachable, right macaroon, right network, new enough.
    pub async fn check(&self) -> Result<fedimint_tonic_lnd::lnrpc::GetInfoResponse, NodeError> {
        let source = self.source.as_ref().ok_or(NodeError::NotConfigured)?;
        let client = self.client().await?;
        let result = client.get_info().await.and_then(|info| {
            let actual = info
                .chains
                .first()
                .map(|c| c.network.clone())
                .unwrap_or_default();
            let expected = source.network();
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

    /// The header's view of the node.
    pub async fn status(&self) -> NodeStatus {
        let Some(source) = &self.source else {
            return NodeStatus::empty(NodeState::NotConfigured);
        };
        let mut s = NodeStatus::empty(NodeState::Disconnected);
        let streams = self.stream_states();
        if !streams.is_empty() {
            let live = streams.iter().all(|(_, st)| *st == StreamState::Live);
            s.events = Some(if live { "live" } else { "reconnecting" }.to_string());
        }
        s.profile = Some(source.name().to_string());
        s.network = Some(source.network());
        if let Ok(t) = source.target() {
            s.endpoint = Some(t.endpoint());
        }
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
                tracing::warn!(profile = %source.name(), error = %e, "node check failed");
                s.error = Some(e.into());
            }
        }
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
