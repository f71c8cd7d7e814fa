//! `phishprobe url`: links and hostnames from arguments, a file, or stdin (streamed).

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressStyle};
use phishprobe_core::{Finding, Message, Report, ReportBuilder, Severity};
use rayon::prelude::*;

use super::Context;
use super::input::{Line, read_line};
use crate::output;

/// How many lines are analysed in parallel before their results are written (in input order).
const CHUNK: usize = 4096;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Links or hostnames. Without any (and without --file), one per line is read from stdin.
    pub inputs: Vec<String>,
    /// Read one link or hostname per line from this file (`-` for stdin).
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Hide the progress bar even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
    #[command(flatten)]
    pub output_opts: super::OutputOpts,
    #[command(flatten)]
    pub brands: super::BrandsOpt,
}

pub fn run(args: Args, ctx: &Context) -> Result<u8> {
    if args.inputs.iter().any(|s| s.trim().is_empty()) {
        return Err(super::usage(
            "url: an empty link or hostname; give a link or hostname, --file FILE, or one per line on standard input",
        ));
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut worst = 0u8;
    if !args.inputs.is_empty() {
        let lines: Vec<Line> = args
            .inputs
            .iter()
            .map(|s| Line {
                text: Ok(s.clone()),
                truncated_from: None,
            })
            .collect();
        worst = worst.max(process(ctx, &lines, &mut out)?.0);
    }
    let streamed = match &args.file {
        Some(path) if path.as_os_str() != "-" => {
            let file =
                File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            let bar = (!args.no_progress && io::stderr().is_terminal()).then(|| {
                let bar = ProgressBar::new(len);
                bar.set_style(
                    ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {per_sec} {eta}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar
            });
            let reader: Box<dyn Read> = match &bar {
                Some(b) => Box::new(b.wrap_read(file)),
                None => Box::new(file),
            };
            let r = stream(ctx, BufReader::new(reader), &mut out)?;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            Some((r, path.display().to_string()))
        }
        Some(_) => Some((
            stream(ctx, io::stdin().lock(), &mut out)?,
            "standard input".into(),
        )),
        None if args.inputs.is_empty() => Some((
            stream(ctx, io::stdin().lock(), &mut out)?,
            "standard input".into(),
        )),
        None => None,
    };
    out.flush()?;
    if let Some(((w, n), from)) = streamed {
        if n == 0 {
            return Err(super::usage(format!(
                "url: no link or hostname in {from}; give one per line, or as arguments"
            )));
        }
        worst = worst.max(w);
    }
    Ok(worst)
}

/// Read in chunks, analyse each chunk on all cores, write in input order: memory stays flat.
/// Returns the worst exit code and how many lines were not blank.
fn stream(ctx: &Context, mut r: impl BufRead, out: &mut impl Write) -> Result<(u8, usize)> {
    let mut worst = 0;
    let mut seen = 0;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            match read_line(&mut r).context("reading input")? {
                Some(l) => chunk.push(l),
                None => break,
            }
        }
        if chunk.is_empty() {
            break;
        }
        let last = chunk.len() < CHUNK;
        let (w, n) = process(ctx, &chunk, out)?;
        worst = worst.max(w);
        seen += n;
        if last {
            break;
        }
    }
    Ok((worst, seen))
}

/// One result per line: a report, or an error for a line that cannot be read as text.
enum LineResult {
    Report(Report),
    Error { input: String, error: String },
    Skip,
}

fn check_line(ctx: &Context, line: &Line) -> LineResult {
    match &line.text {
        Err(e) => LineResult::Error {
            input: String::from("(binary line)"),
            error: e.clone(),
        },
        Ok(t) if t.trim().is_empty() => LineResult::Skip,
        Ok(t) => {
            let mut report = ctx.engine.check_url(t);
            if let Some(n) = line.truncated_from {
                let mut b = ReportBuilder::new(report.input.clone());
                if let Some(br) = &report.brand {
                    b.brand(br);
                }
                b.extend(report.findings);
                b.push(Finding::new(
                    "input.truncated",
                    Severity::Low,
                    Message::new(
                        "The line was too long; only its beginning was checked.",
                        "该行过长；只检查了开头部分。",
                    ),
                    format!("{n} bytes"),
                ));
                report = b.build();
            }
            LineResult::Report(report)
        }
    }
}

/// Check and print `lines`; the worst exit code and how many were not blank.
fn process(ctx: &Context, lines: &[Line], out: &mut impl Write) -> Result<(u8, usize)> {
    let items: Vec<LineResult> = lines.par_iter().map(|l| check_line(ctx, l)).collect();
    let mut worst = 0;
    let seen = items
        .iter()
        .filter(|i| !matches!(i, LineResult::Skip))
        .count();
    for item in items {
        match item {
            LineResult::Report(r) => {
                worst = worst.max(r.verdict.exit_code() as u8);
                output::emit(ctx, out, &r)?;
            }
            LineResult::Error { input, error } => {
                worst = worst.max(crate::EXIT_INPUT);
                output::emit_error(ctx, out, &input, "input.invalid_utf8", &error)?;
            }
            LineResult::Skip => {}
        }
    }
    Ok((worst, seen))
}
