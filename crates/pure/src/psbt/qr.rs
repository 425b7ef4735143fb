//! PSBTs over QR codes, for signers with a camera and no cable (Coldcard,
//! Passport, Keystone, SeedSigner, Sparrow's scanner): BBQr, Coinkite's
//! "Better Bitcoin QR" — each frame an 8-character header (`B$`, the
//! encoding, the file type, the number of frames and this frame's index in
//! base 36) and the data, zlib-compressed and base32-encoded so every frame
//! uses the QR alphanumeric mode; frames can be scanned in any order. A
//! PSBT too large for one frame becomes an animated series.
//!
//! The splitting and joining is the `bbqr` crate's; the images are drawn
//! by the `qrcode` crate as SVG.

use bitcoin::psbt::Psbt;

/// Why a PSBT could not be turned into QR frames or read back from them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// The PSBT does not fit in the frames allowed.
    #[error("This PSBT is too large for QR codes ({0}); save it as a file instead.")]
    TooLarge(String),
    /// The frames scanned do not join.
    #[error("The QR frames do not make a whole file: {0}. Scan every frame of the series.")]
    Join(String),
    /// The frames hold something else than a PSBT.
    #[error("These QR frames hold a {0}, not a PSBT.")]
    NotPsbt(&'static str),
}

/// The largest QR version a frame uses (97 modules a side, about 1,200
/// characters): a typical PSBT in one to three frames, each still easy for
/// a phone or a hardware wallet's camera at a laptop screen's size.
const MAX_VERSION: bbqr::qr::Version = bbqr::qr::Version::V20;

/// The BBQr frames of `psbt`, in order.
pub fn frames(psbt: &Psbt) -> Result<Vec<String>, QrError> {
    use bbqr::split::{Split, SplitOptions};
    let split = Split::try_from_data(
        &psbt.serialize(),
        bbqr::file_type::FileType::Psbt,
        SplitOptions {
            encoding: bbqr::encode::Encoding::Zlib,
            min_split_number: 1,
            max_split_number: 1295,
            min_version: bbqr::qr::Version::V01,
            max_version: MAX_VERSION,
        },
    )
    .map_err(|e| QrError::TooLarge(e.to_string()))?;
    Ok(split.parts)
}

/// Whether `text` looks like BBQr frames (one per line).
pub fn is_bbqr(text: &str) -> bool {
    text.trim_start().starts_with("B$")
}

/// The PSBT in BBQr frames given one per line (blank lines ignored, any
/// order).
pub fn join(text: &str) -> Result<Psbt, QrError> {
    let parts: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let joined =
        bbqr::join::Joined::try_from_parts(parts).map_err(|e| QrError::Join(e.to_string()))?;
    use bbqr::file_type::FileType;
    match joined.file_type {
        FileType::Psbt => {}
        FileType::Transaction => return Err(QrError::NotPsbt("signed transaction")),
        _ => return Err(QrError::NotPsbt("file of another kind")),
    }
    // Through the one reader: version 0 or 2, its fields checked.
    super::from_binary(&joined.data).map_err(|e| match e {
        super::ParseError::Malformed(r) => {
            QrError::Join(format!("the PSBT inside is malformed ({r})"))
        }
        other => QrError::Join(other.to_string()),
    })
}

/// `text` drawn as a QR code, an SVG document (black on white, with the
/// quiet zone), at the lowest error correction (the frames are sized for
/// it).
pub fn svg(text: &str) -> Result<String, QrError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::L)
        .map_err(|e| QrError::TooLarge(e.to_string()))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(320, 320)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}
