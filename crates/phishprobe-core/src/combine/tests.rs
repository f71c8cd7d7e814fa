use super::*;
use crate::model::ReportBuilder;

fn setup() -> (Knowledge, CaseRules) {
    (
        Knowledge::embedded().expect("embedded knowledge"),
        CaseRules::embedded().expect("embedded case rules"),
    )
}

fn text_report(knowledge: &Knowledge, s: &str) -> Report {
    let rules = crate::text::TextRules::embedded().expect("text rules");
    crate::text::check(knowledge, &rules, "call", s)
}

#[test]
fn remote_access_call_is_phishing_with_remote_advice() {
    let (e, r) = setup();
    let mut b = CaseBuilder::new(&e, &r);
    b.add(
        PartKind::Text,
        text_report(
            &e,
            "This is Amazon Prime Security. Your account was hacked. Please install AnyDesk so our technician can secure it.",
        ),
    );
    b.add(
        PartKind::Phone,
        crate::phone::check(&e, "+1 206 555 0100", None, None),
    );
    let c = b.build();
    assert_eq!(c.verdict, Verdict::Phishing);
    assert_eq!(c.brand.as_deref(), Some("amazon"));
    let ask = &c.steps[0];
    assert_eq!(ask.id, StepId::Ask);
    assert_eq!(ask.verdict, Some(Verdict::Phishing));
    assert!(ask.findings.iter().any(|f| f.code == "text.remote_access"));
    assert_eq!(c.steps[1].status, StepStatus::Done, "phone checked");
    assert_eq!(c.steps[3].status, StepStatus::NothingToCheck, "no email");
    let codes: Vec<&str> = c.advice.iter().map(|a| a.code.as_str()).collect();
    assert!(codes.contains(&"advice.if_remote_installed"), "{codes:?}");
    assert!(codes.contains(&"advice.caller_id"));
    assert!(codes.contains(&"advice.report"));
    let typed = c.advice.iter().find(|a| a.code == "advice.type_address");
    assert!(typed.is_some_and(|a| a.message.en.contains("https://sellercentral.amazon.com")));
    assert!(!codes.contains(&"advice.type_address_any"));
}

#[test]
fn official_link_alone_is_genuine_but_asks_for_the_probe_only_when_unknown() {
    let (e, r) = setup();
    let mut b = CaseBuilder::new(&e, &r);
    b.add(
        PartKind::Url,
        crate::url::check(&e, "https://sellercentral.amazon.com/"),
    );
    let c = b.build();
    assert_eq!(c.verdict, Verdict::Genuine);
    assert_eq!(c.steps[2].verdict, Some(Verdict::Genuine));
    assert!(
        c.advice
            .iter()
            .any(|a| a.code == "advice.genuine_still_careful")
    );
    assert!(
        !c.advice
            .iter()
            .any(|a| a.code == "advice.do_not_enter_password")
    );

    let mut b = CaseBuilder::new(&e, &r);
    b.add(
        PartKind::Url,
        crate::url::check(&e, "https://login.example-shop.net/"),
    );
    let c = b.build();
    assert_eq!(c.verdict, Verdict::Unknown);
    let probe = &c.steps[4];
    assert_eq!(probe.status, StepStatus::NotRun);
    assert!(probe.summary.en.contains("--probe"));
    assert!(
        c.advice
            .iter()
            .any(|a| a.code == "advice.do_wrong_password_test")
    );
}

#[test]
fn a_genuine_link_does_not_make_an_unknown_link_genuine() {
    let (e, r) = setup();
    let mut b = CaseBuilder::new(&e, &r);
    b.add(
        PartKind::Url,
        crate::url::check(&e, "https://www.amazon.com/"),
    );
    b.add(PartKind::Url, crate::url::check(&e, "https://example.org/"));
    assert_eq!(b.build().verdict, Verdict::Unknown);
}

#[test]
fn links_found_inside_count_for_the_website_step_but_are_not_inputs() {
    let (e, r) = setup();
    let mut b = CaseBuilder::new(&e, &r);
    b.add(
        PartKind::Link,
        crate::url::check(&e, "https://www.amazon.com/gp/css/"),
    );
    b.add(
        PartKind::Link,
        crate::url::check(&e, "https://example.org/track"),
    );
    let c = b.build();
    assert_eq!(c.input, "(empty case)", "links found inside are not inputs");
    let website = &c.steps[2];
    assert_eq!(website.id, StepId::Website);
    assert_eq!(website.status, StepStatus::Done);
    assert_eq!(website.reports.len(), 2);
    // One unknown link keeps the case from being called genuine.
    assert_eq!(c.verdict, Verdict::Unknown);
}

#[test]
fn probe_acceptance_decides_and_failure_is_not_run() {
    let (e, r) = setup();
    let mut accepted = ReportBuilder::new("https://shop-login.example/");
    accepted.push(Finding::new(
        "probe.decoy_accepted",
        Severity::Critical,
        Message::new("took a wrong password", "接受了错误密码"),
        "decoy",
    ));
    let mut b = CaseBuilder::new(&e, &r);
    b.add(
        PartKind::Url,
        crate::url::check(&e, "https://shop-login.example/"),
    );
    b.probe(ProbeStatus::Ran {
        url: "https://shop-login.example/".into(),
        report: accepted.build(),
    });
    let c = b.build();
    assert_eq!(c.verdict, Verdict::Phishing);
    assert_eq!(c.steps[4].status, StepStatus::Done);
    assert_eq!(c.steps[4].verdict, Some(Verdict::Phishing));
    assert!(
        c.steps[0]
            .findings
            .iter()
            .any(|f| f.code == "probe.decoy_accepted")
    );

    let mut b = CaseBuilder::new(&e, &r);
    b.add(
        PartKind::Url,
        crate::url::check(&e, "https://shop-login.example/"),
    );
    b.probe(ProbeStatus::Failed(Message::new(
        "no browser",
        "没有浏览器",
    )));
    let c = b.build();
    assert_eq!(c.steps[4].status, StepStatus::NotRun);
    assert_eq!(c.steps[4].verdict, None);
    assert!(c.steps[4].summary.en.contains("no browser"));
    assert_eq!(c.verdict, Verdict::Unknown, "a failed probe proves nothing");
}

#[test]
fn empty_case_is_unknown_and_every_step_is_listed() {
    let (e, r) = setup();
    let c = CaseBuilder::new(&e, &r).build();
    assert_eq!(c.verdict, Verdict::Unknown);
    assert_eq!(c.steps.len(), 5);
    assert!(c.advice.iter().any(|a| a.code == "advice.type_address_any"));
    let json = serde_json::to_value(&c).expect("serialise");
    for key in [
        "input", "verdict", "brand", "score", "findings", "steps", "advice",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
}

#[test]
fn bad_rules_name_the_problem() {
    let err = CaseRules::from_toml(
        "case.toml",
        "[[ask]]\ncategory='x'\nen='a'\nzh='b'\ncodes=[]\n[[step]]\nid='nope'\ncodes=[]\n[[advice]]\ncode='a'\nwhen=['phishing']\nen='x'\nzh='y'\n",
    )
    .expect_err("unknown step");
    assert!(err.to_string().contains("nope"), "{err}");
    let err = CaseRules::from_toml("case.toml", "[[ask]\n").expect_err("syntax");
    assert!(err.to_string().starts_with("case.toml:1"), "{err}");
}
