//! A real device's firmware signs: Ledger's Bitcoin app (app-bitcoin-new
//! 2.0.x for testnet, Nano S Plus) under Speculos, reached both ways the app
//! reaches a Ledger: through HWI 3.2.0 as our `HwiSigner` runs it, and
//! directly with our own `LedgerSigner` (Ledger's protocol client over our
//! wire, the 2.0.x answers read) — the same key, address screens and
//! signature either way, a rejection read as one, and a 2-of-2 policy
//! registered on the device (its keys shown, an HMAC back).
//!
//! On the regtest network: bob pays the device's first BIP84 address; we
//! build a PSBT with our own code that spends it (to bob, with change back
//! to the device's change chain), review it against the device's account
//! (a watch-only policy from the xpub the device gave), show the receive
//! address on the device and check it, have the device sign while the test
//! presses its buttons through Speculos's REST API, and read the screens it
//! showed: the payment's amount and address and the fee our review computed,
//! the change hidden. Every signature is verified in Rust; the software
//! signer on the same seed gives the same signature (both sign RFC 6979
//! deterministically); btcd accepts and mines the transaction.
//!
//! Then the device's account in alice's LND: sends through a PSBT (a fee
//! above the limit and a rejection on the device each release the coins),
//! and a channel to carol funded from it through LND's PSBT shim (the
//! device shows the channel's address and size and our fee; LND publishes
//! once carol has signed; the channel becomes active).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use bitcoin::bip32::{DerivationPath, Fingerprint};
use bitcoin::psbt::Psbt;
use bitcoin::{Address, Amount, OutPoint, Sequence, Transaction, TxIn, TxOut, Witness};
use secrecy::SecretString;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use switchyard_core::keychain::OsKeychain;
use switchyard_core::psbt::{
    extract, finalize, our_descriptors, review, sign_with_wallet, OutputKind, Owner, Policy,
    SignOptions,
};
use switchyard_core::signer::hwi::{Bridge, DeviceInfo, Hwi, HwiSigner};
use switchyard_core::signer::ledger::{LedgerPath, LedgerSigner};
use switchyard_core::signer::{sign_reviewed, verify_address, AddressKind, Signer, SignerError};
use switchyard_core::store::Store;
use switchyard_core::wallet::{NewWallet, WalletService};
use switchyard_core::Network;
use switchyard_regtest::network::NetworkOptions;
use switchyard_regtest::speculos::{Button, Speculos, SPECULOS_SEED};

mod common;

/// What the test answers on the device.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Approves every step.
    Approve,
    /// Goes to the first "Reject" and chooses it.
    Reject,
}

/// Presses through whatever the device shows until `stop`: right to go on,
/// both on a screen that approves ("Approve", "Accept", "Sign") or, when
/// rejecting, on "Reject"; never anything on the home screen. Returns every
/// screen seen, in order, each as its lines.
fn drive(dev: Arc<Speculos>, stop: Arc<AtomicBool>, answer: Answer) -> Vec<Vec<String>> {
    let mut seen: Vec<Vec<String>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        // A screen is read twice, 60 ms apart, and acted on only when both
        // reads agree: a read in the middle of drawing (some lines only)
        // is never recorded nor pressed through.
        let screen = dev.screen().unwrap_or_default();
        std::thread::sleep(Duration::from_millis(60));
        if dev.screen().unwrap_or_default() != screen
            || screen.is_empty()
            || screen.iter().any(|l| l.contains("is ready"))
        {
            std::thread::sleep(Duration::from_millis(40));
            continue;
        }
        if seen.last() != Some(&screen) {
            seen.push(screen.clone());
        }
        let first = screen[0].as_str();
        let choose = match answer {
            Answer::Approve => ["Approve", "Accept", "Sign"]
                .iter()
                .any(|w| first.starts_with(w)),
            Answer::Reject => first.starts_with("Reject"),
        };
        dev.press(if choose { Button::Both } else { Button::Right })
            .unwrap();
        // The next decision is made on the next screen, not this one read
        // again before the device redrew.
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        while dev.screen().unwrap_or_default() == screen && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    seen
}

/// Runs `f` while a thread approves on the device; returns both results.
async fn with_approval<T>(
    dev: &Arc<Speculos>,
    f: impl std::future::Future<Output = T>,
) -> (T, Vec<Vec<String>>) {
    on_device(dev, Answer::Approve, f).await
}

/// Runs `f` while a thread answers on the device.
async fn on_device<T>(
    dev: &Arc<Speculos>,
    answer: Answer,
    f: impl std::future::Future<Output = T>,
) -> (T, Vec<Vec<String>>) {
    dev.clear().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let presser = {
        let (dev, stop) = (dev.clone(), stop.clone());
        std::thread::spawn(move || drive(dev, stop, answer))
    };
    let out = tokio::time::timeout(Duration::from_secs(180), f)
        .await
        .expect("the device answered within 3 minutes");
    stop.store(true, Ordering::SeqCst);
    (out, presser.join().unwrap())
}

/// A decimal amount as the device prints it ("0.002", "0.00001").
fn btc_text(sat: u64) -> String {
    let s = format!("{}.{:08}", sat / 100_000_000, sat % 100_000_000);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The regtest network and the emulated Ledger, started side by side, and
/// our signer for it with the device's BIP84 account key.
struct Rig {
    net: switchyard_regtest::Network,
    dev: Arc<Speculos>,
    signer: HwiSigner,
    fp: Fingerprint,
    xpub: bitcoin::bip32::Xpub,
    _tmp: tempfile::TempDir,
}

async fn rig(name: &'static str) -> Rig {
    let tmp = tempfile::tempdir().unwrap();
    let dev_dir = tmp.path().to_path_buf();
    let device = tokio::task::spawn_blocking(move || Speculos::start(&dev_dir));
    let net = tokio::task::spawn_blocking(move || {
        switchyard_regtest::Network::up(NetworkOptions::temp(name))
    })
    .await
    .unwrap()
    .expect("regtest up");
    let dev = Arc::new(device.await.unwrap().expect("speculos up"));
    let hwi = Hwi::find(bitcoin::Network::Regtest).expect("HWI installed");
    let signer = HwiSigner::new(
        hwi,
        DeviceInfo {
            kind: "ledger".into(),
            model: "ledger_nano_s_plus_simulator".into(),
            path: dev.device_path(),
            fingerprint: None,
            needs_pin: false,
            needs_passphrase: false,
            error: None,
            bridge: Bridge::Hwi,
        },
    );
    assert_eq!(signer.label(), "Ledger Nano S Plus (emulator)");
    let fp = signer.fingerprint().await.unwrap();
    assert_eq!(fp, Fingerprint::from_str("f5acc2fd").unwrap());
    let account = DerivationPath::from_str("m/84'/1'/0'").unwrap();
    let xpub = signer.xpub(&account).await.unwrap();
    Rig {
        net,
        dev,
        signer,
        fp,
        xpub,
        _tmp: tmp,
    }
}

/// The device's BIP84 account as our descriptors (receive, change).
fn device_descriptor(fp: Fingerprint, xpub: &bitcoin::bip32::Xpub, chain: u32) -> String {
    format!("wpkh([{fp}/84'/1'/0']{xpub}/{chain}/*)")
}

/// The screens' value under `title` ("Amount", "Address", "Fees"), each
/// screen's lines after the title joined.
/// The values shown under `title`; a value too long for one screen is
/// paged ("Address (1/2)", "Address (2/2)") and joined back.
fn screen_values(screens: &[Vec<String>], title: &str) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for s in screens {
        let head = s[0].as_str();
        let text = s[1..].concat().trim().to_string();
        if head == title {
            values.push(text);
        } else if let Some(page) = head
            .strip_prefix(title)
            .and_then(|rest| rest.trim().strip_prefix('('))
            .and_then(|rest| rest.strip_suffix(')'))
        {
            if page.starts_with("1/") {
                values.push(text);
            } else if let Some(last) = values.last_mut() {
                last.push_str(&text);
            }
        }
    }
    values
}

/// The amount on an "Amount" or "Fees" screen ("TET 0.002" → "0.002").
fn amount_of(s: &str) -> String {
    s.split_whitespace().last().unwrap_or("").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_app_under_speculos_signs_what_we_reviewed() {
    let Rig {
        mut net,
        dev,
        signer,
        fp,
        xpub,
        _tmp,
    } = rig("ledger").await;

    // The same seed as a Switchyard wallet: the same account key.
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(store_dir.path()).await.unwrap();
    let keychain = OsKeychain::new(format!(
        "{}.ledger.{}",
        switchyard_core::context::keychain_service(),
        std::process::id()
    ));
    let wallets = WalletService::new(store, Arc::new(keychain));
    let w = wallets
        .create(NewWallet {
            name: "speculos-seed".into(),
            network: Network::Regtest,
            words: SecretString::from(SPECULOS_SEED.to_string()),
            passphrase: SecretString::from(String::new()),
        })
        .await
        .unwrap();
    let detail = wallets.detail(&w.id).await.unwrap();
    assert_eq!(detail.accounts[0].xpub, xpub.to_string());

    // The device's account, watch-only, from the xpub it gave.
    let desc = |chain: u32| device_descriptor(fp, &xpub, chain);
    let ours = our_descriptors(&[(desc(0), false), (desc(1), true)]).unwrap();
    let derive = |chain: u32| {
        let d = miniscript::Descriptor::<miniscript::DescriptorPublicKey>::from_str(&desc(chain))
            .unwrap()
            .at_derivation_index(0)
            .unwrap();
        let mut pk = None;
        miniscript::ForEachKey::for_each_key(&d, |k| {
            pk = Some(
                k.derive_public_key(&bitcoin::secp256k1::Secp256k1::new())
                    .unwrap(),
            );
            true
        });
        (d.script_pubkey(), pk.unwrap().inner)
    };
    let (recv_script, recv_pk) = derive(0);
    let (change_script, change_pk) = derive(1);
    let recv_addr = Address::from_script(&recv_script, bitcoin::Network::Regtest).unwrap();

    // The receive address shown on the device, checked against ours (the
    // testnet app prints tb1…, the same script).
    let recv_path = DerivationPath::from_str("m/84'/1'/0'/0/0").unwrap();
    let (shown, screens) = with_approval(
        &dev,
        verify_address(&signer, &recv_path, AddressKind::Wpkh, &recv_addr),
    )
    .await;
    eprintln!("address screens: {screens:?}");
    let shown = shown.expect("the device shows our address");
    let testnet_form = |script: &bitcoin::Script| {
        Address::from_script(script, bitcoin::Network::Testnet)
            .unwrap()
            .to_string()
    };
    assert_eq!(shown, testnet_form(&recv_script));
    let on_screen = screen_values(&screens, "Address");
    assert_eq!(on_screen, vec![shown.clone()], "{screens:?}");

    // Bob pays the device's address.
    let bob = net.node("bob").unwrap().cli_handle();
    let bob_addr = Address::from_str(
        bob.json(&["newaddress", "p2wkh"]).unwrap()["address"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
    .assume_checked();
    let sent = bob
        .json(&[
            "sendcoins",
            "--addr",
            &recv_addr.to_string(),
            "--amt",
            "250000",
        ])
        .unwrap();
    let funding_txid = sent["txid"].as_str().unwrap().to_string();
    tokio::task::block_in_place(|| net.mine(1)).unwrap();
    let hex = net
        .btcd
        .ctl(&["getrawtransaction", &funding_txid, "0"])
        .unwrap();
    let prev: Transaction = bitcoin::consensus::deserialize(
        &<Vec<u8> as bitcoin::hex::FromHex>::from_hex(hex.trim().trim_matches('"')).unwrap(),
    )
    .unwrap();
    let vout = prev
        .output
        .iter()
        .position(|o| o.script_pubkey == recv_script)
        .unwrap();

    // 200,000 to bob, 48,600 back to the device's change, 1,400 of fee.
    let tx = Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(prev.compute_txid(), vout as u32),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::new(),
            ..TxIn::default()
        }],
        output: vec![
            TxOut {
                value: Amount::from_sat(200_000),
                script_pubkey: bob_addr.script_pubkey(),
            },
            TxOut {
                value: Amount::from_sat(48_600),
                script_pubkey: change_script.clone(),
            },
        ],
    };
    let mut psbt = Psbt::from_unsigned_tx(tx).unwrap();
    psbt.inputs[0].witness_utxo = Some(prev.output[vout].clone());
    psbt.inputs[0].non_witness_utxo = Some(prev.clone());
    psbt.inputs[0]
        .bip32_derivation
        .insert(recv_pk, (fp, recv_path.clone()));
    psbt.outputs[1].bip32_derivation.insert(
        change_pk,
        (fp, DerivationPath::from_str("m/84'/1'/0'/1/0").unwrap()),
    );

    // Our review, against the device's account.
    let policy = Policy::new(bitcoin::Network::Regtest, ours);
    let reviewed = review(&psbt, &policy);
    assert!(matches!(reviewed.inputs[0].owner, Owner::Ours { .. }));
    assert_eq!(reviewed.outputs[0].kind, OutputKind::Payment);
    assert!(matches!(
        reviewed.outputs[1].kind,
        OutputKind::Change { index: 0, .. }
    ));
    let fee = reviewed.fee.unwrap().to_sat();
    assert_eq!(fee, 1_400);
    assert!(reviewed.warnings.is_empty(), "{:?}", reviewed.warnings);

    // A lying witness UTXO is refused before the device is asked anything.
    let mut lying = psbt.clone();
    lying.inputs[0].witness_utxo.as_mut().unwrap().value = Amount::from_sat(500_000);
    dev.clear().unwrap();
    let e = sign_reviewed(
        &signer,
        &lying,
        &review(&lying, &policy),
        SignOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("witness UTXO"), "{e}");
    assert_eq!(
        dev.events().unwrap(),
        Vec::<String>::new(),
        "the device was not asked"
    );

    // The device signs while the test reads its screens and approves.
    let (signed, screens) = with_approval(
        &dev,
        sign_reviewed(&signer, &psbt, &reviewed, SignOptions::default()),
    )
    .await;
    eprintln!("signing screens: {screens:?}");
    let signed = signed.expect("the device signs");
    assert_eq!(signed.signed_inputs, vec![0]);
    assert_eq!(signed.verified.ecdsa, 1);
    // What the device showed, screen by screen, against our review: one
    // output to review (the change hidden), its amount and address, the fee.
    let pay_to = testnet_form(&bob_addr.script_pubkey());
    let check_screens = |screens: &[Vec<String>]| {
        let value_of = |title: &str| screen_values(screens, title);
        let amount = |s: &String| amount_of(s);
        let reviewed_outputs = screens.iter().filter(|s| s[0] == "Review").count();
        assert_eq!(
            reviewed_outputs, 1,
            "only the payment is reviewed: {screens:?}"
        );
        assert_eq!(value_of("Address"), vec![pay_to.clone()], "{screens:?}");
        let amounts: Vec<String> = value_of("Amount").iter().map(amount).collect();
        assert_eq!(amounts, vec![btc_text(200_000)], "{screens:?}");
        let fees: Vec<String> = value_of("Fees").iter().map(amount).collect();
        assert_eq!(fees, vec![btc_text(fee)], "{screens:?}");
        let text: String = screens.iter().flatten().cloned().collect();
        assert!(
            !text.contains(&testnet_form(&change_script)),
            "the change address is not shown: {screens:?}"
        );
    };
    check_screens(&screens);

    // Our own Ledger client (no HWI, no Python) on the same device: the
    // same key, the same address shown, the same screens and signature.
    // Found by the direct scan (the emulator holds one connection at a
    // time: each scan connects, asks, and lets go).
    let LedgerPath::Tcp(addr) = LedgerPath::parse(&dev.device_path()).unwrap() else {
        unreachable!("an emulator is on TCP")
    };
    let listed =
        switchyard_core::signer::ledger::enumerate(bitcoin::Network::Regtest, Some(addr)).await;
    let ours_listed: Vec<_> = listed
        .iter()
        .filter(|d| d.path == dev.device_path())
        .collect();
    assert_eq!(ours_listed.len(), 1, "{listed:?}");
    assert_eq!(
        ours_listed[0].fingerprint.as_deref(),
        Some("f5acc2fd"),
        "{ours_listed:?}"
    );
    assert_eq!(ours_listed[0].bridge, Bridge::Native);
    assert_eq!(
        ours_listed[0].display_name(),
        "Ledger Nano S Plus (emulator)"
    );
    // The mainnet wallet's app is not this one: said in words.
    let wrong = LedgerSigner::connect(
        &LedgerPath::Tcp(addr),
        "ledger_nano_s_plus_simulator",
        bitcoin::Network::Bitcoin,
    )
    .await
    .unwrap_err();
    assert!(
        wrong.to_string().contains("needs its Bitcoin app"),
        "{wrong}"
    );
    let native = LedgerSigner::connect(
        &LedgerPath::parse(&dev.device_path()).unwrap(),
        "ledger_nano_s_plus_simulator",
        bitcoin::Network::Regtest,
    )
    .await
    .expect("our client reaches the app");
    eprintln!("the app: {:?}", native.app());
    assert!(
        native.speaks_2_0(),
        "this firmware is a 2.0.x app (version 1 policies, yields without keys): {:?}",
        native.app()
    );
    assert_eq!(native.fingerprint().await.unwrap(), fp);
    let account = DerivationPath::from_str("m/84'/1'/0'").unwrap();
    assert_eq!(native.xpub(&account).await.unwrap(), xpub);
    let (shown_here, addr_screens) = with_approval(
        &dev,
        verify_address(&native, &recv_path, AddressKind::Wpkh, &recv_addr),
    )
    .await;
    eprintln!("address screens (our client): {addr_screens:?}");
    assert_eq!(shown_here.expect("the device shows our address"), shown);
    assert_eq!(
        screen_values(&addr_screens, "Address"),
        vec![shown.clone()],
        "{addr_screens:?}"
    );
    let (by_native, native_screens) = with_approval(
        &dev,
        sign_reviewed(&native, &psbt, &reviewed, SignOptions::default()),
    )
    .await;
    eprintln!("signing screens (our client): {native_screens:?}");
    let by_native = by_native.expect("the device signs through our client");
    assert_eq!(by_native.signed_inputs, vec![0]);
    assert_eq!(
        by_native.psbt.inputs[0].partial_sigs, signed.psbt.inputs[0].partial_sigs,
        "the same signature as through HWI"
    );
    check_screens(&native_screens);
    // A rejection on the device reads as one.
    let (declined, _) = on_device(
        &dev,
        Answer::Reject,
        sign_reviewed(&native, &psbt, &reviewed, SignOptions::default()),
    )
    .await;
    assert!(
        matches!(declined, Err(SignerError::Declined(_))),
        "{declined:?}"
    );
    // A 2-of-2 of the device's key and another one, registered on the
    // device: it shows the policy and the keys, the test approves, its proof
    // of registration (an HMAC) comes back, and the client checks the
    // device's first address of the policy against the descriptor.
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let ms_path = DerivationPath::from_str("m/48'/1'/0'/2'").unwrap();
    let dev_key = native.xpub(&ms_path).await.unwrap();
    let other_master =
        bitcoin::bip32::Xpriv::new_master(bitcoin::Network::Testnet, &[7u8; 32]).unwrap();
    let other_key =
        bitcoin::bip32::Xpub::from_priv(&secp, &other_master.derive_priv(&secp, &ms_path).unwrap());
    let other_fp = other_master.fingerprint(&secp);
    let vault = format!(
        "wsh(sortedmulti(2,[{fp}/48'/1'/0'/2']{dev_key}/<0;1>/*,[{other_fp}/48'/1'/0'/2']{other_key}/<0;1>/*))"
    );
    let (registered, reg_screens) =
        with_approval(&dev, native.register_wallet("vault", &vault)).await;
    eprintln!("registration screens: {reg_screens:?}");
    let hmac = registered
        .expect("the device registers the policy")
        .expect("a multi-key policy gets an HMAC");
    assert_eq!(hmac.len(), 32);
    assert_eq!(reg_screens[0], vec!["Register wallet", "vault"]);
    // Speculos 0.25.5's text of these screens drops every capital S (seen:
    // "…kvHSSZd…" read as "…kvHZd…"), so keys are compared without it.
    let no_s = |v: Vec<String>| -> Vec<String> { v.iter().map(|k| k.replace('S', "")).collect() };
    assert_eq!(
        no_s(screen_values(&reg_screens, "Key @1 <ours>")),
        no_s(vec![format!("[{fp}/48'/1'/0'/2']{dev_key}/**")]),
        "the device shows its own key as ours: {reg_screens:?}"
    );
    assert_eq!(
        no_s(screen_values(&reg_screens, "Key @2 <theirs>")),
        no_s(vec![format!("[{other_fp}/48'/1'/0'/2']{other_key}/**")]),
        "{reg_screens:?}"
    );
    // A single-key account needs nothing registered.
    assert_eq!(
        native
            .register_wallet(
                "",
                &device_descriptor(fp, &xpub, 0).replace("/0/*", "/<0;1>/*")
            )
            .await
            .unwrap(),
        None
    );

    // The software signer on the same seed: the same signature.
    let soft = sign_with_wallet(
        &wallets,
        "speculos-seed",
        &psbt.serialize(),
        SignOptions::default(),
        None,
    )
    .await
    .unwrap();
    let soft: Psbt = soft.psbt.parse().unwrap();
    assert_eq!(
        soft.inputs[0].partial_sigs, signed.psbt.inputs[0].partial_sigs,
        "RFC 6979 signatures of the same key and message are the same"
    );

    // Finalized from the device's signature, accepted and mined.
    let mut done = signed.psbt.clone();
    finalize(&mut done).unwrap();
    let tx = extract(done).unwrap();
    let hex = bitcoin::consensus::encode::serialize_hex(&tx);
    let txid = net
        .btcd
        .send_raw(&hex)
        .expect("btcd accepts the device's signature");
    tokio::task::block_in_place(|| net.mine(1)).unwrap();
    let confirmed = net.btcd.ctl(&["getrawtransaction", &txid, "1"]).unwrap();
    let v: serde_json::Value = serde_json::from_str(&confirmed).unwrap();
    assert!(v["confirmations"].as_u64().unwrap_or(0) >= 1, "{v}");
}

/// The device's account imported into LND (dry run first, its addresses
/// checked against ours), funded by bob, spent through a PSBT: LND funds
/// it and locks the coins, our review (change annotated from our
/// descriptor), the device signs, we finalize, LND publishes. A rejection
/// on the device and a fee above the limit each release the locked coins.
/// Then a channel funded from the account through LND's PSBT shim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_account_in_lnd_spends_through_a_psbt() {
    use switchyard_core::amount::Sat;
    use switchyard_core::node::psbt::{AccountType, FundRequest, ImportAccount};
    use switchyard_core::node::NodeService;
    use switchyard_core::signer::SignerError;
    use switchyard_core::spend::{self, SpendError};

    let Rig {
        mut net,
        dev,
        signer,
        fp,
        xpub,
        _tmp,
    } = rig("ledgerlnd").await;
    let node = NodeService::new(Some(common::source(&net, "alice")));
    common::connected(&node).await;
    let lnd = node.psbt();
    let ours = our_descriptors(&[
        (device_descriptor(fp, &xpub, 0), false),
        (device_descriptor(fp, &xpub, 1), true),
    ])
    .unwrap();
    let ours_at = |change: bool, i: u32| {
        ours.iter()
            .find(|d| d.change == change)
            .unwrap()
            .descriptor
            .at_derivation_index(i)
            .unwrap()
            .address(bitcoin::Network::Regtest)
            .unwrap()
            .to_string()
    };

    // The dry run shows LND's first addresses: they are ours.
    let import = ImportAccount {
        name: "ledger".into(),
        xpub: xpub.to_string(),
        fingerprint: fp.to_string(),
        account_type: AccountType::P2wkh,
    };
    let dry = lnd.import_account(&import, true).await.unwrap();
    assert!(dry.receive.len() >= 2 && dry.change.len() >= 2, "{dry:?}");
    for (i, a) in dry.receive.iter().enumerate() {
        assert_eq!(*a, ours_at(false, i as u32), "receive {i}");
    }
    for (i, a) in dry.change.iter().enumerate() {
        assert_eq!(*a, ours_at(true, i as u32), "change {i}");
    }
    lnd.import_account(&import, false).await.unwrap();
    let deposit = lnd.new_address("ledger", AccountType::P2wkh).await.unwrap();
    assert_eq!(deposit, ours_at(false, 0));

    // Bob pays the device's account; LND sees it confirmed.
    let bob = net.node("bob").unwrap().cli_handle();
    bob.json(&["sendcoins", "--addr", &deposit, "--amt", "300000"])
        .unwrap();
    tokio::task::block_in_place(|| net.mine(1)).unwrap();
    common::eventually(60, "the account's balance", || async {
        let (confirmed, _) = lnd.balance("ledger").await.ok()?;
        (confirmed == Sat::from_sat(300_000)).then_some(())
    })
    .await;

    let carol = net.node("carol").unwrap().cli_handle();
    let carol_addr = carol.json(&["newaddress", "p2wkh"]).unwrap()["address"]
        .as_str()
        .unwrap()
        .to_string();
    let req = FundRequest {
        outputs: vec![(carol_addr.clone(), Sat::from_sat(100_000))],
        account: "ledger".into(),
        sat_per_vbyte: 2,
        inputs: vec![],
    };

    // A fee above the limit: refused before signing, the coins released.
    let e = spend::prepare(
        &lnd,
        &req,
        &ours,
        bitcoin::Network::Regtest,
        Some(Sat::from_sat(10)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, SpendError::FeeAboveLimit { limit: 10, .. }),
        "{e}"
    );
    assert_eq!(lnd.leases().await.unwrap(), Vec::<String>::new());

    // Rejected on the device: nothing published, the coins released.
    let prepared = spend::prepare(
        &lnd,
        &req,
        &ours,
        bitcoin::Network::Regtest,
        Some(Sat::from_sat(5_000)),
    )
    .await
    .unwrap();
    assert_eq!(prepared.leases.len(), 1);
    assert_eq!(lnd.leases().await.unwrap().len(), 1);
    let (rejected, reject_screens) = on_device(
        &dev,
        Answer::Reject,
        spend::complete(&lnd, &prepared, &signer, SignOptions::default()),
    )
    .await;
    assert_eq!(
        reject_screens.last().map(|s| s[0].as_str()),
        Some("Reject"),
        "{reject_screens:?}"
    );
    let e = rejected.unwrap_err();
    assert!(
        matches!(e, SpendError::Signer(SignerError::Declined(_))),
        "a rejection on the device reads as one: {e:?}"
    );
    assert_eq!(lnd.leases().await.unwrap(), Vec::<String>::new());

    // Approved: what the device shows is what we reviewed.
    let prepared = spend::prepare(
        &lnd,
        &req,
        &ours,
        bitcoin::Network::Regtest,
        Some(Sat::from_sat(5_000)),
    )
    .await
    .unwrap();
    let r = &prepared.review;
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert!(r.inputs.iter().all(|i| matches!(
        i.owner,
        Owner::Ours {
            change: false,
            index: 0,
            ..
        }
    )));
    let payment: Vec<_> = r
        .outputs
        .iter()
        .filter(|o| o.kind == OutputKind::Payment)
        .collect();
    assert_eq!(payment.len(), 1);
    assert_eq!(payment[0].address.as_deref(), Some(carol_addr.as_str()));
    assert_eq!(payment[0].value, Sat::from_sat(100_000));
    let change = r
        .outputs
        .iter()
        .find(|o| matches!(o.kind, OutputKind::Change { .. }))
        .expect("LND's change is recognised as ours");
    let fee = r.fee.unwrap();
    assert_eq!(
        change.value.to_sat() + 100_000 + fee.to_sat(),
        300_000,
        "inputs = outputs + fee"
    );
    let (sent, screens) = with_approval(
        &dev,
        spend::complete(&lnd, &prepared, &signer, SignOptions::default()),
    )
    .await;
    eprintln!("send screens: {screens:?}");
    let sent = sent.expect("signed on the device and published");
    assert_eq!(
        screen_values(&screens, "Fees")
            .iter()
            .map(|s| amount_of(s))
            .collect::<Vec<_>>(),
        vec![btc_text(fee.to_sat())]
    );
    assert_eq!(
        screen_values(&screens, "Amount")
            .iter()
            .map(|s| amount_of(s))
            .collect::<Vec<_>>(),
        vec![btc_text(100_000)]
    );
    let carol_script = Address::from_str(&carol_addr)
        .unwrap()
        .assume_checked()
        .script_pubkey();
    assert_eq!(
        screen_values(&screens, "Address"),
        vec![
            Address::from_script(&carol_script, bitcoin::Network::Testnet)
                .unwrap()
                .to_string()
        ]
    );
    tokio::task::block_in_place(|| net.mine(1)).unwrap();
    let v: serde_json::Value = serde_json::from_str(
        &net.btcd
            .ctl(&["getrawtransaction", &sent.txid, "1"])
            .unwrap(),
    )
    .unwrap();
    assert!(v["confirmations"].as_u64().unwrap_or(0) >= 1, "{v}");
    common::eventually(60, "the account's balance after the send", || async {
        let (confirmed, unconfirmed) = lnd.balance("ledger").await.ok()?;
        (confirmed == change.value && unconfirmed == Sat::ZERO).then_some(())
    })
    .await;
    assert_eq!(lnd.leases().await.unwrap(), Vec::<String>::new());

    // A channel to carol funded from the device's account through LND's
    // PSBT shim: the device shows the channel's address and size and our
    // fee; LND publishes once carol has signed.
    use switchyard_core::node::channels::OpenChannelRequest;
    use switchyard_core::psbt_open;
    let channels = node.channels();
    let open_req = OpenChannelRequest {
        peer: net.node("carol").unwrap().profile().unwrap().p2p_uri,
        amount_sat: Sat::from_sat(80_000),
        push_sat: Sat::ZERO,
        private: false,
        fee: None,
        min_htlc_msat: None,
        utxos: vec![],
        allow_high_fee: false,
    };
    let prepared = psbt_open::prepare(
        &channels,
        &lnd,
        std::slice::from_ref(&open_req),
        "ledger",
        2,
        &ours,
        bitcoin::Network::Regtest,
        Some(Sat::from_sat(5_000)),
    )
    .await
    .unwrap();
    let r = prepared.funded.review.clone();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let funding: Vec<_> = r
        .outputs
        .iter()
        .filter(|o| o.kind == OutputKind::ChannelFunding)
        .collect();
    assert_eq!(funding.len(), 1, "{r:?}");
    assert_eq!(funding[0].value, Sat::from_sat(80_000));
    assert_eq!(
        funding[0].address.as_deref(),
        Some(prepared.opens[0].funding_address.as_str())
    );
    assert!(!r.outputs.iter().any(|o| o.kind == OutputKind::Payment));
    let open_fee = r.fee.unwrap();
    let funding_script = Address::from_str(&prepared.opens[0].funding_address)
        .unwrap()
        .assume_checked()
        .script_pubkey();
    let (opened, screens) = with_approval(
        &dev,
        psbt_open::complete(&channels, &lnd, prepared, &signer, SignOptions::default()),
    )
    .await;
    eprintln!("open screens: {screens:?}");
    let opened = opened.expect("signed on the device; LND published");
    assert_eq!(
        screen_values(&screens, "Amount")
            .iter()
            .map(|s| amount_of(s))
            .collect::<Vec<_>>(),
        vec![btc_text(80_000)]
    );
    assert_eq!(
        screen_values(&screens, "Address"),
        vec![
            Address::from_script(&funding_script, bitcoin::Network::Testnet)
                .unwrap()
                .to_string()
        ]
    );
    assert_eq!(
        screen_values(&screens, "Fees")
            .iter()
            .map(|s| amount_of(s))
            .collect::<Vec<_>>(),
        vec![btc_text(open_fee.to_sat())]
    );
    tokio::task::block_in_place(|| net.mine(3)).unwrap();
    common::eventually(60, "the channel funded by the device is active", || async {
        let list = channels.list().await.ok()?;
        list.channels
            .iter()
            .any(|c| {
                c.channel_point == opened.channels[0].channel_point
                    && c.state == switchyard_core::node::channels::ChannelState::Active
            })
            .then_some(())
    })
    .await;
    assert_eq!(lnd.leases().await.unwrap(), Vec::<String>::new());
}
