//! `phishprobe bench milter`: messages per second through a real Postfix with and without the
//! milter, on the same messages in the same run (the ratio is the figure), the latency the
//! milter adds (p50, p99) and its CPU per 1,000 messages. Starts a throwaway Postfix (needs
//! root and Debian's postfix) and this binary's own `milter` as a separate process.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use phishprobe_milter::testing::{Smtp, TempPostfix, free_port};

/// What `bench milter` measures with.
pub struct Settings {
    /// Folder of .eml files (searched recursively).
    pub folder: PathBuf,
    /// Messages sent per measured run.
    pub messages: usize,
    /// SMTP connections sending at once.
    pub connections: usize,
    /// Another milter, already running, measured through the same Postfix on the same
    /// messages (for example rspamd's proxy in milter mode): its Postfix notation.
    pub compare: Option<String>,
    /// Extra `main.cf` settings (`name = value`) for the throwaway Postfix.
    pub postfix_settings: Vec<String>,
}

/// One measured run.
struct LoadMeasurement {
    rate: f64,
    p50: Duration,
    p99: Duration,
    refused: usize,
}

pub fn run(s: &Settings) -> Result<u8> {
    let messages = load(&s.folder)?;
    if messages.is_empty() {
        bail!("no .eml files under {}", s.folder.display());
    }
    let mut settings = vec!["local_header_rewrite_clients ="];
    settings.extend(s.postfix_settings.iter().map(String::as_str));
    let postfix = TempPostfix::start(None, &settings)
        .map_err(|e| anyhow::anyhow!("starting Postfix: {e}"))?;
    let mut milter = MilterChild::start()?;
    let spec = format!("smtpd_milters = inet:{}", milter.addr);
    let warm = s.messages.min(200);
    println!(
        "bench milter: {} messages from {} ({} distinct), {} SMTP connections, Postfix {}",
        s.messages,
        s.folder.display(),
        messages.len(),
        s.connections,
        postfix_version()
    );
    send(&postfix, &messages, warm, s.connections);
    let without = send(&postfix, &messages, s.messages, s.connections);
    postfix
        .reconfigure(&[&spec])
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    send(&postfix, &messages, warm, s.connections);
    let cpu_before = milter.cpu_seconds();
    let with = send(&postfix, &messages, s.messages, s.connections);
    let cpu = milter.cpu_seconds() - cpu_before;
    let line = |name: &str, r: &LoadMeasurement| {
        println!(
            "  {name:<16} {:>7.1} messages/s; per message p50 {:.2} ms, p99 {:.2} ms; refused {}",
            r.rate,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.refused
        );
    };
    line("without milter", &without);
    line("with phishprobe", &with);
    if let Some(other) = &s.compare {
        postfix
            .reconfigure(&[&format!("smtpd_milters = {other}")])
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        send(&postfix, &messages, warm, s.connections);
        let r = send(&postfix, &messages, s.messages, s.connections);
        line(&format!("with {other}"), &r);
        println!(
            "  {other}: {:.1} % of the no-milter rate",
            100.0 * r.rate / without.rate
        );
    }
    println!(
        "  ratio {:.1} % of the no-milter rate; added latency p50 {:+.2} ms, p99 {:+.2} ms; milter CPU {:.0} ms per 1,000 messages; milter peak RSS {} KiB",
        100.0 * with.rate / without.rate,
        (with.p50.as_secs_f64() - without.p50.as_secs_f64()) * 1e3,
        (with.p99.as_secs_f64() - without.p99.as_secs_f64()) * 1e3,
        cpu * 1e3 * 1000.0 / s.messages as f64,
        milter.peak_rss_kib()
    );
    milter.stop();
    Ok(0)
}

/// Send `count` messages (cycling through `messages`) over `connections` SMTP connections.
fn send(
    postfix: &TempPostfix,
    messages: &[Vec<u8>],
    count: usize,
    connections: usize,
) -> LoadMeasurement {
    let addr = postfix.smtp;
    let started = Instant::now();
    let results: Vec<(Duration, u16)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..connections)
            .map(|c| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    let Ok(mut smtp) = Smtp::connect(addr) else {
                        return out;
                    };
                    for i in (c..count).step_by(connections) {
                        let m = &messages[i % messages.len()];
                        let t = Instant::now();
                        let code = smtp
                            .send("bench@example.net", &["user@example.test"], m)
                            .map_or(0, |r| r.code);
                        out.push((t.elapsed(), code));
                    }
                    smtp.quit();
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let secs = started.elapsed().as_secs_f64();
    let mut times: Vec<Duration> = results.iter().map(|(t, _)| *t).collect();
    times.sort_unstable();
    let pick = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times.get(i).copied().unwrap_or_default()
    };
    let accepted = results.iter().filter(|(_, c)| *c == 250).count();
    LoadMeasurement {
        // Only accepted messages count: a milter that answers 4xx fast is not fast.
        rate: accepted as f64 / secs,
        p50: pick(0.5),
        p99: pick(0.99),
        refused: results.len() - accepted,
    }
}

/// Every .eml file under `folder`, as an SMTP client would send it (no mbox `From ` line).
fn load(folder: &Path) -> Result<Vec<Vec<u8>>> {
    let mut files = Vec::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))?;
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "eml") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for p in files {
        let mut raw = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
        if raw.starts_with(b"From ") {
            let start = raw
                .iter()
                .position(|&b| b == b'\n')
                .map_or(raw.len(), |i| i + 1);
            raw.drain(..start);
        }
        out.push(raw);
    }
    Ok(out)
}

fn postfix_version() -> String {
    Command::new("/usr/sbin/postconf")
        .args(["-d", "-h", "mail_version"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// This binary's `milter` in a child process, so its CPU is its own.
struct MilterChild {
    child: Child,
    addr: SocketAddr,
}

impl MilterChild {
    fn start() -> Result<MilterChild> {
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let exe = std::env::current_exe().context("finding this program")?;
        let child = Command::new(exe)
            .args(["milter", "--listen", &format!("inet:{addr}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the milter")?;
        let started = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the milter did not listen on {addr}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(MilterChild { child, addr })
    }

    /// User + system CPU seconds of the child so far.
    fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which is in parentheses and may hold spaces).
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<f64> = rest
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0.0))
            .collect();
        // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
        let ticks = f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0);
        ticks / clock_ticks()
    }

    fn peak_rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for MilterChild {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Kernel clock ticks per second, the unit of utime and stime in /proc/PID/stat.
pub(super) fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}
