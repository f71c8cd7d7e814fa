//! Cases: several things a person received, checked together (`phishprobe-case`, the same code
//! as `phishprobe case`) and saved in the history store (SQLite by default, PostgreSQL with a
//! `postgres://` URL, so several servers behind a load balancer share one history).
//!
//! The store is synchronous (and the PostgreSQL client runs its own runtime), so every call
//! goes through `spawn_blocking`. A case with `"probe": true` becomes a job: the answer is
//! `202` with the job and a preliminary report without the probe; the job runs the
//! wrong-password step in the shared browser, then saves the finished case.
//!
//! A case may hold recorded calls (`recordings`, base64 in the JSON body): they are heard by
//! the audio endpoint's code (`crate::audio`) and get its body and time limits; a case
//! without them keeps the limits it always had.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use phishprobe_case::{CaseChecker, CaseError, CaseInputs, MAX_RECORDINGS, RecordingPart};
use phishprobe_core::combine::ProbeStatus;
use phishprobe_core::phone::{self, UserMark};
use phishprobe_store::{EvidenceFile, HistoryStore, Mark};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::QueryOf;
use crate::api::{parse_json, read_body};
use crate::error::ApiError;
use crate::jobs::WorkOutput;
use crate::{AppState, ServerConfig, audio};

/// The history store and the case rules.
pub struct CaseService {
    db: Option<Arc<Mutex<HistoryStore>>>,
    checker: Option<Arc<CaseChecker>>,
}

impl Drop for CaseService {
    fn drop(&mut self) {
        // The PostgreSQL client owns a runtime that must not be dropped on an async worker.
        if let Some(db) = self.db.take() {
            let _ = std::thread::Builder::new()
                .name("phishprobe-db-close".into())
                .spawn(move || drop(db));
        }
    }
}

fn storage_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_error",
        format!("the case history could not be used: {e}"),
    )
}

fn unavailable() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "cases_unavailable",
        "case history is not available on this server",
    )
}

impl CaseService {
    /// Open the store (`database`: a SQLite path or a `postgres://` URL; `None`: the CLI's
    /// default history file). Runs on a blocking thread.
    pub async fn open(
        database: Option<String>,
        checker: CaseChecker,
    ) -> Result<CaseService, String> {
        let location = match database {
            Some(d) => d,
            None => phishprobe_store::resolve_path(None)
                .map_err(|e| e.to_string())?
                .display()
                .to_string(),
        };
        let shown = phishprobe_core::redact::redact_url(&location);
        let db = tokio::task::spawn_blocking(move || {
            if !phishprobe_store::is_postgres_url(&location)
                && let Some(parent) = std::path::Path::new(&location).parent()
                && !parent.as_os_str().is_empty()
            {
                let _ = std::fs::create_dir_all(parent);
            }
            HistoryStore::open(&location)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("opening {shown}: {e}"))?;
        Ok(CaseService {
            db: Some(Arc::new(Mutex::new(db))),
            checker: Some(Arc::new(checker)),
        })
    }

    /// No history (a server for API checks only).
    pub fn none() -> CaseService {
        CaseService {
            db: None,
            checker: None,
        }
    }

    pub fn available(&self) -> bool {
        self.db.is_some() && self.checker.is_some()
    }

    fn db(&self) -> Result<Arc<Mutex<HistoryStore>>, ApiError> {
        self.db.clone().ok_or_else(unavailable)
    }

    /// Run `f` with the store on a blocking thread.
    async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut HistoryStore) -> phishprobe_store::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let db = self.db()?;
        tokio::task::spawn_blocking(move || {
            let mut g = db.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut g)
        })
        .await
        .map_err(|_| ApiError::internal("the store stopped unexpectedly"))?
        .map_err(storage_error)
    }

    /// The user's own trusted/scam marks for these numbers (none without a store).
    pub async fn number_marks(
        &self,
        items: &[String],
        region: Option<&str>,
    ) -> Vec<Option<UserMark>> {
        let keys: Vec<Option<String>> = items.iter().map(|n| phone::list_key(n, region)).collect();
        if self.db.is_none() || keys.iter().all(Option::is_none) {
            return vec![None; items.len()];
        }
        let n = items.len();
        self.with_db(move |db| {
            let mut out = Vec::with_capacity(keys.len());
            for k in keys {
                out.push(match k {
                    Some(k) => db.get_number(&k)?.map(|e| to_user_mark(e.mark)),
                    None => None,
                });
            }
            Ok(out)
        })
        .await
        .unwrap_or_else(|_| vec![None; n])
    }
}

fn to_user_mark(m: Mark) -> UserMark {
    match m {
        Mark::Trusted => UserMark::Trusted,
        Mark::Scam => UserMark::Scam,
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TextIn {
    Plain(String),
    Named { name: Option<String>, text: String },
}

#[derive(Debug, Deserialize)]
struct EmailIn {
    name: Option<String>,
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseIn {
    email: Option<EmailIn>,
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    phones: Vec<String>,
    #[serde(default)]
    texts: Vec<TextIn>,
    #[serde(default)]
    recordings: Vec<audio::RecordingIn>,
    region: Option<String>,
    #[serde(default)]
    probe: bool,
    keep_inputs: Option<bool>,
}

fn case_error(e: CaseError) -> ApiError {
    match e {
        CaseError::Empty => ApiError::bad_request("bad_input", e.to_string()),
        CaseError::TooBig(m) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", m),
        CaseError::Email { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_email", e.to_string())
        }
    }
}

/// A saved case as the API shows it: the export JSON with evidence as addresses instead of
/// base64 (screenshots are fetched one by one).
fn case_json(stored: &phishprobe_store::StoredCase) -> Result<Value, ApiError> {
    let mut v = phishprobe_case::export::json(stored)
        .map_err(|e| ApiError::internal(format!("the stored case is damaged: {e}")))?;
    let id = stored.summary.id.clone();
    if let Some(ev) = v.get_mut("evidence").and_then(Value::as_array_mut) {
        for e in ev {
            if let Some(o) = e.as_object_mut() {
                o.remove("base64");
                let name = o
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                o.insert(
                    "url".into(),
                    json!(format!(
                        "/api/v1/cases/{id}/evidence/{}",
                        url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
                    )),
                );
            }
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.insert("verdict".into(), json!(stored.summary.verdict));
        o.insert("title".into(), json!(stored.summary.title));
    }
    Ok(v)
}

/// Save a finished case and read it back as the API shows it.
async fn save(
    cases: &CaseService,
    inputs: CaseInputs,
    report: phishprobe_core::combine::CaseReport,
    evidence: Vec<EvidenceFile>,
) -> Result<Value, ApiError> {
    let row = phishprobe_case::new_case(&inputs, &report, evidence)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let stored = cases
        .with_db(move |db| {
            let id = db.save_case(&row)?;
            db.get_case(&id)
        })
        .await?
        .ok_or_else(|| ApiError::internal("the saved case could not be read back"))?;
    case_json(&stored)
}

/// The case route's path (the guard gives it the audio time limit, see [`create`]).
pub(crate) const PATH: &str = "/api/v1/cases";

/// The largest case body without recordings: an email and the JSON around it.
fn plain_limit(cfg: &ServerConfig) -> usize {
    cfg.max_email_bytes.saturating_add(cfg.max_json_bytes)
}

/// The largest case body: [`plain_limit`] plus the recordings' bytes (`max_audio_bytes`
/// together) as base64, with the padding each recording may add.
fn body_limit(cfg: &ServerConfig) -> usize {
    plain_limit(cfg)
        .saturating_add(audio::base64_len(cfg.max_audio_bytes))
        .saturating_add(4 * MAX_RECORDINGS)
}

/// `POST /api/v1/cases`.
///
/// The guard gives this route the audio time limit, since only the body says whether there
/// are recordings to hear; a case without them is held here to the body and time limits it
/// had before recordings existed.
pub async fn create(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let checker = st.cases.checker.clone().ok_or_else(unavailable)?;
    st.cases.db()?;
    let bytes = read_body(&headers, body, body_limit(&st.cfg)).await?;
    let size = bytes.len();
    let v = parse_json(&bytes)?;
    drop(bytes);
    let mut input: CaseIn = serde_json::from_value(v)
        .map_err(|e| ApiError::bad_request("bad_input", format!("not a case: {e}")))?;
    let recordings = std::mem::take(&mut input.recordings);
    let plain = plain_limit(&st.cfg);
    if recordings.is_empty() && size > plain {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is larger than {plain} bytes"),
        ));
    }
    check_input(&st.cfg, &input)?;
    if recordings.is_empty() {
        let left = st.cfg.request_timeout.saturating_sub(started.elapsed());
        let checked = check_case(st.clone(), checker, input, Vec::new());
        return tokio::time::timeout(left, checked)
            .await
            .unwrap_or_else(|_| Err(crate::timed_out(st.cfg.request_timeout)));
    }
    let parts = audio::case_parts(&st, recordings).await?;
    check_case(st, checker, input, parts).await
}

/// The cheap checks of the input (region, email size), before any work is done on it.
fn check_input(cfg: &ServerConfig, input: &CaseIn) -> Result<(), ApiError> {
    let region = input.region.as_deref().filter(|r| !r.trim().is_empty());
    crate::api::check_region(region)?;
    if let Some(e) = &input.email
        && e.message.len() > cfg.max_email_bytes
    {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the email is larger than {} bytes", cfg.max_email_bytes),
        ));
    }
    Ok(())
}

/// What the case crate checks: the body's parts with default names, and the recordings.
fn case_inputs(input: CaseIn, recordings: Vec<RecordingPart>) -> CaseInputs {
    let region = input.region.filter(|r| !r.trim().is_empty());
    CaseInputs {
        email: input.email.map(|e| {
            (
                e.name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| "message".into())
                    .chars()
                    .take(200)
                    .collect(),
                e.message.into_bytes(),
            )
        }),
        urls: input.urls,
        phones: input.phones,
        texts: input
            .texts
            .into_iter()
            .enumerate()
            .map(|(i, t)| match t {
                TextIn::Plain(s) => (format!("text {}", i + 1), s),
                TextIn::Named { name, text } => (
                    name.unwrap_or_else(|| format!("text {}", i + 1))
                        .chars()
                        .take(200)
                        .collect(),
                    text,
                ),
            })
            .collect(),
        probe: input.probe,
        region,
        keep_inputs: input.keep_inputs.unwrap_or(true),
        recordings,
    }
}

/// Check the case (its input checked, its recordings already heard), save it or start its
/// probe job.
async fn check_case(
    st: Arc<AppState>,
    checker: Arc<CaseChecker>,
    input: CaseIn,
    recordings: Vec<RecordingPart>,
) -> Result<Response, ApiError> {
    let inputs = case_inputs(input, recordings);

    // The checks (CPU work, and number marks from the store) on a blocking thread.
    let engine = st.engine.clone();
    let db = st.cases.db()?;
    let (inputs, parts) = {
        let checker = checker.clone();
        let state = st.clone();
        tokio::task::spawn_blocking(move || {
            let mark = |k: &str| -> Option<UserMark> {
                let mut g = db.lock().unwrap_or_else(|p| p.into_inner());
                g.get_number(k).ok().flatten().map(|e| to_user_mark(e.mark))
            };
            // The server's email checker, built once: building one per case would cost more
            // than the whole check.
            let parts = checker.check_parts_with(&state.engine, &state.email, &inputs, &mark);
            (inputs, parts)
        })
        .await
        .map_err(|_| ApiError::internal("the case check stopped unexpectedly"))?
    };
    let parts = parts.map_err(case_error)?;

    if !inputs.probe {
        let report = checker.finish(&engine, &parts, ProbeStatus::NotRequested);
        let v = save(&st.cases, inputs, report, Vec::new()).await?;
        return Ok((StatusCode::CREATED, Json(v)).into_response());
    }
    let Some(target) = parts.probe_target() else {
        let report = checker.finish(&engine, &parts, ProbeStatus::NoTarget);
        let v = save(&st.cases, inputs, report, Vec::new()).await?;
        return Ok((StatusCode::CREATED, Json(v)).into_response());
    };
    if let Err(e) = st.jobs.check_target(&target).await {
        // Refused by the operator's policy: the step is reported as not run, with the reason.
        let report = checker.finish(&engine, &parts, phishprobe_case::probe::failed(&e.message));
        let v = save(&st.cases, inputs, report, Vec::new()).await?;
        return Ok((StatusCode::CREATED, Json(v)).into_response());
    }
    let preliminary = checker.finish(
        &engine,
        &parts,
        ProbeStatus::Failed(phishprobe_core::Message::new(
            "the wrong-password test is still running",
            "错误密码测试仍在进行中",
        )),
    );
    let st2 = st.clone();
    let url = target.clone();
    let opts = st.jobs.probe_options(None);
    let work: crate::jobs::Work = Box::new(move |prober, _dir| {
        Box::pin(async move {
            let (status, evidence) = match prober {
                Ok(p) => phishprobe_case::probe::run(&engine, &p, &url, opts).await,
                Err(e) => (phishprobe_case::probe::failed(&e), Vec::new()),
            };
            let outcome = evidence
                .iter()
                .find(|e| e.name == "probe.json")
                .and_then(|e| serde_json::from_slice::<Value>(&e.content).ok())
                .and_then(|v| v.get("outcome").cloned())
                .unwrap_or(Value::Null);
            let report = checker.finish(&engine, &parts, status);
            let result = save(&st2.cases, inputs, report, evidence)
                .await
                .map(|case| json!({"case": case, "outcome": outcome}))
                .map_err(|e| (e.code, e.message));
            WorkOutput { result }
        })
    });
    let job = st.jobs.submit_work(&target, work)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"job": job, "preliminary": preliminary})),
    )
        .into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    limit: Option<u32>,
    offset: Option<u32>,
}

/// `GET /api/v1/cases?limit=N&offset=M`: newest first.
pub async fn list(
    State(st): State<Arc<AppState>>,
    QueryOf(q): QueryOf<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let offset = q.offset.unwrap_or(0);
    let rows = st
        .cases
        .with_db(move |db| db.list_cases(limit, offset))
        .await?;
    let cases: Vec<Value> = rows
        .into_iter()
        .map(|c| {
            json!({
                "id": c.id,
                "created_at": c.created_at,
                "verdict": c.verdict,
                "brand": c.brand,
                "score": c.score,
                "title": c.title,
                "inputs_kept": c.inputs_kept,
            })
        })
        .collect();
    Ok(Json(
        json!({"cases": cases, "limit": limit, "offset": offset}),
    ))
}

fn case_id(id: &str) -> Result<String, ApiError> {
    phishprobe_store::cases::check_id(id)
        .map_err(|_| ApiError::not_found("case_not_found", "no case with that id"))
}

/// `GET /api/v1/cases/{id}` (a unique prefix of at least 4 characters works too).
pub async fn get(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = case_id(&id)?;
    let stored = st
        .cases
        .with_db(move |db| db.get_case(&id))
        .await?
        .ok_or_else(|| ApiError::not_found("case_not_found", "no case with that id"))?;
    Ok(Json(case_json(&stored)?))
}

/// `GET /api/v1/cases/{id}/evidence/{name}`: one evidence file (a screenshot, probe.json).
pub async fn evidence(
    State(st): State<Arc<AppState>>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = case_id(&id)?;
    let stored = st
        .cases
        .with_db(move |db| db.get_case(&id))
        .await?
        .ok_or_else(|| ApiError::not_found("case_not_found", "no case with that id"))?;
    let file = stored
        .evidence
        .into_iter()
        .find(|e| e.name == name)
        .ok_or_else(|| ApiError::not_found("screenshot_not_found", "no such evidence file"))?;
    let ctype = match file.media_type.as_str() {
        "image/png" => "image/png",
        "application/json" => "application/json",
        _ => "application/octet-stream",
    };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(ctype)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
        ],
        file.content,
    )
        .into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct ReportQuery {
    lang: Option<String>,
}

/// `GET /api/v1/cases/{id}/report.html?lang=en|zh`: the self-contained report to forward.
pub async fn report_html(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    QueryOf(q): QueryOf<ReportQuery>,
) -> Result<Response, ApiError> {
    let id = case_id(&id)?;
    let lang = match q.lang.as_deref() {
        Some("zh") => phishprobe_core::Lang::Zh,
        None | Some("" | "en") => phishprobe_core::Lang::En,
        Some(other) => {
            return Err(ApiError::bad_request(
                "bad_input",
                format!("\"lang\" must be en or zh, not {other:?}"),
            ));
        }
    };
    let stored = st
        .cases
        .with_db(move |db| db.get_case(&id))
        .await?
        .ok_or_else(|| ApiError::not_found("case_not_found", "no case with that id"))?;
    let html = phishprobe_case::export::html(&stored, lang)
        .map_err(|e| ApiError::internal(format!("the stored case is damaged: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline; filename=\"phishprobe-case.html\""),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
                ),
            ),
        ],
        html,
    )
        .into_response())
}
