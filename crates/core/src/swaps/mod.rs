//! Swaps between on-chain bitcoin and Lightning with a Boltz-compatible
//! provider: the client of its API ([`client`]) and the engine that drives
//! each swap ([`engine`]) — the pure state machine of
//! [`crate::swap::machine`] fed by the chain (LND's chain notifier), the
//! node's Lightning view, the provider's status and our own actions, every
//! event stored with the state it leads to before anything is done.

pub mod client;
pub mod engine;
mod view;

pub use client::{BoltzClient, ProviderApiError};
pub use engine::{
    EngineConfig, RescueReport, SwapEngine, SwapError, SwapRequest, PROVIDER_SETTING,
};
pub use view::{FundedSwap, QuoteView, SwapView, TimelineStep};
