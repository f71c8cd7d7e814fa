//! `phishprobe email`: verdicts for .eml files, mbox files (streamed one message at a time),
//! folders (recursive) and stdin. Messages are analysed in parallel in bounded windows and
//! printed in input order, so memory stays flat on a 100,000-message mbox.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// One checked message: its input name and the report, or an error code and message.
type JobResult = (String, Result<EmailReport, (String, String)>);

use anyhow::{Context as _, Result};
use phishprobe_email::mbox::{MboxReader, looks_like_mbox};
use phishprobe_email::verify::{DnsRecords, Verifier};
use phishprobe_email::{Details, EmailChecker, EmailError, EmailReport, Options};
use rayon::prelude::*;

use super::Context;
use crate::output;

/// Messages analysed per parallel window.
const WINDOW: usize = 256;
/// Bytes of message data held per window (a big message closes the window early).
const WINDOW_BYTES: usize = 256 << 20;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// .eml files, mbox files or folders (searched recursively). `-` or nothing: stdin.
    pub paths: Vec<PathBuf>,
    /// Trust Authentication-Results headers from this server (authserv-id) only. Default: the
    /// topmost header's.
    #[arg(long, value_name = "ID")]
    pub authserv_id: Option<String>,
    /// Do not decode QR codes in images (faster on image-heavy mail).
    #[arg(long)]
    pub no_qr: bool,
    /// Verify DKIM signatures, SPF (client address from the trace headers), DMARC and ARC
    /// yourself through DNS instead of trusting the Authentication-Results headers (needs
    /// network; up to 10 s per message).
    #[arg(long)]
    pub verify_auth: bool,
    /// With --verify-auth: answer DNS from this file only (`name TYPE value` per line: TXT, A,
    /// AAAA, MX, PTR; every other name "does not exist"). For offline checks and tests.
    #[arg(long, value_name = "FILE", requires = "verify_auth")]
    pub dns_records: Option<PathBuf>,
    #[command(flatten)]
    pub output_opts: super::OutputOpts,
    #[command(flatten)]
    pub brands: super::BrandsOpt,
}

/// One message to analyse: where it came from and its bytes (or why there are none).
struct Job {
    input: String,
    data: Result<Vec<u8>, String>,
    truncated: bool,
}

pub fn run(args: Args, ctx: &Context) -> Result<u8> {
    let mut opts = Options {
        authserv_id: args.authserv_id.clone(),
        ..Options::default()
    };
    if args.no_qr {
        opts.max_qr_images = 0;
    }
    let checker = EmailChecker::with_data(
        &ctx.engine,
        opts,
        phishprobe_core::text::TextRules::embedded().ok(),
        ctx.email_data.clone(),
    );
    let verifier = if args.verify_auth {
        let v = match &args.dns_records {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading DNS records {}", p.display()))?;
                let records = DnsRecords::parse(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                Verifier::offline(records)
            }
            None => Verifier::live(),
        };
        Some(v.map_err(|e| anyhow::anyhow!("--verify-auth: {e}"))?)
    } else {
        None
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut state = Window {
        jobs: Vec::new(),
        bytes: 0,
        worst: 0,
        verifier: verifier.as_ref(),
    };
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.paths.clone()
    };
    for p in &paths {
        if p.as_os_str() == "-" {
            let stdin = io::stdin();
            let mut input = BufReader::new(stdin.lock());
            if input.fill_buf().map(|b| b.is_empty()).unwrap_or(false) {
                return Err(super::usage(
                    "email: standard input is empty; give .eml or mbox files, a folder, or a message on standard input",
                ));
            }
            read_stream("(stdin)", input, &checker, ctx, &mut state, &mut out)?;
        } else {
            walk(p, &checker, ctx, &mut state, &mut out, 0)?;
        }
    }
    state.flush(&checker, ctx, &mut out)?;
    out.flush()?;
    Ok(state.worst)
}

struct Window<'v> {
    jobs: Vec<Job>,
    bytes: usize,
    worst: u8,
    verifier: Option<&'v Verifier>,
}

impl Window<'_> {
    fn push(
        &mut self,
        job: Job,
        checker: &EmailChecker<'_>,
        ctx: &Context,
        out: &mut impl Write,
    ) -> Result<()> {
        self.bytes += job.data.as_ref().map_or(0, Vec::len);
        self.jobs.push(job);
        if self.jobs.len() >= WINDOW || self.bytes >= WINDOW_BYTES {
            self.flush(checker, ctx, out)?;
        }
        Ok(())
    }

    fn flush(
        &mut self,
        checker: &EmailChecker<'_>,
        ctx: &Context,
        out: &mut impl Write,
    ) -> Result<()> {
        let jobs = std::mem::take(&mut self.jobs);
        self.bytes = 0;
        let verifier = self.verifier;
        let results: Vec<JobResult> = jobs
            .into_par_iter()
            .map(|j| {
                let r = match j.data {
                    Err(e) => Err(("input.unreadable".to_string(), e)),
                    Ok(bytes) => {
                        let checked = match verifier {
                            Some(v) => checker.check_verified(&j.input, &bytes, v),
                            None => checker.check(&j.input, &bytes),
                        };
                        let mut r = checked.map_err(|e| {
                            let code = match e {
                                EmailError::NotEmail(_) => "email.not_email",
                                EmailError::Internal(_) => "email.internal_error",
                            };
                            (code.to_string(), e.to_string())
                        });
                        if let Ok(rep) = r.as_mut()
                            && j.truncated
                        {
                            rep.details.notes.push(format!(
                                "the message was longer than {} bytes; only its beginning was analysed",
                                checker.options().max_message_bytes
                            ));
                        }
                        r
                    }
                };
                (j.input, r)
            })
            .collect();
        for (input, r) in results {
            match r {
                Ok(rep) => {
                    self.worst = self.worst.max(rep.report.verdict.exit_code() as u8);
                    let extra = extra_json(&rep.details);
                    let lines = readable_tables(&rep.details);
                    output::emit_extended(ctx, out, &rep.report, extra, &lines)?;
                }
                Err((code, msg)) => {
                    self.worst = self.worst.max(crate::EXIT_INPUT);
                    output::emit_error(ctx, out, &input, &code, &msg)?;
                }
            }
        }
        Ok(())
    }
}

/// Files under a folder, recursively, in name order (depth-capped; symlinked folders are not followed).
fn walk(
    path: &Path,
    checker: &EmailChecker<'_>,
    ctx: &Context,
    w: &mut Window<'_>,
    out: &mut impl Write,
    depth: usize,
) -> Result<()> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            return w.push(
                Job {
                    input: path.display().to_string(),
                    data: Err(format!("cannot open: {e}")),
                    truncated: false,
                },
                checker,
                ctx,
                out,
            );
        }
    };
    if meta.is_dir() {
        if depth > 32 {
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
            Err(e) => {
                return w.push(
                    Job {
                        input: path.display().to_string(),
                        data: Err(format!("cannot read folder: {e}")),
                        truncated: false,
                    },
                    checker,
                    ctx,
                    out,
                );
            }
        };
        entries.sort();
        for e in entries {
            let is_link_dir = std::fs::symlink_metadata(&e)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false)
                && e.is_dir();
            if is_link_dir {
                continue;
            }
            walk(&e, checker, ctx, w, out, depth + 1)?;
        }
        return Ok(());
    }
    let name = path.display().to_string();
    match File::open(path) {
        Ok(f) => read_stream(
            &name,
            BufReader::with_capacity(64 * 1024, f),
            checker,
            ctx,
            w,
            out,
        ),
        Err(e) => w.push(
            Job {
                input: name,
                data: Err(format!("cannot open: {e}")),
                truncated: false,
            },
            checker,
            ctx,
            out,
        ),
    }
}

/// One file or stdin: an mbox is streamed message by message, anything else is one message.
fn read_stream(
    name: &str,
    mut r: impl BufRead,
    checker: &EmailChecker<'_>,
    ctx: &Context,
    w: &mut Window<'_>,
    out: &mut impl Write,
) -> Result<()> {
    let max = checker.options().max_message_bytes;
    let head = match r.fill_buf() {
        Ok(h) => h.to_vec(),
        Err(e) => {
            return w.push(
                Job {
                    input: name.to_string(),
                    data: Err(format!("cannot read: {e}")),
                    truncated: false,
                },
                checker,
                ctx,
                out,
            );
        }
    };
    if looks_like_mbox(&head) {
        for (i, m) in MboxReader::new(r, max).enumerate() {
            let input = format!("{name}#{}", i + 1);
            let job = match m {
                Ok(m) => Job {
                    input,
                    data: Ok(m.bytes),
                    truncated: m.truncated,
                },
                Err(e) => Job {
                    input,
                    data: Err(format!("read error: {e}")),
                    truncated: false,
                },
            };
            w.push(job, checker, ctx, out)?;
        }
        return Ok(());
    }
    let mut data = Vec::new();
    let res = (&mut r).take(max as u64).read_to_end(&mut data);
    let mut truncated = false;
    if res.is_ok() && data.len() == max {
        // Drain the rest without keeping it.
        let rest = io::copy(&mut r, &mut io::sink()).unwrap_or(0);
        truncated = rest > 0;
    }
    w.push(
        Job {
            input: name.to_string(),
            data: res.map(|_| data).map_err(|e| format!("cannot read: {e}")),
            truncated,
        },
        checker,
        ctx,
        out,
    )
}

fn extra_json(d: &Details) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Result<serde_json::Value>| {
        if let Ok(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    put("sender", serde_json::to_value(&d.sender));
    put("authentication", serde_json::to_value(&d.authentication));
    put("claims", serde_json::to_value(&d.claims));
    put("links", serde_json::to_value(&d.links));
    put("attachments", serde_json::to_value(&d.attachments));
    if !d.notes.is_empty() {
        put("notes", serde_json::to_value(&d.notes));
    }
    m
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Column widths of the authentication table (method, result, domain, brand's?): every cell
/// is cut to its width, so one long domain or odd result cannot push the columns apart.
const AUTH_COLS: [usize; 4] = [8, 9, 30, 8];

/// The readable authentication table: who reported the results (Microsoft-style headers name
/// no server: said so instead of an empty name), one row per result with what it means.
fn auth_table(a: &phishprobe_email::auth::AuthSummary) -> String {
    let [wm, wr, wd, wb] = AUTH_COLS;
    let mut s = if a.authserv_id.is_empty() {
        "  authentication (as reported by the receiving server; its header names no server):\n"
            .to_string()
    } else {
        format!(
            "  authentication (as reported by {}):\n",
            clip(&single_line(&a.authserv_id), 60)
        )
    };
    s.push_str(&format!(
        "    {:<wm$} {:<wr$} {:<wd$} {:<wb$} meaning\n",
        "method", "result", "domain", "brand's?"
    ));
    for r in a
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.method.as_str(),
                "spf" | "dkim" | "dmarc" | "compauth" | "arc"
            )
        })
        .take(20)
    {
        let domain = if r.method == "compauth" && !r.reason.is_empty() {
            format!("reason={}", r.reason)
        } else {
            r.domain.clone()
        };
        s.push_str(&format!(
            "    {:<wm$} {:<wr$} {:<wd$} {:<wb$} {}\n",
            clip(&r.method, wm),
            clip(&single_line(&r.result), wr),
            clip(&single_line(&domain), wd),
            if r.brand_aligned { "yes" } else { "no" },
            phishprobe_email::auth::short_meaning(r)
        ));
    }
    s
}

/// Control characters (a CR/LF smuggled into a header value) shown as spaces.
fn single_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Readable tables after the findings: sender line (look-alikes marked), authentication, links.
fn readable_tables(d: &Details) -> String {
    let mut s = String::new();
    let sd = &d.sender;
    s.push_str(&format!(
        "  sender:   {} <{}>\n",
        clip(&sd.from_name, 80),
        sd.from_address
    ));
    if let Some(m) = &sd.marked {
        s.push_str(&format!(
            "            look-alike/hidden characters: {}\n",
            clip(m, 300)
        ));
    }
    if !sd.reply_to.is_empty() {
        s.push_str(&format!("  reply-to: {}\n", sd.reply_to));
    }
    if !sd.return_path.is_empty() {
        s.push_str(&format!("  return-path: {}\n", sd.return_path));
    }
    if !sd.sender.is_empty() {
        s.push_str(&format!("  sender header: {}\n", sd.sender));
    }
    s.push_str(&format!("  subject:  {}\n", clip(&sd.subject, 120)));
    match &d.authentication {
        Some(a) => s.push_str(&auth_table(a)),
        None => s.push_str(
            "  authentication: no Authentication-Results header (not a signal either way)\n",
        ),
    }
    if !d.links.is_empty() {
        s.push_str(&format!("  links ({}):\n", d.links.len()));
        s.push_str("    verdict     from      url\n");
        for l in d.links.iter().take(25) {
            s.push_str(&format!(
                "    {:<11} {:<9} {}",
                l.verdict.as_str(),
                l.source,
                clip(&l.url, 100)
            ));
            if !l.shown.is_empty() && l.shown != l.url {
                s.push_str(&format!("  (shown: {})", clip(&l.shown, 40)));
            }
            s.push('\n');
        }
        if d.links.len() > 25 {
            s.push_str(&format!("    … {} more\n", d.links.len() - 25));
        }
    }
    for a in d.attachments.iter().take(20) {
        s.push_str(&format!(
            "  attachment: {} ({}, {} bytes, {})\n",
            clip(&a.name, 80),
            a.content_type,
            a.size,
            a.kind
        ));
        for i in a.inside.iter().take(10) {
            s.push_str(&format!("      {}\n", clip(i, 120)));
        }
    }
    for n in &d.notes {
        s.push_str(&format!("  note: {n}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use phishprobe_email::auth::{AuthResult, AuthSummary};

    fn row(method: &str, result: &str, domain: &str) -> AuthResult {
        AuthResult {
            method: method.into(),
            result: result.into(),
            domain: domain.into(),
            ..Default::default()
        }
    }

    /// Where each column starts in a table line (after the indent).
    fn brand_column(line: &str) -> Option<usize> {
        line.find(" no ")
            .or_else(|| line.find(" yes "))
            .or_else(|| line.find(" brand's?"))
            .map(|i| line[..i].chars().count())
    }

    #[test]
    fn microsoft_style_header_names_no_empty_server() {
        let a = AuthSummary {
            authserv_id: String::new(),
            results: vec![
                row("spf", "fail", "x.example"),
                AuthResult {
                    reason: "001".into(),
                    ..row("compauth", "fail", "")
                },
            ],
        };
        let t = auth_table(&a);
        assert!(!t.contains("as reported by )"), "{t}");
        assert!(t.contains("its header names no server"), "{t}");
        assert!(t.contains("reason=001"), "{t}");
        let named = auth_table(&AuthSummary {
            authserv_id: "mx.google.com".into(),
            results: vec![],
        });
        assert!(named.contains("as reported by mx.google.com)"), "{named}");
    }

    #[test]
    fn long_values_keep_the_columns() {
        let long = format!("{}.example", "a".repeat(120));
        let a = AuthSummary {
            authserv_id: "mx.receiver.example".into(),
            results: vec![
                row("dkim", "pass", &long),
                row("spf", "permerror", "short.example"),
                row("dmarc", "somethingveryveryodd", "x.example"),
                row("compauth", "fail", ""),
            ],
        };
        let t = auth_table(&a);
        let lines: Vec<&str> = t.lines().skip(1).collect();
        assert_eq!(lines.len(), 5, "{t}");
        let cols: Vec<Option<usize>> = lines.iter().map(|l| brand_column(l)).collect();
        assert!(
            cols.iter().all(|c| c.is_some() && *c == cols[0]),
            "{t}\n{cols:?}"
        );
        assert!(t.contains('…'), "long values are cut: {t}");
        assert!(t.contains("broken or invalid record"), "{t}");
    }
}
