//! BIP174's own test vectors (`vectors/bip174.json`, copied from the BIP's
//! text): every invalid PSBT refused by our reader with a reason, every
//! valid one read and written back byte for byte and reviewed; the four
//! that fail the signer's checks flagged by our review and refused by our
//! signer; the whole workflow reproduced — creator, updater, the two
//! signers (each signature verified by our own check), our combiner (the
//! BIP's PSBT, up to the order of signatures in a map), our finalizer and
//! our extractor each give the BIP's bytes — and the combiner with unknown
//! key-value pairs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::bip32::{DerivationPath, Fingerprint, Xpriv};
use bitcoin::psbt::Psbt;
use bitcoin::secp256k1::Secp256k1;
use bitcoin::{
    absolute, transaction, Amount, OutPoint, PrivateKey, PublicKey, ScriptBuf, Sequence,
    Transaction, TxIn, TxOut, Txid, Witness,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::str::FromStr;
use switchyard_pure::psbt::review::{review, Policy, Warning};
use switchyard_pure::psbt::sign::{check_signable, extract, finalize, SignError, SignOptions};
use switchyard_pure::psbt::verify::{combine, verify_signatures, VerifyError};
use switchyard_pure::psbt::{parse, ParseError};

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/bip174.json")).unwrap()
}

fn bytes(hex: &str) -> Vec<u8> {
    use bitcoin::hex::FromHex;
    Vec::<u8>::from_hex(hex).unwrap()
}

fn psbt(hex: &str) -> Psbt {
    parse(&bytes(hex)).unwrap()
}

fn hex_of(p: &Psbt) -> String {
    use bitcoin::hex::DisplayHex;
    p.serialize().to_lower_hex_string()
}

fn nobody() -> Policy {
    Policy::new(bitcoin::Network::Testnet, Vec::new())
}

#[test]
fn every_invalid_vector_is_refused_with_a_reason() {
    let v = vectors();
    let cases = v["invalid"].as_array().unwrap();
    assert_eq!(cases.len(), 20, "BIP174 lists 20 invalid PSBTs");
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let raw = bytes(case["hex"].as_str().unwrap());
        let err = parse(&raw).expect_err(name);
        let message = err.to_string();
        match &err {
            // Only the network transaction lacks the magic bytes.
            ParseError::NotPsbt => assert!(name.starts_with("Network transaction"), "{name}"),
            ParseError::Malformed(reason) => assert!(!reason.is_empty(), "{name}: no reason"),
            ParseError::Qr(e) => panic!("{name}: read as QR frames: {e}"),
        }
        assert!(message.len() > 30, "{name}: {message}");
        // The base64 form is refused the same way.
        let b64 = bitcoin::base64::Engine::encode(
            &bitcoin::base64::engine::general_purpose::STANDARD,
            &raw,
        );
        if matches!(err, ParseError::Malformed(_)) {
            assert!(
                matches!(parse(b64.as_bytes()), Err(ParseError::Malformed(_))),
                "{name}"
            );
        }
    }
}

#[test]
fn every_valid_vector_is_read_written_back_and_reviewed() {
    let v = vectors();
    let cases = v["valid"].as_array().unwrap();
    assert_eq!(cases.len(), 10, "BIP174 lists 10 valid PSBTs");
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let hex = case["hex"].as_str().unwrap();
        let p = parse(&bytes(hex)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hex_of(&p), hex, "{name}: written back byte for byte");
        // The review of someone else's PSBT never panics and sees none of
        // it as ours; its fee is known exactly when every input says what
        // it spends.
        let r = review(&p, &nobody());
        assert_eq!(r.inputs.len(), p.inputs.len(), "{name}");
        let known = (0..p.inputs.len()).all(|i| p.spend_utxo(i).is_ok());
        assert_eq!(r.missing_inputs == 0, known, "{name}");
        // Every signature a valid vector carries holds.
        verify_signatures(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn the_vectors_that_fail_the_signers_checks_are_flagged_and_not_signed() {
    let v = vectors();
    let cases = v["fails_signer_checks"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let p = psbt(case["hex"].as_str().unwrap());
        let r = review(&p, &nobody());
        let flagged: Vec<_> = r
            .warnings
            .iter()
            .filter(|w| matches!(w, Warning::ScriptMismatch { .. }))
            .collect();
        assert!(!flagged.is_empty(), "{name}: {:?}", r.warnings);
        let message = flagged[0].to_string();
        let expected = if name.starts_with("A Witness UTXO") {
            "not segwit"
        } else if name.starts_with("redeemScript") {
            "redeem script"
        } else {
            "witness script"
        };
        assert!(message.contains(expected), "{name}: {message}");
        assert!(
            matches!(
                check_signable(&r, SignOptions::default()),
                Err(SignError::Refused(Warning::ScriptMismatch { .. }))
            ),
            "{name}"
        );
    }
}

/// The BIP's updater, written with rust-bitcoin's fields (an updater is
/// not ours: LND or another wallet adds this data; what we check is that
/// the BIP's bytes come out, so the later steps start from them).
fn update(mut p: Psbt, wf: &Value) -> Psbt {
    let u = &wf["updater"];
    let scripts = |k: &str| -> Vec<ScriptBuf> {
        u[k].as_array()
            .unwrap()
            .iter()
            .map(|s| ScriptBuf::from_bytes(bytes(s.as_str().unwrap())))
            .collect()
    };
    let (redeem, witness) = (scripts("redeem_scripts"), scripts("witness_scripts"));
    let prev: Vec<Transaction> = u["previous_txs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| bitcoin::consensus::deserialize(&bytes(t.as_str().unwrap())).unwrap())
        .collect();
    let master = Xpriv::from_str(wf["master_xprv"].as_str().unwrap()).unwrap();
    let fp = master.fingerprint(&Secp256k1::new());
    let origins: BTreeMap<PublicKey, DerivationPath> = u["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["pubkey"].as_str().unwrap().parse().unwrap(),
                k["path"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    // Input 0 spends a legacy P2SH 2-of-2; input 1 a P2SH-P2WSH 2-of-2.
    let find = |txid: Txid| prev.iter().find(|t| t.compute_txid() == txid).unwrap();
    let ins = p.unsigned_tx.input.clone();
    p.inputs[0].non_witness_utxo = Some(find(ins[0].previous_output.txid).clone());
    p.inputs[0].redeem_script = Some(redeem[0].clone());
    let spent = find(ins[1].previous_output.txid);
    p.inputs[1].witness_utxo = Some(spent.output[ins[1].previous_output.vout as usize].clone());
    p.inputs[1].redeem_script = Some(redeem[1].clone());
    p.inputs[1].witness_script = Some(witness[0].clone());
    let add = |map: &mut BTreeMap<bitcoin::secp256k1::PublicKey, (Fingerprint, DerivationPath)>,
               script: &ScriptBuf| {
        for (pk, path) in &origins {
            if script
                .as_bytes()
                .windows(33)
                .any(|w| w == pk.to_bytes().as_slice())
            {
                map.insert(pk.inner, (fp, path.clone()));
            }
        }
    };
    add(&mut p.inputs[0].bip32_derivation, &redeem[0]);
    add(&mut p.inputs[1].bip32_derivation, &witness[0]);
    // The outputs' keys: the one whose P2WPKH each output pays.
    for (out, txout) in p.outputs.iter_mut().zip(&p.unsigned_tx.output) {
        for (pk, path) in &origins {
            let wpkh = ScriptBuf::new_p2wpkh(&pk.wpubkey_hash().unwrap());
            if wpkh == txout.script_pubkey {
                out.bip32_derivation.insert(pk.inner, (fp, path.clone()));
            }
        }
    }
    p
}

fn sign_with(p: &Psbt, keys: &Value) -> Psbt {
    let secp = Secp256k1::new();
    let map: BTreeMap<PublicKey, PrivateKey> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let sk = PrivateKey::from_wif(k["wif"].as_str().unwrap()).unwrap();
            (sk.public_key(&secp), sk)
        })
        .collect();
    let mut out = p.clone();
    out.sign(&map, &secp).unwrap();
    out
}

#[test]
fn the_whole_workflow_gives_the_bips_bytes_at_each_step() {
    let v = vectors();
    let wf = &v["workflow"];

    // Creator.
    let c = &wf["creator"];
    let tx = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: c["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| TxIn {
                previous_output: OutPoint::new(
                    i["txid"].as_str().unwrap().parse().unwrap(),
                    i["vout"].as_u64().unwrap() as u32,
                ),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output: c["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| TxOut {
                value: Amount::from_str_in(
                    o["btc"].as_str().unwrap(),
                    bitcoin::Denomination::Bitcoin,
                )
                .unwrap(),
                script_pubkey: ScriptBuf::from_bytes(bytes(o["script_pubkey"].as_str().unwrap())),
            })
            .collect(),
    };
    let created = Psbt::from_unsigned_tx(tx).unwrap();
    assert_eq!(hex_of(&created), c["psbt"].as_str().unwrap(), "creator");

    // Updater, then SIGHASH_ALL on every input.
    let updated = update(created, wf);
    assert_eq!(
        hex_of(&updated),
        wf["updater"]["psbt"].as_str().unwrap(),
        "updater"
    );
    let mut with_sighash = updated;
    for input in &mut with_sighash.inputs {
        input.sighash_type = Some(bitcoin::EcdsaSighashType::All.into());
    }
    assert_eq!(
        hex_of(&with_sighash),
        wf["sighash_all"].as_str().unwrap(),
        "sighash"
    );
    // The review reads it as someone else's 2-of-2s, with nothing to warn
    // about in its scripts.
    let r = review(&with_sighash, &nobody());
    assert!(
        !r.warnings
            .iter()
            .any(|w| matches!(w, Warning::ScriptMismatch { .. })),
        "{:?}",
        r.warnings
    );

    // The two signers (RFC 6979: the BIP's exact signatures), each
    // signature then verified by our own check.
    let one = sign_with(&with_sighash, &wf["signer1"]["keys"]);
    assert_eq!(
        hex_of(&one),
        wf["signer1"]["psbt"].as_str().unwrap(),
        "signer 1"
    );
    let two = sign_with(&with_sighash, &wf["signer2"]["keys"]);
    assert_eq!(
        hex_of(&two),
        wf["signer2"]["psbt"].as_str().unwrap(),
        "signer 2"
    );
    let from_bip = |k: &str| psbt(wf[k]["psbt"].as_str().unwrap());
    assert_eq!(verify_signatures(&from_bip("signer1")).unwrap().ecdsa, 2);
    assert_eq!(verify_signatures(&from_bip("signer2")).unwrap().ecdsa, 2);

    // Our combiner, from the BIP's signer outputs.
    let (mut combined, verified) = combine(vec![from_bip("signer1"), from_bip("signer2")]).unwrap();
    assert_eq!(verified.ecdsa, 4);
    // The same PSBT as the BIP's. (Byte for byte only up to the order of
    // partial signatures in a map, which BIP174 leaves open: the vector
    // keeps Bitcoin Core's order, by the key's hash160; rust-bitcoin writes
    // them by the key.)
    let bip_combined = psbt(wf["combined"].as_str().unwrap());
    assert_eq!(combined, bip_combined, "combiner");
    assert_eq!(bip_combined.serialize().len(), combined.serialize().len());
    // The other order gives the same PSBT.
    let (swapped, _) = combine(vec![from_bip("signer2"), from_bip("signer1")]).unwrap();
    assert_eq!(swapped, combined);

    // Our finalizer and extractor.
    finalize(&mut combined).unwrap();
    assert_eq!(
        hex_of(&combined),
        wf["finalized"].as_str().unwrap(),
        "finalizer"
    );
    let tx = extract(combined).unwrap();
    assert_eq!(
        bitcoin::consensus::encode::serialize_hex(&tx),
        wf["extracted_tx"].as_str().unwrap(),
        "extractor"
    );
}

#[test]
fn the_combiner_keeps_unknown_pairs_in_key_order() {
    let v = vectors();
    let u = &v["unknown_combine"];
    let (combined, verified) = combine(vec![
        psbt(u["a"].as_str().unwrap()),
        psbt(u["b"].as_str().unwrap()),
    ])
    .unwrap();
    assert_eq!(verified.ecdsa + verified.schnorr, 0);
    assert_eq!(hex_of(&combined), u["combined"].as_str().unwrap());
}

#[test]
fn the_combiner_refuses_what_is_not_one_transaction_or_a_bad_signature() {
    let v = vectors();
    let wf = &v["workflow"];
    let one = psbt(wf["signer1"]["psbt"].as_str().unwrap());
    let two = psbt(wf["signer2"]["psbt"].as_str().unwrap());

    // Another transaction (one output's amount changed).
    let mut other = two.clone();
    other.unsigned_tx.output[0].value = Amount::from_sat(1);
    let err = combine(vec![one.clone(), other]).unwrap_err();
    assert!(
        matches!(&err, VerifyError::NotCombinable { index: 1, detail } if detail.contains("output 0")),
        "{err}"
    );

    // The same transaction, but another account of what input 1 spends.
    let mut lying = two.clone();
    lying.inputs[1].witness_utxo.as_mut().unwrap().value = Amount::from_sat(1);
    let err = combine(vec![one.clone(), lying]).unwrap_err();
    assert!(
        matches!(&err, VerifyError::NotCombinable { detail, .. } if detail.contains("input 1")),
        "{err}"
    );

    // A signature that does not hold (signer 2's signature moved onto
    // another key's place is not possible; a flipped byte is).
    let mut forged = two;
    let (_, sig) = forged.inputs[0].partial_sigs.iter_mut().next().unwrap();
    let mut raw = sig.signature.serialize_compact();
    raw[40] ^= 1;
    sig.signature = bitcoin::secp256k1::ecdsa::Signature::from_compact(&raw).unwrap();
    let err = combine(vec![one, forged]).unwrap_err();
    assert!(
        matches!(err, VerifyError::BadSignature { input: 0, .. }),
        "{err}"
    );

    assert!(matches!(
        combine(Vec::new()),
        Err(VerifyError::NotCombinable { index: 0, .. })
    ));
}
