//! RFC 6962 Merkle tree hashing: leaf and node hashes, tree heads, and a compact range
//! that checks a tree head while entries stream past without keeping them.

use sha2::{Digest, Sha256};

/// A SHA-256 hash, the only hash RFC 6962 logs use.
pub type Hash = [u8; 32];

/// Leaf hash of a `TimestampedEntry`: SHA-256(0x00 || MerkleTreeLeaf), where the
/// MerkleTreeLeaf is version 0 (v1), leaf type 0 (timestamped_entry), then the entry bytes.
pub fn leaf_hash(timestamped_entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8, 0, 0]);
    h.update(timestamped_entry);
    h.finalize().into()
}

/// Leaf hash of a whole serialized MerkleTreeLeaf (what RFC 6962 `get-entries` returns).
pub fn merkle_leaf_hash(merkle_tree_leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(merkle_tree_leaf);
    h.finalize().into()
}

/// Interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The Merkle Tree Hash of an empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// RFC 6962 Merkle Tree Hash over already-hashed leaves (`MTH(D[n])`, section 2.1): split at
/// the largest power of two below `n`. Recursion depth is log2(n), so no stack worry.
pub fn mth(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => empty_root(),
        [one] => *one,
        _ => {
            let k = split_point(leaves.len());
            let (left, right) = leaves.split_at(k);
            node_hash(&mth(left), &mth(right))
        }
    }
}

/// Largest power of two strictly below `n` (n ≥ 2).
fn split_point(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// Root of a tree given its perfect subtrees left to right (largest first), which is how
/// RFC 6962 tree heads decompose: `MTH = node(P1, node(P2, ... Pm))`.
pub fn fold_subtrees(subtrees: &[Hash]) -> Hash {
    let mut iter = subtrees.iter().rev();
    let Some(last) = iter.next() else {
        return empty_root();
    };
    iter.fold(*last, |acc, h| node_hash(h, &acc))
}

/// The right edge of a tree being built leaf by leaf: one perfect subtree per set bit of the
/// size. Lets a reader check a tree head after streaming every entry from 0, in O(log n) memory.
#[derive(Debug, Clone, Default)]
pub struct CompactRange {
    size: u64,
    /// (height, hash) of perfect subtrees, largest (leftmost) first.
    stack: Vec<(u32, Hash)>,
}

impl CompactRange {
    /// An empty range (tree size 0).
    pub fn new() -> CompactRange {
        CompactRange::default()
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends the next leaf hash, merging equal-height subtrees like a binary counter.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (0u32, leaf);
        while let Some(&(height, left)) = self.stack.last() {
            if height != node.0 {
                break;
            }
            self.stack.pop();
            node = (height + 1, node_hash(&left, &node.1));
        }
        self.stack.push(node);
        self.size += 1;
    }

    /// The Merkle Tree Hash of all leaves appended so far.
    pub fn root(&self) -> Hash {
        let hashes: Vec<Hash> = self.stack.iter().map(|&(_, h)| h).collect();
        fold_subtrees(&hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn rfc6962_shapes() {
        let l = leaves(3);
        assert_eq!(
            mth(&l),
            node_hash(&node_hash(&l[0], &l[1]), &l[2]),
            "size 3 splits 2 + 1"
        );
        assert_eq!(mth(&l[..1]), l[0]);
        assert_eq!(
            empty_root(),
            [
                0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f,
                0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b,
                0x78, 0x52, 0xb8, 0x55
            ]
        );
    }

    #[test]
    fn compact_range_matches_mth_at_every_size() {
        let l = leaves(600);
        let mut range = CompactRange::new();
        assert_eq!(range.root(), empty_root());
        for (i, h) in l.iter().enumerate() {
            range.push(*h);
            assert_eq!(range.root(), mth(&l[..=i]), "size {}", i + 1);
        }
        assert_eq!(range.size(), 600);
    }
}
