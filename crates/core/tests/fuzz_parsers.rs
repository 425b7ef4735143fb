//! Fuzzing the parsers that take user input: arbitrary and mutated strings
//! must give a specific error or a value, never a panic, and errors about
//! recovery words never contain the words.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use proptest::prelude::*;
use secrecy::SecretString;
use std::str::FromStr;
use switchyard_core::keys::{
    check_words, parse_address, parse_mnemonic, parse_path, parse_xpriv, parse_xpub,
};
use switchyard_core::{ApiError, Network};

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const ZPUB: &str = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
const ADDRESS: &str = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu";

fn mutate(base: &str, edits: &[(usize, char)]) -> String {
    let mut chars: Vec<char> = base.chars().collect();
    for (pos, c) in edits {
        if chars.is_empty() {
            chars.push(*c);
            continue;
        }
        let i = pos % chars.len();
        match pos % 3 {
            0 => chars[i] = *c,
            1 => chars.insert(i, *c),
            _ => {
                chars.remove(i);
            }
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        // Failures are reported in the test output; a found case becomes a unit test.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mnemonic_parser_never_panics_nor_leaks_words(input in "\\PC{0,160}") {
        let secret = SecretString::from(input.clone());
        if let Err(e) = parse_mnemonic(&secret) {
            let msg = ApiError::from(e).message;
            prop_assert!(msg.ends_with('.'));
            for word in input.split_whitespace().filter(|w| w.len() > 3) {
                prop_assert!(!msg.contains(word), "{msg} contains {word}");
            }
        }
        // One status per word of the BIP39-normalised sentence (NFKD first).
        let c = check_words(&secret);
        let normalised: String = unicode_normalization::UnicodeNormalization::nfkd(input.as_str()).collect();
        prop_assert_eq!(c.words.len(), normalised.split_whitespace().count());
    }

    #[test]
    fn mutated_mnemonics_are_refused_or_valid(edits in prop::collection::vec((any::<usize>(), "[a-z ]"), 1..6)) {
        let text = mutate(ABANDON, &edits.iter().map(|(p, s)| (*p, s.chars().next().unwrap_or(' '))).collect::<Vec<_>>());
        match parse_mnemonic(&SecretString::from(text.clone())) {
            Ok(m) => prop_assert!([12, 15, 18, 21, 24].contains(&m.word_count())),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn path_parser_never_panics(input in "[mM0-9/'hH x-]{0,40}") {
        match parse_path(&input) {
            Ok(p) => prop_assert!(p.len() <= 255),
            Err(e) => prop_assert!(e.to_string().len() > 10),
        }
    }

    #[test]
    fn xkey_parsers_never_panic(edits in prop::collection::vec((any::<usize>(), "[1-9A-HJ-NP-Za-km-z]"), 0..4), arbitrary in "\\PC{0,120}") {
        let text = mutate(ZPUB, &edits.iter().map(|(p, s)| (*p, s.chars().next().unwrap_or('1'))).collect::<Vec<_>>());
        for candidate in [text.as_str(), arbitrary.as_str()] {
            let _ = parse_xpub(candidate, None).map_err(|e| assert!(!e.to_string().is_empty()));
            let _ = parse_xpriv(candidate, Some(Network::Regtest)).map_err(|e| assert!(!e.to_string().is_empty()));
        }
    }

    #[test]
    fn address_parser_never_panics(edits in prop::collection::vec((any::<usize>(), "[02-9ac-hj-np-z]"), 0..4), arbitrary in "\\PC{0,100}") {
        let text = mutate(ADDRESS, &edits.iter().map(|(p, s)| (*p, s.chars().next().unwrap_or('q'))).collect::<Vec<_>>());
        for candidate in [text.as_str(), arbitrary.as_str()] {
            for n in Network::ALL {
                if let Err(e) = parse_address(candidate, n) {
                    prop_assert!(ApiError::from(e).message.ends_with('.'));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn lndconnect_parser_never_panics_nor_leaks(input in "\\PC{0,200}", tail in "[A-Za-z0-9_%=&?:/.-]{0,120}") {
        for candidate in [input.clone(), format!("lndconnect://{tail}")] {
            if let Err(e) = switchyard_core::node::parse_lndconnect(&candidate) {
                let msg = e.to_string();
                prop_assert!(msg.len() > 20);
                if let Some((_, m)) = candidate.split_once("macaroon=") {
                    if m.len() > 12 {
                        prop_assert!(!msg.contains(m), "{msg}");
                    }
                }
            }
        }
    }
}

/// A describegraph file with one well-formed edge, to mutate.
const GRAPH: &str = r#"{"edges":[{"channel_id":"869446205316579329","node1_pub":"02aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","node2_pub":"03bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","capacity":"5000000","node1_policy":{"time_lock_delta":80,"min_htlc":"1000","fee_base_msat":"1000","fee_rate_milli_msat":"1","disabled":false,"max_htlc_msat":"4950000000","last_update":1700000000},"node2_policy":null}]}"#;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn graph_file_parser_never_panics(
        edits in prop::collection::vec((any::<usize>(), "[0-9a-z\"{}:,\\[\\] é-]"), 0..8),
        arbitrary in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        use switchyard_core::graph::import::parse_describegraph;
        let mutated = mutate(GRAPH, &edits.iter().map(|(p, s)| (*p, s.chars().next().unwrap_or('x'))).collect::<Vec<_>>());
        match parse_describegraph(mutated.as_bytes()) {
            Ok(chans) => prop_assert!(chans.len() <= 1),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let _ = parse_describegraph(&arbitrary);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn wire_decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), ty in prop_oneof![Just(16u16), Just(18), Just(19), Just(256), Just(257), Just(258), any::<u16>()]) {
        use switchyard_core::graph::wire::{decode, encode, read_tlv_stream};
        let mut msg = ty.to_be_bytes().to_vec();
        msg.extend_from_slice(&bytes);
        if let Ok(m) = decode(&msg) {
            // What decodes re-encodes to something that decodes the same.
            prop_assert_eq!(decode(&encode(&m)).ok(), Some(m));
        }
        let _ = read_tlv_stream(&bytes, |t| t % 3 == 0);
        let _ = switchyard_core::graph::gossip::parse_gossip(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    /// A PSBT from anywhere — random bytes behind the magic, BIP174's
    /// finalized vector and BIP370's fullest version 2 PSBT with bytes
    /// changed — is read or refused in words,
    /// and whatever reads is reviewed without a panic.
    #[test]
    fn psbt_parser_and_review_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
    ) {
        use switchyard_core::psbt::{parse, review, Policy};
        let policy = Policy::new(bitcoin::Network::Regtest, Vec::new());
        let mut magic = b"psbt\xff".to_vec();
        magic.extend_from_slice(&bytes);
        for input in [bytes.clone(), magic] {
            match parse(&input) {
                Ok(p) => { let _ = review(&p, &policy); }
                Err(e) => prop_assert!(ApiError::from(switchyard_core::psbt::PsbtError::from(e)).message.ends_with('.')),
            }
        }
        let v: serde_json::Value = serde_json::from_str(include_str!("../../pure/tests/vectors/bip174-finalizer-extractor.json")).unwrap();
        let mut good = bitcoin::psbt::Psbt::from_str(v["finalized"].as_str().unwrap()).unwrap().serialize();
        for (at, b) in &edits {
            let i = at % good.len();
            good[i] = *b;
        }
        if let Ok(p) = parse(&good) {
            let r = review(&p, &policy);
            prop_assert_eq!(r.inputs.len(), p.unsigned_tx.input.len());
        }
        // The same with BIP370's fullest version 2 PSBT (read through our
        // own version 2 reader).
        let v2: serde_json::Value = serde_json::from_str(include_str!("../../pure/tests/vectors/bip370.json")).unwrap();
        let hex = v2["valid"].as_array().unwrap().last().unwrap()["hex"].as_str().unwrap();
        let mut good: Vec<u8> = bitcoin::hex::FromHex::from_hex(hex).unwrap();
        for (at, b) in &edits {
            let i = at % good.len();
            good[i] = *b;
        }
        match parse(&good) {
            Ok(p) => {
                let _ = review(&p, &policy);
                // Whatever reads is written as version 2 and read back the same.
                let written = switchyard_core::psbt::v2::to_v2(&p).unwrap();
                prop_assert_eq!(parse(&written).unwrap(), p);
            }
            Err(e) => prop_assert!(ApiError::from(switchyard_core::psbt::PsbtError::from(e)).message.ends_with('.')),
        }
    }
}
