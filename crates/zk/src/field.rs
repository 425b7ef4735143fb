//! The field the circuit works in (the Pallas base field) and the ways our
//! data enters it.

use ff::PrimeField;
use sha2::{Digest, Sha256};

/// The Pallas base field: the circuit's field (proofs are over Vesta).
pub type Fp = pasta_curves::pallas::Base;

/// SHA-256 of a domain tag and some bytes, cut to 248 bits: always a field
/// element (the field has 254 bits), with 124-bit collision resistance.
pub fn digest(tag: &str, bytes: &[u8]) -> Fp {
    let mut h = Sha256::new();
    h.update(b"switchyard/audit/zk/");
    h.update(tag.as_bytes());
    h.update([0u8]);
    h.update(bytes);
    let mut repr = [0u8; 32];
    repr[..31].copy_from_slice(&h.finalize()[..31]);
    // Little-endian with the top byte zero: below the modulus.
    Option::from(Fp::from_repr(repr)).unwrap_or(Fp::zero())
}

/// A field element's 32 little-endian bytes.
pub fn to_repr(x: &Fp) -> [u8; 32] {
    x.to_repr()
}

/// A field element as 64 hex digits (its little-endian encoding).
pub fn to_hex(x: &Fp) -> String {
    x.to_repr().iter().map(|b| format!("{b:02x}")).collect()
}

/// A field element from [`to_hex`]'s form; `None` when it is not one.
pub fn from_hex(s: &str) -> Option<Fp> {
    let s = s.trim();
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut repr = [0u8; 32];
    for (i, b) in repr.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Option::from(Fp::from_repr(repr))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn digests_and_hex_round_trip() {
        let a = digest("kind", b"wallet_reveal");
        assert_ne!(a, digest("kind", b"wallet_delete"));
        assert_ne!(a, digest("actor", b"wallet_reveal"), "tags separate");
        assert_eq!(from_hex(&to_hex(&a)), Some(a));
        assert_eq!(from_hex("zz"), None);
        // The modulus itself is not an element.
        let p = "01000000ed302d991bf94c09fc98462200000000000000000000000000000040";
        assert_eq!(from_hex(p), None);
        assert_eq!(from_hex(&"00".repeat(32)), Some(Fp::zero()));
    }
}
