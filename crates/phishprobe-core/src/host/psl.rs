//! Registrable domains by the Public Suffix List (the `psl` crate, which compiles the list in;
//! its version is the list version, see the README).
//!
//! Both sections matter and mean different things: the ICANN section gives the domain someone
//! registered (`amazonaws.com`), the private section gives the unit a hosting customer controls
//! (`bucket.s3.amazonaws.com`, `x.vercel.app`). Which one a rule needs is decided per rule.

/// The registrable domains of a host, per PSL section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrable<'a> {
    /// Registrable domain by ICANN rules only (`amazonaws.com` for `b.s3.amazonaws.com`).
    pub icann: Option<&'a str>,
    /// Registrable domain with private rules too (`b.s3.amazonaws.com`).
    pub private: Option<&'a str>,
    /// The public suffix (private section included), e.g. `vercel.app` or `co.jp`.
    pub suffix: &'a str,
    /// Whether `suffix` comes from the private section.
    pub suffix_is_private: bool,
}

fn label_before(host: &str, suffix_len: usize) -> Option<&str> {
    if host.len() < suffix_len + 2 {
        return None;
    }
    let head = host.get(..host.len() - suffix_len - 1)?;
    let root = head
        .bytes()
        .rposition(|b| b == b'.')
        .and_then(|i| head.get(i + 1..))
        .unwrap_or(head);
    host.get(host.len() - suffix_len - 1 - root.len()..)
}

/// Split `host` (lowercase ASCII, no trailing dot) by the PSL.
pub fn registrable(host: &str) -> Registrable<'_> {
    let Some(sfx) = psl::suffix(host.as_bytes()) else {
        return Registrable {
            icann: None,
            private: None,
            suffix: "",
            suffix_is_private: false,
        };
    };
    let suffix_len = sfx.as_bytes().len();
    let suffix = host.get(host.len() - suffix_len..).unwrap_or("");
    let is_private = sfx.typ() == Some(psl::Type::Private);
    let private = label_before(host, suffix_len);
    let icann = if is_private {
        // Walk up from the private suffix until an ICANN (or implicit) suffix answers.
        let mut name = suffix;
        let mut icann_len = 0;
        while let Some((_, rest)) = name.split_once('.') {
            match psl::suffix(rest.as_bytes()) {
                Some(s) if s.typ() == Some(psl::Type::Private) => name = rest,
                Some(s) => {
                    icann_len = s.as_bytes().len();
                    break;
                }
                None => break,
            }
        }
        if icann_len == 0 {
            None
        } else {
            label_before(host, icann_len)
        }
    } else {
        private
    };
    Registrable {
        icann,
        private,
        suffix,
        suffix_is_private: is_private,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icann_and_private_sections() {
        let r = registrable("bucket.s3.amazonaws.com");
        assert_eq!(r.icann, Some("amazonaws.com"));
        assert_eq!(r.private, Some("bucket.s3.amazonaws.com"));
        assert!(r.suffix_is_private);

        let r = registrable("amazon-clone.vercel.app");
        assert_eq!(r.icann, Some("vercel.app"));
        assert_eq!(r.private, Some("amazon-clone.vercel.app"));

        let r = registrable("www.amazon.co.jp");
        assert_eq!(r.icann, Some("amazon.co.jp"));
        assert_eq!(r.private, Some("amazon.co.jp"));
        assert_eq!(r.suffix, "co.jp");
        assert!(!r.suffix_is_private);
    }

    #[test]
    fn bare_suffix_has_no_registrable() {
        let r = registrable("com");
        assert_eq!(r.icann, None);
        assert_eq!(r.private, None);
        let r = registrable("");
        assert_eq!(r.private, None);
    }
}
