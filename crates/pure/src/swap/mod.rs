//! Atomic swaps between on-chain bitcoin and Lightning (Boltz's v2 protocol):
//! what is pure about them. [`tree`] builds and checks the taproot swap
//! tree; the state machine and the claim/refund transactions come next.

pub mod tree;
