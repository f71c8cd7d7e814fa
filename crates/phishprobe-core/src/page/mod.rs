//! A page where a password is being typed, judged at that moment: the browser extension hands
//! over the facts of the page (its address, the frame holding the field, where the form posts,
//! what the page claims to be), never what was typed.
//!
//! The rule is the field rule's first step made precise: a page that presents itself as a
//! brand's sign-in, on an address that is not the brand's, is phishing whatever else it does.
//! A page without a brand claim (by its content or by a look-alike address) gets no warning:
//! false alarms on harmless pages are what people turn such tools off for.

mod claim;

pub use claim::{MAX_ITEM_CHARS, MAX_ITEMS, MAX_TEXT_CHARS, PageClaims, claimed_brand};

use serde::{Deserialize, Serialize};

use crate::brand::DomainRole;
use crate::knowledge::Knowledge;
use crate::model::{Finding, Message, Report, ReportBuilder, Severity, Verdict};

/// Longest URL taken from a page event; longer ones are cut (the host comes first anyway).
pub const MAX_URL_CHARS: usize = 4096;

/// The password field the person is typing into.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordField {
    /// A password field (or a text field masked to look like one) is on the page.
    pub present: bool,
    /// The person has started typing into it.
    pub typed: bool,
    /// The field is a text field made to look like a password field (CSS masking), a kit trick
    /// to get around password managers and browser protections.
    pub masked_text: bool,
}

/// The typed value matched an enrolled password (the extension compares salted hashes; the
/// value itself never leaves it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReusedPassword {
    /// The brand whose password it is.
    pub brand: String,
    /// Where it was enrolled (a host of the brand), for the "change it at" advice.
    pub enrolled_on: String,
}

/// Everything the extension reports about one page event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PageFacts {
    /// The address in the tab's address bar.
    pub top_url: String,
    /// The address of the frame holding the field, when it is not the top page.
    pub frame_url: Option<String>,
    /// Where the field's form posts, when it has an action.
    pub form_action: Option<String>,
    /// The password field and what is happening in it.
    pub password: PasswordField,
    /// What the frame holding the field shows.
    pub claims: PageClaims,
    /// What the top page shows, when the field is in a frame.
    pub top_claims: Option<PageClaims>,
    /// Set when the typed value is a password enrolled for a brand.
    pub reused: Option<ReusedPassword>,
}

/// The verdict on a page event, and what the extension should do with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageVerdict {
    /// The verdict model shared by every check.
    pub report: Report,
    /// The brand the page's content claims (title, headings, logos, text), if any.
    pub claimed_brand: Option<String>,
    /// The brand's name in English and Chinese, for the banner.
    pub brand_name: Option<Message>,
    /// Warn now: a password field on a page that claims a brand (by content or address) and is
    /// suspicious or phishing, or an enrolled password typed off its brand.
    pub warn: bool,
    /// Where to change the password after a reuse (a host of the brand).
    pub change_password_at: Option<String>,
}

/// Where a URL's page lives, as far as the page check is concerned.
enum Place {
    /// An `http`/`https` page (or a `blob:` page created by one) on this host.
    Host(String),
    /// `about:blank` and `about:srcdoc` frames: their content is the parent's.
    Inherited,
    /// `data:`, `file:` and other opaque pages: no address a brand could own.
    Opaque(String),
}

fn place_of(raw: &str) -> Place {
    let raw = raw.trim();
    let Ok(url) = url::Url::parse(raw) else {
        return Place::Opaque(scheme_label(raw));
    };
    match url.scheme() {
        "http" | "https" => match url.host_str() {
            Some(h) => Place::Host(h.trim_end_matches('.').to_ascii_lowercase()),
            None => Place::Opaque(scheme_label(raw)),
        },
        "about" => Place::Inherited,
        "blob" => match url::Url::parse(url.path()) {
            Ok(inner) if matches!(inner.scheme(), "http" | "https") => inner
                .host_str()
                .map(|h| Place::Host(h.trim_end_matches('.').to_ascii_lowercase()))
                .unwrap_or_else(|| Place::Opaque("blob:".into())),
            _ => Place::Opaque("blob:".into()),
        },
        other => Place::Opaque(format!("{other}:")),
    }
}

fn scheme_label(raw: &str) -> String {
    raw.split(':')
        .next()
        .filter(|s| !s.is_empty() && s.len() <= 16 && s.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|s| format!("{}:", s.to_ascii_lowercase()))
        .unwrap_or_else(|| "an address that does not parse".into())
}

fn cut(s: &str) -> String {
    s.chars().take(MAX_URL_CHARS).collect()
}

/// The part of a page address that says where the page is: scheme, host, port and path. The
/// query and fragment are the page's state (a sign-in page's `return_to=...`), which anyone
/// can write into a link to the genuine page; judging them would let a crafted link turn the
/// genuine sign-in page into "phishing".
fn page_address(raw: &str) -> String {
    match url::Url::parse(raw.trim()) {
        Ok(mut u) if matches!(u.scheme(), "http" | "https") => {
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

/// The finding for a page that presents itself as `claim`'s sign-in on `host`, which is not the
/// brand's. Shared with the wrong-password probe (which uses its own `code`).
pub fn off_brand_finding(knowledge: &Knowledge, code: &str, claim: &str, host: &str) -> Finding {
    let name = brand_name(knowledge, claim);
    Finding::new(
        code,
        Severity::Critical,
        Message::new(
            format!(
                "This page presents itself as {}'s sign-in page, but its address is not one of {}'s. Whatever it does with a password, do not sign in here.",
                name.en, name.en
            ),
            format!(
                "这是一个{}登录页面，但它不在{}的网址上。无论它如何处理密码，都不要在这里登录。",
                name.zh, name.zh
            ),
        ),
        format!("page claims {claim}; host {host}"),
    )
}

/// A brand's name in both languages; the id when the profile is unknown.
pub fn brand_name(knowledge: &Knowledge, id: &str) -> Message {
    knowledge
        .brands()
        .get(id)
        .map(|p| Message::new(p.name.clone(), p.name_zh.clone()))
        .unwrap_or_else(|| Message::new(id, id))
}

/// Whether `host` is at or under one of `brand`'s own web domains. Customer content under the
/// brand's domains (a storage bucket, a seller's shop page) is not the brand's.
pub fn owned_by(knowledge: &Knowledge, host: &str, brand: &str) -> bool {
    knowledge
        .brand_of_domain(host)
        .is_some_and(|o| o.brand == brand && o.role == DomainRole::Web)
}

/// The brand's main address: its first listed storefront, else its first web domain. Where the
/// advice sends a person to change a password.
pub fn home_of(knowledge: &Knowledge, brand: &str) -> Option<String> {
    let p = knowledge.brands().get(brand)?;
    p.web
        .iter()
        .find(|w| w.kind == "storefront")
        .or_else(|| p.web.first())
        .map(|w| w.domain.clone())
}

/// Judge one page event.
pub fn check(knowledge: &Knowledge, facts: &PageFacts) -> PageVerdict {
    let top_url = cut(&facts.top_url);
    let frame_url = facts.frame_url.as_deref().map(cut);
    let field_url = frame_url.clone().unwrap_or_else(|| top_url.clone());
    let mut b = ReportBuilder::new(field_url.clone());

    // The host that shows the field: an about:blank frame shows its parent's.
    let top_place = place_of(&top_url);
    let field_place = match place_of(&field_url) {
        Place::Inherited => match &top_place {
            Place::Inherited => Place::Opaque("about:".into()),
            Place::Host(h) => Place::Host(h.clone()),
            Place::Opaque(s) => Place::Opaque(s.clone()),
        },
        p => p,
    };

    // The address checks: the field's page, the top page around it, where the form posts.
    let mut vouched = false;
    let mut receivers: Vec<String> = Vec::new();
    let mut judged: Vec<String> = Vec::new();
    let mut judge = |url: &str, host: &str, b: &mut ReportBuilder, is_field: bool| {
        if judged.iter().any(|h| h == host) {
            return;
        }
        judged.push(host.to_string());
        let rep = crate::url::check(knowledge, &page_address(url));
        if let Some(brand) = &rep.brand {
            b.brand(brand);
        }
        if is_field && rep.verdict == Verdict::Genuine {
            vouched = true;
        }
        b.extend(rep.findings);
    };
    match &field_place {
        Place::Host(h) => {
            let url = if matches!(place_of(&field_url), Place::Host(_)) {
                field_url.as_str()
            } else {
                top_url.as_str()
            };
            judge(url, h, &mut b, true);
            receivers.push(h.clone());
        }
        Place::Opaque(label) => receivers.push(label.clone()),
        Place::Inherited => {}
    }
    if frame_url.is_some()
        && let Place::Host(h) = &top_place
    {
        judge(&top_url, h, &mut b, false);
    }
    if let Some(action) = facts.form_action.as_deref().map(cut)
        && let Place::Host(h) = place_of(&action)
    {
        judge(&action, &h, &mut b, false);
        if !receivers.contains(&h) {
            receivers.push(h);
        }
    }

    // What the page claims to be, against every host that shows or receives the password.
    let claimed = claimed_brand(knowledge, &facts.claims.bounded()).or_else(|| {
        // The page around a frame speaks for it, unless that page is the claimed brand's own:
        // a genuine page that embeds a payment or sign-in frame of another company (3-D
        // Secure, single sign-on) does not make that frame an impostor.
        let outer = facts.top_claims.as_ref()?;
        let claim = claimed_brand(knowledge, &facts.claims.merged(outer))?;
        match &top_place {
            Place::Host(h) if owned_by(knowledge, h, &claim) => None,
            _ => Some(claim),
        }
    });
    if facts.password.present
        && let Some(claim) = &claimed
    {
        b.brand(claim);
        for host in receivers.iter().filter(|h| !owned_by(knowledge, h, claim)) {
            b.push(off_brand_finding(
                knowledge,
                "page.brand_login_off_brand",
                claim,
                host,
            ));
        }
    }
    if facts.password.masked_text && facts.password.present {
        b.push(Finding::new(
            "page.masked_text_password",
            Severity::Low,
            Message::new(
                "The password box is an ordinary text box dressed up to hide what is typed, a trick to keep password managers and browser protections out.",
                "这个密码框其实是伪装成密码框的普通文本框，用来避开密码管理器和浏览器的保护。",
            ),
            receivers.join(", "),
        ));
    }

    // An enrolled password typed off its brand.
    let mut change_at = None;
    if let Some(reused) = &facts.reused
        && !reused.brand.is_empty()
        && receivers
            .iter()
            .any(|h| !owned_by(knowledge, h, &reused.brand))
    {
        let name = brand_name(knowledge, &reused.brand);
        let at = Some(reused.enrolled_on.clone())
            .filter(|h| owned_by(knowledge, h, &reused.brand))
            .or_else(|| home_of(knowledge, &reused.brand))
            .unwrap_or_else(|| reused.brand.clone());
        b.brand(&reused.brand);
        b.push(Finding::new(
            "page.password_reused",
            Severity::Critical,
            Message::new(
                format!(
                    "You typed your {} password on a page that is not {}'s. Change it now at {}, typed by hand, and anywhere else you use it.",
                    name.en, name.en, at
                ),
                format!(
                    "您在一个不属于{}的页面上输入了{}的密码。请立即手动输入 {} 打开官方网站修改密码，并修改其他使用同一密码的地方。",
                    name.zh, name.zh, at
                ),
            ),
            format!("typed on {}", receivers.join(", ")),
        ));
        change_at = Some(at);
    }

    if vouched {
        b.vouch_genuine();
    }
    let report = b.build();
    let brand_claimed = claimed.is_some() || report.brand.is_some();
    let warn = facts.password.present
        && (report.has("page.password_reused")
            || (brand_claimed
                && matches!(report.verdict, Verdict::Suspicious | Verdict::Phishing)));
    let brand_name = report.brand.as_deref().map(|id| brand_name(knowledge, id));
    PageVerdict {
        report,
        claimed_brand: claimed,
        brand_name,
        warn,
        change_password_at: change_at,
    }
}

#[cfg(test)]
mod tests;
