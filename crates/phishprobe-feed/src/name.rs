//! Feed names to hostnames: one spelling per host, so de-duplication and storage agree.

use thiserror::Error;

/// Longest hostname DNS allows (RFC 1035, without the root dot).
const MAX_NAME: usize = 253;

/// Why a feed entry is not a hostname worth judging.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NameError {
    /// Empty after trimming (or a bare `*.`).
    #[error("empty name")]
    Empty,
    /// Longer than DNS allows.
    #[error("name longer than {MAX_NAME} characters")]
    TooLong,
    /// An IP address: certificates may name one, but there is no domain to judge.
    #[error("an IP address, not a hostname")]
    Address,
    /// Not a valid hostname (bad characters, broken punycode, empty labels).
    #[error("not a valid hostname: {0}")]
    Invalid(String),
}

/// A hostname from a feed in its canonical form: ASCII (punycode), lower case, no trailing dot,
/// wildcards (`*.x.com`) replaced by their base (`x.com`), which is what a look-alike check sees.
pub fn canonical(raw: &str) -> Result<String, NameError> {
    let mut name = raw.trim().trim_end_matches('.');
    while let Some(rest) = name.strip_prefix("*.") {
        name = rest;
    }
    if name.is_empty() || name == "*" {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_NAME * 4 {
        return Err(NameError::TooLong);
    }
    let host = url::Host::parse(name).map_err(|e| NameError::Invalid(e.to_string()))?;
    let ascii = match host {
        url::Host::Domain(d) => d,
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => return Err(NameError::Address),
    };
    if ascii.len() > MAX_NAME {
        return Err(NameError::TooLong);
    }
    if ascii
        .split('.')
        .any(|label| label.is_empty() || label.len() > 63)
    {
        return Err(NameError::Invalid(format!(
            "empty or over-long label in {ascii}"
        )));
    }
    if !ascii.contains('.') {
        return Err(NameError::Invalid(format!("{ascii} has no dot")));
    }
    if !ascii
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        return Err(NameError::Invalid(format!(
            "{ascii} has characters a hostname cannot"
        )));
    }
    Ok(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_case_and_dots_fold_to_one_name() {
        for raw in [
            "*.Amazon-Verify.top.",
            "amazon-verify.top",
            " *.*.AMAZON-verify.top ",
        ] {
            assert_eq!(canonical(raw).as_deref(), Ok("amazon-verify.top"), "{raw}");
        }
    }

    #[test]
    fn unicode_becomes_punycode() {
        assert_eq!(canonical("аmazon.com").as_deref(), Ok("xn--mazon-3ve.com"));
    }

    #[test]
    fn what_is_not_a_hostname_is_refused() {
        assert_eq!(canonical(""), Err(NameError::Empty));
        assert_eq!(canonical("*."), Err(NameError::Empty));
        assert_eq!(canonical("192.0.2.7"), Err(NameError::Address));
        assert_eq!(canonical("[::1]"), Err(NameError::Address));
        assert!(matches!(canonical("localhost"), Err(NameError::Invalid(_))));
        assert!(matches!(canonical("a..b.com"), Err(NameError::Invalid(_))));
        assert!(matches!(
            canonical("bad name.com"),
            Err(NameError::Invalid(_))
        ));
        assert!(matches!(
            canonical("xn--zz.com"),
            Err(NameError::Invalid(_))
        ));
        let long = format!("{}.com", "a".repeat(300));
        assert!(canonical(&long).is_err());
        assert_eq!(canonical(&"a.".repeat(2000)), Err(NameError::TooLong));
    }
}
