//! The audit log's pure logic: RFC 9162's Merkle tree on Certificate
//! Transparency's published vectors (roots, inclusion and consistency
//! proofs, built and verified; every corruption of a good proof refused),
//! signed tree heads, and the tamper matrix — an edit, a deletion, a
//! reorder, a truncation and a forked head each named by `verify`, with and
//! without the chain's key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::secp256k1::{Keypair, Secp256k1, SecretKey};
use std::collections::BTreeMap;
use switchyard_pure::audit::merkle::{self, Hash, ProofError};
use switchyard_pure::audit::{self, Break, Entry, Expect, Kind, Stored, TreeHead};

fn vectors() -> serde_json::Value {
    serde_json::from_str(include_str!("vectors/rfc9162-merkle.json")).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn h32(v: &serde_json::Value) -> Hash {
    unhex(v.as_str().unwrap()).try_into().unwrap()
}

fn hashes(v: &serde_json::Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(h32).collect()
}

fn leaf_hashes() -> Vec<Hash> {
    vectors()["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| merkle::leaf_hash(&unhex(l.as_str().unwrap())))
        .collect()
}

#[test]
fn roots_of_every_size_match_the_vectors() {
    let v = vectors();
    let leaves = leaf_hashes();
    assert_eq!(merkle::root(&[]), h32(&v["empty_root"]));
    for (n, want) in v["roots"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            merkle::root(&leaves[..=n]),
            h32(want),
            "tree of {} leaves",
            n + 1
        );
    }
}

#[test]
fn inclusion_proofs_are_built_and_verified_as_published() {
    let v = vectors();
    let leaves = leaf_hashes();
    let roots = hashes(&v["roots"]);
    for case in v["inclusion"].as_array().unwrap() {
        let index = case["index"].as_u64().unwrap();
        let size = case["size"].as_u64().unwrap();
        let want = hashes(&case["proof"]);
        let tree = &leaves[..size as usize];
        let built = merkle::inclusion_proof(index as usize, tree).unwrap();
        assert_eq!(built, want, "PATH({index}, D[{size}])");
        let root = roots[size as usize - 1];
        let leaf = leaves[index as usize];
        merkle::verify_inclusion(index, size, &leaf, &want, &root).unwrap();
        // Every corruption the vectors' own tests make is refused.
        let wrong_leaf = merkle::leaf_hash(b"not this one");
        assert!(merkle::verify_inclusion(index, size, &wrong_leaf, &want, &root).is_err());
        if index > 0 {
            assert!(merkle::verify_inclusion(index - 1, size, &leaf, &want, &root).is_err());
        }
        assert!(merkle::verify_inclusion(index + 1, size, &leaf, &want, &root).is_err());
        assert!(merkle::verify_inclusion(index ^ 2, size, &leaf, &want, &root).is_err());
        assert!(merkle::verify_inclusion(index, size * 2, &leaf, &want, &root).is_err());
        assert!(merkle::verify_inclusion(index, size / 2, &leaf, &want, &root).is_err());
        let mut front = want.clone();
        front.insert(0, root);
        assert!(merkle::verify_inclusion(index, size, &leaf, &front, &root).is_err());
        assert!(
            merkle::verify_inclusion(index, size, &leaf, &want, &merkle::empty_root()).is_err()
        );
        let mut longer = want.clone();
        longer.push(root);
        assert!(merkle::verify_inclusion(index, size, &leaf, &longer, &root).is_err());
        if !want.is_empty() {
            assert!(merkle::verify_inclusion(index, size, &leaf, &want[1..], &root).is_err());
            let mut flipped = want.clone();
            flipped[0][0] ^= 1;
            assert!(merkle::verify_inclusion(index, size, &leaf, &flipped, &root).is_err());
        }
    }
    assert_eq!(
        merkle::verify_inclusion(3, 3, &leaves[0], &[], &roots[2]),
        Err(ProofError::IndexOutOfRange { index: 3, size: 3 })
    );
}

#[test]
fn consistency_proofs_are_built_and_verified_as_published() {
    let v = vectors();
    let leaves = leaf_hashes();
    let roots = hashes(&v["roots"]);
    for case in v["consistency"].as_array().unwrap() {
        let first = case["first"].as_u64().unwrap();
        let second = case["second"].as_u64().unwrap();
        let want = hashes(&case["proof"]);
        let built = merkle::consistency_proof(first as usize, &leaves[..second as usize]).unwrap();
        assert_eq!(built, want, "PROOF({first}, D[{second}])");
        let (r1, r2) = (roots[first as usize - 1], roots[second as usize - 1]);
        merkle::verify_consistency(first, second, &want, &r1, &r2).unwrap();
        if first == second {
            continue;
        }
        // Corruptions, as the vectors' own tests make them.
        assert!(merkle::verify_consistency(first - 1, second, &want, &r1, &r2).is_err());
        assert!(merkle::verify_consistency(first + 1, second, &want, &r1, &r2).is_err());
        assert!(merkle::verify_consistency(first, second * 2, &want, &r1, &r2).is_err());
        assert!(merkle::verify_consistency(first, second, &want, &r2, &r1).is_err());
        assert!(merkle::verify_consistency(first, second, &[], &r1, &r2).is_err());
        let mut trailing = want.clone();
        trailing.push(r1);
        assert!(merkle::verify_consistency(first, second, &trailing, &r1, &r2).is_err());
        assert!(
            merkle::verify_consistency(first, second, &want[..want.len() - 1], &r1, &r2).is_err()
        );
        for i in 0..want.len() {
            let mut bad = want.clone();
            bad[i][31] ^= 0x80;
            assert!(
                merkle::verify_consistency(first, second, &bad, &r1, &r2).is_err(),
                "hash {i} flipped"
            );
        }
    }
    // Sizes always consistent, and a tree that shrank.
    let empty = merkle::empty_root();
    merkle::verify_consistency(0, 5, &[], &empty, &roots[4]).unwrap();
    merkle::verify_consistency(3, 3, &[], &roots[2], &roots[2]).unwrap();
    assert_eq!(
        merkle::verify_consistency(5, 3, &[], &roots[4], &roots[2]),
        Err(ProofError::Shrunk {
            first: 5,
            second: 3
        })
    );
}

#[test]
fn every_pair_of_sizes_up_to_forty_proves_itself() {
    // Beyond the vectors: proofs built by PATH/PROOF verify for every index
    // and pair of sizes, so the builder and the checker agree everywhere.
    let leaves: Vec<Hash> = (0u32..40)
        .map(|i| merkle::leaf_hash(&i.to_be_bytes()))
        .collect();
    for n in 1..=leaves.len() {
        let root = merkle::root(&leaves[..n]);
        for m in 0..n {
            let p = merkle::inclusion_proof(m, &leaves[..n]).unwrap();
            merkle::verify_inclusion(m as u64, n as u64, &leaves[m], &p, &root).unwrap();
            let c = merkle::consistency_proof(m, &leaves[..n]).unwrap();
            let first = merkle::root(&leaves[..m]);
            merkle::verify_consistency(m as u64, n as u64, &c, &first, &root).unwrap();
        }
    }
}

fn keypair(byte: u8) -> Keypair {
    Keypair::from_secret_key(
        &Secp256k1::new(),
        &SecretKey::from_slice(&[byte; 32]).unwrap(),
    )
}

#[test]
fn a_tree_head_verifies_only_as_signed() {
    let kp = keypair(7);
    let root = merkle::leaf_hash(b"x");
    let head = TreeHead::sign(&kp, 1, &root, 1_700_000_000_000);
    let ours = kp.x_only_public_key().0;
    head.verify(Some(&ours)).unwrap();
    head.verify(None).unwrap();
    let other = keypair(8).x_only_public_key().0;
    assert!(matches!(
        head.verify(Some(&other)),
        Err(audit::HeadError::OtherKey { .. })
    ));
    for tamper in [
        |h: &mut TreeHead| h.size += 1,
        |h: &mut TreeHead| h.at_ms += 1,
        |h: &mut TreeHead| h.root = audit::hex(&merkle::empty_root()),
    ] {
        let mut bad = head.clone();
        tamper(&mut bad);
        assert_eq!(bad.verify(Some(&ours)), Err(audit::HeadError::BadSignature));
    }
    let mut garbled = head.clone();
    garbled.signature.truncate(10);
    assert!(matches!(
        garbled.verify(None),
        Err(audit::HeadError::Malformed(_))
    ));
}

/// The signed Poseidon root of the zero-knowledge proofs: the same rules as
/// a tree head, under its own domain (a tree head's signature is not one).
#[test]
fn a_zk_head_verifies_only_as_signed_and_salts_differ() {
    let kp = keypair(7);
    let ours = kp.x_only_public_key().0;
    let root = [5u8; 32];
    let head = audit::ZkHead::sign(&kp, 3, &root, 1_700_000_000_000);
    head.verify(Some(&ours)).unwrap();
    head.verify(None).unwrap();
    assert!(matches!(
        head.verify(Some(&keypair(8).x_only_public_key().0)),
        Err(audit::HeadError::OtherKey { .. })
    ));
    for tamper in [
        |h: &mut audit::ZkHead| h.size += 1,
        |h: &mut audit::ZkHead| h.at_ms += 1,
        |h: &mut audit::ZkHead| h.poseidon_root = audit::hex(&[6u8; 32]),
    ] {
        let mut bad = head.clone();
        tamper(&mut bad);
        assert_eq!(bad.verify(Some(&ours)), Err(audit::HeadError::BadSignature));
    }
    // A tree head's signature over the same numbers does not pass as one.
    let th = TreeHead::sign(&kp, 3, &root, 1_700_000_000_000);
    let mut forged = head.clone();
    forged.signature = th.signature;
    assert_eq!(
        forged.verify(Some(&ours)),
        Err(audit::HeadError::BadSignature)
    );
    // Salts: per entry, per key.
    assert_ne!(audit::zk_salt(&KEY, 0), audit::zk_salt(&KEY, 1));
    assert_ne!(audit::zk_salt(&KEY, 0), audit::zk_salt(&[0x43; 32], 0));
}

const KEY: [u8; 32] = [0x42; 32];

fn entry(index: u64, kind: Kind) -> Entry {
    let mut detail = BTreeMap::new();
    detail.insert("amount_sat".to_string(), format!("{}", 1000 * (index + 1)));
    Entry {
        index,
        at_ms: 1_700_000_000_000 + index * 1000,
        actor: "cli:alice".into(),
        kind,
        subject: Some(format!("wallet:w{index}")),
        ok: true,
        detail,
    }
}

/// A log of `n` entries as the store keeps it, with a head after each.
fn log(n: u64, kp: &Keypair) -> (Vec<Stored>, Vec<TreeHead>) {
    let mut stored = Vec::new();
    let mut heads = Vec::new();
    let mut prev = audit::GENESIS;
    let mut leaves = Vec::new();
    for i in 0..n {
        let line = entry(i, Kind::ALL[i as usize % Kind::ALL.len()]).line();
        let link = audit::link(&KEY, &prev, &line);
        prev = link;
        leaves.push(merkle::leaf_hash(line.as_bytes()));
        stored.push(Stored {
            line,
            link: Some(link),
        });
        heads.push(TreeHead::sign(
            kp,
            i + 1,
            &merkle::root(&leaves),
            1_700_000_000_000 + i,
        ));
    }
    (stored, heads)
}

fn relink(stored: &mut [Stored]) {
    let mut prev = audit::GENESIS;
    for s in stored.iter_mut() {
        let l = audit::link(&KEY, &prev, &s.line);
        s.link = Some(l);
        prev = l;
    }
}

#[test]
fn entries_are_canonical_json_and_kinds_have_names() {
    let e = entry(3, Kind::PsbtSign);
    let line = e.line();
    assert!(
        line.starts_with(
            r#"{"index":3,"at_ms":1700000003000,"actor":"cli:alice","kind":"psbt_sign""#
        ),
        "{line}"
    );
    assert_eq!(Entry::from_line(&line), Some(e));
    // The same entry with other spacing is not its canonical line.
    assert_eq!(Entry::from_line(&line.replace(":3,", ": 3,")), None);
    for k in Kind::ALL {
        assert_eq!(Kind::parse(&k.name()), Some(k));
    }
    assert_eq!(Kind::parse("wallet_create"), Some(Kind::WalletCreate));
}

#[test]
fn an_untouched_log_verifies_with_and_without_the_chain_key() {
    let kp = keypair(1);
    let public = kp.x_only_public_key().0;
    let (stored, heads) = log(12, &kp);
    let with_key = audit::verify(
        &stored,
        &heads,
        &Expect {
            chain_key: Some(&KEY),
            public_key: Some(&public),
            anchor: heads.last(),
        },
    );
    assert_eq!(with_key.broken, None);
    assert!(with_key.chain_checked);
    assert_eq!(with_key.root, heads.last().unwrap().root);
    let third_party: Vec<Stored> = stored
        .iter()
        .map(|s| Stored {
            line: s.line.clone(),
            link: None,
        })
        .collect();
    let without = audit::verify(
        &third_party,
        &heads,
        &Expect {
            chain_key: None,
            public_key: Some(&public),
            anchor: None,
        },
    );
    assert_eq!(without.broken, None);
    assert!(!without.chain_checked);
}

#[test]
fn the_tamper_matrix_names_each_break() {
    let kp = keypair(2);
    let public = kp.x_only_public_key().0;
    let (stored, heads) = log(10, &kp);
    let latest = heads.last().unwrap().clone();
    let ours = |s: &[Stored], h: &[TreeHead]| {
        audit::verify(
            s,
            h,
            &Expect {
                chain_key: Some(&KEY),
                public_key: Some(&public),
                anchor: Some(&latest),
            },
        )
        .broken
    };

    // An edit: entry 4's amount changed, its line re-encoded canonically.
    let mut edited = stored.clone();
    let mut e4 = Entry::from_line(&edited[4].line).unwrap();
    e4.detail.insert("amount_sat".into(), "1".into());
    edited[4].line = e4.line();
    assert_eq!(ours(&edited, &heads), Some(Break::Edited { index: 4 }));
    // Every face says it the same way.
    let said = audit::verify(
        &edited,
        &heads,
        &Expect {
            chain_key: Some(&KEY),
            ..Expect::default()
        },
    )
    .broken_words;
    assert_eq!(
        said.as_deref(),
        Some("Entry 4 was edited after it was written.")
    );
    // Without the chain key (a third party), the signed heads catch it.
    let edited_export: Vec<Stored> = edited
        .iter()
        .map(|s| Stored {
            line: s.line.clone(),
            link: None,
        })
        .collect();
    let third = audit::verify(
        &edited_export,
        &heads,
        &Expect {
            chain_key: None,
            public_key: Some(&public),
            anchor: None,
        },
    )
    .broken;
    assert_eq!(third, Some(Break::Rewritten { size: 5 }));
    // Even with the chain re-linked by someone holding the key, the heads catch it.
    let mut relinked = edited.clone();
    relink(&mut relinked);
    assert_eq!(ours(&relinked, &heads), Some(Break::Rewritten { size: 5 }));

    // A deletion from the middle.
    let mut deleted = stored.clone();
    deleted.remove(6);
    assert_eq!(
        ours(&deleted, &heads),
        Some(Break::Deleted { index: 6, next: 7 })
    );

    // A reorder.
    let mut reordered = stored.clone();
    reordered.swap(2, 3);
    assert_eq!(
        ours(&reordered, &heads),
        Some(Break::Reordered {
            position: 2,
            found: 3
        })
    );

    // A truncation: the last three entries and their heads gone; the anchor
    // (the keychain's copy of the latest head) still says 10.
    let truncated = &stored[..7];
    assert_eq!(
        ours(truncated, &heads[..7]),
        Some(Break::Truncated {
            have: 7,
            signed: 10
        })
    );

    // A forked head: another history signed at the same size.
    let mut fork = heads.clone();
    let other_root = merkle::leaf_hash(b"another history");
    fork.push(TreeHead::sign(&kp, 6, &other_root, 1_800_000_000_000));
    assert_eq!(ours(&stored, &fork), Some(Break::Forked { size: 6 }));

    // A head signed by another key.
    let mut foreign = heads.clone();
    foreign[3] = TreeHead::sign(
        &keypair(3),
        4,
        &heads[3].root_hash().unwrap(),
        heads[3].at_ms,
    );
    assert!(matches!(
        ours(&stored, &foreign),
        Some(Break::BadHead { size: 4, .. })
    ));

    // A line that is not an entry.
    let mut garbage = stored.clone();
    garbage[1].line = "{\"hello\":1}".into();
    assert_eq!(
        ours(&garbage, &heads),
        Some(Break::Unreadable { position: 1 })
    );
}

#[test]
fn the_frontier_gives_every_root_as_the_tree_grows() {
    let leaves: Vec<Hash> = (0u32..70)
        .map(|i| merkle::leaf_hash(&i.to_le_bytes()))
        .collect();
    let mut f = merkle::Frontier::default();
    assert_eq!(f.root(), merkle::empty_root());
    for (n, l) in leaves.iter().enumerate() {
        f.push(*l);
        assert_eq!(f.size(), n as u64 + 1);
        assert_eq!(f.root(), merkle::root(&leaves[..=n]), "size {}", n + 1);
        let back = merkle::Frontier::from_parts(f.size(), &f.hashes()).unwrap();
        assert_eq!(back, f);
    }
    assert_eq!(
        merkle::Frontier::from_parts(5, &[leaves[0]]),
        None,
        "5 needs two subtrees"
    );
    // The vectors' trees, through the frontier.
    let v = leaf_hashes();
    let mut g = merkle::Frontier::default();
    for (n, l) in v.iter().enumerate() {
        g.push(*l);
        assert_eq!(g.root(), h32(&vectors()["roots"][n]));
    }
}
