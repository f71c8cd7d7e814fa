//! Who may talk to the server: the `Host` check (against DNS rebinding) and the cross-origin
//! check (against other web pages in the person's browser).
//!
//! Why: `phishprobe serve` runs on the person's own machine while they browse. Any page they
//! visit can send "simple" requests (a form post, a `text/plain` fetch, an `<img>`) to
//! `127.0.0.1:8080` without a preflight, and a page on an attacker's domain that re-resolves to
//! 127.0.0.1 (DNS rebinding) becomes same-origin with the server and can read its answers — the
//! case history holds people's emails. So:
//!
//! 1. **Host**: a request is answered only when its `Host` names this server: the listen
//!    address, `localhost` / `127.0.0.1` / `[::1]` with the listen port, a name the operator
//!    configured, or — when listening on every interface (0.0.0.0 / ::) — any IP literal with
//!    the port. An IP literal cannot be re-bound, only a name can. Refused: 421.
//! 2. **State-changing methods** (everything but GET, HEAD, OPTIONS): refused when `Origin`
//!    is present and is not the server's own origin, or when `Sec-Fetch-Site` is `cross-site`
//!    or `same-site` (another port on 127.0.0.1 is *same-site*). `same-origin`, `none` and a
//!    missing header (curl, scripts) are fine. Refused: 403.
//! 3. **API reads** (GET/HEAD under `/api/`): the browser's same-origin policy already keeps
//!    the answers from other pages (no CORS headers are sent), but a cross-site `<img>` or
//!    `<script>` still *loads* them, and whether it loads tells whether a case or screenshot
//!    exists. So cross-site and same-site reads are refused too, except top-level navigations
//!    (a person following a link to a report), as in the usual fetch-metadata isolation policy.
//! 4. **CORS** only for origins the operator listed, compared exactly; then those origins may
//!    call the API from their pages (preflights answered), and nobody else.

use std::net::{IpAddr, SocketAddr};

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The accepted `Host` names and CORS origins of one running server.
#[derive(Debug, Clone)]
pub(crate) struct SitePolicy {
    port: u16,
    listen_ip: IpAddr,
    /// Listening on 0.0.0.0 or `::`: any IP literal with the port is this server.
    any_interface: bool,
    /// Operator-configured names: `(name, None)` for any port, `(name, Some(port))` for one.
    names: Vec<(String, Option<u16>)>,
    /// Exact origins allowed to call the API cross-origin (lowercase, no trailing slash).
    origins: Vec<String>,
}

/// What the guard does with one request.
pub(crate) enum Decision {
    /// Answer it; with the origin to echo in `Access-Control-Allow-Origin` when configured.
    Allow(Option<HeaderValue>),
    /// A CORS preflight from a configured origin: answer it here.
    Preflight(HeaderValue),
    Refuse(ApiError),
}

/// A `--allowed-host` or `--allow-origin` value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SiteConfigError {
    /// Not a host name, `name:port` or `[IPv6]:port`.
    #[error("allowed host {0:?} is not a host name, `name:port` or `[IPv6]:port`")]
    BadHost(String),
    /// Not exactly a scheme, host and optional port.
    #[error(
        "allowed origin {0:?} must be exactly `http://host[:port]` or `https://host[:port]` (no path, no `*`)"
    )]
    BadOrigin(String),
}

impl SitePolicy {
    pub(crate) fn new(
        listen: SocketAddr,
        hosts: &[String],
        origins: &[String],
    ) -> Result<SitePolicy, SiteConfigError> {
        let names = hosts
            .iter()
            .map(|h| parse_allowed_host(h).ok_or_else(|| SiteConfigError::BadHost(h.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        let origins = origins
            .iter()
            .map(|o| normalise_origin(o).ok_or_else(|| SiteConfigError::BadOrigin(o.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SitePolicy {
            port: listen.port(),
            listen_ip: listen.ip(),
            any_interface: listen.ip().is_unspecified(),
            names,
            origins,
        })
    }

    /// Whether a `Host` header value names this server.
    pub(crate) fn host_allowed(&self, host: &str) -> bool {
        let Some((name, port)) = split_host(host) else {
            return false;
        };
        let name = name.to_ascii_lowercase();
        let name = name.strip_suffix('.').unwrap_or(&name);
        let configured = self
            .names
            .iter()
            .any(|(n, p)| n == name && p.is_none_or(|p| p == port.unwrap_or(80)));
        if configured {
            return true;
        }
        if port.unwrap_or(80) != self.port {
            return false;
        }
        if name == "localhost" {
            return true;
        }
        match name.parse::<IpAddr>() {
            Ok(ip) => {
                ip == IpAddr::from([127, 0, 0, 1])
                    || ip == IpAddr::from(std::net::Ipv6Addr::LOCALHOST)
                    || ip == self.listen_ip
                    || self.any_interface
            }
            Err(_) => false,
        }
    }

    /// The decision for one request (headers and method only; bodies are never read here).
    pub(crate) fn judge(&self, req: &Request) -> Decision {
        let h = req.headers();
        let host = h
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| req.uri().authority().map(|a| a.as_str().to_string()));
        let host = match host {
            Some(host) if self.host_allowed(&host) => host,
            _ => return Decision::Refuse(host_refused()),
        };
        let origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let cors = origin.and_then(|o| self.configured_origin(o));
        if let Some(o) = &cors
            && req.method() == Method::OPTIONS
            && h.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return Decision::Preflight(o.clone());
        }
        if cors.is_some() {
            return Decision::Allow(cors);
        }
        let site = h
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        let other_site = matches!(site.as_deref(), Some("cross-site" | "same-site"));
        let reads = matches!(*req.method(), Method::GET | Method::HEAD);
        if !reads && req.method() != Method::OPTIONS {
            let foreign = origin.is_some_and(|o| !own_origin(o, &host));
            if foreign || other_site {
                return Decision::Refuse(cross_origin_refused());
            }
        } else if other_site && req.uri().path().starts_with("/api/") && !is_navigation(h) {
            return Decision::Refuse(cross_origin_refused());
        }
        Decision::Allow(None)
    }

    fn configured_origin(&self, origin: &str) -> Option<HeaderValue> {
        let o = origin.to_ascii_lowercase();
        if self.origins.contains(&o) {
            HeaderValue::from_str(&o).ok()
        } else {
            None
        }
    }
}

/// A top-level navigation (a person following a link): never readable by the page that
/// linked, so it may cross sites.
fn is_navigation(h: &HeaderMap) -> bool {
    let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
    get("sec-fetch-mode").eq_ignore_ascii_case("navigate")
        && get("sec-fetch-dest").eq_ignore_ascii_case("document")
}

/// `Origin` equal to `http://HOST` (or `https://HOST` behind a TLS proxy) of this request,
/// whose `Host` was already accepted.
fn own_origin(origin: &str, host: &str) -> bool {
    let o = origin.to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    o.strip_prefix("http://")
        .or_else(|| o.strip_prefix("https://"))
        .is_some_and(|rest| rest == host)
}

/// `name`, `name:port`, `[v6]`, `[v6]:port` → (name without brackets, port).
fn split_host(h: &str) -> Option<(&str, Option<u16>)> {
    let h = h.trim();
    if h.is_empty() {
        return None;
    }
    if let Some(rest) = h.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?.parse().ok()?),
        };
        return Some((ip, port));
    }
    match h.rsplit_once(':') {
        Some((name, p)) if !name.contains(':') => Some((name, Some(p.parse().ok()?))),
        Some(_) => None,
        None => Some((h, None)),
    }
}

/// An operator's `--allowed-host` value: a DNS name or IP, optionally with a port.
fn parse_allowed_host(h: &str) -> Option<(String, Option<u16>)> {
    let (name, port) = split_host(h)?;
    let name = name.to_ascii_lowercase();
    let name = name.strip_suffix('.').unwrap_or(&name).to_string();
    let ok = !name.is_empty()
        && (name.parse::<IpAddr>().is_ok()
            || name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'));
    ok.then_some((name, port))
}

/// `http(s)://host[:port]` in the form browsers send in `Origin`, or `None`.
fn normalise_origin(o: &str) -> Option<String> {
    let o = o.trim().trim_end_matches('/').to_ascii_lowercase();
    let rest = o
        .strip_prefix("http://")
        .or_else(|| o.strip_prefix("https://"))?;
    if rest.contains(['/', '?', '#', '@', '*']) {
        return None;
    }
    parse_allowed_host(rest)?;
    Some(o)
}

fn host_refused() -> ApiError {
    ApiError::new(
        StatusCode::MISDIRECTED_REQUEST,
        "host_not_allowed",
        "this server answers only to its own address (localhost, 127.0.0.1, [::1] or the listen address, with its port) and to names given with --allowed-host",
    )
}

fn cross_origin_refused() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "cross_origin_refused",
        "requests from other web sites are refused; use the phishprobe page itself, a program without a browser, or --allow-origin",
    )
}

/// The answer to a preflight from a configured origin.
pub(crate) fn preflight(origin: HeaderValue) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    add_cors(h, origin);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, authorization, x-phishprobe-token"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    resp
}

/// CORS headers for an answer to a configured origin (no credentials: the API uses a token
/// header, never cookies).
pub(crate) fn add_cors(h: &mut HeaderMap, origin: HeaderValue) {
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("location, retry-after"),
    );
    h.append(header::VARY, HeaderValue::from_static("Origin"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn policy(listen: &str, hosts: &[&str], origins: &[&str]) -> SitePolicy {
        let hosts: Vec<String> = hosts.iter().map(|s| s.to_string()).collect();
        let origins: Vec<String> = origins.iter().map(|s| s.to_string()).collect();
        SitePolicy::new(listen.parse().unwrap(), &hosts, &origins).unwrap()
    }

    fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
        let mut b = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::empty()).unwrap()
    }

    fn refused(p: &SitePolicy, r: &Request) -> Option<&'static str> {
        match p.judge(r) {
            Decision::Refuse(e) => Some(e.code),
            _ => None,
        }
    }

    #[test]
    fn hosts_of_a_loopback_server() {
        let p = policy("127.0.0.1:8080", &["phishprobe.lan"], &[]);
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "localhost.:8080",
            "[::1]:8080",
            "phishprobe.lan",
            "phishprobe.lan:443",
        ] {
            assert!(p.host_allowed(ok), "{ok}");
        }
        for bad in [
            "attacker.example:8080",
            "localhost:8081",
            "localhost",
            "127.0.0.1",
            "127.0.0.1:80",
            "10.0.0.5:8080",
            "evil.localhost:8080",
            "phishprobe.lan.evil.example",
            "::1:8080",
            "[::1:8080",
            "",
            "localhost:port",
        ] {
            assert!(!p.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn hosts_of_a_server_on_every_interface() {
        let p = policy("0.0.0.0:8080", &["phish.corp.example:8080"], &[]);
        assert!(p.host_allowed("192.168.1.20:8080"));
        assert!(p.host_allowed("[fe80::1]:8080"));
        assert!(p.host_allowed("phish.corp.example:8080"));
        assert!(!p.host_allowed("phish.corp.example:9090"));
        assert!(!p.host_allowed("192.168.1.20:9090"));
        assert!(!p.host_allowed("rebind.attacker.example:8080"));
    }

    #[test]
    fn missing_or_foreign_host_is_refused() {
        let p = policy("127.0.0.1:8080", &[], &[]);
        let r = req("GET", "/api/v1/cases", &[]);
        assert_eq!(refused(&p, &r), Some("host_not_allowed"));
        let r = req("GET", "/", &[("Host", "attacker.example:8080")]);
        assert_eq!(refused(&p, &r), Some("host_not_allowed"));
        let r = req("GET", "/api/v1/cases", &[("Host", "localhost:8080")]);
        assert_eq!(refused(&p, &r), None);
    }

    #[test]
    fn state_changing_requests_from_other_origins() {
        let p = policy("127.0.0.1:8080", &[], &[]);
        let host = ("Host", "127.0.0.1:8080");
        for (m, extra) in [
            ("POST", ("Origin", "https://evil.example")),
            ("POST", ("Origin", "http://127.0.0.1:9999")),
            ("POST", ("Origin", "null")),
            ("PUT", ("Origin", "http://localhost:8080")),
            ("DELETE", ("Sec-Fetch-Site", "cross-site")),
            ("POST", ("Sec-Fetch-Site", "same-site")),
            ("PATCH", ("Sec-Fetch-Site", "Cross-Site")),
        ] {
            let r = req(m, "/api/v1/cases", &[host, extra]);
            assert_eq!(
                refused(&p, &r),
                Some("cross_origin_refused"),
                "{m} {extra:?}"
            );
        }
        for extra in [
            ("Origin", "http://127.0.0.1:8080"),
            ("Sec-Fetch-Site", "same-origin"),
            ("Sec-Fetch-Site", "none"),
            ("X-Nothing", "curl"),
        ] {
            let r = req("POST", "/api/v1/cases", &[host, extra]);
            assert_eq!(refused(&p, &r), None, "{extra:?}");
        }
    }

    #[test]
    fn cross_site_reads_of_the_api_except_navigation() {
        let p = policy("127.0.0.1:8080", &[], &[]);
        let host = ("Host", "127.0.0.1:8080");
        let img = [
            host,
            ("Sec-Fetch-Site", "cross-site"),
            ("Sec-Fetch-Mode", "no-cors"),
            ("Sec-Fetch-Dest", "image"),
        ];
        let r = req("GET", "/api/v1/probe/x/screenshots/0", &img);
        assert_eq!(refused(&p, &r), Some("cross_origin_refused"));
        let nav = [
            host,
            ("Sec-Fetch-Site", "cross-site"),
            ("Sec-Fetch-Mode", "navigate"),
            ("Sec-Fetch-Dest", "document"),
        ];
        let r = req("GET", "/api/v1/cases/abc/report.html", &nav);
        assert_eq!(refused(&p, &r), None);
        // The page itself may be linked to and its assets loaded from anywhere.
        let r = req("GET", "/assets/style.css", &img);
        assert_eq!(refused(&p, &r), None);
        let same = [host, ("Sec-Fetch-Site", "same-origin")];
        let r = req("GET", "/api/v1/cases", &same);
        assert_eq!(refused(&p, &r), None);
    }

    #[test]
    fn cors_only_for_configured_origins() {
        let p = policy("127.0.0.1:8080", &[], &["http://tools.example:3000/"]);
        let host = ("Host", "127.0.0.1:8080");
        let ok = req(
            "OPTIONS",
            "/api/v1/url",
            &[
                host,
                ("Origin", "http://tools.example:3000"),
                ("Access-Control-Request-Method", "POST"),
            ],
        );
        assert!(matches!(p.judge(&ok), Decision::Preflight(_)));
        let post = req(
            "POST",
            "/api/v1/url",
            &[
                host,
                ("Origin", "http://tools.example:3000"),
                ("Sec-Fetch-Site", "cross-site"),
            ],
        );
        assert!(matches!(p.judge(&post), Decision::Allow(Some(_))));
        for other in [
            "http://tools.example:3001",
            "https://tools.example:3000",
            "http://tools.example",
        ] {
            let r = req("POST", "/api/v1/url", &[host, ("Origin", other)]);
            assert_eq!(refused(&p, &r), Some("cross_origin_refused"), "{other}");
            let pre = req(
                "OPTIONS",
                "/api/v1/url",
                &[
                    host,
                    ("Origin", other),
                    ("Access-Control-Request-Method", "POST"),
                ],
            );
            assert!(matches!(p.judge(&pre), Decision::Allow(None)), "{other}");
        }
    }

    #[test]
    fn bad_configuration_is_refused() {
        let l: SocketAddr = "127.0.0.1:1".parse().unwrap();
        for o in [
            "*",
            "http://a.example/path",
            "ftp://a.example",
            "a.example",
            "http://u@a",
        ] {
            assert!(SitePolicy::new(l, &[], &[o.to_string()]).is_err(), "{o}");
        }
        for h in ["", "a b", "host:notaport", "http://x"] {
            assert!(SitePolicy::new(l, &[h.to_string()], &[]).is_err(), "{h}");
        }
    }
}
