//! The review shown before signing, against PSBTs built by hand: an honest
//! spend, and hostile ones (a fake change output, a swapped UTXO amount, a
//! SIGHASH_NONE input, …) that must each produce their warning. Keys are
//! BIP84's on BIP39's first vector; the size estimate is checked against
//! the same PSBT actually signed; BIP174's finalized vector gives its exact
//! size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::bip32::{DerivationPath, Xpriv};
use bitcoin::psbt::{Psbt, PsbtSighashType};
use bitcoin::secp256k1::Secp256k1;
use bitcoin::{
    absolute, transaction, Amount, EcdsaSighashType, OutPoint, ScriptBuf, Sequence, Transaction,
    TxIn, TxOut, Witness,
};
use miniscript::{Descriptor, DescriptorPublicKey};
use std::str::FromStr;
use switchyard_pure::keys::{master_key, AccountKey, Chain, Purpose};
use switchyard_pure::psbt::review::{review, OurDescriptor, OutputKind, Owner, Policy, Warning};
use switchyard_pure::Network;

// BIP39's first English vector ("abandon" ×11 + "about", passphrase TREZOR).
const SEED_HEX: &str = "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04";

struct Wallet {
    master: Xpriv,
    account: AccountKey,
    policy: Policy,
}

fn wallet() -> Wallet {
    let seed: Vec<u8> = bitcoin::hex::FromHex::from_hex(SEED_HEX).unwrap();
    let master = master_key(&seed.try_into().unwrap(), Network::Regtest);
    let account = AccountKey::derive(&master, Purpose::Bip84, Network::Regtest, 0);
    let ours = [Chain::Receive, Chain::Change]
        .into_iter()
        .map(|c| OurDescriptor {
            descriptor: Descriptor::<DescriptorPublicKey>::from_str(&account.descriptor(c))
                .unwrap(),
            change: c == Chain::Change,
        })
        .collect();
    Wallet {
        master,
        account,
        policy: Policy::new(bitcoin::Network::Regtest, ours),
    }
}

impl Wallet {
    fn path(&self, chain: u32, index: u32) -> DerivationPath {
        DerivationPath::from_str(&format!("m/84'/1'/0'/{chain}/{index}")).unwrap()
    }
    fn pubkey(&self, chain: u32, index: u32) -> bitcoin::secp256k1::PublicKey {
        let secp = Secp256k1::new();
        self.master
            .derive_priv(&secp, &self.path(chain, index))
            .unwrap()
            .private_key
            .public_key(&secp)
    }
    fn script(&self, chain: u32, index: u32) -> ScriptBuf {
        let c = if chain == 0 {
            Chain::Receive
        } else {
            Chain::Change
        };
        self.account
            .address(Network::Regtest, c, index)
            .script_pubkey()
    }
    fn origin(&self, chain: u32, index: u32) -> (bitcoin::bip32::Fingerprint, DerivationPath) {
        (self.account.fingerprint, self.path(chain, index))
    }
}

/// Someone else's P2WPKH script.
fn theirs() -> ScriptBuf {
    let secp = Secp256k1::new();
    let k = bitcoin::secp256k1::SecretKey::from_slice(&[7u8; 32]).unwrap();
    let pk = bitcoin::CompressedPublicKey(k.public_key(&secp));
    ScriptBuf::new_p2wpkh(&pk.wpubkey_hash())
}

/// Spends our receive 0/0 (100,000 sats): 60,000 to someone else, 39,000 to
/// our change 1/3, 1,000 of fee.
fn honest(w: &Wallet) -> Psbt {
    let prev = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![
            TxOut {
                value: Amount::from_sat(100_000),
                script_pubkey: w.script(0, 0),
            },
            TxOut {
                value: Amount::from_sat(5_000),
                script_pubkey: theirs(),
            },
        ],
    };
    let tx = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(prev.compute_txid(), 0),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::new(),
        }],
        output: vec![
            TxOut {
                value: Amount::from_sat(60_000),
                script_pubkey: theirs(),
            },
            TxOut {
                value: Amount::from_sat(39_000),
                script_pubkey: w.script(1, 3),
            },
        ],
    };
    let mut psbt = Psbt::from_unsigned_tx(tx).unwrap();
    psbt.inputs[0].witness_utxo = Some(prev.output[0].clone());
    psbt.inputs[0].non_witness_utxo = Some(prev);
    psbt.inputs[0]
        .bip32_derivation
        .insert(w.pubkey(0, 0), w.origin(0, 0));
    psbt.outputs[1]
        .bip32_derivation
        .insert(w.pubkey(1, 3), w.origin(1, 3));
    psbt
}

#[test]
fn an_honest_spend_is_shown_as_it_is() {
    let w = wallet();
    let r = review(&honest(&w), &w.policy);
    assert_eq!(r.warnings, vec![]);
    assert_eq!(
        r.inputs[0].owner,
        Owner::Ours {
            path: "m/84'/1'/0'/0/0".into(),
            change: false,
            index: 0
        }
    );
    assert_eq!(r.outputs[0].kind, OutputKind::Payment);
    assert_eq!(
        r.outputs[1].kind,
        OutputKind::Change {
            path: "m/84'/1'/0'/1/3".into(),
            index: 3
        }
    );
    assert_eq!(r.spent_from_us.to_sat(), 100_000);
    assert_eq!(r.sent.to_sat(), 60_000);
    assert_eq!(r.change.to_sat(), 39_000);
    assert_eq!(r.fee.map(|f| f.to_sat()), Some(1_000));
    assert_eq!(r.missing_inputs, 0);
    assert!(r.inputs[0]
        .address
        .as_deref()
        .unwrap()
        .starts_with("bcrt1q"));
}

#[test]
fn the_size_estimate_matches_the_signed_transaction() {
    let w = wallet();
    let mut psbt = honest(&w);
    let estimated = review(&psbt, &w.policy).vsize;
    // Sign for real with the same keys and finalize the P2WPKH input.
    let secp = Secp256k1::new();
    psbt.sign(&w.master, &secp).unwrap();
    let (pk, sig) = psbt.inputs[0].partial_sigs.pop_first().unwrap();
    psbt.inputs[0].final_script_witness = Some(Witness::from_slice(&[sig.to_vec(), pk.to_bytes()]));
    let signed = psbt.clone().extract_tx_unchecked_fee_rate();
    let actual = signed.vsize() as u64;
    // The estimate assumes the longest signature (73 bytes): at most one
    // vbyte over, never under.
    assert!(
        estimated >= actual && estimated <= actual + 1,
        "{estimated} vs {actual}"
    );
    // Once finalized, the size is the real one.
    let r = review(&psbt, &w.policy);
    assert_eq!(r.vsize, actual);
    assert!(r.inputs[0].signed);
    assert_eq!(r.fee_rate, Some(1_000u64.div_ceil(actual)));
}

#[test]
fn a_fake_change_output_is_a_payment_with_a_warning() {
    let w = wallet();
    let mut psbt = honest(&w);
    // The payment claims to be our change 1/5 (with our real key for it).
    psbt.outputs[0]
        .bip32_derivation
        .insert(w.pubkey(1, 5), w.origin(1, 5));
    let r = review(&psbt, &w.policy);
    assert_eq!(r.outputs[0].kind, OutputKind::Payment);
    assert_eq!(r.sent.to_sat(), 60_000, "still counted as sent");
    assert!(r.warnings.contains(&Warning::DerivationMismatch {
        place: "output 0".into(),
        path: "m/84'/1'/0'/1/5".into()
    }));
    // A path of ours with someone else's key: the same.
    let mut psbt = honest(&w);
    let secp = Secp256k1::new();
    let other = bitcoin::secp256k1::SecretKey::from_slice(&[9u8; 32])
        .unwrap()
        .public_key(&secp);
    psbt.outputs[0]
        .bip32_derivation
        .insert(other, w.origin(1, 0));
    let r = review(&psbt, &w.policy);
    assert_eq!(r.outputs[0].kind, OutputKind::Payment);
    assert!(matches!(r.warnings[0], Warning::DerivationMismatch { .. }));
}

#[test]
fn a_swapped_utxo_amount_is_flagged_and_the_committed_one_used() {
    let w = wallet();
    let mut psbt = honest(&w);
    // The witness UTXO claims twice the amount: a signer trusting it would
    // see a 101,000-sat fee as 1,000.
    psbt.inputs[0].witness_utxo.as_mut().unwrap().value = Amount::from_sat(200_000);
    let r = review(&psbt, &w.policy);
    assert!(matches!(
        &r.warnings[0],
        Warning::UtxoMismatch { input: 0, detail } if detail.contains("200000") && detail.contains("100000")
    ));
    assert_eq!(
        r.fee.map(|f| f.to_sat()),
        Some(1_000),
        "from the previous transaction"
    );
    assert_eq!(r.inputs[0].value.map(|v| v.to_sat()), Some(100_000));

    // A previous transaction that is not the one spent: the amount is unknown.
    let mut psbt = honest(&w);
    psbt.inputs[0].non_witness_utxo.as_mut().unwrap().lock_time =
        absolute::LockTime::from_height(1).unwrap();
    let r = review(&psbt, &w.policy);
    assert!(matches!(
        &r.warnings[0],
        Warning::UtxoMismatch { input: 0, .. }
    ));
    assert_eq!(r.fee, None);
    assert_eq!(r.missing_inputs, 1);
}

#[test]
fn a_sighash_none_input_is_flagged() {
    let w = wallet();
    let mut psbt = honest(&w);
    psbt.inputs[0].sighash_type = Some(PsbtSighashType::from(EcdsaSighashType::None));
    let r = review(&psbt, &w.policy);
    assert_eq!(
        r.warnings,
        vec![Warning::NonDefaultSighash {
            input: 0,
            sighash: "SIGHASH_NONE".into()
        }]
    );
    // SIGHASH_ALL said out loud is the default.
    psbt.inputs[0].sighash_type = Some(PsbtSighashType::from(EcdsaSighashType::All));
    assert_eq!(review(&psbt, &w.policy).warnings, vec![]);
}

#[test]
fn missing_utxo_data_makes_the_fee_unknown() {
    let w = wallet();
    let mut psbt = honest(&w);
    psbt.inputs[0].witness_utxo = None;
    psbt.inputs[0].non_witness_utxo = None;
    let r = review(&psbt, &w.policy);
    assert_eq!(r.warnings, vec![Warning::MissingUtxo { input: 0 }]);
    assert_eq!((r.fee, r.fee_rate, r.missing_inputs), (None, None, 1));
    assert_eq!(
        r.inputs[0].owner,
        Owner::External,
        "nothing to derive against"
    );
}

#[test]
fn change_beyond_the_gap_limit_a_high_fee_and_a_channel_funding_output() {
    let w = wallet();
    // Change at index 5,000.
    let mut psbt = honest(&w);
    psbt.unsigned_tx.output[1].script_pubkey = w.script(1, 5_000);
    psbt.outputs[1].bip32_derivation.clear();
    psbt.outputs[1]
        .bip32_derivation
        .insert(w.pubkey(1, 5_000), w.origin(1, 5_000));
    let r = review(&psbt, &w.policy);
    assert_eq!(
        r.warnings,
        vec![Warning::ChangeBeyondGap {
            output: 1,
            index: 5_000,
            limit: 1_000
        }]
    );
    // Half of what is sent goes to the fee.
    let mut psbt = honest(&w);
    psbt.unsigned_tx.output[1].value = Amount::from_sat(10_000);
    let r = review(&psbt, &w.policy);
    assert!(matches!(
        r.warnings[..],
        [Warning::HighFee { fee: 30_000, .. }]
    ));
    // The payment is LND's channel funding output.
    let mut policy = w.policy.clone();
    policy.funding_scripts = vec![theirs()];
    let r = review(&honest(&w), &policy);
    assert_eq!(r.outputs[0].kind, OutputKind::ChannelFunding);
    assert_eq!(r.sent.to_sat(), 60_000);
    // Outputs above the inputs.
    let mut psbt = honest(&w);
    psbt.unsigned_tx.output[0].value = Amount::from_sat(90_000);
    let r = review(&psbt, &w.policy);
    assert_eq!(r.fee, None);
    assert!(matches!(
        r.warnings[..],
        [Warning::OutputsExceedInputs {
            inputs: 100_000,
            outputs: 129_000
        }]
    ));
}

#[test]
fn bip174s_finalized_vector_is_reviewed_with_its_exact_size() {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("vectors/bip174-finalizer-extractor.json")).unwrap();
    let psbt: Psbt = v["finalized"].as_str().unwrap().parse().unwrap();
    let tx: Transaction = bitcoin::consensus::deserialize(
        &<Vec<u8> as bitcoin::hex::FromHex>::from_hex(v["extracted_hex"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let w = wallet();
    let r = review(&psbt, &w.policy);
    assert_eq!(r.vsize, tx.vsize() as u64);
    assert!(r
        .inputs
        .iter()
        .all(|i| i.signed && i.owner == Owner::External));
    assert!(r.outputs.iter().all(|o| o.kind == OutputKind::Payment));
    let inputs: u64 = r.inputs.iter().map(|i| i.value.unwrap().to_sat()).sum();
    let outputs: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
    assert_eq!(r.fee.map(|f| f.to_sat()), Some(inputs - outputs));
}

// ---- the software signer ------------------------------------------------

use bitcoin::sighash::SighashCache;
use switchyard_pure::psbt::sign::{extract, finalize, sign_ours, SignError, SignOptions};

/// The ECDSA signature on input 0 verifies under our key for BIP143's
/// sighash of this very transaction.
fn verify_input0(psbt: &Psbt, w: &Wallet) {
    let secp = Secp256k1::new();
    let pk = bitcoin::CompressedPublicKey(w.pubkey(0, 0));
    let sig = psbt.inputs[0].partial_sigs[&bitcoin::PublicKey::from(pk)];
    let utxo = psbt.inputs[0].witness_utxo.as_ref().unwrap();
    let sighash = SighashCache::new(&psbt.unsigned_tx)
        .p2wpkh_signature_hash(0, &utxo.script_pubkey, utxo.value, EcdsaSighashType::All)
        .unwrap();
    secp.verify_ecdsa(
        &bitcoin::secp256k1::Message::from(sighash),
        &sig.signature,
        &pk.0,
    )
    .expect("a valid signature");
}

#[test]
fn the_software_signer_signs_only_what_is_provably_ours() {
    let w = wallet();
    let mut psbt = honest(&w);
    let r = review(&psbt, &w.policy);
    assert_eq!(
        sign_ours(&mut psbt, &w.master, &r, SignOptions::default()),
        Ok(vec![0])
    );
    verify_input0(&psbt, &w);
    finalize(&mut psbt).unwrap();
    let tx = extract(psbt).unwrap();
    assert_eq!(tx.input[0].witness.len(), 2, "P2WPKH: signature and key");

    // A second input whose UTXO is someone else's script, with our key path
    // attached (a trap): reviewed as not ours, never signed.
    let mut psbt = honest(&w);
    psbt.unsigned_tx.input.push(TxIn {
        previous_output: OutPoint::new(psbt.unsigned_tx.input[0].previous_output.txid, 1),
        script_sig: ScriptBuf::new(),
        sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
        witness: Witness::new(),
    });
    let mut trap = bitcoin::psbt::Input {
        witness_utxo: Some(TxOut {
            value: Amount::from_sat(5_000),
            script_pubkey: theirs(),
        }),
        ..Default::default()
    };
    trap.bip32_derivation.insert(w.pubkey(0, 1), w.origin(0, 1));
    psbt.inputs.push(trap);
    let r = review(&psbt, &w.policy);
    assert_eq!(r.inputs[1].owner, Owner::External);
    assert_eq!(
        sign_ours(&mut psbt, &w.master, &r, SignOptions::default()),
        Ok(vec![0])
    );
    assert!(
        psbt.inputs[1].partial_sigs.is_empty(),
        "the trap was not signed"
    );
    assert!(finalize(&mut psbt).is_err(), "input 1 stays unsigned");
}

#[test]
fn the_software_signer_refuses_what_the_review_warns_about() {
    let w = wallet();
    // A lying witness UTXO.
    let mut psbt = honest(&w);
    psbt.inputs[0].witness_utxo.as_mut().unwrap().value = Amount::from_sat(200_000);
    let r = review(&psbt, &w.policy);
    assert!(matches!(
        sign_ours(&mut psbt, &w.master, &r, SignOptions::default()),
        Err(SignError::Refused(Warning::UtxoMismatch { .. }))
    ));
    assert!(psbt.inputs[0].partial_sigs.is_empty());
    // SIGHASH_NONE: refused unless the user says so after the warning.
    let mut psbt = honest(&w);
    psbt.inputs[0].sighash_type = Some(PsbtSighashType::from(EcdsaSighashType::None));
    let r = review(&psbt, &w.policy);
    let e = sign_ours(&mut psbt, &w.master, &r, SignOptions::default()).unwrap_err();
    assert!(e.to_string().contains("SIGHASH_NONE"), "{e}");
    let allow = SignOptions {
        allow_non_default_sighash: true,
    };
    assert_eq!(sign_ours(&mut psbt, &w.master, &r, allow), Ok(vec![0]));
    // Unknown fee.
    let mut psbt = honest(&w);
    psbt.inputs[0].witness_utxo = None;
    psbt.inputs[0].non_witness_utxo = None;
    let r = review(&psbt, &w.policy);
    assert_eq!(
        sign_ours(&mut psbt, &w.master, &r, SignOptions::default()),
        Err(SignError::FeeUnknown { missing: 1 })
    );
    // Nothing of ours: another wallet's keys.
    let seed = [42u8; 64];
    let stranger = switchyard_pure::keys::master_key(&seed, Network::Regtest);
    let mut psbt = honest(&w);
    let r = review(&psbt, &w.policy);
    assert!(matches!(
        sign_ours(&mut psbt, &stranger, &r, SignOptions::default()),
        Err(SignError::Failed { input: 0, .. })
    ));
    let foreign = review(&psbt, &Policy::new(bitcoin::Network::Regtest, Vec::new()));
    assert_eq!(
        sign_ours(&mut psbt, &w.master, &foreign, SignOptions::default()),
        Err(SignError::NothingOurs)
    );
}

use switchyard_pure::psbt::verify::{merge_signed, verify_signatures, VerifyError};

/// A PSBT back from a signer (device, air-gapped machine) is merged only if
/// it is the reviewed transaction and every signature verifies.
#[test]
fn a_signed_psbt_comes_back_only_as_reviewed_with_valid_signatures() {
    let w = wallet();
    let reviewed = honest(&w);
    let mut signed = reviewed.clone();
    let r = review(&signed, &w.policy);
    sign_ours(&mut signed, &w.master, &r, SignOptions::default()).unwrap();
    // A signer may strip UTXO data; ours is kept.
    signed.inputs[0].non_witness_utxo = None;
    let (merged, verified) = merge_signed(&reviewed, signed.clone()).unwrap();
    assert_eq!((verified.ecdsa, verified.schnorr), (1, 0));
    assert!(merged.inputs[0].non_witness_utxo.is_some());
    verify_input0(&merged, &w);

    // A signature over another message (a byte of the signature changed).
    let mut bad = signed.clone();
    let (pk, sig) = bad.inputs[0].partial_sigs.iter_mut().next().unwrap();
    let pk = *pk;
    let mut der = sig.signature.serialize_compact();
    der[40] ^= 1;
    sig.signature = bitcoin::secp256k1::ecdsa::Signature::from_compact(&der).unwrap();
    assert_eq!(
        verify_signatures(&bad),
        Err(VerifyError::BadSignature {
            input: 0,
            key: pk.to_string()
        })
    );
    assert!(matches!(
        merge_signed(&reviewed, bad),
        Err(VerifyError::BadSignature { .. })
    ));

    // Another output amount, another UTXO amount: not the reviewed PSBT.
    let mut other = signed.clone();
    other.unsigned_tx.output[0].value = Amount::from_sat(59_000);
    let e = merge_signed(&reviewed, other).unwrap_err();
    assert!(
        e.to_string().contains("output 0"),
        "names what changed: {e}"
    );
    let mut other = signed.clone();
    other.inputs[0].witness_utxo.as_mut().unwrap().value = Amount::from_sat(1);
    assert!(matches!(
        merge_signed(&reviewed, other),
        Err(VerifyError::NotTheReviewed(_))
    ));

    // A signature with another sighash type than the input asks for.
    let mut mixed = signed;
    mixed.inputs[0]
        .partial_sigs
        .values_mut()
        .for_each(|s| s.sighash_type = EcdsaSighashType::None);
    assert!(matches!(
        verify_signatures(&mixed),
        Err(VerifyError::SighashMismatch { input: 0, .. })
    ));
}

/// BIP86's key-path spend signed by rust-bitcoin verifies; one bit off
/// does not.
#[test]
fn taproot_key_path_signatures_are_verified() {
    let seed: Vec<u8> = bitcoin::hex::FromHex::from_hex(SEED_HEX).unwrap();
    let master = master_key(&seed.try_into().unwrap(), Network::Regtest);
    let secp = Secp256k1::new();
    let path = DerivationPath::from_str("m/86'/1'/0'/0/0").unwrap();
    let key = master.derive_priv(&secp, &path).unwrap();
    let xonly = key.private_key.x_only_public_key(&secp).0;
    let spk = ScriptBuf::new_p2tr(&secp, xonly, None);
    let tx = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(
                <bitcoin::Txid as bitcoin::hashes::Hash>::from_byte_array([1; 32]),
                0,
            ),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(9_000),
            script_pubkey: theirs(),
        }],
    };
    let mut psbt = Psbt::from_unsigned_tx(tx).unwrap();
    psbt.inputs[0].witness_utxo = Some(TxOut {
        value: Amount::from_sat(10_000),
        script_pubkey: spk,
    });
    psbt.inputs[0].tap_internal_key = Some(xonly);
    psbt.inputs[0]
        .tap_key_origins
        .insert(xonly, (vec![], (master.fingerprint(&secp), path.clone())));
    psbt.sign(&master, &secp).unwrap();
    let v = verify_signatures(&psbt).unwrap();
    assert_eq!((v.ecdsa, v.schnorr), (0, 1));
    let sig = psbt.inputs[0].tap_key_sig.as_mut().unwrap();
    let mut bytes = sig.signature.serialize();
    bytes[63] ^= 1;
    sig.signature = bitcoin::secp256k1::schnorr::Signature::from_slice(&bytes).unwrap();
    assert!(matches!(
        verify_signatures(&psbt),
        Err(VerifyError::BadSignature { input: 0, .. })
    ));
}

/// The hostile PSBT the end-to-end run pastes into the PSBT screen, for the
/// wallet of BIP39's first vector ("abandon … about" with the passphrase
/// "TREZOR", whose seed is this file's) on regtest: the payment claims to be
/// our change, the input asks for SIGHASH_NONE, and its witness UTXO lies
/// about its amount. Kept in `tests/e2e/fixtures/hostile-psbt.txt`; this test
/// fails when the file drifts from what is built here (`UPDATE_FIXTURES=1`
/// rewrites it).
#[test]
fn the_end_to_end_hostile_psbt_is_built_here() {
    let w = wallet();
    let mut psbt = honest(&w);
    psbt.outputs[0]
        .bip32_derivation
        .insert(w.pubkey(1, 5), w.origin(1, 5));
    psbt.inputs[0].sighash_type = Some(PsbtSighashType::from(EcdsaSighashType::None));
    psbt.inputs[0].witness_utxo.as_mut().unwrap().value = Amount::from_sat(200_000);
    let r = review(&psbt, &w.policy);
    let kinds: Vec<&str> = r
        .warnings
        .iter()
        .map(|w| match w {
            Warning::UtxoMismatch { .. } => "utxo",
            Warning::NonDefaultSighash { .. } => "sighash",
            Warning::DerivationMismatch { .. } => "fake change",
            _ => "other",
        })
        .collect();
    for k in ["utxo", "sighash", "fake change"] {
        assert!(kinds.contains(&k), "{k}: {:?}", r.warnings);
    }
    assert_eq!(r.warning_messages.len(), r.warnings.len());
    let text = psbt.to_string();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/e2e/fixtures/hostile-psbt.txt"
    );
    if std::env::var("UPDATE_FIXTURES").is_ok() {
        std::fs::write(path, format!("{text}\n")).unwrap();
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        stored.trim(),
        text,
        "tests/e2e/fixtures/hostile-psbt.txt is out of date: run this test with UPDATE_FIXTURES=1"
    );
}
