//! The channel graph and our own router (route preview).
//!
//! - [`model`]: the compact in-memory graph with O(1) incremental updates;
//! - [`router`]: backwards Dijkstra with exact LND fee and CLTV arithmetic,
//!   risk and reliability terms, Yen's k alternatives;
//! - [`mission`]: liquidity knowledge from payment outcomes and the success
//!   probability model;
//! - [`hints`]: an invoice's route hints (private channels) for one query;
//! - [`synth`]: a deterministic mainnet-like graph for benchmarks;
//! - [`import`], [`gossip`], [`wire`]: graph files (LND's describegraph JSON,
//!   BOLT 7 gossip through our own BOLT 1/7 codec).

pub mod gossip;
pub mod hints;
pub mod import;
pub mod mission;
pub mod model;
pub mod router;
pub mod synth;
#[cfg(test)]
pub(crate) mod testkit;
pub mod wire;

pub use mission::MissionControl;
pub use model::{ChannelSpec, Graph, GraphUpdate, NodeIdx, Policy, Pubkey};
pub use router::{find_route, k_routes, Route, RouteError, RouteRequest, RouterConfig, Scratch};
