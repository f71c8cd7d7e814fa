//! `phishprobe`: tells whether a link, email, phone number, call/SMS text or login page that
//! claims to be Amazon (or another marketplace or payment brand) is genuine, and why.
//!
//! Exit codes: 0 genuine or unknown, 1 suspicious, 2 phishing (the worst over all inputs),
//! 3 usage error (also: empty input, an option the command does not take), 4 input error
//! (unreadable file, bad data file).

mod cmd;
mod context;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Exit code for a command line that clap rejects or that makes no sense.
pub const EXIT_USAGE: u8 = 3;
/// Exit code for unreadable input or data files.
pub const EXIT_INPUT: u8 = 4;

#[derive(Parser, Debug)]
#[command(
    name = "phishprobe",
    version,
    about = "Is this Amazon (or eBay, PayPal...) email, link, call or login page genuine? Verdicts with reasons you can check.",
    after_help = "Global options may be given before the command or after it; each command's --help lists the ones it takes.\n\nExit codes: 0 genuine or unknown, 1 suspicious, 2 phishing (found on purpose: the verdict, not a failure), 3 usage error, 4 input error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: cmd::GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check links or hostnames (arguments, --file, or one per line on stdin).
    Url(cmd::url::Args),
    /// Check emails: .eml files, mbox files, folders (recursive), or stdin.
    Email(cmd::email::Args),
    /// Check the words of an SMS, chat, call notes or call transcript (arguments, --file,
    /// --jsonl batch, or stdin). --text-lang picks the pattern set.
    Text(cmd::text::Args),
    /// A recorded call (voicemail, call recording, voice note) to words offline, then the
    /// same verdict as `text`, with the timed transcript as evidence (`audio install-model`
    /// first; speech recognition needs the cargo feature `audio`).
    Audio(cmd::audio::Args),
    /// Explain phone numbers (country, type) without false trust; caller ID proves nothing.
    Phone(cmd::phone::Args),
    /// Your local list of numbers marked trusted or scam (add, list, remove).
    Numbers(cmd::numbers::Args),
    /// The wrong-password test: try random decoy credentials on a sign-in page (headless
    /// Chromium, or --engine http) and read where they went and what the page did.
    Probe(cmd::probe::Args),
    /// One case: an email, links, the number that called, the words of the call or SMS, at
    /// once; checked in the order of the field rule, with one verdict, reasons and advice.
    /// Saved to the history (--no-save to skip; --hash-inputs keeps only hashes).
    Case(cmd::case::Args),
    /// Saved cases: list, show ID, export ID --format html|json, delete ID.
    History(cmd::history::Args),
    /// The local web page (English and Chinese) and the JSON API, on 127.0.0.1:8080 by
    /// default; any other address needs --token.
    Serve(cmd::serve::Args),
    /// The email check in the mail flow: a milter for Postfix and Sendmail (headers on every
    /// message, phishing held or rejected as configured, tempfail when it cannot check).
    Milter(cmd::milter::Args),
    /// Measure throughput of the analysis pipelines on generated or corpus input.
    Bench(cmd::bench::Args),
    /// Screen every newly seen domain: follow a CT log, certstream, zone-file differences or a
    /// list; judge here, or publish to NATS JetStream for `screen` workers (--to).
    Feed(cmd::feed::Args),
    /// A screening worker on NATS JetStream: judge the names `feed --to` published and store
    /// every verdict (run as many as you like).
    Screen(cmd::screen::Args),
}

impl Command {
    /// The global options given after the subcommand (none for commands that take none).
    fn globals(&self) -> cmd::GlobalArgs {
        match self {
            Command::Url(a) => a.output_opts.with_brands(&a.brands),
            Command::Email(a) => a.output_opts.with_brands(&a.brands),
            Command::Text(a) => a.output_opts.with_brands(&a.brands),
            Command::Audio(a) => a.output_opts.with_brands(&a.brands),
            Command::Phone(a) => a.output_opts.with_brands(&a.brands),
            Command::Probe(a) => a.output_opts.with_brands(&a.brands),
            Command::Case(a) => a.output_opts.with_brands(&a.brands),
            Command::History(a) => a.output_opts.with_brands(&cmd::BrandsOpt::default()),
            Command::Numbers(a) => a.output_opts.globals(),
            Command::Bench(a) => cmd::GlobalArgs {
                json: a.json,
                ..a.brands.globals()
            },
            Command::Serve(_) => cmd::GlobalArgs::default(),
            Command::Milter(a) => a.brands.globals(),
            Command::Feed(a) => a.output_opts.with_brands(&a.brands),
            Command::Screen(a) => a.output_opts.with_brands(&a.brands),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Command::Url(_) => "url",
            Command::Email(_) => "email",
            Command::Text(_) => "text",
            Command::Audio(_) => "audio",
            Command::Phone(_) => "phone",
            Command::Numbers(_) => "numbers",
            Command::Probe(_) => "probe",
            Command::Case(_) => "case",
            Command::History(_) => "history",
            Command::Serve(_) => "serve",
            Command::Milter(_) => "milter",
            Command::Bench(_) => "bench",
            Command::Feed(_) => "feed",
            Command::Screen(_) => "screen",
        }
    }
}

const GLOBAL_NAMES: [&str; 4] = ["json", "lang", "color", "brands"];

/// Which global options subcommand `name` takes, read from its clap definition (the one source
/// of truth: the structs it flattens).
fn takes(name: &str) -> Vec<&'static str> {
    let cli = Cli::command();
    let Some(sub) = cli.find_subcommand(name) else {
        return Vec::new();
    };
    GLOBAL_NAMES
        .into_iter()
        .filter(|g| sub.get_arguments().any(|a| a.get_id() == *g))
        .collect()
}

/// The one-line refusal of a global option a command does not take.
fn not_applicable(option: &str, command: &str) -> String {
    let taken = takes(command);
    let what = if taken.is_empty() {
        "it takes none of the global options".to_string()
    } else {
        let list: Vec<String> = taken.iter().map(|t| format!("--{t}")).collect();
        format!("of the global options it takes only {}", list.join(", "))
    };
    format!(
        "phishprobe: --{option} does not apply to `phishprobe {command}` ({what}; see phishprobe {command} --help)"
    )
}

/// A clap error for `serve --json` and the like, said as "does not apply" rather than
/// "unexpected argument".
fn explain_clap_error(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let name = arg.trim_start_matches('-').split('=').next().unwrap_or("");
    let global = GLOBAL_NAMES.into_iter().find(|g| *g == name)?;
    let cli = Cli::command();
    let command = std::env::args()
        .skip(1)
        .find(|a| cli.find_subcommand(a).is_some())?;
    Some(not_applicable(global, &command))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            if let Some(line) = explain_clap_error(&e) {
                eprintln!("{line}");
                return ExitCode::from(EXIT_USAGE);
            }
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let taken = takes(cli.command.name());
    if let Some(g) = cli.global.given().into_iter().find(|g| !taken.contains(g)) {
        eprintln!("{}", not_applicable(g, cli.command.name()));
        return ExitCode::from(EXIT_USAGE);
    }
    let globals = cli.global.merged(&cli.command.globals());
    let ctx = match cmd::Context::new(&globals) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("phishprobe: {e:#}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let result = match cli.command {
        Command::Url(a) => cmd::url::run(a, &ctx),
        Command::Email(a) => cmd::email::run(a, &ctx),
        Command::Text(a) => cmd::text::run(a, &ctx),
        Command::Audio(a) => cmd::audio::run(a, &ctx),
        Command::Phone(a) => cmd::phone::run(a, &ctx),
        Command::Numbers(a) => cmd::numbers::run(a, &ctx),
        Command::Probe(a) => cmd::probe::run(a, &ctx),
        Command::Case(a) => cmd::case::run(a, &ctx),
        Command::History(a) => cmd::history::run(a, &ctx),
        Command::Serve(a) => cmd::serve::run(a, &ctx),
        Command::Milter(a) => cmd::milter::run(a, &ctx),
        Command::Bench(a) => cmd::bench::run(a, &ctx),
        Command::Feed(a) => cmd::feed::run(a, &ctx),
        Command::Screen(a) => match cmd::rules_version(globals.brands.as_deref()) {
            Ok(version) => cmd::screen::run(a, &ctx, version),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("phishprobe: {e:#}");
            let usage = e.downcast_ref::<cmd::UsageError>().is_some();
            ExitCode::from(if usage { EXIT_USAGE } else { EXIT_INPUT })
        }
    }
}
