//! Swap keys and preimages from the wallet's seed, so that every swap can be
//! found and finished from the recovery words alone.
//!
//! Path: `m/9735'/<coin>'/0'/<index>'` — a purpose of its own (9735, the
//! Lightning port; no BIP44/49/84/86 account lives under it) and **hardened
//! at every level**, the swap index included. An unhardened child's private
//! key together with its parent's xpub gives away the parent's private key;
//! a swap key is handed to signing code talking to a stranger (the provider),
//! so no swap key may ever be an unhardened child of anything we use.
//! The price: a provider cannot find our swaps from an xpub (Boltz's
//! `/v2/swap/restore` takes one); a rescue derives the public keys of the
//! index range here and asks for those.
//!
//! The preimage is a tagged hash of the swap's private key
//! (`SHA256(SHA256(tag) ‖ SHA256(tag) ‖ key)`, tag `Switchyard/swap-preimage`):
//! it reveals nothing of the key, and no other use of the key can produce it.

use crate::keys::account::{erase_xpriv, master_key, secp};
use crate::network::Network;
use bitcoin::bip32::{ChildNumber, DerivationPath};
use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::key::Keypair;
use bitcoin::secp256k1::PublicKey;
use zeroize::Zeroizing;

/// The first level of every swap key's path.
pub const SWAP_PURPOSE: u32 = 9735;

/// The largest index a swap key can have (hardened children stop at 2^31).
pub const MAX_INDEX: u32 = (1 << 31) - 1;

const PREIMAGE_TAG: &[u8] = b"Switchyard/swap-preimage";

/// A swap index out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("swap index {0} is beyond the last hardened index (2^31 - 1)")]
pub struct IndexOutOfRange(pub u32);

/// The derivation path of swap `index` on `network`.
pub fn swap_path(network: Network, index: u32) -> Result<DerivationPath, IndexOutOfRange> {
    let hardened = |n: u32| ChildNumber::from_hardened_idx(n).map_err(|_| IndexOutOfRange(n));
    Ok(DerivationPath::from(vec![
        hardened(SWAP_PURPOSE)?,
        hardened(network.coin_type())?,
        hardened(0)?,
        hardened(index)?,
    ]))
}

/// One swap's secrets. The key pair is erased when dropped; the preimage
/// sits in a zeroizing box.
pub struct SwapSecrets {
    index: u32,
    keypair: Keypair,
    preimage: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SwapSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwapSecrets")
            .field("index", &self.index)
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

impl Drop for SwapSecrets {
    fn drop(&mut self) {
        self.keypair.non_secure_erase();
    }
}

impl SwapSecrets {
    /// Which swap index these belong to.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The swap key pair (our refund key of a submarine swap, our claim key
    /// of a reverse swap, and our half of the MuSig2 key in both).
    pub fn keypair(&self) -> &Keypair {
        &self.keypair
    }

    /// The public key, compressed — what the provider is told.
    pub fn public_key(&self) -> PublicKey {
        self.keypair.public_key()
    }

    /// The preimage (revealed only when claiming, or to our own node for
    /// the invoice of a submarine swap).
    pub fn preimage(&self) -> &[u8; 32] {
        &self.preimage
    }

    /// SHA-256 of the preimage: the payment hash both legs are locked to.
    pub fn payment_hash(&self) -> [u8; 32] {
        sha256::Hash::hash(&self.preimage[..]).to_byte_array()
    }
}

/// Derives swap `index`'s key pair and preimage from a BIP39 seed.
pub fn derive_swap(
    seed: &[u8; 64],
    network: Network,
    index: u32,
) -> Result<SwapSecrets, IndexOutOfRange> {
    let path = swap_path(network, index)?;
    let mut master = master_key(seed, network);
    let derived = master.derive_priv(secp(), &path);
    erase_xpriv(&mut master);
    let mut xpriv = derived.unwrap_or_else(|e| unreachable!("hardened derivation: {e}"));
    let keypair = Keypair::from_secret_key(secp(), &xpriv.private_key);
    erase_xpriv(&mut xpriv);
    let preimage = tagged_preimage(&keypair);
    Ok(SwapSecrets {
        index,
        keypair,
        preimage,
    })
}

fn tagged_preimage(keypair: &Keypair) -> Zeroizing<[u8; 32]> {
    let tag = sha256::Hash::hash(PREIMAGE_TAG);
    let mut engine = sha256::Hash::engine();
    engine.input(tag.as_byte_array());
    engine.input(tag.as_byte_array());
    let secret = Zeroizing::new(keypair.secret_bytes());
    engine.input(&secret[..]);
    Zeroizing::new(sha256::Hash::from_engine(engine).to_byte_array())
}

/// The public keys of swaps `range` (what a rescue asks a provider about),
/// with their indexes.
pub fn public_keys(
    seed: &[u8; 64],
    network: Network,
    range: std::ops::Range<u32>,
) -> Result<Vec<(u32, PublicKey)>, IndexOutOfRange> {
    range
        .map(|i| derive_swap(seed, network, i).map(|s| (i, s.public_key())))
        .collect()
}
