//! What the checks know: brand profiles and host lists loaded once, with the indexes every
//! check looks things up in (the listed domains, the brand-token matcher, the popular-domains
//! list).
//!
//! This is the bottom layer of the analysis: it knows no check. Each analysis (`host`, `url`,
//! `text`, `phone`, `page`, `combine`) takes a `&Knowledge` and keeps what it derives from it
//! (an index of brand words, the published phone numbers parsed) in a derived slot, built
//! on first use, once per knowledge.
//!
//! Build it once (loading and indexing take milliseconds) and share it: every method takes
//! `&self`, so one knowledge base serves all threads of a batch or a server.

pub mod matcher;
pub mod popular;

use std::any::{Any, TypeId};
use std::sync::OnceLock;

use rustc_hash::FxHashMap as HashMap;

use crate::brand::{BrandProfile, BrandSet, DomainOwner, DomainRole};
use crate::error::DataError;
use crate::lists::HostLists;
use matcher::TokenMatcher;
use popular::PopularDomains;

/// Loaded data plus indexes. Cheap to share (`&Knowledge` is `Sync`).
#[derive(Debug)]
pub struct Knowledge {
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
    /// What the analyses derive from this knowledge, built on first use.
    derived: Derived,
}

impl Knowledge {
    /// The knowledge in the data files embedded in the binary.
    pub fn embedded() -> Result<Knowledge, DataError> {
        Knowledge::from_sources(
            crate::embedded::BRANDS.iter().copied(),
            ("hosting.toml", crate::embedded::HOSTING),
        )
    }

    /// Build from `(file name, TOML)` brand profiles and the `hosting.toml` lists.
    pub fn from_sources<'a>(
        brands: impl IntoIterator<Item = (&'a str, &'a str)>,
        hosting: (&str, &str),
    ) -> Result<Knowledge, DataError> {
        let brands = BrandSet::from_sources(brands)?;
        let lists = HostLists::from_toml(hosting.0, hosting.1)?;
        Ok(Knowledge::new(brands, lists))
    }

    /// Index already-parsed profiles and lists (with the embedded popular-domains list): what a
    /// caller that edits or filters the data before use builds from.
    pub fn new(brands: BrandSet, lists: HostLists) -> Knowledge {
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
        Knowledge {
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
            derived: Derived::default(),
        }
    }

    /// The brand profiles, in file order (a brand's index is its position here).
    pub fn brands(&self) -> &BrandSet {
        &self.brands
    }

    /// The host lists (free hosting, redirectors, login words...) as loaded.
    pub fn lists(&self) -> &HostLists {
        &self.lists
    }

    /// The popular-domains list every host is compared with.
    pub fn popular(&self) -> &PopularDomains {
        &self.popular
    }

    /// The brand profile at `index` (the index the matchers and findings carry).
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

    /// The link shortener the host is at or under, if any: its links hide where they lead.
    pub fn shortener(&self, host: &str) -> Option<&crate::lists::Redirector> {
        suffixes(host)
            .find_map(|s| self.shorteners.get(s))
            .and_then(|&i| self.lists.shortener.get(i))
    }

    /// The click tracker (mail-campaign redirector) the host is at or under, if any.
    pub fn click_tracker(&self, host: &str) -> Option<&crate::lists::Redirector> {
        suffixes(host)
            .find_map(|s| self.trackers.get(s))
            .and_then(|&i| self.lists.click_tracker.get(i))
    }

    /// Whether `word` is an account or sign-in word (`login`, `verify`), as fake login pages
    /// put in their names.
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

    /// The token matcher over every brand's host tokens.
    pub(crate) fn matcher(&self) -> &TokenMatcher {
        &self.matcher
    }

    /// What an analysis derives from this knowledge (an index, a parsed list): built by `build`
    /// on the first call for type `T`, then shared by every later call and thread.
    ///
    /// The analyses own these types and how they are built; the knowledge only keeps them, so
    /// it needs to know nothing of the analyses above it.
    pub(crate) fn derived<T: Any + Send + Sync>(&self, build: impl FnOnce(&Knowledge) -> T) -> &T {
        self.derived.get_or_build(self, build)
    }
}

/// Values derived from a [`Knowledge`], one per type, each built once on first use: a few
/// lock-free slots, each holding its type's id and its value.
#[derive(Default)]
struct Derived {
    slots: [OnceLock<(TypeId, Box<dyn Any + Send + Sync>)>; DERIVED_SLOTS],
}

/// More slots than derived types (the text brand index, the published phones, the page claim
/// words); a new type needs no change here until there are this many.
const DERIVED_SLOTS: usize = 8;

impl Derived {
    fn get_or_build<'a, T: Any + Send + Sync>(
        &'a self,
        knowledge: &Knowledge,
        build: impl FnOnce(&Knowledge) -> T,
    ) -> &'a T {
        let id = TypeId::of::<T>();
        for slot in &self.slots {
            match slot.get() {
                Some((t, v)) if *t == id => {
                    if let Some(v) = v.downcast_ref() {
                        return v;
                    }
                }
                Some(_) => {}
                None => break,
            }
        }
        // Built outside any slot, so a build may ask for another derived value. Two threads
        // may both build; the first to store wins and the other's copy is dropped.
        let mut value = Some(build(knowledge));
        for slot in &self.slots {
            let (t, v) = slot.get_or_init(|| {
                let v: Box<dyn Any + Send + Sync> = Box::new(value.take().expect("stored once"));
                (id, v)
            });
            if *t == id
                && let Some(v) = v.downcast_ref()
            {
                return v;
            }
        }
        panic!("more derived index types than DERIVED_SLOTS")
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let built = self.slots.iter().filter(|s| s.get().is_some()).count();
        f.debug_struct("Derived").field("built", &built).finish()
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
