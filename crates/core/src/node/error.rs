//! What can go wrong talking to a node, in words a user can act on.

use super::client::{NodeTarget, CERT_MISMATCH};
use super::lndconnect::LndConnectError;
use crate::network::Network;
use fedimint_tonic_lnd::tonic;

/// Why the node could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// Nothing answers at the address.
    #[error("The node at {endpoint} cannot be reached. Check that LND is running and that the host and port are right.")]
    Unreachable {
        /// host:port.
        endpoint: String,
        /// The transport's words.
        detail: String,
    },
    /// The node presented another TLS certificate than the profile's.
    #[error("The node at {endpoint} presented a different TLS certificate than the one in this profile. If LND regenerated its certificate, update the profile; otherwise you may not be talking to your node.")]
    TlsMismatch {
        /// host:port.
        endpoint: String,
    },
    /// Some other TLS failure.
    #[error("A secure connection to {endpoint} could not be set up: {detail}")]
    Tls {
        /// host:port.
        endpoint: String,
        /// The TLS library's words.
        detail: String,
    },
    /// LND refused the macaroon.
    #[error("The node rejected the macaroon (it belongs to another node, was revoked, or lacks permission for this). Use the node's admin macaroon, or one with the needed permissions.")]
    MacaroonRejected {
        /// LND's words.
        detail: String,
    },
    /// The node's wallet is locked.
    #[error("The node's wallet is locked. Unlock it to continue.")]
    WalletLocked,
    /// LND is starting up.
    #[error("LND is still starting up; try again in a moment.")]
    Starting,
    /// Another network than the profile's.
    #[error("This node runs on {actual}, but the profile is for {expected}.")]
    WrongNetwork {
        /// The profile's network.
        expected: Network,
        /// What the node says.
        actual: String,
    },
    /// LND older than we support.
    #[error("This node runs LND {version}; Switchyard needs LND 0.18 or newer.")]
    TooOld {
        /// The node's version.
        version: String,
    },
    /// A profile that cannot be used.
    #[error(transparent)]
    LndConnect(#[from] LndConnectError),
    /// A profile's files.
    #[error("Could not read {what} at {path}: {detail}")]
    File {
        /// Which file.
        what: &'static str,
        /// Where.
        path: String,
        /// The OS's words.
        detail: String,
    },
    /// No node is set up.
    #[error("No node is set up yet.")]
    NotConfigured,
    /// Anything else LND said.
    #[error("The node answered with an error: {detail}")]
    Rpc {
        /// LND's words.
        detail: String,
    },
    /// Our side.
    #[error("Internal error while connecting: {detail}")]
    Internal {
        /// What.
        detail: String,
    },
}

fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

impl NodeError {
    /// Maps a gRPC status to what happened.
    pub fn from_status(status: &tonic::Status, target: &NodeTarget) -> NodeError {
        let message = status.message().to_string();
        let full = match std::error::Error::source(status) {
            Some(src) => format!("{message}: {}", chain(src)),
            None => message.clone(),
        };
        let lower = full.to_lowercase();
        if full.contains(CERT_MISMATCH) {
            return NodeError::TlsMismatch {
                endpoint: target.endpoint(),
            };
        }
        if lower.contains("verification failed")
            || lower.contains("cannot get macaroon")
            || lower.contains("permission denied")
            || lower.contains("macaroon")
                && (lower.contains("invalid")
                    || lower.contains("unmarshal")
                    || lower.contains("root key"))
        {
            return NodeError::MacaroonRejected { detail: message };
        }
        if lower.contains("wallet locked") || lower.contains("unknown service lnrpc.lightning") {
            return NodeError::WalletLocked;
        }
        if lower.contains("in the process of starting")
            || lower.contains("server is still starting")
        {
            return NodeError::Starting;
        }
        if lower.contains("tls") || lower.contains("certificate") || lower.contains("handshake") {
            return NodeError::Tls {
                endpoint: target.endpoint(),
                detail: full,
            };
        }
        match status.code() {
            tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Unknown
                if lower.contains("connect")
                    || lower.contains("transport")
                    || lower.contains("dns")
                    || lower.contains("connection") =>
            {
                NodeError::Unreachable {
                    endpoint: target.endpoint(),
                    detail: full,
                }
            }
            tonic::Code::Unavailable => NodeError::Unreachable {
                endpoint: target.endpoint(),
                detail: full,
            },
            _ => NodeError::Rpc { detail: full },
        }
    }
}
