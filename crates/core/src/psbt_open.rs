//! Channel opens funded by a PSBT from a signer outside LND (a hardware
//! wallet's account imported into LND, or a Switchyard wallet's seed),
//! through LND's PSBT shim — one channel, or a batch in one transaction:
//!
//! 1. [`prepare`]: `OpenChannel` with a PSBT shim for each channel — each
//!    peer agrees and LND names the channel's funding address and amount
//!    (every open of a batch but the last is told not to publish); LND
//!    funds one PSBT paying them all from the wallet's account (coin
//!    control, fee rate, change, the coins locked); the review shows those
//!    outputs as channel funding (matched to LND's addresses), our change
//!    proven ours, the fee within the user's limit; LND verifies the
//!    unsigned PSBT for each channel (`psbt_verify`).
//! 2. The user reads the review within the peer's patience (about ten
//!    minutes: [`PreparedOpen::expires_at`]).
//! 3. [`complete`]: the signer signs after the usual checks, we finalize,
//!    and LND gets the final transaction for each channel in order
//!    (`psbt_finalize`): LND finishes with each peer, and publishes it with
//!    the last — never we, since a funding transaction published before
//!    the peers' signatures can strand the money.
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

/// A channel open (or a batch) waiting for the user's yes: the peers
/// agreed, the PSBT is funded and reviewed, LND verified it.
#[derive(Debug)]
pub struct PreparedOpen {
    /// LND's pending opens, in the order they were started.
    pub opens: Vec<ShimOpen>,
    /// The funded PSBT, its review and its locked coins.
    pub funded: Prepared,
    /// When the peer forgets the channel (unix seconds): sign before.
    pub expires_at: u64,
}

/// Channels whose funding transaction LND published.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct OpenedWithPsbt {
    /// The channels, in the order asked.
    pub channels: Vec<OpenedChannel>,
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

async fn cancel_logged(channels: &Channels, opens: &[ShimOpen]) {
    for open in opens {
        if let Err(e) = channels.shim_cancel(open).await {
            // The peer forgets it after its timeout anyway.
            tracing::warn!(error = %e, "could not cancel a PSBT channel open");
        }
    }
}

/// The funding outputs the review must show: for each open, exactly one
/// output to its address, of its size.
fn check_funding(review: &Review, opens: &[ShimOpen]) -> Result<(), SpendError> {
    for open in opens {
        let paying: Vec<_> = review
            .outputs
            .iter()
            .filter(|o| {
                o.kind == OutputKind::ChannelFunding
                    && o.address.as_deref() == Some(open.funding_address.as_str())
            })
            .collect();
        match paying.as_slice() {
            [one] if one.value == open.funding_amount => {}
            _ => {
                return Err(SpendError::FundingMismatch {
                    amount: open.funding_amount.to_sat(),
                })
            }
        }
    }
    Ok(())
}

/// Starts the opens of `reqs` (one channel, or a batch in one transaction)
/// and funds them from `account` (the wallet's LND account) at
/// `sat_per_vbyte`, spending only the coins the first request names if
/// any.
#[allow(clippy::too_many_arguments)]
pub async fn prepare(
    channels: &Channels,
    node: &PsbtNode,
    reqs: &[OpenChannelRequest],
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
    if reqs.is_empty() {
        return Err(crate::node::NodeError::BadRequest {
            message: "Name at least one channel to open.".into(),
        }
        .into());
    }
    let mut opens: Vec<ShimOpen> = Vec::new();
    for (i, req) in reqs.iter().enumerate() {
        match channels.open_with_psbt(req, i + 1 < reqs.len()).await {
            Ok(open) => opens.push(open),
            Err(e) => {
                cancel_logged(channels, &opens).await;
                return Err(e.into());
            }
        }
    }
    let expires_at = now() + PEER_PATIENCE_SECS;
    let mut scripts = Vec::new();
    for open in &opens {
        match open
            .funding_address
            .parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>()
            .ok()
            .and_then(|a| a.require_network(network).ok())
        {
            Some(a) => scripts.push(a.script_pubkey()),
            None => {
                cancel_logged(channels, &opens).await;
                return Err(crate::node::NodeError::Internal {
                    detail: format!(
                        "LND's funding address {} is not a {network} address",
                        open.funding_address
                    ),
                }
                .into());
            }
        }
    }
    let fund = FundRequest {
        outputs: opens
            .iter()
            .map(|o| (o.funding_address.clone(), o.funding_amount))
            .collect(),
        account: account.to_string(),
        sat_per_vbyte,
        inputs: reqs[0].utxos.clone(),
    };
    let funded = match spend::prepare_paying(node, &fund, ours, network, max_fee, scripts).await {
        Ok(f) => f,
        Err(e) => {
            cancel_logged(channels, &opens).await;
            return Err(e);
        }
    };
    let mut checked = check_funding(&funded.review, &opens);
    for open in &opens {
        if checked.is_err() {
            break;
        }
        checked = channels
            .shim_verify(open, &funded.psbt)
            .await
            .map_err(SpendError::from);
    }
    if let Err(e) = checked {
        spend::release_logged(node, &funded.leases).await;
        cancel_logged(channels, &opens).await;
        return Err(e);
    }
    Ok(PreparedOpen {
        opens,
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
    // In order: every open of a batch but the last only records the
    // transaction; the last one has LND publish it. A failure on any of
    // them means nothing was published: all are cancelled.
    for open in &prepared.opens {
        if let Err(e) = channels.shim_finalize(open, &tx).await {
            abort(channels, node, &prepared).await;
            return Err(e.into());
        }
    }
    let review = prepared.funded.review.clone();
    let mut opened = Vec::new();
    for open in prepared.opens {
        opened.push(channels.shim_pending(open, &tx).await?);
    }
    Ok(OpenedWithPsbt {
        channels: opened,
        review,
        signed_inputs,
    })
}

/// The user declined (or something failed): LND and the peer forget the
/// open, the coins are released.
pub async fn abort(channels: &Channels, node: &PsbtNode, prepared: &PreparedOpen) {
    cancel_logged(channels, &prepared.opens).await;
    spend::release_logged(node, &prepared.funded.leases).await;
}
