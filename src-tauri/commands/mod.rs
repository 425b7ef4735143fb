//! Tauri commands, one file per area. Each is parse → one core call → map the
//! error to `ApiError`; names match the core methods.

pub mod app;
pub mod audit;
pub mod lock;
pub mod node;
pub mod profiles;
pub mod psbt;
pub mod swaps;
pub mod wallet;
