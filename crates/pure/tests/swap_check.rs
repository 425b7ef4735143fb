//! Quotes and the checks of a provider's create responses: an honest
//! response (built here the way a provider builds it) passes; each lie —
//! another key, another time lock, another hash, an address of other
//! scripts, more than quoted, a time lock too near or too far, an absurd
//! fee — is refused with its own error. Fuzzed: random bytes never panic
//! the parsers, and a randomly mutated response is either refused or still
//! safe (its address is the one our terms make and its amount within the
//! quote).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::hashes::{sha256, Hash};
use bitcoin::key::Keypair;
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use proptest::prelude::*;
use switchyard_pure::amount::Sat;
use switchyard_pure::swap::api::*;
use switchyard_pure::swap::check::*;
use switchyard_pure::swap::tree::{lockup_address, tree_json, SwapKind, TreeError, TreeParams};
use switchyard_pure::Network;

const HEIGHT: u32 = 500;

fn key(n: u8) -> Keypair {
    Keypair::from_secret_key(&Secp256k1::new(), &SecretKey::from_slice(&[n; 32]).unwrap())
}

fn hex(b: &[u8]) -> String {
    bitcoin::hex::DisplayHex::to_lower_hex_string(b)
}

fn sub_pair() -> SubmarinePair {
    SubmarinePair {
        hash: "h1".into(),
        rate: 1.0,
        limits: SubmarineLimits {
            maximal: 10_000_000,
            minimal: 10_000,
            maximal_zero_conf: 0,
        },
        fees: SubmarineFees {
            percentage: 0.1,
            miner_fees: 300,
        },
    }
}

fn rev_pair() -> ReversePair {
    ReversePair {
        hash: "h2".into(),
        rate: 1.0,
        limits: ReverseLimits {
            maximal: 10_000_000,
            minimal: 10_000,
        },
        fees: ReverseFees {
            percentage: 0.25,
            miner_fees: ReverseMinerFees {
                lockup: 250,
                claim: 150,
            },
        },
    }
}

fn hash() -> [u8; 32] {
    sha256::Hash::hash(&[9u8; 32]).to_byte_array()
}

/// A submarine response as an honest provider (key 1) makes it for us (key 2).
fn honest_submarine(quote: &SwapQuote, timeout: u32) -> CreateSubmarineResponse {
    let (provider, user) = (key(1).public_key(), key(2).public_key());
    let p = TreeParams {
        kind: SwapKind::Submarine,
        payment_hash: hash(),
        claim_key: provider.x_only_public_key().0,
        refund_key: user.x_only_public_key().0,
        timeout_height: timeout,
    };
    let secp = Secp256k1::new();
    CreateSubmarineResponse {
        id: "sub1".into(),
        bip21: None,
        address: lockup_address(&secp, bitcoin::Network::Regtest, &p, &provider, &user)
            .unwrap()
            .to_string(),
        swap_tree: tree_json(&p),
        claim_public_key: hex(&provider.serialize()),
        timeout_block_height: timeout,
        accept_zero_conf: false,
        expected_amount: quote.onchain.to_sat(),
        referral_id: None,
    }
}

fn honest_reverse(quote: &SwapQuote, timeout: u32) -> CreateReverseResponse {
    let (provider, user) = (key(1).public_key(), key(2).public_key());
    let p = TreeParams {
        kind: SwapKind::Reverse,
        payment_hash: hash(),
        claim_key: user.x_only_public_key().0,
        refund_key: provider.x_only_public_key().0,
        timeout_height: timeout,
    };
    let secp = Secp256k1::new();
    CreateReverseResponse {
        id: "rev1".into(),
        invoice: "lnbcrt…".into(),
        swap_tree: tree_json(&p),
        lockup_address: lockup_address(&secp, bitcoin::Network::Regtest, &p, &provider, &user)
            .unwrap()
            .to_string(),
        refund_public_key: hex(&provider.serialize()),
        timeout_block_height: timeout,
        onchain_amount: quote.onchain.to_sat(),
    }
}

fn check_sub(r: &CreateSubmarineResponse, q: &SwapQuote) -> Result<CheckedSwap, CheckError> {
    check_submarine(r, Network::Regtest, &key(2).public_key(), hash(), q, HEIGHT)
}

fn check_rev(r: &CreateReverseResponse, q: &SwapQuote) -> Result<CheckedSwap, CheckError> {
    check_reverse(
        r,
        Network::Regtest,
        &key(2).public_key(),
        hash(),
        q,
        HEIGHT,
        hash(),
        Some(q.invoice),
    )
}

#[test]
fn quotes_use_integer_arithmetic_and_round_the_fee_up() {
    let q = submarine_quote(&sub_pair(), Sat::from_sat(100_000)).unwrap();
    assert_eq!(q.percentage_ppm, 1_000);
    assert_eq!(q.service_fee.to_sat(), 100);
    assert_eq!(q.onchain.to_sat(), 100_000 + 100 + 300);
    assert_eq!(q.total_fee().unwrap().to_sat(), 400);
    // 0.1 % of 100,001 = 100.001 → 101.
    let q = submarine_quote(&sub_pair(), Sat::from_sat(100_001)).unwrap();
    assert_eq!(q.service_fee.to_sat(), 101);
    let r = reverse_quote(&rev_pair(), Sat::from_sat(200_000)).unwrap();
    assert_eq!(r.service_fee.to_sat(), 500);
    assert_eq!(r.onchain.to_sat(), 200_000 - 500 - 250);
    // 0.1 is not exact in binary; its ppm is.
    assert_eq!(percentage_ppm(0.1).unwrap(), 1_000);
    assert_eq!(percentage_ppm(0.3).unwrap(), 3_000);
}

#[test]
fn absurd_pairs_and_amounts_are_refused() {
    for bad in [f64::NAN, f64::INFINITY, -0.1, 5.01, 100.0] {
        let mut p = sub_pair();
        p.fees.percentage = bad;
        assert!(
            matches!(
                submarine_quote(&p, Sat::from_sat(50_000)),
                Err(CheckError::BadPercentage(_))
            ),
            "{bad}"
        );
    }
    assert_eq!(
        submarine_quote(&sub_pair(), Sat::from_sat(9_999)).unwrap_err(),
        CheckError::OutsideLimits {
            amount: 9_999,
            min: 10_000,
            max: 10_000_000
        }
    );
    assert!(matches!(
        submarine_quote(&sub_pair(), Sat::from_sat(10_000_001)),
        Err(CheckError::OutsideLimits { .. })
    ));
    let mut p = rev_pair();
    p.fees.miner_fees.lockup = 20_000;
    assert!(matches!(
        reverse_quote(&p, Sat::from_sat(20_000)),
        Err(CheckError::FeesExceedAmount { .. })
    ));
    let mut p = sub_pair();
    p.fees.miner_fees = u64::MAX;
    p.limits.maximal = u64::MAX;
    assert_eq!(
        submarine_quote(&p, Sat::from_sat(50_000)).unwrap_err(),
        CheckError::Overflow
    );
}

#[test]
fn an_honest_submarine_response_passes_and_each_lie_is_named() {
    let q = submarine_quote(&sub_pair(), Sat::from_sat(100_000)).unwrap();
    let honest = honest_submarine(&q, HEIGHT + 1008);
    let ok = check_sub(&honest, &q).unwrap();
    assert_eq!(ok.address, honest.address);
    assert_eq!(ok.lockup_amount, q.onchain);

    // Another key for the provider (the tree and address made with it).
    let mut r = honest.clone();
    r.claim_public_key = hex(&key(3).public_key().serialize());
    assert_eq!(
        check_sub(&r, &q).unwrap_err(),
        CheckError::Tree(TreeError::LeafMismatch { leaf: "claim" })
    );
    // Not a key at all.
    r.claim_public_key = "00".repeat(33);
    assert_eq!(check_sub(&r, &q).unwrap_err(), CheckError::BadKey);
    // The time lock said differs from the tree's.
    let mut r = honest.clone();
    r.timeout_block_height += 1;
    assert_eq!(
        check_sub(&r, &q).unwrap_err(),
        CheckError::Tree(TreeError::LeafMismatch { leaf: "refund" })
    );
    // An address of other scripts (the provider's own, say).
    let mut r = honest.clone();
    r.address = honest_submarine(&q, HEIGHT + 1000).address;
    assert!(matches!(
        check_sub(&r, &q).unwrap_err(),
        CheckError::AddressMismatch { .. }
    ));
    // More than quoted.
    let mut r = honest.clone();
    r.expected_amount += 1;
    assert_eq!(
        check_sub(&r, &q).unwrap_err(),
        CheckError::AmountAboveQuote {
            asked: q.onchain.to_sat() + 1,
            quoted: q.onchain.to_sat()
        }
    );
    // Time locks too near and too far.
    let near = honest_submarine(&q, HEIGHT + 10);
    assert!(matches!(
        check_sub(&near, &q).unwrap_err(),
        CheckError::TimeoutTooNear { blocks: 10, .. }
    ));
    let far = honest_submarine(&q, HEIGHT + 5_000);
    assert!(matches!(
        check_sub(&far, &q).unwrap_err(),
        CheckError::TimeoutTooFar { blocks: 5_000, .. }
    ));
    // A tree with a leaf version that is not tapscript.
    let mut r = honest.clone();
    r.swap_tree.claim_leaf.version = 0xc2;
    assert!(matches!(
        check_sub(&r, &q).unwrap_err(),
        CheckError::Tree(TreeError::LeafVersion { .. })
    ));
}

#[test]
fn an_honest_reverse_response_passes_and_each_lie_is_named() {
    let q = reverse_quote(&rev_pair(), Sat::from_sat(200_000)).unwrap();
    let honest = honest_reverse(&q, HEIGHT + 144);
    assert_eq!(check_rev(&honest, &q).unwrap().lockup_amount, q.onchain);

    let mut r = honest.clone();
    r.onchain_amount -= 1;
    assert!(matches!(
        check_rev(&r, &q).unwrap_err(),
        CheckError::AmountBelowQuote { .. }
    ));
    // A hold invoice for another hash or amount.
    let other_hash = check_reverse(
        &honest,
        Network::Regtest,
        &key(2).public_key(),
        hash(),
        &q,
        HEIGHT,
        [0u8; 32],
        Some(q.invoice),
    );
    assert!(matches!(other_hash, Err(CheckError::Invoice(m)) if m.contains("payment hash")));
    let other_amount = check_reverse(
        &honest,
        Network::Regtest,
        &key(2).public_key(),
        hash(),
        &q,
        HEIGHT,
        hash(),
        Some(Sat::from_sat(200_001)),
    );
    assert!(matches!(other_amount, Err(CheckError::Invoice(m)) if m.contains("200001")));
    // The provider's key swapped for ours (it could then refund alone...).
    let mut r = honest.clone();
    r.refund_public_key = hex(&key(2).public_key().serialize());
    assert!(check_rev(&r, &q).is_err());
    // A mainnet address for a regtest swap.
    let secp = Secp256k1::new();
    let p = check_rev(&honest, &q).unwrap().tree_params();
    let main = lockup_address(
        &secp,
        bitcoin::Network::Bitcoin,
        &p,
        &key(1).public_key(),
        &key(2).public_key(),
    )
    .unwrap();
    let mut r = honest.clone();
    r.lockup_address = main.to_string();
    assert!(matches!(
        check_rev(&r, &q).unwrap_err(),
        CheckError::AddressMismatch { .. }
    ));
}

#[test]
fn status_updates_parse_as_boltz_sends_them() {
    let update = r#"{"event":"update","channel":"swap.update","args":[{"id":"a","status":"transaction.mempool","transaction":{"id":"ff","hex":"00"}},{"status":"no id"},{"id":"b","status":"invoice.failedToPay","failureReason":"no route"}],"timestamp":"1700000000000"}"#;
    let m: WsMessage = serde_json::from_str(update).unwrap();
    let u = m.updates();
    assert_eq!(u.len(), 2);
    assert_eq!(u[0].transaction.as_ref().unwrap().id, "ff");
    assert_eq!(u[1].failure_reason.as_deref(), Some("no route"));
    let pong: WsMessage = serde_json::from_str(r#"{"event":"pong"}"#).unwrap();
    assert!(pong.updates().is_empty());
    let pairs: Pairs<SubmarinePair> = serde_json::from_str(
        r#"{"BTC":{"BTC":{"hash":"x","rate":1,"limits":{"maximal":10,"minimal":1,"maximalZeroConf":0},"fees":{"percentage":0.1,"minerFees":5}}}}"#,
    )
    .unwrap();
    assert_eq!(pairs["BTC"]["BTC"].fees.miner_fees, 5);
}

fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>().prop_map(|n| serde_json::json!(n)),
        ".{0,12}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,16}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Field edits a hostile provider could make to a submarine response.
#[derive(Debug, Clone)]
enum Edit {
    Field(&'static str, serde_json::Value),
    Drop(&'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    let fields = prop_oneof![
        Just("address"),
        Just("claimPublicKey"),
        Just("timeoutBlockHeight"),
        Just("expectedAmount"),
        Just("swapTree"),
        Just("id"),
    ];
    prop_oneof![
        (fields.clone(), any_json()).prop_map(|(f, v)| Edit::Field(f, v)),
        (fields.clone(), any::<u32>()).prop_map(|(f, n)| Edit::Field(f, serde_json::json!(n))),
        fields.prop_map(Edit::Drop),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_the_parsers(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = serde_json::from_slice::<CreateSubmarineResponse>(&bytes);
        let _ = serde_json::from_slice::<CreateReverseResponse>(&bytes);
        let _ = serde_json::from_slice::<SwapStatus>(&bytes);
        let _ = serde_json::from_slice::<SubmarineClaimDetails>(&bytes);
        let _ = serde_json::from_slice::<PartialSignature>(&bytes);
        let _ = serde_json::from_slice::<Pairs<SubmarinePair>>(&bytes);
        let _ = serde_json::from_slice::<Pairs<ReversePair>>(&bytes);
        if let Ok(m) = serde_json::from_slice::<WsMessage>(&bytes) {
            let _ = m.updates();
        }
    }

    #[test]
    fn random_json_never_panics_the_parsers(v in any_json()) {
        let _ = serde_json::from_value::<CreateSubmarineResponse>(v.clone());
        let _ = serde_json::from_value::<CreateReverseResponse>(v.clone());
        if let Ok(p) = serde_json::from_value::<Pairs<SubmarinePair>>(v.clone()) {
            for pair in p.values().flat_map(|m| m.values()) {
                let _ = submarine_quote(pair, Sat::from_sat(50_000));
            }
        }
        if let Ok(p) = serde_json::from_value::<Pairs<ReversePair>>(v.clone()) {
            for pair in p.values().flat_map(|m| m.values()) {
                let _ = reverse_quote(pair, Sat::from_sat(50_000));
            }
        }
        if let Ok(m) = serde_json::from_value::<WsMessage>(v) {
            let _ = m.updates();
        }
    }

    #[test]
    fn a_tampered_response_is_refused_or_still_safe(edits in prop::collection::vec(edit(), 1..4)) {
        let q = submarine_quote(&sub_pair(), Sat::from_sat(100_000)).unwrap();
        let honest = honest_submarine(&q, HEIGHT + 1008);
        let mut v = serde_json::to_value(&honest).unwrap();
        for e in &edits {
            match e {
                Edit::Field(f, x) => { v[*f] = x.clone(); }
                Edit::Drop(f) => { v.as_object_mut().unwrap().remove(*f); }
            }
        }
        if let Ok(r) = serde_json::from_value::<CreateSubmarineResponse>(v) {
            if let Ok(c) = check_sub(&r, &q) {
                // Accepted ⇒ the same scripts, keys and address as honest, and
                // an amount within the quote.
                let h = check_sub(&honest, &q).unwrap();
                prop_assert_eq!(&c.address, &h.address);
                prop_assert_eq!(c.provider_key, h.provider_key);
                prop_assert_eq!(c.timeout_height, h.timeout_height);
                prop_assert!(c.lockup_amount <= q.onchain && c.lockup_amount >= q.invoice);
            }
        }
    }
}

#[test]
fn outputs_to_finds_every_payment_to_the_address() {
    use bitcoin::{Amount, ScriptBuf, Transaction, TxOut};
    let script = ScriptBuf::new_p2tr(&Secp256k1::new(), key(1).x_only_public_key().0, None);
    let other = ScriptBuf::new_p2tr(&Secp256k1::new(), key(2).x_only_public_key().0, None);
    let tx = Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![],
        output: vec![
            TxOut {
                value: Amount::from_sat(5),
                script_pubkey: script.clone(),
            },
            TxOut {
                value: Amount::from_sat(6),
                script_pubkey: other,
            },
            TxOut {
                value: Amount::from_sat(7),
                script_pubkey: script.clone(),
            },
        ],
    };
    assert_eq!(
        outputs_to(&tx, &script),
        vec![(0, Sat::from_sat(5)), (2, Sat::from_sat(7))]
    );
}
