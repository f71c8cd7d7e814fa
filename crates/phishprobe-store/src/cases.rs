//! Case history: what a person checked (inputs kept or only hashed), the combined report and the
//! probe's evidence files, saved in one transaction so a crash leaves either the whole case or
//! nothing.
//!
//! The store does not interpret the report: it keeps the JSON the caller produced
//! (`phishprobe_core::combine::CaseReport`) plus the few columns a list needs.

use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

/// Largest single input kept (an email with attachments; the CLI refuses bigger files earlier).
pub const MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;
/// Largest total of evidence files per case (screenshots).
pub const MAX_EVIDENCE_BYTES: usize = 64 * 1024 * 1024;
/// Most inputs or evidence files per case.
pub const MAX_PARTS: usize = 256;
/// Longest report JSON kept.
pub const MAX_REPORT_BYTES: usize = 16 * 1024 * 1024;

/// One thing the person handed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseInput {
    /// `email`, `url`, `phone` or `text`.
    pub kind: String,
    /// File name, `-` for standard input, or the value itself for short inputs.
    pub name: String,
    /// The bytes as received (kept, or only hashed, as [`NewCase::keep_inputs`] says).
    pub content: Vec<u8>,
}

/// A file the probe left as evidence (a screenshot, the probe's JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    /// File name inside the case's export (`01-page.png`), ordered by its number.
    pub name: String,
    /// MIME type, for serving it back (`image/png`, `application/json`).
    pub media_type: String,
    /// The file's bytes: evidence is always kept, it is what the case shows.
    pub content: Vec<u8>,
}

/// A case to save.
#[derive(Debug, Clone, Default)]
pub struct NewCase {
    /// `genuine`, `unknown`, `suspicious` or `phishing` (checked by the schema).
    pub verdict: String,
    /// The brand the case is about, when one was recognised.
    pub brand: Option<String>,
    /// 0 to 100, as in the report.
    pub score: i64,
    /// A short line for lists (the first input, cut).
    pub title: String,
    /// The case report as JSON, exactly as shown when the case was checked (a saved case is
    /// not re-run: the data files may have changed since).
    pub report_json: String,
    /// What the person handed in, in order.
    pub inputs: Vec<CaseInput>,
    /// Keep input contents (`true`, the default) or only their SHA-256 and size.
    pub keep_inputs: bool,
    /// Files the probe left (screenshots, its JSON).
    pub evidence: Vec<EvidenceFile>,
}

/// One line of `history list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    /// The case id ([`new_id`]): short enough to read aloud; a unique prefix names the case.
    pub id: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// The case verdict ([`NewCase::verdict`]).
    pub verdict: String,
    /// The brand, when one was recognised.
    pub brand: Option<String>,
    /// 0 to 100.
    pub score: i64,
    /// The short line for lists.
    pub title: String,
    /// Whether the inputs' contents were kept (else only their SHA-256 and size).
    pub inputs_kept: bool,
}

/// An input as stored: contents only when they were kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInput {
    /// `email`, `url`, `phone` or `text`.
    pub kind: String,
    /// File name or value, as handed in.
    pub name: String,
    /// Lower-case hex SHA-256 of the contents: kept even when the contents are not, so the
    /// person can still show which message it was.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// The contents, when they were kept.
    pub content: Option<Vec<u8>>,
}

/// A whole saved case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCase {
    /// The list line.
    pub summary: CaseSummary,
    /// The report as it was saved.
    pub report_json: String,
    /// The inputs, in order.
    pub inputs: Vec<StoredInput>,
    /// The evidence files, in order.
    pub evidence: Vec<EvidenceFile>,
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

/// The letters of a case id: Crockford base32 in lower case (digits and letters without
/// i, l, o, u). Public so error messages can say exactly what an id looks like.
pub const ID_ALPHABET: &str = "0123456789abcdefghjkmnpqrstvwxyz";
/// Characters in a full case id.
pub const ID_LEN: usize = 12;

/// A new case id: 12 characters of Crockford base32 (no I, L, O, U), easy to read aloud and
/// type, from the time, the process and a counter hashed together. Collisions are retried by
/// the caller (the id is the primary key).
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Sha256::new();
    h.update(nanos.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let local = 0u8;
    h.update((&local as *const u8 as usize).to_le_bytes());
    let digest = h.finalize();
    let alphabet = ID_ALPHABET.as_bytes();
    digest
        .iter()
        .take(ID_LEN)
        .map(|b| char::from(alphabet.get(usize::from(b & 31)).copied().unwrap_or(b'0')))
        .collect()
}

/// A case id as typed by a person: 4 to 12 characters of the id alphabet (a prefix is allowed).
pub fn check_id(id: &str) -> Result<String> {
    let id = id.trim().to_ascii_lowercase();
    let ok = (4..=12).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b.is_ascii_lowercase() && !b"ilou".contains(&b)));
    if ok {
        Ok(id)
    } else {
        Err(StoreError::Invalid(format!(
            "{id:?} is not a case id (4 to 12 letters and digits, as `history list` shows them)"
        )))
    }
}

/// The one id among up to two `found` by prefix `id`: an exact match wins, two prefix matches
/// are ambiguous.
pub(crate) fn pick_resolved(found: Vec<String>, id: String) -> Result<Option<String>> {
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        _ if found.contains(&id) => Ok(Some(id)),
        _ => Err(StoreError::Invalid(format!(
            "{id} matches more than one case; type more of the id"
        ))),
    }
}

/// Refuse cases that would not fit, before anything is written.
pub fn validate(case: &NewCase) -> Result<()> {
    if case.inputs.len() > MAX_PARTS || case.evidence.len() > MAX_PARTS {
        return Err(StoreError::Invalid(format!(
            "a case holds at most {MAX_PARTS} inputs and {MAX_PARTS} evidence files"
        )));
    }
    if let Some(i) = case
        .inputs
        .iter()
        .find(|i| i.content.len() > MAX_INPUT_BYTES)
    {
        return Err(StoreError::Invalid(format!(
            "input {} is larger than {} MB",
            i.name,
            MAX_INPUT_BYTES >> 20
        )));
    }
    let evidence: usize = case.evidence.iter().map(|e| e.content.len()).sum();
    if evidence > MAX_EVIDENCE_BYTES {
        return Err(StoreError::Invalid(format!(
            "evidence files total more than {} MB",
            MAX_EVIDENCE_BYTES >> 20
        )));
    }
    if case.report_json.len() > MAX_REPORT_BYTES {
        return Err(StoreError::Invalid(
            "the report is too large to keep".into(),
        ));
    }
    if !matches!(
        case.verdict.as_str(),
        "genuine" | "unknown" | "suspicious" | "phishing"
    ) {
        return Err(StoreError::Invalid(format!(
            "{:?} is not a verdict",
            case.verdict
        )));
    }
    Ok(())
}

/// The title cut to a list-friendly length on a character boundary.
pub fn clip_title(title: &str) -> String {
    let one_line: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match one_line.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

/// Rows as written: content dropped when only hashes are kept.
pub(crate) fn input_rows(case: &NewCase) -> Vec<StoredInput> {
    case.inputs
        .iter()
        .map(|i| StoredInput {
            kind: i.kind.clone(),
            name: clip_title(&i.name),
            sha256: sha256_hex(&i.content),
            size: i64::try_from(i.content.len()).unwrap_or(i64::MAX),
            content: case.keep_inputs.then(|| i.content.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_typeable() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(50) {
            assert_eq!(check_id(id).ok().as_deref(), Some(id.as_str()));
        }
        assert!(check_id("abc").is_err());
        assert!(check_id("../etc/passwd").is_err());
        assert!(check_id("ABCD").is_ok(), "case-insensitive");
        assert!(check_id("lool").is_err(), "letters outside the alphabet");
    }

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn titles_are_clipped_on_characters() {
        let t = clip_title(&"钓".repeat(500));
        assert_eq!(t.chars().count(), 121);
        assert_eq!(clip_title("a\nb"), "a b");
    }
}
