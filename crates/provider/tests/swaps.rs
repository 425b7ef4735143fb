//! Swaps end to end on the real regtest network: the user's wallet on
//! alice (our engine), the provider on carol (our provider, its own
//! SQLite and LND), the Lightning leg routed by LND between them. Real
//! SQLite files, the real keychain (the test script runs this inside a
//! private Secret Service), real btcd and LND.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use bitcoin::hex::FromHex;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use switchyard_core::amount::Sat;
use switchyard_core::keychain::OsKeychain;
use switchyard_core::node::{Connection, NodeService, NodeSource};
use switchyard_core::store::Store;
use switchyard_core::swap::check::CheckError;
use switchyard_core::swaps::{EngineConfig, SwapEngine, SwapError, SwapRequest, SwapView};
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
    let words = switchyard_core::keys::generate_mnemonic(switchyard_core::keys::WordCount::Twelve)
        .to_string();
    user_with(net, label, cfg, &words, tempfile::tempdir().unwrap()).await
}

async fn user_with(
    net: &switchyard_regtest::Network,
    label: &str,
    cfg: EngineConfig,
    words: &str,
    dir: tempfile::TempDir,
) -> User {
    let store = Store::open_in(dir.path()).await.unwrap();
    let wallets = WalletService::new(store.clone(), Arc::new(keychain(label)));
    let w = wallets
        .create(NewWallet {
            name: "swapper".into(),
            network: Network::Regtest,
            words: SecretString::from(words.to_string()),
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
    provider_with(net, label, faults, |_| {}).await
}

async fn provider_with(
    net: &switchyard_regtest::Network,
    label: &str,
    faults: Faults,
    tweak: impl FnOnce(&mut Config),
) -> Prov {
    let dir = tempfile::tempdir().unwrap();
    let conn = Arc::new(Connection::new(Some(source(net, "carol"))));
    let mut cfg = Config {
        // Room for a slow machine: the tests mine a block every 0.25–0.7 s
        // and a swap out must be claimed 20 blocks before its time lock.
        submarine_timeout_blocks: 150,
        reverse_timeout_blocks: 100,
        coop_claim_wait: Duration::from_secs(5),
        fee_rate: Some(2),
        faults,
        ..Config::defaults(Network::Regtest)
    };
    tweak(&mut cfg);
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

/// No file under `dir` (the SQLite database, its WAL) holds the secret,
/// as hex in either case or as raw bytes.
fn assert_secret_absent(dir: &std::path::Path, secret_hex: &str) {
    let raw: Vec<u8> = Vec::<u8>::from_hex(secret_hex).unwrap();
    let needles = [
        secret_hex.to_lowercase().into_bytes(),
        secret_hex.to_uppercase().into_bytes(),
        raw,
    ];
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            files += 1;
            for n in &needles {
                assert!(
                    !bytes.windows(n.len()).any(|w| w == &n[..]),
                    "{} holds the preimage",
                    path.display()
                );
            }
        }
    }
    assert!(files > 0, "nothing was scanned in {}", dir.display());
}

fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "info,sqlx=warn,h2=warn,hyper=warn,tower=warn",
        ))
        .with_test_writer()
        .try_init();
}

/// 1 and 2: both kinds succeed by the cooperative key path.
async fn cooperative(net: &mut switchyard_regtest::Network) {
    let prov = provider(net, "coop", Faults::default()).await;
    let u = user(net, "coop", engine_cfg()).await;
    let before = u.node.channels().balances().await.unwrap();

    // 1. Swap in: alice locks on chain, carol pays alice's invoice and
    // claims with alice's co-signature.
    let req = SwapRequest {
        wallet: u.wallet.clone(),
        provider: prov.url.clone(),
        amount: Sat::from_sat(100_000),
        max_fee: Sat::from_sat(20_000),
        external_funding: false,
    };
    let v = u.engine.swap_in(&req).await.unwrap();
    assert_eq!(v.kind, "submarine");
    let id = v.id.clone();
    let v = mine_until(net, &u.engine, &id, 40, Duration::from_millis(700), |v| {
        v.outcome.as_deref() == Some("succeeded")
    })
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
        mine(net, 1);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let ps = claimed.expect("the provider's claim confirmed");
    assert_eq!(
        witness_items(ps.sweep_hex.as_deref().unwrap()),
        1,
        "the provider claimed by the key path"
    );
    // Past the time lock it is final.
    let v = mine_until(net, &u.engine, &id, 200, Duration::from_millis(100), |v| {
        v.is_final
    })
    .await;
    assert_eq!(v.outcome.as_deref(), Some("succeeded"));

    // 2. Swap out: alice pays carol's hold invoice, carol locks, alice
    // claims with carol's co-signature, carol settles.
    let before = u.node.channels().balances().await.unwrap();
    let v = u.engine.swap_out(&req).await.unwrap();
    let id = v.id.clone();
    let v = mine_until(net, &u.engine, &id, 40, Duration::from_millis(700), |v| {
        v.is_final
    })
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
    mine(net, 1);
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

fn onchain(b: &switchyard_core::node::channels::Balances) -> u64 {
    b.onchain_confirmed_sat.to_sat() + b.onchain_unconfirmed_sat.to_sat()
}

fn req(u: &User, prov: &Prov, amount: u64) -> SwapRequest {
    SwapRequest {
        wallet: u.wallet.clone(),
        provider: prov.url.clone(),
        amount: Sat::from_sat(amount),
        max_fee: Sat::from_sat(20_000),
        external_funding: false,
    }
}

/// 3: the provider never pays our invoice and will not co-sign anything:
/// after the time lock the lockup comes back by the refund leaf (a script
/// path: 3 witness items). A provider that says it could not pay co-signs a
/// refund at once (the key path: 1 item) and never pays afterwards.
async fn provider_never_pays(net: &mut switchyard_regtest::Network) {
    let faults = Faults {
        never_pay: true,
        refuse_cooperation: true,
        ..Faults::default()
    };
    let prov = provider(net, "nopay", faults).await;
    let u = user(net, "nopay", engine_cfg()).await;
    let before = u.node.channels().balances().await.unwrap();
    let v = u.engine.swap_in(&req(&u, &prov, 50_000)).await.unwrap();
    let v = mine_until(
        net,
        &u.engine,
        &v.id,
        220,
        Duration::from_millis(250),
        |v| v.is_final,
    )
    .await;
    assert_eq!(v.outcome.as_deref(), Some("refunded"), "{v:#?}");
    let hex = u.engine.stored_sweep_hex(&v.id).await.unwrap().unwrap();
    assert_eq!(witness_items(&hex), 3, "refund by the refund leaf");
    mine(net, 1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = u.node.channels().balances().await.unwrap();
    assert_eq!(after.lightning_local_sat, before.lightning_local_sat);
    let lost = onchain(&before).saturating_sub(onchain(&after));
    assert!(lost < 30_000, "only miner fees were lost: {lost}");

    let prov = provider(
        net,
        "failpay",
        Faults {
            fail_payment: true,
            ..Faults::default()
        },
    )
    .await;
    let v = u.engine.swap_in(&req(&u, &prov, 50_000)).await.unwrap();
    let v = mine_until(net, &u.engine, &v.id, 30, Duration::from_millis(500), |v| {
        v.outcome.as_deref() == Some("refunded")
    })
    .await;
    let hex = u.engine.stored_sweep_hex(&v.id).await.unwrap().unwrap();
    assert_eq!(
        witness_items(&hex),
        1,
        "refunded cooperatively, before the time lock"
    );
    assert!(v.blocks_left.unwrap() > 0);
    let pid = v.provider_id.clone().unwrap();
    let (payment, refund_signed) = prov.p.db().payment(&pid).await.unwrap();
    assert!(refund_signed);
    assert_eq!(payment, switchyard_provider::db::Payment::Failed);
    // A payment can never start after the refund was signed.
    assert!(!prov.p.db().begin_payment(&pid).await.unwrap());
}

/// 4: the provider never locks: its hold invoice is cancelled and our
/// payment fails back; nothing is lost.
async fn provider_never_locks(net: &mut switchyard_regtest::Network) {
    let prov = provider(
        net,
        "nolock",
        Faults {
            never_lock: true,
            ..Faults::default()
        },
    )
    .await;
    let u = user(net, "nolock", engine_cfg()).await;
    let before = u.node.channels().balances().await.unwrap();
    let v = u.engine.swap_out(&req(&u, &prov, 50_000)).await.unwrap();
    let v = mine_until(
        net,
        &u.engine,
        &v.id,
        180,
        Duration::from_millis(250),
        |v| v.is_final,
    )
    .await;
    assert_eq!(v.outcome.as_deref(), Some("failed"), "{v:#?}");
    let after = u.node.channels().balances().await.unwrap();
    assert_eq!(
        after.lightning_local_sat, before.lightning_local_sat,
        "the payment failed back"
    );
    assert_eq!(onchain(&after), onchain(&before));
}

/// 5: a provider that locks less than agreed gets no preimage (the payment
/// fails back when it gives up), and one whose address is not the swap
/// tree's gets nothing at all.
async fn provider_lies(net: &mut switchyard_regtest::Network) {
    let prov = provider(
        net,
        "short",
        Faults {
            lock_short_by: 1_000,
            ..Faults::default()
        },
    )
    .await;
    let u = user(net, "short", engine_cfg()).await;
    let before = u.node.channels().balances().await.unwrap();
    let v = u.engine.swap_out(&req(&u, &prov, 50_000)).await.unwrap();
    let v = mine_until(
        net,
        &u.engine,
        &v.id,
        180,
        Duration::from_millis(250),
        |v| v.is_final,
    )
    .await;
    assert_eq!(v.outcome.as_deref(), Some("failed"), "{v:#?}");
    assert!(
        v.outcome_reason
            .as_deref()
            .unwrap_or("")
            .contains("less than the agreed"),
        "{v:#?}"
    );
    let ps = prov
        .p
        .db()
        .get(v.provider_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ps.preimage, None, "the preimage stayed secret");
    assert_eq!(ps.status, "transaction.refunded");
    let after = u.node.channels().balances().await.unwrap();
    assert_eq!(
        after.lightning_local_sat, before.lightning_local_sat,
        "the payment failed back"
    );

    let prov = provider(
        net,
        "evil",
        Faults {
            wrong_address: true,
            ..Faults::default()
        },
    )
    .await;
    let before = u.node.channels().balances().await.unwrap();
    let err = u.engine.swap_in(&req(&u, &prov, 50_000)).await.unwrap_err();
    assert!(
        matches!(err, SwapError::Check(CheckError::AddressMismatch { .. })),
        "{err}"
    );
    let stored = u.engine.list().await.unwrap();
    let last = &stored[0];
    assert!(
        last.is_final && last.outcome.as_deref() == Some("failed"),
        "{last:#?}"
    );
    assert!(last.lockup.is_empty());
    let after = u.node.channels().balances().await.unwrap();
    assert_eq!(onchain(&after), onchain(&before), "nothing was sent");
}

/// 8: the same create request twice makes one swap; another request for
/// the same hash is refused.
async fn same_request_twice(net: &mut switchyard_regtest::Network) {
    use switchyard_core::swap::api::{CreateSubmarineRequest, BTC};
    use switchyard_core::swaps::BoltzClient;
    let prov = provider(net, "twice", Faults::default()).await;
    let alice = NodeService::new(Some(source(net, "alice")));
    let c = alice.conn.client().await.unwrap();
    let invoice = c
        .add_invoice_with_preimage(&[0x5a; 32], Sat::from_sat(30_000), "twice", 3600, 40)
        .await
        .unwrap();
    let api = BoltzClient::new(&prov.url).unwrap();
    let key = |n: u8| {
        let secp = bitcoin::secp256k1::Secp256k1::new();
        bitcoin::secp256k1::SecretKey::from_slice(&[n; 32])
            .unwrap()
            .public_key(&secp)
            .serialize()
    };
    let mk = |n: u8| CreateSubmarineRequest {
        from: BTC.into(),
        to: BTC.into(),
        invoice: Some(invoice.clone()),
        preimage_hash: None,
        refund_public_key: bitcoin::hex::DisplayHex::to_lower_hex_string(&key(n)[..]),
        pair_hash: None,
        referral_id: None,
    };
    let (a, raw_a) = api.create_submarine(&mk(1)).await.unwrap();
    let (b, raw_b) = api.create_submarine(&mk(1)).await.unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(raw_a, raw_b);
    let err = api.create_submarine(&mk(2)).await.unwrap_err();
    assert!(err.is_conflict(), "{err}");
}

/// 9: a provider that refuses to co-sign: we claim by the claim leaf (the
/// preimage on chain settles its invoice), it claims by its claim leaf.
async fn cooperation_refused(net: &mut switchyard_regtest::Network) {
    let prov = provider(
        net,
        "nocoop",
        Faults {
            refuse_cooperation: true,
            ..Faults::default()
        },
    )
    .await;
    let u = user(net, "nocoop", engine_cfg()).await;
    let v = u.engine.swap_out(&req(&u, &prov, 60_000)).await.unwrap();
    let v = mine_until(net, &u.engine, &v.id, 40, Duration::from_millis(700), |v| {
        v.is_final
    })
    .await;
    assert_eq!(v.outcome.as_deref(), Some("succeeded"), "{v:#?}");
    let hex = u.engine.stored_sweep_hex(&v.id).await.unwrap().unwrap();
    assert_eq!(witness_items(&hex), 4, "claimed by the claim leaf");
    let pid = v.provider_id.clone().unwrap();
    for _ in 0..20 {
        if prov.p.db().get(&pid).await.unwrap().unwrap().status == "invoice.settled" {
            break;
        }
        mine(net, 1);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let ps = prov.p.db().get(&pid).await.unwrap().unwrap();
    assert_eq!(ps.status, "invoice.settled");
    // The claim went out with the preimage (the provider read it from the
    // chain), but the user's files never held it: the sweep is stored
    // without it, and no row, event or log line has it.
    let preimage = ps.preimage.expect("the provider learned the preimage");
    let stored: bitcoin::Transaction =
        bitcoin::consensus::deserialize(&Vec::<u8>::from_hex(&hex).unwrap()).unwrap();
    assert!(stored.input[0].witness.nth(1).unwrap().is_empty());
    assert_secret_absent(u._dir.path(), &preimage);

    let v = u.engine.swap_in(&req(&u, &prov, 60_000)).await.unwrap();
    let v = mine_until(net, &u.engine, &v.id, 40, Duration::from_millis(700), |v| {
        v.outcome.as_deref() == Some("succeeded")
    })
    .await;
    let pid = v.provider_id.clone().unwrap();
    let mut claimed = None;
    for _ in 0..30 {
        let ps = prov.p.db().get(&pid).await.unwrap().unwrap();
        if ps.status == "transaction.claimed" {
            claimed = Some(ps);
            break;
        }
        mine(net, 1);
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    let ps = claimed.expect("the provider claimed alone");
    assert_eq!(witness_items(ps.sweep_hex.as_deref().unwrap()), 4);
}

/// A swap in funded from another wallet (bob's LND stands for a hardware
/// wallet or Sparrow): our node never sends the lockup; the user brings the
/// signed PSBT back. An unsigned one, one paying a sat less and garbage are
/// refused with their reasons and nothing is broadcast; the signed one is
/// broadcast by our node and the swap succeeds as any other.
async fn funded_from_another_wallet(net: &mut switchyard_regtest::Network) {
    let prov = provider(net, "external", Faults::default()).await;
    let u = user(net, "external", engine_cfg()).await;
    let mut r = req(&u, &prov, 70_000);
    r.external_funding = true;
    let v = u.engine.swap_in(&r).await.unwrap();
    assert!(v.awaiting_funding, "{v:#?}");
    let address = v.address.clone().unwrap();
    let amount = v.onchain.to_sat();
    assert_eq!(
        v.bip21.as_deref(),
        Some(
            format!(
                "bitcoin:{address}?amount={}",
                bitcoin::Amount::from_sat(amount).display_in(bitcoin::Denomination::Bitcoin)
            )
            .as_str()
        )
    );
    // A few blocks pass: nothing is sent from alice's node.
    let before = onchain(&u.node.channels().balances().await.unwrap());
    mine(net, 2);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let v = u.engine.view(&v.id).await.unwrap();
    assert!(v.lockup.is_empty() && v.awaiting_funding, "{v:#?}");
    assert_eq!(
        onchain(&u.node.channels().balances().await.unwrap()),
        before
    );

    // The other wallet funds and signs.
    let bob = net.node("bob").unwrap();
    let outputs = format!("{{\"{address}\": {amount}}}");
    let funded = bob
        .cli(&[
            "wallet",
            "psbt",
            "fund",
            "--outputs",
            &outputs,
            "--sat_per_vbyte",
            "2",
        ])
        .unwrap();
    let unsigned = funded["psbt"].as_str().unwrap().to_string();
    let signed = bob
        .cli(&["wallet", "psbt", "finalize", "--funded_psbt", &unsigned])
        .unwrap();
    let signed_psbt = signed["psbt"].as_str().unwrap().to_string();

    let refused = |e: SwapError, what: &str| {
        let msg = e.to_string();
        assert!(msg.contains(what), "{msg}");
    };
    refused(
        u.engine.fund(&v.id, unsigned.as_bytes()).await.unwrap_err(),
        "not signed",
    );
    refused(
        u.engine
            .fund(&v.id, b"not a transaction")
            .await
            .unwrap_err(),
        "not a PSBT",
    );
    let mut short: bitcoin::psbt::Psbt = signed_psbt.parse().unwrap();
    for o in &mut short.unsigned_tx.output {
        if o.value.to_sat() == amount {
            o.value = bitcoin::Amount::from_sat(amount - 1);
        }
    }
    refused(
        u.engine
            .fund(&v.id, short.to_string().as_bytes())
            .await
            .unwrap_err(),
        &format!("the swap needs exactly {amount} sats"),
    );
    assert!(u.engine.view(&v.id).await.unwrap().lockup.is_empty());

    // The signed PSBT, as a binary file would bring it.
    let binary = signed_psbt
        .parse::<bitcoin::psbt::Psbt>()
        .unwrap()
        .serialize();
    let funded = u.engine.fund(&v.id, &binary).await.unwrap();
    let lockup_txid = funded.txid.clone();
    let id = funded.swap.id.clone();
    let v = mine_until(net, &u.engine, &id, 40, Duration::from_millis(700), |v| {
        v.outcome.as_deref() == Some("succeeded")
    })
    .await;
    assert!(!v.awaiting_funding);
    assert_eq!(v.lockup.len(), 1);
    assert!(v.lockup[0].starts_with(&lockup_txid), "{v:#?}");
    // Funded once: a second lockup is refused before it costs anything.
    refused(
        u.engine.fund(&id, &binary).await.unwrap_err(),
        "already paid",
    );
    // Alice's node paid nothing on chain for it.
    assert!(onchain(&u.node.channels().balances().await.unwrap()) >= before);
    // A swap the node funds itself takes no lockup from elsewhere.
    r.external_funding = false;
    let own = u.engine.swap_in(&r).await.unwrap();
    refused(
        u.engine.fund(&own.id, &binary).await.unwrap_err(),
        "funds this swap itself",
    );
    // Finished here, so its payment cannot land in a later scenario's count.
    mine_until(
        net,
        &u.engine,
        &own.id,
        40,
        Duration::from_millis(700),
        |v| v.outcome.as_deref() == Some("succeeded"),
    )
    .await;
}

/// A swap in larger than the node's wallet holds is refused before anything
/// is stored or asked of the provider, in words that give the numbers.
async fn insufficient_funds(net: &mut switchyard_regtest::Network) {
    let prov = provider_with(net, "broke", Faults::default(), |c| {
        c.max_sat = 100 * 100_000_000;
    })
    .await;
    let u = user(net, "broke", engine_cfg()).await;
    let have = u
        .node
        .channels()
        .balances()
        .await
        .unwrap()
        .onchain_confirmed_sat
        .to_sat();
    let mut r = req(&u, &prov, have + 1_000_000);
    r.max_fee = Sat::from_sat(50_000_000);
    let e = u.engine.swap_in(&r).await.unwrap_err();
    assert!(
        matches!(
            e,
            SwapError::Node(switchyard_core::node::NodeError::InsufficientFunds { .. })
        ),
        "{e:?}"
    );
    let api = switchyard_core::ApiError::from(e);
    assert!(api.message.contains("does not have enough"), "{api:?}");
    assert!(
        api.detail
            .as_deref()
            .unwrap_or_default()
            .contains("sats confirmed"),
        "{api:?}"
    );
    assert!(u.engine.list().await.unwrap().is_empty(), "nothing stored");
    assert!(
        prov.p.db().open_swaps().await.unwrap().is_empty(),
        "nothing asked of the provider"
    );
}

/// 10: the words alone, in a fresh data directory, find a stuck swap in
/// (its provider never paid) and refund it after the time lock.
async fn rescue_from_words(net: &mut switchyard_regtest::Network) {
    let prov = provider(
        net,
        "rescue",
        Faults {
            never_pay: true,
            ..Faults::default()
        },
    )
    .await;
    let words = switchyard_core::keys::generate_mnemonic(switchyard_core::keys::WordCount::Twelve)
        .to_string();
    let first = user_with(
        net,
        "rescue1",
        engine_cfg(),
        &words,
        tempfile::tempdir().unwrap(),
    )
    .await;
    let before = first.node.channels().balances().await.unwrap();
    let v = first
        .engine
        .swap_in(&req(&first, &prov, 40_000))
        .await
        .unwrap();
    let v = mine_until(
        net,
        &first.engine,
        &v.id,
        10,
        Duration::from_millis(700),
        |v| {
            v.timeline
                .iter()
                .any(|t| t.label.starts_with("Lockup confirmed") && t.state == "done")
        },
    )
    .await;
    // The first data directory is gone.
    first.engine.stop();
    drop(first);
    let second = user_with(
        net,
        "rescue2",
        engine_cfg(),
        &words,
        tempfile::tempdir().unwrap(),
    )
    .await;
    let report = second
        .engine
        .rescue(&second.wallet, &prov.url, 0..20)
        .await
        .unwrap();
    assert_eq!(report.restored.len(), 1, "{report:?}");
    let id = second.engine.list().await.unwrap()[0].id.clone();
    assert_eq!(id, v.id, "the same swap, found from the words");
    let r = mine_until(
        net,
        &second.engine,
        &id,
        220,
        Duration::from_millis(250),
        |v| v.is_final,
    )
    .await;
    assert_eq!(r.outcome.as_deref(), Some("refunded"), "{r:#?}");
    mine(net, 1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = second.node.channels().balances().await.unwrap();
    let lost = onchain(&before).saturating_sub(onchain(&after));
    assert!(lost < 30_000, "the lockup came back: lost {lost}");
}

/// Waits until every open channel of `node` is active again (after a
/// restart LND reconnects its peers within seconds).
async fn channels_active(node: &NodeService) {
    use switchyard_core::node::channels::ChannelState;
    for _ in 0..120 {
        if let Ok(l) = node.channels().list().await {
            if !l.channels.is_empty() && l.channels.iter().all(|c| c.state == ChannelState::Active)
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("channels did not come back");
}

/// 7: LND restarted mid-swap — the user's node during a swap in, the
/// provider's during a swap out: the engines reconnect and both swaps
/// complete.
async fn lnd_restarted(net: &mut switchyard_regtest::Network) {
    let prov = provider(net, "restart", Faults::default()).await;
    let u = user(net, "restart", engine_cfg()).await;
    let before = u.node.channels().balances().await.unwrap();
    let v = u.engine.swap_in(&req(&u, &prov, 70_000)).await.unwrap();
    mine_until(net, &u.engine, &v.id, 1, Duration::from_millis(500), |v| {
        !v.lockup.is_empty()
    })
    .await;
    // Down before the lockup confirms; back (channels active) before it does.
    tokio::task::block_in_place(|| net.stop_node("alice")).unwrap();
    tokio::task::block_in_place(|| net.start_node("alice")).unwrap();
    channels_active(&u.node).await;
    let v = mine_until(net, &u.engine, &v.id, 40, Duration::from_millis(700), |v| {
        v.outcome.as_deref() == Some("succeeded")
    })
    .await;
    assert_eq!(v.lockup.len(), 1, "one lockup, not two");
    let after = u.node.channels().balances().await.unwrap();
    assert_eq!(
        after.lightning_local_sat.to_sat(),
        before.lightning_local_sat.to_sat() + 70_000
    );

    let v = u.engine.swap_out(&req(&u, &prov, 70_000)).await.unwrap();
    mine_until(net, &u.engine, &v.id, 10, Duration::from_millis(500), |v| {
        v.phase != "prepare"
    })
    .await;
    let carol = NodeService::new(Some(source(net, "carol")));
    tokio::task::block_in_place(|| net.stop_node("carol")).unwrap();
    tokio::task::block_in_place(|| net.start_node("carol")).unwrap();
    channels_active(&carol).await;
    let v = mine_until(net, &u.engine, &v.id, 60, Duration::from_millis(700), |v| {
        v.is_final
    })
    .await;
    assert_eq!(v.outcome.as_deref(), Some("succeeded"), "{v:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swap_scenarios_on_regtest() {
    logs();
    let mut net = tokio::task::spawn_blocking(|| {
        switchyard_regtest::Network::up(NetworkOptions::temp("swaps"))
    })
    .await
    .unwrap()
    .expect("regtest up");
    cooperative(&mut net).await;
    same_request_twice(&mut net).await;
    provider_lies(&mut net).await;
    provider_never_locks(&mut net).await;
    cooperation_refused(&mut net).await;
    provider_never_pays(&mut net).await;
    funded_from_another_wallet(&mut net).await;
    insufficient_funds(&mut net).await;
    rescue_from_words(&mut net).await;
    lnd_restarted(&mut net).await;
}
