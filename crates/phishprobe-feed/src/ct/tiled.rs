//! Reading a Static CT API log: checkpoint, data tiles and the hash tiles that prove them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::checkpoint::{self, Checkpoint};
use super::error::CtError;
use super::http::{Body, Fetcher};
use super::merkle::{Hash, fold_subtrees, leaf_hash, mth};
use super::tile::{TILE_WIDTH, parse_data_tile, parse_hash_tile, tile_path};
use super::{CtBatch, CtEntry, CtLimits, RootCheck};

/// Fetches `<base>/checkpoint` and checks its root against the tiles; `None` on 404.
pub async fn checkpoint(f: &Fetcher, limits: &CtLimits) -> Result<Option<Checkpoint>, CtError> {
    let Body::Found(text) = f.get("checkpoint", limits.max_checkpoint_bytes).await? else {
        return Ok(None);
    };
    let cp = checkpoint::parse(&text, limits.max_tree_size)?;
    let mut tiles = Tiles::new(f, cp.size, limits);
    tiles.check_root(&cp.root).await?;
    Ok(Some(cp))
}

/// Reads the data tile holding `start`, verifies it up to the checkpoint root, and returns
/// the entries from `start` to the end of the tile.
pub async fn read_batch(
    f: &Fetcher,
    limits: &CtLimits,
    start: u64,
    cp: &Checkpoint,
) -> Result<CtBatch, CtError> {
    let mut tiles = Tiles::new(f, cp.size, limits);
    let n = start / TILE_WIDTH;
    let width = tiles.width(0, n);
    let (path, bytes, full) = tiles.fetch(None, n, width).await?;
    let count = if full { TILE_WIDTH } else { width };
    let parsed = parse_data_tile(&path, &bytes, count as usize)?;
    let level0 = tiles.hash_tile(0, n).await?;
    let first = n * TILE_WIDTH;
    for (i, (entry, expected)) in parsed.iter().zip(&level0).enumerate() {
        if leaf_hash(entry.bytes) != *expected {
            return Err(CtError::Mismatch {
                what: format!(
                    "entry {} in {path} does not hash to its level-0 tile hash",
                    first + i as u64
                ),
            });
        }
    }
    tiles.verify_up(n, &level0).await?;
    tiles.check_root(&cp.root).await?;
    let skip = (start - first) as usize;
    let entries = parsed
        .iter()
        .take(width as usize)
        .enumerate()
        .skip(skip)
        .map(|(i, e)| CtEntry::from_logged(first + i as u64, e, limits))
        .collect();
    Ok(CtBatch {
        start,
        next: first + width,
        entries,
        root: RootCheck::Verified,
    })
}

/// Hash tiles of one tree size, fetched once per batch so every check sees the same bytes.
struct Tiles<'a> {
    f: &'a Fetcher,
    size: u64,
    limit: usize,
    cache: Vec<((u8, u64), Vec<Hash>)>,
}

impl<'a> Tiles<'a> {
    fn new(f: &'a Fetcher, size: u64, limits: &CtLimits) -> Tiles<'a> {
        Tiles {
            f,
            size,
            limit: limits.max_tile_bytes,
            cache: Vec::new(),
        }
    }

    /// Hashes in tile `index` at `level` for this tree size (256 when full, 0 past the end).
    fn width(&self, level: u8, index: u64) -> u64 {
        let count = self.size.checked_shr(8 * u32::from(level)).unwrap_or(0);
        if index.saturating_add(1).saturating_mul(TILE_WIDTH) <= count {
            TILE_WIDTH
        } else if index == count / TILE_WIDTH {
            count % TILE_WIDTH
        } else {
            0
        }
    }

    /// Fetches a tile; a missing partial tile falls back to the full one (logs may drop
    /// partial tiles once the full tile exists). Returns the path, bytes and whether full.
    async fn fetch(
        &self,
        level: Option<u8>,
        index: u64,
        width: u64,
    ) -> Result<(String, Vec<u8>, bool), CtError> {
        let path = tile_path(level, index, width);
        if width == 0 {
            return Err(CtError::Limit(format!("{path} is outside the tree")));
        }
        match self.f.get(&path, self.limit).await? {
            Body::Found(b) => Ok((path, b, width == TILE_WIDTH)),
            Body::Missing if width < TILE_WIDTH => {
                let full = tile_path(level, index, TILE_WIDTH);
                let b = self.f.get_found(&full, self.limit).await?;
                Ok((full, b, true))
            }
            Body::Missing => {
                let b = self.f.get_found(&path, self.limit).await?;
                Ok((path, b, true))
            }
        }
    }

    /// The hashes of a hash tile, cut to this tree size's width.
    async fn hash_tile(&mut self, level: u8, index: u64) -> Result<Vec<Hash>, CtError> {
        if let Some((_, h)) = self.cache.iter().find(|(k, _)| *k == (level, index)) {
            return Ok(h.clone());
        }
        let width = self.width(level, index);
        let (path, bytes, full) = self.fetch(Some(level), index, width).await?;
        let count = if full { TILE_WIDTH } else { width };
        let mut hashes = parse_hash_tile(&path, &bytes, count as usize)?;
        hashes.truncate(width as usize);
        self.cache.push(((level, index), hashes.clone()));
        Ok(hashes)
    }

    /// Walks a full tile up the levels (its MTH must be the parent tile's entry) until the
    /// partial tile that the root is computed from.
    async fn verify_up(&mut self, index: u64, hashes: &[Hash]) -> Result<(), CtError> {
        let (mut level, mut index, mut hashes) = (0u8, index, hashes.to_vec());
        while self.width(level, index) == TILE_WIDTH {
            let parent = self.hash_tile(level + 1, index / TILE_WIDTH).await?;
            let slot = (index % TILE_WIDTH) as usize;
            if parent.get(slot) != Some(&mth(&hashes)) {
                return Err(CtError::Mismatch {
                    what: format!(
                        "{} does not hash to entry {slot} of {}",
                        tile_path(Some(level), index, TILE_WIDTH),
                        tile_path(Some(level + 1), index / TILE_WIDTH, parent.len() as u64)
                    ),
                });
            }
            (level, index, hashes) = (level + 1, index / TILE_WIDTH, parent);
        }
        Ok(())
    }

    /// Recomputes the tree head from the partial tile at each level (the tree's right edge)
    /// and compares it with `root`.
    async fn check_root(&mut self, root: &Hash) -> Result<(), CtError> {
        let mut subtrees = Vec::new();
        let mut levels = Vec::new();
        let mut level = 0u8;
        while level < 8 && self.size.checked_shr(8 * u32::from(level)).unwrap_or(0) > 0 {
            levels.push(level);
            level += 1;
        }
        for &level in levels.iter().rev() {
            let count = self.size >> (8 * u32::from(level));
            let width = count % TILE_WIDTH;
            if width == 0 {
                continue;
            }
            let hashes = self.hash_tile(level, count / TILE_WIDTH).await?;
            // The tile's width in binary: one perfect subtree per set bit, largest first.
            let mut at = 0usize;
            for bit in (0..8).rev() {
                let len = 1usize << bit;
                if width as usize & len != 0 {
                    let part = hashes.get(at..at + len).unwrap_or_default();
                    subtrees.push(mth(part));
                    at += len;
                }
            }
        }
        let computed = fold_subtrees(&subtrees);
        if computed != *root {
            return Err(CtError::Mismatch {
                what: format!(
                    "checkpoint root {} for tree size {} differs from {} computed from the hash tiles",
                    STANDARD.encode(root),
                    self.size,
                    STANDARD.encode(computed)
                ),
            });
        }
        Ok(())
    }
}
