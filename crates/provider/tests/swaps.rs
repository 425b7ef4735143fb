//! Swaps end to end on the real regtest network: the user's wallet on
//! alice (our engine), the provider on carol (our provider, its own
//! SQLite and LND), the Lightning leg routed by LND between them. Real
//! SQLite files, the real keychain (the test script runs this inside a
//! private Secret Service), real btcd and LND.

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
use switchyard_provider::{Config, Faults, Provider};
use switchyard_regtest::network::NetworkOptions;

const WORDS: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn source(net: &switchyard_regtest::Network, name: &str) -> NodeSource {
    let p = net.node(name).unwrap().profile().unwrap();
    NodeSource::files(
        name,
        p.grpc_host,
        p.tls_cert_path,
        p.macaroon_path,
        Network::Regtest,
    )
}

fn keychain(label: &str) -> OsKeychain {
    OsKeychain::new(format!(
        "{}.swaps.{label}.{}",
        switchyard_core::context::keychain_service(),
        std::process::id()
    ))
}

struct User {
    engine: SwapEngine,
    wallet: String,
    node: Arc<NodeService>,
    _dir: tempfile::TempDir,
}

async fn user(net: &switchyard_regtest::Network, label: &str, cfg: EngineConfig) -> User {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).await.unwrap();
    let wallets = WalletService::new(store.clone(), Arc::new(keychain(label)));
    let w = wallets
        .create(NewWallet {
            name: "swapper".into(),
            network: Network::Regtest,
            words: SecretString::from(WORDS.to_string()),
            passphrase: SecretString::from(String::new()),
        })
        .await
        .unwrap();
    let node = Arc::new(NodeService::new(Some(source(net, "alice"))));
    let engine = SwapEngine::new(store, wallets, node.conn.clone(), cfg);
    User {
        engine,
        wallet: w.id,
        node,
        _dir: dir,
    }
}

struct Prov {
    url: String,
    p: Arc<Provider>,
    _dir: tempfile::TempDir,
}

async fn provider(net: &switchyard_regtest::Network, label: &str, faults: Faults) -> Prov {
    let dir = tempfile::tempdir().unwrap();
    let conn = Arc::new(Connection::new(Some(source(net, "carol"))));
    let cfg = Config {
        submarine_timeout_blocks: 100,
        reverse_timeout_blocks: 50,
        coop_claim_wait: Duration::from_secs(5),
        fee_rate: Some(2),
        faults,
        ..Config::defaults(Network::Regtest)
    };
    let p = Provider::start(cfg, dir.path(), label, &keychain(label), conn)
        .await
        .unwrap();
    let (addr, _h): (SocketAddr, _) = p.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    Prov {
        url: format!("http://{addr}"),
        p,
        _dir: dir,
    }
}

fn engine_cfg() -> EngineConfig {
    EngineConfig {
        poll: Duration::from_millis(500),
        ..EngineConfig::default()
    }
}

fn mine(net: &mut switchyard_regtest::Network, n: u32) {
    tokio::task::block_in_place(|| net.mine(n)).unwrap();
}

/// Mines a block every `every` until `done` says so (at most `blocks`).
async fn mine_until(
    net: &mut switchyard_regtest::Network,
    engine: &SwapEngine,
    id: &str,
    blocks: u32,
    every: Duration,
    done: impl Fn(&SwapView) -> bool,
) -> SwapView {
    for _ in 0..blocks {
        let v = engine.view(id).await.unwrap();
        if done(&v) {
            return v;
        }
        mine(net, 1);
        tokio::time::sleep(every).await;
    }
    let v = engine.view(id).await.unwrap();
    assert!(done(&v), "swap did not get there: {v:#?}");
    v
}

fn witness_items(hex: &str) -> usize {
    let bytes: Vec<u8> = bitcoin::hex::FromHex::from_hex(hex).unwrap();
    let tx: bitcoin::Transaction = bitcoin::consensus::deserialize(&bytes).unwrap();
    tx.input[0].witness.len()
}

fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "info,sqlx=warn,h2=warn,hyper=warn,tower=warn",
        ))
        .with_test_writer()
        .try_init();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn submarine_and_reverse_swaps_complete_cooperatively() {
    logs();
    let mut net = tokio::task::spawn_blocking(|| {
        switchyard_regtest::Network::up(NetworkOptions::temp("swaps"))
    })
    .await
    .unwrap()
    .expect("regtest up");
    let prov = provider(&net, "coop", Faults::default()).await;
    let u = user(&net, "coop", engine_cfg()).await;
    let before = u.node.channels().balances().await.unwrap();

    // 1. Swap in: alice locks on chain, carol pays alice's invoice and
    // claims with alice's co-signature.
    let req = SwapRequest {
        wallet: u.wallet.clone(),
        provider: prov.url.clone(),
        amount: Sat::from_sat(100_000),
        max_fee: Sat::from_sat(20_000),
    };
    let v = u.engine.swap_in(&req).await.unwrap();
    assert_eq!(v.kind, "submarine");
    let id = v.id.clone();
    let v = mine_until(
        &mut net,
        &u.engine,
        &id,
        40,
        Duration::from_millis(700),
        |v| v.outcome.as_deref() == Some("succeeded"),
    )
    .await;
    assert!(!v.is_final, "a swap in stays watched until its time lock");
    let after = u.node.channels().balances().await.unwrap();
    assert_eq!(
        after.lightning_local_sat.to_sat(),
        before.lightning_local_sat.to_sat() + 100_000,
        "the invoice was paid into alice's channels"
    );
    let pid = v.provider_id.clone().unwrap();
    let mut claimed = None;
    for _ in 0..20 {
        let ps = prov.p.db().get(&pid).await.unwrap().unwrap();
        if ps.status == "transaction.claimed" {
            claimed = Some(ps);
            break;
        }
        mine(&mut net, 1);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let ps = claimed.expect("the provider's claim confirmed");
    assert_eq!(
        witness_items(ps.sweep_hex.as_deref().unwrap()),
        1,
        "the provider claimed by the key path"
    );
    // Past the time lock it is final.
    let v = mine_until(
        &mut net,
        &u.engine,
        &id,
        120,
        Duration::from_millis(100),
        |v| v.is_final,
    )
    .await;
    assert_eq!(v.outcome.as_deref(), Some("succeeded"));

    // 2. Swap out: alice pays carol's hold invoice, carol locks, alice
    // claims with carol's co-signature, carol settles.
    let before = u.node.channels().balances().await.unwrap();
    let v = u.engine.swap_out(&req).await.unwrap();
    let id = v.id.clone();
    let v = mine_until(
        &mut net,
        &u.engine,
        &id,
        40,
        Duration::from_millis(700),
        |v| v.is_final,
    )
    .await;
    assert_eq!(v.outcome.as_deref(), Some("succeeded"), "{v:#?}");
    let row_hex = {
        let ps = prov
            .p
            .db()
            .get(v.provider_id.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ps.status, "invoice.settled");
        ps
    };
    let _ = row_hex;
    let after = u.node.channels().balances().await.unwrap();
    assert!(
        after.lightning_local_sat.to_sat() <= before.lightning_local_sat.to_sat() - 100_000,
        "alice paid the invoice"
    );
    mine(&mut net, 1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = u.node.channels().balances().await.unwrap();
    let gained = (after.onchain_confirmed_sat.to_sat() + after.onchain_unconfirmed_sat.to_sat())
        .saturating_sub(
            before.onchain_confirmed_sat.to_sat() + before.onchain_unconfirmed_sat.to_sat(),
        );
    assert!(
        gained > 99_000 - 1_000 && gained <= v.onchain.to_sat(),
        "alice's wallet received the claim: {gained} of {}",
        v.onchain.to_sat()
    );
}
