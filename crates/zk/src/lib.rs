//! Zero-knowledge proofs about one entry of Switchyard's audit log.
//!
//! **The statement.** Given public values — a log root `R` (the root of a
//! Poseidon Merkle tree over the log's entries, which the log's owner signs
//! beside the SHA-256 tree head), an operation kind `k`, an outcome `o`, a
//! window `[from, to]` in Unix milliseconds and a set root `S` (the root of a
//! Poseidon Merkle tree over the authorised actors) — the prover knows an
//! entry committed under `R` whose kind is `k`, whose outcome is `o`, whose
//! time `t` has `from <= t <= to`, and whose actor is a member of the set
//! under `S`. Nothing else about the entry (its index, exact time, actor,
//! subject, details) is revealed: Halo 2 proofs are zero-knowledge (the
//! prover blinds every column).
//!
//! **The system.** Halo 2 (PLONKish arithmetisation, KZG-free inner-product
//! argument over the Pasta curves), as Zcash's Orchard uses it. The
//! parameters are derived from a fixed string by hashing to the curve:
//! there is no trusted setup and no secret anyone could keep, so the
//! verifier makes the same keys itself ([`Verifier::new`]).
//!
//! **Assumptions.** The discrete logarithm problem in the Vesta group (for
//! the inner-product argument's soundness and the commitments' binding), the
//! random-oracle model for the Fiat–Shamir transcript (BLAKE2b), Poseidon
//! (P128Pow5T3, 128-bit security) as a collision-resistant hash for the
//! trees and leaves, and SHA-256 cut to 248 bits for the digests of an
//! entry's kind, actor and canonical line (124-bit collision resistance).
//! What a proof does *not* say: that the log's owner was honest — the owner
//! signs the Poseidon root with the log's key, and anyone holding the log
//! (an export) can recompute it from the entries; that the actor is who they
//! say — the actor is what the app recorded (the face and the OS user).

#![forbid(unsafe_code)]

pub mod audit;
mod circuit;
pub mod field;
pub mod tree;

use circuit::{row, EntryCircuit};
pub use field::Fp;
use halo2_proofs::circuit::Value;
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, ProvingKey, SingleVerifier, VerifyingKey,
};
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255};
use pasta_curves::vesta;
use tree::Path;

/// The circuit has at most 2^K rows.
pub const K: u32 = 12;

/// The format name of a proof's bytes (the circuit and parameters they are
/// for); changes whenever the circuit does.
pub const CIRCUIT: &str = "switchyard-audit-entry/halo2-ipa-pasta/k12/log32/set8/v1";

/// What a proof is about: every value the verifier sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement {
    /// The log's Poseidon root.
    pub log_root: Fp,
    /// The kind's digest ([`field::digest`] of `kind` and its name).
    pub kind: Fp,
    /// Whether the operation succeeded.
    pub ok: bool,
    /// The window's start, Unix ms.
    pub from_ms: u64,
    /// The window's end, Unix ms (inclusive).
    pub to_ms: u64,
    /// The authorised set's root.
    pub set_root: Fp,
}

impl Statement {
    fn instance(&self) -> Vec<Fp> {
        let mut v = vec![Fp::zero(); 6];
        v[row::LOG_ROOT] = self.log_root;
        v[row::KIND] = self.kind;
        v[row::OK] = Fp::from(u64::from(self.ok));
        v[row::FROM] = Fp::from(self.from_ms);
        v[row::TO] = Fp::from(self.to_ms);
        v[row::SET_ROOT] = self.set_root;
        v
    }
}

/// One entry as the tree commits to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaf {
    /// The kind's digest.
    pub kind: Fp,
    /// When, Unix ms.
    pub at_ms: u64,
    /// The actor's digest.
    pub actor: Fp,
    /// Whether it succeeded.
    pub ok: bool,
    /// The digest of the entry's canonical line (everything else in it).
    pub line: Fp,
}

impl Leaf {
    /// The leaf's hash in the log's tree.
    pub fn hash(&self) -> Fp {
        tree::poseidon([
            self.kind,
            Fp::from(self.at_ms),
            self.actor,
            Fp::from(u64::from(self.ok)),
            self.line,
        ])
    }
}

/// What only the prover knows.
#[derive(Debug, Clone)]
pub struct Witness {
    /// The entry.
    pub leaf: Leaf,
    /// Its path in the log's tree.
    pub log_path: Path,
    /// Its actor's path in the authorised set's tree.
    pub set_path: Path,
}

/// Why a proof cannot be made or does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZkError {
    /// The entry is of another kind or outcome than the statement's.
    #[error("The entry is not of the kind and outcome the statement names.")]
    OtherKind,
    /// The entry's time is outside the window.
    #[error("The entry's time is outside the window: widen the window or choose another entry.")]
    OutsideWindow,
    /// The entry is not under the log root.
    #[error("The entry is not in the tree the log's root commits to.")]
    NotInLog,
    /// The actor is not in the set.
    #[error("The entry was made by an actor who is not in the authorised set.")]
    NotAuthorised,
    /// The window ends before it starts.
    #[error("The window ends before it starts.")]
    EmptyWindow,
    /// The proof does not verify for this statement.
    #[error("The proof does not hold for this statement.")]
    Invalid,
    /// The proving system failed (a bug of ours, not of the input).
    #[error("The proving system failed: {0}")]
    System(String),
}

fn system(e: halo2_proofs::plonk::Error) -> ZkError {
    ZkError::System(e.to_string())
}

/// The verifier's keys, made by anyone from nothing secret.
pub struct Verifier {
    params: Params<vesta::Affine>,
    vk: VerifyingKey<vesta::Affine>,
}

impl Verifier {
    /// The parameters (transparent) and the verifying key of the circuit.
    pub fn new() -> Result<Verifier, ZkError> {
        let params = Params::new(K);
        let vk = keygen_vk(&params, &EntryCircuit::blank()).map_err(system)?;
        Ok(Verifier { params, vk })
    }

    /// Checks `proof` for `statement`.
    pub fn verify(&self, statement: &Statement, proof: &[u8]) -> Result<(), ZkError> {
        if statement.from_ms > statement.to_ms {
            return Err(ZkError::EmptyWindow);
        }
        let instance = statement.instance();
        let strategy = SingleVerifier::new(&self.params);
        let mut transcript = Blake2bRead::<_, _, Challenge255<_>>::init(proof);
        verify_proof(
            &self.params,
            &self.vk,
            strategy,
            &[&[&instance[..]]],
            &mut transcript,
        )
        .map_err(|_| ZkError::Invalid)
    }
}

/// The prover's keys (the verifier's, and the proving key).
pub struct Prover {
    verifier: Verifier,
    pk: ProvingKey<vesta::Affine>,
}

impl Prover {
    /// Makes the keys (about a second optimised).
    pub fn new() -> Result<Prover, ZkError> {
        let verifier = Verifier::new()?;
        let pk = keygen_pk(
            &verifier.params,
            verifier.vk.clone(),
            &EntryCircuit::blank(),
        )
        .map_err(system)?;
        Ok(Prover { verifier, pk })
    }

    /// The verifier's half.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// A proof of `statement` from `witness`, after checking natively that
    /// the witness satisfies it (so a mistake gets its reason, not a proof
    /// that fails later).
    pub fn prove(&self, statement: &Statement, witness: &Witness) -> Result<Vec<u8>, ZkError> {
        let leaf = &witness.leaf;
        if statement.from_ms > statement.to_ms {
            return Err(ZkError::EmptyWindow);
        }
        if leaf.kind != statement.kind || leaf.ok != statement.ok {
            return Err(ZkError::OtherKind);
        }
        if leaf.at_ms < statement.from_ms || leaf.at_ms > statement.to_ms {
            return Err(ZkError::OutsideWindow);
        }
        if witness.log_path.siblings.len() != tree::LOG_DEPTH
            || witness.log_path.root_from(leaf.hash()) != statement.log_root
        {
            return Err(ZkError::NotInLog);
        }
        if witness.set_path.siblings.len() != tree::SET_DEPTH
            || witness.set_path.root_from(tree::member(leaf.actor)) != statement.set_root
        {
            return Err(ZkError::NotAuthorised);
        }
        self.prove_unchecked(statement, witness)
    }

    /// A proof without the native checks: what a cheating prover would do
    /// (the soundness tests use it; such a proof must not verify).
    #[doc(hidden)]
    pub fn prove_unchecked(
        &self,
        statement: &Statement,
        witness: &Witness,
    ) -> Result<Vec<u8>, ZkError> {
        let circuit = circuit_for(witness);
        let instance = statement.instance();
        let mut transcript = Blake2bWrite::<_, _, Challenge255<_>>::init(vec![]);
        create_proof(
            &self.verifier.params,
            &self.pk,
            &[circuit],
            &[&[&instance[..]]],
            rand_core::UnwrapErr(rand::rngs::SysRng),
            &mut transcript,
        )
        .map_err(system)?;
        Ok(transcript.finalize())
    }
}

fn circuit_for(witness: &Witness) -> EntryCircuit {
    let leaf = &witness.leaf;
    EntryCircuit {
        kind: Value::known(leaf.kind),
        time: Value::known(Fp::from(leaf.at_ms)),
        actor: Value::known(leaf.actor),
        ok: Value::known(Fp::from(u64::from(leaf.ok))),
        line: Value::known(leaf.line),
        log_path: EntryCircuit::path(&witness.log_path),
        set_path: EntryCircuit::path(&witness.set_path),
    }
}

/// Whether the circuit's constraints hold for `witness` and `statement`
/// (halo2's mock prover: every constraint checked one by one, no proof).
#[doc(hidden)]
pub fn constraints_hold(statement: &Statement, witness: &Witness) -> Result<(), String> {
    let prover =
        halo2_proofs::dev::MockProver::run(K, &circuit_for(witness), vec![statement.instance()])
            .map_err(|e| e.to_string())?;
    prover.verify().map_err(|errs| {
        errs.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

#[cfg(test)]
mod tests;
