//! Shared host lists (`data/hosting.toml`): free hosting and dynamic DNS suffixes, URL shorteners,
//! mail click-trackers, credential-flow words and real words that contain a brand token.

use serde::Deserialize;

use crate::error::DataError;

/// A suffix where anyone can publish a site.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostingSuffix {
    /// The suffix (`github.io`); a host under it is a customer's site.
    pub suffix: String,
    /// What the service is (`static`, `dyndns`...), for people reading the list.
    #[serde(default)]
    pub kind: String,
    /// Where the fact was checked.
    #[serde(default)]
    pub source: String,
    /// Anything a maintainer should know.
    #[serde(default)]
    pub note: String,
}

/// A redirecting service (shortener, click tracker, link rewriter).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redirector {
    /// The service's domain; links at or under it redirect.
    pub domain: String,
    /// What it is (`shortener`, `tracker`...).
    #[serde(default)]
    pub kind: String,
    /// Who runs it.
    #[serde(default)]
    pub provider: String,
    /// Where the fact was checked.
    #[serde(default)]
    pub source: String,
    /// Anything a maintainer should know.
    #[serde(default)]
    pub note: String,
}

/// The parsed `hosting.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostLists {
    /// Suffixes where anyone can publish a site in minutes.
    #[serde(default)]
    pub free_hosting: Vec<HostingSuffix>,
    /// Link shorteners: their links hide where they lead.
    #[serde(default)]
    pub shortener: Vec<Redirector>,
    /// Mail campaign click trackers: genuine mail uses them too, so they hide but do not accuse.
    #[serde(default)]
    pub click_tracker: Vec<Redirector>,
    /// Account and sign-in words (`login`, `verify`) that fake login pages put in their names.
    #[serde(default)]
    pub login_words: Vec<String>,
    /// Credential and payout word stems matched inside glued words.
    #[serde(default)]
    pub credential_stems: Vec<String>,
    /// Real words that contain a brand token (`amazonia`): never a brand match.
    #[serde(default)]
    pub brand_word_exceptions: Vec<String>,
    /// Top-level domains where phishing is registered most (cheap, lightly policed): a brand
    /// name registered there is far more likely an impostor than a defensive registration.
    #[serde(default)]
    pub abused_tlds: Vec<String>,
}

impl HostLists {
    /// Parse `hosting.toml`; `file` names the file in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, DataError> {
        let lists: HostLists =
            toml::from_str(text).map_err(|e| DataError::from_toml(file, text, &e))?;
        Ok(lists.normalized())
    }

    /// The same lists from JSON with the same fields (see [`crate::BrandSet::from_json_sources`]).
    pub fn from_json(file: &str, text: &str) -> Result<Self, DataError> {
        let lists: HostLists = serde_json::from_str(text).map_err(|e| DataError::Invalid {
            file: file.to_string(),
            what: e.to_string(),
        })?;
        Ok(lists.normalized())
    }

    fn normalized(mut self) -> Self {
        let lists = &mut self;
        let norm = |s: &mut String| *s = s.trim().trim_end_matches('.').to_ascii_lowercase();
        lists
            .free_hosting
            .iter_mut()
            .for_each(|h| norm(&mut h.suffix));
        lists.shortener.iter_mut().for_each(|h| norm(&mut h.domain));
        lists
            .click_tracker
            .iter_mut()
            .for_each(|h| norm(&mut h.domain));
        lists.login_words.iter_mut().for_each(norm);
        lists.credential_stems.iter_mut().for_each(norm);
        lists.brand_word_exceptions.iter_mut().for_each(norm);
        lists.abused_tlds.iter_mut().for_each(|t| {
            norm(t);
            *t = t.trim_start_matches('.').to_string();
        });
        self
    }
}
