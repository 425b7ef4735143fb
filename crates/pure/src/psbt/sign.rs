//! The software signer on a wallet's own keys: it signs only the inputs the
//! review proved ours, and refuses a PSBT whose review shows something that
//! makes a signature dangerous (a contradicting UTXO, an unknown fee, a
//! signature that would not commit to the whole transaction unless asked).

use super::review::{Owner, Review, Warning};
use bitcoin::bip32::Xpriv;
use bitcoin::psbt::Psbt;
use bitcoin::secp256k1::{All, Secp256k1};
use bitcoin::Transaction;
use serde::Serialize;

/// What the signer may accept.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignOptions {
    /// Sign an input that asks for a non-default sighash type (the user saw
    /// the warning and said so).
    pub allow_non_default_sighash: bool,
}

/// Why nothing was signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "error")]
pub enum SignError {
    /// No input is provably ours.
    #[error("Nothing to sign: no input of this PSBT is yours (checked against your wallet's descriptors).")]
    NothingOurs,
    /// The review found something that makes signing dangerous.
    #[error("Not signed: {0}.")]
    Refused(Warning),
    /// The fee cannot be known.
    #[error("Not signed: the fee is unknown ({missing} input(s) without their amount); ask for a PSBT with every input's UTXO.")]
    FeeUnknown {
        /// Inputs without an amount.
        missing: usize,
    },
    /// The signing itself failed.
    #[error("Signing failed on input {input}: {detail}.")]
    Failed {
        /// The input.
        input: usize,
        /// Why.
        detail: String,
    },
}

/// Why a PSBT could not be finalized or extracted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FinalizeError {
    /// Some inputs lack signatures (or cannot be finalized).
    #[error("The PSBT cannot be finalized yet: {0}.")]
    Incomplete(String),
    /// The transaction pays an absurd fee rate.
    #[error("The transaction would pay an absurd fee rate: {0}.")]
    AbsurdFee(String),
}

fn secp() -> &'static Secp256k1<All> {
    crate::keys::account::secp()
}

/// Whether a PSBT with this review may be signed at all, by any signer
/// (software or device): refuses what the review found dangerous (a
/// contradicting UTXO, outputs above inputs, a non-default sighash unless
/// allowed), an unknown fee and a PSBT with no input of ours. Returns our
/// inputs' indexes.
pub fn check_signable(review: &Review, opts: SignOptions) -> Result<Vec<usize>, SignError> {
    for w in &review.warnings {
        let blocking = match w {
            Warning::UtxoMismatch { .. }
            | Warning::ScriptMismatch { .. }
            | Warning::OutputsExceedInputs { .. } => true,
            Warning::NonDefaultSighash { .. } => !opts.allow_non_default_sighash,
            _ => false,
        };
        if blocking {
            return Err(SignError::Refused(w.clone()));
        }
    }
    if review.fee.is_none() {
        return Err(SignError::FeeUnknown {
            missing: review.missing_inputs,
        });
    }
    let ours: Vec<usize> = review
        .inputs
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i.owner, Owner::Ours { .. }))
        .map(|(n, _)| n)
        .collect();
    if ours.is_empty() {
        return Err(SignError::NothingOurs);
    }
    Ok(ours)
}

/// Signs the inputs `review` shows as ours with keys derived from `master`
/// (the PSBT's key paths tell which; inputs not ours never reach the
/// signer). Returns the signed inputs' indexes.
pub fn sign_ours(
    psbt: &mut Psbt,
    master: &Xpriv,
    review: &Review,
    opts: SignOptions,
) -> Result<Vec<usize>, SignError> {
    let ours = check_signable(review, opts)?;
    // The signer sees only our inputs' key paths: a path of ours attached to
    // someone else's script (a trap) is never signed for.
    let mut work = psbt.clone();
    for (n, input) in work.inputs.iter_mut().enumerate() {
        if !ours.contains(&n) {
            input.bip32_derivation.clear();
            input.tap_key_origins.clear();
        }
    }
    let errors = match work.sign(master, secp()) {
        Ok(_) => Default::default(),
        Err((_, errors)) => errors,
    };
    for n in &ours {
        if let Some(e) = errors.get(n) {
            return Err(SignError::Failed {
                input: *n,
                detail: e.to_string(),
            });
        }
        let (src, dst) = (&work.inputs[*n], &mut psbt.inputs[*n]);
        if src.partial_sigs.is_empty()
            && src.tap_key_sig.is_none()
            && src.tap_script_sigs.is_empty()
        {
            return Err(SignError::Failed {
                input: *n,
                detail: "no key of this wallet signs it".into(),
            });
        }
        dst.partial_sigs.extend(src.partial_sigs.clone());
        if src.tap_key_sig.is_some() {
            dst.tap_key_sig = src.tap_key_sig;
        }
        dst.tap_script_sigs.extend(src.tap_script_sigs.clone());
    }
    Ok(ours)
}

/// Finalizes every input (miniscript's finalizer: the witness or script
/// from the signatures present).
pub fn finalize(psbt: &mut Psbt) -> Result<(), FinalizeError> {
    use miniscript::psbt::PsbtExt;
    psbt.finalize_mut(secp()).map_err(|errors| {
        FinalizeError::Incomplete(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// The network transaction of a finalized PSBT (refused above 25,000
/// sat/vB, rust-bitcoin's absurd-fee limit).
pub fn extract(psbt: Psbt) -> Result<Transaction, FinalizeError> {
    if let Some(n) = psbt
        .inputs
        .iter()
        .position(|i| i.final_script_witness.is_none() && i.final_script_sig.is_none())
    {
        return Err(FinalizeError::Incomplete(format!(
            "input {n} is not finalized"
        )));
    }
    psbt.extract_tx()
        .map_err(|e| FinalizeError::AbsurdFee(e.to_string()))
}
