//! High availability on a real LND cluster: one Lightning node served by
//! three LND instances on a three-member etcd cluster (leader election on
//! etcd), the app connected through the node layer exactly as the window
//! and the CLI use it. The processes are real and killed with SIGKILL.
//!
//! 1. The leader dies with a payment in flight: a standby takes over, the
//!    app follows it without help, the payment ends (here: succeeds), the
//!    channels and balances are the same, live events resume.
//! 2. The leader dies in the middle of a channel open: the open completes
//!    on the new leader, and the channel backup auto-save keeps working.
//! 3. One etcd member dies: the node keeps serving (a quorum is left); it
//!    comes back and catches up.
//! 4. Two etcd members die: no instance serves (no standby is ever elected:
//!    no split brain), the app says the cluster lost its quorum; a member
//!    comes back and the node serves again.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use std::sync::Arc;
use std::time::Duration;
use switchyard_core::amount::{Msat, Sat};
use switchyard_core::node::channels::{ChannelState, OpenChannelRequest};
use switchyard_core::node::connection::{InstanceRole, NodeState};
use switchyard_core::node::events::{EventReceiver, NodeEvent, StreamState};
use switchyard_core::node::payments::{CreateInvoiceRequest, PayInvoiceRequest, PaymentStatus};
use switchyard_core::node::{NodeError, NodeService, NodeSource};
use switchyard_core::Network;
use switchyard_regtest::network::NetworkOptions;

mod common;
use common::eventually;

/// The clustered node's profile as the harness writes it: every instance's
/// endpoint, the bundle of their certificates, the shared macaroon, the
/// etcd members.
fn cluster_source(net: &switchyard_regtest::Network) -> NodeSource {
    let p = net
        .profiles()
        .unwrap()
        .into_iter()
        .find(|p| p.name == "cluster")
        .unwrap();
    assert_eq!(p.endpoints.len(), 3);
    NodeSource {
        endpoints: p.endpoints.clone(),
        etcd_endpoints: p.etcd_endpoints.clone(),
        ..NodeSource::files(
            "cluster",
            p.grpc_host,
            p.tls_cert_path,
            p.macaroon_path,
            Network::Regtest,
        )
    }
}

fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// Waits for the first event `pick` accepts.
async fn next_event<T>(
    rx: &mut EventReceiver,
    secs: u64,
    what: &str,
    mut pick: impl FnMut(&NodeEvent) -> Option<T>,
) -> T {
    let wait = async {
        loop {
            let e = rx.recv().await.expect("hub stopped");
            if let Some(v) = pick(&e) {
                return v;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(secs), wait)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for event: {what}"))
}

/// The endpoint the app serves from once it is connected again.
async fn connected(node: &NodeService, secs: u64, what: &str) -> String {
    eventually(secs, what, || async {
        let s = node.conn.status().await;
        (s.state == NodeState::Connected).then_some(s.endpoint?)
    })
    .await
}

async fn all_streams_live(node: &NodeService, secs: u64) {
    eventually(secs, "every live-event stream to be live again", || async {
        let s = node.conn.stream_states();
        (s.len() == 6 && s.iter().all(|(_, st)| *st == StreamState::Live)).then_some(())
    })
    .await;
}

/// (channel point, local sats) of every active channel, sorted.
async fn active_channels(node: &NodeService) -> Vec<(String, u64)> {
    let list = node.channels().list().await.unwrap();
    let mut v: Vec<(String, u64)> = list
        .channels
        .iter()
        .filter(|c| c.state == ChannelState::Active)
        .map(|c| (c.channel_point.clone(), c.local_sat.to_sat()))
        .collect();
    v.sort();
    v
}

async fn open_to(
    node: &NodeService,
    peer: &str,
    sat: u64,
) -> switchyard_core::node::channels::OpenedChannel {
    node.channels()
        .open(&OpenChannelRequest {
            peer: peer.to_string(),
            amount_sat: Sat::from_sat(sat),
            push_sat: Sat::ZERO,
            private: false,
            fee: None,
            min_htlc_msat: None,
            utxos: Vec::new(),
            allow_high_fee: false,
        })
        .await
        .unwrap()
}

async fn pay_bob(net: &switchyard_regtest::Network, node: &NodeService, sat: u64) {
    // After a failover the new leader's channels are active once bob has
    // reconnected (LND says "insufficient balance" until then).
    let bob = blocking(|| net.node("bob").unwrap().pubkey().unwrap());
    eventually(60, "the channel with bob to be active", || async {
        let list = node.channels().list().await.ok()?;
        list.channels
            .iter()
            .any(|c| c.peer_pubkey == bob && c.state == ChannelState::Active)
            .then_some(())
    })
    .await;
    let inv = blocking(|| {
        net.node("bob")
            .unwrap()
            .cli(&["addinvoice", "--amt", &sat.to_string()])
            .unwrap()
    });
    let paid = node
        .payments()
        .pay_invoice(&PayInvoiceRequest {
            invoice: inv["payment_request"].as_str().unwrap().to_string(),
            amount_msat: None,
            fee_limit_sat: None,
            timeout_secs: Some(30),
        })
        .await
        .unwrap();
    assert_eq!(paid.status, PaymentStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_app_follows_the_leader_of_an_lnd_cluster_on_etcd() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mut opts = NetworkOptions::temp("cluster");
    opts.cluster = true;
    let mut net = tokio::task::spawn_blocking(move || switchyard_regtest::Network::up(opts))
        .await
        .unwrap()
        .expect("regtest up --cluster");

    let node = Arc::new(NodeService::new(Some(cluster_source(&net))));
    let first = connected(&node, 30, "the app to connect to the cluster").await;
    let s = node.conn.status().await;
    assert_eq!(s.alias.as_deref(), Some("cluster-1"));
    let view = s
        .cluster
        .expect("a cluster view for a profile of three endpoints");
    assert_eq!(view.serving.as_deref(), Some(first.as_str()));
    let roles: Vec<InstanceRole> = view.instances.iter().map(|i| i.role).collect();
    assert_eq!(
        roles,
        [
            InstanceRole::Serving,
            InstanceRole::Standby,
            InstanceRole::Standby
        ]
    );
    assert_eq!(view.quorum, Some(true));

    let backups = tempfile::tempdir().unwrap();
    let hub = node.events(Some(backups.path().to_path_buf()), (0, 0));
    let mut events = hub.subscribe();
    all_streams_live(&node, 30).await;
    let before = active_channels(&node).await;
    assert_eq!(before.len(), 2, "{before:?}");

    // --- 1. The leader dies with a payment in flight. Bob holds the HTLC
    // (a hold invoice) until the leader is gone, then settles it.
    let preimage: [u8; 32] = rand::random();
    let hash = {
        use bitcoin::hashes::{sha256, Hash};
        sha256::Hash::hash(&preimage).to_string()
    };
    let hold = blocking(|| {
        net.node("bob")
            .unwrap()
            .cli(&["addholdinvoice", &hash, "--amt", "20000"])
            .unwrap()
    });
    let request = hold["payment_request"].as_str().unwrap().to_string();
    let payer = node.clone();
    let payment = tokio::spawn(async move {
        payer
            .payments()
            .pay_invoice(&PayInvoiceRequest {
                invoice: request,
                amount_msat: None,
                fee_limit_sat: None,
                timeout_secs: Some(60),
            })
            .await
    });
    let bob = blocking(|| net.node("bob").unwrap().cli_handle());
    eventually(30, "bob to hold the HTLC", || async {
        let v = bob.json(&["lookupinvoice", &hash]).ok()?;
        (v["state"].as_str() == Some("ACCEPTED")).then_some(())
    })
    .await;
    let killed = blocking(|| net.kill_leader()).unwrap();
    assert_eq!(killed, "cluster-1");
    blocking(|| {
        bob.json(&["settleinvoice", &hex_of(&preimage)])
            .expect("bob settles")
    });
    let second = connected(&node, 60, "the app to follow the new leader").await;
    assert_ne!(second, first, "the app serves from another instance now");
    let paid = tokio::time::timeout(Duration::from_secs(150), payment)
        .await
        .expect("the payment resolves; it does not stay stuck")
        .unwrap()
        .expect("the payment in flight succeeded through the new leader");
    assert_eq!(paid.status, PaymentStatus::Succeeded);
    assert_eq!(paid.payment_hash, hash);
    // The same channels, the balance moved by exactly the payment.
    let after = eventually(60, "both channels active on the new leader", || async {
        let a = active_channels(&node).await;
        (a.len() == 2).then_some(a)
    })
    .await;
    let points = |v: &[(String, u64)]| v.iter().map(|c| c.0.clone()).collect::<Vec<_>>();
    assert_eq!(points(&after), points(&before));
    let total = |v: &[(String, u64)]| v.iter().map(|c| c.1).sum::<u64>();
    assert_eq!(total(&before) - total(&after), 20_000);
    // Live events resume: an invoice of ours paid by carol shows up.
    all_streams_live(&node, 60).await;
    let inv = node
        .payments()
        .create_invoice(&CreateInvoiceRequest {
            amount_msat: Some(Msat::from_msat(7_000_000)),
            memo: "after failover".into(),
            expiry_secs: None,
            private_hints: false,
        })
        .await
        .unwrap();
    blocking(|| {
        net.node("carol")
            .unwrap()
            .cli(&["payinvoice", "--force", "--json", &inv.payment_request])
            .unwrap()
    });
    next_event(&mut events, 30, "the invoice settled, live", |e| match e {
        NodeEvent::Invoice {
            payment_hash,
            status: PaymentStatus::Succeeded,
            ..
        } if *payment_hash == inv.payment_hash => Some(()),
        _ => None,
    })
    .await;
    blocking(|| net.start_instance("cluster-1")).unwrap();

    // --- 2. The leader dies in the middle of a channel open.
    let alice = blocking(|| net.node("alice").unwrap().profile().unwrap());
    let opened = open_to(&node, &alice.p2p_uri, 1_000_000).await;
    let killed = blocking(|| net.kill_leader()).unwrap();
    let third = connected(&node, 60, "the app to follow the next leader").await;
    assert_ne!(third, second, "{killed} no longer serves");
    blocking(|| net.mine(6)).unwrap();
    eventually(
        90,
        "the channel opened before the failover to be active",
        || async {
            let list = node.channels().list().await.ok()?;
            list.channels
                .iter()
                .any(|c| c.channel_point == opened.channel_point && c.state == ChannelState::Active)
                .then_some(())
        },
    )
    .await;
    // The backup auto-save follows the new leader: a channel opened on it
    // is in the backup file the hub saves.
    let carol = blocking(|| net.node("carol").unwrap().profile().unwrap());
    let newer = open_to(&node, &carol.p2p_uri, 500_000).await;
    let saved = backups.path().join("channel.backup");
    let holds = eventually(
        60,
        "the backup saved with the channel opened on the new leader",
        || async {
            let s = node.backups().verify(&saved).await.ok()?;
            s.channel_points
                .contains(&newer.channel_point)
                .then_some(s.channel_points)
        },
    )
    .await;
    assert!(holds.contains(&opened.channel_point), "{holds:?}");
    blocking(|| net.start_instance(&killed)).unwrap();

    // --- 3. One etcd member dies: a quorum is left, the node keeps serving.
    let leader_member = blocking(|| {
        let c = net.cluster_mut().unwrap();
        c.leader().unwrap() + 1
    });
    let other = if leader_member == 1 { 2 } else { 1 };
    blocking(|| net.kill_member(&other.to_string())).unwrap();
    pay_bob(&net, &node, 1_000).await;
    let s = node.conn.status().await;
    assert_eq!(s.endpoint.as_deref(), Some(third.as_str()), "no failover");
    assert_eq!(s.cluster.unwrap().quorum, Some(true));
    blocking(|| net.start_member(&other.to_string())).unwrap();
    let (back, target) = blocking(|| {
        let c = net.cluster_mut().unwrap();
        let target = c.etcd[leader_member - 1].health().revision.unwrap();
        (other - 1, target)
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let h = blocking(|| net.cluster_mut().unwrap().etcd[back].health());
        if h.healthy && h.revision.is_some_and(|r| r >= target) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the member that came back did not catch up: {h:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // --- 4. Two members die: no quorum. No standby is ever elected, and
    // the app says what happened.
    let (a, b) = match leader_member {
        1 => (2, 3),
        2 => (1, 3),
        _ => (1, 2),
    };
    blocking(|| {
        net.kill_member(&a.to_string()).unwrap();
        net.kill_member(&b.to_string()).unwrap();
    });
    // The leader loses its etcd session and shuts itself down (LND's leader
    // health check); no standby can be elected meanwhile.
    let old = leader_member - 1;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(150);
    loop {
        let (serving, alive) = blocking(|| {
            let c = net.cluster_mut().unwrap();
            (c.serving(), c.instances[old].daemon.is_alive())
        });
        assert!(
            serving.iter().all(|i| *i == old),
            "a standby was elected without a quorum: {serving:?}"
        );
        if !alive {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the leader without a quorum never stopped"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let s = eventually(60, "the app to say the cluster lost its quorum", || async {
        let s = node.conn.status().await;
        matches!(
            s.error,
            Some(NodeError::NoLeader {
                quorum_lost: Some(true),
                ..
            })
        )
        .then_some(s)
    })
    .await;
    assert_eq!(s.state, NodeState::Disconnected);
    assert!(s.error.unwrap().to_string().contains("lost its quorum"));
    assert_eq!(s.cluster.unwrap().quorum, Some(false));
    // A member comes back: a quorum again, a standby leads, the app follows.
    blocking(|| net.start_member(&a.to_string())).unwrap();
    let fourth = connected(
        &node,
        90,
        "the app to follow the leader after the quorum is back",
    )
    .await;
    assert_ne!(fourth, third);
    pay_bob(&net, &node, 1_000).await;
    drop(hub);
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
