//! Hostname analysis: decode (UTS #46), split by the Public Suffix List, check the official
//! lists first, then search every label and token for every brand and its look-alikes.
//!
//! This file holds the public entry points ([`check`], [`analyze`], [`HostInfo`]) and the
//! analysis ladder (`analyze_inner`) that decides the order of the steps; each step lives in
//! a submodule named for its work:
//!
//! - `name`: the raw name read and cleaned, IP literals, punycode decoding, label helpers;
//! - `ownership`: whether a brand profile owns the name (official or customer content);
//! - `surroundings`: which labels are scanned and what else makes the host risky;
//! - `brand_match`: the best brand match over the labels, look-alike characters included;
//! - `embedding`: an official (or imitated) brand domain written inside the host;
//! - `brand_findings`: what a brand match found in the host says, and how strongly;
//! - `popular_findings`: names imitating a popular site (no brand profile needed);
//! - `hosting`: free hosting and fake endings, which speak on their own;
//! - `memo`: analyses remembered over a batch of links ([`HostMemo`]);
//! - [`psl`]: the Public Suffix List split.

mod brand_findings;
mod brand_match;
mod embedding;
mod hosting;
mod memo;
mod name;
mod ownership;
mod popular_findings;
pub mod psl;
mod surroundings;

pub use crate::knowledge::{matcher, popular};
pub use crate::unicode;
pub use memo::HostMemo;

use std::ops::ControlFlow;

use crate::brand::{DomainOwner, DomainRole};
use crate::knowledge::Knowledge;
use crate::model::{Message, Report, ReportBuilder, Severity};
use brand_findings::{BrandFound, brand_findings};
use brand_match::best_label_match;
use embedding::{embedded_official, lookalike_embedding, push_lookalike_embedding};
use hosting::hosting_findings;
use name::{label_count, read_name};
use ownership::{Ownership, ownership};
use popular_findings::{PopularOnce, popular_findings};
use surroundings::Surroundings;

/// Longest hostname we analyse (DNS allows 253; more is an attack or an error).
pub const MAX_HOST_LEN: usize = 253;

/// What the hostname analysis learned, for the URL and email checks that build on it.
#[derive(Debug, Clone, Default)]
pub struct HostInfo {
    /// ASCII (punycode) form, lowercase, no trailing dot.
    pub ascii: String,
    /// Unicode form as a person would see it.
    pub unicode: String,
    /// The registrable domain by ICANN rules only (`amazonaws.com`): who registered the name.
    pub registrable_icann: Option<String>,
    /// The registrable domain with the private PSL section too (`bucket.s3.amazonaws.com`): the unit a hosting customer controls.
    pub registrable_private: Option<String>,
    /// The brand web (or customer-content) domain the host is at or under.
    pub owner: Option<DomainOwner>,
    /// Brand index imitated or claimed, if any.
    pub brand: Option<usize>,
    /// The host is an IP literal, not a name.
    pub is_ip: bool,
}

impl HostInfo {
    /// Genuinely the brand's own web name (not customer content).
    pub fn is_official(&self) -> bool {
        matches!(&self.owner, Some(o) if o.role == DomainRole::Web)
    }
}

/// What [`analyze`] works with: [`HostInfo`] without its copies. The Unicode form is kept only
/// when it differs, and the registrable names are offsets into `ascii` (they are suffixes of
/// it), so the verdict for a plain hostname allocates almost nothing; [`analyze`] makes the
/// owned [`HostInfo`] for callers that keep it.
#[derive(Debug, Default)]
struct Analysis {
    /// As [`HostInfo::ascii`].
    ascii: String,
    /// The Unicode form, only when it differs from `ascii`.
    unicode: Option<String>,
    /// Where in `ascii` the ICANN registrable domain starts.
    icann_at: Option<usize>,
    /// Where in `ascii` the registrable domain with private rules starts.
    private_at: Option<usize>,
    /// As [`HostInfo::owner`].
    owner: Option<DomainOwner>,
    /// As [`HostInfo::brand`].
    brand: Option<usize>,
    /// As [`HostInfo::is_ip`].
    is_ip: bool,
}

impl Analysis {
    /// As [`HostInfo::registrable_private`], borrowed.
    fn registrable_private(&self) -> Option<&str> {
        self.private_at.and_then(|i| self.ascii.get(i..))
    }

    /// As [`HostInfo::is_official`].
    fn is_official(&self) -> bool {
        matches!(&self.owner, Some(o) if o.role == DomainRole::Web)
    }

    /// The owned [`HostInfo`] callers keep.
    fn into_info(self) -> HostInfo {
        let at = |i: Option<usize>| i.and_then(|i| self.ascii.get(i..)).map(str::to_string);
        HostInfo {
            registrable_icann: at(self.icann_at),
            registrable_private: at(self.private_at),
            unicode: self.unicode.unwrap_or_else(|| self.ascii.clone()),
            ascii: self.ascii,
            owner: self.owner,
            brand: self.brand,
            is_ip: self.is_ip,
        }
    }
}

/// Verdict for a bare hostname.
pub fn check(knowledge: &Knowledge, input: &str) -> Report {
    let mut b = ReportBuilder::new(input);
    let info = analyze_inner(knowledge, input, &mut b);
    if info.is_official() && b.findings().iter().all(|f| f.severity == Severity::Info) {
        b.vouch_genuine();
    }
    b.build()
}

/// Analyse `raw` as a hostname, pushing findings into `b`.
pub fn analyze(knowledge: &Knowledge, raw: &str, b: &mut ReportBuilder) -> HostInfo {
    analyze_inner(knowledge, raw, b).into_info()
}

/// The analysis ladder, in order: read the name, split it by the PSL, ask who owns it (an
/// official name stops here), then search the labels for a brand or its embedding, then a
/// popular site when no brand was found, and last what the hosting says.
fn analyze_inner(knowledge: &Knowledge, raw: &str, b: &mut ReportBuilder) -> Analysis {
    let mut info = match read_name(raw, b) {
        ControlFlow::Continue(info) => info,
        ControlFlow::Break(answered) => return answered,
    };
    let reg = psl::registrable(&info.ascii);
    let offset = |r: &str| info.ascii.len().checked_sub(r.len());
    info.icann_at = reg.icann.and_then(offset);
    info.private_at = reg.private.and_then(offset);

    let customer = match ownership(knowledge, &info.ascii, b) {
        Ownership::Official(owner, brand) => {
            info.brand = brand;
            info.owner = Some(owner);
            return info;
        }
        Ownership::Customer(c) => {
            info.owner = Some(c.clone());
            Some(c)
        }
        Ownership::None => None,
    };
    let owned_labels = info
        .owner
        .as_ref()
        .map(|o| label_count(&o.matched))
        .unwrap_or(0);
    let scan = Surroundings::new(
        knowledge,
        &info.ascii,
        info.unicode.as_deref(),
        reg.suffix,
        owned_labels,
        customer.is_some(),
    );
    // A popular name (Chromium's list) is itself no look-alike: `rappler.com` is not Apple.
    let registered: Option<&str> = info
        .private_at
        .or(info.icann_at)
        .and_then(|i| info.ascii.get(i..));
    let popular = PopularOnce::new(knowledge, registered);
    let best = best_label_match(knowledge, &scan, &popular, b);
    let embedding = best
        .as_ref()
        .and_then(|(m, i, _)| {
            embedded_official(knowledge, &scan.ascii_labels, *i, scan.registrable_index)
                .map(|e| (m.brand, e))
        })
        .or_else(|| lookalike_embedding(knowledge, &scan.ascii_labels, scan.registrable_index));

    if best.is_none()
        && let Some((bi, e)) = &embedding
        && let Some(p) = knowledge.brand(*bi)
    {
        // A brand-like label in front of the brand's own ending: `amzone.co.jp.x.cn`.
        b.brand(&p.id);
        info.brand = Some(*bi);
        let reg_name = info.registrable_private().unwrap_or(&info.ascii);
        push_lookalike_embedding(b, p, e, &info.ascii, reg_name);
    }

    if let Some((m, label_index, homoglyph)) = best {
        info.brand = Some(m.brand);
        let found = BrandFound {
            m: &m,
            label_index,
            homoglyph,
            embedded: embedding.map(|(_, e)| e),
        };
        brand_findings(knowledge, b, &found, &scan, reg.suffix, &info);
    }
    if info.brand.is_none()
        && let Some(registered) = registered
        && let Some(brand) = popular_findings(knowledge, b, &info, registered, &scan, &popular)
    {
        info.brand = Some(brand);
    }
    hosting_findings(b, &info, &scan, &popular);
    info
}

/// A finding's message in English and Chinese.
fn msg(en: impl Into<String>, zh: impl Into<String>) -> Message {
    Message::new(en, zh)
}
