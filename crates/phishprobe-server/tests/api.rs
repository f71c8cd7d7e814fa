//! The JSON API in-process on 127.0.0.1:0: answers equal the library's verdict model (what the
//! CLI prints with --json), structured errors, limits, token, rate limit, probe refusals, cases.

mod common;

use common::*;
use phishprobe_core::Engine;
use phishprobe_core::text::{self, TextRules};
use phishprobe_server::RateLimit;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_answer_the_verdict_model() {
    let s = start().await;
    let engine = Engine::embedded().unwrap();

    let h = get(&s, "/api/v1/health").await;
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["status"], "ok");
    assert_eq!(h.json()["cases"], true);

    // One link: exactly the library's report.
    let u = "https://amazon.co.jp.account-verify.top/ap/signin";
    let r = post_json(&s, "/api/v1/url", &json!({"url": u})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), serde_json::to_value(engine.check_url(u)).unwrap());
    assert_eq!(r.json()["verdict"], "phishing");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    // A list answers a list, in order.
    let r = post_json(
        &s,
        "/api/v1/url",
        &json!({"urls": [u, "https://sellercentral.amazon.com/"]}),
    )
    .await;
    let v = r.json();
    assert_eq!(v.as_array().map(Vec::len), Some(2));
    assert_eq!(v[1]["verdict"], "genuine");
    let bare = post_json(&s, "/api/v1/url", &json!(["sellercentral.amazon.com"])).await;
    assert_eq!(bare.json()[0]["verdict"], "genuine");

    // Email: the raw message as the body; the same fields as `phishprobe email --json`.
    let r = request(
        s.addr,
        "POST",
        "/api/v1/email?name=suspended.eml",
        &[("Content-Type", "message/rfc822")],
        PHISH_EML.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let direct =
        phishprobe_email::check_message(&engine, "suspended.eml", PHISH_EML.as_bytes()).unwrap();
    assert_eq!(v["verdict"], direct.report.verdict.as_str());
    assert_eq!(v["input"], "suspended.eml");
    assert_eq!(
        v["findings"],
        serde_json::to_value(&direct.report.findings).unwrap()
    );
    for k in ["sender", "authentication", "claims", "links", "attachments"] {
        assert!(v.get(k).is_some(), "{k} missing");
    }
    assert_ne!(v["verdict"], "genuine");

    // Text: disclosure and scam likelihood, as `phishprobe text --json`.
    let words = "This is Amazon Prime security. Your account was hacked. Install AnyDesk and tell us the code we sent you.";
    let r = post_json(&s, "/api/v1/text", &json!({"text": words})).await;
    let v = r.json();
    let rules = TextRules::embedded().unwrap();
    let a = text::analyze(&engine, &rules, words);
    assert_eq!(v["verdict"], "phishing");
    assert_eq!(v["disclosure"], true);
    assert_eq!(v["scam_likelihood"], json!(a.scam_score));
    assert_eq!(
        v["findings"],
        serde_json::to_value(text::report_from(v["input"].as_str().unwrap(), &a).findings).unwrap()
    );
    // Plain text body works too.
    let r = request(
        s.addr,
        "POST",
        "/api/v1/text",
        &[("Content-Type", "text/plain; charset=utf-8")],
        "请把验证码告诉我，我是亚马逊客服".as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());

    // Phone.
    let r = post_json(&s, "/api/v1/phone", &json!({"number": "+1 888-280-4331"})).await;
    let v = r.json();
    assert_eq!(v["e164"], "+18882804331");
    assert!(v.get("user_mark").is_some());
    let r = post_json(
        &s,
        "/api/v1/phone",
        &json!({"numbers": ["(010) 1234 5678"], "region": "CN"}),
    )
    .await;
    assert_eq!(r.json()[0]["country"], "CN", "{}", r.text());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_structured_with_stable_codes() {
    let s = start_with(|c, _| {
        c.max_json_bytes = 1000;
        c.max_email_bytes = 4000;
    })
    .await;
    let bad = request(
        s.addr,
        "POST",
        "/api/v1/url",
        &[("Content-Type", "application/json")],
        b"{not json",
    )
    .await
    .unwrap();
    assert_eq!((bad.status, bad.code().as_str()), (400, "bad_json"));
    let r = post_json(&s, "/api/v1/url", &json!({"link": "x"})).await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_input"));
    let r = post_json(&s, "/api/v1/url", &json!({"url": "  "})).await;
    assert_eq!(r.code(), "bad_input");
    let r = post_json(&s, "/api/v1/url", &json!({"url": "x".repeat(2000)})).await;
    assert_eq!((r.status, r.code().as_str()), (413, "body_too_large"));
    let big = format!("{PHISH_EML}{}", "A".repeat(5000));
    let r = request(s.addr, "POST", "/api/v1/email", &[], big.as_bytes())
        .await
        .unwrap();
    assert_eq!((r.status, r.code().as_str()), (413, "body_too_large"));
    let r = post_json(
        &s,
        "/api/v1/phone",
        &json!({"number": "123", "region": "XX"}),
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_region"));
    let r = get(&s, "/api/v1/nope").await;
    assert_eq!((r.status, r.code().as_str()), (404, "route_not_found"));
    let r = get(&s, "/api/v1/url").await;
    assert_eq!((r.status, r.code().as_str()), (405, "method_not_allowed"));
    let r = get(&s, "/api/v1/probe/0123456789abcdef").await;
    assert_eq!((r.status, r.code().as_str()), (404, "probe_job_not_found"));
    let r = get(&s, "/api/v1/cases/zzzzzzzzzzzz").await;
    assert_eq!((r.status, r.code().as_str()), (404, "case_not_found"));
    // Every code used is one of the documented ones.
    let doc: Value = serde_json::from_str(phishprobe_server::OPENAPI).unwrap();
    let documented =
        &doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"];
    for c in phishprobe_server::error::CODES {
        assert!(
            documented.as_array().unwrap().iter().any(|d| d == c),
            "{c} not in openapi.json"
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_rate_limit_and_bind_rules() {
    let token = "test-token-0123456789";
    let s = start_with(|c, _| {
        c.token = Some(token.into());
        c.rate_limit = RateLimit {
            per_second: 1.0,
            burst: 6,
        };
    })
    .await;
    let body = br#"{"url":"example.com"}"#;
    let r = request(s.addr, "POST", "/api/v1/url", &[], body)
        .await
        .unwrap();
    assert_eq!((r.status, r.code().as_str()), (401, "unauthorized"));
    let wrong = request(
        s.addr,
        "POST",
        "/api/v1/url",
        &[("Authorization", "Bearer test-token-0123456780")],
        body,
    )
    .await
    .unwrap();
    assert_eq!(wrong.status, 401);
    let bearer = format!("Bearer {token}");
    let r = request(
        s.addr,
        "POST",
        "/api/v1/url",
        &[("Authorization", bearer.as_str())],
        body,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let r = request(
        s.addr,
        "POST",
        "/api/v1/url",
        &[("X-Phishprobe-Token", token)],
        body,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    // The page asks for the token.
    let page = get(&s, "/").await;
    assert!(page.text().contains("data-token-required=\"1\""));
    // Health is open (5 requests so far: the start-up probe and four above).
    let r = get(&s, "/api/v1/health").await;
    assert_eq!(r.status, 200);
    // The bucket (6, refilling at 1/s) runs dry.
    let mut limited = None;
    for _ in 0..5 {
        let r = get(&s, "/api/v1/health").await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("rate limited");
    assert_eq!(r.code(), "rate_limited");
    assert!(r.header("retry-after").is_some());
    s.stop().await;

    // Any address but loopback needs a token: the server refuses to start.
    let l = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let res = phishprobe_server::serve(phishprobe_server::ServerConfig::default(), l).await;
    assert!(
        matches!(res, Err(phishprobe_server::ServeError::TokenRequired(_))),
        "{res:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_refuses_private_targets() {
    let s = start().await;
    for u in [
        "http://127.0.0.1:9/login",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://localhost:8080/",
        "http://10.0.0.1/",
    ] {
        let r = post_json(&s, "/api/v1/probe", &json!({"url": u})).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "probe_target_refused"),
            "{u}: {}",
            r.text()
        );
    }
    let r = post_json(&s, "/api/v1/probe", &json!({"url": "file:///etc/passwd"})).await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_input"));
    // Nothing was queued, no browser started.
    let h = get(&s, "/api/v1/health").await.json();
    assert_eq!(h["probe"]["browser_started"], false);
    assert_eq!(h["probe"]["queued"], 0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_are_saved_listed_and_read_back() {
    let s = start().await;
    let r = post_json(
        &s,
        "/api/v1/cases",
        &json!({
            "urls": ["https://sellercentral-amazon.account-reset.top/login"],
            "phones": ["+1 206 555 0100"],
            "texts": ["Amazon Seller Support here. Your store will be closed today. Tell me the verification code we just sent you."],
            "email": {"name": "suspended.eml", "message": PHISH_EML},
        }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let c = r.json();
    assert_eq!(c["report"]["verdict"], "phishing");
    assert!(
        c["report"]["steps"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    assert!(
        c["report"]["advice"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    let id = c["id"].as_str().unwrap().to_string();

    let r = get(&s, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["report"], c["report"]);
    assert_eq!(r.json()["inputs"].as_array().map(Vec::len), Some(4));
    let r = get(&s, "/api/v1/cases?limit=10").await;
    let list = r.json();
    assert_eq!(list["cases"][0]["id"], id.as_str());
    assert_eq!(list["cases"][0]["verdict"], "phishing");
    let r = get(&s, &format!("/api/v1/cases/{id}/report.html?lang=zh")).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("钓鱼"));

    // Probe asked for, but the link is a private address: saved with the step not run.
    let r = post_json(
        &s,
        "/api/v1/cases",
        &json!({"urls": ["http://127.0.0.1:9/ap/signin"], "probe": true, "keep_inputs": false}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let steps = r.json()["report"]["steps"].clone();
    let wp = steps
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "wrong_password")
        .cloned()
        .unwrap();
    assert_eq!(wp["status"], "not_run", "{wp}");
    assert_eq!(r.json()["inputs_kept"], false);

    let r = post_json(&s, "/api/v1/cases", &json!({})).await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_input"));
    let r = post_json(&s, "/api/v1/cases", &json!({"urls": "x"})).await;
    assert_eq!(r.code(), "bad_input");
    s.stop().await;
}
