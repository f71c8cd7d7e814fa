//! Popular domains that are not (all) brand profiles: Chromium's top-domains list, shipped in
//! `data/popular/` (source, licence and date in its README).
//!
//! The list does three jobs, as it does in Chromium's look-alike checks:
//! - a listed name is itself never a look-alike (`rappler.com` is not Apple);
//! - an internationalised name whose TR39 skeleton is a listed name imitates it
//!   (`wіkipedia.org` with a Cyrillic `і`);
//! - the first bucket (about 500 names) is the target of the one-edit, target-embedding and
//!   combosquatting checks, with Chromium's false-positive filters.
//!
//! Every hostname is asked, so the common answer ("nothing") costs a few probes and no
//! allocation: one edit leaves the first two or the last two letters of a name in place, so
//! the one-edit check looks up (ending, first two letters) and (ending, last two letters) in a
//! small table of name lengths before any map; tokens are checked against a bitmap of (first two, last) letters
//! of the top names before any hashing; the embedding check runs only on hosts with more than a bare
//! registered name; the list itself is asked only when something was found.

use std::borrow::Cow;
use std::sync::OnceLock;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::unicode;

/// The marker line Chromium's list uses between its top bucket and the rest.
const TOP_BUCKET_END: &str = "###END_TOP_BUCKET###";
/// Chromium's `kMinLengthForEditDistance`: shorter names are one edit from too many others.
const MIN_EDIT_NAME: usize = 5;
/// Chromium's target-embedding and combosquatting floor (`> 4`): `bbc`, `ebay`, `bing` are
/// too short to be recognised inside another name.
const MIN_EMBED_NAME: usize = 5;
/// Chromium's combosquatting keywords (as words, not skeletons).
const COMBO_KEYWORDS: [&str; 13] = [
    "account", "activate", "admin", "coin", "crypto", "login", "logout", "password", "secure",
    "security", "signin", "signout", "wallet",
];
/// Endings people register as names to sell names under them (`com.com`, `com.de`).
const GENERIC_ENDINGS: [&str; 9] = [
    "com", "net", "org", "co", "gov", "edu", "info", "biz", "mil",
];
/// Slots of the one-edit prefilter: 32 KiB of `u32`, each the set of name lengths (modulo 32)
/// of the top names whose key falls there; under 1,000 of 8,192 slots are used.
const SLOTS: usize = 1 << 13;
const HASH_BASE: u64 = 0x100_0000_01b3;

/// A listed name: borrowed from the embedded list, owned only when it had to be lowercased.
type Name = Cow<'static, str>;

/// One top-bucket name split once: `google.co.uk` -> name `google`, ending `co.uk`.
#[derive(Debug)]
struct Top {
    domain: Name,
    name_len: usize,
}

impl Top {
    fn name(&self) -> &str {
        self.domain.get(..self.name_len).unwrap_or("")
    }

    fn ending(&self) -> &str {
        self.domain.get(self.name_len + 1..).unwrap_or("")
    }
}

/// What a host was found to imitate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PopularMatch {
    /// Its Unicode form has the skeleton of the listed name.
    Skeleton(String),
    /// One edit (insert, delete, replace) from a top-bucket name.
    OneEdit(String),
    /// Two neighbouring letters of a top-bucket name swapped (`wikiepdia.org`).
    Swap(String),
    /// A top-bucket name written out inside it, not at its end (`paypal.com.secure.net`).
    Embedded(String),
    /// A top-bucket name written out at its end (`secure-wikipedia.org`), or as a whole
    /// hyphen token beside a combosquatting keyword (`wikipedia-login.com`).
    Combined(String),
}

impl PopularMatch {
    /// The listed name imitated.
    pub fn target(&self) -> &str {
        match self {
            PopularMatch::Skeleton(t)
            | PopularMatch::OneEdit(t)
            | PopularMatch::Swap(t)
            | PopularMatch::Embedded(t)
            | PopularMatch::Combined(t) => t,
        }
    }
}

/// The loaded list and its indexes.
#[derive(Debug)]
pub struct PopularDomains {
    listed: HashSet<Name>,
    top: Vec<Top>,
    /// Key of (ending, first or last two letters) -> indexes into `top`: where a one-edit
    /// neighbour of a name must be.
    variants: HashMap<u64, Vec<u16>>,
    /// Name lengths by key slot: a host is asked about the table only when a top name of its
    /// length give or take one has its key.
    slots: Vec<u32>,
    /// Shortest and longest top name: a name outside one more or less is no edit of them.
    top_lengths: (usize, usize),
    /// (first two, last) letters of every top name, one bit each: most tokens of a host are
    /// ruled out before they are hashed.
    token_ends: Vec<u64>,
    /// First label of a top name -> indexes into `top`, for embedding checks.
    by_name: HashMap<Name, Vec<u16>>,
    /// TR39 skeleton of every listed name -> the name; built on the first internationalised
    /// host (most batches have none).
    skeletons: OnceLock<HashMap<String, String>>,
}

impl PopularDomains {
    /// Parse the list: one name a line, `#` lines skipped, the top bucket ending at
    /// Chromium's marker line.
    /// The names borrow from `text` (the embedded list) unless they need lowercasing, so
    /// loading allocates little: the engine is built at every start of the extension's worker.
    pub fn parse(text: &'static str) -> PopularDomains {
        let mut listed = HashSet::with_capacity_and_hasher(text.len() / 12, Default::default());
        let mut top = Vec::new();
        let mut in_top = true;
        for line in text.lines().map(str::trim) {
            if line == TOP_BUCKET_END {
                in_top = false;
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let domain: Name = if line.bytes().any(|c| c.is_ascii_uppercase()) {
                Cow::Owned(line.to_ascii_lowercase())
            } else {
                Cow::Borrowed(line)
            };
            if in_top
                && let Some(name_len) = domain.find('.')
                && top.len() < usize::from(u16::MAX)
            {
                top.push(Top {
                    domain: domain.clone(),
                    name_len,
                });
            }
            listed.insert(domain);
        }
        let mut variants: HashMap<u64, Vec<u16>> = HashMap::default();
        let mut slots = vec![0u32; SLOTS];
        let mut by_name: HashMap<Name, Vec<u16>> = HashMap::default();
        for (i, t) in top.iter().enumerate() {
            let i = i as u16;
            let name = t.name().as_bytes();
            if name.len() >= MIN_EDIT_NAME {
                let ending = hash_bytes(t.ending().as_bytes());
                for h in [
                    end_key(ending, Side::First, name),
                    end_key(ending, Side::Last, name),
                ]
                .into_iter()
                .flatten()
                {
                    let e = variants.entry(h).or_default();
                    if !e.contains(&i) {
                        e.push(i);
                    }
                    if let Some(slot) = slots.get_mut(slot_of(h)) {
                        *slot |= length_bit(name.len());
                    }
                }
            }
            let name: Name = match &t.domain {
                Cow::Borrowed(d) => Cow::Borrowed(d.get(..t.name_len).unwrap_or("")),
                Cow::Owned(_) => Cow::Owned(t.name().to_string()),
            };
            by_name.entry(name).or_default().push(i);
        }
        let top_lengths = top.iter().fold((usize::MAX, 0), |(lo, hi), t| {
            (lo.min(t.domain.len()), hi.max(t.domain.len()))
        });
        let mut token_ends = vec![0u64; TOKEN_ENDS.div_ceil(64)];
        for t in &top {
            if let Some(i) = token_end_index(t.name().as_bytes())
                && let Some(w) = token_ends.get_mut(i / 64)
            {
                *w |= 1 << (i % 64);
            }
        }
        PopularDomains {
            listed,
            token_ends,
            top_lengths,
            top,
            variants,
            slots,
            by_name,
            skeletons: OnceLock::new(),
        }
    }

    /// How many names the list holds.
    pub fn len(&self) -> usize {
        self.listed.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// Every listed name (for tests and reports).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.listed.iter().map(|n| n.as_ref())
    }

    /// The host is a listed name (`www.gov.uk`) or its registered name is (`rappler.com`).
    pub fn contains(&self, name: &str) -> bool {
        self.listed.contains(name)
    }

    /// What `registered` (a registered name, ASCII; `unicode` its Unicode form when it has
    /// internationalised labels) imitates, if anything. `host` is the whole ASCII host, for
    /// embeddings. The caller has checked that `registered` is not itself listed.
    pub fn imitated(
        &self,
        host: &str,
        registered: &str,
        unicode_registered: Option<&str>,
    ) -> Option<PopularMatch> {
        let skeleton = unicode_registered.map(unicode::skeleton);
        if let Some(sk) = &skeleton
            && let Some(name) = self.skeleton_match(sk)
            && name != registered
        {
            return Some(PopularMatch::Skeleton(name));
        }
        let compared: &str = skeleton.as_deref().unwrap_or(registered);
        if let Some(t) = self.one_edit(compared) {
            let swap = t.len() == compared.len();
            let swap = swap && {
                let diff: Vec<usize> = t
                    .bytes()
                    .zip(compared.bytes())
                    .enumerate()
                    .filter(|(_, (x, y))| x != y)
                    .map(|(i, _)| i)
                    .collect();
                diff.len() == 2
                    && diff
                        .get(1)
                        .zip(diff.first())
                        .is_some_and(|(b, a)| b - a == 1)
            };
            return Some(if swap {
                PopularMatch::Swap(t.to_string())
            } else {
                PopularMatch::OneEdit(t.to_string())
            });
        }
        self.embedded(host, registered)
    }

    fn skeleton_match(&self, skeleton: &str) -> Option<String> {
        let table = self.skeletons.get_or_init(|| {
            self.listed
                .iter()
                .map(|n| (unicode::skeleton(n), n.to_string()))
                .collect()
        });
        table.get(skeleton).cloned()
    }

    /// The top name one edit from `domain`, after Chromium's false-positive filters.
    fn one_edit(&self, domain: &str) -> Option<&str> {
        let (lo, hi) = self.top_lengths;
        if domain.len() + 1 < lo || domain.len() > hi + 1 {
            return None;
        }
        let (name, ending) = split_name(domain)?;
        if name.len() < MIN_EDIT_NAME || (!name.is_ascii() && name.chars().count() < MIN_EDIT_NAME)
        {
            return None;
        }
        // Only the name part is edited: a different ending alone is another country's site
        // (Chromium's first filter), so candidates share the ending exactly. One edit leaves
        // either the first two or the last two letters of a name of five or more in place,
        // so the candidates are the top names on this ending that start or end alike.
        let ending = hash_bytes(ending.as_bytes());
        let bytes = name.as_bytes();
        let n = bytes.len();
        let lengths = length_bit(n - 1) | length_bit(n) | length_bit(n + 1);
        [Side::First, Side::Last].into_iter().find_map(|side| {
            let h = end_key(ending, side, bytes)?;
            let slot = self.slots.get(slot_of(h)).copied().unwrap_or(0);
            (slot & lengths != 0)
                .then(|| self.confirm_one_edit(h, name, domain))
                .flatten()
        })
    }

    /// The top name behind a prefilter hit, if the hit is real and passes the filters.
    #[cold]
    #[inline(never)]
    fn confirm_one_edit(&self, h: u64, name: &str, domain: &str) -> Option<&str> {
        self.variants
            .get(&h)?
            .iter()
            .filter_map(|&i| self.top.get(usize::from(i)))
            .find(|t| {
                t.domain.len().abs_diff(domain.len()) <= 1
                    && t.domain != domain
                    && t.name().len() >= MIN_EDIT_NAME
                    && is_one_edit(t.domain.as_bytes(), domain.as_bytes())
                    && !likely_false_positive(t, name, domain)
            })
            .map(|t| t.domain.as_ref())
    }

    /// A top name written out inside the host with dots or hyphens (`paypal.com.x.net`,
    /// `secure-wikipedia-org.x.top`), or as a hyphen token beside a combosquatting keyword in
    /// the registered name (`wikipedia-login.com`).
    fn embedded(&self, host: &str, registered: &str) -> Option<PopularMatch> {
        let (label, _) = split_name(registered)?;
        // Nothing can be written inside a bare registered name without a hyphen (most
        // hosts): skip the token scan.
        let front = host.len().saturating_sub(registered.len());
        let hyphen = label.bytes().any(|c| c == b'-');
        if !hyphen && (front == 0 || (front == 4 && host.starts_with("www."))) {
            return None;
        }
        // `com.com`, `com.de`, `co.com`: a registered generic ending sold as a suffix, where
        // `brand.com.com` is the brand's own registration there, not an embedding.
        if GENERIC_ENDINGS.contains(&label) {
            return None;
        }
        // Most hosts name no top-bucket site at all: look the tokens up before collecting.
        let is_candidate = |t: &str| {
            t.len() >= MIN_EMBED_NAME
                && token_end_index(t.as_bytes()).is_none_or(|i| {
                    self.token_ends
                        .get(i / 64)
                        .is_some_and(|w| w & (1 << (i % 64)) != 0)
                })
                && self.by_name.contains_key(t)
        };
        if host.split(['.', '-']).any(is_candidate)
            && let Some(found) = self.embedded_span(host, registered, label)
        {
            return Some(found);
        }
        // Combosquatting: the registered name's hyphen tokens hold a top name and a keyword.
        if hyphen && label.split('-').any(|p| COMBO_KEYWORDS.contains(&p)) {
            for p in label.split('-') {
                if p.len() < MIN_EMBED_NAME {
                    continue;
                }
                if let Some(t) = self
                    .by_name
                    .get(p)
                    .and_then(|c| c.first())
                    .and_then(|&i| self.top.get(usize::from(i)))
                {
                    return Some(PopularMatch::Combined(t.domain.to_string()));
                }
            }
        }
        None
    }

    /// The token span of the host that spells a top-bucket name, outside the host's own
    /// registered name.
    fn embedded_span(&self, host: &str, registered: &str, label: &str) -> Option<PopularMatch> {
        let tokens: Vec<&str> = host.split(['.', '-']).filter(|t| !t.is_empty()).collect();
        let own = registered
            .split(['.', '-'])
            .filter(|t| !t.is_empty())
            .count();
        for (at, tok) in tokens.iter().enumerate() {
            if tok.len() < MIN_EMBED_NAME {
                continue;
            }
            let Some(candidates) = self.by_name.get(*tok) else {
                continue;
            };
            for t in candidates
                .iter()
                .filter_map(|&i| self.top.get(usize::from(i)))
            {
                let ending: Vec<&str> = t.ending().split('.').collect();
                let end = at + 1 + ending.len();
                let Some(after) = tokens.get(at + 1..end) else {
                    continue;
                };
                if after != ending.as_slice() {
                    continue;
                }
                // The listed site itself and its subdomains (`www.blogspot.com`), and the
                // host's own registered name on any ending (`expedia.com.au` is Expedia's as
                // much as `expedia.com`), are where the name may stand.
                let at_home = host
                    .strip_suffix(t.domain.as_ref())
                    .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'));
                if at_home || (end == tokens.len() && own == ending.len() + 1) {
                    continue;
                }
                if label == t.name() && at + own >= tokens.len() {
                    continue;
                }
                return Some(if end == tokens.len() {
                    PopularMatch::Combined(t.domain.to_string())
                } else {
                    PopularMatch::Embedded(t.domain.to_string())
                });
            }
        }
        None
    }
}

/// Chromium's filters for one-edit matches that are usually different sites.
fn likely_false_positive(top: &Top, name: &str, domain: &str) -> bool {
    let top_name = top.name();
    // Only the ending differs: the same name in another country.
    if top_name == name {
        return true;
    }
    // Numbered siblings: `site35` and `site45`, `brand1` and `brand`.
    let strip = |s: &str| s.trim_end_matches(|c: char| c.is_ascii_digit()).to_string();
    if strip(top_name) == strip(name) {
        return true;
    }
    // A different first letter makes another word (`hank` / `tank`, `oodle` / `poodle`).
    let (a, b) = (top.domain.as_bytes(), domain.as_bytes());
    if (a.len() == b.len() && a.get(1..) == b.get(1..))
        || a.get(1..) == Some(b)
        || b.get(1..) == Some(a)
    {
        return true;
    }
    // An added or dropped hyphen (`ab-cd.com` / `abcd.com`).
    if a.len() != b.len() {
        let (long, short) = if a.len() > b.len() { (a, b) } else { (b, a) };
        let first_diff = long
            .iter()
            .zip(short.iter())
            .position(|(x, y)| x != y)
            .unwrap_or(short.len());
        if long.get(first_diff) == Some(&b'-') {
            return true;
        }
    }
    false
}

/// At most one insertion, deletion, substitution or swap of neighbours apart, and not equal.
fn is_one_edit(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    match ra.len() as isize - rb.len() as isize {
        0 => {
            ra.get(1..) == rb.get(1..)
                || (ra.len() >= 2
                    && ra.first() == rb.get(1)
                    && ra.get(1) == rb.first()
                    && ra.get(2..) == rb.get(2..))
        }
        1 => ra.get(1..) == Some(rb),
        -1 => rb.get(1..) == Some(ra),
        _ => false,
    }
}

/// `wikipedia.org` -> (`wikipedia`, `org`); a byte scan (names are short, and the generic
/// character searcher costs more than the whole name).
fn split_name(domain: &str) -> Option<(&str, &str)> {
    let dot = domain.bytes().position(|c| c == b'.')?;
    Some((domain.get(..dot)?, domain.get(dot + 1..)?))
}

fn hash_bytes(s: &[u8]) -> u64 {
    s.iter().fold(0u64, |h, &c| {
        h.wrapping_mul(HASH_BASE).wrapping_add(u64::from(c) + 1)
    })
}

/// 27 symbols (a-z, anything else) for each of three letters.
const TOKEN_ENDS: usize = 27 * 27 * 27;

/// The bit of a token's first two and last letters; `None` for a token shorter than three.
fn token_end_index(t: &[u8]) -> Option<usize> {
    let sym = |c: u8| {
        if c.is_ascii_lowercase() {
            usize::from(c - b'a')
        } else {
            26
        }
    };
    let (&a, &b, &z) = (t.first()?, t.get(1)?, t.last()?);
    (t.len() >= 3).then(|| (sym(a) * 27 + sym(b)) * 27 + sym(z))
}

/// Which end of a name a candidate key holds.
#[derive(Clone, Copy)]
enum Side {
    First,
    Last,
}

/// The key of the names on an ending that start (or end) with the same two bytes as `name`.
#[inline]
fn end_key(ending: u64, side: Side, name: &[u8]) -> Option<u64> {
    let pair = match side {
        Side::First => name.get(..2)?,
        Side::Last => name.get(name.len().checked_sub(2)?..)?,
    };
    let (&a, &b) = (pair.first()?, pair.get(1)?);
    let tag = u64::from(matches!(side, Side::Last));
    let k = ending
        ^ ((u64::from(a) << 8) | u64::from(b) | (tag << 16)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    Some(k.wrapping_mul(0xff51_afd7_ed55_8ccd))
}

#[inline]
fn slot_of(h: u64) -> usize {
    (h >> 40) as usize % SLOTS
}

#[inline]
fn length_bit(len: usize) -> u32 {
    1 << (len % 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> PopularDomains {
        PopularDomains::parse(
            "wikipedia.org\nbooking.com\ngoogle.co.uk\nsite35.com\nnytimes.com\nab-cd.com\n\
             ###END_TOP_BUCKET###\nrappler.com\n",
        )
    }

    #[test]
    fn one_edit_of_every_kind() {
        let p = list();
        assert_eq!(
            p.imitated("wikiepdia.org", "wikiepdia.org", None),
            Some(PopularMatch::Swap("wikipedia.org".into()))
        );
        for d in ["wikipedla.org", "wikipeda.org", "wikkipedia.org"] {
            assert_eq!(
                p.imitated(d, d, None),
                Some(PopularMatch::OneEdit("wikipedia.org".into())),
                "{d}"
            );
        }
        // Two edits, another ending, or a listed name: nothing.
        for d in [
            "wikipedlaa.org",
            "wikipedla.com",
            "rappler.com",
            "abcdefgh.org",
        ] {
            assert_eq!(p.imitated(d, d, None), None, "{d}");
        }
    }

    #[test]
    fn chromium_false_positive_filters() {
        let p = list();
        // Numbered siblings, another first letter, a hyphen, only the ending.
        for d in ["site45.com", "mytimes.com", "abcd.com", "google.co.uz"] {
            assert_eq!(p.imitated(d, d, None), None, "{d}");
        }
    }

    #[test]
    fn embedded_and_combined() {
        let p = list();
        assert_eq!(
            p.imitated("booking.com.secure-stay.net", "secure-stay.net", None),
            Some(PopularMatch::Embedded("booking.com".into()))
        );
        assert_eq!(
            p.imitated("www-booking-com.x.top", "x.top", None),
            Some(PopularMatch::Embedded("booking.com".into()))
        );
        assert_eq!(
            p.imitated("secure-booking.com", "secure-booking.com", None),
            Some(PopularMatch::Combined("booking.com".into()))
        );
        assert_eq!(
            p.imitated("booking-login.net", "booking-login.net", None),
            Some(PopularMatch::Combined("booking.com".into()))
        );
        // The name at home on any ending, on a registered generic ending, and a neutral word
        // beside it.
        assert_eq!(p.imitated("www.booking.com", "booking.com", None), None);
        assert_eq!(p.imitated("booking.com.au", "booking.com.au", None), None);
        assert_eq!(p.imitated("booking.com.com", "com.com", None), None);
        assert_eq!(
            p.imitated("booking-hotel.net", "booking-hotel.net", None),
            None
        );
    }

    #[test]
    fn skeleton_of_an_internationalised_name() {
        let p = list();
        // Cyrillic і in wіkipedia.
        let u = "w\u{456}kipedia.org";
        assert_eq!(
            p.imitated("xn--wkipedia-2zf.org", "xn--wkipedia-2zf.org", Some(u)),
            Some(PopularMatch::Skeleton("wikipedia.org".into()))
        );
    }

    #[test]
    fn one_edit_keeps_an_end() {
        assert!(is_one_edit(b"abcd", b"abdc"));
        assert!(!is_one_edit(b"abcd", b"badc"));
        // Edits at the start, in the middle and at the end are all found.
        let p = list();
        for d in [
            "wkipedia.org",
            "iwkipedia.org",
            "wikiXpedia.org",
            "wikipedi.org",
            "wikipediaa.org",
            "wikipedai.org",
        ] {
            let d = d.to_ascii_lowercase();
            assert!(p.imitated(&d, &d, None).is_some(), "{d}");
        }
    }

    /// The key index finds exactly what a scan of every top name finds, for edits of every
    /// kind and place in a sample of the real list.
    #[test]
    fn index_agrees_with_a_full_scan() {
        let p = PopularDomains::parse(crate::embedded::POPULAR);
        let brute = |d: &str| {
            let (name, _) = split_name(d)?;
            p.top
                .iter()
                .find(|t| {
                    t.domain != d
                        && t.name().len() >= MIN_EDIT_NAME
                        && name.len() >= MIN_EDIT_NAME
                        && is_one_edit(t.domain.as_bytes(), d.as_bytes())
                        && !likely_false_positive(t, name, d)
                })
                .map(|t| t.domain.to_string())
        };
        let mut checked = 0;
        for t in p.top.iter().step_by(5) {
            let name = t.name().as_bytes();
            let mut variants: Vec<Vec<u8>> = Vec::new();
            for i in 0..name.len() {
                let mut v = name.to_vec();
                v.remove(i);
                variants.push(v);
                let mut v = name.to_vec();
                v[i] = b'q';
                variants.push(v);
                let mut v = name.to_vec();
                v.insert(i, b'q');
                variants.push(v);
                if i + 1 < name.len() {
                    let mut v = name.to_vec();
                    v.swap(i, i + 1);
                    variants.push(v);
                }
            }
            for v in variants {
                let d = format!("{}.{}", String::from_utf8_lossy(&v), t.ending());
                if p.contains(&d) {
                    continue;
                }
                assert_eq!(p.one_edit(&d).is_some(), brute(&d).is_some(), "{d}");
                checked += 1;
            }
        }
        assert!(checked > 1_000, "{checked}");
    }
}
