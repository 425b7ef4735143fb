//! The committed trees, computed natively: the log's Poseidon Merkle tree
//! (one leaf per entry) and the authorised set's (one leaf per actor).
//!
//! Both have a fixed depth; positions past the last leaf hold zero, and
//! empty subtrees hash like any other (precomputed per level). Hashes are
//! Poseidon (P128Pow5T3 over the Pallas base field) with constant-length
//! domains, so a leaf (5 inputs), a set member (1 input) and an inner node
//! (2 inputs) can never be confused with each other.

use crate::field::Fp;
use halo2_poseidon::{ConstantLength, Hash, P128Pow5T3};

/// Levels of the log's tree: room for 2^32 entries.
pub const LOG_DEPTH: usize = 32;
/// Levels of the authorised set's tree: room for 256 actors.
pub const SET_DEPTH: usize = 8;

/// Poseidon of `L` field elements.
pub fn poseidon<const L: usize>(message: [Fp; L]) -> Fp {
    Hash::<Fp, P128Pow5T3, ConstantLength<L>, 3, 2>::init().hash(message)
}

/// An inner node.
pub fn node(left: Fp, right: Fp) -> Fp {
    poseidon([left, right])
}

/// The leaf of an actor in the authorised set.
pub fn member(actor: Fp) -> Fp {
    poseidon([actor])
}

/// The way from a leaf to the root: the sibling at each level, and whether
/// the node on the way is the right child there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// Siblings, leaf level first.
    pub siblings: Vec<Fp>,
    /// `true` where the node on the way is the right child.
    pub right: Vec<bool>,
}

impl Path {
    /// The root this path leads to from `leaf`.
    pub fn root_from(&self, leaf: Fp) -> Fp {
        self.siblings
            .iter()
            .zip(&self.right)
            .fold(leaf, |cur, (sib, right)| {
                if *right {
                    node(*sib, cur)
                } else {
                    node(cur, *sib)
                }
            })
    }
}

/// Why a tree cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// More leaves than the depth holds.
    #[error("{leaves} leaves do not fit a tree of depth {depth}")]
    TooMany {
        /// Leaves given.
        leaves: usize,
        /// The tree's depth.
        depth: usize,
    },
}

/// A fixed-depth tree over some leaves, zero past them.
#[derive(Debug, Clone)]
pub struct Tree {
    /// `levels[0]` the leaves, `levels[i]` the non-empty nodes at height i.
    levels: Vec<Vec<Fp>>,
    /// The hash of an empty subtree of each height.
    empty: Vec<Fp>,
}

impl Tree {
    /// The tree of `depth` levels over `leaves`.
    pub fn new(depth: usize, leaves: Vec<Fp>) -> Result<Tree, TreeError> {
        let fits = u32::try_from(depth)
            .ok()
            .and_then(|d| 1usize.checked_shl(d))
            .is_none_or(|cap| leaves.len() <= cap);
        if !fits {
            return Err(TreeError::TooMany {
                leaves: leaves.len(),
                depth,
            });
        }
        let mut empty = vec![Fp::zero()];
        for h in 0..depth {
            empty.push(node(empty[h], empty[h]));
        }
        let mut levels = vec![leaves];
        for h in 0..depth {
            let below = &levels[h];
            let above: Vec<Fp> = below
                .chunks(2)
                .map(|pair| node(pair[0], pair.get(1).copied().unwrap_or(empty[h])))
                .collect();
            levels.push(above);
        }
        Ok(Tree { levels, empty })
    }

    /// The tree's depth.
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// How many leaves were given.
    pub fn len(&self) -> usize {
        self.levels[0].len()
    }

    /// Whether no leaf was given.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The root.
    pub fn root(&self) -> Fp {
        let top = self.depth();
        self.levels[top].first().copied().unwrap_or(self.empty[top])
    }

    /// The leaf at `index`, if there is one.
    pub fn leaf(&self, index: usize) -> Option<Fp> {
        self.levels[0].get(index).copied()
    }

    /// The path of the leaf at `index`.
    pub fn path(&self, index: usize) -> Option<Path> {
        self.leaf(index)?;
        let mut siblings = Vec::with_capacity(self.depth());
        let mut right = Vec::with_capacity(self.depth());
        let mut i = index;
        for h in 0..self.depth() {
            let sib = i ^ 1;
            siblings.push(self.levels[h].get(sib).copied().unwrap_or(self.empty[h]));
            right.push(i & 1 == 1);
            i >>= 1;
        }
        Some(Path { siblings, right })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn paths_lead_to_the_root_and_sizes_are_bounded() {
        let leaves: Vec<Fp> = (1..=5u64).map(Fp::from).collect();
        let t = Tree::new(4, leaves.clone()).unwrap();
        for (i, leaf) in leaves.iter().enumerate() {
            let p = t.path(i).unwrap();
            assert_eq!(p.root_from(*leaf), t.root(), "leaf {i}");
            assert_ne!(p.root_from(*leaf + Fp::one()), t.root());
        }
        assert!(t.path(5).is_none(), "no path to an empty position");
        // The root by hand for depth 2 over [a, b, c].
        let small = Tree::new(2, leaves[..3].to_vec()).unwrap();
        let want = node(node(leaves[0], leaves[1]), node(leaves[2], Fp::zero()));
        assert_eq!(small.root(), want);
        assert!(matches!(
            Tree::new(2, leaves.clone()),
            Err(TreeError::TooMany {
                leaves: 5,
                depth: 2
            })
        ));
        // One more leaf, another root.
        let grown = Tree::new(4, (1..=6u64).map(Fp::from).collect()).unwrap();
        assert_ne!(grown.root(), t.root());
        assert_eq!(Tree::new(3, vec![]).unwrap().root(), {
            let e1 = node(Fp::zero(), Fp::zero());
            let e2 = node(e1, e1);
            node(e2, e2)
        });
    }

    #[test]
    fn domains_keep_leaves_members_and_nodes_apart() {
        let a = Fp::from(7);
        let b = Fp::from(9);
        assert_ne!(member(a), node(a, Fp::zero()));
        assert_ne!(poseidon([a, b, a, b, a]), node(a, b));
    }
}
