//! `phishprobe milter`: the email verdict in the mail flow (crate `phishprobe-milter`). Postfix
//! or Sendmail hand each message over the milter protocol; the answer is headers, a subject tag,
//! quarantine or reject as the configuration says. SIGTERM or Ctrl-C stops it after the
//! messages being checked are answered.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use phishprobe_milter::{Config, ListenAddr, MilterServer, ServeOptions};

use super::Context;

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
    let options = ServeOptions {
        log_addresses: args.log_addresses,
        metrics: args.metrics,
    };
    let server = MilterServer::bind(&args.listen, config, options)?;
    let metrics = server
        .metrics_addr()
        .map(|a| format!("; metrics on http://{a}/metrics"))
        .unwrap_or_default();
    eprintln!(
        "phishprobe milter: listening on {}{metrics}; SIGTERM or Ctrl-C stops",
        args.listen
    );
    let stats = server
        .run(&ctx.engine, stop_signal())
        .with_context(|| format!("milter on {}", args.listen))?;
    eprintln!("phishprobe milter: stopped; {}", stats.summary());
    Ok(0)
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
