//! The audit log's side: which leaf an entry is, the log's and the set's
//! trees, the proof file a third party receives, and its check.
//!
//! A leaf is `Poseidon(kind, time, actor, ok, line)` where `kind`, `actor`
//! and `line` are digests ([`crate::field::digest`]) of the kind's name, the
//! actor and the entry's salt followed by its canonical JSON line (which
//! binds everything else: index, subject, details). The salt
//! ([`switchyard_pure::audit::zk_salt`], from the log's chain key) hides the
//! entry from anyone trying guesses against the signed root. The set of authorised actors is a tree of
//! `Poseidon(actor digest)` over the actors sorted and without repeats.

use crate::field::{self, digest, Fp};
use crate::tree::{member, Tree, TreeError, LOG_DEPTH, SET_DEPTH};
use crate::{Leaf, Prover, Statement, Verifier, Witness, ZkError, CIRCUIT};
use serde::{Deserialize, Serialize};
use switchyard_pure::audit::{self as audit_log, files::parse_key, Entry, Kind, ZkHead};

/// The format name of a zero-knowledge proof file.
pub const PROOF_FORMAT: &str = "switchyard-audit-zk-proof/1";

/// A zero-knowledge proof about one entry, for a third party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofFile {
    /// [`PROOF_FORMAT`].
    pub format: String,
    /// The circuit and parameters ([`CIRCUIT`]).
    pub circuit: String,
    /// The log's public key, hex (BIP340).
    pub public_key: String,
    /// The log's signed Poseidon root.
    pub head: ZkHead,
    /// The operation's kind, by name (`wallet_reveal`).
    pub kind: String,
    /// Whether the operation succeeded.
    pub ok: bool,
    /// The window's start, Unix ms.
    pub from_ms: u64,
    /// The window's end, Unix ms (inclusive).
    pub to_ms: u64,
    /// The authorised actors (sorted, no repeats).
    pub authorised: Vec<String>,
    /// Their tree's root, hex.
    pub set_root: String,
    /// The Halo 2 proof, hex.
    pub proof: String,
}

/// What a check of a proof file found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofReport {
    /// Whether the proof holds for the statement it names.
    pub ok: bool,
    /// The statement (or why it does not hold) in words.
    pub summary: String,
    /// The key the head was checked against, hex.
    pub public_key: String,
    /// Whether that key was pinned by the checker (otherwise the file's own).
    pub pinned: bool,
    /// The kind proven.
    pub kind: String,
    /// The outcome proven.
    pub succeeded: bool,
    /// The window, Unix ms.
    pub from_ms: u64,
    /// The window's end, Unix ms.
    pub to_ms: u64,
    /// The authorised actors.
    pub authorised: Vec<String>,
    /// Entries in the log the proof is about.
    pub log_size: u64,
}

/// Why a proof cannot be made or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditZkError {
    /// Not a proof file of ours.
    #[error("This is not a Switchyard zero-knowledge proof file: {0}")]
    NotOurs(String),
    /// Made for another circuit.
    #[error("This proof is for another circuit ({0}); this Switchyard checks {CIRCUIT}.")]
    OtherCircuit(String),
    /// A name that is no kind.
    #[error("There is no audit entry kind {0:?}.")]
    UnknownKind(String),
    /// The authorised set is empty or too large.
    #[error("{0}")]
    BadSet(String),
    /// The list given to check against is not the file's.
    #[error("The proof is for another set of authorised actors than the one you gave: {0}")]
    OtherSet(String),
    /// No such entry.
    #[error("There is no entry {0} in the log.")]
    NoEntry(u64),
    /// A line of the log is not an entry.
    #[error("Entry {0} of the log is not a valid entry: run `audit verify`.")]
    BadEntry(usize),
    /// The log is larger than the tree.
    #[error("{0}")]
    Tree(#[from] TreeError),
    /// The key given is not one.
    #[error("The public key to check against is not a 64-character hex BIP340 key.")]
    BadKey,
    /// The signed head does not hold.
    #[error("The proof's signed log root is not valid: {0}")]
    Head(String),
    /// The proof or its making.
    #[error(transparent)]
    Zk(#[from] ZkError),
}

/// The digest of a kind's name.
pub fn kind_digest(kind: Kind) -> Fp {
    digest("kind", kind.name().as_bytes())
}

/// The digest of an actor.
pub fn actor_digest(actor: &str) -> Fp {
    digest("actor", actor.as_bytes())
}

/// The leaf of an entry with its salt.
pub fn leaf(entry: &Entry, salt: &[u8; 32]) -> Leaf {
    let mut salted = salt.to_vec();
    salted.extend_from_slice(entry.line().as_bytes());
    Leaf {
        kind: kind_digest(entry.kind),
        at_ms: entry.at_ms,
        actor: actor_digest(&entry.actor),
        ok: entry.ok,
        line: digest("line", &salted),
    }
}

/// A log's entries with their salts.
pub struct SaltedLog {
    /// The entries, in order.
    pub entries: Vec<Entry>,
    /// Their salts, one each.
    pub salts: Vec<[u8; 32]>,
}

impl SaltedLog {
    /// The entries of `lines`, salted with the chain key's salts.
    pub fn new(lines: &[String], chain_key: &[u8; 32]) -> Result<SaltedLog, AuditZkError> {
        let entries = entries(lines)?;
        let salts = (0..entries.len() as u64)
            .map(|i| audit_log::zk_salt(chain_key, i))
            .collect();
        Ok(SaltedLog { entries, salts })
    }

    /// The log's Poseidon tree.
    pub fn tree(&self) -> Result<Tree, AuditZkError> {
        Ok(Tree::new(
            LOG_DEPTH,
            self.entries
                .iter()
                .zip(&self.salts)
                .map(|(e, s)| leaf(e, s).hash())
                .collect(),
        )?)
    }

    /// The root as the bytes a [`ZkHead`] signs.
    pub fn root(&self) -> Result<[u8; 32], AuditZkError> {
        use ff::PrimeField;
        Ok(self.tree()?.root().to_repr())
    }
}

/// The entries of a log's lines.
pub fn entries(lines: &[String]) -> Result<Vec<Entry>, AuditZkError> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| Entry::from_line(l).ok_or(AuditZkError::BadEntry(i)))
        .collect()
}

/// The authorised actors, sorted without repeats (blank ones dropped).
pub fn normalise(actors: &[String]) -> Vec<String> {
    let mut v: Vec<String> = actors
        .iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The authorised set's tree over `actors` (normalised).
pub fn set_tree(actors: &[String]) -> Result<Tree, AuditZkError> {
    let actors = normalise(actors);
    if actors.is_empty() {
        return Err(AuditZkError::BadSet(
            "Name at least one authorised actor (for example desktop:alice,cli:alice).".into(),
        ));
    }
    let cap = 1usize << SET_DEPTH;
    if actors.len() > cap {
        return Err(AuditZkError::BadSet(format!(
            "At most {cap} authorised actors fit a proof; {} were given.",
            actors.len()
        )));
    }
    Ok(Tree::new(
        SET_DEPTH,
        actors.iter().map(|a| member(actor_digest(a))).collect(),
    )?)
}

/// A proof that entry `index` of `log` (with its tree `tree`, whose root
/// `head` signs) has its time in `[from_ms, to_ms]` and its actor in
/// `authorised`.
#[allow(clippy::too_many_arguments)]
pub fn prove(
    prover: &Prover,
    log: &SaltedLog,
    tree: &Tree,
    head: &ZkHead,
    index: u64,
    from_ms: u64,
    to_ms: u64,
    authorised: &[String],
) -> Result<ProofFile, AuditZkError> {
    let i = usize::try_from(index).map_err(|_| AuditZkError::NoEntry(index))?;
    let entry = log.entries.get(i).ok_or(AuditZkError::NoEntry(index))?;
    let salt = log.salts.get(i).ok_or(AuditZkError::NoEntry(index))?;
    let actors = normalise(authorised);
    let set = set_tree(&actors)?;
    let Some(set_index) = actors.iter().position(|a| a == &entry.actor) else {
        return Err(ZkError::NotAuthorised.into());
    };
    let statement = Statement {
        log_root: tree.root(),
        kind: kind_digest(entry.kind),
        ok: entry.ok,
        from_ms,
        to_ms,
        set_root: set.root(),
    };
    let witness = Witness {
        leaf: leaf(entry, salt),
        log_path: tree.path(i).ok_or(AuditZkError::NoEntry(index))?,
        set_path: set.path(set_index).ok_or(ZkError::NotAuthorised)?,
    };
    let proof = prover.prove(&statement, &witness)?;
    Ok(ProofFile {
        format: PROOF_FORMAT.into(),
        circuit: CIRCUIT.into(),
        public_key: head.key.clone(),
        head: head.clone(),
        kind: entry.kind.name(),
        ok: entry.ok,
        from_ms,
        to_ms,
        authorised: actors,
        set_root: field::to_hex(&set.root()),
        proof: switchyard_pure::audit::hex(&proof),
    })
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks a proof file: the signed head (by `pinned`, or by the key the file
/// names), the set (against `expected` when given), and the proof.
pub fn check(
    verifier: &Verifier,
    text: &str,
    pinned: Option<&str>,
    expected: Option<&[String]>,
) -> Result<ProofReport, AuditZkError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| AuditZkError::NotOurs(e.to_string()))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(PROOF_FORMAT) {
        return Err(AuditZkError::NotOurs(format!(
            "its format is not {PROOF_FORMAT}"
        )));
    }
    let file: ProofFile =
        serde_json::from_value(v).map_err(|e| AuditZkError::NotOurs(e.to_string()))?;
    if file.circuit != CIRCUIT {
        return Err(AuditZkError::OtherCircuit(file.circuit));
    }
    let pinned_key = pinned
        .map(|k| parse_key(k).map_err(|_| AuditZkError::BadKey))
        .transpose()?;
    let kind =
        Kind::parse(&file.kind).ok_or_else(|| AuditZkError::UnknownKind(file.kind.clone()))?;
    let mut report = ProofReport {
        ok: false,
        summary: String::new(),
        public_key: pinned.map(str::to_string).unwrap_or(file.head.key.clone()),
        pinned: pinned.is_some(),
        kind: file.kind.clone(),
        succeeded: file.ok,
        from_ms: file.from_ms,
        to_ms: file.to_ms,
        authorised: file.authorised.clone(),
        log_size: file.head.size,
    };
    if let Err(e) = file.head.verify(pinned_key.as_ref()) {
        report.summary = format!("The signed log root does not hold: {e}.");
        return Ok(report);
    }
    let set = set_tree(&file.authorised)?;
    if normalise(&file.authorised) != file.authorised
        || field::from_hex(&file.set_root) != Some(set.root())
    {
        report.summary = "The set root does not match the authorised actors the file lists.".into();
        return Ok(report);
    }
    if let Some(want) = expected {
        let want = normalise(want);
        if want != file.authorised {
            return Err(AuditZkError::OtherSet(file.authorised.join(", ")));
        }
    }
    let log_root = audit_log::unhex32(&file.head.poseidon_root)
        .and_then(|b| Option::from(<Fp as ff::PrimeField>::from_repr(b)))
        .ok_or_else(|| AuditZkError::Head("its Poseidon root is not a field element".into()))?;
    let statement = Statement {
        log_root,
        kind: kind_digest(kind),
        ok: file.ok,
        from_ms: file.from_ms,
        to_ms: file.to_ms,
        set_root: set.root(),
    };
    let proof =
        unhex(&file.proof).ok_or_else(|| AuditZkError::NotOurs("the proof is not hex".into()))?;
    match verifier.verify(&statement, &proof) {
        Ok(()) => {
            report.ok = true;
            report.summary = format!(
                "Proven: the log of {} entries signed by {}{} holds a {} {} between {} and {} (Unix ms) made by one of: {}. Nothing else about the entry is revealed.",
                file.head.size,
                report.public_key,
                if pinned.is_some() {
                    ""
                } else {
                    " (the key the file names: pin the log's key with --key to know who signed it)"
                },
                if file.ok { "successful" } else { "failed" },
                file.kind,
                file.from_ms,
                file.to_ms,
                file.authorised.join(", ")
            );
        }
        Err(ZkError::EmptyWindow) => {
            report.summary = "The window ends before it starts.".into();
        }
        Err(e) => {
            report.summary = e.to_string();
        }
    }
    Ok(report)
}
