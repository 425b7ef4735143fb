//! What leaves the app for a third party, and the check that needs no
//! wallet: an export of the whole log, an inclusion proof for one entry, a
//! consistency proof between two heads. Each file names its format and the
//! log's public key; a checker should pin the key it trusts (`--key`), since
//! a file can name any key.

use super::merkle::{self, Hash};
use super::{Entry, Expect, Stored, TreeHead, Verdict};
use bitcoin::secp256k1::XOnlyPublicKey;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The format name of an export.
pub const EXPORT_FORMAT: &str = "switchyard-audit-export/1";
/// The format name of an inclusion proof.
pub const INCLUSION_FORMAT: &str = "switchyard-audit-inclusion/1";
/// The format name of a consistency proof.
pub const CONSISTENCY_FORMAT: &str = "switchyard-audit-consistency/1";

/// The whole log: every entry's canonical line and every signed head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// The log's public key, hex (BIP340 x-only).
    pub public_key: String,
    /// The entries' lines, in order.
    pub entries: Vec<String>,
    /// The signed heads, by size.
    pub heads: Vec<TreeHead>,
}

/// One entry is in the tree a signed head commits to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// [`INCLUSION_FORMAT`].
    pub format: String,
    /// The log's public key, hex.
    pub public_key: String,
    /// The entry's canonical line.
    pub entry: String,
    /// The signed head of the tree it is in.
    pub head: TreeHead,
    /// RFC 9162 `PATH`, hex.
    pub proof: Vec<String>,
}

/// A later signed tree only appended to an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// [`CONSISTENCY_FORMAT`].
    pub format: String,
    /// The log's public key, hex.
    pub public_key: String,
    /// The earlier head.
    pub first: TreeHead,
    /// The later head.
    pub second: TreeHead,
    /// RFC 9162 `PROOF`, hex.
    pub proof: Vec<String>,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CheckReport {
    /// `export`, `inclusion` or `consistency`.
    pub file: String,
    /// Whether everything in it holds.
    pub ok: bool,
    /// The verdict in words.
    pub summary: String,
    /// The key the file was checked against, hex.
    pub public_key: String,
    /// For an export: the verdict on the log.
    pub verdict: Option<Verdict>,
}

/// Why a file cannot be checked at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Not JSON, or not one of our formats.
    #[error("This is not a Switchyard audit file (an export, an inclusion proof or a consistency proof): {0}")]
    NotOurs(String),
    /// The key given to pin is not a key.
    #[error("The public key to check against is not a 64-character hex BIP340 key.")]
    BadKey,
}

/// A BIP340 key from hex.
pub fn parse_key(s: &str) -> Result<XOnlyPublicKey, FileError> {
    super::unhex32(s.trim())
        .and_then(|b| XOnlyPublicKey::from_slice(&b).ok())
        .ok_or(FileError::BadKey)
}

fn hashes(v: &[String]) -> Option<Vec<Hash>> {
    v.iter().map(|s| super::unhex32(s)).collect()
}

/// Checks an audit file against `pinned` (the key the checker trusts) or,
/// without one, against the key the file names (then only its internal
/// consistency is shown, which the summary says).
pub fn check(text: &str, pinned: Option<&XOnlyPublicKey>) -> Result<CheckReport, FileError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| FileError::NotOurs(e.to_string()))?;
    let format = v.get("format").and_then(|f| f.as_str()).unwrap_or_default();
    let named = v
        .get("public_key")
        .and_then(|k| k.as_str())
        .ok_or_else(|| FileError::NotOurs("it names no public key".into()))?;
    let named_key = parse_key(named)?;
    let key = pinned.copied().unwrap_or(named_key);
    let unpinned = if pinned.is_none() {
        " (against the key the file names: pin the log's key with --key to know who signed it)"
    } else {
        ""
    };
    let bad = |e: serde_json::Error| FileError::NotOurs(e.to_string());
    let mut report = CheckReport {
        file: String::new(),
        ok: false,
        summary: String::new(),
        public_key: super::hex(&key.serialize()),
        verdict: None,
    };
    match format {
        EXPORT_FORMAT => {
            let x: Export = serde_json::from_value(v).map_err(bad)?;
            let stored: Vec<Stored> = x
                .entries
                .iter()
                .map(|l| Stored {
                    line: l.clone(),
                    link: None,
                })
                .collect();
            let verdict = super::verify(
                &stored,
                &x.heads,
                &Expect {
                    chain_key: None,
                    public_key: Some(&key),
                    anchor: None,
                },
            );
            report.file = "export".into();
            report.ok = verdict.broken.is_none() && !x.heads.is_empty();
            report.summary = match (&verdict.broken, x.heads.last()) {
                (Some(b), _) => format!("Broken: {b}."),
                (None, None) => "No signed tree head: nothing in this export is vouched for.".into(),
                (None, Some(h)) => format!(
                    "Intact: {} entries, every one of the {} signed tree heads holds (the latest covers {} entries){unpinned}.",
                    verdict.entries, verdict.heads, h.size
                ),
            };
            report.verdict = Some(verdict);
        }
        INCLUSION_FORMAT => {
            let p: InclusionProof = serde_json::from_value(v).map_err(bad)?;
            report.file = "inclusion".into();
            let entry = Entry::from_line(&p.entry);
            let result = (|| -> Result<u64, String> {
                let e = entry
                    .as_ref()
                    .ok_or("the entry is not a canonical audit entry")?;
                p.head.verify(Some(&key)).map_err(|e| e.to_string())?;
                let proof = hashes(&p.proof).ok_or("the proof holds a hash that is not hex")?;
                let root = p.head.root_hash().map_err(|e| e.to_string())?;
                merkle::verify_inclusion(
                    e.index,
                    p.head.size,
                    &merkle::leaf_hash(p.entry.as_bytes()),
                    &proof,
                    &root,
                )
                .map_err(|e| e.to_string())?;
                Ok(e.index)
            })();
            match result {
                Ok(index) => {
                    report.ok = true;
                    report.summary = format!(
                        "Included: entry {index} is in the tree of {} entries signed at {} ms{unpinned}.",
                        p.head.size, p.head.at_ms
                    );
                }
                Err(why) => report.summary = format!("Not proven: {why}."),
            }
        }
        CONSISTENCY_FORMAT => {
            let p: ConsistencyProof = serde_json::from_value(v).map_err(bad)?;
            report.file = "consistency".into();
            let result = (|| -> Result<(), String> {
                p.first.verify(Some(&key)).map_err(|e| e.to_string())?;
                p.second.verify(Some(&key)).map_err(|e| e.to_string())?;
                let proof = hashes(&p.proof).ok_or("the proof holds a hash that is not hex")?;
                merkle::verify_consistency(
                    p.first.size,
                    p.second.size,
                    &proof,
                    &p.first.root_hash().map_err(|e| e.to_string())?,
                    &p.second.root_hash().map_err(|e| e.to_string())?,
                )
                .map_err(|e| e.to_string())
            })();
            match result {
                Ok(()) => {
                    report.ok = true;
                    report.summary = format!(
                        "Consistent: the log of {} entries only appended to the one of {} entries{unpinned}.",
                        p.second.size, p.first.size
                    );
                }
                Err(why) => {
                    report.summary = format!("Not proven: {why} — the log may have been rewritten.")
                }
            }
        }
        other => {
            return Err(FileError::NotOurs(format!(
                "its format is {:?}",
                if other.is_empty() { "missing" } else { other }
            )))
        }
    }
    Ok(report)
}
