//! Completeness and soundness: a true statement proves and verifies; a
//! proof made from a witness that breaks the statement (time outside the
//! window, an entry not in the tree, an actor outside the set) does not
//! verify, nor does a good proof against a tampered public input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::field::digest;
use crate::tree::{member, Tree, LOG_DEPTH, SET_DEPTH};
use std::sync::OnceLock;

const T0: u64 = 1_790_000_000_000;

fn prover() -> &'static Prover {
    static P: OnceLock<Prover> = OnceLock::new();
    P.get_or_init(|| Prover::new().unwrap())
}

struct Fixture {
    leaves: Vec<Leaf>,
    log: Tree,
    set: Tree,
}

/// A log of 9 entries by two actors, one of them ("cli:mallory") not
/// authorised; entry 4 is a successful wallet_reveal by desktop:alice.
fn fixture() -> Fixture {
    let actors = ["desktop:alice", "cli:alice", "cli:mallory"];
    let kinds = ["wallet_create", "payment", "wallet_reveal"];
    let leaves: Vec<Leaf> = (0..9u64)
        .map(|i| Leaf {
            kind: digest("kind", kinds[(i % 3) as usize].as_bytes()),
            at_ms: T0 + i * 60_000,
            actor: digest("actor", actors[(i % 3) as usize].as_bytes()),
            ok: i != 7,
            line: digest("line", format!("entry {i}").as_bytes()),
        })
        .collect();
    let log = Tree::new(LOG_DEPTH, leaves.iter().map(Leaf::hash).collect()).unwrap();
    let set = Tree::new(
        SET_DEPTH,
        actors[..2]
            .iter()
            .map(|a| member(digest("actor", a.as_bytes())))
            .collect(),
    )
    .unwrap();
    Fixture { leaves, log, set }
}

fn witness(f: &Fixture, index: usize, set_index: usize) -> Witness {
    Witness {
        leaf: f.leaves[index],
        log_path: f.log.path(index).unwrap(),
        set_path: f.set.path(set_index).unwrap(),
    }
}

fn statement(f: &Fixture, index: usize, from_ms: u64, to_ms: u64) -> Statement {
    Statement {
        log_root: f.log.root(),
        kind: f.leaves[index].kind,
        ok: f.leaves[index].ok,
        from_ms,
        to_ms,
        set_root: f.set.root(),
    }
}

#[test]
fn a_true_statement_proves_and_verifies_and_the_proof_is_small() {
    let f = fixture();
    // Entry 3: a wallet_create by desktop:alice at T0 + 3 min.
    let s = statement(&f, 3, T0 + 2 * 60_000, T0 + 4 * 60_000);
    let w = witness(&f, 3, 0);
    constraints_hold(&s, &w).unwrap();
    let proof = prover().prove(&s, &w).unwrap();
    prover().verifier().verify(&s, &proof).unwrap();
    // Edges of the window are inside it.
    let exact = statement(&f, 3, T0 + 3 * 60_000, T0 + 3 * 60_000);
    let p2 = prover().prove(&exact, &w).unwrap();
    prover().verifier().verify(&exact, &p2).unwrap();
    assert!(proof.len() < 8_000, "a proof of {} bytes", proof.len());
    // A fresh verifier (made from nothing secret) agrees.
    Verifier::new().unwrap().verify(&s, &proof).unwrap();
    // Two proofs of the same statement differ (blinded).
    let again = prover().prove(&s, &w).unwrap();
    assert_ne!(proof, again);
}

#[test]
fn a_good_proof_does_not_verify_against_tampered_public_inputs() {
    let f = fixture();
    let s = statement(&f, 4, T0, T0 + 10 * 60_000);
    let w = witness(&f, 4, 1); // entry 4: payment by cli:alice
    let proof = prover().prove(&s, &w).unwrap();
    let v = prover().verifier();
    v.verify(&s, &proof).unwrap();
    let tampered = [
        Statement {
            kind: digest("kind", b"wallet_reveal"),
            ..s
        },
        Statement { ok: !s.ok, ..s },
        Statement {
            from_ms: T0 + 5 * 60_000,
            ..s
        },
        Statement {
            to_ms: T0 + 3 * 60_000,
            ..s
        },
        Statement {
            log_root: s.log_root + Fp::one(),
            ..s
        },
        Statement {
            set_root: s.set_root + Fp::one(),
            ..s
        },
    ];
    for (i, t) in tampered.iter().enumerate() {
        assert_eq!(
            v.verify(t, &proof),
            Err(ZkError::Invalid),
            "tampered input {i}"
        );
    }
    let mut flipped = proof.clone();
    flipped[40] ^= 1;
    assert_eq!(
        v.verify(&s, &flipped),
        Err(ZkError::Invalid),
        "a flipped byte"
    );
    assert_eq!(
        v.verify(&s, &proof[..proof.len() - 1]),
        Err(ZkError::Invalid),
        "cut short"
    );
    assert_eq!(v.verify(&s, &[]), Err(ZkError::Invalid), "empty");
}

#[test]
fn a_time_outside_the_window_cannot_be_proven() {
    let f = fixture();
    let w = witness(&f, 3, 0); // at T0 + 3 min
    for (from, to) in [
        (T0 + 4 * 60_000, T0 + 9 * 60_000), // after it
        (T0, T0 + 3 * 60_000 - 1),          // before it, by a millisecond
        (T0 + 3 * 60_000 + 1, u64::MAX),    // just after
    ] {
        let s = statement(&f, 3, from, to);
        assert_eq!(prover().prove(&s, &w), Err(ZkError::OutsideWindow));
        assert!(constraints_hold(&s, &w).is_err(), "window {from}..{to}");
        let forged = prover().prove_unchecked(&s, &w).unwrap();
        assert_eq!(
            prover().verifier().verify(&s, &forged),
            Err(ZkError::Invalid),
            "window {from}..{to}"
        );
    }
}

#[test]
fn an_entry_not_in_the_tree_cannot_be_proven() {
    let f = fixture();
    let s = statement(&f, 3, T0, T0 + 10 * 60_000);
    // An invented entry (of the right kind, time and actor) with entry 3's path.
    let mut w = witness(&f, 3, 0);
    w.leaf.line = digest("line", b"an entry that was never logged");
    assert_eq!(prover().prove(&s, &w), Err(ZkError::NotInLog));
    assert!(constraints_hold(&s, &w).is_err());
    let forged = prover().prove_unchecked(&s, &w).unwrap();
    assert_eq!(
        prover().verifier().verify(&s, &forged),
        Err(ZkError::Invalid)
    );
    // Entry 3 again but claimed at another time.
    let mut w = witness(&f, 3, 0);
    w.leaf.at_ms += 1;
    assert_eq!(prover().prove(&s, &w), Err(ZkError::NotInLog));
    let forged = prover().prove_unchecked(&s, &w).unwrap();
    assert_eq!(
        prover().verifier().verify(&s, &forged),
        Err(ZkError::Invalid)
    );
}

#[test]
fn an_actor_outside_the_set_cannot_be_proven() {
    let f = fixture();
    // Entry 5 is by cli:mallory, who is not in the set.
    let s = statement(&f, 5, T0, T0 + 10 * 60_000);
    let w = witness(&f, 5, 0); // desktop:alice's set path
    assert_eq!(prover().prove(&s, &w), Err(ZkError::NotAuthorised));
    assert!(constraints_hold(&s, &w).is_err());
    let forged = prover().prove_unchecked(&s, &w).unwrap();
    assert_eq!(
        prover().verifier().verify(&s, &forged),
        Err(ZkError::Invalid)
    );
    // With a set that includes mallory it proves.
    let with_mallory = Tree::new(
        SET_DEPTH,
        ["desktop:alice", "cli:alice", "cli:mallory"]
            .iter()
            .map(|a| member(digest("actor", a.as_bytes())))
            .collect(),
    )
    .unwrap();
    let s2 = Statement {
        set_root: with_mallory.root(),
        ..s
    };
    let w2 = Witness {
        set_path: with_mallory.path(2).unwrap(),
        ..w
    };
    let proof = prover().prove(&s2, &w2).unwrap();
    prover().verifier().verify(&s2, &proof).unwrap();
}

#[test]
fn the_kind_and_outcome_are_bound() {
    let f = fixture();
    // Entry 7 failed (ok = false): it proves as a failure, not as a success.
    let w = witness(&f, 7, 1);
    let failed = statement(&f, 7, T0, T0 + 10 * 60_000);
    assert!(!failed.ok);
    let proof = prover().prove(&failed, &w).unwrap();
    prover().verifier().verify(&failed, &proof).unwrap();
    let claimed = Statement { ok: true, ..failed };
    assert!(matches!(
        prover().prove(&claimed, &w),
        Err(ZkError::OtherKind)
    ));
    let forged = prover().prove_unchecked(&claimed, &w).unwrap();
    assert_eq!(
        prover().verifier().verify(&claimed, &forged),
        Err(ZkError::Invalid)
    );
    // Another kind with a real entry's path.
    let other = Statement {
        kind: digest("kind", b"wallet_delete"),
        ..failed
    };
    let forged = prover().prove_unchecked(&other, &w).unwrap();
    assert_eq!(
        prover().verifier().verify(&other, &forged),
        Err(ZkError::Invalid)
    );
}

#[test]
fn the_log_tree_is_salted_by_the_chain_key() {
    use crate::audit::SaltedLog;
    use switchyard_pure::audit::{Entry, Kind};
    let lines: Vec<String> = (0..3u64)
        .map(|i| {
            Entry {
                index: i,
                at_ms: T0 + i,
                actor: "cli:alice".into(),
                kind: Kind::Lock,
                subject: None,
                ok: true,
                detail: Default::default(),
            }
            .line()
        })
        .collect();
    let a = SaltedLog::new(&lines, &[1; 32]).unwrap();
    let again = SaltedLog::new(&lines, &[1; 32]).unwrap();
    let b = SaltedLog::new(&lines, &[2; 32]).unwrap();
    assert_eq!(a.root().unwrap(), again.root().unwrap());
    assert_ne!(
        a.root().unwrap(),
        b.root().unwrap(),
        "another key, another root"
    );
    // Someone who guesses every entry exactly still cannot rebuild the root
    // without the salts.
    let unsalted = SaltedLog {
        entries: a.entries.clone(),
        salts: vec![[0; 32]; 3],
    };
    assert_ne!(unsalted.root().unwrap(), a.root().unwrap());
    let bad = vec!["not an entry".to_string()];
    assert!(matches!(
        SaltedLog::new(&bad, &[1; 32]),
        Err(crate::audit::AuditZkError::BadEntry(0))
    ));
}
