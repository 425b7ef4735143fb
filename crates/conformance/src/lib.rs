//! Tests only: see `tests/boltz_client.rs`.
