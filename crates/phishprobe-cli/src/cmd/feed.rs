//! `phishprobe feed --from SOURCE [--to nats://…]`: screen every newly seen domain. Without
//! `--to`, names are judged here and one verdict per new name is printed (as `url` does);
//! with `--to`, they are published to JetStream for `phishprobe screen` workers.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use phishprobe_feed::broker::nats::{NatsOptions, NatsQueue};
use phishprobe_feed::broker::{NameQueue, Queue};
use phishprobe_feed::ct::{CtLimits, CtLog};
use phishprobe_feed::feed::{FeedOptions, FeedTally, SavedPosition, run_feed};
use phishprobe_feed::source::ct_follow::{self, FollowOptions};
use phishprobe_feed::source::socket::{self, SocketOptions};
use phishprobe_feed::source::{self, FeedEvent, SourceSpec};
use serde_json::json;
use tokio::sync::mpsc;

use super::Context;
use crate::output;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The feed: certstream:FILE (recorded JSON lines, - for stdin), certstream:ws://… or
    /// wss://…, ct:URL (a Static CT API or RFC 6962 log), zone:OLD,NEW (gzip or plain master
    /// files) or list:FILE (one name per line, - for stdin).
    #[arg(long, value_name = "SOURCE")]
    pub from: String,
    /// Publish the new names to NATS JetStream (nats://HOST:PORT, several separated by
    /// commas) for `phishprobe screen` workers, instead of judging them here.
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// CT logs: the first entry to read (default: where the last run stopped, else the log's
    /// current end, so only certificates logged from now on are read).
    #[arg(long, value_name = "N")]
    pub start: Option<u64>,
    /// CT logs and certstream sockets: stop once caught up instead of following the feed.
    #[arg(long)]
    pub once: bool,
    /// certstream sockets: reconnect after this many seconds without a message.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub stall: u64,
    /// CT logs: seconds between looks at the log's checkpoint once caught up.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub poll: u64,
    /// CT logs: where the position is kept so a restart resumes there (default: a file per
    /// log in the phishprobe data folder).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// A name is judged once per this many seconds, however often the feed repeats it.
    #[arg(long, value_name = "SECS", default_value_t = 86_400)]
    pub window: u64,
    /// At most this many names are remembered for the window (bounds memory, ~100 bytes each).
    #[arg(long, value_name = "N", default_value_t = 2_000_000)]
    pub remember: usize,
    /// With --to: stream copies when the streams are created (3 on a three-node cluster).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub replicas: usize,
    /// With --to: seconds JetStream drops a name published again (its message id).
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub dedup_window: u64,
    #[command(flatten)]
    pub output_opts: super::OutputOpts,
    #[command(flatten)]
    pub brands: super::BrandsOpt,
}

pub fn run(args: Args, ctx: &Context) -> Result<u8> {
    let spec: SourceSpec = args.from.parse().map_err(super::usage)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(feed(&args, spec, ctx))
}

async fn feed(args: &Args, spec: SourceSpec, ctx: &Context) -> Result<u8> {
    let options = FeedOptions {
        window: Duration::from_secs(args.window.max(1)),
        capacity: args.remember.max(1),
        ..FeedOptions::default()
    };
    let source_name = spec.to_string();
    // Only a followed log has a position to keep.
    let state_path = match (&args.state, &spec) {
        (Some(path), _) => Some(path.clone()),
        (None, SourceSpec::Ct(_)) => Some(default_state_path(&source_name)?),
        (None, _) => None,
    };
    let (tx, rx) = mpsc::channel::<FeedEvent>(256);
    let follow = Follow {
        start: args.start,
        once: args.once,
        poll: args.poll,
        stall: args.stall,
    };
    let reader = tokio::spawn(read_source(spec, follow, state_path.clone(), tx));
    let json_out = ctx.json;
    let on_bad = |at: &str, error: &str| report_bad(json_out, at, error);
    let save = |next: u64| match &state_path {
        Some(path) => save_position(path, &source_name, next),
        None => Ok(()),
    };
    let Some(url) = &args.to else {
        let mut worst = 0u8;
        let tally = run_feed(
            rx,
            &options,
            |batch| {
                let result = print_verdicts(ctx, &batch, &mut worst);
                async move { result }
            },
            on_bad,
            |next, _| save(next),
        )
        .await
        .map_err(|e| anyhow!(e))?;
        finish(reader).await?;
        summary(&tally, json_out, None);
        return Ok(worst);
    };
    let queue = NatsQueue::connect(url, nats_options(args))
        .await
        .map_err(|e| anyhow!(e))?;
    let (queue, source_name) = (&queue, &source_name);
    let published = std::cell::Cell::new((0u64, 0u64));
    let published_ref = &published;
    let tally = run_feed(
        rx,
        &options,
        |batch| async move {
            let done = publish_until_stored(queue, &batch, source_name).await;
            let (stored, duplicates) = published_ref.get();
            published_ref.set((stored + done.stored, duplicates + done.duplicates));
            Ok(())
        },
        on_bad,
        |next, tally| {
            save(next)?;
            progress(tally, json_out);
            Ok(())
        },
    )
    .await
    .map_err(|e| anyhow!(e))?;
    finish(reader).await?;
    summary(&tally, json_out, Some(published.get()));
    Ok(0)
}

fn nats_options(args: &Args) -> NatsOptions {
    NatsOptions {
        replicas: args.replicas.clamp(1, 5),
        duplicate_window: Duration::from_secs(args.dedup_window.max(1)),
        ..NatsOptions::default()
    }
}

/// Publish a batch, trying again (with a growing pause) while the broker is away: a name read
/// from the feed is never dropped, and a name published twice is dropped by the broker.
async fn publish_until_stored(
    queue: &NatsQueue,
    batch: &[String],
    source: &str,
) -> phishprobe_feed::broker::Published {
    let mut pause = Duration::from_millis(200);
    loop {
        match queue.publish(Queue::Names, batch, source).await {
            Ok(done) => return done,
            Err(e) => {
                eprintln!(
                    "phishprobe feed: {e}; trying again in {} ms",
                    pause.as_millis()
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Run the source; a source that fails (a file that does not open, a CT log whose checkpoint
/// does not match its tiles) ends the feed with its error.
/// How live feeds are followed (the options that apply to CT logs and sockets).
struct Follow {
    start: Option<u64>,
    once: bool,
    poll: u64,
    stall: u64,
}

async fn read_source(
    spec: SourceSpec,
    follow: Follow,
    state: Option<PathBuf>,
    tx: mpsc::Sender<FeedEvent>,
) -> Result<()> {
    let Follow {
        start,
        once,
        poll,
        stall,
    } = follow;
    let blocking = |work: Box<dyn FnOnce() -> io::Result<()> + Send>| async move {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| anyhow!("the feed reader stopped: {e}"))?
            .map_err(anyhow::Error::from)
    };
    match spec {
        SourceSpec::CertstreamFile(input) => {
            blocking(Box::new(move || source::read_certstream_lines(&input, &tx))).await
        }
        SourceSpec::List(input) => blocking(Box::new(move || source::read_list(&input, &tx))).await,
        SourceSpec::Zone { old, new } => {
            blocking(Box::new(move || {
                source::read_zone_difference(&old, &new, &tx)
            }))
            .await
        }
        SourceSpec::Ct(url) => {
            let saved = match &state {
                Some(path) => {
                    SavedPosition::load(path, &format!("ct:{url}")).map_err(|e| anyhow!(e))?
                }
                None => None,
            };
            let log = CtLog::new(&url, CtLimits::default()).map_err(|e| anyhow!("{url}: {e}"))?;
            let options = FollowOptions {
                start: start.or(saved),
                once,
                poll: Duration::from_secs(poll.max(1)),
            };
            ct_follow::follow(&log, &options, &tx)
                .await
                .map_err(|e| anyhow!("CT log {url} refused: {e}"))
        }
        SourceSpec::CertstreamSocket(url) => {
            let options = SocketOptions {
                once,
                stall: Duration::from_secs(stall.max(1)),
            };
            socket::follow(&url, &options, &tx)
                .await
                .map_err(|e| anyhow!("{url}: {e}"))
        }
    }
}

async fn finish(reader: tokio::task::JoinHandle<Result<()>>) -> Result<()> {
    reader
        .await
        .map_err(|e| anyhow!("the feed reader stopped: {e}"))?
}

fn print_verdicts(ctx: &Context, batch: &[String], worst: &mut u8) -> Result<(), String> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for name in batch {
        let report = ctx.engine.check_host(name);
        *worst = (*worst).max(u8::try_from(report.verdict.exit_code()).unwrap_or(0));
        output::emit(ctx, &mut out, &report).map_err(|e| format!("cannot print: {e}"))?;
    }
    out.flush().map_err(|e| format!("cannot print: {e}"))
}

fn report_bad(json: bool, at: &str, error: &str) {
    if json {
        eprintln!("{}", json!({"error": error, "at": at}));
    } else {
        eprintln!("phishprobe feed: {at}: {error}");
    }
}

fn progress(tally: &FeedTally, json: bool) {
    if json {
        eprintln!("{}", json!({"progress": tally}));
    } else {
        eprintln!(
            "phishprobe feed: {} records, {} new names, {} repeats, position {}",
            tally.records,
            tally.new_names,
            tally.repeats,
            tally.position.map_or("-".into(), |p| p.to_string())
        );
    }
}

fn summary(tally: &FeedTally, json: bool, published: Option<(u64, u64)>) {
    if json {
        let mut value = json!({"feed": tally});
        if let Some((stored, duplicates)) = published {
            value["published"] = json!({"stored": stored, "duplicates": duplicates});
        }
        eprintln!("{value}");
        return;
    }
    let mut line = format!(
        "phishprobe feed: {} records ({} unreadable), {} names: {} new, {} repeats, {} not hostnames",
        tally.records,
        tally.bad_records,
        tally.names,
        tally.new_names,
        tally.repeats,
        tally.bad_names
    );
    if let Some((stored, duplicates)) = published {
        line.push_str(&format!(
            "; published {stored} (the broker dropped {duplicates} duplicates)"
        ));
    }
    eprintln!("{line}");
}

fn save_position(path: &Path, source: &str, next: u64) -> Result<(), String> {
    SavedPosition {
        source: source.to_string(),
        next,
    }
    .save(path)
}

/// `<data folder>/phishprobe/feed/<log, made a file name>.json`.
fn default_state_path(source: &str) -> Result<PathBuf> {
    let base = dirs_data().join("feed");
    std::fs::create_dir_all(&base).with_context(|| format!("cannot create {}", base.display()))?;
    let file: String = source
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(150)
        .collect();
    Ok(base.join(format!("{file}.json")))
}

fn dirs_data() -> PathBuf {
    match phishprobe_store::resolve_path(None) {
        Ok(db) => db
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
        Err(_) => PathBuf::from("."),
    }
}
