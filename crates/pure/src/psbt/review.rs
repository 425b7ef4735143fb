//! What a PSBT spends and pays, as shown before anyone signs it (the UI, the
//! CLI and the check of what a device displayed share this).
//!
//! Whose an input or output is gets decided by re-deriving the PSBT's key
//! path through *our own* descriptors: the path in the PSBT is a hint, never
//! trusted alone (a hostile PSBT can claim any output is our change). Amounts
//! of inputs come from the previous transaction when the PSBT carries it
//! (its txid commits to it), and a witness UTXO that disagrees is flagged.

use crate::amount::Sat;
use bitcoin::bip32::{ChildNumber, DerivationPath, Fingerprint};
use bitcoin::psbt::{Input, Psbt};
use bitcoin::{Address, EcdsaSighashType, Script, ScriptBuf, TapSighashType, TxOut};
use miniscript::descriptor::{DescriptorPublicKey, Wildcard};
use miniscript::{Descriptor, ForEachKey};
use serde::Serialize;
use ts_rs::TS;

/// One of our wallet's descriptors (one chain, with a `/*` wildcard).
#[derive(Debug, Clone)]
pub struct OurDescriptor {
    /// E.g. `wpkh([73c5da0a/84'/1'/0']tpub…/1/*)`.
    pub descriptor: Descriptor<DescriptorPublicKey>,
    /// The change chain (else the receive chain).
    pub change: bool,
}

/// What the review knows of us and what it calls suspicious.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The network addresses are shown for.
    pub network: bitcoin::Network,
    /// Our descriptors.
    pub ours: Vec<OurDescriptor>,
    /// A change index past this is "beyond the gap limit" (a wallet
    /// restored from the words would not look there).
    pub index_limit: u32,
    /// A fee rate above this (sat/vB) is called high.
    pub high_fee_rate: u64,
    /// A fee above this share of what is sent (parts per million) is
    /// called high.
    pub high_fee_ppm: u64,
    /// LND's channel funding outputs, when the PSBT funds channels (one
    /// per channel of a batch).
    pub funding_scripts: Vec<ScriptBuf>,
}

impl Policy {
    /// Our descriptors with the usual limits: a gap of 1,000 indexes, a fee
    /// above 500 sat/vB or 10 % of what is sent called high.
    pub fn new(network: bitcoin::Network, ours: Vec<OurDescriptor>) -> Policy {
        Policy {
            network,
            ours,
            index_limit: 1_000,
            high_fee_rate: 500,
            high_fee_ppm: 100_000,
            funding_scripts: Vec::new(),
        }
    }
}

/// Whose a script is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case", tag = "owner")]
#[ts(export)]
pub enum Owner {
    /// Derived again through one of our descriptors.
    Ours {
        /// Its full path, e.g. `m/84'/1'/0'/1/3`.
        path: String,
        /// On the change chain.
        change: bool,
        /// Its index on that chain.
        index: u32,
    },
    /// Not ours (or not provably ours).
    External,
}

/// One input as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct InputReview {
    /// `txid:vout`.
    pub outpoint: String,
    /// Its amount, when the PSBT tells it.
    pub value: Option<Sat>,
    /// Its address, when the PSBT tells its script.
    pub address: Option<String>,
    /// Whose it is.
    pub owner: Owner,
    /// A sighash type other than the default, as text.
    pub sighash: Option<String>,
    /// Signed (partially or finally) already.
    pub signed: bool,
}

/// What an output is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[ts(export)]
pub enum OutputKind {
    /// Pays someone else.
    Payment,
    /// LND's channel funding output.
    ChannelFunding,
    /// Back to our change chain (shown apart, like devices hide it).
    Change {
        /// Its full path.
        path: String,
        /// Its index.
        index: u32,
    },
    /// To one of our receive addresses (a transfer to ourselves).
    OwnReceive {
        /// Its full path.
        path: String,
        /// Its index.
        index: u32,
    },
}

/// One output as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct OutputReview {
    /// Its index in the transaction.
    pub index: usize,
    /// Its address (none for a script without one, e.g. OP_RETURN).
    pub address: Option<String>,
    /// Its amount.
    pub value: Sat,
    /// What it is.
    pub kind: OutputKind,
}

/// Something the user must see before signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, TS)]
#[serde(rename_all = "snake_case", tag = "warning")]
#[ts(export)]
pub enum Warning {
    /// An input asks for a signature that commits to less than the whole
    /// transaction.
    #[error("input {input} asks for a {sighash} signature: it would not commit to the whole transaction (outputs could be changed after you sign)")]
    NonDefaultSighash {
        /// The input.
        input: usize,
        /// Its sighash type.
        sighash: String,
    },
    /// An input's previous output is missing.
    #[error("input {input} does not say what it spends (no UTXO data): its amount, and so the fee, are unknown")]
    MissingUtxo {
        /// The input.
        input: usize,
    },
    /// An input's two accounts of its previous output disagree.
    #[error("input {input}: {detail} — this PSBT may be built to make you pay a hidden fee")]
    UtxoMismatch {
        /// The input.
        input: usize,
        /// What disagrees.
        detail: String,
    },
    /// A key path in the PSBT that claims to be ours does not produce the
    /// script it is attached to.
    #[error("{place} claims our key path {path}, but that path does not give its script: it is not ours")]
    DerivationMismatch {
        /// "output 1", "input 0".
        place: String,
        /// The claimed path.
        path: String,
    },
    /// Change at an index a wallet restored from the words would not find.
    #[error("output {output} is change at index {index}, beyond the gap limit of {limit}: a wallet restored from the words might not find it")]
    ChangeBeyondGap {
        /// The output.
        output: usize,
        /// Its index.
        index: u32,
        /// The limit.
        limit: u32,
    },
    /// A high fee.
    #[error("the fee is {fee} sats ({rate} sat/vB): more than you likely mean to pay")]
    HighFee {
        /// The fee, sats.
        #[ts(type = "number")]
        fee: u64,
        /// Its rate, sat/vB.
        #[ts(type = "number")]
        rate: u64,
    },
    /// An input's scripts do not fit what it spends (BIP174's signer
    /// checks): a redeem script that is not the P2SH's, a witness script
    /// that is not the P2WSH's, a witness UTXO for a script that is not
    /// segwit. No valid signature can be made for it.
    #[error("input {input}: {detail}; no valid signature can be made for it")]
    ScriptMismatch {
        /// The input.
        input: usize,
        /// What does not fit.
        detail: String,
    },
    /// The outputs pay more than the inputs hold.
    #[error("the outputs pay {outputs} sats but the inputs hold only {inputs} sats")]
    OutputsExceedInputs {
        /// Inputs, sats.
        #[ts(type = "number")]
        inputs: u64,
        /// Outputs, sats.
        #[ts(type = "number")]
        outputs: u64,
    },
}

/// A PSBT as shown before signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Review {
    /// The inputs.
    pub inputs: Vec<InputReview>,
    /// The outputs.
    pub outputs: Vec<OutputReview>,
    /// What our inputs hold.
    pub spent_from_us: Sat,
    /// Payments and channel funding (what leaves us).
    pub sent: Sat,
    /// Back to our change.
    pub change: Sat,
    /// The fee, when every input's amount is known.
    pub fee: Option<Sat>,
    /// Inputs whose amount is unknown (the fee is unknown while any is).
    pub missing_inputs: usize,
    /// The size once signed, virtual bytes: exact for finalized inputs, the
    /// most our descriptor needs for unsigned inputs of ours, and without
    /// the witness of unsigned inputs of others (a lower bound then).
    #[ts(type = "number")]
    pub vsize: u64,
    /// The fee rate, sat/vB (rounded up), when the fee is known.
    #[ts(type = "number | null")]
    pub fee_rate: Option<u64>,
    /// What to see before signing.
    pub warnings: Vec<Warning>,
    /// The warnings in words, as shown to the user.
    pub warning_messages: Vec<String>,
}

struct KeyInfo<'a> {
    fingerprint: Fingerprint,
    /// Origin path + the key's own path (without the wildcard).
    prefix: DerivationPath,
    ours: &'a OurDescriptor,
}

fn key_info(d: &OurDescriptor) -> Option<KeyInfo<'_>> {
    let mut found = None;
    d.descriptor.for_each_key(|k| {
        if let DescriptorPublicKey::XPub(x) = k {
            if x.wildcard == Wildcard::Unhardened {
                let (fp, origin) = x
                    .origin
                    .clone()
                    .unwrap_or_else(|| (x.xkey.fingerprint(), DerivationPath::master()));
                let prefix: Vec<ChildNumber> = origin
                    .into_iter()
                    .chain(&x.derivation_path)
                    .copied()
                    .collect();
                found = Some((fp, DerivationPath::from(prefix)));
            }
        }
        true
    });
    found.map(|(fingerprint, prefix)| KeyInfo {
        fingerprint,
        prefix,
        ours: d,
    })
}

/// Every (fingerprint, path) a PSBT map claims for a script's keys.
fn claimed_origins(
    bip32: &std::collections::BTreeMap<
        bitcoin::secp256k1::PublicKey,
        (Fingerprint, DerivationPath),
    >,
    tap: &std::collections::BTreeMap<
        bitcoin::XOnlyPublicKey,
        (Vec<bitcoin::TapLeafHash>, (Fingerprint, DerivationPath)),
    >,
) -> Vec<(Fingerprint, DerivationPath)> {
    bip32
        .values()
        .cloned()
        .chain(tap.values().map(|(_, o)| o.clone()))
        .collect()
}

fn path_text(p: &DerivationPath) -> String {
    format!("m/{p}")
}

/// Whose `script` is, from the claimed key origins, re-derived through our
/// descriptors; a claim that fits one of our descriptors but gives another
/// script is returned as a mismatch.
fn owner_of<'k>(
    script: &Script,
    claims: &[(Fingerprint, DerivationPath)],
    keys: &'k [KeyInfo<'k>],
) -> (Owner, Option<&'k KeyInfo<'k>>, Option<String>) {
    let mut mismatch = None;
    for (fp, path) in claims {
        for k in keys {
            if *fp != k.fingerprint || path.len() != k.prefix.len() + 1 {
                continue;
            }
            let fits = path.into_iter().zip(&k.prefix).all(|(a, b)| a == b);
            let Some(ChildNumber::Normal { index }) = path.into_iter().last().copied() else {
                continue;
            };
            if !fits {
                continue;
            }
            let derived = k
                .ours
                .descriptor
                .at_derivation_index(index)
                .ok()
                .map(|d| d.script_pubkey());
            if derived.as_deref() == Some(script) {
                return (
                    Owner::Ours {
                        path: path_text(path),
                        change: k.ours.change,
                        index,
                    },
                    Some(k),
                    None,
                );
            }
            mismatch = Some(path_text(path));
        }
    }
    (Owner::External, None, mismatch)
}

/// The previous output an input spends, by the PSBT's account of it; a
/// disagreement between its two accounts is returned too.
fn prevout(input: &Input, outpoint: &bitcoin::OutPoint) -> (Option<TxOut>, Option<String>) {
    let full = input.non_witness_utxo.as_ref().map(|tx| {
        if tx.compute_txid() != outpoint.txid {
            return Err(format!(
                "its previous transaction is {}, not the {} it spends",
                tx.compute_txid(),
                outpoint.txid
            ));
        }
        usize::try_from(outpoint.vout)
            .ok()
            .and_then(|v| tx.output.get(v).cloned())
            .ok_or_else(|| format!("its previous transaction has no output {}", outpoint.vout))
    });
    match (full, &input.witness_utxo) {
        (Some(Ok(full)), Some(w)) if full != *w => (
            // The previous transaction is committed to by the txid; the
            // witness UTXO is only what the PSBT's author says.
            Some(full.clone()),
            Some(format!(
                "its witness UTXO says {} sats, its previous transaction {} sats",
                w.value.to_sat(),
                full.value.to_sat()
            )),
        ),
        (Some(Ok(full)), _) => (Some(full), None),
        // A previous transaction that is not the one spent: nothing the
        // PSBT says of this input's amount can be trusted.
        (Some(Err(e)), _) => (None, Some(e)),
        (None, w) => (w.clone(), None),
    }
}

/// BIP174's "data signers check for", on the scripts: the redeem script
/// is the P2SH's, the witness script is the P2WSH's (directly or inside
/// the P2SH), and a witness UTXO is given only for a segwit script.
fn script_mismatch(input: &Input, spk: &bitcoin::Script) -> Option<String> {
    let mut effective = spk.to_owned();
    if let Some(redeem) = &input.redeem_script {
        if *spk != bitcoin::ScriptBuf::new_p2sh(&redeem.script_hash()) {
            return Some("its redeem script is not the one its output commits to".into());
        }
        effective = redeem.clone();
    }
    if let Some(ws) = &input.witness_script {
        if effective != bitcoin::ScriptBuf::new_p2wsh(&ws.wscript_hash()) {
            return Some("its witness script is not the one its output commits to".into());
        }
    }
    // (A P2SH without its redeem script may wrap segwit: unknown, not wrong.)
    if input.witness_utxo.is_some() && !effective.is_witness_program() && !effective.is_p2sh() {
        return Some(
            "it gives a witness UTXO, but what it spends is not segwit (a legacy signature would be needed)".into(),
        );
    }
    None
}

fn sighash_text(input: &Input) -> Option<String> {
    let t = input.sighash_type?;
    let taproot = input.tap_internal_key.is_some()
        || input
            .witness_utxo
            .as_ref()
            .is_some_and(|w| w.script_pubkey.is_p2tr());
    if taproot {
        match t.taproot_hash_ty() {
            Ok(TapSighashType::Default | TapSighashType::All) => None,
            Ok(other) => Some(other.to_string()),
            Err(_) => Some(t.to_string()),
        }
    } else {
        match t.ecdsa_hash_ty() {
            Ok(EcdsaSighashType::All) => None,
            Ok(other) => Some(other.to_string()),
            Err(_) => Some(t.to_string()),
        }
    }
}

fn signed(input: &Input) -> bool {
    input.final_script_witness.is_some()
        || input.final_script_sig.is_some()
        || !input.partial_sigs.is_empty()
        || input.tap_key_sig.is_some()
        || !input.tap_script_sigs.is_empty()
}

/// Reviews `psbt` against our descriptors.
pub fn review(psbt: &Psbt, policy: &Policy) -> Review {
    let keys: Vec<KeyInfo<'_>> = policy.ours.iter().filter_map(key_info).collect();
    let tx = &psbt.unsigned_tx;
    let mut warnings = Vec::new();
    let mut inputs = Vec::new();
    let mut in_total: u64 = 0;
    let mut missing = 0;
    let mut spent_from_us: u64 = 0;
    // Weight once signed: the transaction with the final scripts and
    // witnesses it has, plus the most our descriptor needs for each of our
    // inputs not signed yet.
    let mut filled = tx.clone();
    for (txin, input) in filled.input.iter_mut().zip(&psbt.inputs) {
        if let Some(w) = &input.final_script_witness {
            txin.witness = w.clone();
        }
        if let Some(s) = &input.final_script_sig {
            txin.script_sig = s.clone();
        }
    }
    let mut estimated: u64 = 0;
    let mut estimated_witness = false;
    for (i, (txin, input)) in tx.input.iter().zip(&psbt.inputs).enumerate() {
        let (utxo, disagreement) = prevout(input, &txin.previous_output);
        if let Some(detail) = disagreement {
            warnings.push(Warning::UtxoMismatch { input: i, detail });
        }
        let claims = claimed_origins(&input.bip32_derivation, &input.tap_key_origins);
        let (owner, key, mismatch) = match &utxo {
            Some(u) => owner_of(&u.script_pubkey, &claims, &keys),
            None => (Owner::External, None, None),
        };
        if let Some(path) = mismatch {
            if owner == Owner::External {
                warnings.push(Warning::DerivationMismatch {
                    place: format!("input {i}"),
                    path,
                });
            }
        }
        if let Some(detail) = utxo
            .as_ref()
            .and_then(|u| script_mismatch(input, &u.script_pubkey))
        {
            warnings.push(Warning::ScriptMismatch { input: i, detail });
        }
        match &utxo {
            Some(u) => {
                in_total = in_total.saturating_add(u.value.to_sat());
                if matches!(owner, Owner::Ours { .. }) {
                    spent_from_us = spent_from_us.saturating_add(u.value.to_sat());
                }
            }
            None => {
                missing += 1;
                warnings.push(Warning::MissingUtxo { input: i });
            }
        }
        let sighash = sighash_text(input);
        if let Some(sighash) = sighash.clone() {
            warnings.push(Warning::NonDefaultSighash { input: i, sighash });
        }
        let finalized = input.final_script_witness.is_some() || input.final_script_sig.is_some();
        if !finalized {
            if let Some(w) = key.and_then(|k| k.ours.descriptor.max_weight_to_satisfy().ok()) {
                estimated += w.to_wu();
                estimated_witness |= utxo
                    .as_ref()
                    .is_some_and(|u| u.script_pubkey.is_witness_program());
            }
        }
        inputs.push(InputReview {
            outpoint: txin.previous_output.to_string(),
            value: utxo.as_ref().map(|u| Sat::from_sat(u.value.to_sat())),
            address: utxo.as_ref().and_then(|u| {
                Address::from_script(&u.script_pubkey, policy.network)
                    .ok()
                    .map(|a| a.to_string())
            }),
            owner,
            sighash,
            signed: signed(input),
        });
    }
    let mut weight = filled.weight().to_wu() + estimated;
    if estimated_witness && filled.input.iter().all(|i| i.witness.is_empty()) {
        // It becomes a segwit transaction: marker and flag, and a witness
        // count for every input.
        weight += 2 + filled.input.len() as u64;
    }

    let mut outputs = Vec::new();
    let (mut sent, mut change, mut out_total) = (0u64, 0u64, 0u64);
    for (i, (txout, out)) in tx.output.iter().zip(&psbt.outputs).enumerate() {
        let value = txout.value.to_sat();
        out_total = out_total.saturating_add(value);
        let claims = claimed_origins(&out.bip32_derivation, &out.tap_key_origins);
        let (owner, _, mismatch) = owner_of(&txout.script_pubkey, &claims, &keys);
        let kind = if policy.funding_scripts.contains(&txout.script_pubkey) {
            OutputKind::ChannelFunding
        } else {
            match owner {
                Owner::Ours {
                    path,
                    change: true,
                    index,
                } => {
                    if index > policy.index_limit {
                        warnings.push(Warning::ChangeBeyondGap {
                            output: i,
                            index,
                            limit: policy.index_limit,
                        });
                    }
                    OutputKind::Change { path, index }
                }
                Owner::Ours { path, index, .. } => OutputKind::OwnReceive { path, index },
                Owner::External => {
                    if let Some(path) = mismatch {
                        warnings.push(Warning::DerivationMismatch {
                            place: format!("output {i}"),
                            path,
                        });
                    }
                    OutputKind::Payment
                }
            }
        };
        match kind {
            OutputKind::Change { .. } => change = change.saturating_add(value),
            OutputKind::Payment | OutputKind::ChannelFunding => sent = sent.saturating_add(value),
            OutputKind::OwnReceive { .. } => {}
        }
        outputs.push(OutputReview {
            index: i,
            address: Address::from_script(&txout.script_pubkey, policy.network)
                .ok()
                .map(|a| a.to_string()),
            value: Sat::from_sat(value),
            kind,
        });
    }

    let vsize = weight.div_ceil(4);
    let fee = if missing > 0 {
        None
    } else if out_total > in_total {
        warnings.push(Warning::OutputsExceedInputs {
            inputs: in_total,
            outputs: out_total,
        });
        None
    } else {
        Some(in_total - out_total)
    };
    let fee_rate = fee.map(|f| f.div_ceil(vsize.max(1)));
    if let (Some(f), Some(rate)) = (fee, fee_rate) {
        let share_high =
            u128::from(f) * 1_000_000 > u128::from(policy.high_fee_ppm) * u128::from(sent.max(1));
        if rate > policy.high_fee_rate || (sent > 0 && share_high) {
            warnings.push(Warning::HighFee { fee: f, rate });
        }
    }
    Review {
        inputs,
        outputs,
        spent_from_us: Sat::from_sat(spent_from_us),
        sent: Sat::from_sat(sent),
        change: Sat::from_sat(change),
        fee: fee.map(Sat::from_sat),
        missing_inputs: missing,
        vsize,
        fee_rate,
        warning_messages: warnings.iter().map(|w| w.to_string()).collect(),
        warnings,
    }
}

/// Adds the key origin of output `index` when it pays one of our change
/// addresses (found by deriving our change descriptors at 0..`search`), so
/// a device recognises and hides it as change. LND's FundPsbt writes it
/// only for taproot change; for P2WPKH change it must be added. Returns
/// the change index found; `None` (nothing added) when the output is not
/// ours within the search — the review will then show it as a payment.
pub fn annotate_change(
    psbt: &mut Psbt,
    index: usize,
    ours: &[OurDescriptor],
    search: u32,
) -> Option<u32> {
    let script = psbt.unsigned_tx.output.get(index)?.script_pubkey.clone();
    for d in ours.iter().filter(|d| d.change) {
        for i in 0..search {
            let Ok(definite) = d.descriptor.at_derivation_index(i) else {
                break;
            };
            if definite.script_pubkey() != script {
                continue;
            }
            let out = psbt.outputs.get_mut(index)?;
            let (bip32, tap, internal) = our_origins(&definite, &script);
            out.bip32_derivation = bip32;
            out.tap_key_origins = tap;
            if internal.is_some() {
                out.tap_internal_key = internal;
            }
            return Some(i);
        }
    }
    None
}

type Bip32Map =
    std::collections::BTreeMap<bitcoin::secp256k1::PublicKey, (Fingerprint, DerivationPath)>;
type TapOriginMap = std::collections::BTreeMap<
    bitcoin::XOnlyPublicKey,
    (Vec<bitcoin::TapLeafHash>, (Fingerprint, DerivationPath)),
>;

/// The key origins our descriptor gives a script it derived: BIP32
/// derivations, or for taproot the key origins and the internal key.
fn our_origins(
    definite: &miniscript::Descriptor<miniscript::DefiniteDescriptorKey>,
    script: &Script,
) -> (Bip32Map, TapOriginMap, Option<bitcoin::XOnlyPublicKey>) {
    let (mut bip32, mut tap, mut internal) = (Bip32Map::new(), TapOriginMap::new(), None);
    definite.for_each_key(|k| {
        if let (Ok(pk), Some(path)) = (
            k.derive_public_key(crate::keys::account::secp()),
            k.full_derivation_path(),
        ) {
            let origin = (k.master_fingerprint(), path);
            if script.is_p2tr() {
                let x = pk.inner.x_only_public_key().0;
                internal = Some(x);
                tap.insert(x, (vec![], origin));
            } else {
                bip32.insert(pk.inner, origin);
            }
        }
        true
    });
    (bip32, tap, internal)
}

/// Rewrites the key origins of inputs that are ours but whose origins
/// another wallet wrote its own way: LND 0.20 writes an imported account's
/// master fingerprint byte-reversed and the coin type as 0' on regtest. The
/// last two steps of each claimed path (chain, index) are tried on our
/// descriptors; an input is adopted only when our descriptor derives its
/// exact script there, so ownership is still decided by our own
/// derivation. Returns the inputs adopted.
pub fn adopt_inputs(psbt: &mut Psbt, ours: &[OurDescriptor]) -> Vec<usize> {
    let mut adopted = Vec::new();
    for (n, input) in psbt.inputs.iter_mut().enumerate() {
        let Some(outpoint) = psbt.unsigned_tx.input.get(n).map(|i| i.previous_output) else {
            continue;
        };
        let (Some(utxo), _) = prevout(input, &outpoint) else {
            continue;
        };
        let claims = claimed_origins(&input.bip32_derivation, &input.tap_key_origins);
        let hint = claims.iter().find_map(|(_, path)| {
            let steps: Vec<ChildNumber> = path.into_iter().copied().collect();
            match steps.as_slice() {
                [.., ChildNumber::Normal { index: chain }, ChildNumber::Normal { index }] => {
                    Some((*chain, *index))
                }
                _ => None,
            }
        });
        let Some((chain, index)) = hint else { continue };
        for d in ours {
            if d.change != (chain == 1) {
                continue;
            }
            let Ok(definite) = d.descriptor.at_derivation_index(index) else {
                continue;
            };
            if definite.script_pubkey() != utxo.script_pubkey {
                continue;
            }
            let (bip32, tap, internal) = our_origins(&definite, &utxo.script_pubkey);
            if input.bip32_derivation != bip32 || input.tap_key_origins != tap {
                input.bip32_derivation = bip32;
                input.tap_key_origins = tap;
                if internal.is_some() {
                    input.tap_internal_key = internal;
                }
                adopted.push(n);
            }
            break;
        }
    }
    adopted
}
