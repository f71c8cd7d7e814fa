//! Soak test on loopback: mixed url / email / text / phone / case / probe requests at the
//! server's rate limit for a bounded time, the server's memory sampled throughout. The figure
//! is the peak RSS and whether it levels off (last third of the run against the middle third).
//!
//! ```text
//! nice -n 10 cargo run -p phishprobe-server --example soak -- --minutes 10
//! cargo run -p phishprobe-server --example soak -- --seconds 60 --no-probe   # a quick look
//! ```
//!
//! Everything stays on 127.0.0.1: the server runs in this process (default rate limit, 50/s
//! with bursts of 100; a case history in a temporary SQLite file), the probe's target is a
//! local sign-in clone served by this program, the probe's Chromium runs offline with only
//! that clone allowed. The client sends at the rate limit (one request per connection, at
//! most 32 in flight) and stops by itself; the server then shuts down and Chromium with it.
//! RSS is this process's `VmRSS` (server and the small client) and, separately, the sum of
//! the `VmRSS` of its child processes (Chromium), read from `/proc` every few seconds.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Opts {
    seconds: u64,
    rate: f64,
    sample_secs: u64,
    probe: bool,
}

const USAGE: &str = "usage: soak [--minutes N (default 10)] [--seconds N] [--rate R (default 50/s, the server's limit)] [--sample-secs N (5)] [--no-probe]";

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        seconds: 600,
        rate: 50.0,
        sample_secs: 5,
        probe: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--minutes" => o.seconds = 60 * val()?.parse::<u64>().map_err(|e| e.to_string())?,
            "--seconds" => {
                o.seconds = val()?
                    .parse()
                    .map_err(|e: std::num::ParseIntError| e.to_string())?
            }
            "--rate" => {
                o.rate = val()?
                    .parse()
                    .map_err(|e: std::num::ParseFloatError| e.to_string())?
            }
            "--sample-secs" => {
                o.sample_secs = val()?
                    .parse()
                    .map_err(|e: std::num::ParseIntError| e.to_string())?
            }
            "--no-probe" => o.probe = false,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    // Bounded: at most two hours, at most 1000 requests per second.
    o.seconds = o.seconds.clamp(10, 7200);
    if !o.rate.is_finite() || o.rate <= 0.0 {
        return Err("--rate must be a positive number".into());
    }
    o.rate = o.rate.min(1000.0);
    o.sample_secs = o.sample_secs.clamp(1, 60);
    Ok(o)
}

/// A one-step sign-in clone that lets any password in (the probe's local target).
async fn clone_site() -> std::io::Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").await?;
    let addr = l.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let n = match tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await
                {
                    Ok(Ok(n)) => n,
                    _ => return,
                };
                let line = String::from_utf8_lossy(&buf[..n]);
                let (status, extra, body) = if line.starts_with("POST /signin") {
                    ("302 Found", "Location: /welcome\r\n", "")
                } else if line.starts_with("GET /welcome") {
                    (
                        "200 OK",
                        "",
                        "<html><head><title>Your account</title></head><body><h1>Welcome back!</h1><p>Confirm your card details to continue.</p><input name=cardnumber autocomplete=cc-number></body></html>",
                    )
                } else {
                    (
                        "200 OK",
                        "",
                        "<html><head><title>Amazon Sign-In</title></head><body><h1>Sign in</h1><form method=post action=/signin><label>Email <input type=email name=email></label><label>Password <input type=password name=password></label><button type=submit>Sign in</button></form></body></html>",
                    )
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    Ok(addr)
}

const EMAIL: &str = "From: \"Amazon Seller Central\" <no-reply@amaz0n-sellercentral-verify.top>\r\nTo: seller@example.com\r\nSubject: Your store has been suspended - verify your account\r\nMessage-ID: <N@amaz0n-sellercentral-verify.top>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Dear seller, your Amazon store N is suspended. Confirm your password within 24 hours:</p>\r\n<p><a href=\"https://sellercentral.amazon.com.account-verifyN.top/ap/signin\">https://sellercentral.amazon.com/</a></p>\r\n";

const TEXTS: [&str; 4] = [
    "Amazon Seller Support: your store will be suspended today. Reset your store password at https://sellercentral-amazon.account-reset.top/login",
    "This is Amazon Prime security. Press 1 to speak to an agent. Install AnyDesk so we can help.",
    "Your Amazon package has shipped and will arrive Tuesday.",
    "亚马逊客服：您的账户存在异常，请提供短信验证码以便我们为您处理退款。",
];

/// One request of the mix: method, path, content type, body. Request `i` of the run; every
/// `probe_every`-th is a probe (the browser is the slow part, so it gets its own cadence).
fn pick(
    i: u64,
    probe_every: Option<u64>,
    clone: SocketAddr,
    last_job: &str,
) -> (&'static str, String, &'static str, Vec<u8>, &'static str) {
    let json = |v: serde_json::Value| serde_json::to_vec(&v).unwrap_or_default();
    if probe_every.is_some_and(|p| i.is_multiple_of(p)) {
        let body = json(serde_json::json!({"url": format!("http://{clone}/?n={i}")}));
        return (
            "POST",
            "/api/v1/probe".into(),
            "application/json",
            body,
            "probe",
        );
    }
    let n = i % 1000;
    match i % 10 {
        0 | 1 => {
            let u = format!("https://amazon.co.jp.account-verify{n}.top/ap/signin?ref={i}");
            (
                "POST",
                "/api/v1/url".into(),
                "application/json",
                json(serde_json::json!({"url": u})),
                "url",
            )
        }
        2 => {
            let urls: Vec<String> = (0..20)
                .map(|k| format!("https://www.example{}.com/a/{k}", n + k))
                .collect();
            (
                "POST",
                "/api/v1/url".into(),
                "application/json",
                json(serde_json::json!({"urls": urls})),
                "url",
            )
        }
        3 | 4 => {
            let body = EMAIL.replace('N', &n.to_string()).into_bytes();
            (
                "POST",
                "/api/v1/email".into(),
                "message/rfc822",
                body,
                "email",
            )
        }
        5 => {
            let t = format!("{} ({i})", TEXTS[(i as usize / 10) % TEXTS.len()]);
            (
                "POST",
                "/api/v1/text".into(),
                "application/json",
                json(serde_json::json!({"text": t})),
                "text",
            )
        }
        6 => {
            let p = format!("+1 206 555 {:04}", n);
            (
                "POST",
                "/api/v1/phone".into(),
                "application/json",
                json(serde_json::json!({"number": p})),
                "phone",
            )
        }
        7 => {
            let email = EMAIL.replace('N', &n.to_string());
            let body = json(serde_json::json!({
                "urls": [format!("https://sellercentral-amazon.account-reset{n}.top/login")],
                "phones": ["+1 206 555 0100"],
                "texts": [TEXTS[0]],
                "email": {"name": format!("m{n}.eml"), "message": email},
            }));
            (
                "POST",
                "/api/v1/cases".into(),
                "application/json",
                body,
                "case",
            )
        }
        8 => (
            "GET",
            "/api/v1/cases?limit=20".into(),
            "application/json",
            Vec::new(),
            "case",
        ),
        _ if !last_job.is_empty() => (
            "GET",
            format!("/api/v1/probe/{last_job}"),
            "application/json",
            Vec::new(),
            "probe",
        ),
        _ => (
            "GET",
            "/api/v1/health".into(),
            "application/json",
            Vec::new(),
            "health",
        ),
    }
}

/// One request on its own connection; the status and the body.
async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    ctype: &str,
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(addr).await?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut buf))
        .await
        .map_err(|_| std::io::Error::other("timed out"))??;
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no head"))?;
    let status = std::str::from_utf8(&buf[..end])
        .ok()
        .and_then(|h| h.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    Ok((status, buf[end + 4..].to_vec()))
}

/// `VmRSS` of one process in KiB (0 when it is gone).
fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Sum of `VmRSS` over every descendant of this process (the probe's Chromium and its
/// renderers), in KiB. Shared pages are counted once per process, so it overstates a little.
fn children_rss_kib() -> u64 {
    let me = std::process::id();
    let mut parent: BTreeMap<u32, u32> = BTreeMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let name = e.file_name();
            let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            // Field 4 of /proc/PID/stat, after the parenthesised command name.
            let ppid = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.to_string()))
                .and_then(|r| r.split_whitespace().nth(1).and_then(|p| p.parse().ok()));
            if let Some(pp) = ppid {
                parent.insert(pid, pp);
            }
        }
    }
    let descends = |mut p: u32| {
        for _ in 0..64 {
            match parent.get(&p) {
                Some(&pp) if pp == me => return true,
                Some(&pp) if pp > 1 => p = pp,
                _ => return false,
            }
        }
        false
    };
    parent
        .keys()
        .filter(|&&p| p != me && descends(p))
        .map(|p| rss_kib(&p.to_string()))
        .sum()
}

#[derive(Default)]
struct Tally {
    /// (kind, status) → count; status 0 = no answer (connection error or timeout).
    by: BTreeMap<(&'static str, u16), u64>,
}

fn mean(v: &[u64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<u64>() as f64 / v.len() as f64
    }
}

/// Whether a series levels off: the last third's mean is within 5 % (or 4 MiB) of the middle
/// third's. Returns (middle mean, last mean, verdict).
fn levels_off(series: &[u64]) -> (f64, f64, bool) {
    let third = series.len() / 3;
    if third == 0 {
        return (0.0, 0.0, false);
    }
    let mid = mean(&series[third..2 * third]);
    let last = mean(&series[2 * third..]);
    (mid, last, last <= mid * 1.05 || last - mid <= 4096.0)
}

fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(3);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(o));
}

async fn run(o: Opts) {
    let dir = tempfile::tempdir().expect("temp dir");
    let clone = clone_site().await.expect("clone site");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut cfg = phishprobe_server::ServerConfig {
        database: Some(dir.path().join("history.db").display().to_string()),
        ..phishprobe_server::ServerConfig::default()
    };
    cfg.probe.chrome.offline = true;
    cfg.probe.allow_hosts = vec![clone.to_string()];
    cfg.probe.timeout = Duration::from_secs(30);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(phishprobe_server::serve_with_shutdown(
        cfg,
        listener,
        async move {
            let _ = stop_rx.await;
        },
    ));
    for _ in 0..200 {
        if matches!(
            send(addr, "GET", "/api/v1/health", "text/plain", b"").await,
            Ok((200, _))
        ) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    println!(
        "soak: server on {addr}, clone on {clone}, {} s at {}/s, probes {}, RSS every {} s",
        o.seconds,
        o.rate,
        if o.probe { "every 2 s" } else { "off" },
        o.sample_secs
    );
    // Sampler: (seconds, this process's RSS, children's RSS) every few seconds.
    let samples: Arc<Mutex<Vec<(u64, u64, u64)>>> = Arc::default();
    let sent = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let sampler = {
        let (samples, sent, done) = (samples.clone(), sent.clone(), done.clone());
        let every = Duration::from_secs(o.sample_secs);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let t = start.elapsed().as_secs();
                let (me, kids) = (rss_kib("self"), children_rss_kib());
                println!(
                    "t={t:>5}s sent={:>7} answered={:>7} rss={:>7.1} MiB chromium={:>7.1} MiB",
                    sent.load(Ordering::Relaxed),
                    done.load(Ordering::Relaxed),
                    me as f64 / 1024.0,
                    kids as f64 / 1024.0
                );
                samples
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((t, me, kids));
            }
        })
    };
    let tally = Arc::new(Mutex::new(Tally::default()));
    let in_flight = Arc::new(tokio::sync::Semaphore::new(32));
    let last_job = Arc::new(Mutex::new(String::new()));
    let probe_every = o.probe.then(|| (o.rate * 2.0).round().max(1.0) as u64);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / o.rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let deadline = start + Duration::from_secs(o.seconds);
    let mut i = 0u64;
    while Instant::now() < deadline {
        tick.tick().await;
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            break;
        };
        let job = last_job.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let (method, path, ctype, body, kind) = pick(i, probe_every, clone, &job);
        i += 1;
        sent.fetch_add(1, Ordering::Relaxed);
        let (tally, done, last_job) = (tally.clone(), done.clone(), last_job.clone());
        tokio::spawn(async move {
            let r = send(addr, method, &path, ctype, &body).await;
            let status = r.as_ref().map_or(0, |(s, _)| *s);
            if let (Ok((202, b)), "/api/v1/probe") = (&r, path.as_str())
                && let Some(id) = serde_json::from_slice::<serde_json::Value>(b)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_string))
            {
                *last_job.lock().unwrap_or_else(|p| p.into_inner()) = id;
            }
            *tally
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .by
                .entry((kind, status))
                .or_default() += 1;
            done.fetch_add(1, Ordering::Relaxed);
            drop(permit);
        });
    }
    // Let the last requests finish (bounded), then stop the server and its browser.
    let _ = tokio::time::timeout(Duration::from_secs(60), in_flight.acquire_many(32)).await;
    sampler.abort();
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(30), server).await;
    report(&o, start.elapsed(), &tally, &samples);
}

fn report(o: &Opts, took: Duration, tally: &Mutex<Tally>, samples: &Mutex<Vec<(u64, u64, u64)>>) {
    let tally = tally.lock().unwrap_or_else(|p| p.into_inner());
    let samples = samples.lock().unwrap_or_else(|p| p.into_inner());
    println!("\nsoak: {:.0} s, target {}/s", took.as_secs_f64(), o.rate);
    println!("answers by kind and status (0 = no answer):");
    let mut server_errors = 0;
    for ((kind, status), n) in &tally.by {
        println!("  {kind:<7} {status:>3}  {n}");
        if *status >= 500 && *status != 503 || *status == 0 {
            server_errors += n;
        }
    }
    let me: Vec<u64> = samples.iter().map(|s| s.1).collect();
    let kids: Vec<u64> = samples.iter().map(|s| s.2).collect();
    let peak = me.iter().max().copied().unwrap_or(0);
    let peak_kids = kids.iter().max().copied().unwrap_or(0);
    let (mid, last, flat) = levels_off(&me);
    let (kmid, klast, kflat) = levels_off(&kids);
    println!("samples: {}", samples.len());
    println!(
        "server process: peak RSS {:.1} MiB; middle third mean {:.1} MiB, last third {:.1} MiB: {}",
        peak as f64 / 1024.0,
        mid / 1024.0,
        last / 1024.0,
        if flat { "levels off" } else { "STILL GROWING" }
    );
    println!(
        "chromium (children): peak RSS {:.1} MiB; middle third mean {:.1} MiB, last third {:.1} MiB: {}",
        peak_kids as f64 / 1024.0,
        kmid / 1024.0,
        klast / 1024.0,
        if kflat { "levels off" } else { "STILL GROWING" }
    );
    println!("server errors (5xx other than 503, or no answer): {server_errors}");
}
