//! The OpenAPI document matches the implementation: every documented route and method is
//! answered (never the router's own `route_not_found` / `method_not_allowed`), and every route
//! the router serves is documented.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

fn documented() -> BTreeSet<(String, String)> {
    let doc: Value = serde_json::from_str(phishprobe_server::OPENAPI).expect("valid JSON");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "OpenAPI 3"
    );
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                out.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let doc = documented();
    let routes: BTreeSet<(String, String)> = phishprobe_server::route_list().into_iter().collect();
    let undocumented: Vec<_> = routes.difference(&doc).collect();
    let missing: Vec<_> = doc.difference(&routes).collect();
    assert!(
        undocumented.is_empty(),
        "not in openapi.json: {undocumented:?}"
    );
    assert!(missing.is_empty(), "documented but not routed: {missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_route_answers() {
    let s = start().await;
    let served = get(&s, "/api/v1/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(
        served.json(),
        serde_json::from_str::<Value>(phishprobe_server::OPENAPI).unwrap()
    );
    for (method, path) in documented() {
        let concrete = path
            .replace("{id}", "abcd1234")
            .replace("{n}", "1")
            .replace("{name}", "01-landing.png");
        // A probe POST would start a browser: give it a refused target instead.
        let body: &[u8] = if concrete == "/api/v1/probe" {
            br#"{"url":"http://127.0.0.1:9/"}"#
        } else {
            b"{}"
        };
        let headers: &[(&str, &str)] = if method == "POST" {
            &[("Content-Type", "application/json")]
        } else {
            &[]
        };
        let r = request(s.addr, &method, &concrete, headers, body)
            .await
            .expect("request");
        let code = if r.status >= 400 {
            serde_json::from_slice::<Value>(&r.body)
                .ok()
                .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
                .unwrap_or_default()
        } else {
            String::new()
        };
        assert!(
            r.status != 405 && code != "route_not_found" && code != "method_not_allowed",
            "{method} {concrete}: {} {}",
            r.status,
            r.text()
        );
        assert!(
            r.status < 500 || code == "cases_unavailable",
            "{method} {concrete}: {}",
            r.text()
        );
    }
    s.stop().await;
}

/// The documented region codes are exactly the two-letter codes the server accepts (the
/// phone-number metadata's regions), so a schema-valid region is never `bad_region`.
#[test]
fn region_enum_matches_the_phone_metadata() {
    let doc: Value = serde_json::from_str(phishprobe_server::OPENAPI).expect("valid JSON");
    let documented: BTreeSet<String> = doc["components"]["schemas"]["Region"]["enum"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut accepted = BTreeSet::new();
    for a in b'A'..=b'Z' {
        for b in b'A'..=b'Z' {
            let code = String::from_utf8(vec![a, b]).unwrap();
            if phishprobe_core::phone::parse_region(&code).is_some() {
                accepted.insert(code);
            }
        }
    }
    assert!(accepted.len() > 200, "{accepted:?}");
    assert_eq!(
        documented,
        accepted,
        "accepted: {}",
        serde_json::to_string(&accepted).unwrap()
    );
}
