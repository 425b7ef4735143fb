//! Every signature in a PSBT checked against the transaction it claims to
//! sign, before anything is finalized: a signer (a hardware wallet, another
//! wallet in a multisig, a file that came back from an air-gapped machine)
//! is never trusted to have signed what we reviewed.
//!
//! Also the check that a PSBT coming back from a signer spends exactly what
//! was reviewed: the same unsigned transaction (inputs, outputs, amounts,
//! version, lock time) and the same UTXO data.

use bitcoin::psbt::Psbt;
use bitcoin::secp256k1::{Message, XOnlyPublicKey};
use bitcoin::sighash::{Prevouts, SighashCache};
use bitcoin::TxOut;
use serde::Serialize;

/// A signature that does not hold, or a PSBT that is not the one reviewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "error")]
pub enum VerifyError {
    /// A signature does not verify against this transaction.
    #[error("The signature on input {input} by key {key} does not verify against this transaction; do not use this PSBT.")]
    BadSignature {
        /// The input.
        input: usize,
        /// The key (hex).
        key: String,
    },
    /// A signature whose sighash type is not the one the input asks for.
    #[error("The signature on input {input} uses sighash type {got}, but the input asks for {wanted}; do not use this PSBT.")]
    SighashMismatch {
        /// The input.
        input: usize,
        /// The signature's type.
        got: String,
        /// The input's type.
        wanted: String,
    },
    /// A signature cannot be checked (its UTXO is missing, an unknown
    /// script type).
    #[error("The signature on input {input} cannot be checked: {detail}.")]
    Unverifiable {
        /// The input.
        input: usize,
        /// Why.
        detail: String,
    },
    /// The signed PSBT spends or pays something else than the one reviewed.
    #[error("The PSBT that came back is not the one you reviewed: {0}. Nothing was finalized; review it again.")]
    NotTheReviewed(String),
    /// PSBTs to combine that are not of one transaction, or that disagree.
    #[error("PSBT {index} cannot be combined with the first: {detail}. Nothing was combined.")]
    NotCombinable {
        /// Which PSBT (1 = the second given).
        index: usize,
        /// Why.
        detail: String,
    },
}

/// How many signatures were checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// ECDSA signatures (segwit v0 and legacy).
    pub ecdsa: usize,
    /// Schnorr signatures (taproot key and script paths).
    pub schnorr: usize,
}

fn secp() -> &'static bitcoin::secp256k1::Secp256k1<bitcoin::secp256k1::All> {
    crate::keys::account::secp()
}

/// Checks every partial signature (ECDSA and taproot) of `psbt` against
/// its own transaction and UTXOs.
pub fn verify_signatures(psbt: &Psbt) -> Result<Verified, VerifyError> {
    let mut cache = SighashCache::new(&psbt.unsigned_tx);
    let mut done = Verified {
        ecdsa: 0,
        schnorr: 0,
    };
    let utxos: Vec<Option<&TxOut>> = (0..psbt.inputs.len())
        .map(|i| psbt.spend_utxo(i).ok())
        .collect();
    for (i, input) in psbt.inputs.iter().enumerate() {
        let unverifiable = |detail: String| VerifyError::Unverifiable { input: i, detail };
        if !input.partial_sigs.is_empty() {
            let (msg, wanted) = psbt
                .sighash_ecdsa(i, &mut cache)
                .map_err(|e| unverifiable(e.to_string()))?;
            for (pk, sig) in &input.partial_sigs {
                if sig.sighash_type != wanted {
                    return Err(VerifyError::SighashMismatch {
                        input: i,
                        got: sig.sighash_type.to_string(),
                        wanted: wanted.to_string(),
                    });
                }
                secp()
                    .verify_ecdsa(&msg, &sig.signature, &pk.inner)
                    .map_err(|_| VerifyError::BadSignature {
                        input: i,
                        key: pk.to_string(),
                    })?;
                done.ecdsa += 1;
            }
        }
        if input.tap_key_sig.is_none() && input.tap_script_sigs.is_empty() {
            continue;
        }
        let spk = &utxos[i]
            .ok_or_else(|| unverifiable("its UTXO is missing".into()))?
            .script_pubkey;
        let all: Vec<&TxOut> = utxos.iter().flatten().copied().collect();
        let check = |cache: &mut SighashCache<&bitcoin::Transaction>,
                     sig: &bitcoin::taproot::Signature,
                     key: &XOnlyPublicKey,
                     leaf: Option<bitcoin::TapLeafHash>|
         -> Result<(), VerifyError> {
            let anyone_can_pay = (sig.sighash_type as u32) & 0x80 != 0;
            let prevouts = if anyone_can_pay {
                Prevouts::One(i, utxos[i].ok_or_else(|| unverifiable("no UTXO".into()))?)
            } else if all.len() == utxos.len() {
                Prevouts::All(&all)
            } else {
                return Err(unverifiable(
                    "a taproot signature commits to every input's UTXO and some are missing".into(),
                ));
            };
            let hash = match leaf {
                None => cache.taproot_key_spend_signature_hash(i, &prevouts, sig.sighash_type),
                Some(leaf) => {
                    cache.taproot_script_spend_signature_hash(i, &prevouts, leaf, sig.sighash_type)
                }
            }
            .map_err(|e| unverifiable(e.to_string()))?;
            secp()
                .verify_schnorr(&sig.signature, &Message::from(hash), key)
                .map_err(|_| VerifyError::BadSignature {
                    input: i,
                    key: key.to_string(),
                })
        };
        if let Some(sig) = &input.tap_key_sig {
            // The key path signs for the output key, which the script is.
            if !spk.is_p2tr() {
                return Err(unverifiable(
                    "a taproot signature on a non-taproot UTXO".into(),
                ));
            }
            let key = XOnlyPublicKey::from_slice(&spk.as_bytes()[2..34])
                .map_err(|e| unverifiable(e.to_string()))?;
            check(&mut cache, sig, &key, None)?;
            done.schnorr += 1;
        }
        for ((key, leaf), sig) in &input.tap_script_sigs {
            check(&mut cache, sig, key, Some(*leaf))?;
            done.schnorr += 1;
        }
    }
    Ok(done)
}

/// Checks that `signed` (back from a signer) is `reviewed` with signatures
/// added: the same transaction, and no UTXO data other than the reviewed
/// (a signer may strip it; [`merge_signed`] keeps ours).
pub fn same_as_reviewed(reviewed: &Psbt, signed: &Psbt) -> Result<(), VerifyError> {
    let not = |s: String| VerifyError::NotTheReviewed(s);
    same_transaction(&reviewed.unsigned_tx, &signed.unsigned_tx).map_err(not)?;
    for (i, (x, y)) in reviewed.inputs.iter().zip(&signed.inputs).enumerate() {
        // A signer may leave UTXO data out; it may not bring other data.
        let changed = (y.witness_utxo.is_some() && x.witness_utxo != y.witness_utxo)
            || (y.non_witness_utxo.is_some() && x.non_witness_utxo != y.non_witness_utxo);
        if changed {
            return Err(not(format!("input {i}'s UTXO data changed")));
        }
    }
    Ok(())
}

/// Whether `b` is the transaction `a`, and if not, the first difference in
/// words.
fn same_transaction(a: &bitcoin::Transaction, b: &bitcoin::Transaction) -> Result<(), String> {
    if a.input.len() != b.input.len() || a.output.len() != b.output.len() {
        return Err(format!(
            "{} input(s) and {} output(s) instead of {} and {}",
            b.input.len(),
            b.output.len(),
            a.input.len(),
            a.output.len()
        ));
    }
    for (i, (x, y)) in a.input.iter().zip(&b.input).enumerate() {
        if x.previous_output != y.previous_output || x.sequence != y.sequence {
            return Err(format!("input {i} spends {} instead", y.previous_output));
        }
    }
    for (i, (x, y)) in a.output.iter().zip(&b.output).enumerate() {
        if x != y {
            return Err(format!(
                "output {i} pays {} sat to another script or amount",
                y.value.to_sat()
            ));
        }
    }
    if a != b {
        return Err("its version or lock time differ".into());
    }
    Ok(())
}

/// BIP174's combiner: PSBTs of one transaction (each from another signer,
/// or an updater) merged into one. They must be of the same unsigned
/// transaction, and where two give an input's UTXO they must give the same
/// one; then every signature in the result is verified.
pub fn combine(psbts: Vec<Psbt>) -> Result<(Psbt, Verified), VerifyError> {
    let mut iter = psbts.into_iter();
    let mut merged = iter.next().ok_or(VerifyError::NotCombinable {
        index: 0,
        detail: "no PSBT was given".into(),
    })?;
    for (n, other) in iter.enumerate() {
        let index = n + 1;
        let fail = |detail: String| VerifyError::NotCombinable { index, detail };
        same_transaction(&merged.unsigned_tx, &other.unsigned_tx).map_err(fail)?;
        for (i, (x, y)) in merged.inputs.iter().zip(&other.inputs).enumerate() {
            fn differ<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
                a.is_some() && b.is_some() && a != b
            }
            if differ(&x.witness_utxo, &y.witness_utxo)
                || differ(&x.non_witness_utxo, &y.non_witness_utxo)
            {
                return Err(fail(format!("they disagree on what input {i} spends")));
            }
        }
        merged.combine(other).map_err(|e| fail(e.to_string()))?;
    }
    let verified = verify_signatures(&merged)?;
    Ok((merged, verified))
}

/// `reviewed` with the signatures of `signed` added, after
/// [`same_as_reviewed`]; the UTXO data stays the reviewed one. Then every
/// signature is verified.
pub fn merge_signed(reviewed: &Psbt, signed: Psbt) -> Result<(Psbt, Verified), VerifyError> {
    same_as_reviewed(reviewed, &signed)?;
    let mut merged = reviewed.clone();
    merged
        .combine(signed)
        .map_err(|e| VerifyError::NotTheReviewed(e.to_string()))?;
    let verified = verify_signatures(&merged)?;
    Ok((merged, verified))
}
