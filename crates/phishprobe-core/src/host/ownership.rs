//! Who owns the host by the brand profiles, asked before any look-alike search: a brand's
//! own web name ends the analysis, and customer content (S3, myshopify...) is owned by a
//! brand yet published by anyone, which later steps must know.

use super::msg;
use crate::brand::{DomainOwner, DomainRole};
use crate::knowledge::Knowledge;
use crate::model::{Finding, ReportBuilder, Severity};

/// Who owns the host by the brand profiles: a brand's official web name, customer content on
/// a brand's hosting, or nobody listed.
pub(super) enum Ownership {
    /// No brand profile lists the host.
    None,
    /// Owned by a brand but published by anyone (S3, myshopify...).
    Customer(DomainOwner),
    /// The brand's own web name, with the brand's index: nothing further to check.
    Official(DomainOwner, Option<usize>),
}

/// The listed owner of `ascii`, with its finding (customer content or official).
pub(super) fn ownership(knowledge: &Knowledge, ascii: &str, b: &mut ReportBuilder) -> Ownership {
    let owners = knowledge.owners_of_domain(ascii);
    let web = owners.iter().find(|o| o.role == DomainRole::Web).cloned();
    // Customer content covers the names under a hosting root; the root itself is the brand's
    // when the profile also lists it as web (`amazonaws.com` yes, `amplifyapp.com` no).
    let customer = owners
        .iter()
        .find(|o| o.role == DomainRole::CustomerContent)
        .filter(|c| !(c.matched == ascii && web.as_ref().is_some_and(|w| w.matched == c.matched)))
        .cloned();
    if let Some(c) = customer {
        let brand_name = knowledge
            .brands()
            .get(&c.brand)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        b.push(Finding::new(
            "host.customer_content",
            Severity::Info,
            msg(
                format!(
                    "{} is owned by {brand_name}, but anyone can publish a site there: it proves nothing about who runs this page.",
                    c.matched
                ),
                format!(
                    "{} 归 {brand_name} 所有，但任何人都能在上面发布网站：这不能证明页面由谁运营。",
                    c.matched
                ),
            ),
            c.matched.clone(),
        ));
        return Ownership::Customer(c);
    }
    let Some(w) = web else {
        return Ownership::None;
    };
    let name = knowledge
        .brands()
        .get(&w.brand)
        .map(|p| (p.name.clone(), p.display_name(crate::Lang::Zh).to_string()))
        .unwrap_or_default();
    b.brand(&w.brand);
    let brand = knowledge.brands().iter().position(|p| p.id == w.brand);
    b.push(Finding::new(
        "host.official",
        Severity::Info,
        msg(
            format!(
                "{} is an official {} domain (listed in its brand profile).",
                w.matched, name.0
            ),
            format!("{} 是 {} 的官方域名（见品牌资料）。", w.matched, name.1),
        ),
        format!("{ascii} is at or under {}", w.matched),
    ));
    Ownership::Official(w, brand)
}
