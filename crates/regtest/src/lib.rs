//! A local regtest Lightning network: one btcd and several LND nodes on
//! loopback, funded, connected, with channels, in one data directory.
//!
//! Used three ways: `switchyard regtest up|status|mine|pay|down` (daemons
//! outlive the command; `down` stops them by PID), the desktop app's embedded
//! default (the same, started or reused), and integration tests
//! ([`Network::up`] in a temp dir, stopped and removed on drop, also when a
//! test panics).
//!
//! The daemons are driven through their own command-line clients (`lncli`,
//! `btcctl`) with JSON output, which keeps this crate free of gRPC; the
//! wallet's LND client lives in the core. Binaries come from
//! `tools/regtest/build.sh` (see [`bins`]).
//!
//! `up`, in order:
//! 1. start btcd with a mining address whose key the harness holds;
//! 2. mine past segwit/CSV activation (BIP9 on regtest: 432 blocks) and
//!    coinbase maturity;
//! 3. start the LND nodes (alice, bob, carol, then dave, erin, …) and wait
//!    until each is synced to the chain;
//! 4. fund every node from a mature coinbase with one transaction signed here
//!    (btcd has no `generatetoaddress`), then confirm it;
//! 5. connect peers and open channels: public alice→bob, bob→carol,
//!    carol→alice (each with a pushed balance) and a private carol→bob
//!    (further nodes chain on: carol→dave, dave→erin, …);
//! 6. mine 6 blocks so they are announced, and wait until every node sees
//!    every public channel in its graph;
//! 7. write `network.json` (PIDs, ports, paths) and `profiles.json` (one
//!    connection profile per node: lndconnect URI, cert and macaroon paths).

pub mod bins;
pub mod btcd;
pub mod cluster;
pub mod error;
pub mod etcd;
pub mod lnd;
pub mod miner;
pub mod network;
pub mod process;
pub mod speculos;

pub use error::RegtestError;
pub use network::{Network, NetworkOptions, NodeProfile};
