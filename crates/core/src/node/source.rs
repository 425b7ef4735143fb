//! Where a node is and how to log in.
//!
//! A [`NodeSource`] names one or more gRPC endpoints of the same node (an
//! LND cluster's members) and its credentials: certificate and macaroon
//! files read at each connect, or both held in memory after being read from
//! a stored profile and the keychain.

use super::client::NodeTarget;
use super::error::NodeError;
use super::lndconnect::{parse_lndconnect, pem_to_der};
use crate::network::Network;
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zeroize::Zeroizing;

/// How to log in to a node.
#[derive(Clone)]
pub enum Credentials {
    /// Files on disk, read at each (re)connect: LND rewrites them on renewal.
    Files {
        /// PEM certificate.
        tls_cert_path: PathBuf,
        /// Macaroon file.
        macaroon_path: PathBuf,
    },
    /// Held in memory (from an lndconnect URI, or a stored profile's keychain entry).
    Inline {
        /// The node's certificate, DER.
        cert_der: Vec<u8>,
        /// The macaroon.
        macaroon: Arc<Zeroizing<Vec<u8>>>,
    },
}

/// Where to find a node and how to log in. `Debug` shows no secret.
#[derive(Clone)]
pub struct NodeSource {
    /// The profile's id (`p_…`, `regtest:<name>`; `adhoc:<name>` for a
    /// one-off connection): what files of this node are keyed by.
    pub id: String,
    /// Display name ("alice", "home node").
    pub name: String,
    /// The network the node must be on.
    pub network: Network,
    /// host:port of each gRPC endpoint of the node, preferred first.
    pub endpoints: Vec<String>,
    /// host:port of the etcd members of the node's cluster, when known
    /// (plain HTTP health endpoints): tells a lost quorum apart.
    pub etcd_endpoints: Vec<String>,
    /// Certificate and macaroon.
    pub credentials: Credentials,
    /// The node's wallet password, to unlock it when LND starts locked.
    pub unlock_password: Option<Arc<SecretString>>,
}

impl std::fmt::Debug for NodeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeSource")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("network", &self.network)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl NodeSource {
    /// A node whose certificate and macaroon are files.
    pub fn files(
        name: impl Into<String>,
        grpc_host: impl Into<String>,
        tls_cert_path: impl Into<PathBuf>,
        macaroon_path: impl Into<PathBuf>,
        network: Network,
    ) -> NodeSource {
        let name = name.into();
        NodeSource {
            id: format!("adhoc:{name}"),
            name,
            network,
            endpoints: vec![grpc_host.into()],
            etcd_endpoints: Vec::new(),
            credentials: Credentials::Files {
                tls_cert_path: tls_cert_path.into(),
                macaroon_path: macaroon_path.into(),
            },
            unlock_password: None,
        }
    }

    /// A node from an lndconnect URI (never logged).
    pub fn lndconnect(
        name: impl Into<String>,
        uri: &str,
        network: Network,
    ) -> Result<NodeSource, NodeError> {
        let c = parse_lndconnect(uri)?;
        let endpoint = NodeTarget::format_endpoint(&c.host, c.port);
        let cert_der = c.cert_der.ok_or_else(|| NodeError::Tls {
            endpoint: endpoint.clone(),
            detail: "the lndconnect link has no certificate; nodes with CA-signed certificates are not supported yet".into(),
        })?;
        let name = name.into();
        Ok(NodeSource {
            id: format!("adhoc:{name}"),
            name,
            network,
            endpoints: vec![endpoint],
            etcd_endpoints: Vec::new(),
            credentials: Credentials::Inline {
                cert_der,
                macaroon: Arc::new(c.macaroon),
            },
            unlock_password: None,
        })
    }

    /// The profile's display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The network the node must be on.
    pub fn network(&self) -> Network {
        self.network
    }

    /// What is needed to connect to each endpoint, preferred first.
    pub fn targets(&self) -> Result<Vec<NodeTarget>, NodeError> {
        let (cert_der, macaroon) = match &self.credentials {
            Credentials::Files {
                tls_cert_path,
                macaroon_path,
            } => {
                let pem = String::from_utf8(super::read_capped(
                    tls_cert_path,
                    "the TLS certificate",
                    crate::files::MAX_CREDENTIAL_BYTES,
                )?)
                .map_err(|_| NodeError::File {
                    what: "the TLS certificate",
                    path: tls_cert_path.display().to_string(),
                    detail: "it is not a PEM certificate".into(),
                })?;
                let cert_der = pem_to_der(&pem).ok_or_else(|| NodeError::File {
                    what: "the TLS certificate",
                    path: tls_cert_path.display().to_string(),
                    detail: "it is not a PEM certificate".into(),
                })?;
                let macaroon = Zeroizing::new(super::read_capped(
                    macaroon_path,
                    "the macaroon",
                    crate::files::MAX_CREDENTIAL_BYTES,
                )?);
                (cert_der, Arc::new(macaroon))
            }
            Credentials::Inline { cert_der, macaroon } => (cert_der.clone(), macaroon.clone()),
        };
        if self.endpoints.is_empty() {
            return Err(NodeError::Unreachable {
                endpoint: self.name.clone(),
                detail: "the profile lists no endpoint".into(),
            });
        }
        self.endpoints
            .iter()
            .map(|e| {
                let (host, port) = split_host_port(e)?;
                Ok(NodeTarget {
                    host,
                    port,
                    cert_der: cert_der.clone(),
                    macaroon: macaroon.clone(),
                })
            })
            .collect()
    }

    /// alice of the regtest network in `DATA_DIR/regtest`, if one was started there.
    pub fn regtest_default(data_dir: &Path) -> Option<NodeSource> {
        NodeSource::regtest_named(data_dir, None)
    }

    /// The nodes of the regtest network in `DATA_DIR/regtest` (empty: none started there).
    pub fn regtest_all(data_dir: &Path) -> Vec<NodeSource> {
        #[derive(serde::Deserialize)]
        struct Profile {
            name: String,
            grpc_host: String,
            tls_cert_path: PathBuf,
            macaroon_path: PathBuf,
            /// A clustered node: every instance.
            #[serde(default)]
            endpoints: Vec<String>,
            /// A clustered node: its etcd members.
            #[serde(default)]
            etcd_endpoints: Vec<String>,
        }
        let Ok(text) = std::fs::read_to_string(data_dir.join("regtest").join("profiles.json"))
        else {
            return Vec::new();
        };
        let profiles: Vec<Profile> = serde_json::from_str(&text).unwrap_or_default();
        profiles
            .into_iter()
            .map(|p| NodeSource {
                id: format!("{}{}", REGTEST_PREFIX, p.name),
                endpoints: if p.endpoints.is_empty() {
                    vec![p.grpc_host.clone()]
                } else {
                    p.endpoints
                },
                etcd_endpoints: p.etcd_endpoints,
                ..NodeSource::files(
                    p.name,
                    p.grpc_host,
                    p.tls_cert_path,
                    p.macaroon_path,
                    Network::Regtest,
                )
            })
            .collect()
    }

    /// A node of the regtest network in `DATA_DIR/regtest` by name (none: the first).
    pub fn regtest_named(data_dir: &Path, name: Option<&str>) -> Option<NodeSource> {
        let all = NodeSource::regtest_all(data_dir);
        match name {
            Some(n) => all.into_iter().find(|p| p.name == n),
            None => all.into_iter().next(),
        }
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

/// Ids of the regtest network's nodes start with this.
pub const REGTEST_PREFIX: &str = "regtest:";
