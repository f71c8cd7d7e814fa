//! The Host and cross-origin checks over real HTTP (in-process server on 127.0.0.1:0): the
//! requests the issue reported as obeyed are refused and create nothing, the server's own
//! origin and plain clients keep working, CORS appears only for configured origins. The same
//! attacks from a real browser are in `tests/browser.rs`.

mod common;

use common::*;

const CASE: &str = r#"{"urls":["https://sellercentral-amazon.account-reset.top/login"]}"#;

async fn case_count(s: &Server) -> usize {
    let r = get(s, "/api/v1/cases?limit=100").await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["cases"].as_array().map_or(0, Vec::len)
}

fn no_cors(r: &Resp) {
    for h in [
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
    ] {
        assert_eq!(r.header(h), None, "{h} sent: {:?}", r.headers);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_simple_posts_are_refused_and_create_nothing() {
    let s = start().await;
    // Exactly the report: a text/plain POST (no preflight in a browser) from another site.
    for (origin, site) in [
        (Some("https://evil.example"), None),
        (Some("null"), None),
        (Some("http://127.0.0.1:1"), Some("same-site")),
        (None, Some("cross-site")),
        (None, Some("same-site")),
    ] {
        let mut h = vec![("Content-Type", "text/plain")];
        h.extend(origin.map(|o| ("Origin", o)));
        h.extend(site.map(|v| ("Sec-Fetch-Site", v)));
        for path in ["/api/v1/cases", "/api/v1/probe", "/api/v1/url"] {
            let body = if path == "/api/v1/probe" {
                r#"{"url":"https://example.com/"}"#
            } else {
                CASE
            };
            let r = request(s.addr, "POST", path, &h, body.as_bytes())
                .await
                .unwrap();
            assert_eq!(
                (r.status, r.code().as_str()),
                (403, "cross_origin_refused"),
                "{path} {h:?}: {}",
                r.text()
            );
            no_cors(&r);
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        }
    }
    assert_eq!(case_count(&s).await, 0, "a refused request saved a case");
    let h = get(&s, "/api/v1/health").await.json();
    assert_eq!(h["probe"]["queued"], 0);
    assert_eq!(h["probe"]["browser_started"], false);

    // The page's own requests (same origin) and plain clients (no Origin) still work.
    let own = format!("http://{}", s.addr);
    let r = request(
        s.addr,
        "POST",
        "/api/v1/cases",
        &[
            ("Content-Type", "application/json"),
            ("Origin", own.as_str()),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        CASE.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    no_cors(&r);
    let r = post_json(&s, "/api/v1/cases", &serde_json::from_str(CASE).unwrap()).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(case_count(&s).await, 2);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_host_names_are_refused() {
    let s = start_with(|c, _| c.allowed_hosts = vec!["phishprobe.lan".into()]).await;
    let r = post_json(&s, "/api/v1/cases", &serde_json::from_str(CASE).unwrap()).await;
    assert_eq!(r.status, 201);
    let port = s.addr.port();
    // DNS rebinding: the attacker's name now points at 127.0.0.1, the browser sends it as Host.
    for host in [
        format!("attacker.example:{port}"),
        "attacker.example".to_string(),
        format!("localhost:{}", port.wrapping_add(1)),
        format!("127.0.0.1.nip.example:{port}"),
    ] {
        for path in [
            "/api/v1/cases",
            "/",
            "/api/v1/health",
            "/api/v1/openapi.json",
        ] {
            let r = request_to_host(s.addr, Some(&host), "GET", path, &[], b"")
                .await
                .unwrap();
            assert_eq!(
                (r.status, r.code().as_str()),
                (421, "host_not_allowed"),
                "{host} {path}"
            );
            assert!(!r.text().contains("account-reset"), "{}", r.text());
        }
    }
    let r = request_to_host(s.addr, None, "GET", "/api/v1/cases", &[], b"")
        .await
        .unwrap();
    assert_eq!(r.status, 421, "no Host at all: {}", r.text());
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "phishprobe.lan".to_string(),
        "PhishProbe.LAN:443".to_string(),
    ] {
        let r = request_to_host(s.addr, Some(&host), "GET", "/api/v1/cases", &[], b"")
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{host}: {}", r.text());
        assert_eq!(r.json()["cases"].as_array().map(Vec::len), Some(1));
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_reads_refused_but_navigation_allowed() {
    let s = start().await;
    let r = post_json(&s, "/api/v1/cases", &serde_json::from_str(CASE).unwrap()).await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let img = [
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Mode", "no-cors"),
        ("Sec-Fetch-Dest", "image"),
    ];
    for path in [
        "/api/v1/cases".to_string(),
        format!("/api/v1/cases/{id}"),
        format!("/api/v1/cases/{id}/report.html"),
    ] {
        let r = request(s.addr, "GET", &path, &img, b"").await.unwrap();
        assert_eq!((r.status, r.code().as_str()), (403, "cross_origin_refused"));
        no_cors(&r);
    }
    // Following a link to a report from elsewhere (a top-level navigation) works: the linking
    // page cannot read what opens.
    let nav = [
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Mode", "navigate"),
        ("Sec-Fetch-Dest", "document"),
    ];
    let path = format!("/api/v1/cases/{id}/report.html");
    let r = request(s.addr, "GET", &path, &nav, b"").await.unwrap();
    assert_eq!(r.status, 200);
    no_cors(&r);
    // A preflight from any origin gets no CORS answer (so a JSON POST is never sent).
    let r = request(
        s.addr,
        "OPTIONS",
        "/api/v1/cases",
        &[
            ("Origin", "https://evil.example"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        b"",
    )
    .await
    .unwrap();
    assert!(r.status >= 400, "{}", r.status);
    no_cors(&r);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_origins_get_cors_and_only_they() {
    let tools = "http://tools.example:3000";
    let s = start_with(|c, _| c.allowed_origins = vec![format!("{tools}/")]).await;
    let r = request(
        s.addr,
        "OPTIONS",
        "/api/v1/cases",
        &[
            ("Origin", tools),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "content-type, x-phishprobe-token",
            ),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some(tools));
    assert!(
        r.header("access-control-allow-headers")
            .is_some_and(|h| h.contains("content-type") && h.contains("x-phishprobe-token"))
    );
    assert_eq!(r.header("access-control-allow-credentials"), None);
    let r = request(
        s.addr,
        "POST",
        "/api/v1/cases",
        &[
            ("Origin", tools),
            ("Content-Type", "application/json"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        CASE.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some(tools));
    // Near misses are strangers.
    for other in [
        "http://tools.example:3001",
        "https://tools.example:3000",
        "http://tools.example",
    ] {
        let r = request(
            s.addr,
            "POST",
            "/api/v1/url",
            &[("Origin", other), ("Content-Type", "application/json")],
            br#"{"url":"example.com"}"#,
        )
        .await
        .unwrap();
        assert_eq!(r.code(), "cross_origin_refused", "{other}");
        no_cors(&r);
    }
    s.stop().await;

    // A wildcard or a path is not an origin: the server refuses to start with it.
    for bad in ["*", "http://tools.example/app"] {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(&dir);
        cfg.allowed_origins = vec![bad.into()];
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let res = phishprobe_server::serve(cfg, l).await;
        assert!(
            matches!(res, Err(phishprobe_server::ServeError::Site(_))),
            "{bad}: {res:?}"
        );
    }
}
