use super::*;

fn knowledge() -> Knowledge {
    Knowledge::embedded().expect("embedded data loads")
}

fn typed(top: &str, title: &str) -> PageFacts {
    PageFacts {
        top_url: top.into(),
        password: PasswordField {
            present: true,
            typed: true,
            masked_text: false,
        },
        claims: PageClaims {
            title: title.into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn brand_sign_in_on_a_foreign_host_warns() {
    let e = knowledge();
    let v = check(
        &e,
        &typed("https://secure-login.example.org/signin", "Amazon Sign-In"),
    );
    assert!(v.warn, "{v:#?}");
    assert_eq!(v.report.verdict, Verdict::Phishing);
    assert!(v.report.has("page.brand_login_off_brand"));
    assert_eq!(v.claimed_brand.as_deref(), Some("amazon"));
    assert_eq!(v.brand_name.as_ref().map(|m| m.en.as_str()), Some("Amazon"));
}

#[test]
fn the_brand_own_sign_in_is_genuine_and_quiet() {
    let e = knowledge();
    let v = check(
        &e,
        &typed(
            "https://www.amazon.com/ap/signin?openid=x",
            "Amazon Sign-In",
        ),
    );
    assert!(!v.warn, "{v:#?}");
    assert_eq!(v.report.verdict, Verdict::Genuine);
    assert!(!v.report.has("page.brand_login_off_brand"));
}

#[test]
fn a_page_without_a_brand_claim_gets_no_warning() {
    let e = knowledge();
    let v = check(
        &e,
        &typed("https://forum.example.org/login", "Members' login"),
    );
    assert!(!v.warn, "{v:#?}");
    assert_eq!(v.claimed_brand, None);
    // Even on a cheap TLD: suspicious addresses alone are not a reason to interrupt typing.
    let v = check(&e, &typed("https://my-blog.top/wp-login.php", "Log in"));
    assert!(!v.warn, "{v:#?}");
}

#[test]
fn a_look_alike_address_is_a_claim_by_itself() {
    let e = knowledge();
    let v = check(
        &e,
        &typed("https://amazon-account-verify.top/signin", "Sign in"),
    );
    assert!(v.warn, "{v:#?}");
    assert_eq!(v.report.brand.as_deref(), Some("amazon"));
}

#[test]
fn no_password_field_no_warning() {
    let e = knowledge();
    let mut f = typed("https://secure-login.example.org/signin", "Amazon Sign-In");
    f.password = PasswordField::default();
    let v = check(&e, &f);
    assert!(!v.warn);
    assert!(!v.report.has("page.brand_login_off_brand"));
}

#[test]
fn a_login_frame_is_judged_with_the_page_around_it() {
    let e = knowledge();
    // A look-alike login frame inside a harmless page.
    let mut f = typed("https://news.example.org/story", "Local news");
    f.frame_url = Some("https://amazon-account-verify.top/frame".into());
    f.claims = PageClaims::default();
    let v = check(&e, &f);
    assert!(v.warn, "{v:#?}");
    assert_eq!(v.report.input, "https://amazon-account-verify.top/frame");
    // A page that says Amazon around a login frame on someone else's host.
    let mut f = typed("https://deals.example.org/", "Amazon Sign-In");
    f.top_claims = Some(f.claims.clone());
    f.claims = PageClaims::default();
    f.frame_url = Some("https://auth.example.net/login".into());
    let v = check(&e, &f);
    assert!(v.warn, "{v:#?}");
    assert!(
        v.report
            .findings
            .iter()
            .any(|x| x.evidence == "page claims amazon; host auth.example.net")
    );
}

#[test]
fn a_form_that_posts_elsewhere_is_judged_by_its_receiver() {
    let e = knowledge();
    let mut f = typed("https://www.amazon.com/ap/signin", "Amazon Sign-In");
    f.form_action = Some("https://collect.example.net/p.php".into());
    let v = check(&e, &f);
    assert!(v.warn, "{v:#?}");
    assert!(
        v.report
            .findings
            .iter()
            .any(|x| x.evidence == "page claims amazon; host collect.example.net")
    );
}

#[test]
fn frames_without_an_address_of_their_own() {
    let e = knowledge();
    // about:blank shows its parent's content and address.
    let mut f = typed("https://www.amazon.com/ap/signin", "Amazon Sign-In");
    f.frame_url = Some("about:blank".into());
    assert!(!check(&e, &f).warn);
    let mut f = typed("https://secure-login.example.org/", "Amazon Sign-In");
    f.frame_url = Some("about:srcdoc".into());
    assert!(check(&e, &f).warn);
    // data: pages have no address a brand could own.
    let v = check(
        &e,
        &typed(
            "data:text/html,<title>Amazon Sign-In</title>",
            "Amazon Sign-In",
        ),
    );
    assert!(v.warn, "{v:#?}");
    // blob: pages belong to the page that made them.
    let v = check(
        &e,
        &typed("blob:https://www.amazon.com/8b2c-11", "Amazon Sign-In"),
    );
    assert!(!v.warn, "{v:#?}");
    // Garbage addresses are judged, not a panic.
    for top in [
        "",
        "::::",
        "http://",
        "javascript:alert(1)",
        "https://[::1",
        "\u{0}",
    ] {
        let v = check(&e, &typed(top, "Amazon Sign-In"));
        assert!(v.warn, "{top:?}: {v:#?}");
    }
}

#[test]
fn reuse_of_an_enrolled_password_off_its_brand() {
    let e = knowledge();
    let mut f = typed("https://forum.example.org/login", "Members' login");
    f.reused = Some(ReusedPassword {
        brand: "amazon".into(),
        enrolled_on: "sellercentral.amazon.com".into(),
    });
    let v = check(&e, &f);
    assert!(v.warn, "{v:#?}");
    assert!(v.report.has("page.password_reused"));
    assert_eq!(
        v.change_password_at.as_deref(),
        Some("sellercentral.amazon.com")
    );
    // An enrolment place that is not the brand's is not repeated as advice.
    f.reused = Some(ReusedPassword {
        brand: "amazon".into(),
        enrolled_on: "evil.example".into(),
    });
    assert_eq!(
        check(&e, &f).change_password_at.as_deref(),
        Some("amazon.com")
    );
    // Typed on the brand's own site: that is where it belongs.
    let mut f = typed("https://www.amazon.com/ap/signin", "Amazon Sign-In");
    f.reused = Some(ReusedPassword {
        brand: "amazon".into(),
        enrolled_on: "www.amazon.com".into(),
    });
    let v = check(&e, &f);
    assert!(!v.warn && !v.report.has("page.password_reused"), "{v:#?}");
}

#[test]
fn masked_text_fields_are_named() {
    let e = knowledge();
    let mut f = typed("https://secure-login.example.org/", "Amazon Sign-In");
    f.password.masked_text = true;
    assert!(check(&e, &f).report.has("page.masked_text_password"));
}

#[test]
fn page_facts_json_rejects_unknown_fields() {
    let ok: Result<PageFacts, _> = serde_json::from_str(r#"{"top_url":"https://x.org/"}"#);
    assert!(ok.is_ok());
    let bad: Result<PageFacts, _> = serde_json::from_str(r#"{"top":"https://x.org/"}"#);
    assert!(bad.is_err());
}

#[test]
fn customer_content_under_a_brand_domain_is_not_the_brand() {
    let e = knowledge();
    let v = check(
        &e,
        &typed(
            "https://seller-verify.s3.amazonaws.com/index.html",
            "Amazon Sign-In",
        ),
    );
    assert!(v.warn, "{v:#?}");
    assert!(v.report.has("page.brand_login_off_brand"));
}

#[test]
fn the_query_of_a_genuine_page_cannot_make_it_phishing() {
    let e = knowledge();
    let v = check(
        &e,
        &typed(
            "https://www.amazon.com/ap/signin?openid.return_to=https://amazon-verify.top/x&next=http://paypa1.top",
            "Amazon Sign-In",
        ),
    );
    assert!(!v.warn, "{v:#?}");
    assert_eq!(v.report.verdict, Verdict::Genuine);
}

#[test]
fn a_third_party_frame_on_the_brand_own_page_is_judged_on_its_own_claims() {
    let e = knowledge();
    // A bank's 3-D Secure frame inside the genuine checkout: no brand claim of its own.
    let mut f = typed("https://www.amazon.com/checkout/pay", "Amazon Checkout");
    f.top_claims = Some(f.claims.clone());
    f.claims = PageClaims {
        title: "Verify your payment".into(),
        ..Default::default()
    };
    f.frame_url = Some("https://secure.examplebank-3ds.com/challenge".into());
    let v = check(&e, &f);
    assert!(!v.warn, "{v:#?}");
    // The same frame claiming Amazon itself is still an impostor.
    f.claims.title = "Amazon Sign-In".into();
    assert!(check(&e, &f).warn);
}
