//! Callback phishing (telephone-oriented attack delivery) in call/SMS text and in a case:
//! a claimed order, charge, renewal or invoice plus a phone number to call to cancel or
//! dispute it. Messages written by the team, modelled on public descriptions of the Amazon,
//! PayPal, Geek Squad, Norton and McAfee lures (FTC and the brands' own scam warnings).

use phishprobe_core::combine::{CaseBuilder, CaseRules, PartKind};
use phishprobe_core::text::{self, TextRules};
use phishprobe_core::{Engine, Report, Verdict};

fn setup() -> (Engine, TextRules) {
    (
        Engine::embedded().expect("engine"),
        TextRules::embedded().expect("text rules"),
    )
}

fn check(e: &Engine, r: &TextRules, s: &str) -> Report {
    text::check(e, r, "sms", s)
}

fn has(rep: &Report, code: &str) -> bool {
    rep.findings
        .iter()
        .any(|f| f.code == code && f.severity > phishprobe_core::Severity::Info)
}

const LURES: &[&str] = &[
    "Amazon: Your order #114-3941689-8772232 for Apple iPhone 15 Pro (US$1,299.00) has been placed. If you did not authorize this purchase, call +1 (888) 555-0142 immediately.",
    "PayPal: You have been charged $499.99 for Bitcoin. If this was not you, please contact PayPal billing at +1-808-555-0163 to cancel the transaction.",
    "Geek Squad: Your annual protection plan was renewed. Amount $349.99 charged to your account. To cancel and get a refund, call 1-888-555-0177 within 24 hours.",
    "Norton 360 subscription has been renewed for $399.99. If you did not authorize this charge, please call our billing department at +1 (808) 555-0199.",
    "McAfee Total Protection: invoice #MCF-88213 for $289.00 will be charged today. Not you? Call 1-877-555-0122.",
    "Call +1 888 555 0190 to cancel your order of $799.00 placed on your Amazon account today.",
    "【亚马逊】您的订单 114-3941689-8772232 已成功扣款 2999 元。如非本人操作，请致电 400-555-0188 取消。",
    "您的会员已自动续费 388 元，如需取消续费请拨打客服电话 021-5555-0166 办理退款。",
];

#[test]
fn callback_lures_are_phishing_in_english_and_chinese() {
    let (e, r) = setup();
    for s in LURES {
        let rep = check(&e, &r, s);
        assert!(
            has(&rep, "text.callback_transaction"),
            "no callback finding for {s:?}: {:?}",
            rep.findings.iter().map(|f| &f.code).collect::<Vec<_>>()
        );
        assert_eq!(rep.verdict, Verdict::Phishing, "{s:?}");
        let f = rep
            .findings
            .iter()
            .find(|f| f.code == "text.callback_transaction")
            .expect("finding");
        assert!(f.message.en.contains("Never call"), "{}", f.message.en);
        assert!(f.message.zh.contains("绝不要拨打"), "{}", f.message.zh);
        assert!(!f.evidence.is_empty());
    }
}

#[test]
fn brand_is_named_when_the_lure_claims_one() {
    let (e, r) = setup();
    let rep = check(&e, &r, LURES[0]);
    assert_eq!(rep.brand.as_deref(), Some("amazon"));
    let rep = check(&e, &r, LURES[1]);
    assert_eq!(rep.brand.as_deref(), Some("paypal"));
}

/// What must not fire: no transaction claimed, nothing disputed, no number given, advice.
#[test]
fn look_alikes_of_the_shape_do_not_fire() {
    let (e, r) = setup();
    let benign = [
        // A bank's one-time code: a number to call, but no transaction.
        "Your verification code is 482913. If you did not request this code, call us at 1-800-555-0100.",
        // A genuine order confirmation with a customer-service line: nothing disputed.
        "Thanks for your order #114-3941689-8772232 ($24.99). Questions about your order? Call customer service at 1-800-555-0111.",
        // A fraud alert that sends you to the number on your card: no number given.
        "Did you make a purchase of $500.00 at Walmart? If not, call the number on the back of your card.",
        // Advice.
        "Amazon will never ask you to call a number to cancel an order. If a message says you were charged, check Your Orders in the app.",
        "如果有人说您的订单扣款了，让您拨打电话取消，那是诈骗。请自己在亚马逊应用里查看订单。",
        // A number with no transaction claim.
        "Hi, it's Sam from the dentist's office, please call 020 7946 0321 to confirm Tuesday.",
        // A Chinese bank text with its 5-digit service number.
        "您尾号1234的储蓄卡3月1日消费500.00元。如非本人操作，请致电95588。",
    ];
    for s in benign {
        let rep = check(&e, &r, s);
        assert!(
            !has(&rep, "text.callback_transaction"),
            "callback fired on {s:?}"
        );
    }
}

/// Amazon's own published customer-service number (data/brands/amazon.toml) is what Amazon
/// asks you to call: the cue steps back to an Info note that still says to look it up.
#[test]
fn the_brands_published_number_steps_back() {
    let (e, r) = setup();
    let s = "Amazon: your order #114-3941689-8772232 for $1,299.00 was placed. If you did not authorize it, call +1 888 280 4331.";
    let rep = check(&e, &r, s);
    assert!(
        !has(&rep, "text.callback_transaction"),
        "{:?}",
        rep.findings
    );
    assert!(
        rep.findings
            .iter()
            .any(|f| f.code == "text.callback_number_published")
    );
    // The same text with another number is the lure.
    let lure = s.replace("+1 888 280 4331", "+1 888 555 0142");
    assert!(has(&check(&e, &r, &lure), "text.callback_transaction"));
}

#[test]
fn a_case_with_a_callback_lure_advises_never_to_call() {
    let (e, r) = setup();
    let rules = CaseRules::embedded().expect("case rules");
    let mut b = CaseBuilder::new(&e, &rules);
    b.add(PartKind::Text, check(&e, &r, LURES[0]));
    let c = b.build();
    assert_eq!(c.verdict, Verdict::Phishing);
    let a = c
        .advice
        .iter()
        .find(|a| a.code == "advice.never_call_message_number")
        .expect("never-call advice");
    assert!(a.message.en.contains("Never call"));
    assert!(a.message.en.contains("amazon.com"), "{}", a.message.en);
    assert!(a.message.zh.contains("绝不要拨打"));
    // Without a brand the generic wording stands in.
    let mut b = CaseBuilder::new(&e, &rules);
    b.add(PartKind::Text, check(&e, &r, LURES[7]));
    let c = b.build();
    assert!(
        c.advice
            .iter()
            .any(|a| a.code == "advice.never_call_message_number_any"),
        "{:?}",
        c.advice.iter().map(|a| &a.code).collect::<Vec<_>>()
    );
    // A case without the lure does not get it.
    let mut b = CaseBuilder::new(&e, &rules);
    b.add(
        PartKind::Text,
        check(
            &e,
            &r,
            "Your Amazon account was locked. Verify your identity now.",
        ),
    );
    let c = b.build();
    assert!(
        !c.advice
            .iter()
            .any(|a| a.code.starts_with("advice.never_call_message_number"))
    );
}
