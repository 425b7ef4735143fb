//! Crash safety of swaps with the real `switchyard` process: it is killed
//! with SIGKILL right after a step was stored — after the lockup broadcast,
//! after the lockup confirmed, after the claim broadcast — and a new
//! process (`swap resume`) finishes the swap from the database and the
//! chain. The provider (ours) runs on carol, the user's node is alice, on
//! the real regtest network; the database the test reads is the process's
//! own SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use secrecy::SecretString;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use switchyard_core::keychain::OsKeychain;
use switchyard_core::node::{Connection, NodeSource};
use switchyard_core::store::Store;
use switchyard_core::wallet::{NewWallet, WalletService};
use switchyard_core::Network;
use switchyard_provider::{Config, Faults, Provider};
use switchyard_regtest::network::NetworkOptions;

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

struct Cli {
    dir: std::path::PathBuf,
    node: Vec<String>,
    service: String,
}

impl Cli {
    fn spawn(&self, args: &[&str]) -> Child {
        let mut all: Vec<String> = vec!["--data-dir".into(), self.dir.display().to_string()];
        all.extend(self.node.iter().cloned());
        all.extend(args.iter().map(|s| s.to_string()));
        Command::new(env!("CARGO_BIN_EXE_switchyard"))
            .args(&all)
            .env("SWITCHYARD_KEYCHAIN_SERVICE", &self.service)
            .env("SWITCHYARD_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn switchyard")
    }
}

fn kill9(mut c: Child) {
    // SIGKILL: no destructor, no flush, nothing.
    c.kill().unwrap();
    let status = c.wait().unwrap();
    assert!(!status.success());
}

fn mine(net: &mut switchyard_regtest::Network, n: u32) {
    tokio::task::block_in_place(|| net.mine(n)).unwrap();
}

/// The events stored for the only swap of `kind` so far, as JSON.
async fn events(store: &Store, kind: &str) -> (String, Vec<serde_json::Value>) {
    let Some(s) = store
        .swaps()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.kind == kind)
    else {
        return (String::new(), Vec::new());
    };
    let ev = store
        .swap_events(&s.id)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, e, _)| serde_json::from_str(&e).unwrap())
        .collect();
    (s.id, ev)
}

/// Mines a block every 700 ms until `pred` holds for the stored events.
async fn until(
    net: &mut switchyard_regtest::Network,
    store: &Store,
    kind: &str,
    what: &str,
    pred: impl Fn(&[serde_json::Value]) -> bool,
) {
    for _ in 0..80 {
        let (_, ev) = events(store, kind).await;
        if pred(&ev) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        // Read again right before mining: the step may have been stored
        // during the sleep, and a block mined then would move the swap past
        // it (a claim confirmed, the process done) before the test kills it.
        let (_, ev) = events(store, kind).await;
        if pred(&ev) {
            return;
        }
        if ev.iter().any(|e| e["event"] == "created") {
            mine(net, 1);
        }
    }
    panic!("never got to: {what}");
}

fn has(ev: &[serde_json::Value], f: impl Fn(&serde_json::Value) -> bool) -> bool {
    ev.iter().any(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_wallet_process_finishes_its_swaps_on_restart() {
    let mut net = tokio::task::spawn_blocking(|| {
        switchyard_regtest::Network::up(NetworkOptions::temp("swapcrash"))
    })
    .await
    .unwrap()
    .expect("regtest up");
    let service = format!(
        "{}.crash.{}",
        switchyard_core::context::keychain_service(),
        std::process::id()
    );

    // Our provider on carol, in this process.
    let pdir = tempfile::tempdir().unwrap();
    let conn = Arc::new(Connection::new(Some(source(&net, "carol"))));
    let cfg = Config {
        submarine_timeout_blocks: 100,
        reverse_timeout_blocks: 100,
        coop_claim_wait: Duration::from_secs(3),
        fee_rate: Some(2),
        faults: Faults::default(),
        ..Config::defaults(Network::Regtest)
    };
    let p = Provider::start(cfg, pdir.path(), "crash", &OsKeychain::new(&service), conn)
        .await
        .unwrap();
    let (addr, _h) = p.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = format!("http://{addr}");

    // The user's data directory with a wallet, as the CLI sees it.
    let udir = tempfile::tempdir().unwrap();
    let store = Store::open_in(udir.path()).await.unwrap();
    let wallets = WalletService::new(store.clone(), Arc::new(OsKeychain::new(&service)));
    let words = switchyard_core::keys::generate_mnemonic(switchyard_core::keys::WordCount::Twelve)
        .to_string();
    wallets
        .create(NewWallet {
            name: "crash".into(),
            network: Network::Regtest,
            words: SecretString::from(words),
            passphrase: SecretString::from(String::new()),
        })
        .await
        .unwrap();
    let prof = net.node("alice").unwrap().profile().unwrap();
    let cli = Cli {
        dir: udir.path().to_path_buf(),
        node: vec![
            "--grpc-host".into(),
            prof.grpc_host.clone(),
            "--tls-cert".into(),
            prof.tls_cert_path.display().to_string(),
            "--macaroon".into(),
            prof.macaroon_path.display().to_string(),
        ],
        service: service.clone(),
    };

    // Swap in, killed right after the lockup broadcast was stored.
    let child = cli.spawn(&[
        "swap",
        "in",
        "--amount",
        "50000",
        "--max-fee",
        "20000",
        "--provider",
        &url,
        "--wait",
    ]);
    until(&mut net, &store, "submarine", "lockup broadcast", |ev| {
        has(ev, |e| e["event"] == "lockup_broadcast")
    })
    .await;
    kill9(child);
    // Resumed, killed again once the lockup is confirmed.
    let child = cli.spawn(&["swap", "resume"]);
    until(&mut net, &store, "submarine", "lockup confirmed", |ev| {
        has(ev, |e| {
            e["event"] == "lockup_seen" && e["confirmations"].as_u64() >= Some(1)
        })
    })
    .await;
    kill9(child);
    // Resumed again: the provider pays, claims, the swap succeeds.
    let child = cli.spawn(&["swap", "resume"]);
    until(&mut net, &store, "submarine", "paid", |ev| {
        has(ev, |e| e["event"] == "lightning_paid")
    })
    .await;
    kill9(child);
    let (id, ev) = events(&store, "submarine").await;
    // Exactly one lockup, however often the process died.
    assert_eq!(
        ev.iter()
            .filter(|e| e["event"] == "lockup_broadcast")
            .count(),
        1,
        "{ev:#?}"
    );
    let row = store.swap(&id).await.unwrap().unwrap();
    assert_eq!(row.outcome.as_deref(), Some("succeeded"));

    // Swap out, killed right after the claim was stored and broadcast.
    let child = cli.spawn(&[
        "swap",
        "out",
        "--amount",
        "50000",
        "--max-fee",
        "20000",
        "--provider",
        &url,
        "--wait",
    ]);
    until(&mut net, &store, "reverse", "claim broadcast", |ev| {
        has(ev, |e| e["event"] == "sweep_broadcast")
    })
    .await;
    kill9(child);
    let (id, ev) = events(&store, "reverse").await;
    let first_claim = ev.iter().find(|e| e["event"] == "sweep_broadcast").unwrap()["txid"].clone();
    // Resumed: the stored claim (same txid) confirms, the swap ends.
    let mut child = cli.spawn(&["swap", "resume"]);
    for _ in 0..60 {
        if store.swap(&id).await.unwrap().unwrap().is_final {
            break;
        }
        mine(&mut net, 1);
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    let row = store.swap(&id).await.unwrap().unwrap();
    assert!(row.is_final, "{row:#?}");
    assert_eq!(row.outcome.as_deref(), Some("succeeded"));
    let (_, ev) = events(&store, "reverse").await;
    let claims: Vec<_> = ev
        .iter()
        .filter(|e| e["event"] == "sweep_broadcast")
        .collect();
    assert!(
        claims.iter().all(|c| c["txid"] == first_claim),
        "the claim was never re-created: {claims:#?}"
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = p;

    provider_killed_and_restarted(&mut net, &service).await;
    provider_vanished(&mut net, &service).await;
}

/// A fresh user data directory with a wallet, and the CLI on alice.
async fn user(net: &switchyard_regtest::Network, service: &str) -> (tempfile::TempDir, Store, Cli) {
    let udir = tempfile::tempdir().unwrap();
    let store = Store::open_in(udir.path()).await.unwrap();
    let wallets = WalletService::new(store.clone(), Arc::new(OsKeychain::new(service)));
    let words = switchyard_core::keys::generate_mnemonic(switchyard_core::keys::WordCount::Twelve)
        .to_string();
    wallets
        .create(NewWallet {
            name: "user".into(),
            network: Network::Regtest,
            words: SecretString::from(words),
            passphrase: SecretString::from(String::new()),
        })
        .await
        .unwrap();
    let cli = Cli {
        dir: udir.path().to_path_buf(),
        node: node_args(net, "alice"),
        service: service.to_string(),
    };
    (udir, store, cli)
}

fn node_args(net: &switchyard_regtest::Network, name: &str) -> Vec<String> {
    let prof = net.node(name).unwrap().profile().unwrap();
    vec![
        "--grpc-host".into(),
        prof.grpc_host.clone(),
        "--tls-cert".into(),
        prof.tls_cert_path.display().to_string(),
        "--macaroon".into(),
        prof.macaroon_path.display().to_string(),
    ]
}

/// The real `switchyard provider` process on carol, on a fixed port (a
/// restarted one must be found at the same URL).
struct ProviderProcess {
    cli: Cli,
    args: Vec<String>,
    port: u16,
    _dir: tempfile::TempDir,
}

impl ProviderProcess {
    fn new(net: &switchyard_regtest::Network, service: &str, name: &str) -> ProviderProcess {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let args = [
            "provider",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--name",
            name,
            "--submarine-timeout-blocks",
            "100",
            "--reverse-timeout-blocks",
            "100",
            "--fee-rate",
            "2",
            "--coop-wait-secs",
            "3",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        ProviderProcess {
            cli: Cli {
                dir: dir.path().to_path_buf(),
                node: node_args(net, "carol"),
                service: service.to_string(),
            },
            args,
            port,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts it and waits until it accepts connections.
    async fn start(&self) -> Child {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut child = self.cli.spawn(&args);
        for _ in 0..150 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return child;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the provider never listened on {}", self.port);
    }

    /// `GET /v2/swap/{id}`'s status, by a plain HTTP/1.0 request.
    async fn status(&self, id: &str) -> Option<String> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .ok()?;
        s.write_all(format!("GET /v2/swap/{id} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .ok()?;
        let mut body = String::new();
        s.read_to_string(&mut body).await.ok()?;
        let json = body.split("\r\n\r\n").nth(1)?;
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        v["status"].as_str().map(String::from)
    }
}

/// `swap in|out` of 50,000 sats with `--wait`, as a child process.
fn swap(cli: &Cli, direction: &str, provider: &str) -> Child {
    cli.spawn(&[
        "swap",
        direction,
        "--amount",
        "50000",
        "--max-fee",
        "20000",
        "--provider",
        provider,
        "--wait",
    ])
}

/// Polls the stored events (no mining) until `pred` holds.
async fn until_quiet(
    store: &Store,
    kind: &str,
    what: &str,
    pred: impl Fn(&[serde_json::Value]) -> bool,
) {
    for _ in 0..150 {
        let (_, ev) = events(store, kind).await;
        if pred(&ev) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("never got to: {what}");
}

fn witness_items(hex: &str) -> usize {
    let bytes: Vec<u8> = bitcoin::hex::FromHex::from_hex(hex).unwrap();
    let tx: bitcoin::Transaction = bitcoin::consensus::deserialize(&bytes).unwrap();
    tx.input[0].witness.len()
}

/// The provider process is killed (SIGKILL) right after it locked a swap
/// out: the user's claim cannot be co-signed, so the user claims by the
/// claim leaf; the provider, started again on its own database, finds the
/// spend of its lockup, takes the preimage from it and settles the hold
/// invoice — the user's payment succeeds, nobody loses anything.
async fn provider_killed_and_restarted(net: &mut switchyard_regtest::Network, service: &str) {
    let prov = ProviderProcess::new(net, service, "killed");
    let p1 = prov.start().await;
    let (_udir, store, cli) = user(net, service).await;
    let mut child = swap(&cli, "out", &prov.url());
    until_quiet(&store, "reverse", "the provider's lockup seen", |ev| {
        has(ev, |e| e["event"] == "lockup_seen")
    })
    .await;
    kill9(p1);
    until(net, &store, "reverse", "our claim broadcast", |ev| {
        has(ev, |e| e["event"] == "sweep_broadcast")
    })
    .await;
    let (id, _) = events(&store, "reverse").await;
    let row = store.swap(&id).await.unwrap().unwrap();
    assert_eq!(
        witness_items(row.sweep_hex.as_deref().unwrap()),
        4,
        "with the provider gone, claimed by the claim leaf"
    );
    let pid = row.provider_id.clone().unwrap();

    let p2 = prov.start().await;
    let mut settled = false;
    for _ in 0..60 {
        if prov.status(&pid).await.as_deref() == Some("invoice.settled") {
            settled = true;
            break;
        }
        mine(net, 1);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        settled,
        "the restarted provider settled from the chain: {:?}",
        prov.status(&pid).await
    );
    for _ in 0..40 {
        if store.swap(&id).await.unwrap().unwrap().is_final {
            break;
        }
        mine(net, 1);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let row = store.swap(&id).await.unwrap().unwrap();
    assert!(row.is_final, "{row:#?}");
    assert_eq!(row.outcome.as_deref(), Some("succeeded"));
    let _ = child.kill();
    let _ = child.wait();
    kill9(p2);
}

/// The provider process dies right after the user's lockup left (before
/// any block, so it never paid) and never comes back: the user's swap in
/// is refunded by the refund leaf once the time lock has passed.
async fn provider_vanished(net: &mut switchyard_regtest::Network, service: &str) {
    let prov = ProviderProcess::new(net, service, "vanished");
    let p = prov.start().await;
    let (_udir, store, cli) = user(net, service).await;
    let mut child = swap(&cli, "in", &prov.url());
    until_quiet(&store, "submarine", "our lockup broadcast", |ev| {
        has(ev, |e| e["event"] == "lockup_broadcast")
    })
    .await;
    kill9(p);
    let (id, _) = events(&store, "submarine").await;
    for _ in 0..200 {
        if store.swap(&id).await.unwrap().unwrap().is_final {
            break;
        }
        mine(net, 1);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let row = store.swap(&id).await.unwrap().unwrap();
    assert!(row.is_final, "{row:#?}");
    assert_eq!(row.outcome.as_deref(), Some("refunded"), "{row:#?}");
    assert_eq!(
        witness_items(row.sweep_hex.as_deref().unwrap()),
        3,
        "refunded by the refund leaf, alone"
    );
    let _ = child.kill();
    let _ = child.wait();
}
