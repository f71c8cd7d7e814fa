//! Verdicts of the domain feed: hostnames newly seen in Certificate Transparency logs, judged by
//! `phishprobe screen` workers and written here before the worker acks the message.
//!
//! Delivery is at least once (a worker may die between the write and the ack), so a verdict is
//! an upsert keyed by (name, rules version): the same name judged by the same rules is one row
//! however often it arrives, and `writes` counts the deliveries. A newer rules version is a new
//! row, so re-screening under new rules keeps the old answer for comparison.
//!
//! This module holds the types, the input checks and the filter SQL both back ends share; the
//! statements themselves live in `sqlite_domains.rs` and `postgres_domains.rs`.

use crate::{Backend, Result, StoreError};

/// Longest hostname (RFC 1035's 253 characters of text form).
pub const MAX_NAME: usize = 253;
/// Longest rules version (a version string or a data-file digest).
pub const MAX_RULES_VERSION: usize = 64;
/// Longest brand id.
pub const MAX_BRAND: usize = 100;
/// Longest source (`ct:` plus a log URL, or `certstream`).
pub const MAX_SOURCE: usize = 512;
/// Largest report JSON kept for one domain: a host check report is a few KB, so 1 MiB only
/// refuses something that went wrong.
pub const MAX_DOMAIN_REPORT_BYTES: usize = 1024 * 1024;
/// Longest dead-letter reason kept; longer reasons are cut, not refused (see
/// [`clip_reason`]).
pub const MAX_DEAD_REASON: usize = 2000;
/// Most rows one [`DomainQuery`] may ask for.
pub const MAX_LIMIT: u32 = 10_000;

/// The verdict words the schema accepts.
pub const VERDICTS: [&str; 4] = ["genuine", "unknown", "suspicious", "phishing"];

/// One verdict a feed worker writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainVerdict {
    /// Canonical ASCII hostname: lower case, punycode, no trailing dot (the feed's
    /// canonicalisation). Checked, not rewritten: `Example.com` and `example.com` as two keys
    /// would break the one-row-per-name promise, so a non-canonical name is an error.
    pub name: String,
    /// The rules (core version or data digest) that judged the name.
    pub rules_version: String,
    /// `genuine`, `unknown`, `suspicious` or `phishing`.
    pub verdict: String,
    /// 0 to 100, as in the report.
    pub score: u32,
    /// The brand the name imitates, when one was recognised.
    pub brand: Option<String>,
    /// The full host check report as JSON, kept as given.
    pub report_json: String,
    /// Where the name came from: `ct:https://log.example/` or `certstream`.
    pub source: String,
}

/// What [`upsert`](crate::HistoryStore::upsert_domain_verdict) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    /// The (name, rules version) was new: one row added with `writes = 1`.
    Inserted,
    /// The row existed (a repeated delivery or a re-check): its verdict, report and
    /// `last_written` were replaced and `writes` went up by one.
    Rewritten,
}

impl Upsert {
    /// From the row's write count after the statement: 1 means this write inserted it.
    pub(crate) fn from_writes(writes: i64) -> Upsert {
        if writes == 1 {
            Upsert::Inserted
        } else {
            Upsert::Rewritten
        }
    }
}

/// A stored domain verdict: every column of `domain_verdicts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDomainVerdict {
    /// Canonical ASCII hostname.
    pub name: String,
    /// The rules that judged it.
    pub rules_version: String,
    /// The latest verdict written.
    pub verdict: String,
    /// 0 to 100.
    pub score: u32,
    /// The brand, when one was recognised.
    pub brand: Option<String>,
    /// The latest report JSON written.
    pub report_json: String,
    /// Where the latest write's name came from.
    pub source: String,
    /// Unix seconds of the first write.
    pub first_seen: i64,
    /// Unix seconds of the latest write.
    pub last_written: i64,
    /// How many times the row was written (1 = processed once).
    pub writes: i64,
}

/// Which verdicts to list or count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainQuery {
    /// Only these verdicts; empty means all.
    pub verdicts: Vec<String>,
    /// Only names containing this text (compared in lower case, as names are stored).
    pub name_contains: Option<String>,
    /// Most rows to return, 1 to [`MAX_LIMIT`] (ignored by counts).
    pub limit: u32,
    /// Rows to skip first, for paging (ignored by counts).
    pub offset: u32,
}

impl Default for DomainQuery {
    /// Every verdict, the newest 50.
    fn default() -> Self {
        DomainQuery {
            verdicts: Vec::new(),
            name_contains: None,
            limit: 50,
            offset: 0,
        }
    }
}

/// Counts over the rows a [`DomainQuery`] matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainStats {
    /// Rows (distinct name and rules version).
    pub total: i64,
    /// Writes over those rows: more than `total` when deliveries repeated.
    pub writes: i64,
    /// Rows per verdict word, in alphabetical order; verdicts with no rows are left out.
    pub by_verdict: Vec<(String, i64)>,
}

/// A name that kept failing: recorded by a worker after its last allowed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The name as the feed gave it (it may be what failed, so it is not required canonical).
    pub name: String,
    /// Why the last attempt failed.
    pub reason: String,
    /// How many deliveries had been tried.
    pub deliveries: u32,
    /// Unix seconds of the latest record.
    pub at: i64,
}

fn invalid(msg: String) -> StoreError {
    StoreError::Invalid(msg)
}

/// Refuse a verdict that does not fit, before anything is written.
pub fn validate(v: &DomainVerdict) -> Result<()> {
    check_name(&v.name)?;
    if v.rules_version.is_empty()
        || v.rules_version.len() > MAX_RULES_VERSION
        || v.rules_version.chars().any(char::is_control)
    {
        return Err(invalid(format!(
            "the rules version must be 1 to {MAX_RULES_VERSION} bytes without control characters"
        )));
    }
    if !VERDICTS.contains(&v.verdict.as_str()) {
        return Err(invalid(format!(
            "{:?} is not a verdict (one of {})",
            v.verdict,
            VERDICTS.join(", ")
        )));
    }
    if v.score > 100 {
        return Err(invalid(format!("score {} is not 0 to 100", v.score)));
    }
    if let Some(b) = &v.brand
        && (b.len() > MAX_BRAND || b.chars().any(char::is_control))
    {
        return Err(invalid(format!(
            "the brand must be at most {MAX_BRAND} bytes without control characters"
        )));
    }
    if v.report_json.len() > MAX_DOMAIN_REPORT_BYTES {
        return Err(invalid(format!(
            "the report of {} is {} bytes, more than the {} kept",
            v.name,
            v.report_json.len(),
            MAX_DOMAIN_REPORT_BYTES
        )));
    }
    if v.source.is_empty() || v.source.len() > MAX_SOURCE || v.source.chars().any(char::is_control)
    {
        return Err(invalid(format!(
            "the source must be 1 to {MAX_SOURCE} bytes without control characters"
        )));
    }
    Ok(())
}

/// A canonical hostname: 1 to 253 bytes of lower-case letters, digits, `-`, `_` and `.`.
fn check_name(name: &str) -> Result<()> {
    let shown: String = name.chars().take(80).collect();
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(invalid(format!(
            "a domain name must be 1 to {MAX_NAME} bytes ({} given: {shown:?}…)",
            name.len()
        )));
    }
    let canonical = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    if !canonical || name.starts_with('.') || name.ends_with('.') {
        return Err(invalid(format!(
            "{shown:?} is not a canonical hostname (lower-case ASCII, punycode for other scripts, no leading or trailing dot)"
        )));
    }
    Ok(())
}

/// The dead-letter name checked (1 to 253 bytes, no control characters; it need not be
/// canonical, it may be the very thing that failed).
pub(crate) fn check_dead_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(invalid(format!(
            "a dead-letter name must be 1 to {MAX_NAME} bytes without control characters"
        )));
    }
    Ok(name)
}

/// The reason cut to [`MAX_DEAD_REASON`] bytes on a character boundary. Cut rather than
/// refused: a dead letter is the record of last resort, and losing it because an error message
/// was long would lose the name.
pub fn clip_reason(reason: &str) -> &str {
    if reason.len() <= MAX_DEAD_REASON {
        return reason;
    }
    let mut end = MAX_DEAD_REASON;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

/// A stored score as the API's `u32`: rows written through [`validate`] are 0 to 100 already.
pub(crate) fn score_of(stored: i64) -> u32 {
    u32::try_from(stored.clamp(0, 100)).unwrap_or(0)
}

/// Columns in the order both back ends read them.
pub(crate) const COLUMNS: &str = "name, rules_version, verdict, score, brand, report_json, source, first_seen, last_written, writes";

/// A `WHERE` clause (possibly empty) and its text arguments, numbered from 1 in the back end's
/// placeholder style (`?1`, `$1`).
pub(crate) struct Filter {
    pub(crate) sql: String,
    pub(crate) args: Vec<String>,
}

/// The filter of `query` for `backend`; an unknown verdict word is an error, not an empty list.
pub(crate) fn filter(query: &DomainQuery, backend: Backend) -> Result<Filter> {
    let mut args = Vec::new();
    let mut terms = Vec::new();
    let mark = |n: usize| match backend {
        Backend::Sqlite => format!("?{n}"),
        Backend::Postgres => format!("${n}"),
    };
    if !query.verdicts.is_empty() {
        let mut marks = Vec::new();
        for v in &query.verdicts {
            let v = v.trim().to_ascii_lowercase();
            if !VERDICTS.contains(&v.as_str()) {
                return Err(invalid(format!(
                    "{v:?} is not a verdict (one of {})",
                    VERDICTS.join(", ")
                )));
            }
            args.push(v);
            marks.push(mark(args.len()));
        }
        terms.push(format!("verdict IN ({})", marks.join(", ")));
    }
    if let Some(text) = query.name_contains.as_deref().filter(|t| !t.is_empty()) {
        if text.len() > MAX_NAME {
            return Err(invalid(format!(
                "the name filter is longer than {MAX_NAME} bytes"
            )));
        }
        args.push(text.to_ascii_lowercase());
        // instr/strpos rather than LIKE: no wildcard characters to escape in the user's text.
        terms.push(match backend {
            Backend::Sqlite => format!("instr(name, {}) > 0", mark(args.len())),
            Backend::Postgres => format!("strpos(name, {}) > 0", mark(args.len())),
        });
    }
    let sql = if terms.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", terms.join(" AND "))
    };
    Ok(Filter { sql, args })
}

/// The list statement for `query`: newest write first, then by name for a stable order.
/// Limit and offset are checked numbers written into the SQL (they are `u32`, never text).
pub(crate) fn list_sql(query: &DomainQuery, backend: Backend) -> Result<(String, Vec<String>)> {
    if query.limit == 0 || query.limit > MAX_LIMIT {
        return Err(invalid(format!("the limit must be 1 to {MAX_LIMIT}")));
    }
    let f = filter(query, backend)?;
    Ok((
        format!(
            "SELECT {COLUMNS} FROM domain_verdicts {} ORDER BY last_written DESC, name, rules_version LIMIT {} OFFSET {}",
            f.sql, query.limit, query.offset
        ),
        f.args,
    ))
}

/// The per-verdict count statement for `query` (rows and writes per verdict).
pub(crate) fn stats_sql(query: &DomainQuery, backend: Backend) -> Result<(String, Vec<String>)> {
    let f = filter(query, backend)?;
    Ok((
        format!(
            "SELECT verdict, count(*), CAST(sum(writes) AS BIGINT) FROM domain_verdicts {} GROUP BY verdict ORDER BY verdict",
            f.sql
        ),
        f.args,
    ))
}

/// Totals from per-verdict rows.
pub(crate) fn stats_of(by_verdict: Vec<(String, i64, i64)>) -> DomainStats {
    DomainStats {
        total: by_verdict.iter().map(|r| r.1).sum(),
        writes: by_verdict.iter().map(|r| r.2).sum(),
        by_verdict: by_verdict.into_iter().map(|(v, n, _)| (v, n)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> DomainVerdict {
        DomainVerdict {
            name: name.into(),
            rules_version: "0.1.0".into(),
            verdict: "phishing".into(),
            score: 90,
            brand: Some("amazon".into()),
            report_json: "{\"verdict\":\"phishing\"}".into(),
            source: "ct:https://log.example/".into(),
        }
    }

    #[test]
    fn names_must_be_canonical_and_short() {
        assert!(validate(&sample("amazon-login.example")).is_ok());
        assert!(validate(&sample("xn--mazon-3ve.example")).is_ok());
        for bad in [
            "",
            "Amazon.example",
            "amazon.example.",
            ".example",
            "a b.example",
            "ämazon.example",
            "a\n.example",
        ] {
            assert!(validate(&sample(bad)).is_err(), "{bad:?}");
        }
        let long = format!("{}.example", "a".repeat(250));
        let msg = validate(&sample(&long)).unwrap_err().to_string();
        assert!(msg.contains("253"), "{msg}");
    }

    #[test]
    fn other_fields_are_checked() {
        let mut v = sample("x.example");
        v.report_json = "x".repeat(MAX_DOMAIN_REPORT_BYTES + 1);
        assert!(validate(&v).unwrap_err().to_string().contains("bytes"));
        let mut v = sample("x.example");
        v.verdict = "fine".into();
        assert!(validate(&v).is_err());
        let mut v = sample("x.example");
        v.score = 101;
        assert!(validate(&v).is_err());
        let mut v = sample("x.example");
        v.rules_version = String::new();
        assert!(validate(&v).is_err());
        let mut v = sample("x.example");
        v.source = "s".repeat(MAX_SOURCE + 1);
        assert!(validate(&v).is_err());
    }

    #[test]
    fn reasons_are_cut_on_characters() {
        let r = "钓".repeat(MAX_DEAD_REASON);
        let c = clip_reason(&r);
        assert!(c.len() <= MAX_DEAD_REASON && c.len() > MAX_DEAD_REASON - 3);
        assert_eq!(clip_reason("short"), "short");
    }

    #[test]
    fn filters_number_their_placeholders() {
        let q = DomainQuery {
            verdicts: vec!["phishing".into(), "Suspicious".into()],
            name_contains: Some("Amazon".into()),
            ..DomainQuery::default()
        };
        let f = filter(&q, Backend::Postgres).unwrap();
        assert_eq!(f.sql, "WHERE verdict IN ($1, $2) AND strpos(name, $3) > 0");
        assert_eq!(f.args, ["phishing", "suspicious", "amazon"]);
        let f = filter(&DomainQuery::default(), Backend::Sqlite).unwrap();
        assert!(f.sql.is_empty() && f.args.is_empty());
        let bad = DomainQuery {
            verdicts: vec!["fine".into()],
            ..DomainQuery::default()
        };
        assert!(filter(&bad, Backend::Sqlite).is_err());
        let none = DomainQuery {
            limit: 0,
            ..DomainQuery::default()
        };
        assert!(list_sql(&none, Backend::Sqlite).is_err());
    }
}
