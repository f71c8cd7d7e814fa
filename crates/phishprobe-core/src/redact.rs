//! Secrets out of URLs before they reach a message or a log line.
//!
//! One function for the whole workspace (server, store, CLI): database URLs are printed in
//! start-up lines, error messages and `Debug` output, and two slightly different copies of this
//! logic once printed half of a password that contained an `@`.

/// What replaces a password (or a user name that may itself be a token).
const HIDDEN: &str = "***";

/// `scheme://user:secret@host:port/path?query#frag` → `scheme://user:***@host:port/path`.
///
/// Why each rule:
/// - the authority ends at the first `/`, `?` or `#` after `://` (as WHATWG and the `postgres`
///   crate parse it), and the user information ends at the **last** `@` of the authority, so a
///   password holding a literal `@` (`p@ss`) is hidden whole;
/// - the query and the fragment are dropped: PostgreSQL accepts `?password=…`, and tokens
///   often travel in queries;
/// - a user name with a password is kept (it helps to tell databases apart); user information
///   without a `:` is hidden whole, because `https://TOKEN@host` puts the secret there;
/// - nothing is decoded: percent-encoded text (`p%40ss`) is treated as the characters it is,
///   and IPv6 hosts in brackets (`[::1]:5432`) are kept as they are (their colons are after
///   the last `@`, never taken for a password separator);
/// - a string without `://` is a file path or garbage: it is returned as is, except that
///   everything up to its last `@` is hidden (a mistyped `postgres:/user:pw@host` stays safe).
pub fn redact_url(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once("://") else {
        return match s.rsplit_once('@') {
            Some((_, after)) => format!("{HIDDEN}@{}", strip_query(after)),
            None => s.to_string(),
        };
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let path = strip_query(tail);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let shown_user = match userinfo.split_once(':') {
                Some((user, _password)) => format!("{user}:{HIDDEN}"),
                None => HIDDEN.to_string(),
            };
            format!("{scheme}://{shown_user}@{host}{path}")
        }
        None => format!("{scheme}://{authority}{path}"),
    }
}

/// The part before any `?` or `#`.
fn strip_query(s: &str) -> &str {
    s.find(['?', '#']).map_or(s, |i| &s[..i])
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn password_with_at_signs_is_hidden_whole() {
        let r = redact_url("postgres://user:p@ss@db.example:5432/phish");
        assert_eq!(r, "postgres://user:***@db.example:5432/phish");
        let r = redact_url("postgres://u:a@b@c@host/db");
        assert_eq!(r, "postgres://u:***@host/db");
    }

    #[test]
    fn query_and_fragment_are_dropped() {
        assert_eq!(
            redact_url("postgres://pp:s3cret@127.0.0.1:5432/phishprobe?sslmode=disable"),
            "postgres://pp:***@127.0.0.1:5432/phishprobe"
        );
        let r = redact_url("postgres://db/phish?user=a&password=hunter2#x");
        assert_eq!(r, "postgres://db/phish");
        assert_eq!(
            redact_url("https://host?token=abc#frag"),
            "https://host",
            "a query right after the host"
        );
        assert_eq!(redact_url("https://host#tok"), "https://host");
    }

    #[test]
    fn percent_encoded_secrets() {
        let r = redact_url("postgres://us%40er:p%40ss%3Aword%2F1@db/x");
        assert_eq!(r, "postgres://us%40er:***@db/x");
        assert!(!r.contains("p%40ss"), "{r}");
        // An encoded `@` is not a separator: the real one (the last literal `@`) is.
        let r = redact_url("postgres://u:p%40ss@h%40st/db");
        assert_eq!(r, "postgres://u:***@h%40st/db");
    }

    #[test]
    fn ipv6_hosts() {
        assert_eq!(
            redact_url("postgres://u:p@ss@[::1]:5432/db"),
            "postgres://u:***@[::1]:5432/db"
        );
        assert_eq!(
            redact_url("postgres://[::1]:5432/db"),
            "postgres://[::1]:5432/db"
        );
        assert_eq!(
            redact_url("postgresql://u:pw@[2001:db8::7]/db?password=x"),
            "postgresql://u:***@[2001:db8::7]/db"
        );
    }

    #[test]
    fn no_userinfo_is_unchanged_apart_from_the_query() {
        assert_eq!(
            redact_url("postgres://127.0.0.1/db"),
            "postgres://127.0.0.1/db"
        );
        assert_eq!(
            redact_url("https://example.com/a/b"),
            "https://example.com/a/b"
        );
        // An `@` in the path is not user information.
        assert_eq!(
            redact_url("https://social.example/@alice"),
            "https://social.example/@alice"
        );
        assert_eq!(
            redact_url("/home/me/.local/share/phishprobe/history.db"),
            "/home/me/.local/share/phishprobe/history.db"
        );
    }

    #[test]
    fn user_without_password_may_be_a_token() {
        assert_eq!(
            redact_url("https://ghp_abcdef@github.example/x.git"),
            "https://***@github.example/x.git"
        );
        assert_eq!(
            redact_url("postgres://:pw@host/db"),
            "postgres://:***@host/db"
        );
    }

    #[test]
    fn garbage_never_leaks_and_never_panics() {
        for (input, secret) in [
            ("postgres:/user:s3cret@host/db", "s3cret"),
            ("user:s3cret@host", "s3cret"),
            ("s3cret@", "s3cret"),
            ("postgres://u:s3cret@", "s3cret"),
            ("://u:s3cret@h", "s3cret"),
            ("postgres://u:s3cret@@@", "s3cret"),
            ("x://@@s3cret@h?s3cret", "s3cret"),
        ] {
            let r = redact_url(input);
            assert!(!r.contains(secret), "{input:?} -> {r:?}");
        }
        for odd in [
            "",
            "://",
            "@",
            "@@@",
            "postgres://",
            "?",
            "#",
            "é://ü:ö@ä",
            "\0://\0",
        ] {
            let _ = redact_url(odd);
        }
        assert_eq!(redact_url("not a url"), "not a url");
    }
}
