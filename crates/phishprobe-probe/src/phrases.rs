//! The probe's phrase lists (`data/probe/phrases.toml`): what a page says after a submission and
//! the words that name its fields. Embedded at build time and parsed once, on first use.

use std::sync::LazyLock;

use serde::Deserialize;

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
        for (name, list) in [
            ("after_submit.error", &a.error),
            ("after_submit.challenge", &a.challenge),
            ("after_submit.card", &a.card),
            ("html.identifier_field", &h.identifier_field),
            ("html.card_field", &h.card_field),
            ("html.otp_field", &h.otp_field),
            ("html.signin_link", &h.signin_link),
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
        // The static parses the same file.
        assert_eq!(PHRASES.after_submit.error, a.error);
    }
}
