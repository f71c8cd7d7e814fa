//! `phishprobe serve` as a process: it starts on an ephemeral loopback port, answers, keeps
//! secrets out of its access log, and refuses a public address without a token.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const TOKEN: &str = "s3cret-token-for-the-test-0123456789";
const SECRET_URL: &str = "https://amazon.co.jp.private-path-marker.top/ap/signin?session=XYZZY42";

struct Serve {
    child: Child,
    addr: String,
    log: mpsc::Receiver<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Serve {
    let db = std::env::temp_dir().join(format!("phishprobe-serve-cli-{}.db", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_phishprobe"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn phishprobe serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The first line names the address it listens on.
    let first = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("serve printed its address");
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    Serve {
        child,
        addr,
        log: rx,
    }
}

fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn serve_answers_and_logs_no_secrets() {
    let s = start(&["--token", TOKEN]);
    let bearer = format!("Bearer {TOKEN}");
    let body = format!("{{\"url\": \"{SECRET_URL}\"}}");

    let unauth = request(&s.addr, "POST", "/api/v1/url", &[], &body);
    assert!(unauth.starts_with("HTTP/1.1 401"), "{unauth}");
    let ok = request(
        &s.addr,
        "POST",
        "/api/v1/url?token=XYZZY42",
        &[("Authorization", &bearer)],
        &body,
    );
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.contains("\"verdict\":\"phishing\""), "{ok}");

    // Let the log lines arrive, then look at everything the server wrote.
    thread::sleep(Duration::from_millis(300));
    let log: Vec<String> = s.log.try_iter().collect();
    let all = log.join("\n");
    assert!(all.contains("/api/v1/url"), "requests are logged: {all}");
    for secret in [TOKEN, "XYZZY42", "private-path-marker"] {
        assert!(!all.contains(secret), "{secret} in the log: {all}");
    }
}

#[test]
fn a_public_address_needs_a_token() {
    let o = Command::new(env!("CARGO_BIN_EXE_phishprobe"))
        .args(["serve", "--listen", "0.0.0.0:0", "--no-history"])
        .env_remove("PHISHPROBE_TOKEN")
        .output()
        .expect("run");
    assert_ne!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("token"), "{err}");
}

/// A speech model that cannot be used stops the server at start, not at the first upload.
#[test]
fn an_unusable_audio_model_is_refused_at_start() {
    let o = Command::new(env!("CARGO_BIN_EXE_phishprobe"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-history"])
        .args(["--audio-model", "/nonexistent/ggml-model.bin"])
        .output()
        .expect("run");
    assert_ne!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--audio-model"), "{err}");
    if cfg!(feature = "audio") {
        assert!(err.contains("no such file"), "{err}");
    } else {
        assert!(err.contains("--features audio"), "{err}");
    }
}
