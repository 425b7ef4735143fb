//! BIP371's taproot fields, on its own vectors (`vectors/bip371.json`,
//! copied from the BIP's text): each invalid PSBT (keys and signatures of
//! the wrong length, control blocks too long or short) refused by our
//! reader with a reason; each valid one (key path and script path, inputs
//! and outputs, with and without signatures) read, written back byte for
//! byte (a taproot tree up to the order of two sibling leaves), reviewed without a warning about its scripts, and every taproot
//! signature it carries verified by our own check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::hex::{DisplayHex, FromHex};
use switchyard_pure::psbt::review::{review, Policy, Warning};
use switchyard_pure::psbt::verify::verify_signatures;
use switchyard_pure::psbt::{parse, ParseError};

fn vectors() -> serde_json::Value {
    serde_json::from_str(include_str!("vectors/bip371.json")).unwrap()
}

#[test]
fn every_invalid_taproot_vector_is_refused_with_a_reason() {
    let v = vectors();
    let cases = v["invalid"].as_array().unwrap();
    assert_eq!(cases.len(), 11, "BIP371 lists 11 invalid PSBTs");
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let raw = Vec::<u8>::from_hex(case["hex"].as_str().unwrap()).unwrap();
        match parse(&raw) {
            Err(ParseError::Malformed(reason)) => assert!(!reason.is_empty(), "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn every_valid_taproot_vector_is_read_written_back_and_its_signatures_hold() {
    let v = vectors();
    let cases = v["valid"].as_array().unwrap();
    assert_eq!(cases.len(), 6, "BIP371 lists 6 valid PSBTs");
    let mut schnorr = 0;
    for case in cases {
        let name = case["case"].as_str().unwrap();
        let hex = case["hex"].as_str().unwrap();
        let psbt =
            parse(&Vec::<u8>::from_hex(hex).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = psbt.serialize();
        if name.contains("taproot tree") {
            // PSBT_OUT_TAP_TREE lists leaves depth first; two leaves under
            // one branch may come in either order (a branch hashes its
            // children sorted): rust-bitcoin writes them in its own order.
            // The same tree, the same length, read back the same.
            assert_eq!(written.len() * 2, hex.len(), "{name}");
            assert_eq!(
                bitcoin::psbt::Psbt::deserialize(&written).unwrap(),
                psbt,
                "{name}"
            );
        } else {
            assert_eq!(written.to_lower_hex_string(), hex, "{name}");
        }
        let r = review(&psbt, &Policy::new(bitcoin::Network::Testnet, Vec::new()));
        assert!(
            !r.warnings.iter().any(|w| matches!(
                w,
                Warning::ScriptMismatch { .. } | Warning::UtxoMismatch { .. }
            )),
            "{name}: {:?}",
            r.warnings
        );
        let verified = verify_signatures(&psbt).unwrap_or_else(|e| panic!("{name}: {e}"));
        let carried: usize = psbt
            .inputs
            .iter()
            .map(|i| usize::from(i.tap_key_sig.is_some()) + i.tap_script_sigs.len())
            .sum();
        assert_eq!(verified.schnorr, carried, "{name}");
        schnorr += verified.schnorr;
    }
    assert!(
        schnorr >= 2,
        "the key-path and script-path signatures were checked"
    );
}
