//! The audit log's own logic, no I/O: what an entry is, the chain that links
//! each entry to the one before, the Merkle tree over all of them, signed
//! tree heads, and the verdict on a log as stored or exported.
//!
//! Two layers of tamper evidence:
//! 1. **the chain**, for us: entry `i` is stored with
//!    `link_i = HMAC-SHA256(key, link_{i-1} ‖ line_i)` (`link_{-1}` is 32
//!    zero bytes, `line_i` the entry's canonical JSON). The key lives in the
//!    OS keychain; without it no entry can be edited, removed or moved
//!    without breaking every later link. [`verify`] names the first broken
//!    one.
//! 2. **the tree**, for anyone: the lines are the leaves of an RFC 9162
//!    Merkle tree ([`merkle`]); after each append a tree head (size, root,
//!    time) is signed with a BIP340 Schnorr key of the log's own
//!    ([`TreeHead`]). Someone holding only the public key checks that an
//!    export is what was signed, that one entry is in a signed tree
//!    (inclusion proof), and that a later tree only appended to an earlier
//!    one (consistency proof).
//!
//! An entry's canonical JSON is what the chain and the tree commit to: the
//! fields of [`Entry`] in their declared order, no whitespace, `detail`'s
//! keys sorted. Exports carry these lines byte for byte, so a checker hashes
//! what it reads and never re-encodes.

pub mod files;
pub mod merkle;

use bitcoin::hashes::{hmac, sha256, Hash as _, HashEngine as _};
use bitcoin::secp256k1::{self, schnorr, Keypair, Message, Secp256k1, XOnlyPublicKey};
use merkle::Hash;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// What was done. Each sensitive operation of the app is one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Kind {
    /// A wallet created from new words.
    WalletCreate,
    /// A wallet restored from words.
    WalletRestore,
    /// A watch-only wallet added.
    WalletImportWatch,
    /// A wallet's words shown.
    WalletReveal,
    /// A wallet deleted.
    WalletDelete,
    /// A node profile added.
    ProfileAdd,
    /// A node profile removed.
    ProfileRemove,
    /// A node profile put in use.
    ProfileUse,
    /// A node's password shown.
    NodePasswordReveal,
    /// A node's wallet initialised from our words.
    NodeInit,
    /// A node's wallet unlocked.
    NodeUnlock,
    /// A channel opened.
    ChannelOpen,
    /// A channel closed.
    ChannelClose,
    /// A channel's fees or limits changed.
    ChannelPolicy,
    /// An invoice paid.
    Payment,
    /// A keysend payment.
    Keysend,
    /// A rebalance (a payment to ourselves).
    Rebalance,
    /// An on-chain send from the node's wallet.
    OnchainSend,
    /// A step of a swap.
    SwapStep,
    /// A PSBT signed.
    PsbtSign,
    /// A transaction from a PSBT published.
    PsbtPublish,
    /// A static channel backup exported.
    BackupExport,
    /// A static channel backup restored.
    BackupRestore,
    /// The app lock's settings changed.
    LockSettings,
    /// The app unlocked.
    Unlock,
    /// A wrong app password.
    UnlockFailed,
    /// The app locked.
    Lock,
    /// The audit log exported.
    AuditExport,
    /// A zero-knowledge proof about an entry made.
    AuditProof,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 29] = [
        Kind::WalletCreate,
        Kind::WalletRestore,
        Kind::WalletImportWatch,
        Kind::WalletReveal,
        Kind::WalletDelete,
        Kind::ProfileAdd,
        Kind::ProfileRemove,
        Kind::ProfileUse,
        Kind::NodePasswordReveal,
        Kind::NodeInit,
        Kind::NodeUnlock,
        Kind::ChannelOpen,
        Kind::ChannelClose,
        Kind::ChannelPolicy,
        Kind::Payment,
        Kind::Keysend,
        Kind::Rebalance,
        Kind::OnchainSend,
        Kind::SwapStep,
        Kind::PsbtSign,
        Kind::PsbtPublish,
        Kind::BackupExport,
        Kind::BackupRestore,
        Kind::LockSettings,
        Kind::Unlock,
        Kind::UnlockFailed,
        Kind::Lock,
        Kind::AuditExport,
        Kind::AuditProof,
    ];

    /// Its name in entries and on the command line (`wallet_create`).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// One audit entry. Never holds a secret: what, when, by whom, on what, the
/// outcome, and facts a reader needs (amounts, ids, addresses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Entry {
    /// Its place in the log, from 0 (the tree's leaf index).
    #[ts(type = "number")]
    pub index: u64,
    /// When, Unix milliseconds.
    #[ts(type = "number")]
    pub at_ms: u64,
    /// Who: the face and the OS user (`desktop:alice`, `cli:alice`).
    pub actor: String,
    /// What.
    pub kind: Kind,
    /// On what: `wallet:<id>`, `profile:<id>`, `swap:<id>`, or none.
    pub subject: Option<String>,
    /// Whether it succeeded.
    pub ok: bool,
    /// Facts, by name (sorted): amounts with their unit, ids, the error's
    /// words when it failed.
    pub detail: BTreeMap<String, String>,
}

impl Entry {
    /// The canonical JSON the chain and the tree commit to.
    pub fn line(&self) -> String {
        // A struct of strings, numbers, booleans and a sorted map: always
        // encodes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a line back; `None` when it is not an entry or not canonical
    /// (re-encoding it would give other bytes).
    pub fn from_line(line: &str) -> Option<Entry> {
        let e: Entry = serde_json::from_str(line).ok()?;
        (e.line() == line).then_some(e)
    }
}

/// The chain's link of a line after `prev`: `HMAC-SHA256(key, prev ‖ line)`.
pub fn link(key: &[u8; 32], prev: &Hash, line: &str) -> Hash {
    let mut e = hmac::HmacEngine::<sha256::Hash>::new(key);
    e.input(prev);
    e.input(line.as_bytes());
    hmac::Hmac::<sha256::Hash>::from_engine(e).to_byte_array()
}

/// The blinding salt of entry `index` in the Poseidon tree zero-knowledge
/// proofs are about: `HMAC-SHA256(key, tag ‖ index)` with the chain's key,
/// so only the log's owner can open a leaf (without it, a guessable entry of
/// a small log could be confirmed from the signed root by trying guesses).
pub fn zk_salt(key: &[u8; 32], index: u64) -> [u8; 32] {
    let mut e = hmac::HmacEngine::<sha256::Hash>::new(key);
    e.input(b"switchyard/audit/zk-salt/v1");
    e.input(&index.to_be_bytes());
    hmac::Hmac::<sha256::Hash>::from_engine(e).to_byte_array()
}

/// The link before the first entry.
pub const GENESIS: Hash = [0u8; 32];

/// A signed tree head: the log had `size` entries with this root at this
/// time, says the holder of `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TreeHead {
    /// Entries in the tree.
    #[ts(type = "number")]
    pub size: u64,
    /// The RFC 9162 root, hex.
    pub root: String,
    /// When it was signed, Unix milliseconds.
    #[ts(type = "number")]
    pub at_ms: u64,
    /// The log's public key (BIP340 x-only), hex.
    pub key: String,
    /// BIP340 Schnorr signature over [`head_message`], hex.
    pub signature: String,
}

/// What a tree head's signature covers: SHA-256 of a domain tag, the size
/// (8 bytes big-endian), the root and the time (8 bytes big-endian).
pub fn head_message(size: u64, root: &Hash, at_ms: u64) -> [u8; 32] {
    let mut e = sha256::Hash::engine();
    e.input(b"switchyard/audit/tree-head/v1");
    e.input(&size.to_be_bytes());
    e.input(root);
    e.input(&at_ms.to_be_bytes());
    sha256::Hash::from_engine(e).to_byte_array()
}

/// Why a tree head cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    /// A field is not the hex it should be.
    #[error("the tree head's {0} is not valid")]
    Malformed(&'static str),
    /// Signed by another key than the one expected.
    #[error("the tree head is signed by {found}, not by the log's key {expected}")]
    OtherKey {
        /// The key it names.
        found: String,
        /// The key expected.
        expected: String,
    },
    /// The signature does not verify.
    #[error("the tree head's signature does not verify")]
    BadSignature,
}

/// 32 bytes from hex (`None` when it is not 64 hex digits).
pub fn unhex32(s: &str) -> Option<[u8; 32]> {
    <[u8; 32] as bitcoin::hex::FromHex>::from_hex(s).ok()
}

fn hex32(s: &str, what: &'static str) -> Result<[u8; 32], HeadError> {
    unhex32(s).ok_or(HeadError::Malformed(what))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bitcoin::hex::DisplayHex::to_lower_hex_string(bytes)
}

/// Checks a BIP340 signature `signature` (hex) by `key` (hex) over
/// `digest`, and that `key` is `expected` when one is pinned.
fn verify_signed(
    key: &str,
    signature: &str,
    expected: Option<&XOnlyPublicKey>,
    digest: [u8; 32],
) -> Result<(), HeadError> {
    let named =
        XOnlyPublicKey::from_slice(&hex32(key, "key")?).map_err(|_| HeadError::Malformed("key"))?;
    if let Some(want) = expected {
        if want != &named {
            return Err(HeadError::OtherKey {
                found: key.to_string(),
                expected: hex(&want.serialize()),
            });
        }
    }
    let sig_bytes = <Vec<u8> as bitcoin::hex::FromHex>::from_hex(signature)
        .map_err(|_| HeadError::Malformed("signature"))?;
    let sig = schnorr::Signature::from_slice(&sig_bytes)
        .map_err(|_| HeadError::Malformed("signature"))?;
    Secp256k1::verification_only()
        .verify_schnorr(&sig, &Message::from_digest(digest), &named)
        .map_err(|_: secp256k1::Error| HeadError::BadSignature)
}

impl TreeHead {
    /// Signs a head for `size` entries with `root` at `at_ms`.
    pub fn sign(keypair: &Keypair, size: u64, root: &Hash, at_ms: u64) -> TreeHead {
        let secp = Secp256k1::signing_only();
        let msg = Message::from_digest(head_message(size, root, at_ms));
        let sig = secp.sign_schnorr(&msg, keypair);
        TreeHead {
            size,
            root: hex(root),
            at_ms,
            key: hex(&keypair.x_only_public_key().0.serialize()),
            signature: hex(sig.as_ref()),
        }
    }

    /// The root as bytes.
    pub fn root_hash(&self) -> Result<Hash, HeadError> {
        hex32(&self.root, "root")
    }

    /// Checks the signature, and that the head is signed by `expected`
    /// when given (a checker pins the key it trusts; otherwise the head's
    /// own key is used).
    pub fn verify(&self, expected: Option<&XOnlyPublicKey>) -> Result<(), HeadError> {
        let digest = head_message(self.size, &self.root_hash()?, self.at_ms);
        verify_signed(&self.key, &self.signature, expected, digest)
    }
}

/// A signed log root for zero-knowledge proofs (`switchyard-zk`): "the log
/// of `size` entries has Poseidon root `poseidon_root`", says the holder of
/// `key` — the same key that signs the log's RFC 9162 heads. Its leaves are
/// salted ([`zk_salt`]), so the root says nothing about any entry; the
/// RFC 9162 root is left out for the same reason (its leaves are not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZkHead {
    /// Entries in the tree.
    pub size: u64,
    /// The Poseidon root (the field element's 32 little-endian bytes), hex.
    pub poseidon_root: String,
    /// When it was signed, Unix milliseconds.
    pub at_ms: u64,
    /// The log's public key (BIP340 x-only), hex.
    pub key: String,
    /// BIP340 Schnorr signature over [`zk_head_message`], hex.
    pub signature: String,
}

/// What a [`ZkHead`]'s signature covers: SHA-256 of a domain tag, the size
/// (8 bytes big-endian), the root and the time (8 bytes big-endian).
pub fn zk_head_message(size: u64, poseidon_root: &[u8; 32], at_ms: u64) -> [u8; 32] {
    let mut e = sha256::Hash::engine();
    e.input(b"switchyard/audit/zk-head/v1");
    e.input(&size.to_be_bytes());
    e.input(poseidon_root);
    e.input(&at_ms.to_be_bytes());
    sha256::Hash::from_engine(e).to_byte_array()
}

impl ZkHead {
    /// Signs the root.
    pub fn sign(keypair: &Keypair, size: u64, poseidon_root: &[u8; 32], at_ms: u64) -> ZkHead {
        let secp = Secp256k1::signing_only();
        let msg = Message::from_digest(zk_head_message(size, poseidon_root, at_ms));
        let sig = secp.sign_schnorr(&msg, keypair);
        ZkHead {
            size,
            poseidon_root: hex(poseidon_root),
            at_ms,
            key: hex(&keypair.x_only_public_key().0.serialize()),
            signature: hex(sig.as_ref()),
        }
    }

    /// Checks the signature (by `expected` when given, else by the key the
    /// head names).
    pub fn verify(&self, expected: Option<&XOnlyPublicKey>) -> Result<(), HeadError> {
        let root = hex32(&self.poseidon_root, "Poseidon root")?;
        let digest = zk_head_message(self.size, &root, self.at_ms);
        verify_signed(&self.key, &self.signature, expected, digest)
    }
}

/// The first thing wrong with a log, named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Break {
    /// A stored line is not an entry at all.
    #[error("the line at position {position} is not an audit entry")]
    Unreadable {
        /// Its position in the log.
        #[ts(type = "number")]
        position: u64,
    },
    /// An entry's content differs from what was chained.
    #[error("entry {index} was edited after it was written")]
    Edited {
        /// The entry.
        #[ts(type = "number")]
        index: u64,
    },
    /// Entries are missing from the middle of the log.
    #[error("entry {index} was deleted (the next entry is {next})")]
    Deleted {
        /// The first missing entry.
        #[ts(type = "number")]
        index: u64,
        /// The entry found in its place.
        #[ts(type = "number")]
        next: u64,
    },
    /// Entries are out of order.
    #[error("entries were reordered: entry {found} stands where entry {position} should")]
    Reordered {
        /// Where.
        #[ts(type = "number")]
        position: u64,
        /// The entry found there.
        #[ts(type = "number")]
        found: u64,
    },
    /// The log ends before a size that was signed.
    #[error("the log was truncated: it has {have} entries, but {signed} were signed")]
    Truncated {
        /// Entries present.
        #[ts(type = "number")]
        have: u64,
        /// Entries a signed head covers.
        #[ts(type = "number")]
        signed: u64,
    },
    /// Two signed heads disagree about the log: two histories were signed.
    #[error("the log forked: two different heads were signed at {size} entries")]
    Forked {
        /// The heads' size.
        #[ts(type = "number")]
        size: u64,
    },
    /// The entries no longer give the root a head signed for them: one of
    /// the first `size` entries was changed, removed or moved since.
    #[error("the entries do not match the head signed at {size} entries: one of them was changed after it was signed")]
    Rewritten {
        /// The head's size.
        #[ts(type = "number")]
        size: u64,
    },
    /// A head's signature does not hold.
    #[error("the tree head at {size} entries is not validly signed: {why}")]
    BadHead {
        /// Its size.
        #[ts(type = "number")]
        size: u64,
        /// Why.
        why: String,
    },
}

/// An entry as stored: its line and, where the chain is kept, its link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The canonical JSON.
    pub line: String,
    /// The chain's link (absent in a third party's export).
    pub link: Option<Hash>,
}

/// The verdict on a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Verdict {
    /// Entries read.
    #[ts(type = "number")]
    pub entries: u64,
    /// Signed heads checked.
    #[ts(type = "number")]
    pub heads: u64,
    /// Whether the HMAC chain was checked (only with the key).
    pub chain_checked: bool,
    /// The root of all entries, hex.
    pub root: String,
    /// The first thing wrong, if any.
    pub broken: Option<Break>,
    /// The break in a sentence, as every face shows it ("Entry 4 was
    /// edited after it was written.").
    pub broken_words: Option<String>,
}

impl Break {
    /// This break as a sentence: its words with a capital and a full stop.
    pub fn sentence(&self) -> String {
        let words = self.to_string();
        let mut chars = words.chars();
        match chars.next() {
            Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
            None => String::new(),
        }
    }
}

/// What [`verify`] checks a log against.
#[derive(Debug, Clone, Default)]
pub struct Expect<'a> {
    /// The chain's key (we have it; a third party does not).
    pub chain_key: Option<&'a [u8; 32]>,
    /// The log's public key the heads must be signed with.
    pub public_key: Option<&'a XOnlyPublicKey>,
    /// A head known from elsewhere (the keychain's copy of the latest, or
    /// one a third party kept): the log must still contain it.
    pub anchor: Option<&'a TreeHead>,
}

/// Checks a log: every line an entry in its place (1), the chain (2), every
/// head signed by the log's key (3), no head beyond the entries (4), no two
/// heads of one size disagreeing and every head the root of the entries it
/// covers (5).
/// Returns the first break found, in that order.
pub fn verify(entries: &[Stored], heads: &[TreeHead], expect: &Expect<'_>) -> Verdict {
    let mut leaves: Vec<Hash> = Vec::with_capacity(entries.len());
    let mut verdict = Verdict {
        entries: entries.len() as u64,
        heads: heads.len() as u64,
        chain_checked: expect.chain_key.is_some(),
        root: String::new(),
        broken: None,
        broken_words: None,
    };
    let broken = check(entries, heads, expect, &mut leaves).err();
    verdict.root = hex(&merkle::root(&leaves));
    verdict.broken_words = broken.as_ref().map(Break::sentence);
    verdict.broken = broken;
    verdict
}

fn check(
    entries: &[Stored],
    heads: &[TreeHead],
    expect: &Expect<'_>,
    leaves: &mut Vec<Hash>,
) -> Result<(), Break> {
    // 1.-2. Each line an entry in its place, each link the chain's.
    let present: std::collections::HashSet<u64> = entries
        .iter()
        .filter_map(|s| Entry::from_line(&s.line).map(|e| e.index))
        .collect();
    let mut prev = GENESIS;
    for (p, s) in entries.iter().enumerate() {
        let position = p as u64;
        let e = Entry::from_line(&s.line).ok_or(Break::Unreadable { position })?;
        if e.index != position {
            return Err(if e.index > position && !present.contains(&position) {
                Break::Deleted {
                    index: position,
                    next: e.index,
                }
            } else {
                Break::Reordered {
                    position,
                    found: e.index,
                }
            });
        }
        if let Some(key) = expect.chain_key {
            let want = link(key, &prev, &s.line);
            if s.link != Some(want) {
                return Err(Break::Edited { index: e.index });
            }
            prev = want;
        }
        leaves.push(merkle::leaf_hash(s.line.as_bytes()));
    }
    let have = leaves.len() as u64;
    // 3. Signatures.
    let all: Vec<&TreeHead> = heads.iter().chain(expect.anchor).collect();
    for h in &all {
        h.verify(expect.public_key).map_err(|e| Break::BadHead {
            size: h.size,
            why: e.to_string(),
        })?;
    }
    // 4. Nothing signed is missing.
    if let Some(max) = all.iter().map(|h| h.size).max() {
        if max > have {
            return Err(Break::Truncated { have, signed: max });
        }
    }
    // 5. Heads agree with each other and with the entries.
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            if a.size == b.size && a.root != b.root {
                return Err(Break::Forked { size: a.size });
            }
        }
        let size = usize::try_from(a.size).unwrap_or(usize::MAX);
        let root = a.root_hash().map_err(|e| Break::BadHead {
            size: a.size,
            why: e.to_string(),
        })?;
        if leaves.get(..size).map(merkle::root) != Some(root) {
            return Err(Break::Rewritten { size: a.size });
        }
    }
    Ok(())
}
