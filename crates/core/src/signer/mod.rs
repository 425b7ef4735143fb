//! Signers: who holds the keys that sign a PSBT.
//!
//! [`Signer`] mirrors async-hwi's `HWI` trait (fingerprint, xpub at a path,
//! an address shown on the device, a wallet policy registered where a device
//! needs one, a PSBT signed). Two kinds implement it:
//!
//! - [`software::SoftwareSigner`]: a Switchyard wallet's seed, read from the
//!   keychain for one call and erased after;
//! - [`ledger::LedgerSigner`]: a Ledger with its Bitcoin app (2.0 and
//!   later), spoken to directly over USB (or TCP to an emulator) with
//!   Ledger's own protocol client — no HWI, no Python;
//! - [`direct::DirectSigner`]: a BitBox02, Coldcard, Jade or Specter, spoken
//!   to directly through async-hwi;
//! - [`hwi::HwiSigner`]: any other hardware wallet (Trezor, KeepKey, and
//!   Ledgers with apps older than 2.0) through HWI, Bitcoin Core's hardware
//!   wallet interface, run as a subprocess with JSON output.
//!
//! Whatever the signer, [`sign_reviewed`] is the only way a signature
//! reaches a PSBT the app uses: the review is checked first (the same
//! refusals as the software signer's), the signer sees only our inputs' key
//! paths, and what comes back must be the reviewed transaction with
//! signatures that verify.

pub mod direct;
pub mod hwi;
pub mod ledger;
pub mod software;

use crate::psbt::{check_signable, Review, SignError, SignOptions};
use async_trait::async_trait;
use bitcoin::bip32::{DerivationPath, Fingerprint, Xpub};
use bitcoin::psbt::Psbt;
use serde::Serialize;
use switchyard_pure::psbt::verify::{merge_signed, Verified, VerifyError};

/// The script an address on a device is for (single-key accounts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressKind {
    /// BIP84 P2WPKH.
    Wpkh,
    /// BIP49 P2SH-P2WPKH.
    ShWpkh,
    /// BIP86 P2TR.
    Tr,
    /// BIP44 P2PKH.
    Pkh,
}

impl AddressKind {
    /// The kind of a BIP44/49/84/86 path, from its purpose.
    pub fn of_path(path: &DerivationPath) -> Option<AddressKind> {
        use bitcoin::bip32::ChildNumber;
        match path.as_ref().first()? {
            ChildNumber::Hardened { index: 84 } => Some(AddressKind::Wpkh),
            ChildNumber::Hardened { index: 49 } => Some(AddressKind::ShWpkh),
            ChildNumber::Hardened { index: 86 } => Some(AddressKind::Tr),
            ChildNumber::Hardened { index: 44 } => Some(AddressKind::Pkh),
            _ => None,
        }
    }
}

/// Why a signer could not do what was asked; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// HWI is not installed where we look.
    #[error("Hardware wallets are reached through HWI, which was not found ({0}). Run scripts/run.sh (it installs HWI 3.2.0 under ~/.cache/switchyard/hwi) or set SWITCHYARD_HWI to the hwi program.")]
    HwiMissing(String),
    /// No device matched.
    #[error("No hardware wallet {0} is connected. Plug it in, unlock it and open its Bitcoin app, then try again.")]
    NoDevice(String),
    /// The device is locked or its app is not open.
    #[error("The {0} is not ready: unlock it (PIN) and open its Bitcoin app, then try again.")]
    NotReady(String),
    /// Another app (or none) is open on the device.
    #[error("The {device} has {open} open; this wallet needs its {want} app: open it on the device, then try again.")]
    WrongApp {
        /// Which device.
        device: String,
        /// What is open ("no app", "its Ethereum app").
        open: String,
        /// The app needed.
        want: String,
    },
    /// A Ledger Bitcoin app too old for wallet policies.
    #[error("The {device}'s Bitcoin app is version {version}: Switchyard talks to 2.0 and later directly. Update it in Ledger Live (or install HWI, which still speaks the old protocol).")]
    OldApp {
        /// Which device.
        device: String,
        /// Its app's version.
        version: String,
    },
    /// The user declined on the device.
    #[error("You declined on the {0}; nothing was signed or shown.")]
    Declined(String),
    /// The device (or HWI) failed.
    #[error("The {device} answered with an error: {message}")]
    Device {
        /// Which device.
        device: String,
        /// What it said.
        message: String,
    },
    /// The device showed an address other than ours.
    #[error("The {device} shows {shown}, but your wallet derives {expected} for {path}: do not use this address.")]
    AddressMismatch {
        /// Which device.
        device: String,
        /// What it showed.
        shown: String,
        /// What we derived.
        expected: String,
        /// The path.
        path: String,
    },
    /// The signer signed none of our inputs.
    #[error("The {0} signed none of your inputs: is this the device (and account) whose keys the PSBT names?")]
    SignedNothing(String),
    /// The wallet (software signer).
    #[error(transparent)]
    Wallet(#[from] crate::wallet::WalletError),
    /// The review refuses signing.
    #[error(transparent)]
    Refused(#[from] SignError),
    /// What came back does not hold.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A path or key that does not parse.
    #[error("{0}")]
    Invalid(String),
}

/// Who can sign: a wallet's seed or a hardware wallet.
#[async_trait]
pub trait Signer: Send + Sync {
    /// What to call it in messages ("Ledger Nano S Plus", "wallet savings").
    fn label(&self) -> String;
    /// The master key's fingerprint (the PSBT's key origins name it).
    async fn fingerprint(&self) -> Result<Fingerprint, SignerError>;
    /// The extended public key at `path`.
    async fn xpub(&self, path: &DerivationPath) -> Result<Xpub, SignerError>;
    /// The address at `path` as the signer derives it; a device shows it on
    /// its screen and returns it once the user confirmed.
    async fn display_address(
        &self,
        path: &DerivationPath,
        kind: AddressKind,
    ) -> Result<String, SignerError>;
    /// Registers a wallet policy (descriptor) on devices that need one for
    /// anything beyond single-key accounts; returns the device's proof of
    /// registration (Ledger's HMAC) where there is one.
    async fn register_wallet(
        &self,
        name: &str,
        descriptor: &str,
    ) -> Result<Option<Vec<u8>>, SignerError>;
    /// Signs `psbt`, returning it with the signer's signatures.
    async fn sign(&self, psbt: &Psbt) -> Result<Psbt, SignerError>;
}

/// A PSBT signed by a [`Signer`] after review.
#[derive(Debug, Clone, Serialize)]
pub struct SignedBy {
    /// The reviewed PSBT with the new signatures.
    #[serde(serialize_with = "as_base64")]
    pub psbt: Psbt,
    /// The inputs that gained a signature.
    pub signed_inputs: Vec<usize>,
    /// Signatures verified (all of the PSBT's, not only the new ones).
    pub verified: Verified,
}

fn as_base64<S: serde::Serializer>(p: &Psbt, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.to_string())
}

fn signature_count(input: &bitcoin::psbt::Input) -> usize {
    input.partial_sigs.len()
        + usize::from(input.tap_key_sig.is_some())
        + input.tap_script_sigs.len()
}

/// Signs `psbt` with `signer` after its review allowed it: the signer gets
/// the PSBT with the key paths of inputs not ours removed (so a path of ours
/// attached to someone else's script is not signed for), and what comes
/// back must spend and pay exactly what was reviewed, with every signature
/// verifying. Returns the reviewed PSBT with the signatures merged in.
pub async fn sign_reviewed(
    signer: &dyn Signer,
    psbt: &Psbt,
    review: &Review,
    opts: SignOptions,
) -> Result<SignedBy, SignerError> {
    let ours = check_signable(review, opts)?;
    let mut outgoing = psbt.clone();
    for (n, input) in outgoing.inputs.iter_mut().enumerate() {
        if !ours.contains(&n) {
            input.bip32_derivation.clear();
            input.tap_key_origins.clear();
        }
    }
    let back = signer.sign(&outgoing).await?;
    let (merged, verified) = merge_signed(psbt, back)?;
    let signed_inputs: Vec<usize> = ours
        .into_iter()
        .filter(|n| signature_count(&merged.inputs[*n]) > signature_count(&psbt.inputs[*n]))
        .collect();
    if signed_inputs.is_empty() {
        return Err(SignerError::SignedNothing(signer.label()));
    }
    tracing::info!(signer = %signer.label(), inputs = ?signed_inputs, "PSBT signed after review");
    Ok(SignedBy {
        psbt: merged,
        signed_inputs,
        verified,
    })
}

/// Shows the address at `path` on `signer` and checks it against
/// `expected` (the address our descriptors derive), comparing scripts so a
/// device that prints another network's form of the same script (a testnet
/// app on regtest) still matches.
pub async fn verify_address(
    signer: &dyn Signer,
    path: &DerivationPath,
    kind: AddressKind,
    expected: &bitcoin::Address,
) -> Result<String, SignerError> {
    let shown = signer.display_address(path, kind).await?;
    let same = shown
        .parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>()
        .map(|a| a.assume_checked().script_pubkey() == expected.script_pubkey())
        .unwrap_or(false);
    if !same {
        return Err(SignerError::AddressMismatch {
            device: signer.label(),
            shown,
            expected: expected.to_string(),
            path: crate::keys::format_path(path),
        });
    }
    Ok(shown)
}
