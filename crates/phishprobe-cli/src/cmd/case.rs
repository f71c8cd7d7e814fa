//! `phishprobe case --email F --url U --phone N --text F|- [--probe]`: everything a person
//! received at once, checked in the order of the field rule, with one combined verdict, each
//! step's reasons and what to do now. Saved to the history unless `--no-save`.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use phishprobe_case::{CaseChecker, CaseInputs, MAX_EMAIL_BYTES, MAX_TEXT_BYTES};
use phishprobe_core::combine::ProbeStatus;
use phishprobe_core::phone::UserMark;
use phishprobe_probe::{ChromeConfig, ProbeOptions, Prober};
use phishprobe_store::{EvidenceFile, HistoryStore, Mark};

use super::Context;
use super::probe::EngineArg;
use crate::output;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The email (.eml file, or - for stdin).
    #[arg(long, value_name = "FILE")]
    pub email: Option<PathBuf>,
    /// A link you were sent or a page you were asked to sign in on (repeatable).
    #[arg(long, value_name = "URL")]
    pub url: Vec<String>,
    /// The number that called or texted (repeatable).
    #[arg(long, value_name = "NUMBER")]
    pub phone: Vec<String>,
    /// The words of the call or SMS: a UTF-8 file, or - for stdin (repeatable).
    #[arg(long, value_name = "FILE")]
    pub text: Vec<PathBuf>,
    /// A recorded call (voicemail, call recording, voice note), transcribed offline and judged
    /// like --text (repeatable; needs the cargo feature `audio` and `audio install-model`).
    #[arg(long, value_name = "FILE")]
    pub audio: Vec<PathBuf>,
    /// Language spoken in the --audio recordings.
    #[arg(long, value_enum, default_value_t = super::audio::SpeechLang::En)]
    pub speech_lang: super::audio::SpeechLang,
    /// Speech model for --audio: base (default), tiny.en, or a path to a ggml Whisper model.
    #[arg(long, value_name = "NAME|PATH")]
    pub audio_model: Option<String>,
    /// Run the wrong-password test on the sign-in page (visits the page with made-up
    /// credentials; never your own).
    #[arg(long)]
    pub probe: bool,
    /// Region for numbers written without a country code (US, CN, GB, ...).
    #[arg(long, value_name = "CC")]
    pub region: Option<String>,
    /// Keep only the SHA-256 and size of the email, texts and recordings in the history, not
    /// their words.
    #[arg(long)]
    pub hash_inputs: bool,
    /// Do not save the case to the history.
    #[arg(long)]
    pub no_save: bool,
    /// History database: a SQLite file or a postgres:// URL (default: $PHISHPROBE_DB or the
    /// user data folder).
    #[arg(long, value_name = "PATH|URL")]
    pub db: Option<String>,
    /// Probe: hard limit in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 45)]
    pub timeout: u64,
    /// Probe: how to load the page.
    #[arg(long, value_enum, default_value_t = EngineArg::Chrome)]
    pub engine: EngineArg,
    /// Probe: allow loopback and private targets (local test sites).
    #[arg(long)]
    pub allow_private: bool,
    /// Probe: Chromium binary (default: PHISHPROBE_CHROME, then /usr/bin/chromium, ...).
    #[arg(long, value_name = "PATH")]
    pub chrome: Option<PathBuf>,
    #[command(flatten)]
    pub output_opts: super::OutputOpts,
    #[command(flatten)]
    pub brands: super::BrandsOpt,
}

/// Open the history: `--db`, else `PHISHPROBE_DB`, else the user data folder.
pub fn open_db(db: Option<&str>) -> Result<HistoryStore> {
    let location = match db {
        Some(d) if phishprobe_store::is_postgres_url(d) => d.to_string(),
        Some(d) => phishprobe_store::resolve_path(Some(Path::new(d)))?
            .display()
            .to_string(),
        None => match std::env::var("PHISHPROBE_DB") {
            Ok(d) if phishprobe_store::is_postgres_url(&d) => d,
            _ => phishprobe_store::resolve_path(None)?.display().to_string(),
        },
    };
    HistoryStore::open(&location).context("opening the history database")
}

/// Read a file (or stdin for `-`), refusing more than `max` bytes.
fn read_input(path: &Path, max: usize, what: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    if path.as_os_str() == "-" {
        io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut buf)
            .context("reading standard input")?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut buf))
            .with_context(|| format!("reading {what} {}", path.display()))?;
    }
    if buf.len() > max {
        bail!(
            "{what} {} is larger than the {} KB limit",
            path.display(),
            max >> 10
        );
    }
    Ok(buf)
}

/// How an input file is named in the case, its history and its report: the file name only
/// (a report is forwarded; the folders of the checking computer are nobody's business).
fn input_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        return "stdin".to_string();
    }
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Nothing given, or an empty value: a usage error, said the same way for every input.
fn refuse_empty(args: &Args) -> Result<()> {
    if args.email.is_none()
        && args.url.is_empty()
        && args.phone.is_empty()
        && args.text.is_empty()
        && args.audio.is_empty()
    {
        return Err(super::usage(
            "case: nothing to check; give at least one of --email FILE, --url URL, --phone NUMBER, --text FILE, --audio FILE",
        ));
    }
    if args.url.iter().any(|u| u.trim().is_empty()) {
        return Err(super::usage(
            "case: --url is empty; give the link you were sent",
        ));
    }
    if args.phone.iter().any(|p| p.trim().is_empty()) {
        return Err(super::usage(
            "case: --phone is empty; give the number that called or texted",
        ));
    }
    Ok(())
}

fn gather(args: &Args, ctx: &Context) -> Result<CaseInputs> {
    refuse_empty(args)?;
    let stdin_uses = args
        .email
        .iter()
        .chain(&args.text)
        .filter(|p| p.as_os_str() == "-")
        .count();
    if stdin_uses > 1 {
        bail!("only one of --email and --text can read standard input (-)");
    }
    let mut inputs = CaseInputs {
        urls: args.url.clone(),
        phones: args.phone.clone(),
        probe: args.probe,
        region: args.region.clone(),
        keep_inputs: !args.hash_inputs,
        ..CaseInputs::default()
    };
    if let Some(p) = &args.email {
        let raw = read_input(p, MAX_EMAIL_BYTES, "email")?;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Err(super::usage(format!(
                "case: the email {} is empty; give the message as received (.eml)",
                input_name(p)
            )));
        }
        inputs.email = Some((input_name(p), raw));
    }
    for p in &args.text {
        let raw = read_input(p, MAX_TEXT_BYTES, "text")?;
        let words = String::from_utf8(raw)
            .map_err(|_| anyhow::anyhow!("text {} is not UTF-8 text", p.display()))?;
        if words.trim().is_empty() {
            return Err(super::usage(format!(
                "case: the text {} is empty; give the words of the call or SMS",
                input_name(p)
            )));
        }
        inputs.texts.push((input_name(p), words));
    }
    if !args.audio.is_empty() {
        let listener = super::audio::Listener::new(args.audio_model.as_deref(), args.speech_lang)?;
        for p in &args.audio {
            inputs
                .recordings
                .push(listener.recording_part(p, &input_name(p), ctx)?);
        }
    }
    Ok(inputs)
}

/// Run the probe on `url`, or say why it could not run.
fn probe(args: &Args, ctx: &Context, url: &str) -> (ProbeStatus, Vec<EvidenceFile>) {
    let opts = ProbeOptions {
        timeout: Duration::from_secs(args.timeout),
        step_timeout: Duration::from_secs((args.timeout / 3).clamp(5, 20)),
        allow_private: args.allow_private,
        ..ProbeOptions::default()
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return (
                phishprobe_case::probe::failed(&format!("no async runtime: {e}")),
                Vec::new(),
            );
        }
    };
    rt.block_on(async {
        match args.engine {
            EngineArg::Http => phishprobe_case::probe::run_http(&ctx.engine, url, opts).await,
            EngineArg::Chrome => {
                let prober = match Prober::launch(&ChromeConfig {
                    executable: args.chrome.clone(),
                    ..ChromeConfig::default()
                })
                .await
                {
                    Ok(p) => p,
                    Err(e) => {
                        return (
                            phishprobe_case::probe::failed(&format!(
                                "the browser could not start ({e}); install Debian's chromium or use --engine http"
                            )),
                            Vec::new(),
                        );
                    }
                };
                let r = phishprobe_case::probe::run(&ctx.engine, &prober, url, opts).await;
                prober.close().await;
                r
            }
        }
    })
}

pub fn run(args: Args, ctx: &Context) -> Result<u8> {
    if args.timeout == 0 || args.timeout > 600 {
        bail!("--timeout must be between 1 and 600 seconds");
    }
    super::phone::check_region(args.region.as_deref())?;
    let inputs = gather(&args, ctx)?;
    let checker = CaseChecker::embedded()
        .context("loading the case rules")?
        .with_email_data(ctx.email_data.clone());
    // The history also holds the user's numbers list; open it only when it is needed.
    let mut db = if args.no_save && inputs.phones.is_empty() && args.db.is_none() {
        None
    } else {
        Some(open_db(args.db.as_deref())?)
    };
    let marks: Vec<(String, UserMark)> = match db.as_mut() {
        Some(d) => d
            .list_numbers()?
            .into_iter()
            .map(|e| {
                (
                    e.number,
                    match e.mark {
                        Mark::Trusted => UserMark::Trusted,
                        Mark::Scam => UserMark::Scam,
                    },
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let parts = checker
        .check_parts(&ctx.engine, &inputs, &|k| {
            marks.iter().find(|(n, _)| n == k).map(|(_, m)| *m)
        })
        .map_err(|e| match e {
            phishprobe_case::CaseError::Empty => super::usage(e.to_string()),
            other => anyhow::anyhow!(other),
        })?;
    let (status, evidence) = match (args.probe, parts.probe_target()) {
        (false, _) => (ProbeStatus::NotRequested, Vec::new()),
        (true, None) => (ProbeStatus::NoTarget, Vec::new()),
        (true, Some(url)) => probe(&args, ctx, &url),
    };
    let report = checker.finish(&ctx.engine, &parts, status);

    let saved = match db.as_mut().filter(|_| !args.no_save) {
        Some(d) => {
            let row = phishprobe_case::new_case(&inputs, &report, evidence)
                .context("preparing the case for the history")?;
            Some(
                d.save_case(&row)
                    .context("saving the case to the history")?,
            )
        }
        None => None,
    };

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if ctx.json {
        let mut v = serde_json::to_value(&report)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("case_id".into(), saved.clone().into());
        }
        serde_json::to_writer(&mut out, &v)?;
        out.write_all(b"\n")?;
    } else {
        out.write_all(output::render_case(&report, ctx.lang, output::use_color(ctx)).as_bytes())?;
        if let Some(id) = &saved {
            let line = match ctx.lang {
                phishprobe_core::Lang::En => format!(
                    "\nSaved as case {id}: phishprobe history show {id}; report to forward: phishprobe history export {id} --format html --out report.html\n"
                ),
                phishprobe_core::Lang::Zh => format!(
                    "\n已保存为案例 {id}：phishprobe history show {id}；导出可转发的报告：phishprobe history export {id} --format html --out report.html\n"
                ),
            };
            out.write_all(line.as_bytes())?;
        }
    }
    out.flush()?;
    Ok(u8::try_from(report.verdict.exit_code()).unwrap_or(2))
}
