//! `phishprobe`: tells whether a link, email, phone number, call/SMS text or login page that
//! claims to be Amazon (or another marketplace or payment brand) is genuine, and why.
//!
//! Exit codes: 0 genuine or unknown, 1 suspicious, 2 phishing (the worst over all inputs),
//! 3 usage error, 4 input error (unreadable file, bad data file).

mod cmd;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for a command line that clap rejects or that makes no sense.
pub const EXIT_USAGE: u8 = 3;
/// Exit code for unreadable input or data files.
pub const EXIT_INPUT: u8 = 4;

#[derive(Parser, Debug)]
#[command(
    name = "phishprobe",
    version,
    about = "Is this Amazon (or eBay, PayPal...) email, link, call or login page genuine? Verdicts with reasons you can check.",
    after_help = "Exit codes: 0 genuine or unknown, 1 suspicious, 2 phishing, 3 usage error, 4 input error."
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
    /// Measure throughput of the analysis pipelines on generated or corpus input.
    Bench(cmd::bench::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let ctx = match cmd::Context::new(&cli.global) {
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
        Command::Phone(a) => cmd::phone::run(a, &ctx),
        Command::Numbers(a) => cmd::numbers::run(a, &ctx),
        Command::Probe(a) => cmd::probe::run(a, &ctx),
        Command::Case(a) => cmd::case::run(a, &ctx),
        Command::History(a) => cmd::history::run(a, &ctx),
        Command::Serve(a) => cmd::serve::run(a, &ctx),
        Command::Bench(a) => cmd::bench::run(a, &ctx),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("phishprobe: {e:#}");
            ExitCode::from(EXIT_INPUT)
        }
    }
}
