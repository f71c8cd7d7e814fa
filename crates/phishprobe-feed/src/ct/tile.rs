//! Tile paths and the binary entry formats (RFC 6962 `TimestampedEntry`, static-ct-api
//! `TileLeaf`), parsed with bounds checks only: a hostile tile must end in an error with
//! the offset, never a panic or an allocation sized by a length prefix.

use super::error::{CtError, malformed};
use super::merkle::Hash;

/// Entries (or hashes) in a full tile.
pub const TILE_WIDTH: u64 = 256;

/// Size in bytes of a full hash tile.
pub const HASH_TILE_BYTES: usize = 256 * 32;

/// Path of a tile below the log's monitoring prefix: `tile/<L>/<N>` for hash tiles,
/// `tile/data/<N>` for data tiles (`level: None`), with `.p/<W>` when `width < 256`.
pub fn tile_path(level: Option<u8>, index: u64, width: u64) -> String {
    let mut path = match level {
        Some(l) => format!("tile/{l}/"),
        None => "tile/data/".to_string(),
    };
    path.push_str(&encode_index(index));
    if width < TILE_WIDTH {
        path.push_str(&format!(".p/{width}"));
    }
    path
}

/// Tile index as 3-digit path elements, `x` before all but the last: 1234067 → `x001/x234/067`.
pub fn encode_index(mut index: u64) -> String {
    let mut parts = vec![format!("{:03}", index % 1000)];
    index /= 1000;
    while index > 0 {
        parts.push(format!("x{:03}", index % 1000));
        index /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

/// Splits a hash tile into hashes; the length must be exactly `width` hashes.
pub fn parse_hash_tile(what: &str, bytes: &[u8], width: usize) -> Result<Vec<Hash>, CtError> {
    if bytes.len() != width * 32 {
        return Err(malformed(
            what,
            bytes.len().min(width * 32),
            format!("{} bytes, expected {} hashes", bytes.len(), width),
        ));
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect())
}

/// What a `TimestampedEntry` logs: a certificate, or a precertificate's TBSCertificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed<'a> {
    /// `x509_entry`: the DER certificate.
    X509(&'a [u8]),
    /// `precert_entry`: the DER TBSCertificate (poison extension removed by the log).
    Precert(&'a [u8]),
}

/// One parsed `TimestampedEntry`, borrowing from the tile.
#[derive(Debug, Clone, Copy)]
pub struct Timestamped<'a> {
    /// The serialized `TimestampedEntry`, the input of the leaf hash.
    pub bytes: &'a [u8],
    /// Milliseconds since the epoch.
    pub timestamp: u64,
    /// The logged certificate or TBSCertificate.
    pub signed: Signed<'a>,
}

/// A bounds-checked big-endian reader that reports offsets relative to the whole resource.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'a str,
}

impl<'a> Reader<'a> {
    /// Reads `data`, naming it `what` in errors.
    pub fn new(what: &'a str, data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0, what }
    }

    /// Current offset.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize, field: &str) -> Result<&'a [u8], CtError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        match end.and_then(|e| self.data.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(malformed(
                self.what,
                self.pos,
                format!(
                    "{field}: needs {n} bytes, {} left",
                    self.data.len().saturating_sub(self.pos)
                ),
            )),
        }
    }

    fn uint(&mut self, n: usize, field: &str) -> Result<u64, CtError> {
        Ok(self
            .bytes(n, field)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// A length-prefixed byte string with an `n`-byte length.
    /// Errors point at the length prefix, which is what is wrong when it runs past the end.
    pub fn vec(&mut self, n: usize, field: &str) -> Result<&'a [u8], CtError> {
        let at = self.pos;
        let len = self.uint(n, field)?;
        let left = self.data.len().saturating_sub(self.pos);
        match usize::try_from(len) {
            Ok(len) if len <= left => self.bytes(len, field),
            _ => Err(malformed(
                self.what,
                at,
                format!("{field} length {len} runs past the end ({left} bytes left)"),
            )),
        }
    }

    /// Parses one `TimestampedEntry` (RFC 6962 section 3.4).
    pub fn timestamped_entry(&mut self) -> Result<Timestamped<'a>, CtError> {
        let start = self.pos;
        let timestamp = self.uint(8, "timestamp")?;
        let entry_type_at = self.pos;
        let signed = match self.uint(2, "entry_type")? {
            0 => Signed::X509(self.vec(3, "certificate")?),
            1 => {
                self.bytes(32, "issuer_key_hash")?;
                Signed::Precert(self.vec(3, "tbs_certificate")?)
            }
            other => {
                return Err(malformed(
                    self.what,
                    entry_type_at,
                    format!("unknown entry_type {other}"),
                ));
            }
        };
        self.vec(2, "extensions")?;
        let bytes = self.data.get(start..self.pos).unwrap_or_default();
        Ok(Timestamped {
            bytes,
            timestamp,
            signed,
        })
    }

    /// Parses one static-ct-api `TileLeaf`: the entry, the precertificate if any, and the
    /// chain fingerprints (a u16 byte length, a multiple of 32).
    pub fn tile_leaf(&mut self) -> Result<Timestamped<'a>, CtError> {
        let entry = self.timestamped_entry()?;
        if let Signed::Precert(_) = entry.signed {
            self.vec(3, "pre_certificate")?;
        }
        let at = self.pos;
        let chain = self.vec(2, "certificate_chain")?;
        if chain.len() % 32 != 0 {
            return Err(malformed(
                self.what,
                at,
                format!(
                    "certificate_chain of {} bytes, not whole fingerprints",
                    chain.len()
                ),
            ));
        }
        Ok(entry)
    }
}

/// Parses a data tile that must hold exactly `width` entries and nothing after them.
pub fn parse_data_tile<'a>(
    what: &'a str,
    bytes: &'a [u8],
    width: usize,
) -> Result<Vec<Timestamped<'a>>, CtError> {
    let mut r = Reader::new(what, bytes);
    let mut out = Vec::with_capacity(width.min(256));
    for _ in 0..width {
        out.push(r.tile_leaf()?);
    }
    if !r.is_empty() {
        return Err(malformed(
            what,
            r.pos(),
            format!("trailing bytes after {width} entries"),
        ));
    }
    Ok(out)
}

/// Parses an RFC 6962 `MerkleTreeLeaf` (version 0, leaf type 0, `TimestampedEntry`).
pub fn parse_merkle_tree_leaf<'a>(
    what: &'a str,
    bytes: &'a [u8],
) -> Result<Timestamped<'a>, CtError> {
    let mut r = Reader::new(what, bytes);
    let head = r.bytes(2, "version and leaf_type")?;
    if head != [0, 0] {
        return Err(malformed(what, 0, "not a v1 timestamped_entry leaf"));
    }
    let entry = r.timestamped_entry()?;
    if !r.is_empty() {
        return Err(malformed(what, r.pos(), "trailing bytes after the leaf"));
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec() {
        assert_eq!(encode_index(1_234_067), "x001/x234/067");
        assert_eq!(encode_index(5), "005");
        assert_eq!(encode_index(1000), "x001/000");
        assert_eq!(tile_path(Some(0), 1_234_067, 256), "tile/0/x001/x234/067");
        assert_eq!(tile_path(None, 2, 88), "tile/data/002.p/88");
        assert_eq!(tile_path(Some(1), 0, 1), "tile/1/000.p/1");
    }

    fn x509_leaf(cert: &[u8], chain: usize) -> Vec<u8> {
        let mut v = 7u64.to_be_bytes().to_vec();
        v.extend([0, 0]);
        v.extend(&(cert.len() as u32).to_be_bytes()[1..]);
        v.extend(cert);
        v.extend([0, 0]);
        v.extend(((chain * 32) as u16).to_be_bytes());
        v.extend(std::iter::repeat_n(9u8, chain * 32));
        v
    }

    #[test]
    fn data_tile_round_trip_and_errors() {
        let mut tile = x509_leaf(b"abc", 1);
        tile.extend(x509_leaf(b"de", 0));
        let entries = parse_data_tile("t", &tile, 2).unwrap();
        assert_eq!(entries[0].signed, Signed::X509(b"abc"));
        assert_eq!(entries[0].timestamp, 7);
        assert_eq!(entries[1].signed, Signed::X509(b"de"));
        assert_eq!(entries[1].bytes.len(), 8 + 2 + 3 + 2 + 2);

        let err = parse_data_tile("t", &tile, 3).unwrap_err();
        assert!(
            matches!(err, CtError::Malformed { offset, .. } if offset == tile.len()),
            "{err}"
        );
        let err = parse_data_tile("t", &tile, 1).unwrap_err();
        assert!(
            matches!(err, CtError::Malformed { offset: 52, .. }),
            "{err}"
        );
        let err = parse_data_tile("t", &tile[..20], 2).unwrap_err();
        assert!(matches!(err, CtError::Malformed { .. }));
        let mut bad = tile.clone();
        bad[9] = 7; // entry_type 7
        let err = parse_data_tile("t", &bad, 2).unwrap_err();
        assert!(matches!(err, CtError::Malformed { offset: 8, .. }), "{err}");
        // Every truncation fails cleanly.
        for cut in 0..tile.len() {
            assert!(parse_data_tile("t", &tile[..cut], 2).is_err());
        }
    }
}
