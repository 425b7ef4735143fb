//! On-chain sends through a PSBT, for coins a signer outside LND holds (a
//! hardware wallet's account imported into LND, or a Switchyard wallet's
//! seed):
//!
//! 1. [`prepare`]: LND funds the PSBT (coin selection or the coins chosen,
//!    the fee rate, change) and locks the coins; the change output gets its
//!    key origin from our own change descriptor (LND writes it only for
//!    taproot change); the review is made against our descriptors and a fee
//!    above the user's limit is refused.
//! 2. The user sees the review ([`Prepared::review`]).
//! 3. [`complete`]: the signer signs after [`crate::signer::sign_reviewed`]'s
//!    checks; inputs all ours are finalized here, others by LND's
//!    FinalizePsbt; LND publishes.
//!
//! The locked coins are released on every failure path after funding, and
//! by [`abort`] when the user declines.

use crate::amount::Sat;
use crate::node::psbt::{FundRequest, Lease, PsbtNode};
use crate::node::NodeError;
use crate::psbt::{
    extract, finalize, review, FinalizeError, OurDescriptor, Owner, Policy, Review, SignOptions,
};
use crate::signer::{sign_reviewed, Signer, SignerError};
use bitcoin::psbt::Psbt;
use serde::Serialize;
use switchyard_pure::psbt::review::{adopt_inputs, annotate_change};

/// How far along our change chain a change output is looked for.
const CHANGE_SEARCH: u32 = 2_000;

/// Why a send through a PSBT stopped (the coins are released).
#[derive(Debug, thiserror::Error)]
pub enum SpendError {
    /// The node.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The signer, or the checks around it.
    #[error(transparent)]
    Signer(#[from] SignerError),
    /// Finalizing.
    #[error(transparent)]
    Finalize(#[from] FinalizeError),
    /// The fee is above the user's limit.
    #[error("The fee would be {fee} sats, above your limit of {limit} sats: nothing was signed. Choose a lower fee rate or raise the limit.")]
    FeeAboveLimit {
        /// The fee.
        fee: u64,
        /// The limit.
        limit: u64,
    },
    /// The PSBT LND funded for a channel does not pay the channel exactly
    /// once, its size.
    #[error("The funding PSBT does not pay the channel's address exactly {amount} sats once: nothing was signed, the open was cancelled.")]
    FundingMismatch {
        /// The channel's size.
        amount: u64,
    },
    /// The peer's patience ran out before the signature.
    #[error("The peer has forgotten this channel open (it waits about ten minutes for the funding transaction): nothing was signed or sent. Start the open again.")]
    Expired,
    /// LND's change output is not on our change chain.
    #[error("LND's change output {index} is not an address of this account's change chain (searched {CHANGE_SEARCH}): nothing was signed.")]
    ChangeNotOurs {
        /// The output.
        index: usize,
    },
}

/// A funded, reviewed PSBT waiting for the user's yes.
#[derive(Debug, Clone, Serialize)]
pub struct Prepared {
    /// The PSBT (base64 in JSON).
    #[serde(serialize_with = "as_base64")]
    pub psbt: Psbt,
    /// What it spends and pays, by our descriptors.
    pub review: Review,
    /// The account LND funded from.
    pub account: String,
    /// The coins LND locked for it.
    #[serde(skip)]
    pub leases: Vec<Lease>,
}

fn as_base64<S: serde::Serializer>(p: &Psbt, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.to_string())
}

/// A published send.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Sent {
    /// Its txid.
    pub txid: String,
    /// What was reviewed and signed.
    pub review: Review,
    /// The inputs the signer signed.
    pub signed_inputs: Vec<usize>,
}

/// Funds `req` through LND and reviews it against `ours` (the account's
/// receive and change descriptors). `max_fee`: the limit the user set.
pub async fn prepare(
    node: &PsbtNode,
    req: &FundRequest,
    ours: &[OurDescriptor],
    network: bitcoin::Network,
    max_fee: Option<Sat>,
) -> Result<Prepared, SpendError> {
    prepare_paying(node, req, ours, network, max_fee, Vec::new()).await
}

/// [`prepare`], where `funding` are channels' funding scripts (shown as
/// channel funding outputs, not payments).
pub async fn prepare_paying(
    node: &PsbtNode,
    req: &FundRequest,
    ours: &[OurDescriptor],
    network: bitcoin::Network,
    max_fee: Option<Sat>,
    funding: Vec<bitcoin::ScriptBuf>,
) -> Result<Prepared, SpendError> {
    let funded = node.fund(req).await?;
    let leases = funded.leases.clone();
    let checked = (|| {
        let mut psbt = funded.psbt;
        let adopted = adopt_inputs(&mut psbt, ours);
        if !adopted.is_empty() {
            tracing::debug!(
                ?adopted,
                "inputs' key origins rewritten from our descriptors"
            );
        }
        if let Some(index) = funded.change_index {
            // From an account of ours, LND's change must be on our change
            // chain; LND's default wallet's change is ours only when the
            // wallet's seed is (then it is annotated too).
            let found = annotate_change(&mut psbt, index, ours, CHANGE_SEARCH);
            if found.is_none() && !req.account.is_empty() {
                return Err(SpendError::ChangeNotOurs { index });
            }
        }
        let mut policy = Policy::new(network, ours.to_vec());
        policy.funding_scripts = funding;
        let review = review(&psbt, &policy);
        if let (Some(fee), Some(limit)) = (review.fee, max_fee) {
            if fee > limit {
                return Err(SpendError::FeeAboveLimit {
                    fee: fee.to_sat(),
                    limit: limit.to_sat(),
                });
            }
        }
        Ok((psbt, review))
    })();
    match checked {
        Ok((psbt, review)) => Ok(Prepared {
            psbt,
            review,
            account: req.account.clone(),
            leases,
        }),
        Err(e) => {
            release_logged(node, &leases).await;
            Err(e)
        }
    }
}

/// Signs with `signer`, finalizes and publishes; releases the coins if
/// anything fails.
pub async fn complete(
    node: &PsbtNode,
    prepared: &Prepared,
    signer: &dyn Signer,
    opts: SignOptions,
) -> Result<Sent, SpendError> {
    let run = async {
        let (tx, signed_inputs) = sign_and_finalize(node, prepared, signer, opts).await?;
        let txid = node.publish(&tx, "switchyard: PSBT send").await?;
        Ok::<_, SpendError>(Sent {
            txid,
            review: prepared.review.clone(),
            signed_inputs,
        })
    };
    match run.await {
        Ok(sent) => {
            tracing::info!(txid = %sent.txid, "PSBT send published");
            Ok(sent)
        }
        Err(e) => {
            release_logged(node, &prepared.leases).await;
            Err(e)
        }
    }
}

/// Signs with `signer` (after [`sign_reviewed`]'s checks) and finalizes:
/// inputs all ours here, LND's own inputs by LND's FinalizePsbt (which
/// does not publish). Returns the network transaction and the inputs the
/// signer signed. Releases nothing: the caller decides.
pub async fn sign_and_finalize(
    node: &PsbtNode,
    prepared: &Prepared,
    signer: &dyn Signer,
    opts: SignOptions,
) -> Result<(bitcoin::Transaction, Vec<usize>), SpendError> {
    let signed = sign_reviewed(signer, &prepared.psbt, &prepared.review, opts).await?;
    let all_ours = prepared
        .review
        .inputs
        .iter()
        .all(|i| matches!(i.owner, Owner::Ours { .. }));
    let tx = if all_ours {
        let mut psbt = signed.psbt.clone();
        finalize(&mut psbt)?;
        extract(psbt)?
    } else {
        node.finalize(&signed.psbt, &prepared.account).await?
    };
    Ok((tx, signed.signed_inputs))
}

/// The user declined: releases the coins.
pub async fn abort(node: &PsbtNode, prepared: &Prepared) -> Result<(), NodeError> {
    node.release(&prepared.leases).await
}

pub(crate) async fn release_logged(node: &PsbtNode, leases: &[Lease]) {
    if let Err(e) = node.release(leases).await {
        // LND frees them when the lease expires (10 minutes by default).
        tracing::warn!(error = %e, "could not release the coins a PSBT locked");
    }
}
