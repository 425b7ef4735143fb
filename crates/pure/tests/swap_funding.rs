//! A swap in funded from another wallet: the signed PSBT or raw transaction
//! the user brings back is read in every form wallets export (base64 text,
//! binary file, raw hex) and checked against the lockup before anything is
//! broadcast; each bad input has its own error. The PSBT vectors are
//! BIP174's own (signed but not finalized; finalized, with the transaction
//! it extracts to).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::psbt::Psbt;
use bitcoin::{Amount, ScriptBuf};
use switchyard_pure::swap::funding::{check_funding, read_funding, FundingError};

// BIP174's finalizer/extractor vectors (see the file for where they come from).
const VECTORS: &str = include_str!("vectors/bip174-finalizer-extractor.json");

fn vector(name: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
    v[name].as_str().unwrap().to_string()
}

fn second_output(psbt: &str) -> (ScriptBuf, Amount) {
    let p: Psbt = psbt.parse().unwrap();
    let o = &p.unsigned_tx.output[1];
    (o.script_pubkey.clone(), o.value)
}

#[test]
fn a_finalized_psbt_in_every_form_and_a_raw_transaction_are_read_alike() {
    let finalized = vector("finalized");
    let from_text = read_funding(finalized.as_bytes()).unwrap();
    assert_eq!(
        bitcoin::consensus::encode::serialize_hex(&from_text),
        vector("extracted_hex"),
        "BIP174's extractor result"
    );
    let binary = finalized.parse::<Psbt>().unwrap().serialize();
    let from_binary = read_funding(&binary).unwrap();
    assert_eq!(from_text, from_binary);
    let hex = bitcoin::consensus::encode::serialize_hex(&from_text);
    assert_eq!(
        read_funding(format!("{hex}\n").as_bytes()).unwrap(),
        from_text
    );
    // The witnesses came from the finalized inputs.
    assert!(!from_text.input[1].witness.is_empty());
    assert!(!from_text.input[0].script_sig.is_empty());
    let (script, amount) = second_output(&finalized);
    assert_eq!(check_funding(&from_text, &script, amount), Ok(1));
}

#[test]
fn bad_funding_is_refused_with_its_own_reason() {
    let not_final = vector("signed_not_finalized");
    assert_eq!(
        read_funding(not_final.as_bytes()),
        Err(FundingError::NotSigned { input: 0 })
    );
    assert!(matches!(
        read_funding(b"cHNidP8Bgarbage"),
        Err(FundingError::Unreadable(_))
    ));
    assert!(matches!(
        read_funding(b"hello"),
        Err(FundingError::Unreadable(_))
    ));
    assert!(matches!(
        read_funding(&[0xff, 0x00, 0x13]),
        Err(FundingError::Unreadable(_))
    ));
    let finalized = vector("finalized");
    let tx = read_funding(finalized.as_bytes()).unwrap();
    let (script, amount) = second_output(&finalized);
    assert_eq!(
        check_funding(&tx, &script, amount + Amount::from_sat(1)),
        Err(FundingError::WrongAmount {
            paid: amount.to_sat(),
            expected: amount.to_sat() + 1
        })
    );
    assert_eq!(
        check_funding(&tx, &ScriptBuf::new_op_return([1u8; 4]), amount),
        Err(FundingError::NoLockupOutput)
    );
    let mut twice = tx.clone();
    twice.output.push(twice.output[1].clone());
    assert_eq!(
        check_funding(&twice, &script, amount),
        Err(FundingError::SeveralLockupOutputs(2))
    );
    // Every message says what to do or what was wrong, in words.
    let e = read_funding(not_final.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("not signed"), "{e}");
}

#[test]
fn random_bytes_never_panic_the_reader() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for len in 0..400usize {
        let mut bytes = Vec::with_capacity(len);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes.push(x as u8);
        }
        let _ = read_funding(&bytes);
        // Also as a PSBT with the magic in front, and as base64 of that.
        let mut magic = b"psbt\xff".to_vec();
        magic.extend_from_slice(&bytes);
        let _ = read_funding(&magic);
        let _ = read_funding(format!("cHNidP8{}", len).as_bytes());
    }
}
