//! Switchyard's own logic with no I/O: what the app computes, not what it
//! talks to. Nothing here opens a file, a socket or a database, or waits on a
//! runtime; the test script checks with `cargo tree` that this crate depends
//! on no tokio, sqlx, tonic, keyring or Tauri.
//!
//! - [`audit`]: the audit log's entries, HMAC chain, RFC 9162 Merkle tree,
//!   signed tree heads and the verdict on a stored or exported log.
//! - [`network`]: which Bitcoin network a wallet or node lives on.
//! - [`amount`]: amounts in sats and msat, checked before arithmetic.
//! - [`keys`]: BIP39 mnemonics, BIP32 paths and keys, BIP44/49/84/86
//!   accounts, SLIP-132 encodings, descriptors and addresses.
//! - [`graph`]: the channel graph, our router, mission control, route hints,
//!   graph files and the BOLT 1/7 gossip codec.
//! - [`plan`]: one route query planned over the graph (our routes as shown,
//!   another router's priced beside them), the neighbourhood picture.
//! - [`psbt`]: PSBT review — what a PSBT spends and pays, through our own
//!   descriptors, with the warnings to see before signing.
//! - [`secret`]: secrets arriving from the faces, never printed.
//! - [`swap`]: Boltz-compatible swaps (the taproot swap tree so far).

pub mod amount;
pub mod audit;
pub mod graph;
pub mod keys;
pub mod network;
pub mod plan;
pub mod psbt;
pub mod secret;
pub mod swap;

pub use network::Network;
