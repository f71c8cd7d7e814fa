//! The server's request bodies, sent over a real loopback connection to a real `phishprobe
//! serve` running in this process: every JSON, text and raw-email endpoint, with each content
//! type the handlers distinguish. The server answers in the same process, so libFuzzer sees its
//! coverage and a panic in a handler aborts the run.
//!
//! A bug here is an `internal` error (500), a dropped connection (a handler panicked), a JSON
//! answer that is not JSON, or no answer at all within the time limit.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use phishprobe_probe::chrome::ChromeConfig;
use phishprobe_server::{ProbeSettings, RateLimit, ServerConfig, serve};

/// The endpoints that read a body. The first input byte picks one.
const ENDPOINTS: &[&str] = &[
    "/api/v1/url",
    "/api/v1/email",
    "/api/v1/text",
    "/api/v1/phone",
    "/api/v1/cases",
    "/api/v1/probe",
];

/// The content types the handlers tell apart, and a missing one. The second byte picks one.
const CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/json"),
    Some("text/plain"),
    Some("message/rfc822"),
    Some("application/octet-stream"),
    None,
    Some("application/json; charset=utf-8"),
    Some("text/plain; charset=gb2312"),
];

/// Longer than the server's own request limit (30 s): no answer by then is a hang.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// The server, started once per process on an ephemeral loopback port. Probes cannot start
/// (the browser path does not exist), so probe jobs end at once as inconclusive and the fuzzer
/// never drives a real browser; the history is a SQLite file in a temporary folder.
fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder for the fuzz history");
        let config = ServerConfig {
            rate_limit: RateLimit {
                per_second: 1e9,
                burst: u32::MAX,
            },
            database: Some(dir.path().join("fuzz.sqlite").display().to_string()),
            probe: ProbeSettings {
                queue: 4,
                timeout: Duration::from_secs(5),
                chrome: ChromeConfig {
                    executable: Some("/nonexistent/phishprobe-fuzz-chromium".into()),
                    offline: true,
                    ..ChromeConfig::default()
                },
                ..ProbeSettings::default()
            },
            ..ServerConfig::default()
        };
        // The folder lives as long as the process.
        std::mem::forget(dir);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime for the fuzz server");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("a loopback port for the fuzz server");
                let addr = listener.local_addr().expect("the bound address");
                let _ = tx.send(addr);
                serve(config, listener).await.expect("the fuzz server runs");
            });
        });
        rx.recv().expect("the fuzz server started")
    })
}

/// One request: byte 0 picks the endpoint, byte 1 the content type, the rest is the body.
pub fn server_body(data: &[u8]) {
    let (head, body) = data.split_at(data.len().min(2));
    let path = ENDPOINTS[usize::from(head.first().copied().unwrap_or(0)) % ENDPOINTS.len()];
    let ctype = CONTENT_TYPES[usize::from(head.get(1).copied().unwrap_or(0)) % CONTENT_TYPES.len()];
    let addr = server();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = ctype {
        request.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    request.push_str("\r\n");
    let mut stream = TcpStream::connect(addr).expect("the fuzz server accepts connections");
    stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .expect("a read timeout");
    stream
        .write_all(request.as_bytes())
        .and_then(|_| stream.write_all(body))
        .expect("the request is sent");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .unwrap_or_else(|e| panic!("no answer from {path} within {ANSWER_TIMEOUT:?}: {e}"));
    check_answer(path, &answer);
}

/// What every answer must be: a status line that is not a server error (503, "busy", is
/// allowed: the probe queue and the history can be full), and JSON where it says JSON.
fn check_answer(path: &str, answer: &[u8]) {
    assert!(
        !answer.is_empty(),
        "{path}: connection closed without an answer (a handler panicked)"
    );
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{path}: answer without a header end"));
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{path}: no status in {head:?}"));
    let body = &answer[split + 4..];
    assert!(
        status < 500 || status == 503,
        "{path}: status {status}: {}",
        String::from_utf8_lossy(body)
    );
    if head.contains("content-type: application/json")
        && !head.contains("chunked")
        && let Err(e) = serde_json::from_slice::<serde_json::Value>(body)
    {
        panic!("{path}: status {status} says JSON but is not ({e})");
    }
}
