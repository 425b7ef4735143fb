//! The LND connection against real nodes on the regtest network: connected
//! status, and each failure a user can meet: wrong macaroon, wrong
//! certificate, nothing listening, wrong network, the node going away and
//! coming back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use switchyard_core::node::{NodeError, NodeService, NodeSource, NodeState};
use switchyard_core::{ErrorCode, Network};
use switchyard_regtest::network::NetworkOptions;
use zeroize::Zeroizing;

fn files(
    net: &switchyard_regtest::Network,
    host_of: &str,
    cert_of: &str,
    mac_of: &str,
    network: Network,
) -> NodeSource {
    let p = |n: &str| net.node(n).unwrap().profile().unwrap();
    NodeSource::Files {
        name: format!("{host_of}/{cert_of}/{mac_of}"),
        grpc_host: p(host_of).grpc_host,
        tls_cert_path: p(cert_of).tls_cert_path,
        macaroon_path: p(mac_of).macaroon_path,
        network,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_status_and_every_failure_mode() {
    let mut net = tokio::task::spawn_blocking(|| {
        switchyard_regtest::Network::up(NetworkOptions::temp("node"))
    })
    .await
    .unwrap()
    .expect("regtest up");

    // Connected: what the header shows.
    let alice = NodeService::new(Some(files(
        &net,
        "alice",
        "alice",
        "alice",
        Network::Regtest,
    )));
    let s = alice.status().await;
    assert_eq!(s.state, NodeState::Connected, "{:?}", s.error);
    assert_eq!(s.alias.as_deref(), Some("alice"));
    assert_eq!(s.active_channels, 2);
    assert_eq!(
        u64::from(s.block_height.unwrap()),
        net.btcd.height().unwrap()
    );
    assert!(s.version.unwrap().starts_with("0.20"));
    assert_eq!(
        s.pubkey.as_deref(),
        Some(net.node("alice").unwrap().pubkey().unwrap().as_str())
    );

    // The same node through its lndconnect URI (certificate and macaroon inline).
    let uri = net.node("alice").unwrap().profile().unwrap().lndconnect;
    let via_uri = NodeService::new(Some(NodeSource::LndConnect {
        name: "uri".into(),
        uri: Zeroizing::new(uri),
        network: Network::Regtest,
    }));
    assert_eq!(via_uri.status().await.state, NodeState::Connected);

    // Bob's macaroon on alice: rejected, and said so.
    let err = NodeService::new(Some(files(&net, "alice", "alice", "bob", Network::Regtest)))
        .check()
        .await
        .unwrap_err();
    assert!(matches!(err, NodeError::MacaroonRejected { .. }), "{err:?}");
    // Bob's certificate for alice's address: not the node we expect.
    let err = NodeService::new(Some(files(&net, "alice", "bob", "alice", Network::Regtest)))
        .check()
        .await
        .unwrap_err();
    assert!(matches!(err, NodeError::TlsMismatch { .. }), "{err:?}");
    // A mainnet profile pointed at a regtest node.
    let err = NodeService::new(Some(files(
        &net,
        "alice",
        "alice",
        "alice",
        Network::Bitcoin,
    )))
    .check()
    .await
    .unwrap_err();
    assert!(matches!(err, NodeError::WrongNetwork { .. }), "{err:?}");
    assert!(err.to_string().contains("regtest"));
    // Nothing listening.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = net.node("alice").unwrap().profile().unwrap();
    let nobody = NodeService::new(Some(NodeSource::Files {
        name: "nobody".into(),
        grpc_host: format!("127.0.0.1:{free}"),
        tls_cert_path: p.tls_cert_path.clone(),
        macaroon_path: p.macaroon_path.clone(),
        network: Network::Regtest,
    }));
    let s = nobody.status().await;
    assert_eq!(s.state, NodeState::Disconnected);
    assert_eq!(s.error.unwrap().code, ErrorCode::NodeUnreachable);

    // The node goes away and comes back: the same service reconnects.
    tokio::task::block_in_place(|| net.stop_node("alice")).unwrap();
    let s = alice.status().await;
    assert_eq!(s.state, NodeState::Disconnected);
    assert_eq!(s.error.unwrap().code, ErrorCode::NodeUnreachable);
    tokio::task::block_in_place(|| net.start_node("alice")).unwrap();
    let s = alice.status().await;
    assert_eq!(s.state, NodeState::Connected, "{:?}", s.error);
    drop(net);
}
