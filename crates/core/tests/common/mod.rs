//! Helpers shared by the integration tests that run against the regtest network.

#![allow(dead_code, clippy::unwrap_used)] // not every test file uses every helper

use std::future::Future;
use std::time::Duration;
use switchyard_core::node::NodeSource;
use switchyard_core::Network;

/// A regtest node's profile as a node source (its certificate and macaroon files).
pub fn source(net: &switchyard_regtest::Network, name: &str) -> NodeSource {
    let p = net.node(name).unwrap().profile().unwrap();
    NodeSource::files(
        name,
        p.grpc_host,
        p.tls_cert_path,
        p.macaroon_path,
        Network::Regtest,
    )
}

/// Polls `f` until it returns `Some`, for at most `secs`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
