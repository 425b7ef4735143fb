//! The LND connection against real nodes on the regtest network: connected
//! status, and each failure a user can meet: wrong macaroon, wrong
//! certificate, nothing listening, wrong network, the node going away and
//! coming back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use switchyard_core::node::{Connection, NodeError, NodeSource, NodeState};
use switchyard_core::profiles::{NewProfile, ProfileKind};
use switchyard_core::{ApiError, ErrorCode, Network};
use switchyard_regtest::network::NetworkOptions;

fn files(
    net: &switchyard_regtest::Network,
    host_of: &str,
    cert_of: &str,
    mac_of: &str,
    network: Network,
) -> NodeSource {
    let p = |n: &str| net.node(n).unwrap().profile().unwrap();
    NodeSource::files(
        format!("{host_of}/{cert_of}/{mac_of}"),
        p(host_of).grpc_host,
        p(cert_of).tls_cert_path,
        p(mac_of).macaroon_path,
        network,
    )
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
    let alice = Connection::new(Some(files(
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
    let via_uri = Connection::new(Some(
        NodeSource::lndconnect("uri", &uri, Network::Regtest).unwrap(),
    ));
    assert_eq!(via_uri.status().await.state, NodeState::Connected);

    // Bob's macaroon on alice: rejected, and said so.
    let err = Connection::new(Some(files(&net, "alice", "alice", "bob", Network::Regtest)))
        .check()
        .await
        .unwrap_err();
    assert!(matches!(err, NodeError::MacaroonRejected { .. }), "{err:?}");
    // Bob's certificate for alice's address: not the node we expect.
    let err = Connection::new(Some(files(&net, "alice", "bob", "alice", Network::Regtest)))
        .check()
        .await
        .unwrap_err();
    assert!(matches!(err, NodeError::TlsMismatch { .. }), "{err:?}");
    // A mainnet profile pointed at a regtest node.
    let err = Connection::new(Some(files(
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
    let nobody = Connection::new(Some(NodeSource::files(
        "nobody",
        format!("127.0.0.1:{free}"),
        p.tls_cert_path.clone(),
        p.macaroon_path.clone(),
        Network::Regtest,
    )));
    let s = nobody.status().await;
    assert_eq!(s.state, NodeState::Disconnected);
    assert!(
        matches!(s.error, Some(NodeError::Unreachable { .. })),
        "{:?}",
        s.error
    );

    // A profile with two endpoints, the first dead: fails over to the second.
    let mut cluster = NodeSource::files(
        "cluster",
        format!("127.0.0.1:{free}"),
        p.tls_cert_path.clone(),
        p.macaroon_path.clone(),
        Network::Regtest,
    );
    cluster.endpoints.push(p.grpc_host.clone());
    let svc = Connection::new(Some(cluster.clone()));
    let s = svc.status().await;
    assert_eq!(s.state, NodeState::Connected, "{:?}", s.error);
    assert_eq!(s.endpoint.as_deref(), Some(p.grpc_host.as_str()));
    // Both dead: unreachable, naming both.
    cluster.endpoints[1] = format!("127.0.0.1:{free}");
    cluster.endpoints.dedup();
    cluster.endpoints.push("127.0.0.1:1".into());
    let s = Connection::new(Some(cluster)).status().await;
    let e = s.error.unwrap();
    assert!(matches!(e, NodeError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains("127.0.0.1:1"), "{e}");

    // Stored profiles: added from an lndconnect link (macaroon into the
    // keychain), listed beside the regtest nodes, switched at run time.
    let data = tempfile::tempdir().unwrap();
    let ctx = switchyard_core::Context::open(data.path()).await.unwrap();
    let bob = net.node("bob").unwrap().profile().unwrap();
    let added = ctx
        .profiles
        .add(NewProfile::Lndconnect {
            name: "bob via link".into(),
            uri: bob.lndconnect.clone().into(),
            network: Network::Regtest,
            extra_endpoints: vec![],
        })
        .await
        .unwrap();
    assert_eq!(added.kind, ProfileKind::Stored);
    let e = ctx
        .profiles
        .add(NewProfile::Lndconnect {
            name: "bob via link".into(),
            uri: bob.lndconnect.clone().into(),
            network: Network::Regtest,
            extra_endpoints: vec![],
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let e = ctx
        .profiles
        .add(NewProfile::Lndconnect {
            name: "broken".into(),
            uri: "lndconnect://127.0.0.1:10009?cert=abc".into(),
            network: Network::Regtest,
            extra_endpoints: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(ApiError::from(e).code, ErrorCode::InvalidLndconnect);
    let e = ctx
        .profiles
        .add(NewProfile::Files {
            name: "no files".into(),
            endpoints: vec![p.grpc_host.clone()],
            tls_cert_path: "/nonexistent/tls.cert".into(),
            macaroon_path: "/nonexistent/admin.macaroon".into(),
            network: Network::Regtest,
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/tls.cert"), "{e}");
    let files = ctx
        .profiles
        .add(NewProfile::Files {
            name: "alice files".into(),
            endpoints: vec![p.grpc_host.clone()],
            tls_cert_path: p.tls_cert_path.display().to_string(),
            macaroon_path: p.macaroon_path.display().to_string(),
            network: Network::Regtest,
        })
        .await
        .unwrap();
    assert_eq!(files.kind, ProfileKind::Files);
    let macaroon = std::fs::read(&bob.macaroon_path).unwrap();
    for f in ["switchyard.db", "switchyard.db-wal"] {
        let bytes = std::fs::read(data.path().join(f)).unwrap_or_default();
        assert!(!bytes
            .windows(macaroon.len())
            .any(|w| w == macaroon.as_slice()));
        let hex: String = macaroon.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!String::from_utf8_lossy(&bytes).contains(&hex[..40]));
    }

    // No regtest network in this data dir and none chosen: the first listed is in use.
    let first = ctx.profiles.list().await.unwrap()[0].clone();
    assert!(first.active);
    assert_eq!(
        ctx.profiles.active_id().await.unwrap().as_deref(),
        Some(first.id.as_str())
    );
    let (_, src) = ctx.profiles.activate("alice files").await.unwrap();
    ctx.node.conn.switch(Some(src)).await;
    assert_eq!(ctx.node.conn.status().await.alias.as_deref(), Some("alice"));
    let (_, src) = ctx.profiles.activate(&added.id).await.unwrap();
    ctx.node.conn.switch(Some(src)).await;
    let s = ctx.node.conn.status().await;
    assert_eq!(s.alias.as_deref(), Some("bob"), "{:?}", s.error);
    assert_eq!(s.profile.as_deref(), Some("bob via link"));
    let listed = ctx.profiles.list().await.unwrap();
    assert_eq!(listed.iter().filter(|p| p.active).count(), 1);
    assert!(listed.iter().any(|p| p.active && p.id == added.id));
    // The choice survives a restart of the app.
    let reopened = switchyard_core::Context::open(data.path()).await.unwrap();
    assert_eq!(
        reopened.node.conn.status().await.alias.as_deref(),
        Some("bob")
    );
    // Removing a profile asks for the app password once one is set.
    let app_pw = secrecy::SecretString::from("correct horse battery".to_string());
    ctx.set_app_password(None, &app_pw).await.unwrap();
    let e = ctx.profiles.remove(&added.id, None).await.unwrap_err();
    assert_eq!(
        switchyard_core::ApiError::from(e).code,
        switchyard_core::ErrorCode::PasswordNeeded
    );
    for id in [&added.id, &files.id] {
        ctx.profiles.remove(id, Some(&app_pw)).await.unwrap();
    }
    assert!(ctx.profiles.list().await.unwrap().is_empty());

    // The node goes away and comes back: the same service reconnects.
    tokio::task::block_in_place(|| net.stop_node("alice")).unwrap();
    let s = alice.status().await;
    assert_eq!(s.state, NodeState::Disconnected);
    assert!(
        matches!(s.error, Some(NodeError::Unreachable { .. })),
        "{:?}",
        s.error
    );
    tokio::task::block_in_place(|| net.start_node("alice")).unwrap();
    let s = alice.status().await;
    assert_eq!(s.state, NodeState::Connected, "{:?}", s.error);
    drop(net);
}
