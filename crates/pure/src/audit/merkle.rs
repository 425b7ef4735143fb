//! The Merkle tree of RFC 9162 (Certificate Transparency 2.0, §2.1) over the
//! audit log's entries: the tree head commits to every entry in order, an
//! inclusion proof shows one entry is in a tree of a given size, and a
//! consistency proof shows a larger tree only appended to a smaller one.
//!
//! Hashes (§2.1.1), SHA-256 throughout:
//! - the empty tree: `MTH({}) = SHA-256()`;
//! - a leaf: `MTH({d0}) = SHA-256(0x00 ‖ d0)`;
//! - n > 1 entries, k the largest power of two smaller than n:
//!   `MTH(D[n]) = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))`.
//!
//! Proofs are built as §2.1.3.1 (`PATH`) and §2.1.4.1 (`PROOF`/`SUBPROOF`)
//! define them and verified with the algorithms of §2.1.3.2 and §2.1.4.2,
//! whose numbered steps the code below follows. Tested against the
//! published Certificate Transparency vectors (crates/pure/tests/audit.rs).

use bitcoin::hashes::{sha256, Hash as _, HashEngine as _};

/// A node of the tree (32 bytes of SHA-256).
pub type Hash = [u8; 32];

/// Why a proof does not hold, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The entry's index is not inside the tree.
    #[error("entry {index} is not in a tree of {size} entries")]
    IndexOutOfRange {
        /// The entry's index (from 0).
        index: u64,
        /// The tree's size.
        size: u64,
    },
    /// The larger tree is smaller than the first.
    #[error("a tree of {second} entries cannot extend one of {first}")]
    Shrunk {
        /// The first tree's size.
        first: u64,
        /// The second tree's size.
        second: u64,
    },
    /// The proof has too many or too few hashes for the sizes.
    #[error("the proof has the wrong number of hashes for these sizes")]
    WrongLength,
    /// The proof leads to another root.
    #[error("the proof leads to another root than the tree head's")]
    RootMismatch,
}

/// The hash of a leaf holding `data`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut e = sha256::Hash::engine();
    e.input(&[0x00]);
    e.input(data);
    sha256::Hash::from_engine(e).to_byte_array()
}

/// The hash of an inner node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut e = sha256::Hash::engine();
    e.input(&[0x01]);
    e.input(left);
    e.input(right);
    sha256::Hash::from_engine(e).to_byte_array()
}

/// The root of the empty tree.
pub fn empty_root() -> Hash {
    sha256::Hash::hash(&[]).to_byte_array()
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// `MTH(D[n])` over leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// `PATH(m, D[n])`: the inclusion proof of leaf `m` (§2.1.3.1).
pub fn inclusion_proof(m: usize, leaves: &[Hash]) -> Result<Vec<Hash>, ProofError> {
    if m >= leaves.len() {
        return Err(ProofError::IndexOutOfRange {
            index: m as u64,
            size: leaves.len() as u64,
        });
    }
    fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
        if d.len() <= 1 {
            return;
        }
        let k = split(d.len());
        if m < k {
            path(m, &d[..k], out);
            out.push(root(&d[k..]));
        } else {
            path(m - k, &d[k..], out);
            out.push(root(&d[..k]));
        }
    }
    let mut out = Vec::new();
    path(m, leaves, &mut out);
    Ok(out)
}

/// `PROOF(m, D[n])`: the consistency proof between the first `m` leaves and
/// all of them (§2.1.4.1).
pub fn consistency_proof(m: usize, leaves: &[Hash]) -> Result<Vec<Hash>, ProofError> {
    if m > leaves.len() {
        return Err(ProofError::Shrunk {
            first: m as u64,
            second: leaves.len() as u64,
        });
    }
    fn subproof(m: usize, d: &[Hash], complete: bool, out: &mut Vec<Hash>) {
        if m == d.len() {
            if !complete {
                out.push(root(d));
            }
            return;
        }
        let k = split(d.len());
        if m <= k {
            subproof(m, &d[..k], complete, out);
            out.push(root(&d[k..]));
        } else {
            subproof(m - k, &d[k..], false, out);
            out.push(root(&d[..k]));
        }
    }
    let mut out = Vec::new();
    if m > 0 {
        subproof(m, leaves, true, &mut out);
    }
    Ok(out)
}

/// Checks an inclusion proof (§2.1.3.2): the leaf `leaf` at `index` is in
/// the tree of `size` entries whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    // 1. The index must be inside the tree.
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // 2.-3.
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    // 4.
    for p in proof {
        // a.
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        // b.
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        // c.
        fnode >>= 1;
        snode >>= 1;
    }
    // 5.
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks a consistency proof (§2.1.4.2): the tree of `first` entries with
/// root `first_root` is the start of the tree of `second` entries with root
/// `second_root`.
pub fn verify_consistency(
    first: u64,
    second: u64,
    proof: &[Hash],
    first_root: &Hash,
    second_root: &Hash,
) -> Result<(), ProofError> {
    if second < first {
        return Err(ProofError::Shrunk { first, second });
    }
    if first == second {
        // The same tree: nothing to prove, the roots must be the same.
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if first_root == second_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if first == 0 {
        // The empty tree is the start of every tree.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    // 1.
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    // 2. A complete first tree is its own first node.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    // 3.
    let (mut fnode, mut snode) = (first - 1, second - 1);
    // 4.
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    // 5.
    let (mut fr, mut sr) = (path[0], path[0]);
    // 6.
    for c in &path[1..] {
        // a.
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        // b.
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        // c.
        fnode >>= 1;
        snode >>= 1;
    }
    // 7.
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr != first_root || &sr != second_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The right edge of a growing tree: the roots of its complete subtrees,
/// largest first (at most one per bit of the size). Appending a leaf and
/// reading the root take O(log n), so a log's head can be signed after every
/// append without reading the whole log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// (subtree size, root), sizes strictly decreasing powers of two.
    nodes: Vec<(u64, Hash)>,
}

impl Frontier {
    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (1u64, leaf);
        while let Some(&(s, h)) = self.nodes.last() {
            if s != node.0 {
                break;
            }
            self.nodes.pop();
            node = (s * 2, node_hash(&h, &node.1));
        }
        self.nodes.push(node);
        self.size += 1;
    }

    /// `MTH` of every leaf pushed.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        match it.next() {
            None => empty_root(),
            Some(&(_, last)) => it.fold(last, |r, (_, h)| node_hash(h, &r)),
        }
    }

    /// The subtree roots, largest first (to store).
    pub fn hashes(&self) -> Vec<Hash> {
        self.nodes.iter().map(|(_, h)| *h).collect()
    }

    /// A frontier from its size and stored hashes; `None` when they do not
    /// fit together (one hash per set bit of the size).
    pub fn from_parts(size: u64, hashes: &[Hash]) -> Option<Frontier> {
        let sizes: Vec<u64> = (0..64)
            .rev()
            .map(|b| 1u64 << b)
            .filter(|s| size & s != 0)
            .collect();
        (sizes.len() == hashes.len()).then(|| Frontier {
            size,
            nodes: sizes.into_iter().zip(hashes.iter().copied()).collect(),
        })
    }
}
