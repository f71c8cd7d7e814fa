//! Reading an RFC 6962 log: `ct/v1/get-sth` and `ct/v1/get-entries`.
//!
//! There are no tiles to prove a batch, so the root is checked by folding every leaf hash
//! from index 0 into a [`CompactRange`] kept by the [`super::CtLog`]; when the reader reaches
//! the STH's tree size the folded root must equal the STH root.

use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::checkpoint::{Checkpoint, CtApi, decode_root};
use super::error::{CtError, malformed};
use super::http::{Body, Fetcher};
use super::merkle::{CompactRange, merkle_leaf_hash};
use super::tile::{TILE_WIDTH, parse_merkle_tree_leaf};
use super::{CtBatch, CtEntry, CtLimits, RootCheck};

#[derive(Deserialize)]
struct Sth {
    tree_size: u64,
    timestamp: u64,
    sha256_root_hash: String,
}

#[derive(Deserialize)]
struct Entries {
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    leaf_input: String,
}

/// Fetches the STH; `None` on 404.
pub async fn get_sth(f: &Fetcher, limits: &CtLimits) -> Result<Option<Checkpoint>, CtError> {
    const WHAT: &str = "ct/v1/get-sth";
    let Body::Found(body) = f.get(WHAT, limits.max_checkpoint_bytes).await? else {
        return Ok(None);
    };
    let sth: Sth = serde_json::from_slice(&body).map_err(|e| malformed(WHAT, 0, e.to_string()))?;
    if sth.tree_size > limits.max_tree_size {
        return Err(CtError::Limit(format!(
            "STH tree size {} above the cap of {}",
            sth.tree_size, limits.max_tree_size
        )));
    }
    let root = decode_root(&sth.sha256_root_hash)
        .ok_or_else(|| malformed(WHAT, 0, "sha256_root_hash is not base64 of 32 bytes"))?;
    let base = f.base();
    let origin = format!(
        "{}{}",
        base.host_str().unwrap_or_default(),
        base.path().trim_end_matches('/')
    );
    Ok(Some(Checkpoint {
        origin,
        size: sth.tree_size,
        root,
        timestamp: Some(sth.timestamp),
        api: CtApi::Rfc6962,
    }))
}

/// Reads entries from `start` to the end of its 256-entry chunk (servers may return fewer).
pub async fn read_batch(
    f: &Fetcher,
    limits: &CtLimits,
    start: u64,
    cp: &Checkpoint,
    range: &Mutex<Option<CompactRange>>,
) -> Result<CtBatch, CtError> {
    let end = ((start / TILE_WIDTH + 1) * TILE_WIDTH).min(cp.size) - 1;
    let path = format!("ct/v1/get-entries?start={start}&end={end}");
    let body = f.get_found(&path, limits.max_tile_bytes).await?;
    let got: Entries =
        serde_json::from_slice(&body).map_err(|e| malformed(&path, 0, e.to_string()))?;
    let wanted = (end - start + 1) as usize;
    if got.entries.is_empty() || got.entries.len() > wanted {
        return Err(malformed(
            &path,
            0,
            format!("{} entries for a request of {wanted}", got.entries.len()),
        ));
    }
    let mut entries = Vec::with_capacity(got.entries.len());
    let mut hashes = Vec::with_capacity(got.entries.len());
    for (i, e) in got.entries.iter().enumerate() {
        let index = start + i as u64;
        let what = format!("{path} entry {index} leaf_input");
        let leaf = STANDARD
            .decode(&e.leaf_input)
            .map_err(|err| malformed(&what, 0, err.to_string()))?;
        let logged = parse_merkle_tree_leaf(&what, &leaf)?;
        entries.push(CtEntry::from_logged(index, &logged, limits));
        hashes.push(merkle_leaf_hash(&leaf));
    }
    let next = start + entries.len() as u64;
    let root = fold(range, start, &hashes, cp)?;
    Ok(CtBatch {
        start,
        next,
        entries,
        root,
    })
}

/// Adds the batch's leaf hashes to the range if it continues it (or starts at 0), and checks
/// the root when the range reaches the tree size.
fn fold(
    range: &Mutex<Option<CompactRange>>,
    start: u64,
    hashes: &[super::merkle::Hash],
    cp: &Checkpoint,
) -> Result<RootCheck, CtError> {
    let mut guard = range.lock().unwrap_or_else(|p| p.into_inner());
    let mut current = match guard.take() {
        _ if start == 0 => CompactRange::new(),
        Some(r) if r.size() == start => r,
        _ => return Ok(RootCheck::NotVerified),
    };
    for h in hashes {
        current.push(*h);
    }
    if current.size() < cp.size {
        *guard = Some(current);
        return Ok(RootCheck::Pending);
    }
    let computed = current.root();
    if computed != cp.root {
        return Err(CtError::Mismatch {
            what: format!(
                "STH root {} for tree size {} differs from {} computed from entries 0..{}",
                STANDARD.encode(cp.root),
                cp.size,
                STANDARD.encode(computed),
                cp.size
            ),
        });
    }
    *guard = Some(current);
    Ok(RootCheck::Verified)
}
