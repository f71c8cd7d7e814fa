//! The milter protocol spoken to a real server on 127.0.0.1 by a small client written here, as
//! Postfix speaks it: option negotiation, envelope, headers, body, end of message, and the
//! answers read back. Then the abuse an MTA never sends: steps out of order, oversized and
//! garbage packets, silence, hundreds of connections at once.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use phishprobe_milter::{Config, ListenAddr, MilterServer, ServeOptions};

/// A milter server running on its own thread for the length of a test.
struct Running {
    addr: Option<SocketAddr>,
    metrics: Option<SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn start(config: &str, listen: &str) -> Running {
        let config = Config::parse(config, "test").expect("config");
        let listen: ListenAddr = listen.parse().expect("listen address");
        let server = MilterServer::bind(
            &listen,
            config,
            ServeOptions {
                metrics: Some("127.0.0.1:0".parse().unwrap()),
                ..ServeOptions::default()
            },
        )
        .expect("bind");
        let addr = server.local_addr();
        let metrics = server.metrics_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let engine = phishprobe_core::Engine::embedded().expect("engine");
            server
                .run(&engine, async {
                    let _ = rx.await;
                })
                .expect("run");
        });
        Running {
            addr,
            metrics,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    fn tcp(config: &str) -> Running {
        Running::start(config, "inet:127.0.0.1:0")
    }

    fn connect(&self) -> Client<TcpStream> {
        let s = TcpStream::connect(self.addr.unwrap()).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Client { s }
    }

    fn metrics(&self) -> String {
        let mut s = TcpStream::connect(self.metrics.unwrap()).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().expect("server thread ended cleanly");
        }
    }
}

/// One answer packet: its code and data.
#[derive(Debug, Clone)]
struct Packet {
    code: u8,
    data: Vec<u8>,
}

impl Packet {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).replace('\0', "|")
    }
}

struct Client<S: Read + Write> {
    s: S,
}

const SMFIP_HDR_LEADSPC: u32 = 0x0010_0000;
/// What Postfix 3.7 offers: every action, and all protocol steps/flags it can skip.
const POSTFIX_ACTIONS: u32 = 0x1ff;
const POSTFIX_PROTOCOL: u32 = 0x001f_ffff;

impl<S: Read + Write> Client<S> {
    fn send(&mut self, code: u8, data: &[u8]) -> std::io::Result<()> {
        let len = u32::try_from(data.len() + 1).unwrap();
        let mut p = len.to_be_bytes().to_vec();
        p.push(code);
        p.extend_from_slice(data);
        self.s.write_all(&p)
    }

    fn read(&mut self) -> std::io::Result<Packet> {
        let mut len = [0u8; 4];
        self.s.read_exact(&mut len)?;
        let len = u32::from_be_bytes(len) as usize;
        assert!((1..1 << 20).contains(&len), "answer length {len}");
        let mut buf = vec![0u8; len];
        self.s.read_exact(&mut buf)?;
        Ok(Packet {
            code: buf[0],
            data: buf[1..].to_vec(),
        })
    }

    fn ask(&mut self, code: u8, data: &[u8]) -> Packet {
        self.send(code, data).expect("send");
        self.read().expect("answer")
    }

    /// Option negotiation as Postfix does it; returns the milter's (actions, protocol).
    fn negotiate(&mut self, protocol: u32) -> (u32, u32) {
        let mut d = 6u32.to_be_bytes().to_vec();
        d.extend_from_slice(&POSTFIX_ACTIONS.to_be_bytes());
        d.extend_from_slice(&protocol.to_be_bytes());
        let p = self.ask(b'O', &d);
        assert_eq!(p.code, b'O', "{p:?}");
        let word = |i: usize| u32::from_be_bytes(p.data[i..i + 4].try_into().unwrap());
        (word(4), word(8))
    }

    /// A whole message after negotiation; returns every answer to the end of message.
    fn message(&mut self, client_ip: &str, raw: &[u8], leading_space: bool) -> Vec<Packet> {
        let mut connect = b"client.test\0".to_vec();
        connect.push(b'4');
        connect.extend_from_slice(&25u16.to_be_bytes());
        connect.extend_from_slice(client_ip.as_bytes());
        connect.push(0);
        assert_eq!(self.ask(b'C', &connect).code, b'c');
        self.send(b'D', b"Ei\0QUEUE42\0").unwrap();
        assert_eq!(self.ask(b'M', b"<sender@example.net>\0").code, b'c');
        assert_eq!(self.ask(b'R', b"<user@example.test>\0").code, b'c');
        let (head, body) = split_message(raw);
        for (name, value) in head {
            let mut h = name.into_bytes();
            h.push(0);
            if !leading_space {
                h.extend_from_slice(value.strip_prefix(b" ").unwrap_or(&value));
            } else {
                h.extend_from_slice(&value);
            }
            h.push(0);
            assert_eq!(self.ask(b'L', &h).code, b'c');
        }
        assert_eq!(self.ask(b'N', b"").code, b'c');
        for chunk in body.chunks(65_535) {
            assert_eq!(self.ask(b'B', chunk).code, b'c');
        }
        self.end_of_message()
    }

    fn end_of_message(&mut self) -> Vec<Packet> {
        self.send(b'E', b"").unwrap();
        let mut out = Vec::new();
        loop {
            let p = self.read().expect("end-of-message answers");
            let last = matches!(p.code, b'c' | b'a' | b'r' | b't' | b'd' | b'y');
            out.push(p);
            if last {
                return out;
            }
        }
    }
}

/// Headers (name, value with its leading space, LF-folded) and the CRLF body.
fn split_message(raw: &[u8]) -> (Vec<(String, Vec<u8>)>, Vec<u8>) {
    let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(b'\n');
                v.extend_from_slice(line.as_bytes());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            headers.push((n.to_string(), v.as_bytes().to_vec()));
        }
    }
    (headers, body.replace('\n', "\r\n").into_bytes())
}

/// A brand-impersonation message built here: an "Amazon" sender on an unrelated domain asking
/// to sign in through a look-alike link.
fn lookalike_amazon() -> Vec<u8> {
    b"Received: from mx.example.net by mx.example.test\r\n\
From: \"Amazon Security\" <security@amaz0n-account-verify.top>\r\n\
To: user@example.test\r\n\
Subject: Your Amazon account is locked\r\n\
X-Phishprobe-Verdict: genuine; brand=amazon; score=0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Dear customer, we detected unusual sign-in activity on your Amazon account.\r\n\
Verify your password within 24 hours or your account will be suspended:\r\n\
https://amazon.co.jp.account-verify.top/ap/signin\r\n"
        .to_vec()
}

fn plain_note() -> Vec<u8> {
    b"From: Alice <alice@example.net>\r\nTo: bob@example.test\r\nSubject: lunch\r\n\r\nLunch at noon?\r\n"
        .to_vec()
}

/// `n` pseudo-random bytes (xorshift), the same for the same seed.
fn noise(seed: u32, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn find(answers: &[Packet], code: u8) -> Vec<&Packet> {
    answers.iter().filter(|p| p.code == code).collect()
}

#[test]
fn a_lookalike_message_is_headed_held_and_its_forged_verdict_removed() {
    let server = Running::tcp("");
    let mut c = server.connect();
    let (actions, protocol) = c.negotiate(POSTFIX_PROTOCOL);
    assert_eq!(
        actions,
        0x01 | 0x10 | 0x20,
        "add/change headers and quarantine only"
    );
    assert_ne!(protocol & SMFIP_HDR_LEADSPC, 0, "leading space asked for");
    let answers = c.message("192.0.2.10", &lookalike_amazon(), true);
    let added: Vec<String> = find(&answers, b'h').iter().map(|p| p.text()).collect();
    assert!(
        added
            .iter()
            .any(|h| h.starts_with("X-Phishprobe-Verdict| phishing; brand=amazon; score=")),
        "{added:?}"
    );
    assert!(
        added
            .iter()
            .any(|h| h.starts_with("X-Phishprobe-Findings| ")),
        "{added:?}"
    );
    let changed = find(&answers, b'm');
    assert_eq!(changed.len(), 1, "{answers:?}");
    assert_eq!(
        &changed[0].data[..4],
        &1u32.to_be_bytes(),
        "first of its name"
    );
    assert_eq!(
        &changed[0].data[4..],
        b"X-Phishprobe-Verdict\0\0",
        "deleted"
    );
    let held = find(&answers, b'q');
    assert!(
        held.len() == 1 && held[0].text().contains("phishing"),
        "{answers:?}"
    );
    assert_eq!(answers.last().unwrap().code, b'c', "accepted (and held)");

    // The same connection goes on with the next message, which gets its own verdict.
    let answers = c.message("192.0.2.10", &plain_note(), true);
    assert!(find(&answers, b'q').is_empty(), "{answers:?}");
    let verdict = find(&answers, b'h')[0].text();
    assert!(
        verdict.starts_with("X-Phishprobe-Verdict| unknown;"),
        "{verdict}"
    );
    let m = server.metrics();
    assert!(m.contains("phishprobe_milter_messages_total 2"), "{m}");
    assert!(
        m.contains("phishprobe_milter_actions_total{action=\"quarantine\"} 1"),
        "{m}"
    );
}

#[test]
fn reject_and_subject_tag_when_configured_and_values_without_leading_space() {
    let server = Running::tcp("[actions]\nphishing = \"reject\"\n");
    let mut c = server.connect();
    let (_, protocol) = c.negotiate(POSTFIX_PROTOCOL & !SMFIP_HDR_LEADSPC);
    assert_eq!(protocol & SMFIP_HDR_LEADSPC, 0, "not offered, not taken");
    let answers = c.message("192.0.2.10", &lookalike_amazon(), false);
    let last = answers.last().unwrap();
    assert_eq!(last.code, b'y', "{answers:?}");
    assert!(last.text().starts_with("550 5.7.1 "), "{}", last.text());

    let server = Running::tcp("[actions]\nphishing = \"tag\"\n");
    let mut c = server.connect();
    c.negotiate(POSTFIX_PROTOCOL & !SMFIP_HDR_LEADSPC);
    let answers = c.message("192.0.2.10", &lookalike_amazon(), false);
    let subject: Vec<String> = find(&answers, b'm')
        .iter()
        .map(|p| p.text())
        .filter(|t| t.contains("Subject"))
        .collect();
    assert_eq!(subject.len(), 1, "{answers:?}");
    assert!(
        subject[0].ends_with("Subject|[SUSPICIOUS] Your Amazon account is locked|"),
        "no leading space when the MTA adds it: {}",
        subject[0]
    );
}

#[test]
fn exclusions_and_the_size_limit_deliver_unchecked() {
    let server = Running::tcp(
        "[exclude]\nclient_networks = [\"192.0.2.0/24\"]\n[limits]\nmax_message_bytes = 2000\n",
    );
    let mut c = server.connect();
    c.negotiate(POSTFIX_PROTOCOL);
    let answers = c.message("192.0.2.99", &lookalike_amazon(), true);
    let added: Vec<String> = find(&answers, b'h').iter().map(|p| p.text()).collect();
    assert_eq!(
        added,
        vec!["X-Phishprobe-Verdict| unchecked; reason=excluded|"]
    );
    assert_eq!(
        find(&answers, b'm').len(),
        1,
        "the forged header still goes"
    );
    assert!(find(&answers, b'q').is_empty());

    let mut big = lookalike_amazon();
    big.extend(std::iter::repeat_n(b"more words to read\r\n".as_slice(), 200).flatten());
    let answers = c.message("198.51.100.1", &big, true);
    let added: Vec<String> = find(&answers, b'h').iter().map(|p| p.text()).collect();
    assert_eq!(added, vec!["X-Phishprobe-Verdict| unchecked; reason=size|"]);
    assert_eq!(answers.last().unwrap().code, b'c');
}

#[test]
fn the_deadline_answers_tempfail_or_accept_as_configured() {
    // A message that takes far longer than 1 ms to check.
    let mut big = lookalike_amazon();
    for i in 0..40_000 {
        big.extend_from_slice(
            format!("Line {i}: confirm your payment at https://host{i}.example.org/p?id={i}\r\n")
                .as_bytes(),
        );
    }
    let server = Running::tcp("[failure]\ndeadline_ms = 1\n");
    let mut c = server.connect();
    c.negotiate(POSTFIX_PROTOCOL);
    let started = Instant::now();
    let answers = c.message("192.0.2.1", &big, true);
    let last = answers.last().unwrap();
    assert_eq!(last.code, b'y', "{answers:?}");
    assert!(
        last.text().starts_with("451 4.3.0 ") && last.text().contains("deadline"),
        "{}",
        last.text()
    );
    assert!(started.elapsed() < Duration::from_secs(20));

    let server = Running::tcp("[failure]\ndeadline_ms = 1\non_failure = \"accept\"\n");
    let mut c = server.connect();
    c.negotiate(POSTFIX_PROTOCOL);
    let answers = c.message("192.0.2.1", &big, true);
    assert_eq!(answers.last().unwrap().code, b'c');
    let added: Vec<String> = find(&answers, b'h').iter().map(|p| p.text()).collect();
    assert_eq!(
        added,
        vec!["X-Phishprobe-Verdict| unchecked; reason=deadline|"]
    );
}

#[test]
fn steps_out_of_order_get_answers_not_a_crash() {
    let server = Running::tcp("");
    // End of message with nothing before it: nothing to judge. Retrying would not change
    // that, so it is delivered marked rather than tempfailed until it bounces.
    let mut c = server.connect();
    c.negotiate(POSTFIX_PROTOCOL);
    let answers = c.end_of_message();
    assert_eq!(answers.last().unwrap().code, b'c', "{answers:?}");
    let added: Vec<String> = find(&answers, b'h').iter().map(|p| p.text()).collect();
    assert_eq!(
        added,
        vec!["X-Phishprobe-Verdict| unchecked; reason=not-email|"]
    );
    // Body before any header, headers after the body, abort in the middle, end twice.
    assert_eq!(c.ask(b'B', b"body first\r\n").code, b'c');
    assert_eq!(c.ask(b'L', b"Subject\0 late\0").code, b'c');
    c.send(b'A', b"").unwrap();
    assert_eq!(c.ask(b'R', b"<x@example.test>\0").code, b'c');
    // The recipient-only message has no header to judge, and the second end has nothing at all:
    // both are delivered marked, neither breaks the conversation.
    for _ in 0..2 {
        let answers = c.end_of_message();
        assert_eq!(answers.last().unwrap().code, b'c', "{answers:?}");
        let added: Vec<String> = find(&answers, b'h').iter().map(|p| p.text()).collect();
        assert_eq!(
            added,
            vec!["X-Phishprobe-Verdict| unchecked; reason=not-email|"]
        );
    }
    // A conversation without option negotiation at all.
    let mut c = server.connect();
    let answers = c.message("192.0.2.1", &plain_note(), false);
    assert_eq!(answers.last().unwrap().code, b'c', "{answers:?}");
}

#[test]
fn garbage_oversized_and_silent_connections_are_closed_and_others_still_served() {
    let server = Running::tcp("[limits]\nidle_timeout_secs = 1\n");
    // An unknown command code.
    let mut c = server.connect();
    c.send(b'Z', b"junk").unwrap();
    assert!(c.read().is_err(), "closed");
    // A length far over the packet limit: refused before it is read.
    let mut c = server.connect();
    c.s.write_all(&(64u32 << 20).to_be_bytes()).unwrap();
    c.s.write_all(b"B").unwrap();
    assert!(c.read().is_err(), "closed");
    // Random bytes.
    let mut c = server.connect();
    let _ = c.s.write_all(&noise(12345, 5000));
    assert!(c.read().is_err(), "closed");
    // A connection that says nothing is closed after the idle timeout.
    let mut c = server.connect();
    let started = Instant::now();
    assert!(c.read().is_err());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    // And a well-behaved client is still served.
    let mut c = server.connect();
    c.negotiate(POSTFIX_PROTOCOL);
    let answers = c.message("192.0.2.1", &lookalike_amazon(), true);
    assert_eq!(find(&answers, b'q').len(), 1);
    let m = server.metrics();
    assert!(
        m.contains("phishprobe_milter_protocol_errors_total 4"),
        "{m}"
    );
}

#[test]
fn five_hundred_connections_at_once_are_answered_or_closed_and_service_goes_on() {
    let server = Running::tcp("[limits]\nmax_connections = 64\n");
    let addr = server.addr.unwrap();
    let threads: Vec<_> = (0..500)
        .map(|i| {
            std::thread::spawn(move || -> bool {
                let Ok(s) = TcpStream::connect(addr) else {
                    return false;
                };
                s.set_read_timeout(Some(Duration::from_secs(60))).ok();
                let mut c = Client { s };
                let mut d = 6u32.to_be_bytes().to_vec();
                d.extend_from_slice(&POSTFIX_ACTIONS.to_be_bytes());
                d.extend_from_slice(&POSTFIX_PROTOCOL.to_be_bytes());
                if c.send(b'O', &d).is_err() || c.read().is_err() {
                    return false; // closed at the limit
                }
                let raw = if i % 2 == 0 {
                    lookalike_amazon()
                } else {
                    plain_note()
                };
                let answers = c.message("192.0.2.1", &raw, true);
                let held = !find(&answers, b'q').is_empty();
                assert_eq!(held, i % 2 == 0, "connection {i}: {answers:?}");
                true
            })
        })
        .collect();
    let mut served = 0;
    for t in threads {
        if t.join().expect("no client saw a wrong answer") {
            served += 1;
        }
    }
    assert!(served >= 64, "at least the limit's worth served: {served}");
    let m = server.metrics();
    let refused: u64 = m
        .lines()
        .find_map(|l| l.strip_prefix("phishprobe_milter_connections_refused_total "))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert_eq!(
        served + refused,
        500,
        "every connection served or refused: {m}"
    );
    let mut c = server.connect();
    c.negotiate(POSTFIX_PROTOCOL);
    let answers = c.message("192.0.2.1", &plain_note(), true);
    assert_eq!(answers.last().unwrap().code, b'c');
}

#[test]
fn a_unix_socket_serves_the_same_conversation() {
    let path: PathBuf =
        std::env::temp_dir().join(format!("phishprobe-milter-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let spec: ListenAddr = format!("unix:{}", path.display()).parse().unwrap();
    // A live socket belongs to a running milter: it is not taken over.
    let live = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let taken = MilterServer::bind(&spec, Config::default(), ServeOptions::default());
    assert!(
        taken.is_err(),
        "a second milter must not steal a live socket"
    );
    // A stale socket file from an earlier run (nobody listening) is replaced.
    drop(live);
    assert!(path.exists());
    let server = Running::start("", &format!("unix:{}", path.display()));
    let s = UnixStream::connect(&path).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut c = Client { s };
    c.negotiate(POSTFIX_PROTOCOL);
    let answers = c.message("192.0.2.1", &lookalike_amazon(), true);
    assert_eq!(find(&answers, b'q').len(), 1, "{answers:?}");
    drop(server);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn hostile_messages_get_a_verdict_or_a_marked_delivery() {
    let server = Running::tcp("");
    let mut many_parts =
        b"From: a@example.net\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            .to_vec();
    for i in 0..10_000 {
        many_parts.extend_from_slice(
            format!("--b\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n").as_bytes(),
        );
    }
    many_parts.extend_from_slice(b"--b--\r\n");
    let truncated = b"From: a@example.net\r\nSubject: cut\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGh0bWw+PGEgaHJlZj0iaHR0cHM6Ly9hbWF6".to_vec();
    let mut giant_header = b"From: a@example.net\r\nSubject: ".to_vec();
    giant_header.extend(std::iter::repeat_n(b'x', 200_000));
    giant_header.extend_from_slice(b"\r\n\r\nbody\r\n");
    let mut garbage = b"From: a@example.net\r\nSubject: bytes\r\n\r\n".to_vec();
    garbage.extend(noise(99, 300_000));
    for (name, raw) in [
        ("10,000 parts", many_parts),
        ("truncated MIME", truncated),
        ("a 200 KB header", giant_header),
        ("binary garbage", garbage),
    ] {
        let mut c = server.connect();
        c.negotiate(POSTFIX_PROTOCOL);
        let answers = c.message("192.0.2.1", &raw, true);
        let last = answers.last().unwrap();
        assert_eq!(last.code, b'c', "{name}: {answers:?}");
        let verdict = find(&answers, b'h')
            .first()
            .map(|p| p.text())
            .unwrap_or_default();
        assert!(
            verdict.starts_with("X-Phishprobe-Verdict| "),
            "{name}: {verdict}"
        );
        assert!(
            !verdict.contains("unchecked"),
            "{name}: checked, not skipped: {verdict}"
        );
    }
    let m = server.metrics();
    assert!(m.contains("phishprobe_milter_messages_total 4"), "{m}");
    assert!(
        m.contains("phishprobe_milter_protocol_errors_total 0"),
        "{m}"
    );
}
