//! # phishprobe-server
//!
//! `phishprobe serve`: one binary gives a local web page (English and Chinese, works offline)
//! and a JSON API under `/api/v1/` for the link, email, text, phone, call recording, probe and
//! case checks.
//! Every answer uses the verdict model that `phishprobe ... --json` prints.
//!
//! Start it in-process with [`serve`] (tests bind `127.0.0.1:0`):
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! phishprobe_server::serve(phishprobe_server::ServerConfig::default(), listener).await?;
//! # Ok(()) }
//! ```
//!
//! Safety model (see the README): loopback by default; any other address needs an API token;
//! per-client rate limit; body size limits and per-request timeouts; the probe refuses
//! private targets after DNS resolution and after every redirect (the probe crate's egress
//! guard); request bodies, tokens and query strings are never logged.
#![warn(missing_docs)]

mod api;
mod audio;
mod cases;
pub mod error;
mod jobs;
mod page;
pub mod rate;
mod site;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use phishprobe_core::Engine;
use phishprobe_core::redact::redact_url;
use phishprobe_core::text::TextRules;
use phishprobe_email::EmailChecker;

pub use error::ApiError;
pub use jobs::ProbeSettings;
pub use rate::RateLimit;
pub use site::SiteConfigError;

/// The OpenAPI 3 document served at `/api/v1/openapi.json` (hand-written; a test checks that it
/// and the router list the same routes).
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Everything `serve` needs. `Default` is the safe local setup: no token, private probe
/// targets refused, rate limit on.
#[derive(Clone)]
pub struct ServerConfig {
    /// API token. Required when listening on anything but loopback; when set, every API call
    /// except `health` and `openapi.json` must send `Authorization: Bearer TOKEN` or
    /// `X-Phishprobe-Token: TOKEN`.
    pub token: Option<String>,
    /// Per-client (peer IP) rate limit for the API.
    pub rate_limit: RateLimit,
    /// Largest JSON request body (url, text, phone, probe, case).
    pub max_json_bytes: usize,
    /// Largest raw email accepted by `POST /api/v1/email` (and in a case).
    pub max_email_bytes: usize,
    /// Largest recording accepted by `POST /api/v1/audio`.
    pub max_audio_bytes: usize,
    /// Speech model for `POST /api/v1/audio`: an installed model's name (`base`, `tiny.en`)
    /// or a path to a ggml Whisper file, as `phishprobe audio --model`. `None`: the installed
    /// default model. Loaded on the first upload.
    pub audio_model: Option<String>,
    /// Time limit for transcribing one recording, instead of `request_timeout` (a call takes
    /// longer to hear than a link to check). Speech after it is not heard; the answer says so.
    pub audio_timeout: Duration,
    /// Time limit for one request (probe jobs run in the background and are not bound by it).
    pub request_timeout: Duration,
    /// Probe jobs: concurrency, queue, browser, private-target policy.
    pub probe: ProbeSettings,
    /// Case history: a SQLite path or a `postgres://` URL. `None`: the default SQLite file of
    /// the CLI history.
    pub database: Option<String>,
    /// Keep a case history (cases endpoints). Off: the cases endpoints answer
    /// `cases_unavailable` and no database is opened.
    pub history: bool,
    /// Brand profiles; the embedded ones when `None`.
    pub engine: Option<Arc<Engine>>,
    /// Print one access-log line per request on stderr (method, path without query, status,
    /// time). Never bodies, query strings or headers.
    pub access_log: bool,
    /// More `Host` names the server answers to, besides its listen address and
    /// `localhost` / `127.0.0.1` / `[::1]` with its port: `name` (any port) or `name:port`.
    /// Every other `Host` is refused (421), which is what stops DNS rebinding.
    pub allowed_hosts: Vec<String>,
    /// Origins (`http(s)://host[:port]`, compared exactly) whose pages may call the API: they
    /// get CORS headers and their preflights are answered. Empty (the default): no CORS, and
    /// state-changing requests from other origins are refused.
    pub allowed_origins: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            token: None,
            rate_limit: RateLimit::default(),
            max_json_bytes: 1 << 20,
            max_email_bytes: 10 << 20,
            max_audio_bytes: 50 << 20,
            audio_model: None,
            audio_timeout: Duration::from_secs(300),
            request_timeout: Duration::from_secs(30),
            probe: ProbeSettings::default(),
            database: None,
            history: true,
            engine: None,
            access_log: false,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: never printed.
        f.debug_struct("ServerConfig")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("rate_limit", &self.rate_limit)
            .field("max_json_bytes", &self.max_json_bytes)
            .field("max_email_bytes", &self.max_email_bytes)
            .field("max_audio_bytes", &self.max_audio_bytes)
            .field("audio_model", &self.audio_model)
            .field("audio_timeout", &self.audio_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("probe", &self.probe)
            .field("database", &self.database.as_deref().map(redact_url))
            .field("history", &self.history)
            .field("access_log", &self.access_log)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_origins", &self.allowed_origins)
            .finish()
    }
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A non-loopback address without a token: refused, the API would be open to anyone.
    #[error(
        "listening on {0} (not loopback) needs an API token (--token, at least 16 characters): anyone who can reach the port could use the server"
    )]
    TokenRequired(SocketAddr),
    /// A token short enough to guess.
    #[error("the API token must be at least 16 characters")]
    WeakToken,
    /// An `--allowed-host` or `--allow-origin` value that cannot be used.
    #[error("{0}")]
    Site(#[from] SiteConfigError),
    /// The embedded data (brand profiles, text patterns, case rules) did not load.
    #[error("loading the brand profiles: {0}")]
    Data(String),
    /// The case history database could not be opened.
    #[error("case history: {0}")]
    Store(String),
    /// Binding or serving the socket failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Shared by every request.
pub(crate) struct AppState {
    /// The brand knowledge every check reads, shared with the email checker and the jobs.
    pub engine: Arc<Engine>,
    pub email: EmailChecker<'static>,
    pub rules: TextRules,
    pub rules_en: TextRules,
    pub rules_zh: TextRules,
    pub cfg: ServerConfig,
    pub limiter: rate::Limiter,
    pub jobs: Arc<jobs::Jobs>,
    pub cases: cases::CaseService,
    /// Call recordings: the speech engine and its one-at-a-time gate.
    pub audio: audio::AudioService,
    pub token_required: bool,
    /// Accepted `Host` names and CORS origins (needs the bound address).
    pub site: site::SitePolicy,
}

/// Refuse settings that would expose the API without a token.
pub fn check_bind(addr: SocketAddr, token: Option<&str>) -> Result<(), ServeError> {
    if let Some(t) = token
        && t.chars().count() < 16
    {
        return Err(ServeError::WeakToken);
    }
    if !addr.ip().is_loopback() && token.is_none() {
        return Err(ServeError::TokenRequired(addr));
    }
    Ok(())
}

/// Serve until the process ends.
pub async fn serve(
    config: ServerConfig,
    listener: tokio::net::TcpListener,
) -> Result<(), ServeError> {
    serve_with_shutdown(config, listener, std::future::pending()).await
}

/// Serve until `shutdown` completes, then finish open requests and stop the browser.
pub async fn serve_with_shutdown(
    config: ServerConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let addr = listener.local_addr()?;
    check_bind(addr, config.token.as_deref())?;
    let state = build_state(config, addr).await?;
    let app = app(state.clone());
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    state.jobs.close().await;
    result.map_err(ServeError::Io)
}

/// Bind `listen`, serve until Ctrl-C (or SIGTERM), then stop cleanly. For `phishprobe serve`:
/// runs its own multi-threaded runtime. `announce` gets the address actually bound.
pub fn run_blocking(
    config: ServerConfig,
    listen: SocketAddr,
    announce: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    check_bind(listen, config.token.as_deref())?;
    site::SitePolicy::new(listen, &config.allowed_hosts, &config.allowed_origins)?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        announce(listener.local_addr()?);
        serve_with_shutdown(config, listener, shutdown_signal()).await
    })
}

/// Ctrl-C, or SIGTERM on Unix (what service managers send).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn build_state(config: ServerConfig, addr: SocketAddr) -> Result<Arc<AppState>, ServeError> {
    let site = site::SitePolicy::new(addr, &config.allowed_hosts, &config.allowed_origins)?;
    let engine = match &config.engine {
        Some(e) => e.clone(),
        None => Arc::new(Engine::embedded().map_err(|e| ServeError::Data(e.to_string()))?),
    };
    let rules = TextRules::embedded().map_err(|e| ServeError::Data(e.to_string()))?;
    let jobs = jobs::Jobs::new(config.probe.clone(), engine.clone())?;
    // The email checker is costly to build (automata, data files), so it is built once and
    // holds a share of the engine: both live as long as the server state.
    let email = EmailChecker::with_text_rules(
        engine.clone(),
        phishprobe_email::Options {
            max_message_bytes: config.max_email_bytes,
            ..phishprobe_email::Options::default()
        },
        Some(rules.clone()),
    );
    let cases = if config.history {
        let checker = phishprobe_case::CaseChecker::with_text_rules(rules.clone())
            .map_err(|e| ServeError::Data(e.to_string()))?;
        cases::CaseService::open(config.database.clone(), checker)
            .await
            .map_err(ServeError::Store)?
    } else {
        cases::CaseService::none()
    };
    Ok(Arc::new(AppState {
        token_required: config.token.is_some(),
        site,
        limiter: rate::Limiter::new(config.rate_limit),
        engine,
        email,
        rules_en: rules.only_langs(&["en"]),
        rules_zh: rules.only_langs(&["zh"]),
        rules,
        jobs,
        cases,
        audio: audio::AudioService::new(config.audio_model.clone()),
        cfg: config,
    }))
}

/// Builds the router and records each (method, path) it serves, so the OpenAPI test can
/// compare the two lists.
struct Routes {
    router: Router<Arc<AppState>>,
    list: Vec<(Method, &'static str)>,
}

impl Routes {
    fn add<H, T>(mut self, method: Method, path: &'static str, h: H) -> Self
    where
        H: Handler<T, Arc<AppState>>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        self.router = self.router.route(path, on(filter, h));
        self.list.push((method, path));
        self
    }
}

fn routes() -> Routes {
    let r = Routes {
        router: Router::new(),
        list: Vec::new(),
    };
    r.add(Method::GET, "/", page::index)
        .add(Method::GET, "/assets/app.js", page::app_js)
        .add(Method::GET, "/assets/style.css", page::style_css)
        .add(Method::GET, "/api/v1/health", api::health)
        .add(Method::GET, "/api/v1/openapi.json", api::openapi)
        .add(Method::POST, "/api/v1/url", api::url)
        .add(Method::POST, "/api/v1/email", api::email)
        .add(Method::POST, "/api/v1/text", api::text)
        .add(Method::POST, "/api/v1/phone", api::phone)
        .add(Method::POST, audio::PATH, audio::check)
        .add(Method::POST, "/api/v1/probe", api::probe_submit)
        .add(Method::GET, "/api/v1/probe/{id}", api::probe_status)
        .add(
            Method::GET,
            "/api/v1/probe/{id}/screenshots/{n}",
            api::probe_screenshot,
        )
        .add(Method::POST, cases::PATH, cases::create)
        .add(Method::GET, "/api/v1/cases", cases::list)
        .add(Method::GET, "/api/v1/cases/{id}", cases::get)
        .add(
            Method::GET,
            "/api/v1/cases/{id}/evidence/{name}",
            cases::evidence,
        )
        .add(
            Method::GET,
            "/api/v1/cases/{id}/report.html",
            cases::report_html,
        )
}

/// Every (method, path) the server answers, with `{param}` placeholders as in OpenAPI.
pub fn route_list() -> Vec<(String, String)> {
    routes()
        .list
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect()
}

fn app(state: Arc<AppState>) -> Router {
    let Routes { router, .. } = routes();
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(middleware::from_fn_with_state(state.clone(), access_log))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found(
        "route_not_found",
        "no such address; see /api/v1/openapi.json",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this address does not answer that method; see /api/v1/openapi.json",
    )
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn presented_token(req: &Request) -> Option<&str> {
    let h = req.headers();
    if let Some(v) = h.get("x-phishprobe-token").and_then(|v| v.to_str().ok()) {
        return Some(v.trim());
    }
    h.get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// Host and cross-origin checks for everything; rate limit, token check and time limit for
/// the API; security headers (and CORS headers for configured origins) on every answer.
async fn guard(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let cors = match st.site.judge(&req) {
        site::Decision::Refuse(e) => return secure(e.into_response(), is_api, None),
        site::Decision::Preflight(origin) => {
            return secure(site::preflight(origin), is_api, None);
        }
        site::Decision::Allow(cors) => cors,
    };
    if is_api && let Some(refused) = refusal(&st, &req) {
        return secure(refused, is_api, cors);
    }
    let limit = time_limit(&st.cfg, &req);
    let resp = match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => timed_out(limit).into_response(),
    };
    secure(resp, is_api, cors)
}

/// A request's time limit: the audio one (plus time to receive and judge) where recordings
/// may be heard, the usual one elsewhere. A new case gets the audio one because only its
/// body says whether it holds recordings; one without is held to the usual limit by its
/// handler.
fn time_limit(cfg: &ServerConfig, req: &Request) -> Duration {
    let path = req.uri().path();
    if path == audio::PATH || (req.method() == Method::POST && path == cases::PATH) {
        cfg.audio_timeout + audio::GRACE
    } else {
        cfg.request_timeout
    }
}

/// The answer for a request that took longer than `limit`.
pub(crate) fn timed_out(limit: Duration) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "timeout",
        format!("the request took longer than {} s", limit.as_secs()),
    )
}

/// The per-client rate limit and the token, for an API request: the refusal, if any.
fn refusal(st: &AppState, req: &Request) -> Option<Response> {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>()
        && let Err(wait) = st.limiter.check(peer.ip())
    {
        return Some(
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests from this address; slow down",
            )
            .retry_after(wait)
            .into_response(),
        );
    }
    let open = matches!(req.uri().path(), "/api/v1/health" | "/api/v1/openapi.json");
    if let (Some(tok), false) = (st.cfg.token.as_deref(), open) {
        let ok = presented_token(req).is_some_and(|t| same(t.as_bytes(), tok.as_bytes()));
        if !ok {
            let mut resp = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this server needs its API token: send `Authorization: Bearer TOKEN` or `X-Phishprobe-Token: TOKEN`",
            )
            .into_response();
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"phishprobe\""),
            );
            return Some(resp);
        }
    }
    None
}

/// Security headers on every answer; `no-store` for the API; CORS for a configured origin.
fn secure(mut resp: Response, is_api: bool, cors: Option<HeaderValue>) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
            ),
        );
    }
    if is_api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(origin) = cors {
        site::add_cors(h, origin);
    }
    resp
}

/// One line per request: method, path (no query string: it may carry addresses a person
/// checked), status, milliseconds. Never bodies or headers.
async fn access_log(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if !st.cfg.access_log {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let path: String = req.uri().path().chars().take(200).collect();
    let t = Instant::now();
    let resp = next.run(req).await;
    eprintln!(
        "phishprobe serve: {method} {path} {} {:.1} ms",
        resp.status().as_u16(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_rules() {
        let lo: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let lo6: SocketAddr = "[::1]:8080".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(check_bind(lo, None).is_ok());
        assert!(check_bind(lo6, None).is_ok());
        assert!(matches!(
            check_bind(any, None),
            Err(ServeError::TokenRequired(_))
        ));
        assert!(matches!(
            check_bind(any, Some("short")),
            Err(ServeError::WeakToken)
        ));
        assert!(check_bind(any, Some("0123456789abcdef")).is_ok());
    }

    #[test]
    fn secrets_not_printed() {
        let c = ServerConfig {
            token: Some("super-secret-token-value".into()),
            database: Some("postgres://app:hunter2@db.example/phish".into()),
            ..ServerConfig::default()
        };
        let s = format!("{c:?}");
        assert!(!s.contains("super-secret"), "{s}");
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("postgres://app:***@db.example/phish"), "{s}");
        // A password holding `@` is hidden whole (the shared redaction splits at the last `@`).
        let c = ServerConfig {
            database: Some("postgres://app:hun@ter2@db.example/phish?sslmode=disable".into()),
            ..ServerConfig::default()
        };
        let s = format!("{c:?}");
        assert!(!s.contains("hun") && !s.contains("ter2"), "{s}");
    }

    #[test]
    fn constant_time_compare() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }
}
