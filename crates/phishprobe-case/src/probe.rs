//! The wrong-password step of a case: probe one page with a browser the caller owns, and keep
//! the screenshots and the probe's own record as evidence files for the history.

use std::path::{Path, PathBuf};

use phishprobe_core::combine::ProbeStatus;
use phishprobe_core::{Engine, Message};
use phishprobe_probe::{ProbeOptions, ProbeResult, Prober};
use phishprobe_store::EvidenceFile;

/// Largest single evidence file kept (a full-page screenshot is far smaller).
const MAX_EVIDENCE_FILE: u64 = 8 << 20;

/// A folder that is removed when dropped, for one probe's screenshots.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> std::io::Result<ScratchDir> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "phishprobe-case-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(ScratchDir(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Screenshots (`*.png`, in name order) under `dir`, capped in size and count.
fn collect_pngs(dir: &Path) -> Vec<EvidenceFile> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "png") {
                paths.push(p);
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .take(32)
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= MAX_EVIDENCE_FILE))
        .filter_map(|p| {
            let content = std::fs::read(&p).ok()?;
            let name = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
            Some(EvidenceFile {
                name,
                media_type: "image/png".into(),
                content,
            })
        })
        .collect()
}

/// The probe's own record as an evidence file (outcome, redirect chain, decoy requests).
fn record(result: &ProbeResult) -> Option<EvidenceFile> {
    serde_json::to_vec_pretty(result)
        .ok()
        .map(|content| EvidenceFile {
            name: "probe.json".into(),
            media_type: "application/json".into(),
            content,
        })
}

/// Probe `url` with `prober` (a browser the caller launched) and turn the result into the
/// case's probe status and evidence. `opts.evidence_dir` is replaced by a scratch folder.
pub async fn run(
    engine: &Engine,
    prober: &Prober,
    url: &str,
    mut opts: ProbeOptions,
) -> (ProbeStatus, Vec<EvidenceFile>) {
    let scratch = match ScratchDir::new() {
        Ok(s) => s,
        Err(e) => return (no_scratch(&e), Vec::new()),
    };
    opts.evidence_dir = Some(scratch.0.clone());
    let result = prober.probe(url, &opts).await;
    finish(engine, url, result, &scratch)
}

/// [`run`] without a browser: HTML forms over plain HTTP (inconclusive where the page needs
/// JavaScript). No screenshots, only the probe's record.
pub async fn run_http(
    engine: &Engine,
    url: &str,
    mut opts: ProbeOptions,
) -> (ProbeStatus, Vec<EvidenceFile>) {
    let scratch = match ScratchDir::new() {
        Ok(s) => s,
        Err(e) => return (no_scratch(&e), Vec::new()),
    };
    opts.evidence_dir = Some(scratch.0.clone());
    let result = phishprobe_probe::http::probe(url, &opts).await;
    finish(engine, url, result, &scratch)
}

fn no_scratch(e: &std::io::Error) -> ProbeStatus {
    ProbeStatus::Failed(Message::new(
        format!("cannot create a folder for the screenshots: {e}"),
        format!("无法创建截图文件夹：{e}"),
    ))
}

fn finish(
    engine: &Engine,
    url: &str,
    mut result: ProbeResult,
    scratch: &ScratchDir,
) -> (ProbeStatus, Vec<EvidenceFile>) {
    phishprobe_probe::claim_brand(engine, &mut result);
    let report = phishprobe_probe::verdict(engine, url, &result);
    let mut evidence = collect_pngs(&scratch.0);
    evidence.extend(record(&result));
    (
        ProbeStatus::Ran {
            url: url.to_string(),
            report,
        },
        evidence,
    )
}

/// The status for a probe that could not start (no browser, refused target, ...).
pub fn failed(why: &str) -> ProbeStatus {
    ProbeStatus::Failed(Message::new(
        why.to_string(),
        format!("测试无法进行：{why}"),
    ))
}
