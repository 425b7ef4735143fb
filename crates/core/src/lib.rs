//! Switchyard's core: everything the desktop app and the CLI do, with no GUI
//! dependency.
//!
//! Modules, one concern each, each with its own error enum:
//! - [`amount`]: amounts a user types, checked before arithmetic.
//! - [`network`]: which Bitcoin network a wallet or node lives on.
//! - [`keys`]: BIP39 mnemonics, BIP32 paths and keys, BIP44/49/84/86 accounts,
//!   SLIP-132 encodings, descriptors and addresses. Pure, no I/O.
//! - [`confirm`]: re-authentication before a secret is revealed (passphrase
//!   or a one-time code shown outside the web view), with back-off.
//! - [`files`]: capped reads of user-named files, owner-only writes.
//! - [`keychain`]: the OS keychain that holds seeds (and nothing else does).
//! - [`store`]: the SQLite database (metadata only, never secrets).
//! - [`node`]: the LND node: profiles, the gRPC connection, status.
//! - [`wallet`]: the wallet service that ties keys, keychain and store together,
//!   keeping the keychain and the database consistent.
//! - [`api`]: the one serializable error shape (`{code, message, detail}`) that
//!   crosses the IPC boundary and the CLI's `--json` output.
//!
//! The desktop shell (`src-tauri/`) and the CLI (`crates/cli`) are thin: they parse
//! input, make one call here and map the error.

pub mod amount;
pub mod api;
pub mod confirm;
pub mod context;
pub mod files;
pub mod graph;
pub mod keychain;
pub mod keys;
pub mod network;
pub mod node;
pub mod store;
pub mod wallet;

pub use api::{ApiError, ErrorCode};
pub use context::Context;
pub use network::Network;
