//! Probe jobs: the wrong-password test takes seconds (a real browser loads the page, types
//! decoys, waits for the answer), so it is a job: submit, then poll.
//!
//! Bounded on purpose: at most `queue` jobs waiting or running (more are refused with
//! `probe_queue_full`), at most `concurrency` running at once (one browser context each), one
//! shared headless Chromium started lazily on the first job (most servers never probe), and a
//! capped table of finished jobs whose evidence folders are removed when they are forgotten.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use phishprobe_core::Engine;
use phishprobe_probe::{ChromeConfig, ProbeOptions, Prober, safety};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// Finished jobs remembered (their results and screenshots); older ones are forgotten first.
const MAX_FINISHED: usize = 200;

/// Settings for probe jobs.
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    /// Probes running at once (browser contexts).
    pub concurrency: usize,
    /// Jobs waiting or running at once; more are refused.
    pub queue: usize,
    /// Hard limit per probe.
    pub timeout: Duration,
    /// Allow loopback, private and link-local targets (`--allow-private`).
    pub allow_private: bool,
    /// Exact `host:port` pairs allowed even when private (a known test site).
    pub allow_hosts: Vec<String>,
    /// How to start Chromium.
    pub chrome: ChromeConfig,
    /// Where screenshots go (a temporary folder, removed at exit, when `None`).
    pub evidence_dir: Option<PathBuf>,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        ProbeSettings {
            concurrency: 2,
            queue: 16,
            timeout: Duration::from_secs(45),
            allow_private: false,
            allow_hosts: Vec::new(),
            chrome: ChromeConfig::default(),
            evidence_dir: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Queued,
    Running,
    Done,
    Failed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
        }
    }
}

/// What a custom job (a case with a probe) returns.
pub struct WorkOutput {
    /// The job's `result`, or an error code and message.
    pub result: Result<Value, (&'static str, String)>,
}

/// A custom job: given the shared browser (or why it could not start) and the job's evidence
/// folder, produce the result.
pub type Work = Box<
    dyn FnOnce(
            Result<Arc<Prober>, String>,
            PathBuf,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = WorkOutput> + Send>>
        + Send,
>;

/// What a job does with the browser.
enum JobKind {
    /// `POST /api/v1/probe`: probe the URL, answer the verdict model plus outcome and evidence.
    Probe,
    /// Anything else that needs the browser (a case's wrong-password step).
    Custom(Work),
}

struct Job {
    url: String,
    kind: Option<JobKind>,
    status: Status,
    seq: u64,
    created: Instant,
    started: Option<Instant>,
    finished: Option<Instant>,
    result: Option<Value>,
    error: Option<(&'static str, String)>,
    screenshots: Vec<PathBuf>,
    dir: PathBuf,
}

/// Every job by id, and the finished ones oldest first (the first to go when the table is full).
#[derive(Default)]
struct JobTable {
    jobs: HashMap<String, Job>,
    finished: VecDeque<String>,
    next_seq: u64,
}

/// The job system, shared by every request.
pub struct Jobs {
    settings: ProbeSettings,
    engine: Arc<Engine>,
    table: Mutex<JobTable>,
    slots: Semaphore,
    prober: tokio::sync::Mutex<Option<Arc<Prober>>>,
    root: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl Jobs {
    pub fn new(settings: ProbeSettings, engine: Arc<Engine>) -> std::io::Result<Arc<Jobs>> {
        let (root, tmp) = match &settings.evidence_dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                (d.clone(), None)
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("phishprobe-serve-")
                    .tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        Ok(Arc::new(Jobs {
            slots: Semaphore::new(settings.concurrency.max(1)),
            settings,
            engine,
            table: Mutex::new(JobTable::default()),
            prober: tokio::sync::Mutex::new(None),
            root,
            _tmp: tmp,
        }))
    }

    fn table(&self) -> std::sync::MutexGuard<'_, JobTable> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts for the health answer: (queued, running, browser started).
    pub fn stats(&self) -> (usize, usize, bool) {
        let t = self.table();
        let q = t
            .jobs
            .values()
            .filter(|j| j.status == Status::Queued)
            .count();
        let r = t
            .jobs
            .values()
            .filter(|j| j.status == Status::Running)
            .count();
        drop(t);
        let started = self.prober.try_lock().map(|p| p.is_some()).unwrap_or(true);
        (q, r, started)
    }

    /// Check a probe target against the server's policy: its shape, then every address its
    /// name resolves to. (The browser's egress guard checks every later hop again.)
    pub async fn check_target(&self, url: &str) -> Result<url::Url, ApiError> {
        let target =
            safety::parse_target(url).map_err(|e| ApiError::bad_request("bad_input", e))?;
        safety::check_target_with(
            &target,
            self.settings.allow_private,
            &self.settings.allow_hosts,
        )
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "probe_target_refused",
                format!("{e} (the operator can start the server with --allow-private)"),
            )
        })?;
        Ok(target)
    }

    /// Check the target and queue a probe job.
    pub async fn submit(self: &Arc<Self>, url: &str) -> Result<Value, ApiError> {
        let target = self.check_target(url).await?;
        self.enqueue(target.to_string(), JobKind::Probe)
    }

    /// Queue a custom job (its target already checked by the caller).
    pub fn submit_work(self: &Arc<Self>, url: &str, work: Work) -> Result<Value, ApiError> {
        self.enqueue(url.to_string(), JobKind::Custom(work))
    }

    pub fn probe_options(&self, dir: Option<PathBuf>) -> ProbeOptions {
        ProbeOptions {
            timeout: self.settings.timeout,
            step_timeout: (self.settings.timeout / 3)
                .clamp(Duration::from_secs(5), Duration::from_secs(20)),
            allow_private: self.settings.allow_private,
            allow_hosts: self.settings.allow_hosts.clone(),
            evidence_dir: dir,
            ..ProbeOptions::default()
        }
    }

    fn enqueue(self: &Arc<Self>, url: String, kind: JobKind) -> Result<Value, ApiError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        {
            let mut t = self.table();
            let active = t
                .jobs
                .values()
                .filter(|j| matches!(j.status, Status::Queued | Status::Running))
                .count();
            if active >= self.settings.queue.max(1) {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "probe_queue_full",
                    format!("{active} probes are already waiting or running; try again shortly"),
                )
                .retry_after(10));
            }
            t.next_seq += 1;
            let seq = t.next_seq;
            t.jobs.insert(
                id.clone(),
                Job {
                    url,
                    kind: Some(kind),
                    status: Status::Queued,
                    seq,
                    created: Instant::now(),
                    started: None,
                    finished: None,
                    result: None,
                    error: None,
                    screenshots: Vec::new(),
                    dir: self.root.join(&id),
                },
            );
        }
        let me = self.clone();
        let jid = id.clone();
        tokio::spawn(async move { me.run(jid).await });
        self.view(&id)
            .ok_or_else(|| ApiError::internal("the job vanished"))
    }

    async fn run(self: Arc<Self>, id: String) {
        let Ok(_permit) = self.slots.acquire().await else {
            return;
        };
        let (url, dir, kind) = {
            let mut t = self.table();
            let Some(j) = t.jobs.get_mut(&id) else {
                return;
            };
            j.status = Status::Running;
            j.started = Some(Instant::now());
            (j.url.clone(), j.dir.clone(), j.kind.take())
        };
        // The probe has its own hard timeout; this outer one only guards against a browser
        // that stopped answering altogether.
        let cap = self.settings.timeout + Duration::from_secs(30);
        if let Some(JobKind::Custom(work)) = kind {
            let prober = self.prober().await;
            let out = match tokio::time::timeout(cap, work(prober, dir)).await {
                Ok(o) => o.result,
                Err(_) => {
                    *self.prober.lock().await = None;
                    Err((
                        "browser_unavailable",
                        "the browser stopped answering".to_string(),
                    ))
                }
            };
            self.complete(&id, out.map(|v| (v, Vec::new())));
            return;
        }
        let outcome = match self.prober().await {
            Ok(p) => {
                let opts = self.probe_options(Some(dir.clone()));
                match tokio::time::timeout(cap, p.probe(&url, &opts)).await {
                    Ok(mut r) => {
                        if r.errors.iter().any(|e| e.starts_with("browser context")) {
                            // The browser may have died: start a fresh one next time.
                            *self.prober.lock().await = None;
                        }
                        phishprobe_probe::claim_brand(&self.engine, &mut r);
                        let report = phishprobe_probe::verdict(&self.engine, &url, &r);
                        Ok((report, r))
                    }
                    Err(_) => {
                        *self.prober.lock().await = None;
                        Err((
                            "browser_unavailable",
                            "the browser stopped answering".to_string(),
                        ))
                    }
                }
            }
            Err(e) => Err(("browser_unavailable", e)),
        };
        let out = outcome.map(|(report, r)| {
            let shots: Vec<PathBuf> = r
                .steps
                .iter()
                .filter_map(|s| s.screenshot.clone())
                .collect();
            let mut evidence = serde_json::to_value(&r).unwrap_or(Value::Null);
            // Screenshot paths are server-side files: answer with their API addresses.
            if let Some(steps) = evidence.get_mut("steps").and_then(Value::as_array_mut) {
                let mut n = 0;
                for s in steps {
                    if let Some(o) = s.as_object_mut()
                        && o.get("screenshot").is_some_and(|v| !v.is_null())
                    {
                        n += 1;
                        o.insert(
                            "screenshot".into(),
                            Value::String(format!("/api/v1/probe/{id}/screenshots/{n}")),
                        );
                    }
                }
            }
            let mut v = serde_json::to_value(&report).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert("outcome".into(), r.outcome.as_str().into());
                o.insert("evidence".into(), evidence);
            }
            (v, shots)
        });
        self.complete(&id, out);
    }

    fn complete(&self, id: &str, out: Result<(Value, Vec<PathBuf>), (&'static str, String)>) {
        let mut t = self.table();
        let Some(j) = t.jobs.get_mut(id) else {
            return;
        };
        j.finished = Some(Instant::now());
        match out {
            Ok((v, shots)) => {
                j.screenshots = shots;
                j.result = Some(v);
                j.status = Status::Done;
            }
            Err((code, msg)) => {
                j.error = Some((code, msg));
                j.status = Status::Failed;
            }
        }
        t.finished.push_back(id.to_string());
        while t.finished.len() > MAX_FINISHED {
            if let Some(old) = t.finished.pop_front()
                && let Some(j) = t.jobs.remove(&old)
            {
                let _ = std::fs::remove_dir_all(&j.dir);
            }
        }
    }

    /// The shared browser, started on first use. A failed start is not remembered: the next
    /// job tries again (the operator may install Chromium meanwhile).
    async fn prober(&self) -> Result<Arc<Prober>, String> {
        let mut g = self.prober.lock().await;
        if let Some(p) = g.as_ref() {
            return Ok(p.clone());
        }
        let p = Prober::launch(&self.settings.chrome)
            .await
            .map_err(|e| e.to_string())?;
        let p = Arc::new(p);
        *g = Some(p.clone());
        Ok(p)
    }

    /// Stop the browser (at shutdown).
    pub async fn close(&self) {
        let p = self.prober.lock().await.take();
        if let Some(p) = p
            && let Ok(p) = Arc::try_unwrap(p)
        {
            p.close().await;
        }
    }

    /// A job as the API shows it.
    pub fn view(&self, id: &str) -> Option<Value> {
        let t = self.table();
        let j = t.jobs.get(id)?;
        let mut v = json!({
            "id": id,
            "url": j.url,
            "status": j.status.as_str(),
            "submitted_ms_ago": j.created.elapsed().as_millis() as u64,
        });
        let o = v.as_object_mut()?;
        if j.status == Status::Queued {
            let ahead = t
                .jobs
                .values()
                .filter(|x| x.status == Status::Queued && x.seq < j.seq)
                .count();
            o.insert("queue_position".into(), json!(ahead + 1));
        }
        if let Some(s) = j.started {
            let end = j.finished.unwrap_or_else(Instant::now);
            o.insert(
                "elapsed_ms".into(),
                json!(end.saturating_duration_since(s).as_millis() as u64),
            );
            o.insert(
                "timeout_ms".into(),
                json!(self.settings.timeout.as_millis() as u64),
            );
        }
        if let Some(r) = &j.result {
            o.insert("result".into(), r.clone());
            let shots: Vec<String> = (1..=j.screenshots.len())
                .map(|n| format!("/api/v1/probe/{id}/screenshots/{n}"))
                .collect();
            o.insert("screenshots".into(), json!(shots));
        }
        if let Some((code, msg)) = &j.error {
            o.insert("error".into(), json!({"code": code, "message": msg}));
        }
        Some(v)
    }

    /// Path of screenshot `n` (1-based) of job `id`.
    pub fn screenshot(&self, id: &str, n: usize) -> Option<PathBuf> {
        let t = self.table();
        let j = t.jobs.get(id)?;
        let p = j.screenshots.get(n.checked_sub(1)?)?.clone();
        // Only files inside this job's own folder are ever served.
        p.starts_with(&j.dir).then_some(p)
    }
}
