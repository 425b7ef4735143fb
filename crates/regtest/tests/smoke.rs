//! A fresh network: profiles, graph, a multi-hop payment alice → bob → carol,
//! mining, reuse by a second `up`, and nothing left running after drop.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

mod common;

use switchyard_regtest::network::{NetworkOptions, OnDrop, StartKind};
use switchyard_regtest::Network;

#[test]
fn network_up_pays_multi_hop_and_cleans_up() {
    let started = std::time::Instant::now();
    let net = Network::up(NetworkOptions::temp("smoke")).expect("regtest up");
    eprintln!("regtest up took {:.1} s", started.elapsed().as_secs_f64());
    let dir = net.dir().to_path_buf();
    let pids = net.pids();
    assert_eq!(pids.len(), 4);

    // Profiles: one per node, files that exist, and a well-formed lndconnect URI.
    let profiles = net.profiles().unwrap();
    assert_eq!(
        profiles.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["alice", "bob", "carol"]
    );
    let written: Vec<switchyard_regtest::NodeProfile> =
        serde_json::from_str(&std::fs::read_to_string(net.profiles_path()).unwrap()).unwrap();
    assert_eq!(written, profiles);
    for p in &profiles {
        assert!(p.tls_cert_path.is_file() && p.macaroon_path.is_file());
        assert_eq!(p.pubkey.len(), 66);
        let rest = p
            .lndconnect
            .strip_prefix(&format!("lndconnect://{}?cert=", p.grpc_host))
            .unwrap();
        let (cert, mac) = rest.split_once("&macaroon=").unwrap();
        assert!(
            cert.len() > 400 && !cert.contains(['+', '/', '=']),
            "base64url DER cert"
        );
        assert!(
            mac.len() > 100 && !mac.contains(['+', '/', '=']),
            "base64url macaroon"
        );
    }

    // Graph: every node sees the three public channels; the private one is not announced.
    for node in &net.nodes {
        let g = node.cli(&["describegraph"]).unwrap();
        assert_eq!(
            g["edges"].as_array().unwrap().len(),
            3,
            "{} graph",
            node.name
        );
        assert_eq!(g["nodes"].as_array().unwrap().len(), 3);
    }
    let carol_private = net
        .node("carol")
        .unwrap()
        .cli(&["listchannels", "--private_only"])
        .unwrap();
    assert_eq!(carol_private["channels"].as_array().unwrap().len(), 1);

    // A multi-hop payment alice → carol through bob, with bob's fee.
    let paid = net.pay_via("alice", "carol", 25_000, Some("bob")).unwrap();
    assert_eq!(paid.hops, ["bob", "carol"]);
    assert!(
        paid.fee_msat >= 1_000,
        "bob charges at least his base fee: {}",
        paid.fee_msat
    );
    assert_eq!(paid.payment_hash.len(), 64);

    // Bad requests are named.
    let err = net.pay("alice", "zed", 1).unwrap_err().to_string();
    assert!(err.contains("no node named zed"), "{err}");
    assert!(net.pay("alice", "alice", 1).is_err());

    // Mining moves every node forward.
    let mut net = net;
    let before = net.btcd.height().unwrap();
    assert_eq!(net.mine(3).unwrap(), before + 3);

    // A second `up` on the same directory reuses the running network.
    let mut opts = NetworkOptions::new(&dir);
    opts.on_drop = OnDrop::KeepRunning;
    let again = Network::up(opts).unwrap();
    assert_eq!(again.start_kind, StartKind::Reused);
    assert_eq!(again.pids(), pids);
    drop(again);
    assert!(
        pids.iter().all(|p| common::alive(*p)),
        "reuse handle must not stop the network"
    );

    drop(net);
    assert!(
        pids.iter().all(|p| !common::alive(*p)),
        "every daemon stopped on drop"
    );
    assert!(common::processes_mentioning(&dir).is_empty());
    assert!(!dir.exists(), "temp network directory removed");
}
