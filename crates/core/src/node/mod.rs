//! The LND node (how to reach one is a profile: [`crate::profiles`]): the
//! gRPC connection (LND's generated clients over a transport pinned to
//! the node's certificate, macaroon from memory), status checks with
//! errors a user can act on (unreachable, certificate mismatch, macaroon
//! rejected, wallet locked, wrong network, LND too old), and one module
//! per operation family. [`service`] has the map.

pub mod backups;
pub mod chain;
pub mod channels;
pub mod client;
pub mod connection;
pub(crate) mod convert;
pub mod error;
pub mod events;
mod extra;
pub mod fees;
pub mod history;
pub mod htlc;
pub mod invoice;
pub mod lndconnect;
pub mod onchain;
pub mod payments;
pub mod psbt;
pub mod routes;
pub mod service;
pub mod source;
pub mod unlocker;

pub use client::{LndClient, NodeTarget};
pub use connection::{Connection, NodeState, NodeStatus};
pub use error::{NodeError, PaymentFailure};
pub use lndconnect::{parse_lndconnect, LndConnect, LndConnectError};
pub use service::NodeService;
pub use source::{Credentials, NodeSource};

/// Reads a file the user named (at most `limit` bytes), as a [`NodeError::File`]
/// naming `what` on failure.
pub(crate) fn read_capped(
    path: &std::path::Path,
    what: &'static str,
    limit: u64,
) -> Result<Vec<u8>, NodeError> {
    crate::files::read_capped(path, limit).map_err(|e| NodeError::File {
        what,
        path: path.display().to_string(),
        detail: e.to_string(),
    })
}
