//! The taproot swap tree of Boltz's v2 protocol (BTC), byte for byte as
//! boltz-core builds it, so that a swap made with any Boltz-compatible
//! provider can be checked and spent here.
//!
//! Two leaves at depth 1, leaf version 0xc0 (tapscript):
//! - submarine claim (the provider's): `OP_HASH160 <RIPEMD160(payment_hash)>
//!   OP_EQUALVERIFY <claim key> OP_CHECKSIG`;
//! - reverse claim (ours): `OP_SIZE 32 OP_EQUALVERIFY OP_HASH160
//!   <RIPEMD160(payment_hash)> OP_EQUALVERIFY <claim key> OP_CHECKSIG`
//!   (the size check keeps a preimage of another length from satisfying it);
//! - refund (both): `<refund key> OP_CHECKSIGVERIFY <timeout height>
//!   OP_CHECKLOCKTIMEVERIFY`.
//!
//! `payment_hash` is SHA-256(preimage), so the scripts hold HASH160(preimage).
//! Keys are x-only. The internal key (MuSig2 aggregate of the provider's and
//! the user's keys, in that order) is an input here: the tree commits to the
//! leaves, the internal key to the cooperative path.

use bitcoin::hashes::{ripemd160, Hash};
use bitcoin::hex::{DisplayHex, FromHex};
use bitcoin::opcodes::all::{
    OP_CHECKSIG, OP_CHECKSIGVERIFY, OP_CLTV, OP_EQUALVERIFY, OP_HASH160, OP_SIZE,
};
use bitcoin::script::Builder;
use bitcoin::secp256k1::{Secp256k1, Verification, XOnlyPublicKey};
use bitcoin::taproot::{LeafVersion, TaprootBuilder, TaprootSpendInfo};
use bitcoin::ScriptBuf;
use serde::{Deserialize, Serialize};

/// Which way the swap goes (who claims on chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwapKind {
    /// On-chain → Lightning: the provider claims with the preimage.
    Submarine,
    /// Lightning → on-chain: we claim with the preimage.
    Reverse,
}

/// What a swap's scripts are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeParams {
    /// Submarine or reverse.
    pub kind: SwapKind,
    /// SHA-256 of the preimage (the invoice's payment hash).
    pub payment_hash: [u8; 32],
    /// Who may claim with the preimage.
    pub claim_key: XOnlyPublicKey,
    /// Who may take the funds back after the time lock.
    pub refund_key: XOnlyPublicKey,
    /// The block height from which the refund leaf is spendable.
    pub timeout_height: u32,
}

/// One leaf as Boltz's API sends it: `{version, output}` (output in hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafJson {
    /// The leaf version (192 = 0xc0, tapscript).
    pub version: u8,
    /// The script, hex.
    pub output: String,
}

/// The swap tree as Boltz's API sends it (`swapTree`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwapTreeJson {
    /// The claim leaf.
    pub claim_leaf: LeafJson,
    /// The refund leaf.
    pub refund_leaf: LeafJson,
}

/// A provider's swap tree that is not the one the swap's terms make.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// A leaf's version is not tapscript.
    #[error("the provider's {leaf} leaf has version {version}, not tapscript (192)")]
    LeafVersion {
        /// "claim" or "refund".
        leaf: &'static str,
        /// What it said.
        version: u8,
    },
    /// A leaf's script differs from the agreed one.
    #[error("the provider's {leaf} script is not the one this swap's terms make (its hash, keys or time lock differ): the swap is refused and no funds are sent")]
    LeafMismatch {
        /// "claim" or "refund".
        leaf: &'static str,
    },
    /// A leaf is not hex.
    #[error("the provider's {leaf} script is not hex")]
    NotHex {
        /// "claim" or "refund".
        leaf: &'static str,
    },
}

/// The claim leaf's script.
pub fn claim_script(p: &TreeParams) -> ScriptBuf {
    let hash160 = ripemd160::Hash::hash(&p.payment_hash).to_byte_array();
    let b = match p.kind {
        SwapKind::Submarine => Builder::new(),
        SwapKind::Reverse => Builder::new()
            .push_opcode(OP_SIZE)
            .push_int(32)
            .push_opcode(OP_EQUALVERIFY),
    };
    b.push_opcode(OP_HASH160)
        .push_slice(hash160)
        .push_opcode(OP_EQUALVERIFY)
        .push_x_only_key(&p.claim_key)
        .push_opcode(OP_CHECKSIG)
        .into_script()
}

/// The refund leaf's script.
pub fn refund_script(p: &TreeParams) -> ScriptBuf {
    Builder::new()
        .push_x_only_key(&p.refund_key)
        .push_opcode(OP_CHECKSIGVERIFY)
        .push_int(i64::from(p.timeout_height))
        .push_opcode(OP_CLTV)
        .into_script()
}

/// The tree in Boltz's JSON form.
pub fn tree_json(p: &TreeParams) -> SwapTreeJson {
    let leaf = |s: ScriptBuf| LeafJson {
        version: LeafVersion::TapScript.to_consensus(),
        output: s.as_bytes().to_lower_hex_string(),
    };
    SwapTreeJson {
        claim_leaf: leaf(claim_script(p)),
        refund_leaf: leaf(refund_script(p)),
    }
}

/// Checks a provider's `swapTree` against the one the swap's terms make
/// (never trust the provider's scripts: rebuild and compare).
pub fn check_tree(claimed: &SwapTreeJson, p: &TreeParams) -> Result<(), TreeError> {
    let expected = [("claim", claim_script(p)), ("refund", refund_script(p))];
    let got = [&claimed.claim_leaf, &claimed.refund_leaf];
    for ((leaf, want), have) in expected.into_iter().zip(got) {
        if have.version != LeafVersion::TapScript.to_consensus() {
            return Err(TreeError::LeafVersion {
                leaf,
                version: have.version,
            });
        }
        let bytes = Vec::<u8>::from_hex(&have.output).map_err(|_| TreeError::NotHex { leaf })?;
        if bytes != want.as_bytes() {
            return Err(TreeError::LeafMismatch { leaf });
        }
    }
    Ok(())
}

/// A key that is not a valid secp256k1 point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the provider's public key is not a valid secp256k1 key")]
pub struct BadKey;

/// The swap output's internal key: the MuSig2 (BIP327) aggregate of the
/// provider's key and the user's, in that order (Boltz's order; not sorted).
/// The cooperative key path spends with a signature of both.
pub fn aggregate_key(
    provider: &bitcoin::secp256k1::PublicKey,
    user: &bitcoin::secp256k1::PublicKey,
) -> Result<XOnlyPublicKey, BadKey> {
    aggregate_keys(&[provider.serialize(), user.serialize()])
}

/// BIP327 key aggregation of compressed keys in the given order (the
/// general form, tested on BIP327's vectors).
pub fn aggregate_keys(keys: &[[u8; 33]]) -> Result<XOnlyPublicKey, BadKey> {
    use secp256k1_musig as m;
    let parsed: Vec<m::PublicKey> = keys
        .iter()
        .map(|k| m::PublicKey::from_slice(k).map_err(|_| BadKey))
        .collect::<Result<_, _>>()?;
    if parsed.is_empty() {
        return Err(BadKey);
    }
    let refs: Vec<&m::PublicKey> = parsed.iter().collect();
    let agg = m::musig::KeyAggCache::new(&refs).agg_pk();
    XOnlyPublicKey::from_slice(&agg.to_byte_array()).map_err(|_| BadKey)
}

/// The swap's lockup address: P2TR of the tree under the aggregate of the
/// provider's and the user's keys. The client computes it and compares it
/// with the provider's before it funds (submarine) or pays (reverse).
pub fn lockup_address<C: Verification>(
    secp: &Secp256k1<C>,
    network: bitcoin::Network,
    p: &TreeParams,
    provider: &bitcoin::secp256k1::PublicKey,
    user: &bitcoin::secp256k1::PublicKey,
) -> Result<bitcoin::Address, BadKey> {
    let internal = aggregate_key(provider, user)?;
    let info = spend_info(secp, p, internal);
    Ok(bitcoin::Address::p2tr_tweaked(info.output_key(), network))
}

/// The taproot output for the tree under `internal_key`: its output key,
/// merkle root and the control blocks of both leaves.
pub fn spend_info<C: Verification>(
    secp: &Secp256k1<C>,
    p: &TreeParams,
    internal_key: XOnlyPublicKey,
) -> TaprootSpendInfo {
    // Two leaves at depth 1 always make a complete tree; `expect` cannot fire.
    #[allow(clippy::expect_used)]
    TaprootBuilder::new()
        .add_leaf(1, claim_script(p))
        .and_then(|b| b.add_leaf(1, refund_script(p)))
        .expect("two leaves at depth 1")
        .finalize(secp, internal_key)
        .expect("a complete tree")
}
