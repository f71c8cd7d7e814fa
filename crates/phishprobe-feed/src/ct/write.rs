//! Test logs, for tests and benchmarks only: a Static CT log written to a folder, and an
//! RFC 6962 log answered from memory. Neither signs anything; both compute real RFC 6962
//! hashes, so a reader that verifies can be tested against them (and against broken copies).

use std::io;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::merkle::{Hash, leaf_hash, mth};
use super::tile::{TILE_WIDTH, tile_path};

/// One entry in both encodings.
#[derive(Debug, Clone)]
struct Logged {
    /// The RFC 6962 `TimestampedEntry`.
    timestamped: Vec<u8>,
    /// The static-ct-api `TileLeaf`.
    tile_leaf: Vec<u8>,
}

/// Appends `data` with a big-endian length prefix of `n` bytes.
fn put_vec(out: &mut Vec<u8>, n: usize, data: &[u8]) -> io::Result<()> {
    let len = data.len() as u64;
    if n < 8 && len >> (8 * n) != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{len} bytes do not fit a {n}-byte length"),
        ));
    }
    out.extend_from_slice(len.to_be_bytes().get(8 - n..).unwrap_or_default());
    out.extend_from_slice(data);
    Ok(())
}

impl Logged {
    fn x509(der: &[u8], timestamp: u64) -> io::Result<Logged> {
        let mut te = timestamp.to_be_bytes().to_vec();
        te.extend([0, 0]);
        put_vec(&mut te, 3, der)?;
        put_vec(&mut te, 2, &[])?;
        let mut tile_leaf = te.clone();
        put_vec(&mut tile_leaf, 2, &[0xab; 32])?; // one made-up issuer fingerprint
        Ok(Logged {
            timestamped: te,
            tile_leaf,
        })
    }

    fn precert(tbs: &[u8], pre_certificate: &[u8], timestamp: u64) -> io::Result<Logged> {
        let mut te = timestamp.to_be_bytes().to_vec();
        te.extend([0, 1]);
        te.extend([0x11; 32]); // issuer_key_hash
        put_vec(&mut te, 3, tbs)?;
        put_vec(&mut te, 2, &[])?;
        let mut tile_leaf = te.clone();
        put_vec(&mut tile_leaf, 3, pre_certificate)?;
        put_vec(&mut tile_leaf, 2, &[])?;
        Ok(Logged {
            timestamped: te,
            tile_leaf,
        })
    }

    fn merkle_tree_leaf(&self) -> Vec<u8> {
        let mut v = vec![0, 0];
        v.extend_from_slice(&self.timestamped);
        v
    }
}

/// Entries shared by both test logs.
#[derive(Debug, Clone, Default)]
struct Entries {
    logged: Vec<Logged>,
    hashes: Vec<Hash>,
}

impl Entries {
    fn push(&mut self, l: Logged) -> u64 {
        self.hashes.push(leaf_hash(&l.timestamped));
        self.logged.push(l);
        self.hashes.len() as u64 - 1
    }

    fn timestamp(&self) -> u64 {
        1_700_000_000_000 + self.logged.len() as u64
    }
}

/// Writes a Static CT API log (tiles and checkpoint) into a folder. For tests and benchmarks.
///
/// Entries are kept in memory; [`StaticLogWriter::publish`] (re)writes every tile for the
/// current size and then the checkpoint, so appending and publishing again behaves like a
/// log that grew (older partial tiles stay, as the spec allows).
#[derive(Debug)]
pub struct StaticLogWriter {
    dir: PathBuf,
    origin: String,
    entries: Entries,
}

impl StaticLogWriter {
    /// A new, empty log in `dir` (created if needed) whose checkpoints carry `origin`.
    pub fn new(dir: impl Into<PathBuf>, origin: &str) -> io::Result<StaticLogWriter> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(StaticLogWriter {
            dir,
            origin: origin.to_string(),
            entries: Entries::default(),
        })
    }

    /// The folder the log is written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds an `x509_entry` for a DER certificate; returns its index.
    pub fn add_x509(&mut self, der: &[u8]) -> io::Result<u64> {
        let l = Logged::x509(der, self.entries.timestamp())?;
        Ok(self.entries.push(l))
    }

    /// Adds a `precert_entry`: the TBSCertificate that is hashed and the precertificate
    /// that only the tile carries; returns its index.
    pub fn add_precert(&mut self, tbs: &[u8], pre_certificate: &[u8]) -> io::Result<u64> {
        let l = Logged::precert(tbs, pre_certificate, self.entries.timestamp())?;
        Ok(self.entries.push(l))
    }

    /// Number of entries added.
    pub fn size(&self) -> u64 {
        self.entries.hashes.len() as u64
    }

    /// The RFC 6962 Merkle Tree Hash over all entries.
    pub fn root(&self) -> Hash {
        mth(&self.entries.hashes)
    }

    /// Writes all data tiles, all hash-tile levels (full and partial) and a checkpoint with
    /// the right root. Returns the root.
    pub fn publish(&self) -> io::Result<Hash> {
        let width = TILE_WIDTH as usize;
        for (n, chunk) in self.entries.logged.chunks(width).enumerate() {
            let bytes: Vec<u8> = chunk.iter().flat_map(|l| l.tile_leaf.clone()).collect();
            self.write(&tile_path(None, n as u64, chunk.len() as u64), &bytes)?;
        }
        let mut level_hashes = self.entries.hashes.clone();
        let mut level = 0u8;
        while !level_hashes.is_empty() {
            for (n, chunk) in level_hashes.chunks(width).enumerate() {
                let bytes: Vec<u8> = chunk.concat();
                self.write(
                    &tile_path(Some(level), n as u64, chunk.len() as u64),
                    &bytes,
                )?;
            }
            level_hashes = level_hashes.chunks_exact(width).map(mth).collect();
            level += 1;
        }
        let root = self.root();
        self.write_checkpoint(self.size(), &root)?;
        Ok(root)
    }

    /// Writes a checkpoint with any size and root, e.g. a wrong one for a test that the
    /// reader refuses a checkpoint that does not match the tiles.
    pub fn write_checkpoint(&self, size: u64, root: &Hash) -> io::Result<()> {
        let text = format!(
            "{o}\n{size}\n{}\n\n\u{2014} {o} {}\n",
            STANDARD.encode(root),
            STANDARD.encode([0u8; 12]),
            o = self.origin
        );
        self.write("checkpoint", text.as_bytes())
    }

    /// Writes a file below the log folder (tile paths included).
    pub fn write(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        let file = self.dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(file, bytes)
    }
}

/// An RFC 6962 log answered from memory: `ct/v1/get-sth` and `ct/v1/get-entries`.
/// For tests and benchmarks; plug [`Rfc6962TestLog::respond`] into [`super::serve::serve_fn`].
#[derive(Debug, Clone, Default)]
pub struct Rfc6962TestLog {
    entries: Entries,
    /// At most this many entries per `get-entries` answer (real logs cap it too); 0 = no cap.
    pub max_per_request: usize,
    /// Serve this root in the STH instead of the right one.
    pub wrong_root: Option<Hash>,
}

impl Rfc6962TestLog {
    /// An empty log.
    pub fn new() -> Rfc6962TestLog {
        Rfc6962TestLog::default()
    }

    /// Adds an `x509_entry`; returns its index.
    pub fn add_x509(&mut self, der: &[u8]) -> io::Result<u64> {
        let l = Logged::x509(der, self.entries.timestamp())?;
        Ok(self.entries.push(l))
    }

    /// The RFC 6962 Merkle Tree Hash over all entries.
    pub fn root(&self) -> Hash {
        mth(&self.entries.hashes)
    }

    /// The body for a request target (`/ct/v1/get-sth`, `/ct/v1/get-entries?start=a&end=b`),
    /// or `None` for a 404.
    pub fn respond(&self, target: &str) -> Option<Vec<u8>> {
        let target = target.trim_start_matches('/');
        if target == "ct/v1/get-sth" {
            let root = self.wrong_root.unwrap_or_else(|| self.root());
            let sth = serde_json::json!({
                "tree_size": self.entries.hashes.len(),
                "timestamp": self.entries.timestamp(),
                "sha256_root_hash": STANDARD.encode(root),
                "tree_head_signature": "",
            });
            return Some(sth.to_string().into_bytes());
        }
        let query = target.strip_prefix("ct/v1/get-entries?")?;
        let mut start = None;
        let mut end = None;
        for pair in query.split('&') {
            match pair.split_once('=')? {
                ("start", v) => start = v.parse::<usize>().ok(),
                ("end", v) => end = v.parse::<usize>().ok(),
                _ => {}
            }
        }
        let (start, mut end) = (start?, end?);
        if self.max_per_request > 0 {
            end = end.min(start + self.max_per_request - 1);
        }
        let end = end.min(self.entries.logged.len().checked_sub(1)?);
        let slice = self.entries.logged.get(start..=end)?;
        let entries: Vec<_> = slice
            .iter()
            .map(|l| {
                serde_json::json!({
                    "leaf_input": STANDARD.encode(l.merkle_tree_leaf()),
                    "extra_data": "",
                })
            })
            .collect();
        Some(
            serde_json::json!({ "entries": entries })
                .to_string()
                .into_bytes(),
        )
    }
}
