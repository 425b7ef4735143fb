//! PSBTs with the wallet's keys: the review shown before signing, decided by
//! re-deriving through the wallet's own descriptors (see
//! [`switchyard_pure::psbt::review`]).

use crate::wallet::{WalletError, WalletService};
use secrecy::SecretString;
pub use switchyard_pure::psbt::review::{
    review, InputReview, OurDescriptor, OutputKind, OutputReview, Owner, Policy, Review, Warning,
};
pub use switchyard_pure::psbt::sign::{
    check_signable, extract, finalize, sign_ours, FinalizeError, SignError, SignOptions,
};
pub use switchyard_pure::psbt::verify::{
    combine, merge_signed, same_as_reviewed, verify_signatures, Verified, VerifyError,
};
pub use switchyard_pure::psbt::{our_descriptors, parse, qr, v2, version_of, ParseError};

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
    /// The signer refused or failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Finalizing or extracting.
    #[error(transparent)]
    Finalize(#[from] FinalizeError),
    /// A signature that does not verify, or PSBTs that cannot be combined.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// No wallet to decide what is ours.
    #[error("No wallet here: a wallet's descriptors tell what is yours.")]
    NoWallet,
    /// Several wallets, none named.
    #[error("Several wallets: choose one with --wallet.")]
    SeveralWallets,
    /// Writing a PSBT file.
    #[error("The PSBT could not be saved to {path}: {detail}.")]
    File {
        /// Where.
        path: String,
        /// Why.
        detail: String,
    },
}

impl From<switchyard_pure::psbt::qr::QrError> for PsbtError {
    fn from(e: switchyard_pure::psbt::qr::QrError) -> Self {
        PsbtError::Parse(e.into())
    }
}

/// A PSBT as QR codes: BBQr frames (shown in turn when more than one) and
/// each drawn as an SVG image (a `data:` URL the app's page may show).
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct QrFrames {
    /// The frames' text, in order.
    pub parts: Vec<String>,
    /// Each frame as `data:image/svg+xml;base64,…`.
    pub images: Vec<String>,
}

/// `psbt` (base64, binary or BBQr text) as BBQr QR frames.
pub fn qr_frames(psbt: &[u8]) -> Result<QrFrames, PsbtError> {
    use bitcoin::base64::Engine;
    use switchyard_pure::psbt::qr;
    let parts = qr::frames(&parse(psbt)?)?;
    let images = parts
        .iter()
        .map(|p| {
            qr::svg(p).map(|svg| {
                format!(
                    "data:image/svg+xml;base64,{}",
                    bitcoin::base64::engine::general_purpose::STANDARD.encode(svg)
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(QrFrames { parts, images })
}

/// Saves `psbt` as a binary `.psbt` file (what hardware wallets and other
/// wallets open) in `dir`, named after its transaction; returns the path.
pub fn save_psbt(dir: &std::path::Path, psbt: &[u8]) -> Result<std::path::PathBuf, PsbtError> {
    let parsed = parse(psbt)?;
    let txid = parsed.unsigned_tx.compute_txid().to_string();
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let path = dir.join(format!("psbt-{}-{secs}.psbt", &txid[..12]));
    crate::files::write_private(&path, &parsed.serialize()).map_err(|e| PsbtError::File {
        path: path.display().to_string(),
        detail: e.to_string(),
    })?;
    Ok(path)
}

/// The wallet named, or the only one there is.
pub async fn pick_wallet(
    wallets: &WalletService,
    given: Option<&str>,
) -> Result<String, PsbtError> {
    if let Some(w) = given {
        return Ok(w.to_string());
    }
    match wallets.list().await?.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(PsbtError::NoWallet),
        _ => Err(PsbtError::SeveralWallets),
    }
}

/// A PSBT signed by the wallet's software signer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignedPsbt {
    /// The signed PSBT, base64.
    pub psbt: String,
    /// What was reviewed before signing.
    pub review: Review,
    /// The inputs signed.
    pub signed_inputs: Vec<usize>,
}

/// Reviews `psbt` (base64 text or binary) against every account of the
/// wallet `wallet` (id or name).
pub async fn review_with_wallet(
    wallets: &WalletService,
    wallet: &str,
    psbt: &[u8],
) -> Result<Review, PsbtError> {
    let psbt = parse(psbt)?;
    review_against_wallet(wallets, wallet, &psbt).await
}

/// Reviews `psbt`, then signs the inputs the review proved the wallet's
/// with its software signer (the seed from the keychain, for this call).
/// With an app password set, signing needs it (`app_password`).
pub async fn sign_with_wallet(
    wallets: &WalletService,
    wallet: &str,
    psbt: &[u8],
    opts: SignOptions,
    app_password: Option<&SecretString>,
) -> Result<SignedPsbt, PsbtError> {
    let mut psbt = parse(psbt)?;
    let review = review_against_wallet(wallets, wallet, &psbt).await?;
    let id = wallets.resolve(wallet).await?.id;
    wallets.reauth(app_password).await?;
    let signed = wallets
        .with_master_key(&id, |master| sign_ours(&mut psbt, master, &review, opts))
        .await;
    let rec = crate::audit::Record::new(crate::audit::Kind::PsbtSign)
        .on(format!("wallet:{id}"))
        .with("for", "psbt sign")
        .with("signer", "seed")
        .with("txid", psbt.unsigned_tx.compute_txid());
    let outcome = match &signed {
        Ok(Ok(inputs)) => Ok(format!("{inputs:?}")),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let rec = match &outcome {
        Ok(inputs) => rec.with("inputs", inputs),
        Err(_) => rec,
    };
    wallets.audit().note(rec, &outcome).await;
    let signed_inputs = signed??;
    Ok(SignedPsbt {
        psbt: psbt.to_string(),
        review,
        signed_inputs,
    })
}

/// Reviews a parsed PSBT against every account of the wallet `wallet`.
pub async fn review_against_wallet(
    wallets: &WalletService,
    wallet: &str,
    psbt: &bitcoin::psbt::Psbt,
) -> Result<Review, PsbtError> {
    let (w, ours) = wallet_descriptors(wallets, wallet).await?;
    Ok(review(psbt, &Policy::new(w.network.to_bitcoin(), ours)))
}

/// The wallet `wallet` (id or name) and every descriptor of its accounts
/// (receive and change): what decides which inputs and outputs are ours.
pub async fn wallet_descriptors(
    wallets: &WalletService,
    wallet: &str,
) -> Result<(crate::wallet::WalletSummary, Vec<OurDescriptor>), PsbtError> {
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
    Ok((w, ours))
}
