//! Names that imitate a popular site (Chromium's top-domains list, `knowledge::popular`)
//! rather than a profiled brand, and the guard that keeps a popular name itself from being
//! taken for a look-alike (`rappler.com` is not Apple). Named apart from the re-exported list
//! module `host::popular`, which holds the data and the matching.

use super::name::label_count;
use super::popular::PopularMatch;
use super::surroundings::Surroundings;
use super::{Analysis, msg};
use crate::brand::DomainRole;
use crate::knowledge::Knowledge;
use crate::model::{Finding, ReportBuilder, Severity};

/// Whether the registered name is on the popular list: asked only when something is found
/// (rare), not for every host.
pub(super) struct PopularOnce<'a> {
    knowledge: &'a Knowledge,
    registered: Option<&'a str>,
    cell: std::cell::OnceCell<bool>,
}

impl<'a> PopularOnce<'a> {
    /// Nothing asked yet; `registered` is the host's registered name, if it has one.
    pub(super) fn new(knowledge: &'a Knowledge, registered: Option<&'a str>) -> Self {
        PopularOnce {
            knowledge,
            registered,
            cell: std::cell::OnceCell::new(),
        }
    }

    /// Whether the registered name is a popular site (looked up once, on first use).
    pub(super) fn registered_is_popular(&self) -> bool {
        *self.cell.get_or_init(|| {
            self.registered
                .is_some_and(|r| self.knowledge.popular().contains(r))
        })
    }
}

/// A host without a profiled brand that imitates a popular site; returns the brand a profile
/// owns the imitated site under, if any.
pub(super) fn popular_findings(
    knowledge: &Knowledge,
    b: &mut ReportBuilder,
    info: &Analysis,
    registered: &str,
    scan: &Surroundings<'_>,
    popular: &PopularOnce<'_>,
) -> Option<usize> {
    let found = knowledge.popular().imitated(
        &info.ascii,
        registered,
        info.unicode
            .as_deref()
            .and_then(|u| unicode_registered(u, registered)),
    )?;
    if popular.registered_is_popular()
        || (matches!(found, PopularMatch::Combined(_))
            && is_ordinary_word(knowledge, found.target())
            && !scan.open_host())
    {
        return None;
    }
    let second_sign =
        !scan.credential_words.is_empty() || scan.free.is_some() || scan.customer_hosted;
    let names = HostNames {
        ascii: &info.ascii,
        unicode: info.unicode.as_deref(),
        registered,
    };
    push_popular_finding(knowledge, b, &names, &found, second_sign)
}

/// The forms of a host a finding quotes.
struct HostNames<'a> {
    ascii: &'a str,
    unicode: Option<&'a str>,
    registered: &'a str,
}

/// A name that imitates a popular site (Chromium's top-domains list) rather than a profiled
/// brand: the target is named, and its brand set (and returned) when a profile owns it.
fn push_popular_finding(
    knowledge: &Knowledge,
    b: &mut ReportBuilder,
    names: &HostNames<'_>,
    found: &PopularMatch,
    second_sign: bool,
) -> Option<usize> {
    let brand = knowledge
        .owners_of_domain(found.target())
        .into_iter()
        .find(|o| o.role == DomainRole::Web)
        .and_then(|owner| {
            b.brand(&owner.brand);
            knowledge.brands().iter().position(|p| p.id == owner.brand)
        });
    let registered = names.registered;
    // Chromium warns on a swap of neighbours and only counts other one-edit and combined
    // names (too many are different sites: `globe.com` / `globo.com`): a note alone here,
    // a doubt with a second sign.
    let weak = if second_sign {
        Severity::Medium
    } else {
        Severity::Low
    };
    let host = names.ascii;
    let (code, sev, en, zh, ev) = match found {
        PopularMatch::Skeleton(t) => (
            "host.popular_lookalike",
            Severity::High,
            format!(
                "{registered} is written with look-alike characters to read as {t}, a popular site; it is not {t}."
            ),
            format!("{registered} 用形似字符写成，读起来像热门网站 {t}，但它不是 {t}。"),
            format!("{} has the skeleton of {t}", names.unicode.unwrap_or(host)),
        ),
        PopularMatch::Swap(t) => (
            "host.popular_typo",
            if second_sign {
                Severity::High
            } else {
                Severity::Medium
            },
            format!(
                "{registered} swaps two letters of {t}, a popular site: a look-alike address, not {t}."
            ),
            format!("{registered} 调换了热门网站 {t} 的两个字母：这是仿冒地址，不是 {t}。"),
            format!("{registered} vs {t}: two neighbouring letters swapped"),
        ),
        PopularMatch::OneEdit(t) => (
            "host.popular_typo",
            weak,
            format!(
                "{registered} is one letter away from {t}, a popular site: a look-alike address, not {t}."
            ),
            format!("{registered} 与热门网站 {t} 只差一个字母：这是仿冒地址，不是 {t}。"),
            format!("{registered} vs {t}: one edit"),
        ),
        PopularMatch::Embedded(t) => (
            "host.popular_embedding",
            Severity::High,
            format!(
                "The address spells out {t}, a popular site, but really belongs to {registered}."
            ),
            format!("该地址写出了热门网站 {t}，实际却属于 {registered}。"),
            format!("{host}: {t} written inside, registered name is {registered}"),
        ),
        PopularMatch::Combined(t) => (
            "host.popular_combosquat",
            weak,
            format!(
                "{registered} joins the name of {t}, a popular site, to other words; it is not {t}."
            ),
            format!("{registered} 把热门网站 {t} 的名称与其他词拼接，并非 {t}。"),
            format!("{registered} contains the name of {t}"),
        ),
    };
    b.push(Finding::new(code, sev, msg(en, zh), ev));
    brand
}

/// The Unicode form of the registered name: as many trailing labels of `unicode` as
/// `registered` has.
fn unicode_registered<'a>(unicode: &'a str, registered: &str) -> Option<&'a str> {
    let want = label_count(registered);
    let mut dots = 0;
    for (i, c) in unicode.char_indices().rev() {
        if c == '.' {
            dots += 1;
            if dots == want {
                return unicode.get(i + 1..);
            }
        }
    }
    (label_count(unicode) == want).then_some(unicode)
}

/// The name part of a popular domain is an ordinary word by a brand profile's own account
/// (`booking`, `target`, `square` as context tokens): beside other words it is usually just
/// the word (`secure-hotel-booking.com`), as for the brand matcher.
fn is_ordinary_word(knowledge: &Knowledge, domain: &str) -> bool {
    let name = domain.split('.').next().unwrap_or(domain);
    knowledge
        .brands()
        .iter()
        .any(|p| p.context_tokens.iter().any(|t| t == name))
}
