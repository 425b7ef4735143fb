//! Claim and refund transactions: one transaction that sweeps **every**
//! output paid to a swap's lockup address (a second payment and a late one
//! included) to one destination, by one of three paths:
//! - the cooperative key path (a MuSig2 signature of both sides, 64 bytes);
//! - the claim leaf: `[signature, preimage, script, control block]`;
//! - the refund leaf: `[signature, script, control block]`, with
//!   `nLockTime` = the swap's timeout height and a non-final sequence so
//!   `OP_CHECKLOCKTIMEVERIFY` passes.
//!
//! The fee is the fee rate times the transaction's exact virtual size
//! (witnesses of their final size are put in before the fee is computed; a
//! BIP340 signature with SIGHASH_DEFAULT is always 64 bytes). Every input
//! signals replaceability so a stuck claim or refund can be bumped.

use super::tree::{claim_script, refund_script, TreeParams};
use crate::amount::Sat;
use bitcoin::absolute::LockTime;
use bitcoin::secp256k1::{schnorr, Keypair, Message};
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::{LeafVersion, TapLeafHash, TaprootSpendInfo};
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};

/// One output paid to the lockup address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockupUtxo {
    /// Where it is.
    pub outpoint: OutPoint,
    /// How much it holds.
    pub value: Sat,
}

/// Which path spends the lockup outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendPath {
    /// Both sides sign (MuSig2): the normal path.
    Cooperative,
    /// The claim leaf with the preimage (the claimer alone).
    ClaimScript,
    /// The refund leaf after the time lock (the refunder alone).
    RefundScript,
}

/// Why a sweep could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SweepError {
    /// Nothing to sweep.
    #[error("there is no output at the swap's address to sweep")]
    NoInputs,
    /// The inputs add up to more than can exist.
    #[error("the swap's outputs add up to more bitcoin than can exist")]
    Overflow,
    /// The fee would eat the outputs.
    #[error("at {fee_rate} sat/vB the fee ({fee} sats) leaves less than the dust limit ({dust} sats) of the {total} sats at the swap's address: wait for lower fees")]
    FeeTooHigh {
        /// Sat/vB asked for.
        fee_rate: u64,
        /// What the fee would be, sats.
        fee: u64,
        /// The sum of the inputs, sats.
        total: u64,
        /// The destination's dust limit, sats.
        dust: u64,
    },
    /// A fee rate of zero would never confirm.
    #[error("a fee rate of 0 sat/vB would never confirm")]
    ZeroFeeRate,
    /// The time lock of a refund is not a block height.
    #[error("the swap's time lock {0} is not a block height")]
    BadTimeout(u32),
    /// A signature is for another input count or index.
    #[error("input {0} does not exist in this sweep")]
    NoSuchInput(usize),
}

/// A sweep transaction with what signing it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    /// The transaction (witnesses filled by the `set_*`/`sign_*` methods).
    pub tx: Transaction,
    /// The outputs it spends, in input order (BIP341 signs all of them).
    pub prevouts: Vec<TxOut>,
    /// The fee it pays.
    pub fee: Sat,
    /// Which path it was sized for.
    pub path: SpendPath,
}

fn placeholder_witness(path: SpendPath, p: &TreeParams, spend: &TaprootSpendInfo) -> Witness {
    let sig = [0u8; 64];
    match path {
        SpendPath::Cooperative => Witness::from_slice(&[&sig[..]]),
        SpendPath::ClaimScript => {
            let script = claim_script(p);
            let control = control_block(spend, &script);
            Witness::from_slice(&[&sig[..], &[0u8; 32][..], script.as_bytes(), &control])
        }
        SpendPath::RefundScript => {
            let script = refund_script(p);
            let control = control_block(spend, &script);
            Witness::from_slice(&[&sig[..], script.as_bytes(), &control])
        }
    }
}

fn control_block(spend: &TaprootSpendInfo, script: &ScriptBuf) -> Vec<u8> {
    // Both leaves are in the tree `spend` was built from.
    spend
        .control_block(&(script.clone(), LeafVersion::TapScript))
        .map(|c| c.serialize())
        .unwrap_or_default()
}

/// Builds the sweep of `utxos` (all paid to `spend`'s output) to
/// `destination` at `fee_rate` sat/vB, sized for `path`.
pub fn build_sweep(
    utxos: &[LockupUtxo],
    p: &TreeParams,
    spend: &TaprootSpendInfo,
    destination: &ScriptBuf,
    fee_rate: u64,
    path: SpendPath,
) -> Result<Sweep, SweepError> {
    if utxos.is_empty() {
        return Err(SweepError::NoInputs);
    }
    if fee_rate == 0 {
        return Err(SweepError::ZeroFeeRate);
    }
    let total = utxos
        .iter()
        .try_fold(Sat::ZERO, |acc, u| acc.checked_add(u.value))
        .ok_or(SweepError::Overflow)?;
    if total.to_sat() > crate::amount::MAX_MONEY_SAT {
        return Err(SweepError::Overflow);
    }
    let lock_time = match path {
        SpendPath::RefundScript => LockTime::from_height(p.timeout_height)
            .map_err(|_| SweepError::BadTimeout(p.timeout_height))?,
        _ => LockTime::ZERO,
    };
    let witness = placeholder_witness(path, p, spend);
    let lockup_spk = ScriptBuf::new_p2tr_tweaked(spend.output_key());
    let mut tx = Transaction {
        version: Version::TWO,
        lock_time,
        input: utxos
            .iter()
            .map(|u| TxIn {
                previous_output: u.outpoint,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: witness.clone(),
            })
            .collect(),
        output: vec![TxOut {
            value: Amount::from_sat(total.to_sat()),
            script_pubkey: destination.clone(),
        }],
    };
    let vsize = tx.weight().to_vbytes_ceil();
    let dust = destination.minimal_non_dust().to_sat();
    let fee = vsize.checked_mul(fee_rate).ok_or(SweepError::FeeTooHigh {
        fee_rate,
        fee: u64::MAX,
        total: total.to_sat(),
        dust,
    })?;
    let left = total
        .to_sat()
        .checked_sub(fee)
        .filter(|v| *v >= dust)
        .ok_or(SweepError::FeeTooHigh {
            fee_rate,
            fee,
            total: total.to_sat(),
            dust,
        })?;
    tx.output[0].value = Amount::from_sat(left);
    for input in &mut tx.input {
        input.witness = Witness::new();
    }
    let prevouts = utxos
        .iter()
        .map(|u| TxOut {
            value: Amount::from_sat(u.value.to_sat()),
            script_pubkey: lockup_spk.clone(),
        })
        .collect();
    Ok(Sweep {
        tx,
        prevouts,
        fee: Sat::from_sat(fee),
        path,
    })
}

impl Sweep {
    fn check_index(&self, index: usize) -> Result<(), SweepError> {
        if index < self.tx.input.len() {
            Ok(())
        } else {
            Err(SweepError::NoSuchInput(index))
        }
    }

    /// The BIP341 key-path sighash of input `index` (SIGHASH_DEFAULT): what
    /// the cooperative MuSig2 session signs.
    pub fn key_spend_sighash(&self, index: usize) -> Result<[u8; 32], SweepError> {
        self.check_index(index)?;
        let mut cache = SighashCache::new(&self.tx);
        cache
            .taproot_key_spend_signature_hash(
                index,
                &Prevouts::All(&self.prevouts),
                TapSighashType::Default,
            )
            .map(|h| *h.as_ref())
            .map_err(|_| SweepError::NoSuchInput(index))
    }

    /// The BIP342 script-path sighash of input `index` for `leaf`.
    pub fn script_spend_sighash(
        &self,
        index: usize,
        leaf: &ScriptBuf,
    ) -> Result<[u8; 32], SweepError> {
        self.check_index(index)?;
        let mut cache = SighashCache::new(&self.tx);
        let leaf_hash = TapLeafHash::from_script(leaf, LeafVersion::TapScript);
        cache
            .taproot_script_spend_signature_hash(
                index,
                &Prevouts::All(&self.prevouts),
                leaf_hash,
                TapSighashType::Default,
            )
            .map(|h| *h.as_ref())
            .map_err(|_| SweepError::NoSuchInput(index))
    }

    /// Puts the aggregated cooperative signature on input `index`.
    pub fn set_key_spend(
        &mut self,
        index: usize,
        sig: &schnorr::Signature,
    ) -> Result<(), SweepError> {
        self.check_index(index)?;
        self.tx.input[index].witness = Witness::from_slice(&[&sig.serialize()[..]]);
        Ok(())
    }

    /// Signs every input through the claim leaf with our claim key and the
    /// preimage.
    pub fn sign_claim_script(
        &mut self,
        p: &TreeParams,
        spend: &TaprootSpendInfo,
        claim_key: &Keypair,
        preimage: &[u8; 32],
    ) -> Result<(), SweepError> {
        let script = claim_script(p);
        let control = control_block(spend, &script);
        for index in 0..self.tx.input.len() {
            let sig = schnorr_sign(self.script_spend_sighash(index, &script)?, claim_key);
            self.tx.input[index].witness =
                Witness::from_slice(&[&sig[..], &preimage[..], script.as_bytes(), &control]);
        }
        Ok(())
    }

    /// Signs every input through the refund leaf with our refund key (valid
    /// from the swap's timeout height on).
    pub fn sign_refund_script(
        &mut self,
        p: &TreeParams,
        spend: &TaprootSpendInfo,
        refund_key: &Keypair,
    ) -> Result<(), SweepError> {
        let script = refund_script(p);
        let control = control_block(spend, &script);
        for index in 0..self.tx.input.len() {
            let sig = schnorr_sign(self.script_spend_sighash(index, &script)?, refund_key);
            self.tx.input[index].witness =
                Witness::from_slice(&[&sig[..], script.as_bytes(), &control]);
        }
        Ok(())
    }
}

fn schnorr_sign(sighash: [u8; 32], key: &Keypair) -> [u8; 64] {
    let msg = Message::from_digest(sighash);
    crate::keys::account::secp()
        .sign_schnorr(&msg, key)
        .serialize()
}

/// The form of a sweep kept on disk: a claim by the claim leaf with its
/// preimage left out (an empty witness item in its place), so an unfinished
/// swap's preimage is never written anywhere before the claim leaves. The
/// txid is the same (witnesses are not part of it); [`with_preimage`] puts
/// the preimage, derived again from the seed, back before a rebroadcast.
pub fn without_preimage(tx: &Transaction) -> Transaction {
    map_claim_witnesses(tx, |item| (item.len() == 32).then(Vec::new))
}

/// The inverse of [`without_preimage`].
pub fn with_preimage(tx: &Transaction, preimage: &[u8; 32]) -> Transaction {
    map_claim_witnesses(tx, |item| item.is_empty().then(|| preimage.to_vec()))
}

/// Rewrites the second item of every claim-leaf witness (4 items: signature,
/// preimage, script, control block) where `f` says so.
fn map_claim_witnesses(tx: &Transaction, f: impl Fn(&[u8]) -> Option<Vec<u8>>) -> Transaction {
    let mut tx = tx.clone();
    for input in &mut tx.input {
        if input.witness.len() != 4 {
            continue;
        }
        let mut items: Vec<Vec<u8>> = input.witness.iter().map(<[u8]>::to_vec).collect();
        if let Some(new) = f(&items[1]) {
            items[1] = new;
            input.witness = Witness::from_slice(&items);
        }
    }
    tx
}

/// The preimage a claim reveals, if an input of `tx` spends through a claim
/// leaf (a 4-item witness whose second item hashes to `payment_hash`): how a
/// provider learns a reverse swap's preimage from the chain when the user
/// claimed alone.
pub fn revealed_preimage(tx: &Transaction, payment_hash: &[u8; 32]) -> Option<[u8; 32]> {
    use bitcoin::hashes::{sha256, Hash};
    tx.input.iter().find_map(|i| {
        let w = &i.witness;
        if w.len() != 4 {
            return None;
        }
        let item: [u8; 32] = w.nth(1)?.try_into().ok()?;
        (sha256::Hash::hash(&item).to_byte_array() == *payment_hash).then_some(item)
    })
}
