//! Channel opens funded by a PSBT from a signer outside LND (a hardware
//! wallet's account imported into LND, or a Switchyard wallet's seed),
//! through LND's PSBT shim:
//!
//! 1. [`prepare`]: `OpenChannel` with a PSBT shim — the peer agrees and LND
//!    names the channel's funding address and amount; LND funds a PSBT
//!    paying it from the wallet's account (coin control, fee rate, change,
//!    the coins locked); the review shows that output as the channel's
//!    funding (matched to LND's address), our change proven ours, the fee
//!    within the user's limit; LND verifies the unsigned PSBT
//!    (`psbt_verify`).
//! 2. The user reads the review within the peer's patience (about ten
//!    minutes: [`PreparedOpen::expires_at`]).
//! 3. [`complete`]: the signer signs after the usual checks, we finalize,
//!    and LND gets the final transaction (`psbt_finalize`): LND finishes
//!    with the peer and publishes it — never we, since a funding
//!    transaction published before the peer's signatures can strand the
//!    money.
//!
//! Every failure before LND has the signed transaction cancels the open
//! (`shim_cancel`) and releases the coins; so does [`abort`].

use crate::amount::Sat;
use crate::node::channels::{Channels, OpenChannelRequest, OpenedChannel, ShimOpen};
use crate::node::psbt::{FundRequest, PsbtNode};
use crate::psbt::{OurDescriptor, OutputKind, Review, SignOptions};
use crate::signer::Signer;
use crate::spend::{self, Prepared, SpendError};
use serde::Serialize;

/// How long a peer (LND) keeps a pending channel waiting for its funding.
pub const PEER_PATIENCE_SECS: u64 = 600;

/// A channel open waiting for the user's yes: the peer agreed, the PSBT is
/// funded and reviewed, LND verified it.
#[derive(Debug)]
pub struct PreparedOpen {
    /// LND's pending open.
    pub open: ShimOpen,
    /// The funded PSBT, its review and its locked coins.
    pub funded: Prepared,
    /// When the peer forgets the channel (unix seconds): sign before.
    pub expires_at: u64,
}

/// A channel whose funding transaction LND published.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct OpenedWithPsbt {
    /// The channel.
    pub channel: OpenedChannel,
    /// What was reviewed and signed.
    pub review: Review,
    /// The inputs the signer signed.
    pub signed_inputs: Vec<usize>,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn cancel_logged(channels: &Channels, open: &ShimOpen) {
    if let Err(e) = channels.shim_cancel(open).await {
        // The peer forgets it after its timeout anyway.
        tracing::warn!(error = %e, "could not cancel a PSBT channel open");
    }
}

/// The funding output the review must show: exactly one, to LND's address,
/// of the channel's size.
fn check_funding(review: &Review, amount: Sat) -> Result<(), SpendError> {
    let funding: Vec<_> = review
        .outputs
        .iter()
        .filter(|o| o.kind == OutputKind::ChannelFunding)
        .collect();
    match funding.as_slice() {
        [one] if one.value == amount => Ok(()),
        _ => Err(SpendError::FundingMismatch {
            amount: amount.to_sat(),
        }),
    }
}

/// Starts the open with `req.peer` and funds it from `account` (the
/// wallet's LND account) at `sat_per_vbyte`, spending only `inputs` if any.
#[allow(clippy::too_many_arguments)]
pub async fn prepare(
    channels: &Channels,
    node: &PsbtNode,
    req: &OpenChannelRequest,
    account: &str,
    sat_per_vbyte: u64,
    ours: &[OurDescriptor],
    network: bitcoin::Network,
    max_fee: Option<Sat>,
) -> Result<PreparedOpen, SpendError> {
    if sat_per_vbyte == 0 {
        return Err(crate::node::NodeError::BadRequest {
            message: "Choose a fee rate of at least 1 sat/vB.".into(),
        }
        .into());
    }
    let open = channels.open_with_psbt(req).await?;
    let expires_at = now() + PEER_PATIENCE_SECS;
    let script = match open
        .funding_address
        .parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>()
        .ok()
        .and_then(|a| a.require_network(network).ok())
    {
        Some(a) => a.script_pubkey(),
        None => {
            cancel_logged(channels, &open).await;
            return Err(crate::node::NodeError::Internal {
                detail: format!(
                    "LND's funding address {} is not a {network} address",
                    open.funding_address
                ),
            }
            .into());
        }
    };
    let fund = FundRequest {
        outputs: vec![(open.funding_address.clone(), open.funding_amount)],
        account: account.to_string(),
        sat_per_vbyte,
        inputs: req.utxos.clone(),
    };
    let funded =
        match spend::prepare_paying(node, &fund, ours, network, max_fee, Some(script)).await {
            Ok(f) => f,
            Err(e) => {
                cancel_logged(channels, &open).await;
                return Err(e);
            }
        };
    let checked = match check_funding(&funded.review, open.funding_amount) {
        Ok(()) => channels
            .shim_verify(&open, &funded.psbt)
            .await
            .map_err(SpendError::from),
        Err(e) => Err(e),
    };
    if let Err(e) = checked {
        spend::release_logged(node, &funded.leases).await;
        cancel_logged(channels, &open).await;
        return Err(e);
    }
    Ok(PreparedOpen {
        open,
        funded,
        expires_at,
    })
}

/// Signs with `signer`, finalizes and hands the transaction to LND, which
/// publishes it once the peer has signed; returns the pending channel.
pub async fn complete(
    channels: &Channels,
    node: &PsbtNode,
    prepared: PreparedOpen,
    signer: &dyn Signer,
    opts: SignOptions,
) -> Result<OpenedWithPsbt, SpendError> {
    if now() >= prepared.expires_at {
        abort(channels, node, &prepared).await;
        return Err(SpendError::Expired);
    }
    let signed = spend::sign_and_finalize(node, &prepared.funded, signer, opts).await;
    let (tx, signed_inputs) = match signed {
        Ok(s) => s,
        Err(e) => {
            abort(channels, node, &prepared).await;
            return Err(e);
        }
    };
    if let Err(e) = channels.shim_finalize(&prepared.open, &tx).await {
        // LND did not take it: nothing was published.
        abort(channels, node, &prepared).await;
        return Err(e.into());
    }
    let review = prepared.funded.review.clone();
    let channel = channels.shim_pending(prepared.open, &tx).await?;
    Ok(OpenedWithPsbt {
        channel,
        review,
        signed_inputs,
    })
}

/// The user declined (or something failed): LND and the peer forget the
/// open, the coins are released.
pub async fn abort(channels: &Channels, node: &PsbtNode, prepared: &PreparedOpen) {
    cancel_logged(channels, &prepared.open).await;
    spend::release_logged(node, &prepared.funded.leases).await;
}
