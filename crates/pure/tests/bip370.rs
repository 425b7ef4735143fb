//! BIP370 (PSBT version 2) on its own vectors (`vectors/bip370.json`,
//! copied from the BIP's text): the 24 invalid PSBTs refused by our reader
//! with a reason naming the field (version 0 with version 2's fields, a
//! version 2 PSBT missing a required field or with an impossible lock
//! time); the 13 valid ones read, as the same transaction their fields
//! describe; the lock time determination algorithm giving the BIP's
//! answers (0, 10000, 1657048460, or none possible); and our writer: every
//! valid PSBT of BIP370 and of BIP174 written as version 2 and read back is
//! the same PSBT, a version 0 one back to version 0 byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::hex::FromHex;
use switchyard_pure::psbt::review::{review, Policy};
use switchyard_pure::psbt::{parse, v2, version_of, ParseError};

fn vectors() -> serde_json::Value {
    serde_json::from_str(include_str!("vectors/bip370.json")).unwrap()
}

fn bytes(case: &serde_json::Value) -> Vec<u8> {
    Vec::<u8>::from_hex(case["hex"].as_str().unwrap()).unwrap()
}

#[test]
fn every_invalid_v2_vector_is_refused_naming_its_fault() {
    let v = vectors();
    let cases = v["invalid"].as_array().unwrap();
    assert_eq!(cases.len(), 24, "BIP370 lists 24 invalid PSBTs");
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let reason = match parse(&bytes(case)) {
            Err(ParseError::Malformed(reason)) => reason,
            other => panic!("{name}: {other:?}"),
        };
        // "PSBTv0 but with PSBT_IN_SEQUENCE." → the field is named.
        if let Some(field) = name
            .split_whitespace()
            .find(|w| w.starts_with("PSBT_"))
            .map(|w| w.trim_end_matches('.'))
        {
            assert!(reason.contains(field), "{name}: {reason}");
        } else {
            assert!(!reason.is_empty(), "{name}");
        }
    }
}

#[test]
fn every_valid_v2_vector_is_read_as_the_transaction_its_fields_describe() {
    let v = vectors();
    let cases = v["valid"].as_array().unwrap();
    assert_eq!(cases.len(), 13, "BIP370 lists 13 valid PSBTs");
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let psbt = parse(&bytes(case)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let tx = &psbt.unsigned_tx;
        // "1 input, 2 output": the transaction built from the fields.
        assert_eq!((tx.input.len(), tx.output.len()), (1, 2), "{name}");
        assert_eq!(tx.version, bitcoin::transaction::Version::TWO, "{name}");
        assert_eq!(
            tx.input[0].previous_output.txid.to_string(),
            "c85f81844094f9f0eec1e41f8d63e0a99e9f73dc725d7319871c9c4121d90a0b",
            "{name}"
        );
        assert!(tx.output.iter().all(|o| o.value.to_sat() > 0), "{name}");
        if name.contains("with PSBT_IN_SEQUENCE") {
            assert_eq!(tx.input[0].sequence.0, 0xffff_fffe, "{name}");
        } else if !name.contains("all PSBTv2 fields") {
            assert_eq!(tx.input[0].sequence, bitcoin::Sequence::MAX, "{name}");
        }
        // Read as version 0 for everything after: the review works on it.
        let r = review(&psbt, &Policy::new(bitcoin::Network::Testnet, Vec::new()));
        assert_eq!(r.outputs.len(), 2, "{name}");
    }
}

#[test]
fn the_lock_time_is_determined_as_bip370_says() {
    let v = vectors();
    let groups = &v["locktime"];
    let mut checked = 0;
    for (expected, cases) in groups.as_object().unwrap() {
        for case in cases.as_array().unwrap() {
            let name = case["case"].as_str().unwrap();
            let read = parse(&bytes(case));
            if expected == "none" {
                match read {
                    Err(ParseError::Malformed(reason)) => {
                        assert!(reason.contains("lock time"), "{name}: {reason}")
                    }
                    other => panic!("{name}: {other:?}"),
                }
            } else {
                let psbt = read.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(
                    psbt.unsigned_tx.lock_time.to_consensus_u32().to_string(),
                    *expected,
                    "{name}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 10);
}

#[test]
fn written_as_version_2_and_read_back_the_same() {
    let bip174: serde_json::Value =
        serde_json::from_str(include_str!("vectors/bip174.json")).unwrap();
    let v370 = vectors();
    let cases = v370["valid"]
        .as_array()
        .unwrap()
        .iter()
        .chain(bip174["valid"].as_array().unwrap());
    let mut from_v0 = 0;
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let original = bytes(case);
        let psbt = parse(&original).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = v2::to_v2(&psbt).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(version_of(&written), Some(2), "{name}");
        assert_eq!(parse(&written).unwrap(), psbt, "{name}");
        if version_of(&original) == Some(0) {
            assert_eq!(v2::to_v0(&written).unwrap(), psbt.serialize(), "{name}");
            from_v0 += 1;
        }
    }
    assert_eq!(from_v0, 10, "BIP174's ten valid PSBTs are version 0");
}
