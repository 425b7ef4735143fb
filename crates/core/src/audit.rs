//! The audit log: every sensitive operation appends an entry (what, when,
//! by whom, on what, the outcome — never a secret), chained with an HMAC key
//! and committed to by a Merkle tree whose head is signed after every
//! append (the pure side is `switchyard_pure::audit`).
//!
//! Keys, in the OS keychain, made on first use under the log's id (a random
//! id kept in the database, so two data directories never share keys):
//! - `audit/<id>/chain-key`: the chain's HMAC-SHA256 key (32 random bytes);
//! - `audit/<id>/signing-key`: the BIP340 key the tree heads are signed
//!   with; its public half is in every export and proof;
//! - `audit/<id>/latest-head`: a copy of the latest signed head (not a
//!   secret): someone who can write the database but not the keychain
//!   cannot cut the log's end off unnoticed.
//!
//! The keys are read once per process and kept while it runs: entries keep
//! being written while the app is locked (a swap's steps go on), and they
//! unlock nothing but the log's own integrity.
//!
//! Recording never fails the operation it records: a log that cannot be
//! written is reported in the app's log and shows up in `audit verify`
//! (the operation's entry is missing, its neighbours' links still hold, so
//! only the count tells — which is why failures are rare: the log is in the
//! same database as everything else).

pub use switchyard_pure::audit::{files, merkle, Break, Entry, Kind, TreeHead, Verdict};

use crate::keychain::{KeychainError, SecretStore};
use crate::store::{Store, StoreError};
use bitcoin::secp256k1::{Keypair, Secp256k1, SecretKey, XOnlyPublicKey};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use switchyard_pure::audit::files::{
    ConsistencyProof, Export, InclusionProof, CONSISTENCY_FORMAT, EXPORT_FORMAT, INCLUSION_FORMAT,
};
use switchyard_pure::audit::merkle::Hash;
use switchyard_pure::audit::{self, Expect};
use ts_rs::TS;
use zeroize::Zeroizing;

/// The keychain entries of the log with id `id`.
fn entry_names(id: &str) -> (String, String, String) {
    (
        format!("audit/{id}/chain-key"),
        format!("audit/{id}/signing-key"),
        format!("audit/{id}/latest-head"),
    )
}

/// Why the audit log could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The keychain.
    #[error("The audit log's keys could not be read from the keychain: {0}")]
    Keychain(#[from] KeychainError),
    /// A stored key is not one.
    #[error("The audit log's {0} in the keychain is damaged; the log cannot be extended or checked with it.")]
    BadKey(&'static str),
    /// No such entry or head.
    #[error("{0}")]
    NotFound(String),
    /// No such kind of entry.
    #[error("There is no audit entry kind {0:?}. Kinds: {kinds}.", kinds = Kind::ALL.map(Kind::name).join(", "))]
    UnknownKind(String),
    /// A zero-knowledge proof could not be made.
    #[error(transparent)]
    Zk(#[from] switchyard_zk::audit::AuditZkError),
    /// The log does not verify, so nothing is proven from it.
    #[error(
        "The audit log is broken ({0}); nothing is proven from a broken log. Run `audit verify`."
    )]
    Broken(String),
    /// A file could not be written.
    #[error("Could not write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

/// Which face the process is (`desktop`, `cli`): the actor's first half.
static FACE: OnceLock<&'static str> = OnceLock::new();

/// Sets the face entries are recorded under (once, at start-up).
pub fn set_face(face: &'static str) {
    let _ = FACE.set(face);
}

/// `face:user` for the entries this process writes.
fn actor() -> String {
    // The login name; a process started without one (a service, a test
    // driver) is named by its home directory.
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            dirs::home_dir().and_then(|h| h.file_name().map(|n| n.to_string_lossy().into_owned()))
        })
        .unwrap_or_else(|| "unknown".into());
    format!("{}:{user}", FACE.get().copied().unwrap_or("cli"))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// What to record: the kind, what it was done on, and facts.
#[derive(Debug, Clone)]
pub struct Record {
    kind: Kind,
    subject: Option<String>,
    detail: BTreeMap<String, String>,
}

impl Record {
    /// An entry of `kind`.
    pub fn new(kind: Kind) -> Record {
        Record {
            kind,
            subject: None,
            detail: BTreeMap::new(),
        }
    }

    /// What it was done on (`wallet:<id>`, `profile:<id>`, `swap:<id>`).
    pub fn on(mut self, subject: impl Into<String>) -> Record {
        self.subject = Some(subject.into());
        self
    }

    /// Its kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// A fact (never a secret).
    pub fn with(mut self, name: &str, value: impl ToString) -> Record {
        self.detail.insert(name.to_string(), value.to_string());
        self
    }
}

struct Keys {
    chain: Zeroizing<[u8; 32]>,
    signing: Keypair,
    /// The keychain entry holding the latest head.
    latest_head: String,
}

/// The audit log of a data directory.
#[derive(Clone)]
pub struct AuditLog {
    store: Store,
    keychain: Arc<dyn SecretStore>,
    keys: Arc<tokio::sync::Mutex<Option<Arc<Keys>>>>,
}

/// A fresh 32-byte secret from the OS's generator.
fn random32() -> Zeroizing<[u8; 32]> {
    use bitcoin::secp256k1::rand::RngCore;
    let mut b = Zeroizing::new([0u8; 32]);
    bitcoin::secp256k1::rand::thread_rng().fill_bytes(b.as_mut());
    b
}

impl AuditLog {
    /// The log in `store`, its keys in `keychain`.
    pub fn new(store: Store, keychain: Arc<dyn SecretStore>) -> AuditLog {
        AuditLog {
            store,
            keychain,
            keys: Arc::default(),
        }
    }

    /// A keychain call on a blocking thread.
    async fn keychain<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore) -> Result<T, KeychainError> + Send + 'static,
    ) -> Result<T, AuditError> {
        let kc = self.keychain.clone();
        Ok(tokio::task::spawn_blocking(move || f(kc.as_ref()))
            .await
            .map_err(|e| KeychainError::Other {
                detail: e.to_string(),
            })??)
    }

    /// The keys, read (or made) once.
    async fn keys(&self) -> Result<Arc<Keys>, AuditError> {
        let mut guard = self.keys.lock().await;
        if let Some(k) = guard.as_ref() {
            return Ok(k.clone());
        }
        let id = self
            .store
            .audit_log_id(&audit::hex(&random32()[..16]))
            .await?;
        let (chain_name, signing_name, latest_head) = entry_names(&id);
        let names = (chain_name.clone(), signing_name.clone());
        let present = self
            .keychain(move |kc| Ok((kc.get(&names.0)?, kc.get(&names.1)?)))
            .await?;
        let (chain, signing) = match present {
            (Some(c), Some(s)) => (c, s),
            _ => {
                // Made once: the database's write lock keeps the app and the
                // CLI from making two different keys at the same moment.
                let lock = self.store.begin().await?;
                let made = self
                    .keychain(move |kc| {
                        let get_or_make = |name: &str| -> Result<SecretString, KeychainError> {
                            match kc.get(name)? {
                                Some(s) => Ok(s),
                                None => {
                                    let fresh = SecretString::from(audit::hex(random32().as_ref()));
                                    kc.put(name, &fresh)?;
                                    Ok(fresh)
                                }
                            }
                        };
                        Ok((get_or_make(&chain_name)?, get_or_make(&signing_name)?))
                    })
                    .await;
                drop(lock);
                made?
            }
        };
        let chain = Zeroizing::new(
            audit::unhex32(chain.expose_secret()).ok_or(AuditError::BadKey("chain key"))?,
        );
        let secret = Zeroizing::new(
            audit::unhex32(signing.expose_secret()).ok_or(AuditError::BadKey("signing key"))?,
        );
        let sk = SecretKey::from_slice(secret.as_ref())
            .map_err(|_| AuditError::BadKey("signing key"))?;
        let keys = Arc::new(Keys {
            chain,
            signing: Keypair::from_secret_key(&Secp256k1::new(), &sk),
            latest_head,
        });
        *guard = Some(keys.clone());
        Ok(keys)
    }

    /// The log's public key (BIP340), which third parties pin.
    pub async fn public_key(&self) -> Result<XOnlyPublicKey, AuditError> {
        Ok(self.keys().await?.signing.x_only_public_key().0)
    }

    /// Appends an entry for `record` with its outcome: `Err` holds the
    /// error's words (secret-free, like every error of the app).
    pub async fn append(
        &self,
        record: Record,
        outcome: Result<(), String>,
    ) -> Result<Entry, AuditError> {
        let keys = self.keys().await?;
        let mut detail = record.detail;
        if let Err(why) = &outcome {
            detail.insert("error".into(), why.clone());
        }
        let at_ms = now_ms();
        let actor = actor();
        let k = keys.clone();
        let (entry, head) = self
            .store
            .audit_append(move |tail| {
                let entry = Entry {
                    index: tail.next_index,
                    at_ms,
                    actor,
                    kind: record.kind,
                    subject: record.subject,
                    ok: outcome.is_ok(),
                    detail,
                };
                let line = entry.line();
                let link = audit::link(&k.chain, &tail.prev_link, &line);
                let mut frontier = tail.frontier;
                frontier.push(merkle::leaf_hash(line.as_bytes()));
                let head = TreeHead::sign(&k.signing, frontier.size(), &frontier.root(), at_ms);
                (entry, link, frontier, head)
            })
            .await?;
        let json = serde_json::to_string(&head).unwrap_or_default();
        let name = keys.latest_head.clone();
        self.keychain(move |kc| kc.put(&name, &SecretString::from(json)))
            .await?;
        Ok(entry)
    }

    /// Records the outcome of an operation; a failure to record is logged,
    /// never returned (the operation's own result is what the caller sees).
    pub async fn note<T, E: std::fmt::Display>(&self, record: Record, result: &Result<T, E>) {
        let outcome = result.as_ref().map(|_| ()).map_err(|e| e.to_string());
        let kind = record.kind;
        if let Err(e) = self.append(record, outcome).await {
            tracing::error!(error = %e, kind = %kind.name(), "could not write the audit entry");
        }
    }

    /// Entries, newest first, optionally of the kind named `kind`
    /// (`wallet_reveal`), at most `limit`.
    pub async fn entries_named(
        &self,
        kind: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Entry>, AuditError> {
        let kind = match kind.map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => Some(Kind::parse(k).ok_or_else(|| AuditError::UnknownKind(k.into()))?),
            None => None,
        };
        self.entries(kind, limit).await
    }

    /// Entries, newest first, optionally of one kind.
    pub async fn entries(&self, kind: Option<Kind>, limit: u32) -> Result<Vec<Entry>, AuditError> {
        let name = kind.map(Kind::name);
        let lines = self.store.audit_lines(name.as_deref(), limit).await?;
        Ok(lines.iter().filter_map(|l| Entry::from_line(l)).collect())
    }

    /// The latest head the keychain holds.
    async fn anchor(&self) -> Result<Option<TreeHead>, AuditError> {
        let name = self.keys().await?.latest_head.clone();
        let stored = self.keychain(move |kc| kc.get(&name)).await?;
        Ok(stored.and_then(|s| serde_json::from_str(s.expose_secret()).ok()))
    }

    /// Checks the whole log: the chain with our key, every head with our
    /// public key, and against the keychain's copy of the latest head.
    pub async fn verify(&self) -> Result<Verdict, AuditError> {
        let keys = self.keys().await?;
        let rows = self.store.audit_rows().await?;
        let heads = self.store.audit_heads().await?;
        let anchor = self.anchor().await?;
        let public = keys.signing.x_only_public_key().0;
        Ok(audit::verify(
            &rows,
            &heads,
            &Expect {
                chain_key: Some(&keys.chain),
                public_key: Some(&public),
                anchor: anchor.as_ref(),
            },
        ))
    }

    /// The whole log for a third party.
    pub async fn export(&self) -> Result<Export, AuditError> {
        let public = self.public_key().await?;
        Ok(Export {
            format: EXPORT_FORMAT.into(),
            public_key: audit::hex(&public.serialize()),
            entries: self
                .store
                .audit_rows()
                .await?
                .into_iter()
                .map(|s| s.line)
                .collect(),
            heads: self.store.audit_heads().await?,
        })
    }

    /// Exports the log to `dir` (see [`write_export`]), recording the export.
    pub async fn export_to(&self, dir: &Path) -> Result<AuditExportFiles, AuditError> {
        let export = self.export().await?;
        let files = write_export(dir, &export);
        self.note(
            Record::new(Kind::AuditExport).with("entries", export.entries.len()),
            &files,
        )
        .await;
        files
    }

    /// Every entry's canonical line, in order.
    async fn lines(&self) -> Result<Vec<String>, AuditError> {
        Ok(self
            .store
            .audit_rows()
            .await?
            .into_iter()
            .map(|s| s.line)
            .collect())
    }

    async fn leaves_and_head(
        &self,
        size: Option<u64>,
    ) -> Result<(Vec<Hash>, Vec<String>, TreeHead), AuditError> {
        let lines = self.lines().await?;
        let heads = self.store.audit_heads().await?;
        let head = match size {
            Some(s) => heads.into_iter().find(|h| h.size == s).ok_or_else(|| {
                AuditError::NotFound(format!("No tree head was signed at {s} entries."))
            })?,
            None => heads
                .into_iter()
                .last()
                .ok_or_else(|| AuditError::NotFound("The audit log is empty.".into()))?,
        };
        let leaves = lines
            .iter()
            .map(|l| merkle::leaf_hash(l.as_bytes()))
            .collect();
        Ok((leaves, lines, head))
    }

    /// Proof that entry `index` is in the tree of the head at `size`
    /// (default: the latest).
    pub async fn inclusion(
        &self,
        index: u64,
        size: Option<u64>,
    ) -> Result<InclusionProof, AuditError> {
        let (leaves, lines, head) = self.leaves_and_head(size).await?;
        let tree = leaves.get(..head.size as usize).ok_or_else(|| {
            AuditError::NotFound("The log is shorter than its head: run `audit verify`.".into())
        })?;
        let proof = merkle::inclusion_proof(index as usize, tree)
            .map_err(|e| AuditError::NotFound(format!("Entry {index}: {e}.")))?;
        Ok(InclusionProof {
            format: INCLUSION_FORMAT.into(),
            public_key: head.key.clone(),
            entry: lines[index as usize].clone(),
            head,
            proof: proof.iter().map(|h| audit::hex(h)).collect(),
        })
    }

    /// A zero-knowledge proof that entry `index` has its time in
    /// `[from_ms, to_ms]` and its actor in `authorised`, revealing nothing
    /// else about it (`switchyard-zk`). The log must verify first; the proof
    /// carries a freshly signed Poseidon root of the log, its leaves salted
    /// with the chain key. Takes a few seconds of CPU (on a blocking thread).
    pub async fn prove_zk(
        &self,
        index: u64,
        from_ms: u64,
        to_ms: u64,
        authorised: Vec<String>,
    ) -> Result<switchyard_zk::audit::ProofFile, AuditError> {
        let verdict = self.verify().await?;
        if let Some(b) = &verdict.broken {
            return Err(AuditError::Broken(b.to_string()));
        }
        let keys = self.keys().await?;
        let lines = self.lines().await?;
        let proof = tokio::task::spawn_blocking(move || {
            use switchyard_zk::audit as zk;
            let log = zk::SaltedLog::new(&lines, &keys.chain)?;
            let tree = log.tree()?;
            let root = switchyard_zk::field::to_repr(&tree.root());
            let head = audit::ZkHead::sign(&keys.signing, lines.len() as u64, &root, now_ms());
            let prover = switchyard_zk::Prover::new().map_err(zk::AuditZkError::from)?;
            zk::prove(
                &prover,
                &log,
                &tree,
                &head,
                index,
                from_ms,
                to_ms,
                &authorised,
            )
        })
        .await
        .map_err(|e| AuditError::NotFound(format!("The prover stopped: {e}")));
        let proof = proof.and_then(|p| p.map_err(AuditError::from));
        self.note(
            Record::new(Kind::AuditProof)
                .with("entry", index)
                .with("from_ms", from_ms)
                .with("to_ms", to_ms),
            &proof,
        )
        .await;
        proof
    }

    /// Proof that the head at `to` (default: the latest) only appended to
    /// the head at `from`.
    pub async fn consistency(
        &self,
        from: u64,
        to: Option<u64>,
    ) -> Result<ConsistencyProof, AuditError> {
        let (leaves, _, second) = self.leaves_and_head(to).await?;
        let first = self
            .store
            .audit_heads()
            .await?
            .into_iter()
            .find(|h| h.size == from)
            .ok_or_else(|| {
                AuditError::NotFound(format!("No tree head was signed at {from} entries."))
            })?;
        let tree = leaves.get(..second.size as usize).ok_or_else(|| {
            AuditError::NotFound("The log is shorter than its head: run `audit verify`.".into())
        })?;
        let proof = merkle::consistency_proof(first.size as usize, tree)
            .map_err(|e| AuditError::NotFound(format!("{e}.")))?;
        Ok(ConsistencyProof {
            format: CONSISTENCY_FORMAT.into(),
            public_key: second.key.clone(),
            first,
            second,
            proof: proof.iter().map(|h| audit::hex(h)).collect(),
        })
    }
}

/// Where an export went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AuditExportFiles {
    /// The JSON bundle a third party checks (`switchyard audit check`).
    pub bundle: String,
    /// The entries as JSON lines (each line the entry's canonical JSON).
    pub jsonl: String,
    /// The entries as CSV, for people and spreadsheets.
    pub csv: String,
    /// Entries exported.
    #[ts(type = "number")]
    pub entries: u64,
    /// The log's public key, hex.
    pub public_key: String,
}

/// The entries as CSV: time, actor, kind, subject, outcome, details.
pub fn to_csv(lines: &[String]) -> String {
    use crate::node::history::{chrono_utc, field};
    let mut out = String::from("index,time_utc,unix_ms,actor,kind,subject,ok,detail\n");
    for e in lines.iter().filter_map(|l| Entry::from_line(l)) {
        let detail: Vec<String> = e.detail.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            e.index,
            chrono_utc(e.at_ms / 1000),
            e.at_ms,
            field(&e.actor),
            e.kind.name(),
            field(e.subject.as_deref().unwrap_or("")),
            e.ok,
            field(&detail.join("; "))
        ));
    }
    out
}

/// Writes `export` to `dir` as `audit-<size>.json` (the bundle),
/// `audit-<size>.jsonl` and `audit-<size>.csv`, owner-only.
pub fn write_export(dir: &Path, export: &Export) -> Result<AuditExportFiles, AuditError> {
    let n = export.entries.len();
    let write = |name: String, bytes: &[u8]| -> Result<String, AuditError> {
        let path = dir.join(name);
        crate::files::ensure_private_dir(dir)
            .and_then(|()| crate::files::write_private(&path, bytes))
            .map_err(|source| AuditError::Write {
                path: path.clone(),
                source,
            })?;
        Ok(path.display().to_string())
    };
    let bundle = serde_json::to_string_pretty(export).unwrap_or_default();
    let mut jsonl = export.entries.join("\n");
    jsonl.push('\n');
    Ok(AuditExportFiles {
        bundle: write(format!("audit-{n}.json"), bundle.as_bytes())?,
        jsonl: write(format!("audit-{n}.jsonl"), jsonl.as_bytes())?,
        csv: write(format!("audit-{n}.csv"), to_csv(&export.entries).as_bytes())?,
        entries: n as u64,
        public_key: export.public_key.clone(),
    })
}
