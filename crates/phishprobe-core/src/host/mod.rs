//! Hostname analysis: decode (UTS #46), split by the Public Suffix List, check the official
//! lists first, then search every label and token for every brand and its look-alikes.

pub mod psl;

pub use crate::knowledge::{matcher, popular};
pub use crate::unicode;

use std::ops::ControlFlow;

use crate::brand::{DomainOwner, DomainRole};
use crate::knowledge::Knowledge;
use crate::model::{Finding, Message, Report, ReportBuilder, Severity};
use matcher::{Kind, Position, TokenMatch};
use popular::PopularMatch;

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
    ascii: String,
    unicode: Option<String>,
    icann_at: Option<usize>,
    private_at: Option<usize>,
    owner: Option<DomainOwner>,
    brand: Option<usize>,
    is_ip: bool,
}

impl Analysis {
    fn registrable_private(&self) -> Option<&str> {
        self.private_at.and_then(|i| self.ascii.get(i..))
    }

    fn is_official(&self) -> bool {
        matches!(&self.owner, Some(o) if o.role == DomainRole::Web)
    }

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

fn msg(en: impl Into<String>, zh: impl Into<String>) -> Message {
    Message::new(en, zh)
}

/// Clean the raw text: trim, lowercase, drop a trailing dot and IPv6 brackets; report control
/// characters (they are never part of a real hostname).
fn clean(raw: &str, b: &mut ReportBuilder) -> String {
    let t = raw.trim();
    if t.is_ascii() && !t.bytes().any(|c| c.is_ascii_control()) {
        // The common case: plain ASCII (`to_lowercase` equals the ASCII mapping there).
        let mut s = t.to_ascii_lowercase();
        while s.ends_with('.') {
            s.pop();
        }
        if s.starts_with('[') && s.ends_with(']') && s.len() >= 2 {
            s = s[1..s.len() - 1].to_string();
        }
        return s;
    }
    let controls: Vec<char> = t.chars().filter(|c| c.is_control()).collect();
    if !controls.is_empty() {
        let ev: Vec<String> = controls
            .iter()
            .take(4)
            .map(|c| format!("U+{:04X}", *c as u32))
            .collect();
        b.push(Finding::new(
            "host.control_chars",
            Severity::Medium,
            msg(
                "The name contains control characters that never appear in a real web address.",
                "该名称含有真实网址中不会出现的控制字符。",
            ),
            ev.join(" "),
        ));
    }
    let mut s: String = if controls.is_empty() {
        t.to_lowercase()
    } else {
        t.chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
            .to_lowercase()
    };
    while s.ends_with('.') {
        s.pop();
    }
    if s.starts_with('[') && s.ends_with(']') && s.len() >= 2 {
        s = s[1..s.len() - 1].to_string();
    }
    s
}

/// Analyse `raw` as a hostname, pushing findings into `b`.
pub fn analyze(knowledge: &Knowledge, raw: &str, b: &mut ReportBuilder) -> HostInfo {
    analyze_inner(knowledge, raw, b).into_info()
}

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

/// The checks that need no brand data, in order: empty or absurdly long input, hidden
/// characters, cleaning, an IP literal, IDNA decoding, the length limit. `Break` is an answer
/// already (nothing further to check): empty, too long, or an IP.
fn read_name(raw: &str, b: &mut ReportBuilder) -> ControlFlow<Analysis, Analysis> {
    let mut info = Analysis::default();
    if raw.trim().is_empty() {
        b.push(Finding::new(
            "input.empty",
            Severity::Info,
            msg(
                "Nothing to check: the input is empty.",
                "没有可检查的内容：输入为空。",
            ),
            "",
        ));
        return ControlFlow::Break(info);
    }
    if raw.len() > 4 * MAX_HOST_LEN {
        b.push(Finding::new(
            "host.too_long",
            Severity::Medium,
            msg(
                "The name is far longer than any real web address allows.",
                "该名称远超真实网址允许的长度。",
            ),
            format!("{} bytes", raw.len()),
        ));
        return ControlFlow::Break(info);
    }
    let hidden = unicode::hidden_chars(raw);
    if !hidden.is_empty() {
        let ev: Vec<String> = hidden
            .iter()
            .take(6)
            .map(|&c| unicode::describe_char(c))
            .collect();
        b.push(Finding::new(
            "host.hidden_chars",
            Severity::High,
            msg(
                "The name hides invisible or combining characters, a trick to look like another name.",
                "该名称藏有不可见字符或组合字符，这是伪装成其他名称的手法。",
            ),
            ev.join(", "),
        ));
    }
    let s = clean(raw, b);
    if let Some(ip) = parse_ip(&s) {
        info.ascii = s;
        info.is_ip = true;
        b.push(Finding::new(
            "host.ip_literal",
            Severity::Medium,
            msg(
                "The address is a bare IP number, not a name: genuine shops and banks never send you to one.",
                "该地址是裸 IP 数字而不是域名：正规商店和银行从不让您访问这种地址。",
            ),
            ip,
        ));
        return ControlFlow::Break(info);
    }
    let (ascii, unicode_form) = decode(s, b);
    if ascii.len() > MAX_HOST_LEN {
        b.push(Finding::new(
            "host.too_long",
            Severity::Medium,
            msg(
                "The name is longer than any real web address allows.",
                "该名称超出真实网址允许的长度。",
            ),
            format!("{} characters", ascii.len()),
        ));
    }
    info.ascii = ascii;
    info.unicode = unicode_form;
    ControlFlow::Continue(info)
}

/// Who owns the host by the brand profiles: a brand's official web name, customer content on
/// a brand's hosting, or nobody listed.
enum Ownership {
    None,
    /// Owned by a brand but published by anyone (S3, myshopify...).
    Customer(DomainOwner),
    /// The brand's own web name, with the brand's index: nothing further to check.
    Official(DomainOwner, Option<usize>),
}

/// The listed owner of `ascii`, with its finding (customer content or official).
fn ownership(knowledge: &Knowledge, ascii: &str, b: &mut ReportBuilder) -> Ownership {
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

/// The labels a customer or registrant chose (left of the public suffix and of any
/// brand-owned domain the host sits under), and what else about the host makes a weak match
/// count: free hosting, customer content, an abused ending, account words.
struct Surroundings<'a> {
    ascii_labels: Vec<&'a str>,
    /// Only when the Unicode form differs (else the ASCII labels are the ones shown).
    unicode_labels: Option<Vec<&'a str>>,
    /// How many labels from the left are scanned for brands.
    scan: usize,
    /// Index of the registered (registrable) label, if any.
    registrable_index: Option<usize>,
    free: Option<crate::lists::HostingSuffix>,
    abused_tld: bool,
    customer_hosted: bool,
    credential_words: Vec<String>,
}

impl<'a> Surroundings<'a> {
    fn new(
        knowledge: &Knowledge,
        ascii: &'a str,
        unicode: Option<&'a str>,
        suffix: &str,
        owned_labels: usize,
        customer_hosted: bool,
    ) -> Surroundings<'a> {
        let ascii_labels: Vec<&str> = labels_of(ascii);
        let unicode_labels = unicode.map(labels_of);
        let n = ascii_labels.len();
        let suffix_labels = if suffix.is_empty() {
            0
        } else {
            label_count(suffix)
        };
        let scan = if owned_labels > 0 {
            n.saturating_sub(owned_labels.max(suffix_labels))
        } else {
            n.saturating_sub(suffix_labels.min(n.saturating_sub(1)))
        };
        let free = knowledge.free_hosting(ascii).cloned();
        let abused_tld = knowledge.is_abused_tld(ascii);
        let mut credential_words: Vec<String> = Vec::new();
        for label in ascii_labels.iter().take(scan) {
            for tok in label.split(['-', '_']) {
                let credential = knowledge.is_login_word(tok) || knowledge.contains_login_word(tok);
                if credential && !credential_words.iter().any(|w| w == tok) {
                    credential_words.push(tok.to_string());
                }
            }
        }
        Surroundings {
            ascii_labels,
            unicode_labels,
            scan,
            registrable_index: scan.checked_sub(1),
            free,
            abused_tld,
            customer_hosted,
            credential_words,
        }
    }

    fn unicode_labels(&self) -> &[&'a str] {
        self.unicode_labels.as_deref().unwrap_or(&self.ascii_labels)
    }

    /// Weak matches count only where the host is risky already.
    fn risky_host(&self) -> bool {
        self.free.is_some()
            || self.customer_hosted
            || self.abused_tld
            || !self.credential_words.is_empty()
    }

    /// A host anyone can publish on, or an abused ending.
    fn open_host(&self) -> bool {
        self.free.is_some() || self.customer_hosted || self.abused_tld
    }
}

/// Whether the registered name is on the popular list: asked only when something is found
/// (rare), not for every host.
struct PopularOnce<'a> {
    knowledge: &'a Knowledge,
    registered: Option<&'a str>,
    cell: std::cell::OnceCell<bool>,
}

impl<'a> PopularOnce<'a> {
    fn new(knowledge: &'a Knowledge, registered: Option<&'a str>) -> Self {
        PopularOnce {
            knowledge,
            registered,
            cell: std::cell::OnceCell::new(),
        }
    }

    fn registered_is_popular(&self) -> bool {
        *self.cell.get_or_init(|| {
            self.registered
                .is_some_and(|r| self.knowledge.popular().contains(r))
        })
    }
}

/// The best brand match over the scanned labels: (match, label index, written with
/// look-alike characters). Unicode tricks found on the way are reported.
fn best_label_match(
    knowledge: &Knowledge,
    scan: &Surroundings<'_>,
    popular: &PopularOnce<'_>,
    b: &mut ReportBuilder,
) -> Option<(TokenMatch, usize, bool)> {
    let unicode_labels = scan.unicode_labels();
    let risky_host = scan.risky_host();
    let mut best: Option<(TokenMatch, usize, bool)> = None;
    for i in 0..scan.scan {
        let Some(alabel) = scan.ascii_labels.get(i) else {
            continue;
        };
        let ulabel = unicode_labels.get(i).copied().unwrap_or(alabel);
        let tld = unicode_labels.last().copied().unwrap_or("");
        let (candidate, homoglyph) = label_matches(knowledge, ulabel, alabel, tld, b);
        let Some(m) = candidate else { continue };
        if Some(i) == scan.registrable_index && popular.registered_is_popular() {
            continue;
        }
        let in_subdomain = scan.registrable_index.is_some_and(|r| i < r);
        let rest_digits = m.rest.bytes().any(|c| c.is_ascii_digit());
        if !m.strong && !homoglyph && !risky_host && !in_subdomain && !rest_digits {
            continue;
        }
        // An ordinary word that is also a brand (`steam`, `allegro`) is usually just the word,
        // even beside account words (`secure-hotel-booking`): it counts only on a host anyone
        // can publish on or an abused ending, or beside digits. Written with look-alike
        // characters (`аррӏе` in Cyrillic) it is no longer the ordinary word.
        if m.context && !homoglyph && !(scan.open_host() || rest_digits) {
            continue;
        }
        let better = match &best {
            None => true,
            Some((bm, _, bh)) => {
                (!m.strong, m.kind, homoglyph, m.position) < (!bm.strong, bm.kind, *bh, bm.position)
            }
        };
        if better {
            best = Some((m, i, homoglyph));
        }
    }
    best
}

/// A brand-like label in front of the brand's own ending (`amzone.co.jp.x.cn`).
fn push_lookalike_embedding(
    b: &mut ReportBuilder,
    p: &crate::brand::BrandProfile,
    e: &str,
    ascii: &str,
    reg_name: &str,
) {
    b.push(Finding::new(
        "host.target_embedding",
        Severity::High,
        msg(
            format!("The address starts with an imitation of the {} name ({e}) but really belongs to {reg_name}.", p.name),
            format!("该地址以仿冒的 {} 名称（{e}）开头，实际却属于 {reg_name}。", p.display_name(crate::Lang::Zh)),
        ),
        format!("{ascii}: {e} imitates {}, registered name is {reg_name}", p.name),
    ));
}

/// The best brand match of a host, where it was found.
struct BrandFound<'a> {
    m: &'a TokenMatch,
    label_index: usize,
    homoglyph: bool,
    /// The official domain written inside the host, if any (`amazon.com` in
    /// `amazon.com.x.top`).
    embedded: Option<String>,
}

/// The findings for a brand found in the host: how it is written and where, then the
/// account words beside it.
fn brand_findings(
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

/// A host without a profiled brand that imitates a popular site; returns the brand a profile
/// owns the imitated site under, if any.
fn popular_findings(
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

/// What the hosting says on its own: a fake ending hiding the registered name, a free host.
fn hosting_findings(
    b: &mut ReportBuilder,
    info: &Analysis,
    scan: &Surroundings<'_>,
    popular: &PopularOnce<'_>,
) {
    if let Some((shown, reg_label)) = fake_ending(&scan.ascii_labels, scan.registrable_index)
        && !popular.registered_is_popular()
    {
        // `ezdrive.com-4bs9.xin` reads as `ezdrive.com`: whatever the name, only an impostor
        // hides the real ending behind a hyphen (no brand profile needed).
        let sev = if scan.abused_tld || scan.free.is_some() {
            Severity::High
        } else {
            Severity::Medium
        };
        let reg_name = info.registrable_private().unwrap_or(&info.ascii);
        b.push(Finding::new(
            "host.fake_ending",
            sev,
            msg(
                format!("The address is made to read as {shown}, but the hyphen after it hides the real name, {reg_name}."),
                format!("该地址被做成看似 {shown}，但其后的连字符掩盖了真实名称 {reg_name}。"),
            ),
            format!("label \"{reg_label}\" starts with a fake ending; registered name is {reg_name}"),
        ));
    }
    if let Some(f) = &scan.free {
        // The provider's own name (`github.io`) is not a customer site.
        if info.ascii != f.suffix {
            // Alone it is a note (most sites there are harmless); beside a brand or credential
            // words it is what fake sign-in pages look like.
            let sev = if info.brand.is_some() || !scan.credential_words.is_empty() {
                Severity::Medium
            } else {
                Severity::Low
            };
            b.push(Finding::new(
                "host.free_hosting",
                sev,
                msg(
                    format!("The site is on {}, a free hosting service where anyone can publish a page in minutes; no brand runs its sign-in pages there.", f.suffix),
                    format!("该网站位于 {}，这是任何人几分钟内即可发布页面的免费托管服务；没有品牌会把登录页放在那里。", f.suffix),
                ),
                f.suffix.clone(),
            ));
        }
    }
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

/// Generic endings an impostor writes after a name and then continues with a hyphen.
const FAKE_ENDINGS: [&str; 9] = [
    "com", "net", "org", "gov", "edu", "mil", "co", "info", "biz",
];

/// A registered label that starts with a generic ending and a hyphen, after another label:
/// `ezdrive.com-4bs9.xin`, `txdmv.gov-rb.xin`. Returns what it reads as (`ezdrive.com`) and
/// the registered label.
fn fake_ending<'a>(
    labels: &[&'a str],
    registrable_index: Option<usize>,
) -> Option<(String, &'a str)> {
    let r = registrable_index?;
    let prev = labels.get(r.checked_sub(1)?)?;
    let label = labels.get(r)?;
    let (head, tail) = label.split_once('-')?;
    if prev.is_empty() || tail.trim_matches('-').is_empty() || !FAKE_ENDINGS.contains(&head) {
        return None;
    }
    Some((format!("{prev}.{head}"), label))
}

/// `a.b.c` -> `["a", "b", "c"]`, sized in one pass (a plain byte scan is faster than
/// `split('.')` on strings this short).
fn labels_of(s: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(label_count(s));
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        if b == b'.' {
            out.push(s.get(start..i).unwrap_or(""));
            start = i + 1;
        }
    }
    out.push(s.get(start..).unwrap_or(""));
    out
}

/// Number of dot-separated labels (`split('.').count()`).
fn label_count(s: &str) -> usize {
    1 + s.bytes().filter(|&b| b == b'.').count()
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

/// A subdomain label that resembles a brand token (two edits at most, or its first four
/// letters) followed by the ending of that brand's official domain: `amzone.co.jp.x.cn`,
/// `anaz0n.c0.jp.x.org`, `amazcazm-co-jp.x.top`. Returns the brand and the imitated name.
///
/// Runs on nearly every host without a brand token, so it allocates nothing unless a label
/// needs look-alike folding or something is found.
fn lookalike_embedding(
    knowledge: &Knowledge,
    labels: &[&str],
    registrable_index: Option<usize>,
) -> Option<(usize, String)> {
    let r = registrable_index?;
    // Needs a label in front of the registrable name, or a hyphenated one.
    if r == 0 && !labels.first().is_some_and(|l| l.contains('-')) {
        return None;
    }
    let resembles = |cand: &str, token: &str| {
        token.len() >= matcher::TYPO_MIN
            && (matcher::osa_within(cand, token, 2)
                // The same first four letters (`amazooeuzz`), unless the whole token is in
                // there: then it is the brand's own longer name (`googleapis`), and exact
                // brand names are judged elsewhere.
                || (cand.len() >= 4
                    && token.starts_with(cand.get(..4).unwrap_or("\0"))
                    && !cand.contains(token)))
    };
    // Only labels 0..=r are looked at; fold the few that need it (`c0`, `arnazon`).
    let used = labels.get(..=r).unwrap_or(labels);
    let folded: Option<Vec<Option<String>>> = used
        .iter()
        .any(|l| unicode::needs_fold(l))
        .then(|| used.iter().map(|l| unicode::fold_ascii(l)).collect());
    let label_at = |i: usize| -> Option<&str> {
        match folded.as_ref().and_then(|f| f.get(i)) {
            Some(Some(f)) => Some(f.as_str()),
            _ => labels.get(i).copied(),
        }
    };
    let mut key = KeyBuf::new();
    for i in 0..=r {
        for k in 1..=2 {
            if i + k > r {
                break;
            }
            let Some(head) = label_at(i) else { break };
            let tail = match k {
                1 => key.join(&[label_at(i + 1)]),
                _ => key.join(&[label_at(i + 1), label_at(i + 2)]),
            };
            let Some(tail) = tail else { break };
            for (bi, token) in knowledge.embed_tail(tail) {
                if resembles(head, token) {
                    return Some((*bi, format!("{}.{tail}", labels.get(i).unwrap_or(&""))));
                }
            }
        }
        // The same inside one label, with hyphens for dots: `amazcazm-co-jp`.
        let Some(label) = label_at(i) else { continue };
        if !label.contains('-') {
            continue;
        }
        let mut toks = label.split('-');
        while let Some(head) = toks.next() {
            let mut ahead = toks.clone();
            let (t1, t2) = (ahead.next(), ahead.next());
            for k in 1..=2 {
                let tail = match k {
                    1 => key.join(&[t1]),
                    _ => key.join(&[t1, t2]),
                };
                let Some(tail) = tail else { break };
                for (bi, token) in knowledge.embed_tail(tail) {
                    if resembles(head, token) {
                        return Some((*bi, labels.get(i).unwrap_or(&"").to_string()));
                    }
                }
            }
        }
    }
    None
}

/// A small stack buffer for lookup keys made of joined labels (`co` + `jp` -> `co.jp`).
/// Keys longer than the buffer are never in the tables they are looked up in.
struct KeyBuf {
    buf: [u8; 64],
}

impl KeyBuf {
    fn new() -> Self {
        KeyBuf { buf: [0; 64] }
    }

    /// `parts` joined by dots; `None` when a part is missing. A key too long for the buffer
    /// comes back empty (no table holds the empty key).
    fn join(&mut self, parts: &[Option<&str>]) -> Option<&str> {
        let mut n = 0;
        let mut fits = true;
        for (idx, p) in parts.iter().enumerate() {
            let p = (*p)?;
            if !fits {
                continue;
            }
            let sep = usize::from(idx > 0);
            match self.buf.get_mut(n..n + sep + p.len()) {
                Some(dst) => {
                    if let Some((dot, rest)) = dst.split_first_mut()
                        && sep == 1
                    {
                        *dot = b'.';
                        rest.copy_from_slice(p.as_bytes());
                    } else {
                        dst.copy_from_slice(p.as_bytes());
                    }
                    n += sep + p.len();
                }
                None => fits = false,
            }
        }
        if !fits {
            return Some("");
        }
        std::str::from_utf8(self.buf.get(..n)?).ok()
    }
}

/// Brand matches of one label: the raw ASCII tokens first, then look-alike forms
/// (TR39 skeleton of a Unicode label, ASCII digit/letter folding). Reports Unicode tricks.
fn label_matches(
    knowledge: &Knowledge,
    ulabel: &str,
    alabel: &str,
    tld: &str,
    b: &mut ReportBuilder,
) -> (Option<TokenMatch>, bool) {
    let non_ascii = !ulabel.is_ascii();
    if non_ascii {
        let sk = unicode::skeleton(ulabel);
        let m = best_in_label(knowledge, &sk);
        let shows = format!("{alabel} shows as {ulabel}: {}", unicode::point_out(ulabel));
        // Chromium's display rules for any name: what a browser would show as punycode is at
        // least suspicious, brand or not.
        match unicode::spoof_check(ulabel, tld) {
            Some(unicode::Spoof::MixedScript) => {
                b.push(Finding::new(
                    "host.mixed_script",
                    Severity::Medium,
                    msg(
                        "A part of the name mixes alphabets (for example Latin with Cyrillic), a way to imitate another name.",
                        "名称的某部分混用了不同字母体系（如拉丁字母与西里尔字母），这是模仿其他名称的手法。",
                    ),
                    shows,
                ));
            }
            Some(unicode::Spoof::WholeScript(script)) => {
                b.push(Finding::new(
                    "host.whole_script_confusable",
                    Severity::Medium,
                    msg(
                        "This part of the name is written entirely in another alphabet whose letters look like Latin ones.",
                        "名称的这一部分完全用另一种字母书写，其字母看起来像拉丁字母。",
                    ),
                    format!("{shows} (all {script}, ending .{tld})"),
                ));
            }
            Some(unicode::Spoof::DigitLookalike(c)) => {
                b.push(Finding::new(
                    "host.digit_lookalike",
                    Severity::Medium,
                    msg(
                        "The name uses a digit from another script that looks like an ordinary digit.",
                        "该名称使用了外观像普通数字的其他文字数字。",
                    ),
                    format!("{alabel} shows as {ulabel}: {}", unicode::describe_char(c)),
                ));
            }
            Some(unicode::Spoof::Dangerous(c)) => {
                b.push(Finding::new(
                    "host.dangerous_char",
                    Severity::Medium,
                    msg(
                        "The name contains a character browsers refuse to display in web addresses because it imitates punctuation or another letter.",
                        "该名称含有浏览器拒绝在网址中显示的字符，因为它会冒充标点或其他字母。",
                    ),
                    format!("{alabel} shows as {ulabel}: {}", unicode::describe_char(c)),
                ));
            }
            // Ordinary writing for its ending, but its skeleton is a brand: still a look-alike.
            None if sk.is_ascii() && m.is_some() => {
                b.push(Finding::new(
                    "host.whole_script_confusable",
                    Severity::Medium,
                    msg(
                        "This part of the name is written entirely in another alphabet whose letters look like Latin ones.",
                        "名称的这一部分完全用另一种字母书写，其字母看起来像拉丁字母。",
                    ),
                    shows,
                ));
            }
            None => {}
        }
        if let Some(m) = m {
            return (Some(m), true);
        }
        return (None, false);
    }
    let raw = best_in_label(knowledge, alabel);
    if raw
        .as_ref()
        .is_some_and(|m| m.kind == Kind::Exact && m.strong)
    {
        return (raw, false);
    }
    // `amaz0n` is one edit from `amazon` but reads as it exactly: call it a homoglyph.
    if unicode::needs_fold(alabel) {
        let mut f = String::new();
        for tok in alabel.split(['-', '_']) {
            if unicode::fold_ascii_into(tok, &mut f)
                && let Some(m) = knowledge.matcher().find(&f).into_iter().find(|m| m.strong)
            {
                return (Some(m), true);
            }
        }
    }
    (raw, false)
}

/// Best brand match among a label's hyphen tokens, or across a hyphen that splits the brand
/// (`ama-zon`).
fn best_in_label(knowledge: &Knowledge, label: &str) -> Option<TokenMatch> {
    let mut best: Option<TokenMatch> = None;
    for tok in label.split(['-', '_']) {
        if let Some(m) = knowledge.matcher().find(tok).into_iter().next()
            && best
                .as_ref()
                .is_none_or(|bm| (m.kind, m.position) < (bm.kind, bm.position))
        {
            best = Some(m);
        }
    }
    // Across the hyphens too when nothing, or only an ordinary word (`ledger` of
    // `ledger-live`), was found token by token.
    if best.as_ref().is_none_or(|m| m.context) && label.contains('-') {
        let joined: String = label.chars().filter(|&c| c != '-').collect();
        let across = knowledge.matcher().find(&joined).into_iter().find(|m| {
            m.kind == Kind::Exact
                && m.position != Position::Inside
                && (best.is_none() || !m.context)
        });
        if across.is_some() {
            best = across;
        }
    }
    best
}

/// Whether a whole official domain (`amazon.com`, `amazon.co.jp`) sits inside the host starting
/// at `label_index`, as dotted labels or as hyphen tokens (`amazon-com`).
fn embedded_official(
    knowledge: &Knowledge,
    labels: &[&str],
    label_index: usize,
    registrable_index: Option<usize>,
) -> Option<String> {
    let r = registrable_index?;
    let is_official = |cand: &str| {
        knowledge
            .owners_of_domain(cand)
            .iter()
            .any(|o| o.role == DomainRole::Web && o.matched == cand)
    };
    for k in 2..=4 {
        if label_index + k > r {
            break;
        }
        if let Some(slice) = labels.get(label_index..label_index + k) {
            let cand = slice.join(".");
            if is_official(&cand) {
                return Some(cand);
            }
        }
    }
    let label = labels.get(label_index)?;
    let toks: Vec<&str> = label.split('-').collect();
    for start in 0..toks.len() {
        for k in 2..=3 {
            if let Some(slice) = toks.get(start..start + k) {
                let cand = slice.join(".");
                if is_official(&cand) {
                    return Some(cand);
                }
            }
        }
    }
    None
}

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

/// IPv4 in any notation (dotted, decimal, hex, octal) or IPv6, normalised by the WHATWG rules.
fn parse_ip(s: &str) -> Option<String> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, b'.' | b':' | b'x' | b'X'))
    {
        return None;
    }
    match ::url::Host::parse(s) {
        Ok(::url::Host::Ipv4(ip)) => Some(if ip.to_string() == s {
            s.to_string()
        } else {
            format!("{s} = {ip}")
        }),
        Ok(::url::Host::Ipv6(ip)) => Some(ip.to_string()),
        _ if s.contains(':') => s
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|ip| ip.to_string()),
        _ => None,
    }
}

/// Whether the ACE prefix `xn--` appears (the answer of `contains("xn--")`, without the
/// substring searcher's set-up, which costs more than the search on names this short).
fn has_punycode_label(s: &str) -> bool {
    s.as_bytes().windows(4).any(|w| w == b"xn--")
}

/// ASCII and Unicode forms; broken punycode and disallowed characters become a finding.
fn decode(s: String, b: &mut ReportBuilder) -> (String, Option<String>) {
    let plain = s.bytes().all(|c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.' || c == b'_'
    });
    if plain && !has_punycode_label(&s) {
        return (s, None);
    }
    let ascii = match idna::domain_to_ascii(&s) {
        Ok(a) => a,
        Err(_) => {
            b.push(Finding::new(
                "host.idna_invalid",
                Severity::Medium,
                msg(
                    "The name is not a valid internationalised address (broken punycode or forbidden characters); browsers refuse or rewrite it.",
                    "该名称不是有效的国际化地址（punycode 损坏或含禁用字符）；浏览器会拒绝或改写它。",
                ),
                s.chars().take(120).collect::<String>(),
            ));
            return (s, None);
        }
    };
    let (unicode_form, _) = idna::domain_to_unicode(&ascii);
    if unicode_form != ascii {
        b.push(Finding::new(
            "host.idn",
            Severity::Info,
            msg(
                "The name is written with non-Latin characters (punycode); check what it really shows.",
                "该名称使用了非拉丁字符（punycode）；请核对它实际显示的内容。",
            ),
            format!("{ascii} shows as {unicode_form}"),
        ));
    }
    let unicode_form = (unicode_form != ascii).then_some(unicode_form);
    (ascii, unicode_form)
}
