//! What a brand match found in the host says: embedded official name, look-alike characters,
//! typo, the brand on another ending, glued to other words, or in front of somebody else's
//! name, and how strongly, given what else the host shows. The severity rules live here,
//! apart from the search that finds the match.

use super::matcher::{self, Kind, Position, TokenMatch};
use super::surroundings::Surroundings;
use super::{Analysis, msg, unicode};
use crate::knowledge::Knowledge;
use crate::model::{Finding, ReportBuilder, Severity};

/// The best brand match of a host, where it was found.
pub(super) struct BrandFound<'a> {
    pub(super) m: &'a TokenMatch,
    pub(super) label_index: usize,
    pub(super) homoglyph: bool,
    /// The official domain written inside the host, if any (`amazon.com` in
    /// `amazon.com.x.top`).
    pub(super) embedded: Option<String>,
}

/// The findings for a brand found in the host: how it is written and where, then the
/// account words beside it.
pub(super) fn brand_findings(
    knowledge: &Knowledge,
    b: &mut ReportBuilder,
    found: &BrandFound<'_>,
    scan: &Surroundings<'_>,
    suffix: &str,
    info: &Analysis,
) {
    let m = found.m;
    let label_index = found.label_index;
    let brand = knowledge.brand(m.brand);
    let (name, name_zh) = brand
        .map(|p| (p.name.clone(), p.display_name(crate::Lang::Zh).to_string()))
        .unwrap_or_default();
    if let Some(p) = brand {
        b.brand(&p.id);
    }
    // Digits or a credential word glued to the brand (`amazon338`, `infoamazonprime`)
    // are what mass-registered impostor names look like; brands' own names rarely do.
    let label = scan.ascii_labels.get(label_index).copied().unwrap_or("");
    let label_rest: String = label
        .replacen(m.found.as_str(), "", 1)
        .replace(['-', '_'], "");
    let rest_risky = [m.rest.as_str(), label_rest.as_str()].iter().any(|r| {
        r.bytes().any(|c| c.is_ascii_digit())
            || knowledge.contains_login_word(r)
            || (is_padding(r) && label.starts_with(m.found.as_str()))
    });
    let in_registrable = Some(label_index) == scan.registrable_index;
    let ctx = BrandContext {
        in_registrable,
        embedded: found.embedded.clone(),
        risky: scan.risky_host() || rest_risky,
        second_sign: !scan.credential_words.is_empty()
            || scan.free.is_some()
            || scan.customer_hosted
            || !in_registrable,
        abused_tld: scan.abused_tld,
        suffix,
        complete: brand.is_some_and(|p| p.domains_complete),
    };
    push_brand_finding(
        b,
        m,
        found.homoglyph,
        &ctx,
        label,
        scan.unicode_labels(),
        label_index,
        info,
        &name,
        &name_zh,
    );
    if !scan.credential_words.is_empty() {
        b.push(Finding::new(
            "host.credential_words",
            Severity::Low,
            msg(
                "The name also uses account or sign-in words, as fake login pages do.",
                "该名称还使用了账户或登录类词语，这是假登录页的常见做法。",
            ),
            scan.credential_words.join(", "),
        ));
    }
}

/// Where a brand match sits and how risky the rest of the host is.
struct BrandContext<'a> {
    in_registrable: bool,
    embedded: Option<String>,
    risky: bool,
    /// Something besides the name itself says "impostor": account or sign-in words, a host
    /// anyone can publish on, or the brand in front of somebody else's registered name. A
    /// look-alike registered name alone (`goole.com`, `facebook0001.com`, `shein.top`) is
    /// as often the brand's own defensive or infrastructure registration as an impostor's,
    /// so alone it makes a name suspicious; with a second sign it makes it phishing.
    second_sign: bool,
    abused_tld: bool,
    suffix: &'a str,
    /// The brand's profile lists every domain it uses (`domains_complete`).
    complete: bool,
}

/// The one finding that says how the brand is written and where: embedded official name,
/// look-alike characters, typo, brand on another ending, combosquat, a plain brand name in
/// the registered name, or the brand in front of somebody else's name.
#[allow(clippy::too_many_arguments)]
fn push_brand_finding(
    b: &mut ReportBuilder,
    m: &TokenMatch,
    homoglyph: bool,
    ctx: &BrandContext<'_>,
    label: &str,
    unicode_labels: &[&str],
    label_index: usize,
    info: &Analysis,
    name: &str,
    name_zh: &str,
) {
    let host = &info.ascii;
    let reg = info.registrable_private().unwrap_or(host);
    let suffix = ctx.suffix;
    if let Some(e) = &ctx.embedded {
        b.push(Finding::new(
            "host.target_embedding",
            Severity::High,
            msg(
                format!("The address starts with the real {name} name ({e}) but really belongs to {reg}."),
                format!("该地址以真实的 {name_zh} 名称（{e}）开头，实际却属于 {reg}。"),
            ),
            format!("{host}: {e} embedded, registered name is {reg}"),
        ));
        return;
    }
    if homoglyph {
        let ul = unicode_labels.get(label_index).copied().unwrap_or(label);
        let detail = if ul.is_ascii() {
            format!("{label} reads as \"{}\"", m.brand_token)
        } else {
            format!("{label} shows as {ul}: {}", unicode::point_out(ul))
        };
        b.push(Finding::new(
            "host.homoglyph",
            Severity::High,
            msg(
                format!("The name imitates {name} with look-alike characters."),
                format!("该名称用形似字符冒充 {name_zh}。"),
            ),
            detail,
        ));
        return;
    }
    // Evidence the name alone can give: enough to doubt it, not enough to call it phishing.
    let name_only = if ctx.second_sign {
        Severity::High
    } else {
        Severity::Medium
    };
    if m.kind == Kind::Typo {
        b.push(Finding::new(
            "host.typosquat",
            name_only,
            msg(
                format!(
                    "\"{}\" is a misspelling of {name}: a look-alike address, not {name}.",
                    m.found
                ),
                format!(
                    "“{}”是 {name_zh} 的拼写变体：这是仿冒地址，不是 {name_zh}。",
                    m.found
                ),
            ),
            format!(
                "{} vs {}: {}",
                m.found,
                m.brand_token,
                matcher::describe_edit(&m.brand_token, &m.found)
            ),
        ));
        return;
    }
    if ctx.in_registrable {
        if m.position == Position::Whole && label == m.brand_token {
            // The bare brand name on an ordinary ending (`paypal.de`, `hotmail.fr`) is the
            // brand's own country or defensive registration far more often than an impostor's,
            // unless the profile says it lists every domain the brand uses or the ending is an
            // abused one: then it is suspicious, and a note otherwise. With a second sign
            // (sign-in words, free hosting) it is what impostors register.
            let sev = if ctx.second_sign {
                Severity::High
            } else if ctx.abused_tld || ctx.risky || ctx.complete {
                Severity::Medium
            } else {
                Severity::Low
            };
            b.push(Finding::new(
                "host.brand_tld",
                sev,
                msg(
                    format!("{reg} uses the {name} name on an ending (.{suffix}) that is not listed for {name}."),
                    format!("{reg} 在未列入 {name_zh} 资料的后缀（.{suffix}）上使用了 {name_zh} 的名称。"),
                ),
                format!("{reg}: not in the {name} profile"),
            ));
        } else if ctx.risky {
            b.push(Finding::new(
                "host.combosquat",
                name_only,
                msg(
                    format!(
                        "{reg} glues the {name} name to other words; it is not {name}'s address."
                    ),
                    format!("{reg} 把 {name_zh} 的名称与其他词拼接，并非 {name_zh} 的地址。"),
                ),
                format!("label \"{label}\" contains \"{}\"", m.found),
            ));
        } else {
            // Brand plus a neutral word on an ordinary ending: brands register many such
            // names themselves, so this alone is a note, not a verdict.
            b.push(Finding::new(
                "host.brand_name_in_domain",
                Severity::Low,
                msg(
                    format!("{reg} contains the {name} name but is not on the list of {name}'s own domains; check it another way before trusting it."),
                    format!("{reg} 含有 {name_zh} 的名称，但未列为 {name_zh} 的域名；信任之前请用其他方式核实。"),
                ),
                format!("label \"{label}\" contains \"{}\"", m.found),
            ));
        }
        return;
    }
    b.push(Finding::new(
        "host.brand_in_subdomain",
        Severity::High,
        msg(
            format!("{name} appears only in the front part of the address; the site really belongs to {reg}."),
            format!("{name_zh} 只出现在地址的前部；该网站实际属于 {reg}。"),
        ),
        format!("label \"{label}\" contains \"{}\"; registered name is {reg}", m.found),
    ));
}

/// One letter repeated (`amazonzzz`, `amazonuu`): padding that makes an impostor name unique,
/// not a word a brand would register.
fn is_padding(rest: &str) -> bool {
    let mut bytes = rest.bytes();
    match bytes.next() {
        Some(first) => rest.len() >= 2 && bytes.all(|b| b == first),
        None => false,
    }
}
