//! Switchyard's core: everything the desktop app and the CLI do, with no GUI
//! dependency.
//!
//! From `switchyard-pure` (no I/O), re-exported: [`amount`], [`network`],
//! [`keys`], [`graph`] (the channel graph and our router) and [`plan`] (one
//! route query planned over the graph).
//!
//! Modules here, one concern each, each with its own error enum:
//! - [`audit`]: the audit log — entries appended by every sensitive
//!   operation, its keys in the keychain, verification, exports and proofs.
//! - [`confirm`]: re-authentication before a secret is revealed (passphrase
//!   or a one-time code shown outside the web view), with back-off.
//! - [`files`]: capped reads of user-named files, owner-only writes.
//! - [`lock`]: the app lock — an Argon2id verifier of the app password,
//!   locking (on demand, when idle), unlocking with back-off.
//! - [`keychain`]: the OS keychain that holds seeds (and nothing else does).
//! - [`store`]: the SQLite database (metadata only, never secrets).
//! - [`profiles`]: the nodes a user has set up (beside wallets), which one is
//!   in use, and initialising a fresh LND from a wallet's seed.
//! - [`node`]: the LND node: the gRPC connection, status, channels, payments,
//!   routes, on-chain funds, backups, live events.
//! - [`psbt`]: the review of a PSBT through the wallet's own descriptors.
//! - [`wallet`]: the wallet service that ties keys, keychain and store together,
//!   keeping the keychain and the database consistent.
//! - [`api`]: the one serializable error shape (`{code, message, detail}`) that
//!   crosses the IPC boundary and the CLI's `--json` output.
//!
//! The desktop shell (`src-tauri/`) and the CLI (`crates/cli`) are thin: they parse
//! input, make one call here and map the error.

pub mod api;
pub mod audit;
pub mod cold;
pub mod confirm;
pub mod context;
pub mod files;
pub mod keychain;
pub mod lock;
pub mod lock_os;
pub mod node;
pub mod operations;
pub mod profiles;
pub mod psbt;
pub mod psbt_open;
pub mod seal;
pub mod signer;
pub mod spend;
pub mod store;
pub mod swaps;
pub mod wallet;

// Our own logic with no I/O lives in `switchyard-pure`; re-exported so that
// one path (`switchyard_core::keys`, `::graph`, …) reaches it from the faces.
pub use switchyard_pure::{amount, graph, keys, network, plan, secret, swap};

pub use api::{ApiError, ErrorCode};
pub use context::Context;
pub use network::Network;
