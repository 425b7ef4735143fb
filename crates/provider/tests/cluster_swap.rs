//! A swap step through an LND cluster's failover: the user's node is the
//! regtest `cluster` (three LND instances on etcd), the provider ours on
//! carol. The swap out's Lightning payment is in flight (carol holds it
//! until the lockup is claimed) when the leading instance is SIGKILLed; the
//! engine follows the next leader and the swap ends succeeded: nothing
//! lost. Then a swap in whose invoice the new leader pays after another
//! failover during its lockup's confirmation.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use secrecy::SecretString;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use switchyard_core::amount::Sat;
use switchyard_core::keychain::OsKeychain;
use switchyard_core::node::{Connection, NodeService, NodeSource};
use switchyard_core::store::Store;
use switchyard_core::swaps::{EngineConfig, SwapEngine, SwapRequest, SwapView};
use switchyard_core::wallet::{NewWallet, WalletService};
use switchyard_core::Network;
use switchyard_provider::{Config, Provider};
use switchyard_regtest::network::NetworkOptions;

fn source(net: &switchyard_regtest::Network, name: &str) -> NodeSource {
    let p = net
        .profiles()
        .unwrap()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap();
    let mut s = NodeSource::files(
        name,
        p.grpc_host,
        p.tls_cert_path,
        p.macaroon_path,
        Network::Regtest,
    );
    if !p.endpoints.is_empty() {
        s.endpoints = p.endpoints;
        s.etcd_endpoints = p.etcd_endpoints;
    }
    s
}

fn keychain(label: &str) -> OsKeychain {
    OsKeychain::new(format!(
        "{}.swaps.{label}.{}",
        switchyard_core::context::keychain_service(),
        std::process::id()
    ))
}

fn mine(net: &mut switchyard_regtest::Network, n: u32) {
    tokio::task::block_in_place(|| net.mine(n)).unwrap();
}

async fn until(
    net: &mut switchyard_regtest::Network,
    engine: &SwapEngine,
    id: &str,
    blocks: u32,
    done: impl Fn(&SwapView) -> bool,
) -> SwapView {
    for _ in 0..blocks {
        let v = engine.view(id).await.unwrap();
        if done(&v) {
            return v;
        }
        mine(net, 1);
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    let v = engine.view(id).await.unwrap();
    assert!(done(&v), "the swap did not get there: {v:#?}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_swap_survives_the_death_of_the_clusters_leader() {
    let mut opts = NetworkOptions::temp("clusterswap");
    opts.cluster = true;
    let mut net = tokio::task::spawn_blocking(move || switchyard_regtest::Network::up(opts))
        .await
        .unwrap()
        .expect("regtest up --cluster");

    let pdir = tempfile::tempdir().unwrap();
    let cfg = Config {
        submarine_timeout_blocks: 150,
        reverse_timeout_blocks: 100,
        coop_claim_wait: Duration::from_secs(5),
        fee_rate: Some(2),
        ..Config::defaults(Network::Regtest)
    };
    let carol = Arc::new(Connection::new(Some(source(&net, "carol"))));
    let provider = Provider::start(cfg, pdir.path(), "clswap", &keychain("clswap-p"), carol)
        .await
        .unwrap();
    let (addr, _h): (SocketAddr, _) = provider
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    let udir = tempfile::tempdir().unwrap();
    let store = Store::open_in(udir.path()).await.unwrap();
    let wallets = WalletService::new(store.clone(), Arc::new(keychain("clswap-u")));
    let words = switchyard_core::keys::generate_mnemonic(switchyard_core::keys::WordCount::Twelve)
        .to_string();
    let w = wallets
        .create(NewWallet {
            name: "swapper".into(),
            network: Network::Regtest,
            words: SecretString::from(words),
            passphrase: SecretString::from(String::new()),
        })
        .await
        .unwrap();
    let node = Arc::new(NodeService::new(Some(source(&net, "cluster"))));
    node.conn.check().await.unwrap();
    let engine = SwapEngine::new(
        store,
        wallets,
        node.conn.clone(),
        EngineConfig {
            poll: Duration::from_millis(500),
            ..EngineConfig::default()
        },
    );
    let req = |amount: u64| SwapRequest {
        wallet: w.id.clone(),
        provider: format!("http://{addr}"),
        amount: Sat::from_sat(amount),
        max_fee: Sat::from_sat(20_000),
        external_funding: false,
    };

    // Swap out: the cluster pays carol's hold invoice; carol locks up once
    // the HTLC is held. The leader dies while the payment is in flight.
    let v = engine.swap_out(&req(60_000)).await.unwrap();
    let id = v.id.clone();
    let mut waited = 0;
    while engine.view(&id).await.unwrap().lockup.is_empty() {
        assert!(waited < 600, "carol never locked up");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    let killed = tokio::task::block_in_place(|| net.kill_leader()).unwrap();
    let v = until(&mut net, &engine, &id, 60, |v| v.is_final).await;
    assert_eq!(v.outcome.as_deref(), Some("succeeded"), "{v:#?}");
    tokio::task::block_in_place(|| net.start_instance(&killed)).unwrap();

    // Swap in: the lockup is paid from the cluster's on-chain wallet; the
    // leader dies before it confirms; carol pays our invoice to the next
    // leader, which settles it.
    let v = engine.swap_in(&req(50_000)).await.unwrap();
    let id = v.id.clone();
    let mut waited = 0;
    while engine.view(&id).await.unwrap().lockup.is_empty() {
        assert!(waited < 600, "our lockup never went out");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    tokio::task::block_in_place(|| net.kill_leader()).unwrap();
    let v = until(&mut net, &engine, &id, 60, |v| {
        v.outcome.as_deref() == Some("succeeded")
    })
    .await;
    assert_eq!(v.outcome.as_deref(), Some("succeeded"), "{v:#?}");
    engine.stop();
}
