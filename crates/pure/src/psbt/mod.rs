//! PSBTs (BIP174/370): what is pure about them.
//!
//! - [`review`]: what a PSBT spends and pays, decided through our own
//!   descriptors, with the warnings a user must see before signing.
//! - [`sign`]: the software signer (only inputs the review proved ours),
//!   the finalizer and the extractor.
//! - [`verify`]: every signature checked, and a PSBT back from a signer
//!   checked to be the one reviewed; the combiner.
//! - [`qr`]: PSBTs as BBQr QR frames (animated when large) and back.
//! - [`v2`]: version 2 PSBTs (BIP370) read as version 0.

pub mod qr;
pub mod review;
pub mod sign;
pub mod v2;
pub mod verify;

use bitcoin::psbt::Psbt;

/// Why a PSBT could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Neither base64 text nor a binary PSBT.
    #[error("This is not a PSBT: expected base64 text starting with \"cHNidP\", a binary file starting with \"psbt\", or BBQr QR frames starting with \"B$\".")]
    NotPsbt,
    /// A PSBT whose contents break BIP174.
    #[error("This PSBT is malformed ({0}); export it again from the wallet that made it.")]
    Malformed(String),
    /// BBQr frames that do not join into a PSBT.
    #[error(transparent)]
    Qr(#[from] qr::QrError),
}

/// Reads a PSBT as wallets export it: base64 text, a binary file, or the
/// text of BBQr QR frames (one per line, as a scanner gives them); version
/// 0 or version 2 (BIP370, read as the same PSBT in version 0).
pub fn parse(input: &[u8]) -> Result<Psbt, ParseError> {
    if input.starts_with(MAGIC) {
        return from_binary(input);
    }
    let text = std::str::from_utf8(input)
        .map(str::trim)
        .map_err(|_| ParseError::NotPsbt)?;
    if qr::is_bbqr(text) {
        return Ok(qr::join(text)?);
    }
    if !text.starts_with("cHNidP") {
        return Err(ParseError::NotPsbt);
    }
    use bitcoin::base64::Engine;
    let bytes = bitcoin::base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| ParseError::Malformed(format!("its base64 is broken: {e}")))?;
    from_binary(&bytes)
}

const MAGIC: &[u8] = b"psbt\xff";

/// The version a PSBT was written in (0 or 2), as [`parse`] reads it;
/// `None` for what is not a single PSBT's bytes or base64 (BBQr frames
/// carry no version a reply should keep).
pub fn version_of(input: &[u8]) -> Option<u32> {
    let bytes = if input.starts_with(MAGIC) {
        input.to_vec()
    } else {
        use bitcoin::base64::Engine;
        let text = std::str::from_utf8(input).ok()?.trim();
        if !text.starts_with("cHNidP") {
            return None;
        }
        bitcoin::base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?
    };
    Some(v2::version(&bytes).unwrap_or(0))
}

/// Reads a binary PSBT, version 0 or 2.
pub fn from_binary(bytes: &[u8]) -> Result<Psbt, ParseError> {
    let malformed = |e: String| ParseError::Malformed(e);
    match v2::version(bytes) {
        Some(2) => {
            let v0 = v2::to_v0(bytes).map_err(|e| malformed(e.to_string()))?;
            Psbt::deserialize(&v0).map_err(|e| malformed(e.to_string()))
        }
        Some(v) if v > 2 || v == 1 => Err(malformed(format!("version {v}, which no BIP defines"))),
        _ => {
            v2::check_v0(bytes).map_err(|e| malformed(e.to_string()))?;
            Psbt::deserialize(bytes).map_err(|e| malformed(e.to_string()))
        }
    }
}

/// Our descriptors as the review wants them, from descriptor strings
/// (receive or change chain each).
pub fn our_descriptors(
    list: &[(String, bool)],
) -> Result<Vec<review::OurDescriptor>, miniscript::Error> {
    use std::str::FromStr;
    list.iter()
        .map(|(d, change)| {
            Ok(review::OurDescriptor {
                descriptor: miniscript::Descriptor::from_str(d)?,
                change: *change,
            })
        })
        .collect()
}
