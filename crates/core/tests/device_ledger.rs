//! A real device's firmware signs: Ledger's Bitcoin app (app-bitcoin-new
//! 2.0.x for testnet, Nano S Plus) under Speculos, reached through HWI 3.2.0
//! as our `HwiSigner` runs it.
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
use switchyard_core::signer::hwi::{DeviceInfo, Hwi, HwiSigner};
use switchyard_core::signer::{sign_reviewed, verify_address, AddressKind, Signer};
use switchyard_core::store::Store;
use switchyard_core::wallet::{NewWallet, WalletService};
use switchyard_core::Network;
use switchyard_regtest::network::NetworkOptions;
use switchyard_regtest::speculos::{Button, Speculos, SPECULOS_SEED};

/// Presses through whatever the device shows until `stop`: right to go on,
/// both on a screen that approves ("Approve", "Accept", "Sign"), never
/// anything on the home screen or a "Reject" one. Returns every screen seen,
/// in order, each as its lines.
fn approve_all(dev: Arc<Speculos>, stop: Arc<AtomicBool>) -> Vec<Vec<String>> {
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
        let approves = ["Approve", "Accept", "Sign"]
            .iter()
            .any(|w| first.starts_with(w));
        dev.press(if approves {
            Button::Both
        } else {
            Button::Right
        })
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
    dev.clear().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let presser = {
        let (dev, stop) = (dev.clone(), stop.clone());
        std::thread::spawn(move || approve_all(dev, stop))
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_app_under_speculos_signs_what_we_reviewed() {
    let tmp = tempfile::tempdir().unwrap();
    let dev_dir = tmp.path().to_path_buf();
    let device = tokio::task::spawn_blocking(move || Speculos::start(&dev_dir));
    let mut net = tokio::task::spawn_blocking(|| {
        switchyard_regtest::Network::up(NetworkOptions::temp("ledger"))
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
        },
    );
    assert_eq!(signer.label(), "Ledger Nano S Plus (emulator)");
    let fp = signer.fingerprint().await.unwrap();
    assert_eq!(fp, Fingerprint::from_str("f5acc2fd").unwrap());
    let account = DerivationPath::from_str("m/84'/1'/0'").unwrap();
    let xpub = signer.xpub(&account).await.unwrap();

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
    let desc = |chain: u32| format!("wpkh([{fp}/84'/1'/0']{xpub}/{chain}/*)");
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
    let on_screen: Vec<String> = screens
        .iter()
        .filter(|s| s[0] == "Address")
        .map(|s| s[1..].concat().trim().to_string())
        .collect();
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
    let value_of = |title: &str| -> Vec<String> {
        screens
            .iter()
            .filter(|s| s[0] == title)
            .map(|s| s[1..].concat().trim().to_string())
            .collect()
    };
    let amount = |s: &String| s.split_whitespace().last().unwrap_or("").to_string();
    let reviewed_outputs = screens.iter().filter(|s| s[0] == "Review").count();
    assert_eq!(
        reviewed_outputs, 1,
        "only the payment is reviewed: {screens:?}"
    );
    let pay_to = testnet_form(&bob_addr.script_pubkey());
    assert_eq!(value_of("Address"), vec![pay_to], "{screens:?}");
    let amounts: Vec<String> = value_of("Amount").iter().map(amount).collect();
    assert_eq!(amounts, vec![btc_text(200_000)], "{screens:?}");
    let fees: Vec<String> = value_of("Fees").iter().map(amount).collect();
    assert_eq!(fees, vec![btc_text(fee)], "{screens:?}");
    let text: String = screens.iter().flatten().cloned().collect();
    assert!(
        !text.contains(&testnet_form(&change_script)),
        "the change address is not shown: {screens:?}"
    );

    // The software signer on the same seed: the same signature.
    let soft = sign_with_wallet(
        &wallets,
        "speculos-seed",
        &psbt.serialize(),
        SignOptions::default(),
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
