//! Load generator for the API over loopback: N keep-alive connections, bounded in request
//! count and time, minimal HTTP/1.1 client (no client library in the measurement).
//!
//! ```text
//! cargo run --release -p phishprobe-server --example load -- --kind url --connections 32 --requests 100000 --seconds 20
//! cargo run --release -p phishprobe-server --example load -- --kind email --connections 16 --requests 20000 --seconds 20
//! cargo run --release -p phishprobe-server --example load -- --kind url --addr 127.0.0.1:8080   # a running `phishprobe serve --rate-limit 0`
//! ```
//!
//! Without `--addr` the server runs in this process on 127.0.0.1:0 (its own runtime, rate
//! limit off, no case history), so the figures include the full HTTP stack of the server.
//! Only loopback addresses are accepted as targets.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Opts {
    kind: String,
    connections: usize,
    requests: u64,
    seconds: u64,
    addr: Option<SocketAddr>,
    server_threads: usize,
    client_threads: usize,
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        kind: "url".into(),
        connections: 32,
        requests: 50_000,
        seconds: 20,
        addr: None,
        server_threads: 2,
        client_threads: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--kind" => o.kind = val()?,
            "--connections" => o.connections = val()?.parse().map_err(|e| format!("{e}"))?,
            "--requests" => o.requests = val()?.parse().map_err(|e| format!("{e}"))?,
            "--seconds" => o.seconds = val()?.parse().map_err(|e| format!("{e}"))?,
            "--addr" => o.addr = Some(val()?.parse().map_err(|e| format!("{e}"))?),
            "--server-threads" => o.server_threads = val()?.parse().map_err(|e| format!("{e}"))?,
            "--client-threads" => o.client_threads = val()?.parse().map_err(|e| format!("{e}"))?,
            "-h" | "--help" => {
                return Err("usage: load [--kind url|email|text] [--connections N] [--requests N] [--seconds S] [--addr 127.0.0.1:PORT] [--server-threads N] [--client-threads N]".into());
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if !["url", "email", "text"].contains(&o.kind.as_str()) {
        return Err("--kind must be url, email or text".into());
    }
    // Bounded: at most 1000 connections, 10 million requests, 5 minutes.
    o.connections = o.connections.clamp(1, 1000);
    o.requests = o.requests.clamp(1, 10_000_000);
    o.seconds = o.seconds.clamp(1, 300);
    if let Some(a) = o.addr
        && !a.ip().is_loopback()
    {
        return Err("only loopback targets (127.0.0.0/8, ::1)".into());
    }
    Ok(o)
}

/// Links: phishing look-alikes, genuine hosts and ordinary sites, varied so no cache helps.
fn url_bodies() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for i in 0..500 {
        let u = match i % 5 {
            0 => format!("https://amazon.co.jp.account-verify{i}.top/ap/signin?ref={i}"),
            1 => format!("https://sellercentral.amazon.com/orders-v3/order/{i}"),
            2 => format!("https://www.example{i}.com/news/article-{i}.html"),
            3 => format!("https://amaz0n-seller{i}.vercel.app/login"),
            _ => format!("https://secure-paypal-update{i}.com.account-check.xyz/webapps/"),
        };
        v.push(serde_json::to_vec(&serde_json::json!({"url": u})).unwrap_or_default());
    }
    v
}

/// Messages of a few KB with headers, HTML and links (phishing and genuine-looking).
fn email_bodies() -> Vec<Vec<u8>> {
    let filler = "<p>Thank you for selling on our marketplace. Please review the details below and keep this message for your records. If you did not make this request, contact support from the official site.</p>\r\n".repeat(12);
    let mut v = Vec::new();
    for i in 0..50 {
        let (from, link, subject) = match i % 3 {
            0 => (
                format!("\"Amazon Seller Central\" <no-reply@amaz0n-verify{i}.top>"),
                format!("https://sellercentral.amazon.com.account-verify{i}.top/ap/signin"),
                "Your store has been suspended - verify your account",
            ),
            1 => (
                "\"Amazon.com\" <shipment-tracking@amazon.com>".to_string(),
                format!(
                    "https://www.amazon.com/gp/your-account/order-details?orderID=112-{i:07}-1234567"
                ),
                "Your Amazon.com order has shipped",
            ),
            _ => (
                format!("\"Support Team\" <help{i}@mail-service{i}.net>"),
                format!("https://bit.ly/3x{i}yz"),
                "Action required: confirm your payout details",
            ),
        };
        let m = format!(
            "Return-Path: <bounce@{i}.example.net>\r\nReceived: from mx.example.net (mx.example.net [192.0.2.1]) by mx.example.org; Mon, 1 Jan 2024 10:00:00 +0000\r\nAuthentication-Results: mx.example.org; spf=pass smtp.mailfrom=example.net; dkim=pass header.d=example.net\r\nFrom: {from}\r\nTo: seller@example.com\r\nSubject: {subject}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <{i}@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b{i}\"\r\n\r\n--b{i}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, please sign in to review your account: {link}\r\n\r\n--b{i}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Hello,</p>{filler}<p><a href=\"{link}\">Sign in to Seller Central</a></p></body></html>\r\n--b{i}--\r\n"
        );
        v.push(m.into_bytes());
    }
    v
}

fn text_bodies() -> Vec<Vec<u8>> {
    let texts = [
        "Amazon Seller Support: your store will be suspended today. Reset your store password at https://sellercentral-amazon.account-reset.top/login",
        "This is Amazon Prime security. An order of an iPhone was placed on your account. Press 1 to speak to an agent. Install AnyDesk so we can help.",
        "Your Amazon package has shipped and will arrive Tuesday.",
        "亚马逊客服：您的账户存在异常，请提供短信验证码以便我们为您处理退款。",
    ];
    (0..200)
        .map(|i| {
            serde_json::to_vec(
                &serde_json::json!({"text": format!("{} (ref {i})", texts[i % texts.len()])}),
            )
            .unwrap_or_default()
        })
        .collect()
}

async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    buf.clear();
    let mut tmp = [0u8; 16384];
    let (head_end, status, len) = loop {
        let n = s.read(&mut tmp).await?;
        if n == 0 {
            return Err(std::io::Error::other("connection closed"));
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).map_err(std::io::Error::other)?;
            let status: u16 = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .ok_or_else(|| std::io::Error::other("no content-length"))?;
            break (end + 4, status, len);
        }
    };
    while buf.len() < head_end + len {
        let n = s.read(&mut tmp).await?;
        if n == 0 {
            return Err(std::io::Error::other("connection closed"));
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    Ok(status)
}

struct Worker {
    lat_us: Vec<u32>,
    errors: u64,
}

async fn worker(
    addr: SocketAddr,
    path: &'static str,
    ctype: &'static str,
    bodies: Arc<Vec<Vec<u8>>>,
    next: Arc<AtomicU64>,
    total: u64,
    deadline: Instant,
) -> Worker {
    let mut w = Worker {
        lat_us: Vec::new(),
        errors: 0,
    };
    let mut conn: Option<TcpStream> = None;
    let mut buf = Vec::with_capacity(65536);
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total || Instant::now() >= deadline {
            break;
        }
        let body = &bodies[(i as usize) % bodies.len()];
        let mut req = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(body);
        if conn.is_none() {
            match TcpStream::connect(addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    conn = Some(s);
                }
                Err(_) => {
                    w.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(s) = conn.as_mut() else { continue };
        let t = Instant::now();
        let ok = match s.write_all(&req).await {
            Ok(()) => read_response(s, &mut buf).await,
            Err(e) => Err(e),
        };
        match ok {
            Ok(200) => w
                .lat_us
                .push(t.elapsed().as_micros().min(u32::MAX as u128) as u32),
            Ok(_) => w.errors += 1,
            Err(_) => {
                w.errors += 1;
                conn = None;
            }
        }
    }
    w
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(3);
        }
    };
    // The server, in its own runtime, unless one is given.
    let mut _server_rt = None;
    let addr = match o.addr {
        Some(a) => a,
        None => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(o.server_threads.max(1))
                .thread_name("server")
                .enable_all()
                .build()
                .expect("server runtime");
            let listener = rt
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .expect("bind");
            let a = listener.local_addr().expect("addr");
            let cfg = phishprobe_server::ServerConfig {
                rate_limit: phishprobe_server::RateLimit::off(),
                history: false,
                ..phishprobe_server::ServerConfig::default()
            };
            rt.spawn(async move {
                if let Err(e) = phishprobe_server::serve(cfg, listener).await {
                    eprintln!("server: {e}");
                }
            });
            _server_rt = Some(rt);
            a
        }
    };
    let (path, ctype, bodies) = match o.kind.as_str() {
        "email" => ("/api/v1/email", "message/rfc822", email_bodies()),
        "text" => ("/api/v1/text", "application/json", text_bodies()),
        _ => ("/api/v1/url", "application/json", url_bodies()),
    };
    let avg = bodies.iter().map(Vec::len).sum::<usize>() / bodies.len().max(1);
    let bodies = Arc::new(bodies);
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.client_threads.max(1))
        .thread_name("client")
        .enable_all()
        .build()
        .expect("client runtime");
    let (workers, elapsed) = client.block_on(async {
        // Wait for the server, then warm up (first requests build caches and connections).
        for _ in 0..100 {
            if TcpStream::connect(addr).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let warm = Arc::new(AtomicU64::new(0));
        let _ = worker(
            addr,
            path,
            ctype,
            bodies.clone(),
            warm,
            200.min(o.requests),
            Instant::now() + Duration::from_secs(10),
        )
        .await;
        let next = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let deadline = start + Duration::from_secs(o.seconds);
        let mut handles = Vec::new();
        for _ in 0..o.connections {
            handles.push(tokio::spawn(worker(
                addr,
                path,
                ctype,
                bodies.clone(),
                next.clone(),
                o.requests,
                deadline,
            )));
        }
        let mut ws = Vec::new();
        for h in handles {
            if let Ok(w) = h.await {
                ws.push(w);
            }
        }
        (ws, start.elapsed())
    });
    let mut lat: Vec<u32> = workers
        .iter()
        .flat_map(|w| w.lat_us.iter().copied())
        .collect();
    let errors: u64 = workers.iter().map(|w| w.errors).sum();
    lat.sort_unstable();
    let secs = elapsed.as_secs_f64();
    println!(
        "kind={} connections={} ok={} errors={} seconds={:.2} throughput={:.0}/s p50={:.2}ms p99={:.2}ms max={:.2}ms avg_body={}B server={}",
        o.kind,
        o.connections,
        lat.len(),
        errors,
        secs,
        lat.len() as f64 / secs.max(1e-9),
        pct(&lat, 0.50),
        pct(&lat, 0.99),
        pct(&lat, 1.0),
        avg,
        match o.addr {
            Some(a) => a.to_string(),
            None => format!("in-process ({} threads)", o.server_threads),
        }
    );
}
