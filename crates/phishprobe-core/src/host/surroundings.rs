//! The context a brand match is judged in: which labels a registrant chose (and so are
//! scanned), and what else about the host makes a weak match count (free hosting, customer
//! content, an abused ending, account words). Worked out once and shared by the brand,
//! popular-site and hosting steps.

use super::name::{label_count, labels_of};
use crate::knowledge::Knowledge;

/// The labels a customer or registrant chose (left of the public suffix and of any
/// brand-owned domain the host sits under), and what else about the host makes a weak match
/// count: free hosting, customer content, an abused ending, account words.
pub(super) struct Surroundings<'a> {
    pub(super) ascii_labels: Vec<&'a str>,
    /// Only when the Unicode form differs (else the ASCII labels are the ones shown).
    unicode_labels: Option<Vec<&'a str>>,
    /// How many labels from the left are scanned for brands.
    pub(super) scan: usize,
    /// Index of the registered (registrable) label, if any.
    pub(super) registrable_index: Option<usize>,
    pub(super) free: Option<crate::lists::HostingSuffix>,
    pub(super) abused_tld: bool,
    pub(super) customer_hosted: bool,
    pub(super) credential_words: Vec<String>,
}

impl<'a> Surroundings<'a> {
    /// The surroundings of `ascii`; `owned_labels` is the label count of the brand-owned
    /// domain it sits under (0 when none), `suffix` its public suffix.
    pub(super) fn new(
        knowledge: &Knowledge,
        ascii: &'a str,
        unicode: Option<&'a str>,
        suffix: &str,
        owned_labels: usize,
        customer_hosted: bool,
    ) -> Surroundings<'a> {
        let ascii_labels: Vec<&str> = labels_of(ascii);
        let unicode_labels = unicode.map(labels_of);
        let n = ascii_labels.len();
        let suffix_labels = if suffix.is_empty() {
            0
        } else {
            label_count(suffix)
        };
        let scan = if owned_labels > 0 {
            n.saturating_sub(owned_labels.max(suffix_labels))
        } else {
            n.saturating_sub(suffix_labels.min(n.saturating_sub(1)))
        };
        let free = knowledge.free_hosting(ascii).cloned();
        let abused_tld = knowledge.is_abused_tld(ascii);
        let mut credential_words: Vec<String> = Vec::new();
        for label in ascii_labels.iter().take(scan) {
            for tok in label.split(['-', '_']) {
                let credential = knowledge.is_login_word(tok) || knowledge.contains_login_word(tok);
                if credential && !credential_words.iter().any(|w| w == tok) {
                    credential_words.push(tok.to_string());
                }
            }
        }
        Surroundings {
            ascii_labels,
            unicode_labels,
            scan,
            registrable_index: scan.checked_sub(1),
            free,
            abused_tld,
            customer_hosted,
            credential_words,
        }
    }

    /// The labels as shown (Unicode when it differs, else the ASCII ones).
    pub(super) fn unicode_labels(&self) -> &[&'a str] {
        self.unicode_labels.as_deref().unwrap_or(&self.ascii_labels)
    }

    /// Weak matches count only where the host is risky already.
    pub(super) fn risky_host(&self) -> bool {
        self.free.is_some()
            || self.customer_hosted
            || self.abused_tld
            || !self.credential_words.is_empty()
    }

    /// A host anyone can publish on, or an abused ending.
    pub(super) fn open_host(&self) -> bool {
        self.free.is_some() || self.customer_hosted || self.abused_tld
    }
}
