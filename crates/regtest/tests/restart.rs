//! An LND node restarts and comes back: its channels reactivate and
//! payments through it work again; `up` on the directory restarts a dead node.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

mod common;

use std::time::{Duration, Instant};
use switchyard_regtest::network::{NetworkOptions, OnDrop, StartKind};
use switchyard_regtest::Network;

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn active_channels(net: &Network, name: &str) -> usize {
    net.node(name)
        .unwrap()
        .cli(&["listchannels", "--active_only"])
        .map(|v| v["channels"].as_array().map_or(0, Vec::len))
        .unwrap_or(0)
}

#[test]
fn a_restarted_node_comes_back() {
    let mut net = Network::up(NetworkOptions::temp("restart")).expect("regtest up");
    net.pay_via("alice", "carol", 10_000, Some("bob")).unwrap();
    let bob_pubkey = net.node("bob").unwrap().pubkey().unwrap();

    net.stop_node("bob").unwrap();
    let s = net.status();
    assert!(!s.nodes[1].running && s.nodes[0].running && s.nodes[2].running);
    wait_until("alice to see bob's channel inactive", || {
        active_channels(&net, "alice") == 1
    });
    let err = net
        .pay_via("alice", "carol", 10_000, Some("bob"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("bob is not answering"), "{err}");

    net.start_node("bob").unwrap();
    assert_eq!(
        net.node("bob").unwrap().pubkey().unwrap(),
        bob_pubkey,
        "same node identity"
    );
    wait_until("bob's channels to reactivate", || {
        active_channels(&net, "bob") == 3
    });
    wait_until("alice to see bob again", || {
        active_channels(&net, "alice") == 2
    });
    let paid = net.pay_via("alice", "carol", 10_000, Some("bob")).unwrap();
    assert_eq!(paid.hops, ["bob", "carol"]);

    // A node that died is restarted by `up` on the directory (btcd kept running).
    net.stop_node("carol").unwrap();
    let mut opts = NetworkOptions::new(net.dir());
    opts.on_drop = OnDrop::KeepRunning;
    let resumed = Network::up(opts).unwrap();
    assert_eq!(resumed.start_kind, StartKind::Resumed);
    let mut resumed = resumed;
    assert!(common::alive(resumed.nodes[2].daemon.pid()));
    resumed.pay_via("bob", "carol", 1_000, None).unwrap();
    // The resumed handle knows every current PID: it does the cleanup.
    let dir = net.dir().to_path_buf();
    let pids = resumed.pids();
    net.set_on_drop(OnDrop::KeepRunning);
    resumed.set_on_drop(OnDrop::StopAndRemove);
    drop(net);
    drop(resumed);
    assert!(pids.iter().all(|p| !common::alive(*p)));
    assert!(
        common::processes_mentioning(&dir).is_empty(),
        "no daemon left behind"
    );
}
