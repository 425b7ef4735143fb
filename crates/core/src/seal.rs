//! Sealing a revealed secret to the window that asked for it.
//!
//! Recovery words and a node's password are shown in the web view when the
//! user asks. Sent as plain JSON, they would pass through WebKit's buffers in
//! the app's own process (measured: the answer `{"words":"…"}` stayed in an
//! IPC buffer after the app locked, where neither our zeroing allocator nor
//! glibc's reach). So the page makes a one-time P-256 key pair with WebCrypto
//! (its private half not extractable) and sends the public half with the
//! request; the core answers with the secret encrypted to it:
//!
//! - an ephemeral P-256 key of ours, ECDH with the page's key (the shared
//!   x-coordinate, 32 bytes, as WebCrypto's `deriveBits` gives it);
//! - HKDF-SHA256 (RFC 5869): salt = our public key ‖ the page's (both
//!   uncompressed, 65 bytes each), info = [`INFO`], 32 bytes;
//! - AES-256-GCM with a random 96-bit nonce and [`INFO`] as associated data.
//!
//! What crosses into the web view is ciphertext; the plain secret exists in
//! the core (zeroed when dropped) and in the page, which decrypts it.

use bitcoin::base64::engine::general_purpose::STANDARD;
use bitcoin::base64::Engine;
use ring::{aead, agreement, hkdf, rand};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The protocol's name, as HKDF info and AEAD associated data.
pub const INFO: &[u8] = b"switchyard/reveal/v1";

/// A secret encrypted to the page's key. Base64 (standard, padded) fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Sealed {
    /// Our ephemeral P-256 public key, uncompressed (65 bytes).
    pub from: String,
    /// The AES-GCM nonce (12 bytes).
    pub nonce: String,
    /// The ciphertext with its 16-byte tag.
    pub ciphertext: String,
}

/// Why a secret could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The page's key is not an uncompressed P-256 public key in base64.
    #[error("The window's key for this answer is not a P-256 public key; reload the window and try again.")]
    BadKey,
    /// The system's random source or the cipher failed.
    #[error("The answer could not be encrypted for the window.")]
    Crypto,
}

fn key_from(shared: &[u8], salt: &[u8]) -> Result<aead::LessSafeKey, SealError> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(shared);
    let okm = prk
        .expand(&[INFO], &aead::AES_256_GCM)
        .map_err(|_| SealError::Crypto)?;
    Ok(aead::LessSafeKey::new(aead::UnboundKey::from(okm)))
}

/// Encrypts `secret` to the page's public key `to` (base64 of the 65-byte
/// uncompressed point).
pub fn seal(secret: &[u8], to: &str) -> Result<Sealed, SealError> {
    let peer = STANDARD.decode(to.trim()).map_err(|_| SealError::BadKey)?;
    if peer.len() != 65 || peer[0] != 4 {
        return Err(SealError::BadKey);
    }
    let rng = rand::SystemRandom::new();
    let ours = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng)
        .map_err(|_| SealError::Crypto)?;
    let our_pub = ours.compute_public_key().map_err(|_| SealError::Crypto)?;
    let salt = [our_pub.as_ref(), &peer[..]].concat();
    let key = agreement::agree_ephemeral(
        ours,
        &agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, &peer),
        |shared| key_from(shared, &salt),
    )
    .map_err(|_| SealError::BadKey)??;
    let mut nonce = [0u8; 12];
    rand::SecureRandom::fill(&rng, &mut nonce).map_err(|_| SealError::Crypto)?;
    let mut buf = zeroize::Zeroizing::new(secret.to_vec());
    key.seal_in_place_append_tag(
        aead::Nonce::assume_unique_for_key(nonce),
        aead::Aad::from(INFO),
        &mut *buf,
    )
    .map_err(|_| SealError::Crypto)?;
    Ok(Sealed {
        from: STANDARD.encode(our_pub.as_ref()),
        nonce: STANDARD.encode(nonce),
        ciphertext: STANDARD.encode(&buf[..]),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The page's side, as ui/src/seal.ts does it with WebCrypto.
    fn open(sealed: &Sealed, page: agreement::EphemeralPrivateKey, page_pub: &[u8]) -> Vec<u8> {
        let from = STANDARD.decode(&sealed.from).unwrap();
        let salt = [&from[..], page_pub].concat();
        let key = agreement::agree_ephemeral(
            page,
            &agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, &from),
            |shared| key_from(shared, &salt),
        )
        .unwrap()
        .unwrap();
        let nonce: [u8; 12] = STANDARD.decode(&sealed.nonce).unwrap().try_into().unwrap();
        let mut buf = STANDARD.decode(&sealed.ciphertext).unwrap();
        let plain = key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(INFO),
                &mut buf,
            )
            .unwrap();
        plain.to_vec()
    }

    fn page() -> (agreement::EphemeralPrivateKey, Vec<u8>) {
        let rng = rand::SystemRandom::new();
        let k = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng).unwrap();
        let p = k.compute_public_key().unwrap().as_ref().to_vec();
        (k, p)
    }

    #[test]
    fn the_page_opens_what_was_sealed_to_it_and_nothing_shows_in_the_clear() {
        let words = b"legal winner thank year wave sausage worth useful legal winner thank yellow";
        let (k, p) = page();
        let sealed = seal(words, &STANDARD.encode(&p)).unwrap();
        let json = serde_json::to_string(&sealed).unwrap();
        assert!(
            !json.contains("legal") && !json.contains("winner"),
            "{json}"
        );
        assert_eq!(
            STANDARD.decode(&sealed.ciphertext).unwrap().len(),
            words.len() + 16
        );
        assert_eq!(open(&sealed, k, &p), words);
    }

    #[test]
    fn another_key_or_a_changed_byte_opens_nothing() {
        let (_, p) = page();
        let sealed = seal(b"secret", &STANDARD.encode(&p)).unwrap();
        let (other, other_pub) = page();
        let r = std::panic::catch_unwind(|| open(&sealed, other, &other_pub));
        assert!(r.is_err(), "another page's key must not open it");
        let (k, p) = page();
        let mut sealed = seal(b"secret", &STANDARD.encode(&p)).unwrap();
        let mut ct = STANDARD.decode(&sealed.ciphertext).unwrap();
        ct[0] ^= 1;
        sealed.ciphertext = STANDARD.encode(&ct);
        assert!(std::panic::catch_unwind(|| open(&sealed, k, &p)).is_err());
    }

    #[test]
    fn a_bad_page_key_is_refused_in_words() {
        for bad in [
            "",
            "not base64!",
            &STANDARD.encode([4u8; 33]),
            &STANDARD.encode([4u8; 65]),
        ] {
            let e = seal(b"x", bad).unwrap_err();
            assert!(matches!(e, SealError::BadKey), "{bad}: {e}");
            assert!(e.to_string().contains("reload the window"));
        }
    }
}
