//! PSBTs with the wallet's keys: the review shown before signing, decided by
//! re-deriving through the wallet's own descriptors (see
//! [`switchyard_pure::psbt::review`]).

use crate::wallet::{WalletError, WalletService};
pub use switchyard_pure::psbt::review::{
    review, InputReview, OurDescriptor, OutputKind, OutputReview, Owner, Policy, Review, Warning,
};
pub use switchyard_pure::psbt::{our_descriptors, parse, ParseError};

/// Why a PSBT could not be reviewed.
#[derive(Debug, thiserror::Error)]
pub enum PsbtError {
    /// Not a PSBT, or a malformed one.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The wallet.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// A stored descriptor that does not parse back.
    #[error("the wallet's descriptors could not be read back: {0}")]
    Descriptor(String),
}

/// Reviews `psbt` (base64 text or binary) against every account of the
/// wallet `wallet` (id or name).
pub async fn review_with_wallet(
    wallets: &WalletService,
    wallet: &str,
    psbt: &[u8],
) -> Result<Review, PsbtError> {
    let psbt = parse(psbt)?;
    let w = wallets.resolve(wallet).await?;
    let detail = wallets.detail(&w.id).await?;
    let list: Vec<(String, bool)> = detail
        .accounts
        .iter()
        .flat_map(|a| {
            [
                (a.receive_descriptor.clone(), false),
                (a.change_descriptor.clone(), true),
            ]
        })
        .collect();
    let ours = our_descriptors(&list).map_err(|e| PsbtError::Descriptor(e.to_string()))?;
    Ok(review(&psbt, &Policy::new(w.network.to_bitcoin(), ours)))
}
