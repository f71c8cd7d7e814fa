//! Email-specific text cues until (and alongside) `phishprobe_core::text`: phrases that ask for
//! credentials, threaten the account, promise prizes or push for speed (data/email/lures.toml, eight
//! languages), and Amazon-style order numbers (`123-1234567-1234567`).
//!
//! All matching runs on text folded by core's mail form ([`phishprobe_core::text::fold`]) with one Aho-Corasick
//! automaton, so the cost is linear in the text whatever the number of phrases.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::Deserialize;

use phishprobe_core::text::{contains_word, fold};

/// Purpose of a lure phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lure {
    /// Asks to sign in, verify or hand over account, card or identity data.
    Credential,
    /// Says the account, payment, parcel or device is in trouble.
    Threat,
    /// Promises a prize, gift or money.
    Prize,
    /// Pushes to act at once.
    Urgency,
}

#[derive(Deserialize)]
struct LureFile {
    credential: Vec<String>,
    threat: Vec<String>,
    prize: Vec<String>,
    urgency: Vec<String>,
}

/// The compiled phrase set.
#[derive(Debug, Clone)]
pub struct Lures {
    ac: AhoCorasick,
    kinds: Vec<(Lure, String)>,
}

/// What the text matched: per purpose, the first phrases found.
#[derive(Debug, Clone, Default)]
pub struct LureHits {
    /// Each phrase found, with its purpose.
    pub hits: Vec<(Lure, String)>,
}

impl LureHits {
    /// Whether a phrase of this purpose was found.
    pub fn has(&self, l: Lure) -> bool {
        self.hits.iter().any(|(k, _)| *k == l)
    }
    /// The first few phrases found for this purpose.
    pub fn phrases(&self, l: Lure) -> Vec<&str> {
        self.hits
            .iter()
            .filter(|(k, _)| *k == l)
            .map(|(_, p)| p.as_str())
            .take(3)
            .collect()
    }
}

impl Lures {
    /// Phrase lists from a TOML text (`credential`, `threat`, `prize`, `urgency` arrays).
    pub fn from_toml(text: &str) -> Result<Lures, String> {
        let f: LureFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut kinds = Vec::new();
        for (k, list) in [
            (Lure::Credential, f.credential),
            (Lure::Threat, f.threat),
            (Lure::Prize, f.prize),
            (Lure::Urgency, f.urgency),
        ] {
            for p in list {
                let p = fold(&p).text;
                if !p.is_empty() {
                    kinds.push((k, p));
                }
            }
        }
        let phrases = || kinds.iter().map(|(_, p)| p.as_str());
        // A full DFA: scanned over every message's whole text, it is faster than the default
        // NFA, and the same matches (the kind of automaton never changes what is found).
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(phrases())
            .or_else(|_| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(phrases())
            })
            .map_err(|e| e.to_string())?;
        Ok(Lures { ac, kinds })
    }

    /// Phrases found in already-folded text, at word boundaries; at most 3 per purpose.
    pub fn find(&self, folded: &str) -> LureHits {
        let mut out = LureHits::default();
        for m in self.ac.find_iter(folded) {
            let Some((k, p)) = self.kinds.get(m.pattern().as_usize()) else {
                continue;
            };
            if out.hits.iter().filter(|(x, _)| x == k).count() >= 3
                || out.hits.iter().any(|(_, q)| q == p)
            {
                continue;
            }
            // Boundary check on the matched span.
            let s = m.start().saturating_sub(4);
            let e = (m.end() + 4).min(folded.len());
            let window = folded.get(floor(folded, s)..ceil(folded, e)).unwrap_or("");
            if contains_word(window, p) {
                out.hits.push((*k, p.clone()));
            }
        }
        out
    }
}

fn floor(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
fn ceil(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Amazon-style order numbers (`3 digits - 7 digits - 7 digits`), at most `max`. Phish often
/// truncate or vary the last group (`#219-6044388-847`), so 3..=7 digits are accepted there.
pub fn order_numbers(text: &str, max: usize) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let digits = |from: usize| {
        b.get(from..)
            .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    while i < b.len() && out.len() < max {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit()) {
            let d1 = digits(i);
            if d1 == 3 && b.get(i + 3) == Some(&b'-') {
                let d2 = digits(i + 4);
                if d2 == 7 && b.get(i + 11) == Some(&b'-') {
                    let d3 = digits(i + 12);
                    if (3..=7).contains(&d3) && order_context(text, i) {
                        out.push(text[i..i + 12 + d3].to_string());
                        i += 12 + d3;
                        continue;
                    }
                }
            }
            i += d1.max(1);
        } else {
            i += 1;
        }
    }
    out
}

/// Whether the words just before `at` call the number an order (carrier tracking numbers and
/// phone-like digit groups share the shape, so the shape alone is not enough).
fn order_context(text: &str, at: usize) -> bool {
    let mut start = at.saturating_sub(48);
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    let before = text.get(start..at).unwrap_or("").to_lowercase();
    before.trim_end().ends_with('#')
        || [
            "order",
            "bestell",
            "pedido",
            "commande",
            "ordine",
            "订单",
            "注文",
            "auftrag",
            "bestelling",
        ]
        .iter()
        .any(|w| before.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lures_in_languages() {
        let l = Lures::from_toml(include_str!("../../../data/email/lures.toml")).expect("lures");
        let h = l.find(
            &fold("Your account has been suspended. Verify your account within 24 hours.").text,
        );
        assert!(
            h.has(Lure::Threat) && h.has(Lure::Credential) && h.has(Lure::Urgency),
            "{h:?}"
        );
        let de = l.find(&fold("Herzlichen Glückwunsch, Sie haben gewonnen!").text);
        assert!(de.has(Lure::Prize));
        let zh = l.find(&fold("您的账户异常，请立即验证您的账户").text);
        assert!(zh.has(Lure::Threat) && zh.has(Lure::Credential));
        assert!(
            l.find("we met at the conference and talked about parsers")
                .hits
                .is_empty()
        );
        // Word boundaries: "sofortige" is not "sofort".
        assert!(!l.find("sofortige").has(Lure::Urgency));
    }

    #[test]
    fn order_number_shapes() {
        assert_eq!(
            order_numbers("Order #123-1234567-1234567 shipped", 5),
            ["123-1234567-1234567"]
        );
        assert_eq!(order_numbers("#219-6044388-847", 5), ["219-6044388-847"]);
        assert!(order_numbers("call 555-1234567 or 1234-1234567-1234567", 5).is_empty());
        assert!(order_numbers("", 5).is_empty());
        // The same shape without an order context (a tracking number) is not an order number.
        assert!(order_numbers("Tracking 123-1234567-1234567", 5).is_empty());
    }
}
