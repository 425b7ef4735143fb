//! Atomic swaps between on-chain bitcoin and Lightning (Boltz's v2 protocol):
//! what is pure about them.
//!
//! - [`tree`]: the taproot swap tree, the lockup address, checking a
//!   provider's tree against the swap's terms.
//! - [`api`]: Boltz's v2 API as JSON types (field and status names as
//!   Boltz sends them).
//! - [`check`]: quotes, and the checks of a provider's answers before any
//!   money moves.
//! - [`keys`]: swap keys and preimages from the wallet's seed on a hardened
//!   path of their own.
//! - [`musig`]: the cooperative key path (MuSig2 with the taproot tweak).
//! - [`funding`]: a swap in funded from another wallet (a signed PSBT or
//!   raw transaction), checked before it is broadcast.
//! - [`machine`]: the wallet's side of a swap as a pure state machine.
//! - [`tx`]: claim and refund transactions sweeping every lockup output.

pub mod api;
pub mod check;
pub mod funding;
pub mod keys;
pub mod machine;
pub mod musig;
pub mod tree;
pub mod tx;
