//! The probe's phrase lists (`data/probe/phrases.toml`): what a page says after a submission and
//! the words that name its fields. Embedded at build time and parsed once, on first use.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// The embedded file.
const PHRASES_TOML: &str = include_str!("../../../data/probe/phrases.toml");

/// Every list of the file. All entries are lowercase; order matters (the first match wins).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Phrases {
    /// Phrases in the text of a page after a submission.
    pub after_submit: AfterSubmitPhrases,
    /// Words of an HTML page's fields and links (the plain-HTTP engine).
    pub html: HtmlWords,
    /// The browser engine's page reader's patterns (`chrome/scan.js`), and the CAPTCHA frame
    /// words both engines read.
    pub page_scan: PageScanWords,
}

/// Phrases in the text of a page after a submission.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AfterSubmitPhrases {
    /// Error text a login shows when it refuses credentials.
    pub error: Vec<String>,
    /// A challenge page: CAPTCHA, bot check, one-time code.
    pub challenge: Vec<String>,
    /// A page that asks for card or identity data.
    pub card: Vec<String>,
}

/// Words of an HTML page's fields and links.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HtmlWords {
    /// An account field: email, user name, phone.
    pub identifier_field: Vec<String>,
    /// A card field.
    pub card_field: Vec<String>,
    /// A one-time-code field.
    pub otp_field: Vec<String>,
    /// How the text of an obvious "Sign in" link starts.
    pub signin_link: Vec<String>,
}

/// The lists of the browser engine's page reader (`chrome/scan.js`), handed to it as JSON.
/// Each entry of a pattern list is one alternative of a JavaScript regular expression (joined
/// with `|`, no flags), tested against lowercased text.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageScanWords {
    /// Patterns of an account field.
    pub ident_field: Vec<String>,
    /// Patterns of a card field.
    pub card_field: Vec<String>,
    /// Patterns of a one-time-code field.
    pub otp_field: Vec<String>,
    /// Patterns of a field asking for identity or bank data.
    pub personal_field: Vec<String>,
    /// Patterns of a submit button's label.
    pub submit_label: Vec<String>,
    /// Patterns of a button label that does not submit (forgot, create, help...).
    pub not_submit_label: Vec<String>,
    /// Patterns an obvious "Sign in" link's text starts with (after an optional "hello,").
    pub signin_link: Vec<String>,
    /// Plain words (not patterns) in a frame's address or title that mark a CAPTCHA.
    pub captcha_frame: Vec<String>,
}

/// The lists, parsed on first use (the tests check that the embedded file parses).
pub(crate) static PHRASES: LazyLock<Phrases> = LazyLock::new(|| {
    toml::from_str(PHRASES_TOML).expect("data/probe/phrases.toml parses (checked by the tests)")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_phrase_lists_load() {
        let p: Phrases = toml::from_str(PHRASES_TOML).expect("data/probe/phrases.toml parses");
        let a = &p.after_submit;
        let h = &p.html;
        let s = &p.page_scan;
        for (name, list) in [
            ("after_submit.error", &a.error),
            ("after_submit.challenge", &a.challenge),
            ("after_submit.card", &a.card),
            ("html.identifier_field", &h.identifier_field),
            ("html.card_field", &h.card_field),
            ("html.otp_field", &h.otp_field),
            ("html.signin_link", &h.signin_link),
            ("page_scan.ident_field", &s.ident_field),
            ("page_scan.card_field", &s.card_field),
            ("page_scan.otp_field", &s.otp_field),
            ("page_scan.personal_field", &s.personal_field),
            ("page_scan.submit_label", &s.submit_label),
            ("page_scan.not_submit_label", &s.not_submit_label),
            ("page_scan.signin_link", &s.signin_link),
            ("page_scan.captcha_frame", &s.captcha_frame),
        ] {
            assert!(!list.is_empty(), "{name} is empty");
            for w in list {
                assert!(!w.trim().is_empty(), "{name} has an empty entry");
                assert_eq!(*w, w.to_lowercase(), "{name}: {w:?} is not lowercase");
            }
        }
        // The lists the rules rely on.
        assert!(a.error.iter().any(|w| w == "incorrect"));
        assert!(a.challenge.iter().any(|w| w == "captcha"));
        assert!(a.card.iter().any(|w| w == "card number"));
        assert!(h.signin_link.iter().any(|w| w == "sign in"));
        assert!(s.captcha_frame.iter().any(|w| w == "captcha"));
        // A pattern alternative holds no `|` of its own (nor a group that could swallow the
        // join), and the frame words are plain.
        for (name, list) in [
            ("ident_field", &s.ident_field),
            ("card_field", &s.card_field),
            ("otp_field", &s.otp_field),
            ("personal_field", &s.personal_field),
            ("submit_label", &s.submit_label),
            ("not_submit_label", &s.not_submit_label),
            ("signin_link", &s.signin_link),
        ] {
            for w in list {
                assert!(
                    !w.contains(['|', '(', ')', '^', '$']),
                    "page_scan.{name}: {w:?}"
                );
            }
        }
        for w in &s.captcha_frame {
            assert!(
                w.chars().all(|c| c.is_alphanumeric() || ".-_".contains(c)),
                "{w:?}"
            );
        }
        // The static parses the same file.
        assert_eq!(PHRASES.after_submit.error, a.error);
    }
}
