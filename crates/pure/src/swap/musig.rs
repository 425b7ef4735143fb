//! Cooperative (key-path) spending of a swap output with MuSig2 (BIP327).
//!
//! The output key is the aggregate of `[provider, user]` (in that order, as
//! Boltz does) tweaked by BIP341's TapTweak with the tree's merkle root; the
//! tweak is applied inside the MuSig2 key-aggregation context, so the two
//! partial signatures add up to a BIP340 signature under the output key.
//!
//! Two roles, whoever asks first:
//! - the **initiator** makes a nonce, sends its public nonce with the
//!   transaction, gets the other side's public nonce and partial signature
//!   back, signs its own part, checks the other's and aggregates
//!   ([`Initiated::finish`]); the final signature is verified against the
//!   output key before it is returned.
//! - the **responder** gets a public nonce and a message, makes its own nonce
//!   and answers with its public nonce and partial signature ([`respond`]).
//!
//! Nonces (66 bytes) and partial signatures (32 bytes) cross as bytes, as
//! Boltz's API sends them in hex. A secret nonce is consumed by signing and
//! never stored, so it cannot be used twice.

use bitcoin::hashes::Hash;
use bitcoin::key::TapTweak;
use bitcoin::secp256k1::{Keypair, PublicKey, XOnlyPublicKey};
use bitcoin::taproot::TapNodeHash;
use secp256k1_musig as m;

/// Why cooperative signing could not go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoopError {
    /// A key is not a valid point.
    #[error("a key of the swap is not a valid secp256k1 key")]
    BadKey,
    /// The TapTweak could not be applied (probability ~2^-128).
    #[error("the swap's taproot tweak is invalid")]
    BadTweak,
    /// The other side's public nonce does not parse.
    #[error("the provider's MuSig2 nonce is malformed (expected 66 bytes of two valid points)")]
    BadNonce,
    /// The other side's partial signature does not parse.
    #[error("the provider's partial signature is malformed")]
    BadPartialSignature,
    /// The other side's partial signature is not valid for this transaction.
    #[error(
        "the provider's partial signature does not verify for this transaction: it was refused"
    )]
    InvalidPartialSignature,
    /// Our key is not one of the two the output was made from.
    #[error("our key is not one of the swap's keys")]
    NotASigner,
}

/// The key-aggregation context of one swap output: `[provider, user]`,
/// tweaked for taproot with the tree's merkle root.
#[derive(Clone)]
pub struct CoopContext {
    cache: m::musig::KeyAggCache,
    provider: m::PublicKey,
    user: m::PublicKey,
    output_key: XOnlyPublicKey,
}

impl std::fmt::Debug for CoopContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoopContext")
            .field("output_key", &self.output_key)
            .finish_non_exhaustive()
    }
}

fn to_musig_pk(pk: &PublicKey) -> Result<m::PublicKey, CoopError> {
    m::PublicKey::from_byte_array_compressed(pk.serialize()).map_err(|_| CoopError::BadKey)
}

fn to_musig_keypair(kp: &Keypair) -> Result<m::Keypair, CoopError> {
    let secret = zeroize::Zeroizing::new(kp.secret_bytes());
    m::Keypair::from_secret_bytes(*secret).map_err(|_| CoopError::BadKey)
}

impl CoopContext {
    /// The context for the output whose internal key aggregates `provider`
    /// and `user` and whose tree has `merkle_root`.
    pub fn new(
        provider: &PublicKey,
        user: &PublicKey,
        merkle_root: Option<TapNodeHash>,
    ) -> Result<Self, CoopError> {
        let p = to_musig_pk(provider)?;
        let u = to_musig_pk(user)?;
        let mut cache = m::musig::KeyAggCache::new(&[&p, &u]);
        let internal = XOnlyPublicKey::from_slice(&cache.agg_pk().to_byte_array())
            .map_err(|_| CoopError::BadKey)?;
        // BIP341: t = hash_TapTweak(internal ‖ merkle_root); the same value
        // bitcoin's `tap_tweak` adds, so the output key agrees with
        // `tree::spend_info`.
        let tweak = bitcoin::taproot::TapTweakHash::from_key_and_tweak(internal, merkle_root);
        let scalar =
            m::Scalar::from_be_bytes(tweak.to_byte_array()).map_err(|_| CoopError::BadTweak)?;
        let tweaked = cache
            .pubkey_xonly_tweak_add(&scalar)
            .map_err(|_| CoopError::BadTweak)?;
        let output_key = XOnlyPublicKey::from_slice(&tweaked.x_only_public_key().0.to_byte_array())
            .map_err(|_| CoopError::BadKey)?;
        // Cross-check with bitcoin's own tweak (a disagreement would mean
        // signatures that never verify on chain).
        let (expected, _) = internal.tap_tweak(crate::keys::account::secp(), merkle_root);
        if expected.to_x_only_public_key() != output_key {
            return Err(CoopError::BadTweak);
        }
        Ok(CoopContext {
            cache,
            provider: p,
            user: u,
            output_key,
        })
    }

    /// The taproot output key the cooperative signature verifies under.
    pub fn output_key(&self) -> XOnlyPublicKey {
        self.output_key
    }

    fn other_than(&self, ours: &m::PublicKey) -> Result<m::PublicKey, CoopError> {
        if *ours == self.provider {
            Ok(self.user)
        } else if *ours == self.user {
            Ok(self.provider)
        } else {
            Err(CoopError::NotASigner)
        }
    }
}

fn parse_nonce(bytes: &[u8]) -> Result<m::musig::PublicNonce, CoopError> {
    let arr: [u8; 66] = bytes.try_into().map_err(|_| CoopError::BadNonce)?;
    m::musig::PublicNonce::from_byte_array(&arr).map_err(|_| CoopError::BadNonce)
}

fn nonce_pair(
    ctx: &CoopContext,
    ours: &m::Keypair,
    msg: &[u8; 32],
    session_rand: [u8; 32],
) -> (m::musig::SecretNonce, m::musig::PublicNonce) {
    // `session_rand` must be fresh uniform randomness for every signing
    // session (callers pass 32 bytes from the OS generator); the key, the
    // message and the aggregate key are mixed in too, as BIP327 suggests.
    let secrand =
        m::musig::SessionSecretRand::assume_unique_per_nonce_gen(session_rand, &ours.secret_key());
    m::musig::new_nonce_pair(
        secrand,
        Some(&ctx.cache),
        Some(ours.secret_key()),
        ours.public_key(),
        Some(msg),
        None,
    )
}

/// Our side of a session we start: the secret nonce (consumed by
/// [`Initiated::finish`]) and the public nonce to send.
pub struct Initiated {
    secret: m::musig::SecretNonce,
    public: m::musig::PublicNonce,
    msg: [u8; 32],
}

impl std::fmt::Debug for Initiated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Initiated").finish_non_exhaustive()
    }
}

/// Starts a cooperative signature of `msg` (a BIP341 key-path sighash).
pub fn initiate(
    ctx: &CoopContext,
    ours: &Keypair,
    msg: [u8; 32],
    session_rand: [u8; 32],
) -> Result<Initiated, CoopError> {
    let kp = to_musig_keypair(ours)?;
    ctx.other_than(&kp.public_key())?;
    let (secret, public) = nonce_pair(ctx, &kp, &msg, session_rand);
    Ok(Initiated {
        secret,
        public,
        msg,
    })
}

impl Initiated {
    /// The public nonce to send (66 bytes).
    pub fn public_nonce(&self) -> [u8; 66] {
        self.public.serialize()
    }

    /// Signs our part, checks the other side's partial signature, aggregates
    /// and checks the result under the output key.
    pub fn finish(
        self,
        ctx: &CoopContext,
        ours: &Keypair,
        their_nonce: &[u8],
        their_partial: &[u8],
    ) -> Result<bitcoin::secp256k1::schnorr::Signature, CoopError> {
        let kp = to_musig_keypair(ours)?;
        let theirs = ctx.other_than(&kp.public_key())?;
        let their_nonce = parse_nonce(their_nonce)?;
        let their_partial: [u8; 32] = their_partial
            .try_into()
            .map_err(|_| CoopError::BadPartialSignature)?;
        let their_partial = m::musig::PartialSignature::from_byte_array(&their_partial)
            .map_err(|_| CoopError::BadPartialSignature)?;
        let agg = m::musig::AggregatedNonce::new(&[&self.public, &their_nonce]);
        let session = m::musig::Session::new(&ctx.cache, agg, &self.msg);
        if !session.partial_verify(&ctx.cache, &their_partial, &their_nonce, theirs) {
            return Err(CoopError::InvalidPartialSignature);
        }
        let our_partial = session.partial_sign(self.secret, &kp, &ctx.cache);
        let sig = session
            .partial_sig_agg(&[&our_partial, &their_partial])
            .assume_valid();
        let sig = bitcoin::secp256k1::schnorr::Signature::from_slice(&sig.to_byte_array())
            .map_err(|_| CoopError::InvalidPartialSignature)?;
        let msg = bitcoin::secp256k1::Message::from_digest(self.msg);
        crate::keys::account::secp()
            .verify_schnorr(&sig, &msg, &ctx.output_key)
            .map_err(|_| CoopError::InvalidPartialSignature)?;
        Ok(sig)
    }
}

/// The responder's answer: its public nonce and partial signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    /// 66 bytes.
    pub public_nonce: [u8; 66],
    /// 32 bytes.
    pub partial_signature: [u8; 32],
}

/// Answers a cooperative-signing request: a fresh nonce and our partial
/// signature of `msg` under the other side's `their_nonce`.
pub fn respond(
    ctx: &CoopContext,
    ours: &Keypair,
    their_nonce: &[u8],
    msg: [u8; 32],
    session_rand: [u8; 32],
) -> Result<Response, CoopError> {
    let kp = to_musig_keypair(ours)?;
    ctx.other_than(&kp.public_key())?;
    let their_nonce = parse_nonce(their_nonce)?;
    let (secret, public) = nonce_pair(ctx, &kp, &msg, session_rand);
    let agg = m::musig::AggregatedNonce::new(&[&their_nonce, &public]);
    let session = m::musig::Session::new(&ctx.cache, agg, &msg);
    let partial = session.partial_sign(secret, &kp, &ctx.cache);
    Ok(Response {
        public_nonce: public.serialize(),
        partial_signature: partial.serialize(),
    })
}
