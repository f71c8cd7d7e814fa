//! The [`Engine`]: brand profiles and host lists loaded once, with the indexes every check uses.
//!
//! Build it once (loading and indexing take milliseconds) and share it: every method takes
//! `&self`, so one engine serves all threads of a batch or a server.

use std::sync::OnceLock;

use rustc_hash::FxHashMap as HashMap;

use crate::brand::{BrandProfile, BrandSet};
use crate::error::DataError;
use crate::host::matcher::TokenMatcher;
use crate::host::popular::PopularDomains;
use crate::lists::HostLists;
use crate::model::Report;

/// What a domain is to a brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DomainRole {
    /// Brand-controlled web name (storefront, Seller Central, CDN, subsidiary...).
    Web,
    /// Genuine mail sender domain.
    Mail,
    /// Relayed by the brand, written by a third party (Amazon Buyer-Seller Messaging).
    Relay,
    /// Brand-owned, but anyone can publish there (S3, CloudFront, myshopify...).
    CustomerContent,
}

/// The brand a domain belongs to, and in which role; `matched` is the listed name it fell under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainOwner {
    pub brand: String,
    pub role: DomainRole,
    pub matched: String,
}

/// Loaded data plus indexes. Cheap to share (`&Engine` is `Sync`).
#[derive(Debug)]
pub struct Engine {
    brands: BrandSet,
    lists: HostLists,
    /// Exact listed name -> owners, for suffix walks over a host's labels.
    domains: HashMap<String, Vec<(usize, DomainRole)>>,
    free_hosting: HashMap<String, usize>,
    shorteners: HashMap<String, usize>,
    trackers: HashMap<String, usize>,
    login_words: HashMap<String, ()>,
    abused_tlds: HashMap<String, ()>,
    credential_stems: Option<aho_corasick::AhoCorasick>,
    /// Public-suffix tails of official `<brand token>.<tail>` domains (`com`, `co.jp`...),
    /// with the token: what a look-alike embedding (`amzone.co.jp.x.cn`) imitates.
    embed_tails: HashMap<String, Vec<(usize, String)>>,
    pub(crate) matcher: TokenMatcher,
    /// Chromium's popular-domains list (`data/popular/`), with its look-alike indexes.
    popular: PopularDomains,
    /// Brand words of the profiles for text analysis, indexed on first use (once per engine,
    /// not per text).
    pub(crate) text_brands: OnceLock<crate::text::BrandIndex>,
    /// The profiles' published phone numbers parsed once: (brand index, number index, E.164).
    pub(crate) published_phones: OnceLock<Vec<(usize, usize, String)>>,
    /// Per brand (in profile order): its names and words as a page's claim is matched,
    /// normalised once (see [`crate::page::claimed_brand`]).
    pub(crate) claim_words: OnceLock<Vec<Vec<String>>>,
}

impl Engine {
    /// The engine over the data embedded in the binary.
    pub fn embedded() -> Result<Engine, DataError> {
        Engine::from_sources(
            crate::embedded::BRANDS.iter().copied(),
            ("hosting.toml", crate::embedded::HOSTING),
        )
    }

    /// Build from `(file name, TOML)` brand profiles and the `hosting.toml` lists.
    pub fn from_sources<'a>(
        brands: impl IntoIterator<Item = (&'a str, &'a str)>,
        hosting: (&str, &str),
    ) -> Result<Engine, DataError> {
        let brands = BrandSet::from_sources(brands)?;
        let lists = HostLists::from_toml(hosting.0, hosting.1)?;
        Ok(Engine::new(brands, lists))
    }

    pub fn new(brands: BrandSet, lists: HostLists) -> Engine {
        let mut domains: HashMap<String, Vec<(usize, DomainRole)>> = HashMap::default();
        for (i, b) in brands.iter().enumerate() {
            let roles = b
                .web
                .iter()
                .map(|f| (&f.domain, DomainRole::Web))
                .chain(b.mail.iter().map(|f| (&f.domain, DomainRole::Mail)))
                .chain(b.relay.iter().map(|f| (&f.domain, DomainRole::Relay)))
                .chain(
                    b.customer_content
                        .iter()
                        .map(|f| (&f.domain, DomainRole::CustomerContent)),
                );
            for (d, role) in roles {
                let e = domains.entry(d.clone()).or_default();
                if !e.contains(&(i, role)) {
                    e.push((i, role));
                }
            }
        }
        let index = |v: Vec<&String>| -> HashMap<String, usize> {
            v.into_iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), i))
                .collect()
        };
        let free_hosting = index(lists.free_hosting.iter().map(|h| &h.suffix).collect());
        let shorteners = index(lists.shortener.iter().map(|h| &h.domain).collect());
        let trackers = index(lists.click_tracker.iter().map(|h| &h.domain).collect());
        let login_words = lists.login_words.iter().map(|w| (w.clone(), ())).collect();
        let matcher = TokenMatcher::new(&brands, &lists.brand_word_exceptions, &lists.login_words);
        let abused_tlds = lists.abused_tlds.iter().map(|w| (w.clone(), ())).collect();
        let credential_stems =
            aho_corasick::AhoCorasick::new(lists.credential_stems.iter().filter(|w| !w.is_empty()))
                .ok();
        let mut embed_tails: HashMap<String, Vec<(usize, String)>> = HashMap::default();
        for (i, b) in brands.iter().enumerate() {
            for f in &b.web {
                if let Some((head, tail)) = f.domain.split_once('.')
                    && b.host_tokens
                        .iter()
                        .chain(&b.exact_tokens)
                        .any(|t| t == head)
                {
                    // `co.jp` and its country part `jp`: `amazon-jp` imitates a storefront.
                    let country = tail.rsplit('.').next().filter(|c| c.len() == 2);
                    for t in std::iter::once(tail).chain(country) {
                        let e = embed_tails.entry(t.to_string()).or_default();
                        if !e.iter().any(|(bi, x)| *bi == i && x == head) {
                            e.push((i, head.to_string()));
                        }
                    }
                }
            }
        }
        Engine {
            brands,
            lists,
            domains,
            free_hosting,
            shorteners,
            trackers,
            login_words,
            abused_tlds,
            credential_stems,
            embed_tails,
            matcher,
            popular: PopularDomains::parse(crate::embedded::POPULAR),
            text_brands: OnceLock::new(),
            published_phones: OnceLock::new(),
            claim_words: OnceLock::new(),
        }
    }

    pub fn brands(&self) -> &BrandSet {
        &self.brands
    }

    pub fn lists(&self) -> &HostLists {
        &self.lists
    }

    /// The popular-domains list every host is compared with.
    pub fn popular(&self) -> &PopularDomains {
        &self.popular
    }

    pub fn brand(&self, index: usize) -> Option<&BrandProfile> {
        self.brands.iter().nth(index)
    }

    /// Every listed role of `domain` (ASCII, lowercase): the domain itself or its nearest listed
    /// parent, per role. Customer content wins over web for the same brand: an S3 bucket under
    /// amazonaws.com is not Amazon speaking.
    pub fn owners_of_domain(&self, domain: &str) -> Vec<DomainOwner> {
        let mut out: Vec<DomainOwner> = Vec::new();
        for suffix in suffixes(domain) {
            if let Some(list) = self.domains.get(suffix) {
                for &(bi, role) in list {
                    if out
                        .iter()
                        .any(|o| o.role == role && self.brand_index(&o.brand) == Some(bi))
                    {
                        continue;
                    }
                    if let Some(b) = self.brand(bi) {
                        out.push(DomainOwner {
                            brand: b.id.clone(),
                            role,
                            matched: suffix.to_string(),
                        });
                    }
                }
            }
        }
        out
    }

    /// The brand a domain belongs to for web purposes: customer content first, then web.
    pub fn brand_of_domain(&self, domain: &str) -> Option<DomainOwner> {
        let owners = self.owners_of_domain(domain);
        owners
            .iter()
            .find(|o| o.role == DomainRole::CustomerContent)
            .or_else(|| owners.iter().find(|o| o.role == DomainRole::Web))
            .cloned()
    }

    fn brand_index(&self, id: &str) -> Option<usize> {
        self.brands.iter().position(|b| b.id == id)
    }

    /// The free-hosting suffix the host is at or under, if any.
    pub fn free_hosting(&self, host: &str) -> Option<&crate::lists::HostingSuffix> {
        suffixes(host)
            .find_map(|s| self.free_hosting.get(s))
            .and_then(|&i| self.lists.free_hosting.get(i))
    }

    pub fn shortener(&self, host: &str) -> Option<&crate::lists::Redirector> {
        suffixes(host)
            .find_map(|s| self.shorteners.get(s))
            .and_then(|&i| self.lists.shortener.get(i))
    }

    pub fn click_tracker(&self, host: &str) -> Option<&crate::lists::Redirector> {
        suffixes(host)
            .find_map(|s| self.trackers.get(s))
            .and_then(|&i| self.lists.click_tracker.get(i))
    }

    pub fn is_login_word(&self, word: &str) -> bool {
        self.login_words.contains_key(word)
    }

    /// Whether `text` contains a credential stem (`infoprime`, `editseller`).
    pub fn contains_login_word(&self, text: &str) -> bool {
        text.len() >= 4
            && self
                .credential_stems
                .as_ref()
                .is_some_and(|ac| ac.is_match(text))
    }

    /// Whether the top-level domain (last label) is on the abused-TLD list.
    pub fn is_abused_tld(&self, host: &str) -> bool {
        let tld = host
            .bytes()
            .rposition(|b| b == b'.')
            .and_then(|i| host.get(i + 1..))
            .unwrap_or(host);
        self.abused_tlds.contains_key(tld)
    }

    /// Brand tokens whose official domain ends in `tail` (`co.jp` -> amazon...).
    pub(crate) fn embed_tail(&self, tail: &str) -> &[(usize, String)] {
        self.embed_tails.get(tail).map_or(&[], |v| v.as_slice())
    }

    /// Verdict for a bare hostname (or an email domain).
    pub fn check_host(&self, host: &str) -> Report {
        crate::host::check(self, host)
    }

    /// Verdict for a URL; a bare hostname is accepted too.
    pub fn check_url(&self, url: &str) -> Report {
        crate::url::check(self, url)
    }
}

/// `a.b.c` -> `a.b.c`, `b.c`, `c`: the walk every "at or under" lookup does.
pub fn suffixes(host: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(host);
    std::iter::from_fn(move || {
        let cur = rest?;
        // A plain byte scan: hostnames are short, where `split_once`'s memchr set-up costs
        // more than the search.
        rest = cur
            .bytes()
            .position(|b| b == b'.')
            .and_then(|i| cur.get(i + 1..));
        Some(cur)
    })
}

#[cfg(test)]
mod tests {
    use super::suffixes;

    #[test]
    fn suffix_walk() {
        let v: Vec<_> = suffixes("a.b.c").collect();
        assert_eq!(v, ["a.b.c", "b.c", "c"]);
        assert_eq!(suffixes("").count(), 1);
    }
}
