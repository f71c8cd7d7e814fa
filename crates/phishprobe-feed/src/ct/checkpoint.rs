//! The signed-note checkpoint (c2sp.org/tlog-checkpoint): origin, tree size, root hash.
//! Signatures are not verified here (the feed has no log keys yet); the origin is kept so
//! a caller can at least check it names the log it meant.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::{CtError, malformed};
use super::merkle::Hash;

/// Which read API a log speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtApi {
    /// c2sp.org/static-ct-api: checkpoint plus hash and data tiles.
    Static,
    /// RFC 6962: `ct/v1/get-sth` and `ct/v1/get-entries`.
    Rfc6962,
}

/// A log's tree head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The origin line (Static CT) or `host/path` of the base URL (RFC 6962).
    pub origin: String,
    /// Number of entries.
    pub size: u64,
    /// RFC 6962 Merkle Tree Hash over all entries.
    pub root: Hash,
    /// The STH timestamp (RFC 6962 only; in a checkpoint it sits inside the signature).
    pub timestamp: Option<u64>,
    /// The API it came from, which is the API batches will be read with.
    pub api: CtApi,
}

/// Parses the note body's first three lines; the body must end with a blank line before
/// the signatures, and extension lines between the root and the blank line are ignored.
pub fn parse(text: &[u8], max_size: u64) -> Result<Checkpoint, CtError> {
    const WHAT: &str = "checkpoint";
    let text =
        std::str::from_utf8(text).map_err(|e| malformed(WHAT, e.valid_up_to(), "not UTF-8"))?;
    let Some(body_end) = text.find("\n\n") else {
        return Err(malformed(
            WHAT,
            text.len(),
            "no blank line before the signatures",
        ));
    };
    let mut lines = text.get(..body_end).unwrap_or_default().split('\n');
    let mut offset = 0;
    let mut line = |name: &str| -> Result<(&str, usize), CtError> {
        let at = offset;
        match lines.next() {
            Some(l) => {
                offset += l.len() + 1;
                Ok((l, at))
            }
            None => Err(malformed(WHAT, at, format!("missing {name} line"))),
        }
    };
    let (origin, _) = line("origin")?;
    if origin.trim().is_empty() {
        return Err(malformed(WHAT, 0, "empty origin line"));
    }
    let (size, at) = line("tree size")?;
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) || size.len() > 20 {
        return Err(malformed(WHAT, at, "tree size is not a decimal number"));
    }
    let size: u64 = size
        .parse()
        .map_err(|_| malformed(WHAT, at, "tree size out of range"))?;
    if size > max_size {
        return Err(CtError::Limit(format!(
            "checkpoint tree size {size} above the cap of {max_size}"
        )));
    }
    let (root, at) = line("root hash")?;
    let root =
        decode_root(root).ok_or_else(|| malformed(WHAT, at, "root is not base64 of 32 bytes"))?;
    Ok(Checkpoint {
        origin: origin.to_string(),
        size,
        root,
        timestamp: None,
        api: CtApi::Static,
    })
}

/// Base64 of exactly 32 bytes.
pub fn decode_root(b64: &str) -> Option<Hash> {
    if b64.len() > 64 {
        return None;
    }
    STANDARD.decode(b64).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    #[test]
    fn parses_a_note() {
        let text = format!("example.org/log\n1234\n{ROOT}\n\n— example.org/log AAAA\n");
        let cp = parse(text.as_bytes(), 1 << 40).unwrap();
        assert_eq!(cp.origin, "example.org/log");
        assert_eq!(cp.size, 1234);
        assert_eq!(cp.root, super::super::merkle::empty_root());
    }

    #[test]
    fn refuses_bad_notes() {
        for bad in [
            format!("o\n12x\n{ROOT}\n\n"),
            format!("o\n+12\n{ROOT}\n\n"),
            "o\n12\nAAAA\n\n".to_string(),
            format!("o\n12\n{ROOT}\n"),
            format!("\n12\n{ROOT}\n\n"),
            "o\n12\n\n".to_string(),
            format!("o\n99999999999999999999999\n{ROOT}\n\n"),
        ] {
            assert!(parse(bad.as_bytes(), 1 << 40).is_err(), "{bad:?}");
        }
        let big = format!("o\n{}\n{ROOT}\n\n", 1u64 << 41);
        assert!(matches!(
            parse(big.as_bytes(), 1 << 40),
            Err(CtError::Limit(_))
        ));
    }
}
