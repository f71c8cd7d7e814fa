//! `phishprobe milter`: the email verdict in the mail flow (crate `phishprobe-milter`). Postfix
//! or Sendmail hand each message over the milter protocol; the answer is headers, a subject tag,
//! quarantine or reject as the configuration says. SIGTERM or Ctrl-C stops it after the
//! messages being checked are answered.
//!
//! With `--probe-queue`, messages judged suspicious or phishing that are delivered or held are
//! put on a queue as their verdict is known; one background worker then runs the wrong-password
//! probe on their link (as `phishprobe case --email F --probe` would) and saves the case to the
//! history. The probe never runs inline: it takes seconds, the MTA cannot wait. On stop, the
//! probe under way finishes and the rest of the queue is dropped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use anyhow::{Context as _, Result};
use phishprobe_case::{CaseChecker, CaseInputs};
use phishprobe_core::Engine;
use phishprobe_core::combine::ProbeStatus;
use phishprobe_email::EmailReport;
use phishprobe_milter::{AfterCheck, Config, ListenAddr, MilterServer, ServeOptions};
use phishprobe_probe::{ChromeConfig, ProbeOptions, Prober};

use super::Context;

/// Messages waiting for the probe worker; more are not probed (and the log says so). Each is at
/// most 4 MiB (the milter hands off nothing larger).
const PROBE_QUEUE: usize = 32;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to listen: inet:HOST:PORT (also Sendmail's inet:PORT@HOST) or unix:/path.
    #[arg(long, value_name = "ADDR", default_value = "inet:127.0.0.1:11340")]
    pub listen: ListenAddr,
    /// Configuration file (TOML): actions per verdict, failure policy, exclusions, limits.
    /// Without one, the defaults: headers on every message, phishing held (quarantine),
    /// tempfail when a message cannot be checked within 10 s.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Put envelope addresses and the subject in each message's log line (off: logs are kept
    /// longer than mail and are read by more people).
    #[arg(long)]
    pub log_addresses: bool,
    /// Serve counters (messages, verdicts, actions, tempfails) in Prometheus' text format on
    /// this address, for example 127.0.0.1:9340.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
    /// Check the configuration file, print the settings in force and exit.
    #[arg(long)]
    pub check_config: bool,
    /// After answering the MTA, run the wrong-password probe (headless Chromium) on the link
    /// of each suspicious or phishing message, one at a time, and save the case (message,
    /// verdict, probe outcome, screenshots) to the history.
    #[arg(long)]
    pub probe_queue: bool,
    /// --probe-queue: the history (SQLite file or postgres:// URL). Default: $PHISHPROBE_DB or
    /// the user data folder.
    #[arg(long, value_name = "PATH|URL", requires = "probe_queue")]
    pub db: Option<String>,
    /// --probe-queue: let the probe visit loopback and private addresses (tests, labs).
    #[arg(long, requires = "probe_queue")]
    pub probe_allow_private: bool,
    /// --probe-queue: Chromium binary (default: PHISHPROBE_CHROME, then the usual paths).
    #[arg(long, value_name = "PATH", requires = "probe_queue")]
    pub chrome: Option<PathBuf>,
    #[command(flatten)]
    pub brands: super::BrandsOpt,
}

pub fn run(args: Args, ctx: &Context) -> Result<u8> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if args.check_config {
        println!("{config:#?}");
        return Ok(0);
    }
    // Open the history now, so a wrong --db fails at start rather than at the first probe.
    let history = match args.probe_queue {
        true => Some(super::case::open_db(args.db.as_deref())?),
        false => None,
    };
    let (queue, jobs) = sync_channel::<ProbeJob>(PROBE_QUEUE);
    let options = ServeOptions {
        log_addresses: args.log_addresses,
        metrics: args.metrics,
        after_check: history
            .is_some()
            .then(|| Arc::new(ProbeQueue { queue }) as Arc<dyn AfterCheck>),
        email_data: Some(ctx.email_data.clone()),
    };
    let server = MilterServer::bind(&args.listen, config, options)?;
    let metrics = server
        .metrics_addr()
        .map(|a| format!("; metrics on http://{a}/metrics"))
        .unwrap_or_default();
    eprintln!(
        "phishprobe milter: listening on {}{metrics}{}; SIGTERM or Ctrl-C stops",
        args.listen,
        if history.is_some() {
            "; probe queue on"
        } else {
            ""
        }
    );
    let stopping = AtomicBool::new(false);
    let stats = std::thread::scope(|scope| {
        if let Some(db) = history {
            let engine = &ctx.engine;
            let email_data = &ctx.email_data;
            let args = &args;
            let stopping = &stopping;
            scope.spawn(move || probe_worker(engine, email_data, args, db, jobs, stopping));
        } else {
            drop(jobs);
        }
        let served = server.run(&ctx.engine, stop_signal());
        // The server's end dropped the last sender; what is still queued is not probed.
        stopping.store(true, Ordering::Relaxed);
        served
    })
    .with_context(|| format!("milter on {}", args.listen))?;
    eprintln!("phishprobe milter: stopped; {}", stats.summary());
    Ok(0)
}

/// One message for the probe worker.
struct ProbeJob {
    queue_id: String,
    raw: Vec<u8>,
}

/// The hand-off from the milter: never blocks; a full queue means this message is not probed.
struct ProbeQueue {
    queue: SyncSender<ProbeJob>,
}

impl AfterCheck for ProbeQueue {
    fn checked(&self, queue_id: &str, raw: Vec<u8>, _report: &EmailReport) {
        let job = ProbeJob {
            queue_id: queue_id.to_string(),
            raw,
        };
        if let Err(TrySendError::Full(job)) = self.queue.try_send(job) {
            eprintln!(
                "phishprobe milter: queue={} probe=skipped reason=probe-queue-full",
                job.queue_id
            );
        }
    }
}

/// Probe each queued message's link in one Chromium (started at the first job) and save the
/// case. Ends when the milter stops.
fn probe_worker(
    engine: &Engine,
    email_data: &phishprobe_email::EmailData,
    args: &Args,
    mut db: phishprobe_store::HistoryStore,
    jobs: Receiver<ProbeJob>,
    stopping: &AtomicBool,
) {
    let Ok(checker) = CaseChecker::embedded().map(|c| c.with_email_data(email_data.clone())) else {
        eprintln!("phishprobe milter: probe queue off: the case rules did not load");
        return;
    };
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        eprintln!("phishprobe milter: probe queue off: no async runtime");
        return;
    };
    let mut prober: Option<Prober> = None;
    let opts = ProbeOptions {
        timeout: Duration::from_secs(45),
        step_timeout: Duration::from_secs(15),
        allow_private: args.probe_allow_private,
        ..ProbeOptions::default()
    };
    while let Ok(job) = jobs.recv() {
        if stopping.load(Ordering::Relaxed) {
            break;
        }
        let name = if job.queue_id.is_empty() {
            "milter message".to_string()
        } else {
            format!("milter {}", job.queue_id)
        };
        let inputs = CaseInputs {
            email: Some((name, job.raw)),
            probe: true,
            keep_inputs: true,
            ..CaseInputs::default()
        };
        let Ok(parts) = checker.check_parts(engine, &inputs, &|_| None) else {
            continue;
        };
        let (status, evidence) = match parts.probe_target() {
            None => (ProbeStatus::NoTarget, Vec::new()),
            Some(url) => rt.block_on(async {
                if prober.is_none() {
                    let config = ChromeConfig {
                        executable: args.chrome.clone(),
                        ..ChromeConfig::default()
                    };
                    match Prober::launch(&config).await {
                        Ok(p) => prober = Some(p),
                        Err(e) => {
                            let why = format!("the browser could not start ({e})");
                            return (phishprobe_case::probe::failed(&why), Vec::new());
                        }
                    }
                }
                match &prober {
                    Some(p) => phishprobe_case::probe::run(engine, p, &url, opts.clone()).await,
                    None => (phishprobe_case::probe::failed("no browser"), Vec::new()),
                }
            }),
        };
        let report = checker.finish(engine, &parts, status);
        let saved = phishprobe_case::new_case(&inputs, &report, evidence)
            .map_err(anyhow::Error::from)
            .and_then(|row| db.save_case(&row).map_err(anyhow::Error::from));
        match saved {
            Ok(id) => eprintln!(
                "phishprobe milter: queue={} probe=done verdict={} case={id}",
                if job.queue_id.is_empty() {
                    "-"
                } else {
                    &job.queue_id
                },
                report.verdict.as_str()
            ),
            Err(e) => eprintln!(
                "phishprobe milter: queue={} probe case not saved: {e:#}",
                job.queue_id
            ),
        }
    }
    if let Some(p) = prober {
        rt.block_on(p.close());
    }
}

/// Completes on SIGTERM or SIGINT.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // No signal handling: run until killed.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
