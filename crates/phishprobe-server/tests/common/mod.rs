//! Test helpers: start the server in-process on 127.0.0.1:0 and talk to it with a tiny
//! HTTP/1.1 client (one connection per request), so the tests need no HTTP client crate.
#![allow(dead_code)]

use std::net::SocketAddr;

use phishprobe_server::{RateLimit, ServerConfig};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Server {
    pub addr: SocketAddr,
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<Result<(), phishprobe_server::ServeError>>,
    pub dir: tempfile::TempDir,
}

impl Server {
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), &mut self.task).await;
    }
}

/// A config for tests: history in a fresh temporary SQLite file, no rate limit.
pub fn config(dir: &tempfile::TempDir) -> ServerConfig {
    ServerConfig {
        database: Some(dir.path().join("history.db").display().to_string()),
        rate_limit: RateLimit::off(),
        ..ServerConfig::default()
    }
}

pub async fn start_with(f: impl FnOnce(&mut ServerConfig, &tempfile::TempDir)) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = config(&dir);
    f(&mut cfg, &dir);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(phishprobe_server::serve_with_shutdown(
        cfg,
        listener,
        async move {
            let _ = rx.await;
        },
    ));
    // Wait until it answers.
    for _ in 0..200 {
        if let Ok(r) = request(addr, "GET", "/api/v1/health", &[], b"").await
            && r.status == 200
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    Server {
        addr,
        base: format!("http://{addr}"),
        stop: Some(tx),
        task,
        dir,
    }
}

pub async fn start() -> Server {
    start_with(|_, _| {}).await
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request on its own connection (`Connection: close`), `Host` = the server's address.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let host = addr.to_string();
    request_to_host(addr, Some(&host), method, path, headers, body).await
}

/// One request with the given `Host` header (or none).
pub async fn request_to_host(
    addr: SocketAddr,
    host: Option<&str>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect(addr).await?;
    let host_line = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\n{host_line}Connection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    let mut buf = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(60), s.read_to_end(&mut buf))
        .await
        .map_err(|_| std::io::Error::other("timed out"))??;
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no head"))?;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Ok(Resp {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(nl) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&b[..nl])
                .split(';')
                .next()
                .unwrap_or("0")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 || b.len() < nl + 2 + size {
            break;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + size]);
        b = &b[(nl + 4 + size).min(b.len())..];
    }
    out
}

pub async fn get(s: &Server, path: &str) -> Resp {
    request(s.addr, "GET", path, &[], b"").await.expect("GET")
}

pub async fn post_json(s: &Server, path: &str, v: &Value) -> Resp {
    let body = serde_json::to_vec(v).expect("json");
    request(
        s.addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        &body,
    )
    .await
    .expect("POST")
}

/// A phishing-style message: brand display name, foreign sender domain, look-alike link.
pub const PHISH_EML: &str = "From: \"Amazon Seller Central\" <no-reply@amaz0n-sellercentral-verify.top>\r\n\
To: seller@example.com\r\n\
Subject: Your store has been suspended - verify your account\r\n\
Message-ID: <1@amaz0n-sellercentral-verify.top>\r\n\
Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Dear seller, your Amazon store is suspended. Confirm your password within 24 hours:</p>\r\n\
<p><a href=\"https://sellercentral.amazon.com.account-verify.top/ap/signin\">https://sellercentral.amazon.com/</a></p>\r\n";

/// A recording the decoder reads: 16 kHz mono 16-bit PCM, `secs` of a quiet 440 Hz tone.
pub fn tone_wav(secs: u32) -> Vec<u8> {
    let rate = 16_000u32;
    let samples: Vec<i16> = (0..rate * secs)
        .map(|i| {
            let t = f64::from(i) / f64::from(rate);
            ((t * 440.0 * std::f64::consts::TAU).sin() * 3000.0) as i16
        })
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut w = Vec::with_capacity(44 + data_len as usize);
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data_len).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes()); // PCM
    w.extend_from_slice(&1u16.to_le_bytes()); // mono
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&(rate * 2).to_le_bytes());
    w.extend_from_slice(&2u16.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        w.extend_from_slice(&s.to_le_bytes());
    }
    w
}
