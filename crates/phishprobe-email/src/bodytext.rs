//! The message text through the core text module (`phishprobe_core::text`, the analysis the
//! `text` command runs on calls and SMS), with the email's context applied to its findings.
//!
//! What the email adds:
//! - **links are masked** before the text goes to the core (`https://...` and `www....` become
//!   the word "link"): the email weighs every link itself, with what the core cannot see (the
//!   href behind the shown text, the sender's own domain, click trackers). Bare names such as
//!   `amazon-verify.top/reset` are still found by the core and their URL verdicts are handed to
//!   the email's link table, so no link is checked twice.
//! - **a request through a link** (`text.reset_password_link`, the core's `unless_links_genuine`
//!   cues) is decided by the message's real links: every one on the brand's own site, from
//!   the brand's own sender domain, makes it an Info note; otherwise it stands;
//! - **forwarded messages** (someone passing a phish on) weigh lower: requests become Low,
//!   script cues Info;
//! - **the brand's own sender domain** with only brand links: a request is Low (genuine
//!   account mail asks you to update a card), never decisive;
//! - **script cues weigh Low** (at most [`MAX_TEXT_LOWS`] count): the call/SMS weights assume
//!   the whole text is the message, while mail is full of newsletters and discussions that
//!   mention prizes, hacked accounts or urgency. In mail they only strengthen what the sender,
//!   the links or the attachments show;
//! - **a request in a long text** (more than [`LONG_TEXT`] characters) is Info: in a short
//!   message the request is the point of the message, in a long newsletter it is one sentence
//!   among hundreds (security columns quote "give out your password" all the time).
//!
//! The core's link, phone and brand explanations are dropped here (the email has its own link
//! and brand logic); everything else keeps the core's stable `text.*` codes, messages and
//! evidence.
//!
//! [`Signals`] condenses the findings into the four purposes other email checks ask about
//! (credential request, account threat, prize, urgency).

use phishprobe_core::text::{self, TextAnalysis, TextRules};
use phishprobe_core::{Engine, Finding, Severity};

/// Bytes of message text handed to the core. The lure sits at the top, and past
/// [`LONG_TEXT`] characters every text finding is Low anyway, so more text changes nothing
/// but the cost (the core's pattern set costs about 1 µs per 10 bytes).
pub const MAX_TEXT: usize = 4 * 1024;

/// Characters of visible text above which a request is no longer taken as the point of the
/// message (about 300 words: phishing mail is short, newsletters are long).
pub const LONG_TEXT: usize = 2_000;

/// Low text cues that count towards the score; the rest are shown as Info.
pub const MAX_TEXT_LOWS: usize = 1;

/// What the text is about, in the terms the email checks use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signals {
    /// Asks for a password, code, PIN, card, bank or identity data, remote access, payment,
    /// or to verify an account.
    pub credential: bool,
    /// Says the account, a purchase, a parcel or personal data is in trouble.
    pub threat: bool,
    /// Promises a prize, money or an offer.
    pub prize: bool,
    /// Pushes to act at once.
    pub urgency: bool,
    /// A decisive request (the core's disclosure kind) survived the email context.
    pub disclosure: bool,
}

/// Core categories (data/patterns/*.toml `category`) by purpose.
fn purpose(category: &str) -> Option<u8> {
    Some(match category {
        "password" | "otp" | "pin" | "card" | "bank" | "identity" | "remote_access" | "payment"
        | "verify_account" => 0,
        "account_hacked"
        | "unexpected_purchase"
        | "callback_transaction"
        | "info_leak"
        | "authority"
        | "delivery"
        | "security_team" => 1,
        "prize" | "money_opportunity" | "refund_overpayment" | "unsolicited_offer"
        | "premium_rate" | "borrow_money" => 2,
        "urgency" => 3,
        _ => return None,
    })
}

/// Core findings the email replaces with its own checks.
fn dropped(code: &str) -> bool {
    code.starts_with("text.link_") && code != "text.link_request_to_brand_site"
        || matches!(
            code,
            "text.act_through_message"
                | "text.brand_named"
                | "text.phone_number"
                | "text.caller_id_proves_nothing"
                | "text.brand_published_number"
                | "text.no_cue"
        )
}

/// Phone-like numbers kept in the text handed to the core: enough for "call us at <number>"
/// and a premium-rate check; the numbers in signatures and footers after them are replaced
/// by `#` (the core parses every number it finds with libphonenumber's rules, which costs
/// more than the rest of the text analysis, and the email shows no number findings).
pub const MAX_PHONES: usize = 2;

/// Replace phone-like runs (seven or more digits among spaces, dots, dashes, brackets and a
/// leading `+`) after the first [`MAX_PHONES`] with `#`.
pub fn thin_phone_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let is_part =
        |c: u8| c.is_ascii_digit() || matches!(c, b' ' | b'.' | b'-' | b'(' | b')' | b'+' | b'/');
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() && b[i] != b'+' && b[i] != b'(' {
            i += 1;
            continue;
        }
        let s = i;
        let mut j = i;
        let mut digits = 0;
        while j < b.len() && is_part(b[j]) {
            digits += usize::from(b[j].is_ascii_digit());
            j += 1;
        }
        if digits >= 7 {
            runs.push((s, j));
        }
        i = j.max(i + 1);
    }
    if runs.len() <= MAX_PHONES {
        return std::borrow::Cow::Borrowed(text);
    }
    // Numbers right after a call word are the ones a message asks you to call (a callback
    // lure's number often follows an order number, which looks like a phone run too): they
    // are kept first, then the earliest others.
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by_key(|&i| (!after_call_word(b, runs[i].0), i));
    let mut keep = vec![false; runs.len()];
    for &i in order.iter().take(MAX_PHONES) {
        keep[i] = true;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (&(s, e), _) in runs.iter().zip(keep).filter(|(_, k)| !k) {
        // Runs start and end on ASCII bytes, so these are char boundaries.
        out.push_str(text.get(last..s).unwrap_or(""));
        out.push_str(" # ");
        last = e;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    std::borrow::Cow::Owned(out)
}

/// Whether a call word ("call", "dial", "phone", 致电, 拨打, 电话…) stands in the 48 bytes
/// before `at`.
fn after_call_word(b: &[u8], at: usize) -> bool {
    let window = b
        .get(at.saturating_sub(48)..at)
        .unwrap_or(&[])
        .to_ascii_lowercase();
    [
        "call", "dial", "phone", "ring", "contact", "tel", "致电", "拨打", "电话", "联系",
    ]
    .iter()
    .any(|w| memchr::memmem::find(&window, w.as_bytes()).is_some())
}

/// Replace `http(s)://...` and `www....` runs with the word "link" (see the module notes).
pub fn mask_urls(text: &str, out: &mut String) {
    let b = text.as_bytes();
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        let Some(rel) = memchr::memchr3(b'h', b'w', b'H', &b[i..]) else {
            break;
        };
        let p = i + rel;
        let rest = &b[p..];
        let starts =
            |pat: &[u8]| rest.len() >= pat.len() && rest[..pat.len()].eq_ignore_ascii_case(pat);
        let boundary = p == 0 || !b[p - 1].is_ascii_alphanumeric();
        let is_url = boundary && (starts(b"http://") || starts(b"https://") || starts(b"www."));
        if !is_url {
            i = p + 1;
            continue;
        }
        let end = rest
            .iter()
            .position(|&c| {
                c.is_ascii_whitespace() || matches!(c, b'<' | b'>' | b'"' | b'\'' | b'`' | b'|')
            })
            .map_or(b.len(), |e| p + e);
        // Both ends sit on ASCII bytes or the text's ends, so these are char boundaries.
        out.push_str(text.get(last..p).unwrap_or(""));
        out.push_str(" link ");
        last = end;
        i = end.max(p + 1);
    }
    out.push_str(text.get(last..).unwrap_or(""));
}

/// The email's view of the links, for deciding link-borne requests.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkSummary {
    /// Links checked (hrefs, forms, text URLs, QR, PDF).
    pub checked: usize,
    /// Of those, on a brand's own site or the sender's own registered domain.
    pub genuine_or_own: usize,
}

impl LinkSummary {
    /// Whether every checked link is on a genuine or the sender's own site.
    pub fn all_genuine(&self) -> bool {
        self.checked > 0 && self.genuine_or_own == self.checked
    }
}

/// How the message's context changes the text findings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// The message forwards another one.
    pub forward: bool,
    /// From is one of the claimed brand's own sender domains.
    pub brand_sender: bool,
    /// What the link weighing found.
    pub links: LinkSummary,
    /// Characters of visible text (see [`LONG_TEXT`]).
    pub text_chars: usize,
}

/// Run the core text analysis on already assembled (and masked) text.
pub fn analyze(engine: &Engine, rules: &TextRules, masked: &str) -> TextAnalysis {
    text::analyze(engine, rules, masked)
}

/// The core's callback-phishing cue: a claimed order, charge or renewal with a number to call
/// to cancel or dispute it (`data/patterns/*.toml`).
pub const CALLBACK: &str = "text.callback_transaction";

/// In mail the callback lure is the whole message, not one sentence among many, so it keeps
/// its weight (unlike other script cues): High from any sender that is not the brand's own
/// domain (phishing together with the brand claim or anything else), Medium in a long text
/// (an invoice or receipt padded around it), Low in a forward (someone passing it on) and
/// from the brand's own domain (PayPal invoices come from service@paypal.com with text any
/// user writes, so the note stays visible, but the brand's own mail is judged by its
/// authentication).
fn callback_severity(ctx: &Context) -> Severity {
    if ctx.forward || ctx.brand_sender {
        Severity::Low
    } else if ctx.text_chars > LONG_TEXT {
        Severity::Medium
    } else {
        Severity::High
    }
}

fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        _ => Severity::Info,
    }
}

/// The core's findings with the email context applied, and the purposes they show.
pub fn findings(rules: &TextRules, a: &TextAnalysis, ctx: &Context) -> (Vec<Finding>, Signals) {
    let mut out = Vec::new();
    let mut sig = Signals::default();
    let cue_of = |code: &str| rules.cues().iter().find(|c| c.code == code);
    let brand_links = ctx.brand_sender && ctx.links.all_genuine();
    let mut lows = 0usize;
    for f in a
        .disclosure
        .iter()
        .chain(a.cues.iter())
        .chain(a.info.iter())
    {
        if dropped(&f.code) {
            continue;
        }
        let mut f = f.clone();
        // Every mail has links and says "click here": in mail that names no act at all.
        if f.code == "text.click_link" {
            f.severity = Severity::Info;
        }
        let cue = cue_of(&f.code);
        let disclosure = a.disclosure.iter().any(|d| d.code == f.code);
        if f.code == "text.link_request_to_brand_site" {
            // The core saw only brand links in the text; the email decides with all links.
            if !brand_links
                && let Some(c) = rules
                    .cues()
                    .iter()
                    .find(|c| c.unless_links_genuine && c.kind == text::CueKind::Disclosure)
            {
                f = Finding::new(c.code.clone(), c.severity, c.message.clone(), f.evidence);
            } else {
                out.push(f);
                continue;
            }
        } else if cue.is_some_and(|c| c.unless_links_genuine) && brand_links {
            out.push(Finding::new(
                "text.link_request_to_brand_site",
                Severity::Info,
                phishprobe_core::Message::new(
                    "The text asks you to act through a link, and every link goes to the brand's own site from the brand's own sender domain. Still safer: open the site or app yourself instead of the link.",
                    "文本要求您通过链接操作，且所有链接都指向品牌官网、发件域名也是品牌自己的。更安全的做法：不要点链接，自己打开官网或应用。",
                ),
                f.evidence,
            ));
            continue;
        }
        if f.code == CALLBACK && f.severity > Severity::Info {
            f.severity = callback_severity(ctx);
            sig.threat = true;
            out.push(f);
            continue;
        }
        let is_request = disclosure || f.code == "text.reset_password_link";
        if f.severity > Severity::Info {
            if ctx.forward {
                f.severity = if is_request {
                    Severity::Low
                } else {
                    Severity::Info
                };
            } else if brand_links && is_request {
                f.severity = Severity::Low;
            } else if brand_links {
                f.severity = lower(f.severity).min(Severity::Low);
            } else if is_request {
                if ctx.text_chars > LONG_TEXT {
                    // Shown, but not taken as what the message is about.
                    f.severity = Severity::Info;
                    out.push(f);
                    continue;
                }
            } else {
                f.severity = f.severity.min(Severity::Low);
            }
        }
        if f.severity == Severity::Low && !is_request {
            lows += 1;
            if lows > MAX_TEXT_LOWS {
                f.severity = Severity::Info;
            }
        }
        if f.severity > Severity::Info {
            if let Some(p) = cue.and_then(|c| purpose(&c.category)) {
                match p {
                    0 => sig.credential = true,
                    1 => sig.threat = true,
                    2 => sig.prize = true,
                    _ => sig.urgency = true,
                }
            }
            if is_request && f.severity >= Severity::High {
                sig.disclosure = true;
            }
        }
        out.push(f);
    }
    (out, sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thins_phone_numbers() {
        let t = "Call 1-888-280-4331 or +44 20 7946 0958. Fax (555) 123-4567, office 030 1234567. Order 12345.";
        let out = thin_phone_numbers(t);
        assert!(out.contains("1-888-280-4331") && out.contains("+44 20 7946 0958"));
        assert!(
            !out.contains("123-4567") && !out.contains("1234567"),
            "{out}"
        );
        assert!(out.contains("Order 12345."));
        assert!(matches!(
            thin_phone_numbers("no numbers"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn keeps_the_number_to_call_after_order_numbers() {
        let t = "Order 114-3941689-8772232 and 114-3941689-0000001 were placed and shipped to your address today. If this was not you, call +1 (888) 555-0142.";
        let out = thin_phone_numbers(t);
        assert!(out.contains("+1 (888) 555-0142"), "{out}");
        assert!(out.contains("114-3941689-8772232"), "{out}");
        assert!(!out.contains("114-3941689-0000001"), "{out}");
    }

    #[test]
    fn masks_links_only() {
        let mut s = String::new();
        mask_urls(
            "Reset at https://evil.example/x?y=1 or www.evil.example now. Whatever: ahttp://no",
            &mut s,
        );
        assert_eq!(s, "Reset at  link  or  link  now. Whatever: ahttp://no");
        let mut e = String::new();
        mask_urls("", &mut e);
        assert!(e.is_empty());
        let mut u = String::new();
        mask_urls("Ünïcode HTTPS://X.Y/é end", &mut u);
        assert_eq!(u, "Ünïcode  link  end");
    }

    fn run(text: &str, ctx: Context) -> (Vec<Finding>, Signals) {
        let engine = Engine::embedded().expect("engine");
        let rules = TextRules::embedded().expect("rules");
        let mut m = String::new();
        mask_urls(text, &mut m);
        let a = analyze(&engine, &rules, &m);
        findings(&rules, &a, &ctx)
    }

    #[test]
    fn context_changes_weight() {
        let t = "Please send us your password today so we can keep your account open.";
        let (f, s) = run(t, Context::default());
        assert!(
            f.iter()
                .any(|f| f.code == "text.asks_password" && f.severity == Severity::Critical),
            "{f:?}"
        );
        assert!(s.credential && s.disclosure);
        let (f, s) = run(
            t,
            Context {
                forward: true,
                ..Context::default()
            },
        );
        assert!(
            f.iter()
                .any(|f| f.code == "text.asks_password" && f.severity == Severity::Low)
        );
        assert!(!s.disclosure);
        // Advice is not a request.
        let (f, s) = run(
            "Amazon will never ask for your password by email.",
            Context::default(),
        );
        assert!(!s.disclosure, "{f:?}");
    }

    /// Issue 17: the body-text findings quote the message as written, never the normalised
    /// text the patterns matched (spaced-out and look-alike letters, full-width forms).
    #[test]
    fn evidence_is_the_text_as_written() {
        for (text, quoted) in [
            (
                "Please send us your p a s s w o r d today so we can keep your account open.",
                "send us your p a s s w o r d",
            ),
            (
                "Please send us your ｐａｓｓｗｏｒｄ today so we can keep your account open.",
                "send us your ｐａｓｓｗｏｒｄ",
            ),
            (
                "Please send us your pаsswоrd today so we can keep your account open.",
                "send us your pаsswоrd",
            ),
        ] {
            let (f, _) = run(text, Context::default());
            let ask = f.iter().find(|f| f.code == "text.asks_password");
            assert_eq!(ask.map(|f| f.evidence.as_str()), Some(quoted), "{f:?}");
            for x in &f {
                assert!(text.contains(x.evidence.as_str()), "{x:?}");
            }
        }
    }

    #[test]
    fn reset_link_decided_by_the_real_links() {
        let t = "Click the link below to reset your password: https://example.invalid/r";
        let (f, _) = run(t, Context::default());
        assert!(
            f.iter().any(|f| f.code == "text.reset_password_link"),
            "{f:?}"
        );
        let brand = Context {
            brand_sender: true,
            links: LinkSummary {
                checked: 2,
                genuine_or_own: 2,
            },
            ..Context::default()
        };
        let (f, s) = run(t, brand);
        assert!(
            f.iter().any(
                |f| f.code == "text.link_request_to_brand_site" && f.severity == Severity::Info
            ),
            "{f:?}"
        );
        assert!(!s.disclosure);
    }
}
