//! Call and SMS scripts (and any free text: chats, call notes, email bodies).
//!
//! Two outputs, kept apart on purpose (as Hiya does):
//! - **disclosure**: the text asks the person to hand over a password, one-time code, PIN, card
//!   or bank details, identity numbers, remote control of their device, or money by gift card,
//!   crypto, wire or a "safe account". Rule one: whoever asks for these, assume phishing. Each
//!   such request is `Critical` or `High`, so it is decisive on its own.
//! - **scam likelihood**: the other cues of a scam script (account hacked, unexpected purchase,
//!   information leak, "press 1", urgency, secrecy, a security team calling, refunds and
//!   overpayments, prizes, suspicious links...). Their weights add up (0..=100).
//!
//! Advice is not a request: a match preceded in the same clause by a negation or advice marker
//! ("Amazon will never ask for your password", "请勿向任何人透露验证码") does not fire, and an
//! OTP delivery ("your code is 123456, don't share it") has no request verb, so it doesn't
//! either; "tell us the code we sent you" does.
//!
//! Verdict (through [`ReportBuilder`]): a disclosure request -> phishing; scam cues adding to
//! 25+ -> suspicious, 60+ -> phishing; nothing -> unknown. Text alone is never genuine.
//!
//! Patterns are data (`data/patterns/*.toml`, see [`rules`]); no statistical model is used.

pub mod extract;
pub mod normalize;
pub mod rules;
pub mod words;

use serde::Serialize;

use crate::knowledge::Knowledge;
use crate::model::{Finding, Message, Report, ReportBuilder, Severity, Verdict, score_of};
use crate::phone::{self, PhoneClass, PhoneInfo};

pub use normalize::{Folded, Normalized, fold, normalize};
pub use rules::{Cue, CueKind, TextRules};
pub use words::{Boundary, BrandMention, WordMatch, WordMatcher, brands_named, contains_word};

/// How many `Low` cues count towards the score (2 x 10 < the suspicious threshold of 25).
pub const MAX_LOW_CUES: usize = 2;

/// Texts up to this many characters are treated as a short message (SMS, chat): see
/// `text.link_unverified`. Four SMS segments.
pub const SHORT_MESSAGE: usize = 640;

/// Most phone numbers analysed per text.
pub const MAX_PHONES: usize = 10;

/// Everything found in one text. The email check reuses this on message bodies.
#[derive(Debug, Clone, Serialize)]
pub struct TextAnalysis {
    /// The decisive requests (password, code, PIN, card, bank, identity, remote access,
    /// payment). Non-empty means "assume phishing".
    pub disclosure: Vec<Finding>,
    /// Scam-script cues, link and number findings that add up to [`TextAnalysis::scam_score`].
    pub cues: Vec<Finding>,
    /// Explanations that don't move the score (advice recognised, brand named, numbers found).
    pub info: Vec<Finding>,
    /// 0..=100, the summed weight of [`TextAnalysis::cues`].
    pub scam_score: u32,
    /// Brand id the text claims to come from or talks about.
    pub brand: Option<String>,
    /// Links found, as written in the text (see [`extract::urls`]).
    pub urls: Vec<String>,
    /// Verdicts of those links, same order.
    pub url_reports: Vec<Report>,
    /// Phone numbers found, as parsed (at most the first few).
    pub phones: Vec<PhoneInfo>,
    /// `en`, `zh`, `mixed` or `unknown`.
    pub lang: String,
}

impl TextAnalysis {
    /// Whether the text asks for a secret, control or money (decisive on its own).
    pub fn has_disclosure(&self) -> bool {
        !self.disclosure.is_empty()
    }

    /// The JSON fields a text report carries beyond the verdict model (`text --json`, and
    /// `audio --json` over a transcript): `disclosure`, `scam_likelihood`, `lang`, `urls`,
    /// `phones`.
    pub fn json_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::{Value, json};
        let mut m = serde_json::Map::new();
        m.insert("disclosure".into(), Value::Bool(self.has_disclosure()));
        m.insert("scam_likelihood".into(), json!(self.scam_score));
        m.insert("lang".into(), json!(self.lang));
        m.insert("urls".into(), json!(self.urls));
        m.insert(
            "phones".into(),
            serde_json::to_value(&self.phones).unwrap_or(Value::Null),
        );
        m
    }

    /// All findings: disclosure first, then cues, then explanations.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.disclosure
            .iter()
            .chain(self.cues.iter())
            .chain(self.info.iter())
    }
}

/// The clause before `start`, at most `window` bytes, cut at the last sentence or clause
/// boundary: negation never reaches across "Don't worry, just tell me the code".
fn clause_before(text: &str, start: usize, window: usize) -> &str {
    let mut ws = start.saturating_sub(window);
    while ws < start && !text.is_char_boundary(ws) {
        ws += 1;
    }
    let w = text.get(ws..start).unwrap_or("");
    let cut = w
        .char_indices()
        .filter(|&(i, c)| {
            matches!(c, '!' | '?' | ';' | '\n' | '。' | ',' | '、' | ':')
                || (c == '.' && w.get(i + 1..).is_none_or(|r| r.starts_with(' ')))
        })
        .map(|(i, c)| i + c.len_utf8())
        .next_back()
        .unwrap_or(0);
    w.get(cut..).unwrap_or("")
}

fn is_negated(rules: &TextRules, cue: &Cue, text: &str, start: usize) -> bool {
    let Some(neg) = rules.negations.get(cue.negation) else {
        return false;
    };
    let Some(re) = &neg.regex else {
        return false;
    };
    re.is_match(clause_before(text, start, neg.window))
}

fn msg(en: impl Into<String>, zh: impl Into<String>) -> Message {
    Message::new(en, zh)
}

/// Analyse one text. Fast and size-agnostic: the email check runs it on whole bodies.
///
/// Patterns, links and numbers are matched in the normalised text; everything reported (links,
/// numbers, evidence) is cut from `text` itself through [`Normalized`]'s offset map.
pub fn analyze(knowledge: &Knowledge, rules: &TextRules, text: &str) -> TextAnalysis {
    let norm = normalize(text);
    let mut a = TextAnalysis {
        disclosure: Vec::new(),
        cues: Vec::new(),
        info: Vec::new(),
        scam_score: 0,
        brand: None,
        urls: extract::urls(&norm),
        url_reports: Vec::new(),
        phones: Vec::new(),
        lang: extract::detect_lang(text).to_string(),
    };

    brand_claim(knowledge, &norm, &mut a);
    let all_links_genuine = link_findings(knowledge, text, &mut a);
    cue_findings(rules, &norm, all_links_genuine, &mut a);
    phone_findings(knowledge, &norm, &mut a);
    rules.settle(knowledge, &mut a);
    act_through_message(&mut a);
    score(&mut a);
    a
}

/// The brand the text names most (the first found on a tie), as an explanation.
fn brand_claim(knowledge: &Knowledge, norm: &Normalized, a: &mut TextAnalysis) {
    let t = norm.text.as_str();
    let named = brands_named(knowledge, t);
    if let Some(BrandMention {
        brand: id,
        start,
        end,
        ..
    }) = named.first()
    {
        a.brand = Some(id.clone());
        let name = knowledge
            .brands()
            .get(id)
            .map(|b| (b.name.clone(), b.name_zh.clone()))
            .unwrap_or_else(|| (id.clone(), id.clone()));
        a.info.push(Finding::new(
            "text.brand_named",
            Severity::Info,
            msg(
                format!("The text names {}.", name.0),
                format!(
                    "文本提到了{}。",
                    if name.1.is_empty() { &name.0 } else { &name.1 }
                ),
            ),
            norm.evidence(*start, *end),
        ));
    }
}

/// A finding per link, by the link's own verdict; whether every link is the brand's own
/// (genuine), which excuses a request to act through a link.
fn link_findings(knowledge: &Knowledge, text: &str, a: &mut TextAnalysis) -> bool {
    let mut all_links_genuine = !a.urls.is_empty();
    for u in &a.urls {
        let r = crate::url::check(knowledge, u);
        if r.verdict != Verdict::Genuine {
            all_links_genuine = false;
        }
        let why = r
            .findings
            .iter()
            .find(|f| f.severity > Severity::Info)
            .map(|f| f.message.clone());
        match r.verdict {
            Verdict::Phishing => a.cues.push(Finding::new(
                "text.link_phishing",
                Severity::High,
                msg(
                    format!(
                        "The text contains a phishing link. {}",
                        why.as_ref().map_or("", |m| m.en.as_str())
                    ),
                    format!(
                        "文本包含钓鱼链接。{}",
                        why.as_ref().map_or("", |m| m.zh.as_str())
                    ),
                ),
                u.clone(),
            )),
            Verdict::Suspicious => a.cues.push(Finding::new(
                "text.link_suspicious",
                Severity::Medium,
                msg(
                    format!(
                        "The text contains a suspicious link. {}",
                        why.as_ref().map_or("", |m| m.en.as_str())
                    ),
                    format!(
                        "文本包含可疑链接。{}",
                        why.as_ref().map_or("", |m| m.zh.as_str())
                    ),
                ),
                u.clone(),
            )),
            Verdict::Unknown => {
                // The text names a brand and links somewhere that isn't that brand's own site
                // (a look-alike carrying the brand's name included).
                if a.brand.is_some() {
                    a.cues.push(Finding::new(
                        "text.link_off_brand",
                        Severity::Medium,
                        msg(
                            "The text names a brand but its link goes to a site that brand doesn't own.",
                            "文本提到了某个品牌，但链接指向的网站不属于该品牌。",
                        ),
                        u.clone(),
                    ));
                } else {
                    // In a message of SMS/chat size the link is the point of the message, and
                    // genuine senders link to their own sites: an unverifiable one is a real
                    // cue there. In long texts (email bodies, transcripts) it is a weak one.
                    let sev = if text.chars().count() <= SHORT_MESSAGE {
                        Severity::Medium
                    } else {
                        Severity::Low
                    };
                    a.cues.push(Finding::new(
                        "text.link_unverified",
                        sev,
                        msg(
                            "The text contains a link to a site phishprobe can't vouch for. Don't sign in or pay through links in messages.",
                            "文本包含一个无法确认的网站链接。不要通过消息里的链接登录或付款。",
                        ),
                        u.clone(),
                    ));
                }
            }
            Verdict::Genuine => a.info.push(Finding::new(
                "text.link_genuine",
                Severity::Info,
                msg(
                    "A link in the text goes to the brand's own site (the message can still be fake; open the site yourself).",
                    "文本中的一个链接指向品牌自己的网站（消息本身仍可能是假的；请自己打开官网）。",
                ),
                u.clone(),
            )),
        }
        a.url_reports.push(r);
    }
    all_links_genuine
}

/// The data-driven cues (disclosure requests and scam cues), with advice told apart from
/// requests.
fn cue_findings(
    rules: &TextRules,
    norm: &Normalized,
    all_links_genuine: bool,
    a: &mut TextAnalysis,
) {
    let t = norm.text.as_str();
    let candidates = rules.prefilter.candidates(t);
    for (cue, range) in rules
        .cues
        .iter()
        .zip(candidates)
        .filter_map(|(cue, range)| Some((cue, range?)))
    {
        let mut hit = None;
        let mut advice = None;
        for m in cue
            .regex
            .find_iter(regex_automata::Input::new(t).range(range))
        {
            if cue.negatable && is_negated(rules, cue, t, m.start()) {
                if advice.is_none() {
                    let cs = clause_start(t, m.start(), 60);
                    advice = Some(norm.evidence(cs, m.end()));
                }
                continue;
            }
            hit = Some((m.start(), m.end()));
            break;
        }
        if let Some((s, e)) = hit {
            if cue.unless_links_genuine && all_links_genuine {
                a.info.push(Finding::new(
                    "text.link_request_to_brand_site",
                    Severity::Info,
                    msg(
                        "The text asks you to act through a link, and every link goes to the brand's own site. Still safer: open the site or app yourself instead of the link.",
                        "文本要求您通过链接操作，且所有链接都指向品牌官网。更安全的做法：不要点链接，自己打开官网或应用。",
                    ),
                    norm.evidence(s, e),
                ));
                continue;
            }
            let f = Finding::new(
                cue.code.clone(),
                cue.severity,
                cue.message.clone(),
                norm.evidence(s, e),
            );
            let list = match cue.kind {
                CueKind::Disclosure => &mut a.disclosure,
                CueKind::Scam => &mut a.cues,
            };
            if !list.iter().any(|x| x.code == f.code) {
                list.push(f);
            }
        } else if let Some(ev) = advice
            && !a.info.iter().any(|x| x.code == "text.advice_not_request")
        {
            {
                a.info.push(Finding::new(
                    "text.advice_not_request",
                    Severity::Info,
                    msg(
                        "This is advice (\"never share...\"), not a request: it did not count against the text.",
                        "这是提醒（“切勿泄露……”），不是索要请求，不计入风险。",
                    ),
                    ev,
                ));
            }
        }
    }
}

/// The phone numbers in the text: each parsed and explained, premium rates and the brands'
/// published numbers pointed out, and once that caller ID proves nothing.
fn phone_findings(knowledge: &Knowledge, norm: &Normalized, a: &mut TextAnalysis) {
    let t = norm.text.as_str();
    let mut saw_number = false;
    for span in phone::find_spans_in_text(t).into_iter().take(MAX_PHONES) {
        // Written without a country code, the number may be premium-rate in another of the
        // default regions (UK 09xx numbers read as Chinese landlines first): warn either way.
        // Parsed from the normalised digits, reported as written.
        let (mut info, premium) = phone::analyze_for_text(t.get(span.clone()).unwrap_or(""));
        let n = norm.evidence(span.start, span.end);
        info.input = n.chars().take(phone::MAX_INPUT).collect();
        saw_number = true;
        if premium {
            a.cues.push(Finding::new(
                "text.premium_number",
                Severity::Medium,
                msg(
                    "The text asks you to call or text a premium-rate number: it costs you money (a classic prize scam).",
                    "文本让您拨打或发短信到付费号码：会扣您的钱（典型的中奖骗局）。",
                ),
                n.clone(),
            ));
        }
        let (en, zh) = match info.class {
            PhoneClass::Valid => (
                format!(
                    "Phone number {} ({}, {}).",
                    info.e164.as_deref().unwrap_or(&n),
                    info.country.as_deref().unwrap_or("?"),
                    info.number_type.unwrap_or("unknown")
                ),
                format!(
                    "电话号码 {}（{}，{}）。",
                    info.e164.as_deref().unwrap_or(&n),
                    info.country.as_deref().unwrap_or("?"),
                    info.number_type.unwrap_or("unknown")
                ),
            ),
            PhoneClass::ShortCode => (
                format!("Short code {n} (can't be checked)."),
                format!("短号码 {n}（无法核查）。"),
            ),
            PhoneClass::Invalid | PhoneClass::NotANumber => (
                format!("{n} is not a valid phone number."),
                format!("{n} 不是有效的电话号码。"),
            ),
        };
        a.info.push(Finding::new(
            "text.phone_number",
            Severity::Info,
            msg(en, zh),
            n.clone(),
        ));
        if let Some(e) = &info.e164 {
            for (_, label) in phone::published_matches(knowledge, e) {
                a.info.push(Finding::new(
                    "text.brand_published_number",
                    Severity::Info,
                    msg(
                        format!("{e} is a number the brand publishes ({label}): fine to call OUT to, but a call or text showing it proves nothing."),
                        format!("{e} 是该品牌公布的号码（{label}）：可以主动拨打，但显示该号码的来电或短信不能证明任何事。"),
                    ),
                    n.clone(),
                ));
            }
        }
        a.phones.push(info);
    }
    if saw_number {
        a.info.push(Finding::new(
            "text.caller_id_proves_nothing",
            Severity::Info,
            msg(
                "Phone numbers prove nothing either way: caller ID is easy to fake and genuine callbacks may show as spam. Hang up and reach the company through the number or message centre inside its own app or Seller Central, typed in by hand.",
                "电话号码不能证明任何事：来电显示很容易伪造，真正的回电也可能被标记为骚扰。请挂断，然后通过该公司官方应用或卖家平台（Seller Central）里的电话或消息中心联系，号码请手动输入。",
            ),
            "",
        ));
    }
}

/// A scam cue together with a concrete link the message supplies is a cue of its own.
fn act_through_message(a: &mut TextAnalysis) {
    // Acting through a channel the message itself provides (its link, its number, its short
    // code, another app) is how every scam text converts; combined with any other scam cue it
    // is a scam cue of its own.
    const VECTORS: &[&str] = &[
        "text.link_unverified",
        "text.click_link",
        "text.callback_number",
        "text.reply_to_act",
        "text.move_channel",
    ];
    // Only a concrete link counts here: words like "click" or "call us" are in every ad.
    let has_vector = a.cues.iter().any(|f| f.code == "text.link_unverified");
    let other = a
        .cues
        .iter()
        .find(|f| !VECTORS.contains(&f.code.as_str()) && f.severity > Severity::Info);
    if let (true, Some(o)) = (has_vector, other) {
        let ev = o.evidence.clone();
        a.cues.push(Finding::new(
            "text.act_through_message",
            Severity::Medium,
            msg(
                "It pairs a scam cue with a way to act that the message itself supplies (its link, number or reply code). Use only contact details you look up yourself.",
                "它把诈骗迹象和消息自带的操作方式（链接、号码或回复代码）结合在一起。只使用您自己查到的联系方式。",
            ),
            ev,
        ));
    }
}

/// Caps the weak cues and adds up the scam score (by the report score's rule, [`score_of`]).
fn score(a: &mut TextAnalysis) {
    // Weak cues (urgency, a link, "call us") are everywhere in marketing: at most
    // MAX_LOW_CUES of them count, so weak cues alone never make a text suspicious; they only
    // strengthen a real scam cue. The rest stay visible as Info.
    let mut lows = 0;
    for f in a.cues.iter_mut() {
        if f.severity == Severity::Low {
            lows += 1;
            if lows > MAX_LOW_CUES {
                f.severity = Severity::Info;
            }
        }
    }
    a.scam_score = score_of(&a.cues);
}

fn clause_start(text: &str, start: usize, window: usize) -> usize {
    let clause = clause_before(text, start, window);
    start - clause.len()
}

/// Verdict for one text: see the module notes for the rules.
pub fn check(knowledge: &Knowledge, rules: &TextRules, input: &str, text: &str) -> Report {
    let a = analyze(knowledge, rules, text);
    report_from(input, &a)
}

/// Turn an analysis into the shared verdict model.
pub fn report_from(input: &str, a: &TextAnalysis) -> Report {
    let mut b = ReportBuilder::new(input);
    if let Some(br) = &a.brand {
        b.brand(br);
    }
    if a.findings().next().is_none() {
        b.push(Finding::new(
            "text.no_cue",
            Severity::Info,
            msg(
                "No scam script or request for secrets found. That doesn't make it genuine: never give a password, code or remote access to anyone who contacts you.",
                "未发现诈骗话术或索要敏感信息的请求。但这不代表它是真的：不要把密码、验证码或远程控制权交给任何主动联系您的人。",
            ),
            "",
        ));
    }
    b.extend(a.findings().cloned());
    b.build()
}
