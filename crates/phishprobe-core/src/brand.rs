//! Brand profiles: the facts about each brand, loaded from TOML data files (`data/brands/*.toml`).
//!
//! Profiles are data, not code: a new marketplace or payment brand is a new file. Every fact
//! carries its `source` so a person can check it. The files are embedded in the binary by
//! default ([`crate::embedded::BRANDS`]) and can be replaced by a directory (`--brands DIR`).

use serde::Deserialize;

use crate::error::DataError;

/// A brand-controlled web name: a host equal to or under it is genuine.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebFact {
    /// The domain as listed (ASCII, lowercase); hosts at or under it are the brand's.
    pub domain: String,
    /// What the name serves (`storefront`, `seller`, `cdn`...), for people reading the profile.
    #[serde(default)]
    pub kind: String,
    /// The market it serves (`us`, `jp`...), when it serves one.
    #[serde(default)]
    pub market: String,
    /// Where the fact was checked: every fact carries its source so a person can verify it.
    pub source: String,
    /// Anything a maintainer should know about the fact.
    #[serde(default)]
    pub note: String,
}

/// A domain fact without a kind (mail senders, relays, customer-content roots).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainFact {
    /// The domain as listed (ASCII, lowercase).
    pub domain: String,
    /// Where the fact was checked.
    pub source: String,
    /// Anything a maintainer should know about the fact.
    #[serde(default)]
    pub note: String,
}

/// An address (or bare domain) the brand itself calls a fake sender.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeSender {
    /// The address (`user@domain`) or bare domain the brand warns about.
    pub address: String,
    /// Where the brand says so.
    pub source: String,
    /// Anything a maintainer should know about the fact.
    #[serde(default)]
    pub note: String,
}

/// A published phone number: only ever a number a person calls out to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneFact {
    /// The number as the brand publishes it (parsed as a US number when it has no `+`).
    pub number: String,
    /// What the number is for (`Seller Support`), quoted in findings.
    pub label: String,
    /// Where the brand publishes it.
    pub source: String,
    /// Anything a maintainer should know about the fact.
    #[serde(default)]
    pub note: String,
}

/// Where the brand wants phishing reported.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportFact {
    /// The channel: `email`, `url` or `phone`.
    pub kind: String,
    /// The address, page or number to report to.
    pub value: String,
    /// Where the brand asks for reports there.
    pub source: String,
    /// Anything a maintainer should know about the fact.
    #[serde(default)]
    pub note: String,
}

/// One brand profile, as written in `data/brands/<id>.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandProfile {
    /// Stable id (`amazon`): what reports name and every lookup is keyed on.
    pub id: String,
    /// The name people know the brand by.
    pub name: String,
    /// The Chinese name, when it has one (else the name is used).
    #[serde(default)]
    pub name_zh: String,
    /// Lowercase ASCII strings searched in hostname labels and tokens for look-alikes.
    #[serde(default)]
    pub host_tokens: Vec<String>,
    /// Brand tokens that are also ordinary words or names (`allegro`, `square`, `meta`):
    /// matched exactly (never as typos) and only where the host is risky already: beside a
    /// credential word or digits, in a subdomain of someone else's name, on free hosting or an
    /// abused ending. Alone as a registered name (`allegro.com`) they claim nothing.
    #[serde(default)]
    pub context_tokens: Vec<String>,
    /// Tokens matched exactly, never as typos: distinctive as written, but one edit away from
    /// other names (`ezpass`/`enpass`, `cmbchina`/`cgbchina`).
    #[serde(default)]
    pub exact_tokens: Vec<String>,
    /// The `web` list names every domain the brand uses, so its bare name on an unlisted
    /// ordinary ending is suspicious (otherwise a note: brands hold many country and
    /// defensive registrations that a profile does not list).
    #[serde(default)]
    pub domains_complete: bool,
    /// Order numbers in the `123-1234567-1234567` format are this brand's: a message quoting
    /// one claims to be about the brand's orders (Amazon).
    #[serde(default)]
    pub order_numbers: bool,
    /// English words that name the brand in a text (`Amazon`, `Seller Central`).
    #[serde(default)]
    pub words_en: Vec<String>,
    /// Chinese words that name the brand in a text (`亚马逊`).
    #[serde(default)]
    pub words_zh: Vec<String>,
    /// Official web names: a host at or under one is the brand's own site.
    #[serde(default)]
    pub web: Vec<WebFact>,
    /// Genuine sender domains of the brand's mail.
    #[serde(default)]
    pub mail: Vec<DomainFact>,
    /// Domains the brand relays mail through that third parties write (not the brand speaking).
    #[serde(default)]
    pub relay: Vec<DomainFact>,
    /// Brand-owned roots where anyone can publish (S3, myshopify): they prove nothing.
    #[serde(default)]
    pub customer_content: Vec<DomainFact>,
    /// Senders the brand itself names as fakes.
    #[serde(default)]
    pub fake_sender: Vec<FakeSender>,
    /// Published phone numbers: fine to call out to, proof of nothing when they call in.
    #[serde(default)]
    pub phone: Vec<PhoneFact>,
    /// Where the brand wants phishing reported.
    #[serde(default)]
    pub report: Vec<ReportFact>,
}

impl BrandProfile {
    /// Display name in the requested language.
    pub fn display_name(&self, lang: crate::model::Lang) -> &str {
        match lang {
            crate::model::Lang::Zh if !self.name_zh.is_empty() => &self.name_zh,
            _ => &self.name,
        }
    }

    fn validate(&mut self, file: &str) -> Result<(), DataError> {
        let bad = |what: String| DataError::Invalid {
            file: file.to_string(),
            what,
        };
        if self.id.is_empty() || !self.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(bad(format!(
                "id {:?} must be lowercase ASCII letters",
                self.id
            )));
        }
        if self.host_tokens.is_empty()
            && self.context_tokens.is_empty()
            && self.exact_tokens.is_empty()
        {
            return Err(bad(
                "host_tokens, exact_tokens or context_tokens must name at least one token".into(),
            ));
        }
        for t in self
            .host_tokens
            .iter()
            .chain(&self.exact_tokens)
            .chain(&self.context_tokens)
        {
            if t.len() < 3
                || !t
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                return Err(bad(format!(
                    "host token {t:?} must be 3+ lowercase ASCII letters or digits"
                )));
            }
        }
        let norm = |d: &mut String| {
            *d = d.trim().trim_end_matches('.').to_ascii_lowercase();
        };
        for f in &mut self.web {
            norm(&mut f.domain);
        }
        for f in self
            .mail
            .iter_mut()
            .chain(self.relay.iter_mut())
            .chain(self.customer_content.iter_mut())
        {
            norm(&mut f.domain);
        }
        for f in &mut self.fake_sender {
            norm(&mut f.address);
        }
        let all_domains = self
            .web
            .iter()
            .map(|f| &f.domain)
            .chain(self.mail.iter().map(|f| &f.domain))
            .chain(self.relay.iter().map(|f| &f.domain))
            .chain(self.customer_content.iter().map(|f| &f.domain));
        for d in all_domains {
            if d.is_empty() || d.contains(char::is_whitespace) || d.contains('/') {
                return Err(bad(format!("{d:?} is not a domain name")));
            }
        }
        // A bare label is only meaningful as a brand top-level domain (`.amazon`).
        for f in &self.web {
            if !f.domain.contains('.') && f.kind != "brand_tld" {
                return Err(bad(format!(
                    "{:?} has no dot: only a web entry of kind \"brand_tld\" may be a bare label",
                    f.domain
                )));
            }
        }
        for f in self
            .mail
            .iter()
            .chain(&self.relay)
            .chain(&self.customer_content)
        {
            if !f.domain.contains('.') {
                return Err(bad(format!("{:?} is not a domain name", f.domain)));
            }
        }
        Ok(())
    }
}

/// All loaded brand profiles.
#[derive(Debug, Clone, Default)]
pub struct BrandSet {
    brands: Vec<BrandProfile>,
}

impl BrandSet {
    /// Parse profiles from `(file name, TOML text)` pairs. Errors name the file and line.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, DataError> {
        Self::from_parsed(sources.into_iter().map(|(file, text)| {
            let profile = toml::from_str(text).map_err(|e| DataError::from_toml(file, text, &e));
            (file, profile)
        }))
    }

    /// Profiles from `(file name, JSON text)` pairs with the same fields as the TOML files.
    /// The WebAssembly build embeds the profiles converted to JSON at build time: its parser
    /// is several times faster than TOML's, and the extension pays the parse at every
    /// service-worker start.
    pub fn from_json_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, DataError> {
        Self::from_parsed(sources.into_iter().map(|(file, text)| {
            let profile = serde_json::from_str(text).map_err(|e| DataError::Invalid {
                file: file.to_string(),
                what: e.to_string(),
            });
            (file, profile)
        }))
    }

    /// Validate parsed profiles in order, the first error ending the load.
    fn from_parsed<'a>(
        parsed: impl IntoIterator<Item = (&'a str, Result<BrandProfile, DataError>)>,
    ) -> Result<Self, DataError> {
        let mut brands: Vec<BrandProfile> = Vec::new();
        for (file, profile) in parsed {
            let mut profile = profile?;
            profile.validate(file)?;
            if brands.iter().any(|b| b.id == profile.id) {
                return Err(DataError::Invalid {
                    file: file.to_string(),
                    what: format!("brand id {:?} is defined twice", profile.id),
                });
            }
            brands.push(profile);
        }
        if brands.is_empty() {
            return Err(DataError::Invalid {
                file: "(brands)".into(),
                what: "no brand profiles were found".into(),
            });
        }
        Ok(BrandSet { brands })
    }

    /// The profiles, in file order (the order a brand's index refers to).
    pub fn iter(&self) -> impl Iterator<Item = &BrandProfile> {
        self.brands.iter()
    }

    /// The profile with this id.
    pub fn get(&self, id: &str) -> Option<&BrandProfile> {
        self.brands.iter().find(|b| b.id == id)
    }

    /// How many profiles there are.
    pub fn len(&self) -> usize {
        self.brands.len()
    }

    /// Whether the set is empty (loading refuses an empty set; only the default one is).
    pub fn is_empty(&self) -> bool {
        self.brands.is_empty()
    }
}

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
    /// The owning brand's id (`amazon`).
    pub brand: String,
    /// What the domain is to that brand.
    pub role: DomainRole,
    /// The listed name the domain is at or under (`amazon.co.uk` for `www.amazon.co.uk`).
    pub matched: String,
}
