//! Swap keys, the cooperative MuSig2 key path and the claim/refund sweeps,
//! checked against independent computations: keys against `bitcoin`'s own
//! BIP32 on a path typed as text, signatures against the taproot output key
//! `tree::spend_info` computes (BIP341's tweak, not the MuSig context's),
//! script-path signatures against the leaf's key and BIP342's sighash.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::bip32::{DerivationPath, Xpriv, Xpub};
use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::key::Keypair;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::{OutPoint, ScriptBuf, Txid};
use std::str::FromStr;
use switchyard_pure::amount::Sat;
use switchyard_pure::swap::keys::{derive_swap, public_keys, swap_path};
use switchyard_pure::swap::musig::{initiate, respond, CoopContext, CoopError};
use switchyard_pure::swap::tree::{
    aggregate_key, claim_script, refund_script, spend_info, SwapKind, TreeParams,
};
use switchyard_pure::swap::tx::{
    build_sweep, revealed_preimage, with_preimage, without_preimage, LockupUtxo, SpendPath,
    SweepError,
};
use switchyard_pure::Network;

// BIP39's first English vector ("abandon" ×11 + "about", passphrase TREZOR).
const SEED_HEX: &str = "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04";

fn seed() -> [u8; 64] {
    let v: Vec<u8> = bitcoin::hex::FromHex::from_hex(SEED_HEX).unwrap();
    v.try_into().unwrap()
}

fn keypair(n: u8) -> Keypair {
    Keypair::from_secret_key(&Secp256k1::new(), &SecretKey::from_slice(&[n; 32]).unwrap())
}

fn rand32(n: u8) -> [u8; 32] {
    // Distinct per session in these tests; the engine uses the OS generator.
    sha256::Hash::hash(&[n, 0xa5]).to_byte_array()
}

#[test]
fn swap_keys_follow_the_documented_hardened_path() {
    let secp = Secp256k1::new();
    let s = derive_swap(&seed(), Network::Regtest, 5).unwrap();
    let path = DerivationPath::from_str("m/9735'/1'/0'/5'").unwrap();
    assert_eq!(swap_path(Network::Regtest, 5).unwrap(), path);
    let master = Xpriv::new_master(bitcoin::NetworkKind::Test, &seed()).unwrap();
    let expected = master.derive_priv(&secp, &path).unwrap();
    assert_eq!(s.public_key(), expected.private_key.public_key(&secp));
    // Preimage = SHA256(tag ‖ tag ‖ key), tag = SHA256("Switchyard/swap-preimage").
    let tag = sha256::Hash::hash(b"Switchyard/swap-preimage");
    let mut e = sha256::Hash::engine();
    e.input(tag.as_byte_array());
    e.input(tag.as_byte_array());
    e.input(&expected.private_key.secret_bytes());
    assert_eq!(*s.preimage(), sha256::Hash::from_engine(e).to_byte_array());
    assert_eq!(
        s.payment_hash(),
        sha256::Hash::hash(s.preimage()).to_byte_array()
    );
    // Mainnet uses coin type 0, so its keys differ.
    let main = derive_swap(&seed(), Network::Bitcoin, 5).unwrap();
    assert_ne!(main.public_key(), s.public_key());
    assert_eq!(
        swap_path(Network::Bitcoin, 5).unwrap(),
        DerivationPath::from_str("m/9735'/0'/0'/5'").unwrap()
    );
    // Debug never prints the secrets.
    let debug = format!("{s:?}");
    assert!(
        !debug.contains(&bitcoin::hex::DisplayHex::to_lower_hex_string(
            &s.preimage()[..]
        ))
    );
}

#[test]
fn no_swap_key_is_reachable_from_an_xpub() {
    let secp = Secp256k1::new();
    let master = Xpriv::new_master(bitcoin::NetworkKind::Test, &seed()).unwrap();
    let account = master
        .derive_priv(&secp, &DerivationPath::from_str("m/9735'/1'/0'").unwrap())
        .unwrap();
    let xpub = Xpub::from_priv(&secp, &account);
    // The last level is hardened too: the parent's xpub cannot reach it.
    let last = swap_path(Network::Regtest, 3).unwrap();
    let child = *last.into_iter().last().unwrap();
    assert!(child.is_hardened());
    assert!(xpub.ckd_pub(&secp, child).is_err());
    for level in swap_path(Network::Regtest, 3).unwrap().into_iter() {
        assert!(level.is_hardened(), "{level} is not hardened");
    }
}

#[test]
fn indexes_give_distinct_keys_and_preimages_and_the_range_is_checked() {
    let keys = public_keys(&seed(), Network::Regtest, 0..20).unwrap();
    let mut seen = std::collections::HashSet::new();
    for (i, pk) in &keys {
        assert!(seen.insert(*pk), "index {i} repeats a key");
        let s = derive_swap(&seed(), Network::Regtest, *i).unwrap();
        assert_eq!(s.public_key(), *pk);
    }
    let hashes: std::collections::HashSet<_> = (0..20)
        .map(|i| {
            derive_swap(&seed(), Network::Regtest, i)
                .unwrap()
                .payment_hash()
        })
        .collect();
    assert_eq!(hashes.len(), 20);
    assert!(derive_swap(&seed(), Network::Regtest, 1 << 31).is_err());
    assert!(derive_swap(&seed(), Network::Regtest, (1 << 31) - 1).is_ok());
}

fn terms(kind: SwapKind, provider: &Keypair, user: &Keypair) -> TreeParams {
    let (claim, refund) = match kind {
        SwapKind::Submarine => (provider, user),
        SwapKind::Reverse => (user, provider),
    };
    TreeParams {
        kind,
        payment_hash: sha256::Hash::hash(&[7u8; 32]).to_byte_array(),
        claim_key: claim.x_only_public_key().0,
        refund_key: refund.x_only_public_key().0,
        timeout_height: 1_234,
    }
}

fn utxos(values: &[u64]) -> Vec<LockupUtxo> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| LockupUtxo {
            outpoint: OutPoint {
                txid: Txid::from_byte_array([i as u8 + 1; 32]),
                vout: i as u32,
            },
            value: Sat::from_sat(*v),
        })
        .collect()
}

fn destination() -> ScriptBuf {
    let secp = Secp256k1::new();
    ScriptBuf::new_p2tr(&secp, keypair(9).x_only_public_key().0, None)
}

#[test]
fn cooperative_signatures_verify_under_the_taproot_output_key_in_both_roles() {
    let secp = Secp256k1::new();
    let (provider, user) = (keypair(1), keypair(2));
    for kind in [SwapKind::Submarine, SwapKind::Reverse] {
        let p = terms(kind, &provider, &user);
        let internal = aggregate_key(&provider.public_key(), &user.public_key()).unwrap();
        let spend = spend_info(&secp, &p, internal);
        let ctx = CoopContext::new(
            &provider.public_key(),
            &user.public_key(),
            spend.merkle_root(),
        )
        .unwrap();
        assert_eq!(ctx.output_key(), spend.output_key().to_x_only_public_key());

        // Two outputs at the address, each signed in its own session.
        let mut sweep = build_sweep(
            &utxos(&[50_000, 20_000]),
            &p,
            &spend,
            &destination(),
            2,
            SpendPath::Cooperative,
        )
        .unwrap();
        for index in 0..2 {
            let msg = sweep.key_spend_sighash(index).unwrap();
            // The user starts (refund of a submarine, claim of a reverse) …
            let (starter, answerer) = if index == 0 {
                (&user, &provider)
            } else {
                (&provider, &user)
            };
            let session = initiate(&ctx, starter, msg, rand32(index as u8)).unwrap();
            let answer = respond(
                &ctx,
                answerer,
                &session.public_nonce(),
                msg,
                rand32(10 + index as u8),
            )
            .unwrap();
            let sig = session
                .finish(
                    &ctx,
                    starter,
                    &answer.public_nonce,
                    &answer.partial_signature,
                )
                .unwrap();
            // … and the result is a plain BIP340 signature under the output key.
            secp.verify_schnorr(&sig, &Message::from_digest(msg), &ctx.output_key())
                .unwrap();
            sweep.set_key_spend(index, &sig).unwrap();
        }
        // The fee was computed on the final size.
        assert_eq!(sweep.fee.to_sat(), sweep.tx.vsize() as u64 * 2);
        let out: u64 = sweep.tx.output.iter().map(|o| o.value.to_sat()).sum();
        assert_eq!(out + sweep.fee.to_sat(), 70_000);
    }
}

#[test]
fn a_wrong_partial_signature_or_nonce_is_refused() {
    let secp = Secp256k1::new();
    let (provider, user) = (keypair(1), keypair(2));
    let p = terms(SwapKind::Reverse, &provider, &user);
    let spend = spend_info(
        &secp,
        &p,
        aggregate_key(&provider.public_key(), &user.public_key()).unwrap(),
    );
    let ctx = CoopContext::new(
        &provider.public_key(),
        &user.public_key(),
        spend.merkle_root(),
    )
    .unwrap();
    let msg = [3u8; 32];

    // A partial signature for another message.
    let s = initiate(&ctx, &user, msg, rand32(1)).unwrap();
    let other = respond(&ctx, &provider, &s.public_nonce(), [4u8; 32], rand32(2)).unwrap();
    assert_eq!(
        s.finish(&ctx, &user, &other.public_nonce, &other.partial_signature)
            .unwrap_err(),
        CoopError::InvalidPartialSignature
    );

    // A flipped bit in the partial signature.
    let s = initiate(&ctx, &user, msg, rand32(3)).unwrap();
    let mut a = respond(&ctx, &provider, &s.public_nonce(), msg, rand32(4)).unwrap();
    a.partial_signature[31] ^= 1;
    assert!(s
        .finish(&ctx, &user, &a.public_nonce, &a.partial_signature)
        .is_err());

    // Malformed nonces and signatures are named.
    let s = initiate(&ctx, &user, msg, rand32(5)).unwrap();
    assert_eq!(
        respond(&ctx, &provider, &s.public_nonce()[..65], msg, rand32(6)).unwrap_err(),
        CoopError::BadNonce
    );
    assert_eq!(
        respond(&ctx, &provider, &[0u8; 66], msg, rand32(6)).unwrap_err(),
        CoopError::BadNonce
    );
    let a = respond(&ctx, &provider, &s.public_nonce(), msg, rand32(7)).unwrap();
    assert_eq!(
        s.finish(&ctx, &user, &a.public_nonce, &a.partial_signature[..31])
            .unwrap_err(),
        CoopError::BadPartialSignature
    );

    // A stranger's key takes no part.
    assert_eq!(
        initiate(&ctx, &keypair(5), msg, rand32(8)).unwrap_err(),
        CoopError::NotASigner
    );
    assert_eq!(
        respond(&ctx, &keypair(5), &[2u8; 66], msg, rand32(9)).unwrap_err(),
        CoopError::NotASigner
    );
}

#[test]
fn a_signature_by_the_wrong_key_order_does_not_verify() {
    // Boltz's order is [provider, user]; the sorted or swapped order gives
    // another output key, so a swap made in the wrong order is unspendable
    // by the key path.
    let secp = Secp256k1::new();
    let (provider, user) = (keypair(1), keypair(2));
    let p = terms(SwapKind::Submarine, &provider, &user);
    let spend = spend_info(
        &secp,
        &p,
        aggregate_key(&provider.public_key(), &user.public_key()).unwrap(),
    );
    let swapped = CoopContext::new(
        &user.public_key(),
        &provider.public_key(),
        spend.merkle_root(),
    )
    .unwrap();
    assert_ne!(
        swapped.output_key(),
        spend.output_key().to_x_only_public_key()
    );
}

#[test]
fn script_path_claims_and_refunds_carry_the_right_witness_and_lock_time() {
    let secp = Secp256k1::new();
    let (provider, user) = (keypair(1), keypair(2));
    let preimage = [7u8; 32];
    for kind in [SwapKind::Submarine, SwapKind::Reverse] {
        let p = terms(kind, &provider, &user);
        let spend = spend_info(
            &secp,
            &p,
            aggregate_key(&provider.public_key(), &user.public_key()).unwrap(),
        );
        let (claimer, refunder) = match kind {
            SwapKind::Submarine => (&provider, &user),
            SwapKind::Reverse => (&user, &provider),
        };

        let mut claim = build_sweep(
            &utxos(&[30_000, 40_000, 5_000]),
            &p,
            &spend,
            &destination(),
            3,
            SpendPath::ClaimScript,
        )
        .unwrap();
        let estimated = claim.fee;
        claim
            .sign_claim_script(&p, &spend, claimer, &preimage)
            .unwrap();
        assert_eq!(
            estimated.to_sat(),
            claim.tx.vsize() as u64 * 3,
            "fee sized on the final witness"
        );
        assert_eq!(claim.tx.lock_time, bitcoin::absolute::LockTime::ZERO);
        let script = claim_script(&p);
        for (i, input) in claim.tx.input.iter().enumerate() {
            let w: Vec<&[u8]> = input.witness.iter().collect();
            assert_eq!(w.len(), 4);
            assert_eq!(w[1], preimage);
            assert_eq!(w[2], script.as_bytes());
            let cb = bitcoin::taproot::ControlBlock::decode(w[3]).unwrap();
            assert!(cb.verify_taproot_commitment(
                &secp,
                spend.output_key().to_x_only_public_key(),
                &script
            ));
            let sig = bitcoin::secp256k1::schnorr::Signature::from_slice(w[0]).unwrap();
            let msg = claim.script_spend_sighash(i, &script).unwrap();
            secp.verify_schnorr(
                &sig,
                &Message::from_digest(msg),
                &claimer.x_only_public_key().0,
            )
            .unwrap();
            assert!(input.sequence.is_rbf());
        }
        assert_eq!(
            revealed_preimage(&claim.tx, &p.payment_hash),
            Some(preimage)
        );
        // The stored form: no preimage anywhere in its bytes, same txid,
        // and the preimage put back gives the signed claim byte for byte.
        let stored = without_preimage(&claim.tx);
        let bytes = bitcoin::consensus::serialize(&stored);
        assert!(!bytes.windows(32).any(|w| w == preimage));
        assert_eq!(stored.compute_txid(), claim.tx.compute_txid());
        assert_eq!(revealed_preimage(&stored, &p.payment_hash), None);
        assert_eq!(with_preimage(&stored, &preimage), claim.tx);

        let mut refund = build_sweep(
            &utxos(&[30_000]),
            &p,
            &spend,
            &destination(),
            3,
            SpendPath::RefundScript,
        )
        .unwrap();
        refund.sign_refund_script(&p, &spend, refunder).unwrap();
        assert_eq!(refund.fee.to_sat(), refund.tx.vsize() as u64 * 3);
        assert_eq!(
            refund.tx.lock_time,
            bitcoin::absolute::LockTime::from_height(1_234).unwrap()
        );
        assert!(!refund.tx.input[0].sequence.is_final());
        let script = refund_script(&p);
        let w: Vec<&[u8]> = refund.tx.input[0].witness.iter().collect();
        assert_eq!(w.len(), 3);
        assert_eq!(w[1], script.as_bytes());
        let sig = bitcoin::secp256k1::schnorr::Signature::from_slice(w[0]).unwrap();
        let msg = refund.script_spend_sighash(0, &script).unwrap();
        secp.verify_schnorr(
            &sig,
            &Message::from_digest(msg),
            &refunder.x_only_public_key().0,
        )
        .unwrap();
        assert_eq!(revealed_preimage(&refund.tx, &p.payment_hash), None);
        // Refunds (3 items) and key-path spends carry no preimage: unchanged.
        assert_eq!(without_preimage(&refund.tx), refund.tx);
        assert_eq!(with_preimage(&refund.tx, &preimage), refund.tx);
        // The refund leaf's key is the refunder's; the claimer's key does not sign it.
        assert!(secp
            .verify_schnorr(
                &sig,
                &Message::from_digest(msg),
                &claimer.x_only_public_key().0
            )
            .is_err());
    }
}

#[test]
fn sweeps_refuse_what_would_lose_or_strand_funds() {
    let secp = Secp256k1::new();
    let (provider, user) = (keypair(1), keypair(2));
    let p = terms(SwapKind::Submarine, &provider, &user);
    let spend = spend_info(
        &secp,
        &p,
        aggregate_key(&provider.public_key(), &user.public_key()).unwrap(),
    );
    let d = destination();
    assert_eq!(
        build_sweep(&[], &p, &spend, &d, 2, SpendPath::Cooperative).unwrap_err(),
        SweepError::NoInputs
    );
    assert_eq!(
        build_sweep(&utxos(&[10_000]), &p, &spend, &d, 0, SpendPath::Cooperative).unwrap_err(),
        SweepError::ZeroFeeRate
    );
    // A fee that would leave dust.
    assert!(matches!(
        build_sweep(
            &utxos(&[10_000]),
            &p,
            &spend,
            &d,
            100,
            SpendPath::RefundScript
        )
        .unwrap_err(),
        SweepError::FeeTooHigh { total: 10_000, .. }
    ));
    assert!(matches!(
        build_sweep(
            &utxos(&[10_000]),
            &p,
            &spend,
            &d,
            u64::MAX,
            SpendPath::RefundScript
        )
        .unwrap_err(),
        SweepError::FeeTooHigh { .. }
    ));
    // More than can exist.
    assert_eq!(
        build_sweep(
            &utxos(&[u64::MAX, 1]),
            &p,
            &spend,
            &d,
            1,
            SpendPath::Cooperative
        )
        .unwrap_err(),
        SweepError::Overflow
    );
    // A refund whose time lock is not a height (≥ 500,000,000 is a time).
    let mut q = p;
    q.timeout_height = 600_000_000;
    let spend_q = spend_info(
        &secp,
        &q,
        aggregate_key(&provider.public_key(), &user.public_key()).unwrap(),
    );
    assert_eq!(
        build_sweep(
            &utxos(&[10_000]),
            &q,
            &spend_q,
            &d,
            1,
            SpendPath::RefundScript
        )
        .unwrap_err(),
        SweepError::BadTimeout(600_000_000)
    );
    let mut s = build_sweep(&utxos(&[10_000]), &p, &spend, &d, 1, SpendPath::Cooperative).unwrap();
    assert_eq!(
        s.key_spend_sighash(1).unwrap_err(),
        SweepError::NoSuchInput(1)
    );
    let sig = secp.sign_schnorr(&Message::from_digest([1; 32]), &user);
    assert_eq!(
        s.set_key_spend(3, &sig).unwrap_err(),
        SweepError::NoSuchInput(3)
    );
}
