//! What can go wrong talking to a node, in words a user can act on.

use super::client::{NodeTarget, CERT_MISMATCH};
use super::lndconnect::LndConnectError;
use crate::network::Network;
use fedimint_tonic_lnd::tonic;

fn no_leader_words(standbys: u32, down: u32, quorum_lost: Option<bool>) -> String {
    let counts = format!(
        "{standbys} instance{} {} to take over, {down} cannot be reached",
        if standbys == 1 { "" } else { "s" },
        if standbys == 1 { "waits" } else { "wait" },
    );
    match quorum_lost {
        Some(true) => format!("The node's cluster has lost its quorum: fewer than half of its etcd members answer, so no LND instance may lead ({counts}). Nothing is lost; it serves again once enough etcd members are back, and Switchyard reconnects by itself."),
        _ => format!("No instance of the node's cluster leads right now ({counts}). A failover takes a few seconds; if this lasts, the cluster's etcd has probably lost its quorum. Switchyard reconnects by itself once an instance leads."),
    }
}

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
    /// LND runs but has no wallet yet.
    #[error("This node has no wallet yet. Initialise it from one of your Switchyard wallets (Node profiles → Initialise a new LND), or create its wallet with lncli.")]
    NoWallet,
    /// LND has not caught up with the chain (or the graph) yet.
    #[error("LND is still syncing to the chain; this works once it has caught up (the header shows \"syncing\" until then).")]
    Syncing {
        /// LND's words.
        detail: String,
    },
    /// LND is starting up.
    #[error("LND is still starting up; try again in a moment.")]
    Starting,
    /// No instance of the profile's LND cluster leads.
    #[error("{}", no_leader_words(*.standbys, *.down, *.quorum_lost))]
    NoLeader {
        /// Instances waiting to take over.
        standbys: u32,
        /// Instances that do not answer.
        down: u32,
        /// Whether the cluster's etcd has lost its quorum (when the profile
        /// names its etcd members).
        quorum_lost: Option<bool>,
    },
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
    /// Not enough on-chain funds in the node's wallet.
    #[error("The node's wallet does not have enough confirmed bitcoin for this (fees included). Receive more on-chain funds, wait for confirmations, or choose a smaller amount.")]
    InsufficientFunds {
        /// LND's words.
        detail: String,
    },
    /// A peer could not be reached or refused us.
    #[error("Could not reach the peer {peer}. Check its address (pubkey@host:port) and that it is online.")]
    PeerUnreachable {
        /// The peer's key (and address, if given).
        peer: String,
        /// LND's words.
        detail: String,
    },
    /// The request is not acceptable (bad field, below a limit…).
    #[error("{message}")]
    BadRequest {
        /// What is wrong and how to fix it, as a sentence.
        message: String,
    },
    /// No such channel on this node.
    #[error("This node has no channel {channel}.")]
    ChannelNotFound {
        /// The channel point or id given.
        channel: String,
    },
    /// A payment did not go through.
    #[error("{}", .reason.sentence())]
    PaymentFailed {
        /// Why.
        reason: PaymentFailure,
        /// LND's words, if any.
        detail: String,
    },
    /// The node went down while a payment was in flight and no instance
    /// has said how it ended yet.
    #[error("The node went down while this payment was in flight, and its outcome is not known yet. Nothing is lost: the node finishes or fails it once it is back, and the payment history shows the result. Do not pay again before then.")]
    PaymentPending {
        /// Payment hash (hex).
        payment_hash: String,
    },
    /// An amount no wallet can hold.
    #[error(transparent)]
    Amount(#[from] crate::amount::AmountError),
    /// The route now costs more than the fee the user saw.
    #[error("The route's fees went up since the preview: it now costs {fee_msat} msat, more than the {limit_msat} msat you saw. Nothing was sent; preview again to see the new fee.")]
    FeeAboveLimit {
        /// What the route costs now, msat.
        fee_msat: u64,
        /// The most the user agreed to pay, msat.
        limit_msat: u64,
    },
    /// A fee rate far above what the node estimates; the user must confirm it.
    #[error("{rate_sat_per_vbyte} sat/vB is far above the usual rate ({reason}): about {} sats in fees for this transaction. Nothing was sent. Confirm to pay this fee anyway, or choose a lower rate.", crate::amount::grouped(*.fee_sat))]
    HighFeeRate {
        /// The rate asked for.
        rate_sat_per_vbyte: u64,
        /// The node's estimate for 6 blocks, if it gave one.
        estimate_sat_per_vbyte: Option<u64>,
        /// The fee in sats at that rate (estimated from the transaction's size).
        fee_sat: u64,
        /// Why it is too high, in words.
        reason: String,
    },
    /// An invoice that cannot be paid as it is.
    #[error(transparent)]
    Invoice(#[from] super::invoice::InvoiceError),
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

/// Why a payment failed, from LND's failure reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PaymentFailure {
    /// No route with enough capacity within the fee limit.
    NoRoute,
    /// Our channels cannot send that much.
    InsufficientBalance,
    /// The recipient rejected the payment (unknown invoice, wrong amount, already paid).
    IncorrectPaymentDetails,
    /// Tried until the time limit.
    Timeout,
    /// Already paid (or being paid) from this node.
    AlreadyPaid,
    /// Cancelled.
    Canceled,
    /// Something else.
    Error,
}

impl PaymentFailure {
    /// The sentence the user sees.
    pub fn sentence(self) -> &'static str {
        match self {
            PaymentFailure::NoRoute => "No route to the recipient was found within the fee limit. Raise the fee limit, or open a channel closer to the recipient.",
            PaymentFailure::InsufficientBalance => "Your channels do not have enough outbound balance for this payment (plus fees). Open a channel or move funds into one.",
            PaymentFailure::IncorrectPaymentDetails => "The recipient rejected the payment: the invoice is unknown to them, expired, or for another amount. Ask for a new invoice.",
            PaymentFailure::Timeout => "The payment timed out before a route succeeded. Nothing was paid; try again or raise the fee limit.",
            PaymentFailure::AlreadyPaid => "This invoice was already paid (or a payment for it is in flight) from this node.",
            PaymentFailure::Canceled => "The payment was cancelled.",
            PaymentFailure::Error => "The payment failed inside the node. See the details, then try again.",
        }
    }
}

/// Turns LND's free-text refusals of an operation into errors a user can act on.
pub(crate) fn classify_rpc(e: NodeError, peer: Option<&str>) -> NodeError {
    let NodeError::Rpc { detail } = e else {
        return e;
    };
    let lower = detail.to_lowercase();
    if lower.contains("insufficient funds")
        || lower.contains("not enough witness outputs")
        || lower.contains("not enough funds")
        || lower.contains("insufficient balance")
    {
        return NodeError::InsufficientFunds { detail };
    }
    if let Some(peer) = peer {
        if lower.contains("is not online")
            || lower.contains("dial")
            || lower.contains("unable to connect")
            || lower.contains("connection refused")
            || lower.contains("no such host")
            || lower.contains("timeout")
        {
            return NodeError::PeerUnreachable {
                peer: peer.to_string(),
                detail,
            };
        }
    }
    if lower.contains("below min chan size") || lower.contains("exceeds maximum chan size") {
        return NodeError::BadRequest {
            message: format!("The node refused the channel size: {}.", detail.trim()),
        };
    }
    if lower.contains("already paid") || lower.contains("payment is in transition") {
        return NodeError::PaymentFailed {
            reason: PaymentFailure::AlreadyPaid,
            detail,
        };
    }
    NodeError::Rpc { detail }
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
        if lower.contains("is syncing")
            || lower.contains("not yet synced")
            || lower.contains("still syncing")
            || lower.contains("not synced")
        {
            return NodeError::Syncing { detail: message };
        }
        if lower.contains("wallet not created") {
            return NodeError::NoWallet;
        }
        if lower.contains("in the process of starting")
            || lower.contains("waiting to start")
            || lower.contains("server is still starting")
        {
            return NodeError::Starting;
        }
        // The node went away mid-connection (killed, restarted): not a TLS
        // problem, though rustls words it with "TLS close_notify".
        if lower.contains("close_notify")
            || lower.contains("unexpected eof")
            || lower.contains("connection reset")
            || lower.contains("broken pipe")
        {
            return NodeError::Unreachable {
                endpoint: target.endpoint(),
                detail: full,
            };
        }
        if lower.contains("tls") || lower.contains("certificate") || lower.contains("handshake") {
            return NodeError::Tls {
                endpoint: target.endpoint(),
                detail: full,
            };
        }
        // A status the node sent carries its response headers; one our
        // transport made up (connection refused, reset) carries none. Only
        // the latter means the node is unreachable: LND's own refusals
        // ("already connected to peer", "dial tcp …: connection refused" for
        // a peer) mention connections too.
        let from_node = !status.metadata().is_empty();
        match status.code() {
            _ if from_node => NodeError::Rpc { detail: full },
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn lnd_words_map_to_what_the_user_can_do() {
        let t = NodeTarget {
            host: "127.0.0.1".into(),
            port: 10009,
            cert_der: Vec::new(),
            macaroon: Arc::new(zeroize::Zeroizing::new(Vec::new())),
        };
        let m = |msg: &str| NodeError::from_status(&tonic::Status::unknown(msg), &t);
        assert_eq!(
            m("wallet locked, unlock it to enable full RPC access"),
            NodeError::WalletLocked
        );
        assert_eq!(
            m("wallet not created, create one to enable full RPC access"),
            NodeError::NoWallet
        );
        assert_eq!(
            m("waiting to start, RPC services not available"),
            NodeError::Starting
        );
        assert!(matches!(
            m("lnd is syncing to chain"),
            NodeError::Syncing { .. }
        ));
        assert!(matches!(
            m("verification failed: signature mismatch after caveat verification"),
            NodeError::MacaroonRejected { .. }
        ));
        // A node killed mid-stream (a cluster's leader): gone, not a TLS fault.
        assert!(matches!(
            m("client error (SendRequest): connection error: peer closed connection without sending TLS close_notify"),
            NodeError::Unreachable { .. }
        ));
    }
}
