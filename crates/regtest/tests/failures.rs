//! Failure paths of the harness: each gives a clear message and leaves no
//! process behind.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

mod common;

use std::os::unix::fs::PermissionsExt;
use switchyard_regtest::bins::Binaries;
use switchyard_regtest::network::NetworkOptions;
use switchyard_regtest::{Network, RegtestError};

#[test]
fn missing_binary_names_the_binary_and_the_fix() {
    let empty = std::env::temp_dir().join(format!("switchyard-empty-bin-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let err = Binaries::in_dir(&empty).unwrap_err();
    assert!(matches!(
        err,
        RegtestError::MissingBinary { name: "lnd", .. }
    ));
    assert!(err.to_string().contains("tools/regtest/build.sh"), "{err}");
    std::fs::remove_dir_all(&empty).unwrap();
}

#[test]
fn a_daemon_dying_at_start_up_shows_its_log_and_leaves_nothing_running() {
    // Real btcd, btcctl and lncli, and an "lnd" that fails the way a broken install would.
    let real = Binaries::locate().expect("regtest binaries are built");
    let fake = std::env::temp_dir().join(format!("switchyard-fake-bin-{}", std::process::id()));
    std::fs::create_dir_all(&fake).unwrap();
    for (name, path) in [
        ("btcd", &real.btcd),
        ("btcctl", &real.btcctl),
        ("lncli", &real.lncli),
        ("etcd", &real.etcd),
    ] {
        std::os::unix::fs::symlink(path, fake.join(name)).unwrap();
    }
    std::fs::write(
        fake.join("lnd"),
        "#!/bin/sh\necho 'unable to load config: broken on purpose' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(fake.join("lnd"), std::fs::Permissions::from_mode(0o755)).unwrap();

    let mut opts = NetworkOptions::temp("dies");
    opts.bins = Some(Binaries::in_dir(&fake).unwrap());
    let dir = opts.dir.clone();
    let err = Network::up(opts).unwrap_err();
    match &err {
        RegtestError::DaemonDied { name, tail, .. } => {
            assert_eq!(name, "alice");
            assert!(tail.contains("broken on purpose"), "{tail}");
        }
        other => panic!("expected DaemonDied, got {other}"),
    }
    assert!(err.to_string().contains("exited during start-up"));
    assert!(
        common::processes_mentioning(&dir).is_empty(),
        "btcd must be stopped too"
    );
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::remove_dir_all(&fake).unwrap();
}

#[test]
fn a_directory_with_foreign_files_is_refused() {
    let dir = std::env::temp_dir().join(format!("switchyard-foreign-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let err = Network::up(NetworkOptions::new(&dir)).unwrap_err();
    assert!(
        err.to_string().contains("holds files but no network.json"),
        "{err}"
    );
    assert!(
        dir.join("notes.txt").exists(),
        "nothing of the user's is deleted"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn node_counts_out_of_range_are_refused() {
    for n in [0, 2, 9] {
        let mut opts = NetworkOptions::temp("count");
        opts.nodes = n;
        let err = Network::up(opts).unwrap_err();
        assert!(err.to_string().contains("3 to 8 nodes"), "{err}");
    }
}

#[test]
fn not_running_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("switchyard-none-{}", std::process::id()));
    let err = Network::attach(&dir).unwrap_err();
    assert!(
        err.to_string().contains("No regtest network is running"),
        "{err}"
    );
}

#[test]
fn a_taken_port_blocks_a_restart_with_a_clear_message() {
    let mut net = Network::up(NetworkOptions::temp("port")).expect("regtest up");
    net.stop_node("bob").unwrap();
    let bob_port = net.node("bob").unwrap().rpc_port;
    let squatter = std::net::TcpListener::bind(("127.0.0.1", bob_port))
        .expect("bob's port is free after stop");
    let mut opts = NetworkOptions::new(net.dir());
    opts.on_drop = switchyard_regtest::network::OnDrop::KeepRunning;
    let err = Network::up(opts).unwrap_err();
    assert!(
        err.to_string().contains(&format!("port {bob_port}")),
        "{err}"
    );
    drop(squatter);
    let dir = net.dir().to_path_buf();
    drop(net);
    assert!(common::processes_mentioning(&dir).is_empty());
}
