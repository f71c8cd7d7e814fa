//! `phishprobe serve`: the local web page and the JSON API (crate `phishprobe-server`).
//!
//! Safe by default: listens on 127.0.0.1 only; any other address needs `--token` (or
//! `PHISHPROBE_TOKEN`, which keeps the token out of the process list), and the server refuses
//! to start without one. The probe refuses private targets unless `--allow-private`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use phishprobe_probe::ChromeConfig;
use phishprobe_server::{ProbeSettings, RateLimit, ServerConfig};

use super::Context;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address and port to listen on. Anything but loopback needs --token.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// API token (at least 16 characters) the page and API clients must send
    /// (`Authorization: Bearer TOKEN` or `X-Phishprobe-Token`). Default: $PHISHPROBE_TOKEN.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Let the wrong-password probe visit loopback, private and link-local addresses.
    #[arg(long)]
    pub allow_private: bool,
    /// Case history: a SQLite file or a postgres:// URL. Default: the CLI history
    /// ($PHISHPROBE_DB or the user data folder).
    #[arg(long, visible_alias = "db", value_name = "PATH|URL")]
    pub database: Option<String>,
    /// Keep no case history (the cases endpoints answer `cases_unavailable`).
    #[arg(long, conflicts_with = "database")]
    pub no_history: bool,
    /// Requests per second per client address (token bucket); 0 turns the limit off.
    #[arg(long, value_name = "N", default_value_t = 50.0)]
    pub rate_limit: f64,
    /// Burst size of the per-client limit.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub burst: u32,
    /// Probes running at once (one shared headless Chromium, one context each).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub probe_concurrency: usize,
    /// Probes waiting or running at once; more are refused (`probe_queue_full`).
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub probe_queue: usize,
    /// Hard limit per probe, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 45)]
    pub probe_timeout: u64,
    /// Largest email accepted, in MB.
    #[arg(long, value_name = "MB", default_value_t = 10)]
    pub max_email_mb: usize,
    /// Speech model for call recordings (`POST /api/v1/audio`): an installed one by name
    /// (base, the default; tiny.en) or a path to a ggml Whisper model file. Loaded on the
    /// first upload. Needs a build with `--features audio`.
    #[arg(long, value_name = "NAME|PATH")]
    pub audio_model: Option<String>,
    /// Chromium binary (default: PHISHPROBE_CHROME, then the usual paths).
    #[arg(long, value_name = "PATH")]
    pub chrome: Option<PathBuf>,
    /// Keep probe screenshots under this folder (default: a temporary folder removed at exit).
    #[arg(long, value_name = "DIR")]
    pub evidence_dir: Option<PathBuf>,
    /// No access log on stderr (the log never holds bodies, tokens or query strings).
    #[arg(long)]
    pub quiet: bool,
    /// Another name the server answers to, besides its listen address and localhost /
    /// 127.0.0.1 / [::1] with its port: NAME (any port) or NAME:PORT; repeatable. Requests
    /// with any other `Host` are refused (421), which stops DNS rebinding.
    #[arg(long = "allowed-host", value_name = "NAME[:PORT]")]
    pub allowed_hosts: Vec<String>,
    /// A web origin (`http(s)://host[:port]`, compared exactly) whose pages may call the API
    /// (CORS); repeatable. Default: none, and other sites' requests are refused.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
}

pub fn run(args: Args, _ctx: &Context) -> Result<u8> {
    if !(1..=16).contains(&args.probe_concurrency) {
        bail!("--probe-concurrency must be between 1 and 16");
    }
    if !(1..=1000).contains(&args.probe_queue) {
        bail!("--probe-queue must be between 1 and 1000");
    }
    if args.probe_timeout == 0 || args.probe_timeout > 600 {
        bail!("--probe-timeout must be between 1 and 600 seconds");
    }
    if !(1..=64).contains(&args.max_email_mb) {
        bail!("--max-email-mb must be between 1 and 64");
    }
    if !args.rate_limit.is_finite() || args.rate_limit < 0.0 {
        bail!("--rate-limit must be 0 (off) or a positive number");
    }
    check_audio_model(args.audio_model.as_deref())?;
    let token = args
        .token
        .clone()
        .or_else(|| std::env::var("PHISHPROBE_TOKEN").ok())
        .filter(|t| !t.is_empty());
    let history = !args.no_history;
    let config = ServerConfig {
        token,
        rate_limit: RateLimit {
            per_second: args.rate_limit,
            burst: args.burst.max(1),
        },
        max_email_bytes: args.max_email_mb << 20,
        audio_model: args.audio_model.clone(),
        probe: ProbeSettings {
            concurrency: args.probe_concurrency,
            queue: args.probe_queue,
            timeout: Duration::from_secs(args.probe_timeout),
            allow_private: args.allow_private,
            chrome: ChromeConfig {
                executable: args.chrome.clone(),
                ..ChromeConfig::default()
            },
            evidence_dir: args.evidence_dir.clone(),
            ..ProbeSettings::default()
        },
        database: args.database.clone(),
        history,
        access_log: !args.quiet,
        allowed_hosts: args.allowed_hosts.clone(),
        allowed_origins: args.allow_origins.clone(),
        ..ServerConfig::default()
    };
    let where_ = match (&args.database, history) {
        (_, false) => "no case history".to_string(),
        (Some(d), true) => format!("history: {}", phishprobe_core::redact::redact_url(d)),
        (None, true) => match phishprobe_store::resolve_path(None) {
            Ok(p) => format!("history: {}", p.display()),
            Err(_) => "history: default".to_string(),
        },
    };
    let private = if args.allow_private {
        "probe may visit private addresses"
    } else {
        "probe refuses private addresses"
    };
    phishprobe_server::run_blocking(config, args.listen, |addr| {
        eprintln!("phishprobe serve: http://{addr}/ ({where_}; {private}); Ctrl-C stops");
    })
    .with_context(|| format!("serving on {}", args.listen))?;
    Ok(0)
}

/// A `--audio-model` that cannot work is refused at start rather than at the first upload.
fn check_audio_model(model: Option<&str>) -> Result<()> {
    let Some(model) = model else {
        return Ok(());
    };
    if !cfg!(feature = "audio") {
        bail!(
            "--audio-model: this phishprobe was built without speech recognition; build it with `cargo build --release -p phishprobe-cli --features audio` (needs cmake, clang and libclang-dev)"
        );
    }
    phishprobe_audio::models::resolve(Some(model)).context("--audio-model")?;
    Ok(())
}
