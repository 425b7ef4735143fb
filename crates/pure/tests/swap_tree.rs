//! The swap tree against hand-assembled scripts (the opcodes boltz-core's
//! `SwapTree.ts` / `ReverseSwapTree.ts` list) and a hand-computed BIP341
//! commitment, independent of the builder the module uses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::hashes::{hash160, ripemd160, sha256, Hash, HashEngine};
use bitcoin::key::Keypair;
use bitcoin::secp256k1::{Secp256k1, SecretKey, XOnlyPublicKey};
use bitcoin::taproot::LeafVersion;
use switchyard_pure::swap::tree::{
    check_tree, claim_script, refund_script, spend_info, tree_json, SwapKind, TreeError, TreeParams,
};

fn xonly(n: u8) -> XOnlyPublicKey {
    let secp = Secp256k1::new();
    let sk = SecretKey::from_slice(&[n; 32]).unwrap();
    Keypair::from_secret_key(&secp, &sk).x_only_public_key().0
}

const PREIMAGE: [u8; 32] = [0x42; 32];

fn params(kind: SwapKind, timeout_height: u32) -> TreeParams {
    TreeParams {
        kind,
        payment_hash: sha256::Hash::hash(&PREIMAGE).to_byte_array(),
        claim_key: xonly(1),
        refund_key: xonly(2),
        timeout_height,
    }
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn leaves_are_boltz_cores_scripts_byte_for_byte() {
    let p = params(SwapKind::Submarine, 500_000);
    // The scripts hold HASH160(preimage) = RIPEMD160(payment hash).
    let h160 = hash160::Hash::hash(&PREIMAGE).to_byte_array();
    assert_eq!(h160, ripemd160::Hash::hash(&p.payment_hash).to_byte_array());
    let claim_key = p.claim_key.serialize();
    let refund_key = p.refund_key.serialize();
    // OP_HASH160 <20> OP_EQUALVERIFY <32> OP_CHECKSIG
    assert_eq!(
        claim_script(&p).as_bytes(),
        cat(&[&[0xa9, 0x14], &h160, &[0x88, 0x20], &claim_key, &[0xac]])
    );
    // OP_SIZE 32 OP_EQUALVERIFY, then the same.
    let r = params(SwapKind::Reverse, 500_000);
    assert_eq!(
        claim_script(&r).as_bytes(),
        cat(&[
            &[0x82, 0x01, 0x20, 0x88, 0xa9, 0x14],
            &h160,
            &[0x88, 0x20],
            &claim_key,
            &[0xac]
        ])
    );
    // <32> OP_CHECKSIGVERIFY <height as a minimal script number> OP_CLTV:
    // 500,000 = 0x07a120 little-endian; 8,388,608 = 0x800000 needs a fourth
    // byte so that the number stays positive.
    assert_eq!(
        refund_script(&p).as_bytes(),
        cat(&[&[0x20], &refund_key, &[0xad, 0x03, 0x20, 0xa1, 0x07, 0xb1]])
    );
    assert_eq!(
        refund_script(&params(SwapKind::Submarine, 8_388_608)).as_bytes(),
        cat(&[
            &[0x20],
            &refund_key,
            &[0xad, 0x04, 0x00, 0x00, 0x80, 0x00, 0xb1]
        ])
    );
    // Reverse and submarine refunds are the same leaf.
    assert_eq!(refund_script(&r), refund_script(&p));
}

fn tagged(tag: &str, parts: &[&[u8]]) -> [u8; 32] {
    let t = sha256::Hash::hash(tag.as_bytes()).to_byte_array();
    let mut e = sha256::Hash::engine();
    e.input(&t);
    e.input(&t);
    for p in parts {
        e.input(p);
    }
    sha256::Hash::from_engine(e).to_byte_array()
}

#[test]
fn the_output_commits_to_both_leaves_at_depth_one() {
    let secp = Secp256k1::new();
    let p = params(SwapKind::Reverse, 840_000);
    let internal = xonly(3);
    let info = spend_info(&secp, &p, internal);

    // BIP341 by hand: leaf hashes, one branch of the two sorted, the tweak.
    let leaf = |s: &bitcoin::ScriptBuf| {
        let b = s.as_bytes();
        tagged("TapLeaf", &[&[0xc0, u8::try_from(b.len()).unwrap()], b])
    };
    let (a, b) = (leaf(&claim_script(&p)), leaf(&refund_script(&p)));
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let root = tagged("TapBranch", &[&lo, &hi]);
    assert_eq!(info.merkle_root().unwrap().to_byte_array(), root);
    let tweak = tagged("TapTweak", &[&internal.serialize(), &root]);
    let scalar = bitcoin::secp256k1::Scalar::from_be_bytes(tweak).unwrap();
    let (expected, parity) = internal.add_tweak(&secp, &scalar).unwrap();
    assert_eq!(info.output_key().to_x_only_public_key(), expected);
    assert_eq!(info.output_key_parity(), parity);

    // Both script paths have control blocks that verify against the output.
    for s in [claim_script(&p), refund_script(&p)] {
        let cb = info
            .control_block(&(s.clone(), LeafVersion::TapScript))
            .unwrap();
        assert!(cb.verify_taproot_commitment(&secp, info.output_key().to_x_only_public_key(), &s));
    }
    // Another internal key (another cooperative pair) is another output.
    assert_ne!(
        spend_info(&secp, &p, xonly(4)).output_key(),
        info.output_key()
    );
}

#[test]
fn a_providers_tree_is_rebuilt_and_compared_never_trusted() {
    let p = params(SwapKind::Submarine, 500_000);
    let ours = tree_json(&p);
    assert_eq!(ours.claim_leaf.version, 192);
    assert_eq!(check_tree(&ours, &p), Ok(()));
    // Boltz's JSON field names.
    let json = serde_json::to_value(&ours).unwrap();
    assert!(json["claimLeaf"]["output"].is_string() && json["refundLeaf"]["version"] == 192);

    // The provider changed the time lock, the claim key, the kind, the hash.
    let later = tree_json(&params(SwapKind::Submarine, 500_001));
    let mut t = ours.clone();
    t.refund_leaf = later.refund_leaf;
    assert_eq!(
        check_tree(&t, &p),
        Err(TreeError::LeafMismatch { leaf: "refund" })
    );
    let mut other_key = p;
    other_key.claim_key = xonly(9);
    assert_eq!(
        check_tree(&tree_json(&other_key), &p),
        Err(TreeError::LeafMismatch { leaf: "claim" })
    );
    assert_eq!(
        check_tree(&tree_json(&params(SwapKind::Reverse, 500_000)), &p),
        Err(TreeError::LeafMismatch { leaf: "claim" })
    );
    let mut other_hash = p;
    other_hash.payment_hash = [7; 32];
    assert!(check_tree(&tree_json(&other_hash), &p).is_err());
    // Malformed leaves get their own errors.
    let mut v = ours.clone();
    v.claim_leaf.version = 0xc1;
    assert_eq!(
        check_tree(&v, &p),
        Err(TreeError::LeafVersion {
            leaf: "claim",
            version: 0xc1
        })
    );
    let mut h = ours;
    h.refund_leaf.output.push('z');
    assert_eq!(
        check_tree(&h, &p),
        Err(TreeError::NotHex { leaf: "refund" })
    );
    // The messages say what happened and that nothing was sent.
    let msg = TreeError::LeafMismatch { leaf: "claim" }.to_string();
    assert!(msg.contains("no funds are sent"), "{msg}");
}

fn key33(h: &str) -> [u8; 33] {
    let v: Vec<u8> = (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect();
    v.try_into().unwrap()
}

/// BIP327's key_agg_vectors.json: the public keys, the valid cases and the
/// invalid keys.
#[test]
fn key_aggregation_follows_bip327s_vectors() {
    let x = [
        "02F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9",
        "03DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
        "023590A94E768F8E1815C2F24B4D80A8E3149316C3518CE7B7AD338368D038CA66",
        "020000000000000000000000000000000000000000000000000000000000000005",
        "02FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30",
        "04F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9",
    ]
    .map(key33);
    let valid: [(&[usize], &str); 4] = [
        (
            &[0, 1, 2],
            "90539eede565f5d054f32cc0c220126889ed1e5d193baf15aef344fe59d4610c",
        ),
        (
            &[2, 1, 0],
            "6204de8b083426dc6eaf9502d27024d53fc826bf7d2012148a0575435df54b2b",
        ),
        (
            &[0, 0, 0],
            "b436e3bad62b8cd409969a224731c193d051162d8c5ae8b109306127da3aa935",
        ),
        (
            &[0, 0, 1, 1],
            "69bc22bfa5d106306e48a20679de1d7389386124d07571d0d872686028c26a3e",
        ),
    ];
    for (idx, expected) in valid {
        let keys: Vec<[u8; 33]> = idx.iter().map(|i| x[*i]).collect();
        let agg = switchyard_pure::swap::tree::aggregate_keys(&keys).unwrap();
        assert_eq!(agg.to_string(), expected, "{idx:?}");
    }
    // Not on the curve, x beyond the field, an uncompressed prefix; and no keys.
    for bad in [[0, 3], [0, 4], [5, 0]] {
        let keys: Vec<[u8; 33]> = bad.iter().map(|i| x[*i]).collect();
        assert!(
            switchyard_pure::swap::tree::aggregate_keys(&keys).is_err(),
            "{bad:?}"
        );
    }
    assert!(switchyard_pure::swap::tree::aggregate_keys(&[]).is_err());
}

#[test]
fn the_lockup_address_is_the_tree_under_provider_then_user() {
    use switchyard_pure::swap::tree::{aggregate_key, lockup_address};
    let secp = Secp256k1::new();
    let pk = |n: u8| SecretKey::from_slice(&[n; 32]).unwrap().public_key(&secp);
    let (provider, user) = (pk(5), pk(6));
    let p = params(SwapKind::Submarine, 500_000);
    let addr = lockup_address(&secp, bitcoin::Network::Regtest, &p, &provider, &user).unwrap();
    let internal = aggregate_key(&provider, &user).unwrap();
    let info = spend_info(&secp, &p, internal);
    assert_eq!(
        addr.script_pubkey(),
        bitcoin::ScriptBuf::new_p2tr_tweaked(info.output_key())
    );
    assert!(addr.to_string().starts_with("bcrt1p"));
    // The order is Boltz's, not sorted: swapping the keys is another address.
    let swapped = lockup_address(&secp, bitcoin::Network::Regtest, &p, &user, &provider).unwrap();
    assert_ne!(addr, swapped);
}
