//! A PSBT signed by the wallet's software signer is accepted by a real node:
//! bob's LND pays one of our wallet's BIP84 addresses; we build a PSBT that
//! spends it (to bob, with change to our change chain), review it through the
//! wallet's descriptors, sign with the seed from the real keychain, finalize,
//! extract — and btcd accepts and mines the transaction. The same spend with
//! a lying witness UTXO is refused before any signature.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use bitcoin::bip32::{DerivationPath, Fingerprint};
use bitcoin::psbt::Psbt;
use bitcoin::{Address, Amount, OutPoint, Sequence, Transaction, TxIn, TxOut, Witness};
use secrecy::SecretString;
use std::str::FromStr;
use std::sync::Arc;
use switchyard_core::keychain::OsKeychain;
use switchyard_core::psbt::{extract, finalize, sign_with_wallet, OutputKind, Owner, SignOptions};
use switchyard_core::store::Store;
use switchyard_core::wallet::{NewWallet, WalletService};
use switchyard_core::Network;
use switchyard_regtest::network::NetworkOptions;

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_software_signed_psbt_is_accepted_by_the_network() {
    let mut net = tokio::task::spawn_blocking(|| {
        switchyard_regtest::Network::up(NetworkOptions::temp("psbtsign"))
    })
    .await
    .unwrap()
    .expect("regtest up");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).await.unwrap();
    let keychain = OsKeychain::new(format!(
        "{}.psbt.{}",
        switchyard_core::context::keychain_service(),
        std::process::id()
    ));
    let wallets = WalletService::new(store, Arc::new(keychain));
    let w = wallets
        .create(NewWallet {
            name: "signer".into(),
            network: Network::Regtest,
            words: SecretString::from(ABANDON.to_string()),
            passphrase: SecretString::from(String::new()),
        })
        .await
        .unwrap();
    // Our receive 0/0 and change 1/0, as the wallet lists them.
    let detail = wallets.detail(&w.id).await.unwrap();
    let account = &detail.accounts[0];
    assert_eq!(account.path, "m/84'/1'/0'");
    let ours = |chain: u32| {
        let d = if chain == 0 {
            &account.receive_descriptor
        } else {
            &account.change_descriptor
        };
        let desc = miniscript::Descriptor::<miniscript::DescriptorPublicKey>::from_str(d).unwrap();
        let definite = desc.at_derivation_index(0).unwrap();
        let mut pk = None;
        miniscript::ForEachKey::for_each_key(&definite, |k| {
            pk = Some(
                k.derive_public_key(&bitcoin::secp256k1::Secp256k1::new())
                    .unwrap(),
            );
            true
        });
        (definite.script_pubkey(), pk.unwrap().inner)
    };
    let (recv_script, recv_pk) = ours(0);
    let (change_script, change_pk) = ours(1);
    let recv_addr = Address::from_script(&recv_script, bitcoin::Network::Regtest).unwrap();

    // Bob pays us; the transaction is found by btcd's index.
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

    // 200,000 back to bob, 49,000 to our change, 1,000 of fee.
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
                value: Amount::from_sat(49_000),
                script_pubkey: change_script,
            },
        ],
    };
    let fp = Fingerprint::from_str("73c5da0a").unwrap();
    let mut psbt = Psbt::from_unsigned_tx(tx).unwrap();
    psbt.inputs[0].witness_utxo = Some(prev.output[vout].clone());
    psbt.inputs[0].non_witness_utxo = Some(prev.clone());
    psbt.inputs[0].bip32_derivation.insert(
        recv_pk,
        (fp, DerivationPath::from_str("m/84'/1'/0'/0/0").unwrap()),
    );
    psbt.outputs[1].bip32_derivation.insert(
        change_pk,
        (fp, DerivationPath::from_str("m/84'/1'/0'/1/0").unwrap()),
    );

    // A lying witness UTXO: refused, nothing signed.
    let mut lying = psbt.clone();
    lying.inputs[0].witness_utxo.as_mut().unwrap().value = Amount::from_sat(500_000);
    let e = sign_with_wallet(
        &wallets,
        "signer",
        &lying.serialize(),
        SignOptions::default(),
        None,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("witness UTXO"), "{e}");

    let signed = sign_with_wallet(
        &wallets,
        "signer",
        &psbt.serialize(),
        SignOptions::default(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(signed.signed_inputs, vec![0]);
    assert!(matches!(signed.review.inputs[0].owner, Owner::Ours { .. }));
    assert!(matches!(
        signed.review.outputs[1].kind,
        OutputKind::Change { index: 0, .. }
    ));
    assert_eq!(signed.review.fee.map(|f| f.to_sat()), Some(1_000));
    let mut psbt: Psbt = signed.psbt.parse().unwrap();
    finalize(&mut psbt).unwrap();
    let tx = extract(psbt).unwrap();
    let hex = bitcoin::consensus::encode::serialize_hex(&tx);
    let txid = net.btcd.send_raw(&hex).expect("btcd accepts our signature");
    assert_eq!(txid, tx.compute_txid().to_string());
    tokio::task::block_in_place(|| net.mine(1)).unwrap();
    let confirmed = net.btcd.ctl(&["getrawtransaction", &txid, "1"]).unwrap();
    let v: serde_json::Value = serde_json::from_str(&confirmed).unwrap();
    assert!(v["confirmations"].as_u64().unwrap_or(0) >= 1, "{v}");

    // Both attempts are in the audit log, newest first: the signature with
    // its input and transaction, the refusal with its reason.
    let signs = wallets
        .audit()
        .entries(Some(switchyard_core::audit::Kind::PsbtSign), 10)
        .await
        .unwrap();
    assert_eq!(signs.len(), 2, "{signs:?}");
    assert!(signs[0].ok);
    assert_eq!(signs[0].detail["inputs"], "[0]");
    assert_eq!(signs[0].detail["txid"], txid);
    assert!(!signs[1].ok);
    assert!(
        signs[1].detail["error"].contains("witness UTXO"),
        "{:?}",
        signs[1]
    );
}
