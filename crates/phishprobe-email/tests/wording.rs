//! Issue 17, section 2, on messages written here: authentication results worded by what they
//! mean (RFC 8601, RFC 7208, RFC 7489, Microsoft's compauth), link texts that are a brand's
//! name, and callback phishing in mail.

use phishprobe_core::{Engine, Finding, Severity, Verdict};
use phishprobe_email::{EmailChecker, EmailReport, Options};

fn check(raw: &str) -> EmailReport {
    let e = Engine::embedded().expect("embedded data loads");
    let c = EmailChecker::new(&e, Options::default());
    c.check("test", raw.as_bytes()).expect("a verdict")
}

fn finding<'a>(r: &'a EmailReport, code: &str) -> Option<&'a Finding> {
    r.report.findings.iter().find(|f| f.code == code)
}

fn codes(r: &EmailReport) -> Vec<String> {
    r.report
        .findings
        .iter()
        .map(|f| format!("{}:{:?}", f.code, f.severity))
        .collect()
}

/// A plain note from `from` with one Authentication-Results header.
fn with_auth(from: &str, ar: &str) -> String {
    format!(
        "Authentication-Results: {ar}\r\nFrom: {from}\r\nTo: a@example.org\r\nSubject: Meeting notes\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHi, the notes from Tuesday are below. See you next week.\r\n"
    )
}

fn auth_finding(from: &str, ar: &str, code: &str) -> (EmailReport, Finding) {
    let r = check(&with_auth(from, ar));
    let f = finding(&r, code)
        .unwrap_or_else(|| panic!("{code} missing for {ar}: {:?}", codes(&r)))
        .clone();
    assert!(!f.message.en.is_empty() && !f.message.zh.is_empty());
    (r, f)
}

#[test]
fn dmarc_permerror_is_a_broken_record_not_a_forgery() {
    let (r, f) = auth_finding(
        "Ann <ann@shop.example>",
        "mx.receiver.example; dmarc=permerror header.from=shop.example",
        "auth.dmarc_permerror",
    );
    assert_eq!(f.severity, Severity::Info);
    assert!(
        f.message.en.contains("broken or invalid"),
        "{}",
        f.message.en
    );
    assert!(!f.message.en.contains("forged"), "{}", f.message.en);
    assert!(f.message.zh.contains("配置错误"));
    assert!(finding(&r, "auth.dmarc_fail").is_none());
    assert!(finding(&r, "auth.brand_dmarc_fail").is_none());
    assert!(r.report.verdict < Verdict::Suspicious);
}

#[test]
fn dmarc_temperror_and_none_prove_nothing() {
    let (_, f) = auth_finding(
        "Ann <ann@shop.example>",
        "mx.receiver.example; dmarc=temperror header.from=shop.example",
        "auth.dmarc_temperror",
    );
    assert_eq!(f.severity, Severity::Info);
    assert!(f.message.en.contains("temporary"), "{}", f.message.en);
    assert!(f.message.zh.contains("临时"));
    let (_, f) = auth_finding(
        "Ann <ann@shop.example>",
        "mx.receiver.example; dmarc=none header.from=shop.example",
        "auth.dmarc_none",
    );
    assert_eq!(f.severity, Severity::Info);
    assert!(f.message.en.contains("no DMARC policy"), "{}", f.message.en);
}

#[test]
fn dmarc_fail_is_weighed_by_the_published_policy() {
    // Google writes the policy in a comment.
    let (_, f) = auth_finding(
        "Ann <ann@shop.example>",
        "mx.google.com; dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=shop.example",
        "auth.dmarc_fail_monitor",
    );
    assert_eq!(f.severity, Severity::Medium);
    assert!(f.message.en.contains("only monitors"), "{}", f.message.en);
    assert!(f.message.en.contains("p=none"), "{}", f.message.en);
    let (_, f) = auth_finding(
        "Ann <ann@shop.example>",
        "mx.google.com; dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=shop.example",
        "auth.dmarc_fail",
    );
    assert_eq!(f.severity, Severity::Medium);
    assert!(f.message.en.contains("p=reject"), "{}", f.message.en);
    assert!(f.message.zh.contains("p=reject"));
    // The published-domain-policy property (RFC 7489 section 11.2 receivers).
    let (_, f) = auth_finding(
        "Ann <ann@shop.example>",
        "mx.fastmail.example; dmarc=fail policy.published-domain-policy=quarantine header.from=shop.example",
        "auth.dmarc_fail",
    );
    assert!(f.message.en.contains("p=quarantine"), "{}", f.message.en);
}

#[test]
fn dmarc_fail_on_the_brands_own_domain_is_a_forged_sender() {
    let (r, f) = auth_finding(
        "Amazon <no-reply@amazon.com>",
        "mx.receiver.example; spf=fail smtp.mailfrom=amazon.com; dkim=none; dmarc=fail (p=QUARANTINE) header.from=amazon.com",
        "auth.brand_dmarc_fail",
    );
    assert_eq!(f.severity, Severity::High);
    assert!(f.message.en.contains("forged"));
    assert!(f.message.en.contains("p=quarantine"), "{}", f.message.en);
    assert_ne!(r.report.verdict, Verdict::Genuine);
    // The brand's own domain with a permerror: unproven (Low), never called forged.
    let (r, f) = auth_finding(
        "Amazon <no-reply@amazon.com>",
        "mx.receiver.example; dmarc=permerror header.from=amazon.com",
        "auth.dmarc_permerror",
    );
    assert_eq!(f.severity, Severity::Low);
    assert!(
        finding(&r, "auth.brand_dmarc_fail").is_none(),
        "{:?}",
        codes(&r)
    );
}

#[test]
fn spf_and_dkim_results_each_say_what_they_mean() {
    let cases = [
        (
            "spf=fail smtp.mailfrom=bounce.example",
            "auth.spf_fail",
            "not one bounce.example allows",
        ),
        (
            "spf=softfail smtp.mailfrom=bounce.example",
            "auth.spf_softfail",
            "probably not",
        ),
        (
            "spf=neutral smtp.mailfrom=bounce.example",
            "auth.spf_neutral",
            "no statement",
        ),
        (
            "spf=permerror smtp.mailfrom=bounce.example",
            "auth.record_permerror",
            "broken or invalid",
        ),
        (
            "spf=temperror smtp.mailfrom=bounce.example",
            "auth.lookup_temperror",
            "temporary",
        ),
        (
            "dkim=fail header.d=signer.example",
            "auth.dkim_fail",
            "changed after it was signed",
        ),
        (
            "dkim=neutral header.d=signer.example",
            "auth.dkim_neutral",
            "could not be processed",
        ),
        (
            "dkim=policy header.d=signer.example",
            "auth.policy_rejected",
            "its own policy",
        ),
    ];
    for (res, code, words) in cases {
        let (r, f) = auth_finding(
            "Ann <ann@shop.example>",
            &format!("mx.receiver.example; {res}"),
            code,
        );
        assert_eq!(f.severity, Severity::Info, "{code}");
        assert!(f.message.en.contains(words), "{code}: {}", f.message.en);
        assert!(
            r.report.verdict < Verdict::Suspicious,
            "{code}: {:?}",
            codes(&r)
        );
    }
}

#[test]
fn microsoft_compauth_speaks_with_its_reason() {
    // DMARC failed with an enforcing policy (Microsoft's action=oreject): DMARC speaks, the
    // composite result only repeats it (Info).
    let (r, f) = auth_finding(
        "Ann <ann@shop.example>",
        "spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=shop.example; dkim=none (message not signed) header.d=none;dmarc=fail action=oreject header.from=shop.example;compauth=fail reason=000",
        "auth.compauth_fail",
    );
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(f.evidence, "compauth=fail reason=000");
    assert!(
        f.message.en.contains("quarantine or rejection"),
        "{}",
        f.message.en
    );
    let d = finding(&r, "auth.dmarc_fail").expect("dmarc speaks");
    assert!(d.message.en.contains("p=reject"), "{}", d.message.en);
    assert!(finding(&r, "auth.spf_fail").is_some());
    // No DMARC failure: the composite failure weighs itself (Low) and says why.
    let (_, f) = auth_finding(
        "Ann <ann@shop.example>",
        "spf=none smtp.mailfrom=shop.example; dkim=none; dmarc=none action=none header.from=shop.example;compauth=fail reason=001",
        "auth.compauth_fail",
    );
    assert_eq!(f.severity, Severity::Low);
    assert!(f.message.en.contains("weak"), "{}", f.message.en);
    assert!(f.message.zh.contains("综合认证未通过"));
    // A pass for a non-brand domain says what it proves.
    let (_, f) = auth_finding(
        "Ann <ann@shop.example>",
        "spf=pass smtp.mailfrom=shop.example; dmarc=pass action=none header.from=shop.example;compauth=pass reason=100",
        "auth.compauth_pass",
    );
    assert_eq!(f.severity, Severity::Info);
    assert!(f.message.en.contains("not that the sender is who"));
}

// ------------------------------------------------------------ link text that is a brand name

fn html_mail(from: &str, subject: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: a@example.org\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>{body}</body></html>\r\n"
    )
}

#[test]
fn a_brand_name_link_to_an_unrelated_host_is_flagged() {
    for text in ["Amazon®", "Amazon Seller Central", "PayPal", "亚马逊"] {
        let r = check(&html_mail(
            "\"Account Team\" <team@notice-center.example>",
            "Your Amazon account",
            &format!(
                "<p>Please review your account on <a href=\"https://secure-review.example/login\">{text}</a> today.</p>"
            ),
        ));
        let f = finding(&r, "email.link_text_brand_name_elsewhere")
            .unwrap_or_else(|| panic!("not flagged for {text}: {:?}", codes(&r)));
        assert!(f.severity >= Severity::Low);
        assert!(
            f.evidence.contains("secure-review.example"),
            "{}",
            f.evidence
        );
        assert!(!f.message.zh.is_empty());
    }
}

#[test]
fn brand_name_links_that_are_the_brands_are_left_alone() {
    let bodies = [
        // The brand's own site.
        "<a href=\"https://www.amazon.com/gp/css/order-history\">Amazon®</a>",
        // A redirector handing over to the brand's site (percent-encoded).
        "<a href=\"https://news.letter.example/r?u=https%3A%2F%2Fwww.amazon.com%2Fdeals\">Amazon</a>",
        // A click tracker of an ESP (data/hosting.toml): its target cannot be seen offline.
        "<a href=\"https://u123.ct.sendgrid.net/ls/click?upn=abc\">PayPal</a>",
        // Text that mentions the brand is not its name.
        "<a href=\"https://blog.example/post\">Shop Amazon deals this week</a>",
    ];
    for body in bodies {
        let r = check(&html_mail(
            "\"Weekly Deals\" <news@deals-weekly.example>",
            "This week's picks",
            &format!("<p>Picks: {body}</p>"),
        ));
        assert!(
            finding(&r, "email.link_text_brand_name_elsewhere").is_none(),
            "{body}: {:?}",
            codes(&r)
        );
    }
    // The sender's own domain.
    let r = check(&html_mail(
        "\"Store\" <news@mystore.example>",
        "New arrivals",
        "<a href=\"https://www.mystore.example/pay\">PayPal</a>",
    ));
    assert!(finding(&r, "email.link_text_brand_name_elsewhere").is_none());
}

// ------------------------------------------------------------ callback phishing in mail

fn plain_mail(from: &str, subject: &str, body: &str) -> String {
    format!(
        "Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=billing-desk.example; dkim=pass header.d=billing-desk.example; dmarc=pass header.from=billing-desk.example\r\nFrom: {from}\r\nTo: a@example.org\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

#[test]
fn callback_lures_in_mail_are_phishing() {
    let lures = [
        (
            "\"Amazon Order Team\" <orders@billing-desk.example>",
            "Your Amazon order #114-3941689-8772232",
            "Hello,\r\n\r\nYour order #114-3941689-8772232 for Apple MacBook Pro (US$2,499.00) has been placed and will ship today.\r\n\r\nIf you did not authorize this purchase, call our support line at +1 (888) 555-0142 to cancel it.\r\n\r\nAmazon Customer Service",
        ),
        (
            "\"PayPal\" <service@billing-desk.example>",
            "Invoice INV-20931",
            "You have been charged $499.99 for Bitcoin (invoice INV-20931). Not you? Call 1-808-555-0163 to cancel the transaction.",
        ),
        (
            "\"Geek Squad\" <renewals@billing-desk.example>",
            "Your plan was renewed",
            "Thank you for staying with Geek Squad. Your annual protection plan was renewed. Amount $349.99 charged. To cancel and get a refund, call 1-888-555-0177 within 24 hours.",
        ),
        (
            "\"Norton LifeLock\" <billing@billing-desk.example>",
            "Norton 360 renewal",
            "Your Norton 360 subscription has been renewed for $399.99. If you did not authorize this charge, please call our billing department at +1 (808) 555-0199.",
        ),
        (
            "\"亚马逊\" <orders@billing-desk.example>",
            "订单通知",
            "您的亚马逊订单 114-3941689-8772232 已成功扣款 2999 元。如非本人操作，请致电 400-555-0188 取消订单。",
        ),
    ];
    for (from, subject, body) in lures {
        let r = check(&plain_mail(from, subject, body));
        let f = finding(&r, "text.callback_transaction")
            .unwrap_or_else(|| panic!("no callback finding for {from}: {:?}", codes(&r)));
        assert_eq!(f.severity, Severity::High, "{from}");
        assert_eq!(
            r.report.verdict,
            Verdict::Phishing,
            "{from}: {:?}",
            codes(&r)
        );
    }
}

#[test]
fn genuine_order_mail_with_a_service_number_is_not_callback_phishing() {
    // A shop's own confirmation: customer service listed, nothing disputed.
    let r = check(&plain_mail(
        "\"Billing Desk\" <orders@billing-desk.example>",
        "Order confirmation #55120",
        "Thanks for your order #55120 ($24.99). It ships tomorrow. Questions about your order? Call customer service at 1-800-555-0111, Monday to Friday.",
    ));
    assert!(
        finding(&r, "text.callback_transaction").is_none(),
        "{:?}",
        codes(&r)
    );
    assert!(r.report.verdict < Verdict::Suspicious, "{:?}", codes(&r));
    // The brand's own sender domain keeps the note at Low: the brand's mail is judged by its
    // authentication, not by a sentence it carries.
    let raw = "Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=paypal.com; dkim=pass header.d=paypal.com; dmarc=pass header.from=paypal.com\r\nFrom: PayPal <service@paypal.com>\r\nTo: a@example.org\r\nSubject: Your receipt\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nYou paid $24.99 (transaction #7HG45512). If you did not authorize this payment, call 1-888-555-0100.\r\n";
    let r = check(raw);
    if let Some(f) = finding(&r, "text.callback_transaction") {
        assert_eq!(f.severity, Severity::Low);
    }
    assert_ne!(r.report.verdict, Verdict::Phishing, "{:?}", codes(&r));
}
