//! The check endpoints. Each answers the verdict model exactly as the CLI's `--json` prints it
//! (the same extra fields per check), so a tool can switch between the two.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use phishprobe_core::Report;
use phishprobe_core::phone::{self, UserMark};
use phishprobe_core::text::{self, TextAnalysis, TextRules};
use phishprobe_email::{Details, EmailError};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::ApiError;

/// A query string parsed like axum's `Query`, but a bad one (a repeated or mistyped field,
/// a number out of range) answers the usual JSON error (`bad_input`) instead of plain text.
pub(crate) struct QueryOf<T>(pub T);

impl<T, S> FromRequestParts<S> for QueryOf<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(q)| QueryOf(q))
            .map_err(|e| {
                ApiError::bad_request("bad_input", format!("bad query string: {}", e.body_text()))
            })
    }
}

/// Most links or numbers in one request.
pub const MAX_ITEMS: usize = 1000;

/// Read a request body of at most `limit` bytes.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<axum::body::Bytes, ApiError> {
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is larger than {limit} bytes"),
        )
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        return Err(too_big());
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(b) => Ok(b),
        Err(e) => {
            let s = e.to_string();
            let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&e);
            let mut limit_hit = s.contains("length limit");
            while let Some(x) = src {
                limit_hit |= x.to_string().contains("length limit");
                src = x.source();
            }
            if limit_hit {
                Err(too_big())
            } else {
                Err(ApiError::bad_request(
                    "body_unreadable",
                    "the request body could not be read",
                ))
            }
        }
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| {
            let c = c.to_ascii_lowercase();
            c.starts_with("application/json") || c.contains("+json")
        })
}

pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("bad_json", format!("the body is not valid JSON: {e}")))
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The verdict model plus command-specific fields, as `emit_extended` in the CLI prints it.
pub(crate) fn extended(report: &Report, extra: Map<String, Value>) -> Value {
    let mut v = to_value(report);
    if let Some(o) = v.as_object_mut() {
        o.extend(extra);
    }
    v
}

pub async fn health(State(st): State<Arc<AppState>>) -> Json<Value> {
    let (queued, running, started) = st.jobs.stats();
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "token_required": st.token_required,
        "cases": st.cases.available(),
        "audio": st.audio.health(),
        "probe": {
            "queued": queued,
            "running": running,
            "browser_started": started,
            "allow_private": st.cfg.probe.allow_private,
            "concurrency": st.cfg.probe.concurrency,
            "queue": st.cfg.probe.queue,
        },
        "limits": {
            "max_json_bytes": st.cfg.max_json_bytes,
            "max_email_bytes": st.cfg.max_email_bytes,
            "max_audio_bytes": st.cfg.max_audio_bytes,
            "audio_timeout_s": st.cfg.audio_timeout.as_secs(),
            "request_timeout_s": st.cfg.request_timeout.as_secs(),
        }
    }))
}

pub async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        crate::OPENAPI,
    )
        .into_response()
}

/// Strings from `{"<one>": s}`, `{"<many>": [s...]}`, a JSON string or a JSON list of strings.
/// The bool says whether the answer is a list.
pub(crate) fn strings(v: &Value, one: &str, many: &str) -> Result<(Vec<String>, bool), ApiError> {
    let list = |a: &Vec<Value>| -> Result<Vec<String>, ApiError> {
        if a.len() > MAX_ITEMS {
            return Err(ApiError::bad_request(
                "bad_input",
                format!("at most {MAX_ITEMS} items per request"),
            ));
        }
        a.iter()
            .map(|x| {
                x.as_str().map(str::to_string).ok_or_else(|| {
                    ApiError::bad_request(
                        "bad_input",
                        format!("\"{many}\" must be a list of strings"),
                    )
                })
            })
            .collect()
    };
    let (items, is_list) = match v {
        Value::String(s) => (vec![s.clone()], false),
        Value::Array(a) => (list(a)?, true),
        Value::Object(o) => match (o.get(one), o.get(many)) {
            (Some(Value::String(s)), None) => (vec![s.clone()], false),
            (None, Some(Value::Array(a))) => (list(a)?, true),
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_request(
                    "bad_input",
                    format!("give \"{one}\" or \"{many}\", not both"),
                ));
            }
            _ => {
                return Err(ApiError::bad_request(
                    "bad_input",
                    format!("expected {{\"{one}\": \"...\"}} or {{\"{many}\": [\"...\"]}}"),
                ));
            }
        },
        _ => {
            return Err(ApiError::bad_request(
                "bad_input",
                format!("expected {{\"{one}\": \"...\"}} or {{\"{many}\": [\"...\"]}}"),
            ));
        }
    };
    if items.is_empty() {
        return Err(ApiError::bad_request("bad_input", "nothing to check"));
    }
    if let Some(i) = items.iter().position(|s| s.trim().is_empty()) {
        return Err(ApiError::bad_request(
            "bad_input",
            format!("item {} is empty", i + 1),
        ));
    }
    Ok((items, is_list))
}

fn answer(mut values: Vec<Value>, is_list: bool) -> Response {
    if is_list {
        Json(Value::Array(values)).into_response()
    } else {
        Json(values.pop().unwrap_or(Value::Null)).into_response()
    }
}

/// `POST /api/v1/url`: links or hostnames.
pub async fn url(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_body(&headers, body, st.cfg.max_json_bytes).await?;
    let v = parse_json(&bytes)?;
    let (items, is_list) = strings(&v, "url", "urls")?;
    if !is_list {
        // The common case without an intermediate JSON tree.
        return Ok(Json(st.engine.check_url(&items[0])).into_response());
    }
    let out = items
        .iter()
        .map(|u| to_value(&st.engine.check_url(u)))
        .collect();
    Ok(answer(out, true))
}

#[derive(Debug, Deserialize, Default)]
pub struct EmailQuery {
    /// Label for the report's `input` (a file name).
    pub name: Option<String>,
}

/// The extra email fields the CLI prints with `--json`.
pub(crate) fn email_extra(d: &Details) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sender".into(), to_value(&d.sender));
    m.insert("authentication".into(), to_value(&d.authentication));
    m.insert("claims".into(), to_value(&d.claims));
    m.insert("links".into(), to_value(&d.links));
    m.insert("attachments".into(), to_value(&d.attachments));
    if !d.notes.is_empty() {
        m.insert("notes".into(), to_value(&d.notes));
    }
    m
}

/// Check one raw message (on a blocking thread: a large message takes milliseconds).
pub(crate) async fn check_email(
    st: &Arc<AppState>,
    name: String,
    raw: Vec<u8>,
) -> Result<Value, ApiError> {
    let st2 = st.clone();
    let r = tokio::task::spawn_blocking(move || st2.email.check(&name, &raw))
        .await
        .map_err(|_| ApiError::internal("the email check stopped unexpectedly"))?;
    match r {
        Ok(rep) => Ok(extended(&rep.report, email_extra(&rep.details))),
        Err(EmailError::NotEmail(m)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_email",
            format!("not an email message: {m}"),
        )),
        Err(EmailError::Internal(m)) => Err(ApiError::internal(m)),
    }
}

/// `POST /api/v1/email`: one raw RFC 5322 message as the body (or JSON `{"message": "..."}`).
pub async fn email(
    State(st): State<Arc<AppState>>,
    QueryOf(q): QueryOf<EmailQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_body(&headers, body, st.cfg.max_email_bytes).await?;
    let (raw, name) = if is_json(&headers) {
        let v = parse_json(&bytes)?;
        let m = v.get("message").and_then(Value::as_str).ok_or_else(|| {
            ApiError::bad_request("bad_input", "expected {\"message\": \"<raw message>\"}")
        })?;
        let n = v.get("name").and_then(Value::as_str).map(str::to_string);
        (m.as_bytes().to_vec(), n)
    } else {
        (bytes.to_vec(), None)
    };
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("bad_input", "the message is empty"));
    }
    let name: String = q
        .name
        .or(name)
        .unwrap_or_else(|| "message".into())
        .chars()
        .take(200)
        .collect();
    Ok(Json(check_email(&st, name, raw).await?).into_response())
}

/// The extra text fields the CLI prints with `--json`.
pub(crate) fn text_extra(a: &TextAnalysis) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("disclosure".into(), Value::Bool(a.has_disclosure()));
    m.insert("scam_likelihood".into(), json!(a.scam_score));
    m.insert("lang".into(), json!(a.lang));
    m.insert("urls".into(), json!(a.urls));
    m.insert("phones".into(), to_value(&a.phones));
    m
}

/// What a text report's `input` shows: the start of the text on one line (as the CLI).
pub(crate) fn text_label(t: &str) -> String {
    let one: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 80 {
        let mut s: String = one.chars().take(77).collect();
        s.push_str("...");
        s
    } else {
        one
    }
}

pub(crate) fn rules_for<'a>(
    st: &'a AppState,
    lang: Option<&str>,
) -> Result<&'a TextRules, ApiError> {
    match lang.unwrap_or("auto") {
        "auto" | "" => Ok(&st.rules),
        "en" => Ok(&st.rules_en),
        "zh" => Ok(&st.rules_zh),
        other => Err(ApiError::bad_request(
            "bad_input",
            format!("\"lang\" must be auto, en or zh, not {other:?}"),
        )),
    }
}

/// `POST /api/v1/text`: `{"text": "...", "lang": "auto|en|zh"}` or a `text/plain` body.
pub async fn text(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_body(&headers, body, st.cfg.max_json_bytes).await?;
    let (t, lang) = if is_json(&headers) {
        let v = parse_json(&bytes)?;
        let t = v
            .get("text")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("bad_input", "expected {\"text\": \"...\"}"))?
            .to_string();
        let lang = v.get("lang").and_then(Value::as_str).map(str::to_string);
        (t, lang)
    } else {
        let t = String::from_utf8(bytes.to_vec()).map_err(|e| {
            ApiError::bad_request(
                "bad_input",
                format!(
                    "the text is not valid UTF-8 (bad byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        (t, None)
    };
    if t.trim().is_empty() {
        return Err(ApiError::bad_request("bad_input", "the text is empty"));
    }
    rules_for(&st, lang.as_deref())?;
    let st2 = st.clone();
    let v = tokio::task::spawn_blocking(move || {
        let rules = rules_for(&st2, lang.as_deref()).unwrap_or(&st2.rules);
        let a = text::analyze(&st2.engine, rules, &t);
        let report = text::report_from(&text_label(&t), &a);
        extended(&report, text_extra(&a))
    })
    .await
    .map_err(|_| ApiError::internal("the text check stopped unexpectedly"))?;
    Ok(Json(v).into_response())
}

/// One phone number as the CLI prints it (the user's own list mark when the store has one).
pub(crate) fn phone_value(
    st: &AppState,
    n: &str,
    region: Option<&str>,
    mark: Option<UserMark>,
) -> Value {
    let info = phone::analyze(n, region);
    let report = phone::check_info(&st.engine, &info, mark);
    let mut extra = Map::new();
    extra.insert("class".into(), to_value(&info.class));
    extra.insert("e164".into(), json!(info.e164));
    extra.insert("country".into(), json!(info.country));
    extra.insert("number_type".into(), json!(info.number_type));
    extra.insert(
        "user_mark".into(),
        json!(mark.map(|m| match m {
            UserMark::Trusted => "trusted",
            UserMark::Scam => "scam",
        })),
    );
    extended(&report, extra)
}

pub(crate) fn check_region(region: Option<&str>) -> Result<(), ApiError> {
    if let Some(r) = region
        && phone::parse_region(r).is_none()
    {
        return Err(ApiError::bad_request(
            "bad_region",
            format!("{r:?} is not a known region code (use ISO codes such as US, CN, GB)"),
        ));
    }
    Ok(())
}

/// `POST /api/v1/phone`: `{"number": "...", "region": "US"}` or `{"numbers": [...]}`.
pub async fn phone(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_body(&headers, body, st.cfg.max_json_bytes).await?;
    let v = parse_json(&bytes)?;
    let region = v
        .get("region")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    check_region(region.as_deref())?;
    let (items, is_list) = strings(&v, "number", "numbers")?;
    let marks = st.cases.number_marks(&items, region.as_deref()).await;
    let out = items
        .iter()
        .zip(marks)
        .map(|(n, m)| phone_value(&st, n, region.as_deref(), m))
        .collect();
    Ok(answer(out, is_list))
}

/// `POST /api/v1/probe`: `{"url": "..."}` -> 202 with the job.
pub async fn probe_submit(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = read_body(&headers, body, st.cfg.max_json_bytes).await?;
    let v = parse_json(&bytes)?;
    let (items, is_list) = strings(&v, "url", "urls")?;
    if is_list {
        return Err(ApiError::bad_request(
            "bad_input",
            "one probe per request: {\"url\": \"...\"}",
        ));
    }
    let job = st.jobs.submit(&items[0]).await?;
    let loc = job
        .get("id")
        .and_then(Value::as_str)
        .map(|id| format!("/api/v1/probe/{id}"))
        .unwrap_or_default();
    let mut resp = (StatusCode::ACCEPTED, Json(job)).into_response();
    if let Ok(h) = HeaderValue::from_str(&loc) {
        resp.headers_mut().insert(header::LOCATION, h);
    }
    Ok(resp)
}

/// `GET /api/v1/probe/{id}`: status, progress, and the result when done.
pub async fn probe_status(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    st.jobs
        .view(&id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found("probe_job_not_found", "no probe job with that id"))
}

/// `GET /api/v1/probe/{id}/screenshots/{n}`: one PNG of the evidence.
pub async fn probe_screenshot(
    State(st): State<Arc<AppState>>,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found("screenshot_not_found", "no such screenshot");
    let n: usize = n.parse().map_err(|_| missing())?;
    let path = st.jobs.screenshot(&id, n).ok_or_else(missing)?;
    let png = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .map_err(|_| ApiError::internal("reading the screenshot failed"))?
        .map_err(|_| missing())?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
        ],
        png,
    )
        .into_response())
}
