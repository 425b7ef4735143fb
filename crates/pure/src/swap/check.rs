//! Quotes, and the checks of a provider's create response before any money
//! moves: the swap tree is rebuilt from the agreed terms and must be the
//! provider's byte for byte, the lockup address must be the one that tree
//! and the two keys make, the amounts must be within the quote the user
//! saw, and the time lock neither already near nor absurdly far.
//!
//! Fees: the service fee is `ceil(amount × percentage / 100)` (computed in
//! integer parts per million, never in floating point), the miner fee as
//! the pair states it. A provider may charge less, never more.

use super::api::{CreateReverseResponse, CreateSubmarineResponse, ReversePair, SubmarinePair};
use super::tree::{check_tree, lockup_address, SwapKind, TreeError, TreeParams};
use crate::amount::Sat;
use crate::network::Network;
use bitcoin::hex::FromHex;
use bitcoin::secp256k1::PublicKey;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The most a provider may ask as a percentage (beyond it the pair is
/// refused as absurd, whatever the user's own limit).
pub const MAX_PERCENTAGE_PPM: u64 = 50_000; // 5 %

/// What a swap costs, as the user sees it before agreeing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct SwapQuote {
    /// Submarine or reverse.
    #[ts(type = "\"submarine\" | \"reverse\"")]
    pub kind: SwapKind,
    /// The Lightning amount (the invoice), sats.
    pub invoice: Sat,
    /// The provider's service fee, sats.
    pub service_fee: Sat,
    /// Its percentage, in parts per million (1000 = 0.1 %).
    #[ts(type = "number")]
    pub percentage_ppm: u64,
    /// Miner fees the provider charges (its claim / its lockup), sats.
    pub provider_miner_fee: Sat,
    /// On chain: what we send (submarine) or receive before our claim's
    /// fee (reverse), sats.
    pub onchain: Sat,
    /// The smallest and largest invoice the provider takes, sats.
    pub min: Sat,
    /// See `min`.
    pub max: Sat,
}

impl SwapQuote {
    /// Service plus miner fees the provider charges.
    pub fn total_fee(&self) -> Option<Sat> {
        self.service_fee.checked_add(self.provider_miner_fee)
    }
}

/// A quote or a response that cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The pair's percentage is negative, not a number or absurd.
    #[error("the provider's fee percentage ({0}) is not a sane fee: the swap is refused")]
    BadPercentage(String),
    /// Outside the pair's limits.
    #[error("{amount} sats is outside the provider's limits ({min}–{max} sats)")]
    OutsideLimits {
        /// Asked, sats.
        amount: u64,
        /// The pair's minimum.
        min: u64,
        /// The pair's maximum.
        max: u64,
    },
    /// The fees would eat the whole amount.
    #[error("the provider's fees ({fee} sats) are more than the {amount} sats swapped")]
    FeesExceedAmount {
        /// Fees, sats.
        fee: u64,
        /// Amount, sats.
        amount: u64,
    },
    /// Arithmetic left the range of bitcoin amounts.
    #[error("the swap's amounts overflow")]
    Overflow,
    /// A key does not parse.
    #[error(
        "the provider's public key is not a valid key: the swap is refused and no funds are sent"
    )]
    BadKey,
    /// The tree differs from the agreed one.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// The address is not the tree's.
    #[error("the provider's lockup address {claimed} is not the address of the swap's own scripts ({ours}): the swap is refused and no funds are sent")]
    AddressMismatch {
        /// The provider's.
        claimed: String,
        /// Ours.
        ours: String,
    },
    /// The provider wants more than quoted.
    #[error("the provider asks {asked} sats but the quote you saw was {quoted} sats: the swap is refused")]
    AmountAboveQuote {
        /// Asked.
        asked: u64,
        /// Quoted.
        quoted: u64,
    },
    /// The provider locks less than quoted.
    #[error("the provider would lock {offered} sats but the quote you saw was {quoted} sats: the swap is refused")]
    AmountBelowQuote {
        /// Offered.
        offered: u64,
        /// Quoted.
        quoted: u64,
    },
    /// The time lock is too near.
    #[error("the swap's time lock (block {timeout}) is only {blocks} blocks away; at least {min} are needed to act safely: the swap is refused")]
    TimeoutTooNear {
        /// The height.
        timeout: u32,
        /// Blocks from the tip.
        blocks: u32,
        /// Our minimum.
        min: u32,
    },
    /// The time lock is too far (funds stuck for long if it fails).
    #[error("the swap's time lock (block {timeout}) is {blocks} blocks away, more than the {max} we accept (funds would be stuck that long if the swap failed): the swap is refused")]
    TimeoutTooFar {
        /// The height.
        timeout: u32,
        /// Blocks from the tip.
        blocks: u32,
        /// Our maximum.
        max: u32,
    },
    /// Cooperative signing with the provider failed.
    #[error(transparent)]
    Coop(#[from] super::musig::CoopError),
    /// The hold invoice is not for our hash or amount.
    #[error("the provider's invoice {0}: the swap is refused and nothing is paid")]
    Invoice(String),
}

/// Parts per million of a percentage (0.1 → 1000), refusing NaN, negative
/// and absurd values.
pub fn percentage_ppm(percentage: f64) -> Result<u64, CheckError> {
    if !percentage.is_finite() || percentage < 0.0 {
        return Err(CheckError::BadPercentage(percentage.to_string()));
    }
    let ppm = (percentage * 10_000.0).round();
    if ppm > MAX_PERCENTAGE_PPM as f64 {
        return Err(CheckError::BadPercentage(percentage.to_string()));
    }
    // In range [0, MAX_PERCENTAGE_PPM] here, so the cast is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(ppm as u64)
}

/// `ceil(amount × ppm / 10⁶)`.
pub fn service_fee(amount: Sat, ppm: u64) -> Result<Sat, CheckError> {
    let num = u128::from(amount.to_sat()) * u128::from(ppm);
    let fee = num.div_ceil(1_000_000);
    u64::try_from(fee)
        .map(Sat::from_sat)
        .map_err(|_| CheckError::Overflow)
}

fn within(amount: Sat, min: u64, max: u64) -> Result<(), CheckError> {
    let a = amount.to_sat();
    if a < min || a > max || a > crate::amount::MAX_MONEY_SAT {
        return Err(CheckError::OutsideLimits {
            amount: a,
            min,
            max,
        });
    }
    Ok(())
}

/// A submarine swap of `invoice` sats: what we send on chain.
pub fn submarine_quote(pair: &SubmarinePair, invoice: Sat) -> Result<SwapQuote, CheckError> {
    within(invoice, pair.limits.minimal, pair.limits.maximal)?;
    let ppm = percentage_ppm(pair.fees.percentage)?;
    let service = service_fee(invoice, ppm)?;
    let miner = Sat::from_sat(pair.fees.miner_fees);
    let onchain = invoice
        .checked_add(service)
        .and_then(|v| v.checked_add(miner))
        .ok_or(CheckError::Overflow)?;
    Ok(SwapQuote {
        kind: SwapKind::Submarine,
        invoice,
        service_fee: service,
        percentage_ppm: ppm,
        provider_miner_fee: miner,
        onchain,
        min: Sat::from_sat(pair.limits.minimal),
        max: Sat::from_sat(pair.limits.maximal),
    })
}

/// A reverse swap of `invoice` sats: what the provider locks for us.
pub fn reverse_quote(pair: &ReversePair, invoice: Sat) -> Result<SwapQuote, CheckError> {
    within(invoice, pair.limits.minimal, pair.limits.maximal)?;
    let ppm = percentage_ppm(pair.fees.percentage)?;
    let service = service_fee(invoice, ppm)?;
    let miner = Sat::from_sat(pair.fees.miner_fees.lockup);
    let fee = service.checked_add(miner).ok_or(CheckError::Overflow)?;
    let onchain =
        invoice
            .checked_sub(fee)
            .filter(|v| !v.is_zero())
            .ok_or(CheckError::FeesExceedAmount {
                fee: fee.to_sat(),
                amount: invoice.to_sat(),
            })?;
    Ok(SwapQuote {
        kind: SwapKind::Reverse,
        invoice,
        service_fee: service,
        percentage_ppm: ppm,
        provider_miner_fee: miner,
        onchain,
        min: Sat::from_sat(pair.limits.minimal),
        max: Sat::from_sat(pair.limits.maximal),
    })
}

/// How far the time lock may be from the tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeoutBounds {
    /// At least this many blocks (room to act: claim, refund, margins).
    pub min_blocks: u32,
    /// At most this many (funds stuck no longer than this on failure).
    pub max_blocks: u32,
}

impl TimeoutBounds {
    /// Bounds for a kind: Boltz's deltas are 144 blocks (reverse) and 1008
    /// (taproot submarine); we accept up to twice those, and need at least
    /// 20 blocks (Loop's reveal margin) to act.
    pub fn for_kind(kind: SwapKind) -> TimeoutBounds {
        match kind {
            SwapKind::Reverse => TimeoutBounds {
                min_blocks: 20,
                max_blocks: 288,
            },
            SwapKind::Submarine => TimeoutBounds {
                min_blocks: 20,
                max_blocks: 2016,
            },
        }
    }

    fn check(&self, timeout: u32, height: u32) -> Result<(), CheckError> {
        let blocks = timeout.saturating_sub(height);
        if blocks < self.min_blocks {
            return Err(CheckError::TimeoutTooNear {
                timeout,
                blocks,
                min: self.min_blocks,
            });
        }
        if blocks > self.max_blocks {
            return Err(CheckError::TimeoutTooFar {
                timeout,
                blocks,
                max: self.max_blocks,
            });
        }
        Ok(())
    }
}

/// Parses a compressed public key in hex.
pub fn parse_key(hex: &str) -> Result<PublicKey, CheckError> {
    let bytes = Vec::<u8>::from_hex(hex).map_err(|_| CheckError::BadKey)?;
    PublicKey::from_slice(&bytes).map_err(|_| CheckError::BadKey)
}

/// A swap whose terms were checked: everything needed to watch, claim and
/// refund it, whatever the provider says later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedSwap {
    /// Submarine or reverse.
    pub kind: SwapKind,
    /// The provider's id.
    pub id: String,
    /// The provider's key.
    pub provider_key: PublicKey,
    /// Ours.
    pub our_key: PublicKey,
    /// SHA-256 of the preimage.
    pub payment_hash: [u8; 32],
    /// The refund leaf's height.
    pub timeout_height: u32,
    /// The lockup address (ours, equal to the provider's).
    pub address: String,
    /// What the lockup must hold, sats.
    pub lockup_amount: Sat,
}

impl CheckedSwap {
    /// The tree's terms.
    pub fn tree_params(&self) -> TreeParams {
        let (claim, refund) = match self.kind {
            SwapKind::Submarine => (self.provider_key, self.our_key),
            SwapKind::Reverse => (self.our_key, self.provider_key),
        };
        TreeParams {
            kind: self.kind,
            payment_hash: self.payment_hash,
            claim_key: claim.x_only_public_key().0,
            refund_key: refund.x_only_public_key().0,
            timeout_height: self.timeout_height,
        }
    }
}

fn check_address(
    network: Network,
    p: &TreeParams,
    provider: &PublicKey,
    user: &PublicKey,
    claimed: &str,
) -> Result<String, CheckError> {
    let ours = lockup_address(
        crate::keys::account::secp(),
        network.to_bitcoin(),
        p,
        provider,
        user,
    )
    .map_err(|_| CheckError::BadKey)?
    .to_string();
    if ours != claimed {
        return Err(CheckError::AddressMismatch {
            claimed: claimed.to_string(),
            ours,
        });
    }
    Ok(ours)
}

/// Checks a submarine create response against our terms and the quote.
pub fn check_submarine(
    resp: &CreateSubmarineResponse,
    network: Network,
    our_key: &PublicKey,
    payment_hash: [u8; 32],
    quote: &SwapQuote,
    height: u32,
) -> Result<CheckedSwap, CheckError> {
    let provider_key = parse_key(&resp.claim_public_key)?;
    TimeoutBounds::for_kind(SwapKind::Submarine).check(resp.timeout_block_height, height)?;
    let swap = CheckedSwap {
        kind: SwapKind::Submarine,
        id: resp.id.clone(),
        provider_key,
        our_key: *our_key,
        payment_hash,
        timeout_height: resp.timeout_block_height,
        address: String::new(),
        lockup_amount: Sat::from_sat(resp.expected_amount),
    };
    let p = swap.tree_params();
    check_tree(&resp.swap_tree, &p)?;
    let address = check_address(network, &p, &provider_key, our_key, &resp.address)?;
    if resp.expected_amount > quote.onchain.to_sat() {
        return Err(CheckError::AmountAboveQuote {
            asked: resp.expected_amount,
            quoted: quote.onchain.to_sat(),
        });
    }
    if resp.expected_amount < quote.invoice.to_sat() {
        // Less than the invoice: the provider would pay us more than it
        // gets; harmless to us, but not a provider that computes honestly.
        return Err(CheckError::AmountBelowQuote {
            offered: resp.expected_amount,
            quoted: quote.invoice.to_sat(),
        });
    }
    Ok(CheckedSwap { address, ..swap })
}

/// Checks a reverse create response. `invoice_hash` and `invoice_amount`
/// come from decoding the hold invoice (BOLT 11, by the caller).
#[allow(clippy::too_many_arguments)]
pub fn check_reverse(
    resp: &CreateReverseResponse,
    network: Network,
    our_key: &PublicKey,
    payment_hash: [u8; 32],
    quote: &SwapQuote,
    height: u32,
    invoice_hash: [u8; 32],
    invoice_amount: Option<Sat>,
) -> Result<CheckedSwap, CheckError> {
    if invoice_hash != payment_hash {
        return Err(CheckError::Invoice(
            "is for another payment hash than our preimage's (paying it would not buy our claim)"
                .into(),
        ));
    }
    match invoice_amount {
        Some(a) if a == quote.invoice => {}
        Some(a) => {
            return Err(CheckError::Invoice(format!(
                "asks {} sats, not the {} sats quoted",
                a.to_sat(),
                quote.invoice.to_sat()
            )))
        }
        None => return Err(CheckError::Invoice("has no amount".into())),
    }
    let provider_key = parse_key(&resp.refund_public_key)?;
    TimeoutBounds::for_kind(SwapKind::Reverse).check(resp.timeout_block_height, height)?;
    let swap = CheckedSwap {
        kind: SwapKind::Reverse,
        id: resp.id.clone(),
        provider_key,
        our_key: *our_key,
        payment_hash,
        timeout_height: resp.timeout_block_height,
        address: String::new(),
        lockup_amount: Sat::from_sat(resp.onchain_amount),
    };
    let p = swap.tree_params();
    check_tree(&resp.swap_tree, &p)?;
    let address = check_address(network, &p, &provider_key, our_key, &resp.lockup_address)?;
    if resp.onchain_amount < quote.onchain.to_sat() {
        return Err(CheckError::AmountBelowQuote {
            offered: resp.onchain_amount,
            quoted: quote.onchain.to_sat(),
        });
    }
    Ok(CheckedSwap { address, ..swap })
}

/// The outputs of `tx` that pay `address`'s script: `(vout, sats)`.
pub fn outputs_to(tx: &bitcoin::Transaction, script: &bitcoin::Script) -> Vec<(u32, Sat)> {
    tx.output
        .iter()
        .enumerate()
        .filter(|(_, o)| o.script_pubkey.as_script() == script)
        .filter_map(|(i, o)| Some((u32::try_from(i).ok()?, Sat::from_sat(o.value.to_sat()))))
        .collect()
}
