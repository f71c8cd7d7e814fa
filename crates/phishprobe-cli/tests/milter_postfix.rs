//! `phishprobe milter` behind a real Postfix: a throwaway Postfix (its configuration, queue and
//! Maildir in a temporary folder, SMTP on a free 127.0.0.1 port) whose smtpd hands every
//! message to the milter binary. Mail from the shared corpus is sent over SMTP and looked for
//! where Postfix put it: the Maildir, the hold queue, or a refusal at the SMTP client.
//!
//! Needs root and Debian's postfix; skipped without them unless PHISHPROBE_REQUIRE_POSTFIX=1.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use phishprobe_core::{Engine, Verdict};
use phishprobe_email::{EmailChecker, Options};
use phishprobe_milter::testing::{Smtp, TempPostfix, free_port};

mod common;
use common::site::{self, Answer};

const BIN: &str = env!("CARGO_BIN_EXE_phishprobe");
const RCPT: &str = "user@example.test";

/// The milter binary, running until dropped.
struct MilterProcess {
    child: Child,
    addr: SocketAddr,
    config: PathBuf,
    extra: Vec<String>,
}

impl MilterProcess {
    fn start(config: &str) -> MilterProcess {
        MilterProcess::start_with(config, &[])
    }

    fn start_with(config: &str, extra: &[&str]) -> MilterProcess {
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let path = std::env::temp_dir().join(format!(
            "phishprobe-milter-{}-{}.toml",
            std::process::id(),
            addr.port()
        ));
        std::fs::write(&path, config).unwrap();
        let extra = extra.iter().map(|a| a.to_string()).collect();
        MilterProcess::spawn(addr, path, extra)
    }

    fn spawn(addr: SocketAddr, config: PathBuf, extra: Vec<String>) -> MilterProcess {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(config.with_extension("log"))
            .expect("milter log file");
        let child = Command::new(BIN)
            .args(["milter", "--listen", &format!("inet:{addr}"), "--config"])
            .arg(&config)
            .args(&extra)
            .env_remove("PHISHPROBE_DB")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("milter starts");
        let started = Instant::now();
        while TcpStream::connect(addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "milter never listened"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        MilterProcess {
            child,
            addr,
            config,
            extra,
        }
    }

    /// What the milter logged (one line per message).
    fn log(&self) -> String {
        std::fs::read_to_string(self.config.with_extension("log")).unwrap_or_default()
    }

    fn milter_spec(&self) -> String {
        format!("inet:{}", self.addr)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Start again on the same address with the same configuration.
    fn restart(&mut self) {
        self.kill();
        let again = MilterProcess::spawn(self.addr, self.config.clone(), self.extra.clone());
        let old = std::mem::replace(self, again);
        std::mem::forget(old);
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill {sig}");
    }

    /// Resident memory of the milter process now, in KiB.
    fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// Peak resident memory of the milter process, in KiB.
    fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    /// A `kB` line of `/proc/PID/status` (0 when unreadable).
    fn status_kib(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for MilterProcess {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.config);
        let _ = std::fs::remove_file(self.config.with_extension("log"));
    }
}

/// Postfix in front of `milter`; `None` (skip) where Postfix cannot run and is not required.
fn postfix_for(milter: &MilterProcess, extra: &[&str]) -> Option<TempPostfix> {
    // Headers of clients on the loopback are otherwise rewritten (missing Date/Message-ID
    // added, addresses completed), and the milter must see what the sender sent.
    let mut all = vec!["local_header_rewrite_clients ="];
    all.extend_from_slice(extra);
    TempPostfix::start_or_skip(Some(&milter.milter_spec()), &all)
}

/// The authserv-id of the throwaway MX; the milter trusts its Authentication-Results.
const AUTHSERV: &str = "mx.phishprobe.test";

/// Corpus messages in file order.
fn corpus(kind: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let Some(dir) = phishprobe_testkit::corpus_path(&format!("email/{kind}")) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| Some((p.clone(), as_sent_over_smtp(std::fs::read(&p).ok()?))))
        .collect()
}

/// A stored message as an SMTP client sends it: without the mbox `From ` separator line some
/// corpus files begin with (it is not part of the message).
fn as_sent_over_smtp(raw: Vec<u8>) -> Vec<u8> {
    if raw.starts_with(b"From ") {
        let start = raw
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |i| i + 1);
        raw[start..].to_vec()
    } else {
        raw
    }
}

/// The library's verdict and brand on the same bytes, trusting the MX's own results.
fn judge(checker: &EmailChecker<'_>, raw: &[u8]) -> Option<(Verdict, Option<String>)> {
    let r = checker.check("m", raw).ok()?;
    Some((r.report.verdict, r.report.brand))
}

fn checker_options() -> Options {
    Options {
        authserv_id: Some(AUTHSERV.to_string()),
        ..Options::default()
    }
}

/// The message as the MX's authentication milter (OpenDKIM/OpenDMARC) would pass it on after
/// DKIM, SPF and DMARC passed for its From domain.
fn authenticated(raw: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    let from = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("from:"))
        .unwrap_or("");
    let domain = from
        .rsplit('@')
        .next()
        .unwrap_or("")
        .trim_end_matches(['>', ' ', '\r'])
        .to_ascii_lowercase();
    let mut out = format!(
        "Authentication-Results: {AUTHSERV}; dkim=pass header.d={domain}; spf=pass smtp.mailfrom={domain}; dmarc=pass header.from={domain}\r\n"
    )
    .into_bytes();
    out.extend_from_slice(raw);
    out
}

/// The header block of a delivered message, unfolded, as (lower-case name, value) pairs.
fn headers(message: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(message).replace("\r\n", "\n");
    let head = text.split("\n\n").next().unwrap_or("").to_string();
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            out.push((n.to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    out
}

fn verdict_headers(message: &[u8]) -> Vec<String> {
    headers(message)
        .into_iter()
        .filter(|(n, _)| n == "x-phishprobe-verdict")
        .map(|(_, v)| v)
        .collect()
}

/// The one delivered message whose body contains `marker`.
fn delivered_with(postfix: &TempPostfix, marker: &str) -> Vec<u8> {
    let found: Vec<Vec<u8>> = postfix
        .delivered()
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|m| String::from_utf8_lossy(m).contains(marker))
        .collect();
    assert_eq!(found.len(), 1, "one delivered message with {marker}");
    found.into_iter().next().unwrap()
}

/// A message with a unique marker header put first (so it can be found after delivery).
fn marked(raw: &[u8], marker: &str) -> Vec<u8> {
    let mut m = format!("X-Test-Marker: {marker}\r\n").into_bytes();
    m.extend_from_slice(raw);
    m
}

fn held_headers(postfix: &TempPostfix, id: &str) -> String {
    let out = Command::new("/usr/sbin/postcat")
        .arg("-c")
        .arg(postfix.dir().join("conf"))
        .args(["-h", "-q", id])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Samples chosen by what the library says of their bytes: phishing from the corpus, genuine
/// Amazon notifications (with their MX's passing authentication), and a plain message.
struct Samples {
    phishing: Vec<Vec<u8>>,
    genuine: Vec<Vec<u8>>,
    plain: Vec<u8>,
}

fn samples(phishing: usize) -> Option<Samples> {
    let engine = Engine::embedded().unwrap();
    let checker = EmailChecker::new(&engine, checker_options());
    let phish: Vec<Vec<u8>> = corpus("phish")
        .into_iter()
        .filter(|(_, raw)| judge(&checker, raw).is_some_and(|(v, _)| v == Verdict::Phishing))
        .map(|(_, raw)| raw)
        .take(phishing)
        .collect();
    let ham = corpus("ham");
    if phish.is_empty() || ham.is_empty() {
        return None; // the corpus is missing (a failure under CI, said by the testkit)
    }
    let genuine: Vec<Vec<u8>> = ham
        .iter()
        .map(|(_, raw)| authenticated(raw))
        .filter(|raw| {
            judge(&checker, raw)
                .is_some_and(|(v, b)| v == Verdict::Genuine && b.as_deref() == Some("amazon"))
        })
        .take(2)
        .collect();
    let plain = ham
        .iter()
        .find(|(_, raw)| judge(&checker, raw).is_some_and(|(v, _)| v == Verdict::Unknown))
        .map(|(_, raw)| raw.clone())?;
    assert_eq!(phish.len(), phishing, "phishing samples in the corpus");
    assert_eq!(genuine.len(), 2, "genuine Amazon samples in the corpus");
    Some(Samples {
        phishing: phish,
        genuine,
        plain,
    })
}

fn milter_config(extra: &str) -> String {
    format!("[email]\nauthserv_id = \"{AUTHSERV}\"\n{extra}")
}

/// The milter's log lines for messages that were not simply headed or held.
fn unusual_lines(log: &str) -> String {
    log.lines()
        .filter(|l| !l.contains("action=header") && !l.contains("action=quarantine"))
        .take(20)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lines of a message as the sender wrote them: after the test marker, without the
/// milter's own headers, without blank lines (Postfix puts the missing blank line after the
/// header section of a message that has none, as the corpus' notification fixtures do).
fn content_lines(message: &[u8], delivered: bool) -> Vec<String> {
    let text = String::from_utf8_lossy(message).replace("\r\n", "\n");
    let mut lines: Vec<&str> = text.lines().collect();
    if delivered {
        // Postfix's Return-Path, Delivered-To and Received come before the marker.
        let marker = lines.iter().position(|l| l.starts_with("X-Test-Marker:"));
        lines.drain(..marker.map_or(0, |i| i + 1));
    }
    let mut out = Vec::new();
    let mut in_own_header = false;
    for l in lines {
        let own = l.to_ascii_lowercase().starts_with("x-phishprobe-");
        let continued = l.starts_with([' ', '\t']);
        in_own_header = delivered && (own || (in_own_header && continued));
        if !in_own_header && !l.trim().is_empty() {
            out.push(l.to_string());
        }
    }
    out
}

#[test]
fn corpus_phishing_is_held_genuine_amazon_delivered_and_forged_verdicts_replaced() {
    let milter = MilterProcess::start(&milter_config(""));
    let Some(postfix) = postfix_for(&milter, &[]) else {
        return;
    };
    let Some(s) = samples(3) else {
        return;
    };
    let mut smtp = Smtp::connect(postfix.smtp).unwrap();
    for (i, raw) in s.phishing.iter().enumerate() {
        // The first also carries a forged verdict of its own.
        let raw = if i == 0 {
            let mut f = b"X-Phishprobe-Verdict: genuine; brand=amazon; score=0\r\n".to_vec();
            f.extend_from_slice(raw);
            f
        } else {
            raw.clone()
        };
        let r = smtp.send("sender@example.net", &[RCPT], &raw).unwrap();
        assert_eq!(r.code, 250, "phishing sample {i}: {r:?}");
    }
    for (i, raw) in s.genuine.iter().enumerate() {
        let r = smtp
            .send(
                "sender@example.net",
                &[RCPT],
                &marked(raw, &format!("genuine-{i}")),
            )
            .unwrap();
        assert_eq!(r.code, 250, "genuine sample {i}: {r:?}");
    }
    let mut forged =
        b"X-Phishprobe-Verdict: genuine; brand=amazon; score=0\r\nX-PHISHPROBE-Findings: none\r\n"
            .to_vec();
    forged.extend_from_slice(&marked(&s.plain, "forged-plain"));
    let r = smtp.send("sender@example.net", &[RCPT], &forged).unwrap();
    assert_eq!(r.code, 250, "{r:?}");
    smtp.quit();

    assert!(
        postfix.wait_for(Duration::from_secs(60), |p| p.in_flight() == 0
            && p.delivered().len() == 3),
        "delivered: {}, hold: {:?}\n{}",
        postfix.delivered().len(),
        postfix.queued("hold"),
        postfix.log()
    );
    let held = postfix.queued("hold");
    assert_eq!(held.len(), 3, "the phishing messages are held");
    for id in &held {
        let h = held_headers(&postfix, id);
        let verdicts: Vec<&str> = h
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("x-phishprobe-verdict:"))
            .collect();
        assert_eq!(verdicts.len(), 1, "the forged one is gone: {h}");
        assert!(verdicts[0].contains(" phishing; brand="), "{h}");
    }
    for (i, sent) in s.genuine.iter().enumerate() {
        let marker = format!("genuine-{i}");
        let m = delivered_with(&postfix, &marker);
        let v = verdict_headers(&m);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].starts_with("genuine; brand=amazon; score="), "{v:?}");
        assert!(
            content_lines(&m, true) == content_lines(&marked(sent, &marker), true),
            "genuine sample {i}: changed on the way"
        );
    }
    let m = delivered_with(&postfix, "forged-plain");
    let v = verdict_headers(&m);
    assert_eq!(
        v.len(),
        1,
        "the forged verdict is gone, ours is the only one: {v:?}"
    );
    assert!(v[0].starts_with("unknown; brand=none; score="), "{v:?}");
    let findings = headers(&m)
        .into_iter()
        .filter(|(n, _)| n == "x-phishprobe-findings")
        .count();
    assert_eq!(findings, 1, "the forged findings header is gone too");
}

#[test]
fn phishing_is_refused_with_550_when_the_admin_chose_reject() {
    let milter = MilterProcess::start(&milter_config("[actions]\nphishing = \"reject\"\n"));
    let Some(postfix) = postfix_for(&milter, &[]) else {
        return;
    };
    let Some(s) = samples(2) else {
        return;
    };
    let mut smtp = Smtp::connect(postfix.smtp).unwrap();
    for raw in &s.phishing {
        let r = smtp.send("sender@example.net", &[RCPT], raw).unwrap();
        assert_eq!(r.code, 550, "{r:?}");
        assert!(r.text.starts_with("5.7.1 "), "{r:?}");
    }
    let r = smtp
        .send("sender@example.net", &[RCPT], &s.genuine[0])
        .unwrap();
    assert_eq!(r.code, 250, "{r:?}");
    smtp.quit();
    assert!(postfix.wait_for(Duration::from_secs(30), |p| p.delivered().len() == 1));
    assert!(postfix.queued("hold").is_empty());
}

#[test]
fn a_killed_milter_means_tempfail_and_the_retry_after_restart_is_delivered() {
    let mut milter = MilterProcess::start(&milter_config(""));
    let Some(postfix) = postfix_for(&milter, &[]) else {
        return;
    };
    let Some(s) = samples(1) else {
        return;
    };
    let message = marked(&s.genuine[0], "retried");
    // The SMTP session is under way (Postfix has told the milter about the client, sender and
    // recipient) when the milter dies.
    let mut smtp = Smtp::connect(postfix.smtp).unwrap();
    assert_eq!(
        smtp.command("MAIL FROM:<sender@example.net>").unwrap().code,
        250
    );
    assert_eq!(
        smtp.command(&format!("RCPT TO:<{RCPT}>")).unwrap().code,
        250
    );
    milter.kill();
    let data = smtp.command("DATA").unwrap();
    let r = if data.code == 354 {
        smtp.data(&message).unwrap()
    } else {
        data
    };
    assert!(
        (400..500).contains(&r.code),
        "temporary failure, not loss: {r:?}"
    );
    assert!(postfix.delivered().is_empty() && postfix.queued("hold").is_empty());

    // The sending server retries later; by then the milter is back.
    milter.restart();
    let mut smtp = Smtp::connect(postfix.smtp).unwrap();
    let r = smtp.send("sender@example.net", &[RCPT], &message).unwrap();
    assert_eq!(r.code, 250, "{r:?}");
    smtp.quit();
    assert!(postfix.wait_for(Duration::from_secs(30), |p| p.delivered().len() == 1));
    let m = delivered_with(&postfix, "retried");
    assert!(verdict_headers(&m)[0].starts_with("genuine;"));
}

#[test]
fn a_milter_killed_while_receiving_a_message_loses_nothing() {
    let mut milter = MilterProcess::start(&milter_config("[failure]\ndeadline_ms = 120000\n"));
    let Some(postfix) = postfix_for(&milter, &["milter_content_timeout = 180s"]) else {
        return;
    };
    let Some(s) = samples(1) else {
        return;
    };
    let mut big = marked(&s.plain, "killed-mid-message");
    while big.len() < 30 << 20 {
        big.extend_from_slice(b"Minutes of the meeting, item by item, for the record.\r\n");
    }
    let before = milter.rss_kib();
    let addr = postfix.smtp;
    let message = big.clone();
    let sender = std::thread::spawn(move || {
        let mut smtp = Smtp::connect(addr).unwrap();
        smtp.send("sender@example.net", &[RCPT], &message).unwrap()
    });
    // Kill it once it holds a few MB of the 30: well before the whole message is in.
    let deadline = Instant::now() + Duration::from_secs(60);
    while milter.rss_kib() < before + 5_000 {
        assert!(
            Instant::now() < deadline,
            "the milter never received the message"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    milter.kill();
    let r = sender.join().unwrap();
    assert!(
        (400..500).contains(&r.code),
        "temporary failure, not loss: {r:?}"
    );
    assert!(postfix.delivered().is_empty() && postfix.queued("hold").is_empty());
    assert_eq!(
        postfix.in_flight(),
        0,
        "not accepted, so the sender keeps it"
    );
    // The sender retries once the milter is back.
    milter.restart();
    let mut smtp = Smtp::connect(postfix.smtp).unwrap();
    let r = smtp.send("sender@example.net", &[RCPT], &big).unwrap();
    smtp.quit();
    assert_eq!(r.code, 250, "{r:?}");
    assert!(postfix.wait_for(Duration::from_secs(60), |p| p.delivered().len() == 1));
}

#[test]
fn a_check_past_its_deadline_is_tempfailed_and_so_is_a_hung_milter() {
    // The milter's own deadline at 1 ms: far less than checking a 2 MB message takes.
    let milter = MilterProcess::start(&milter_config("[failure]\ndeadline_ms = 1\n"));
    let Some(postfix) = postfix_for(
        &milter,
        &["milter_command_timeout = 3s", "milter_content_timeout = 3s"],
    ) else {
        return;
    };
    let Some(s) = samples(1) else {
        return;
    };
    let mut slow = s.genuine[0].clone();
    for i in 0..40_000 {
        slow.extend_from_slice(format!("line {i} of a long message body\r\n").as_bytes());
    }
    let mut smtp = Smtp::connect(postfix.smtp).unwrap();
    let r = smtp.send("sender@example.net", &[RCPT], &slow).unwrap();
    assert_eq!(r.code, 451, "{r:?}");
    assert!(
        r.text.starts_with("4.3.0 ") && r.text.contains("deadline"),
        "{r:?}"
    );
    smtp.quit();

    // A milter that stops answering altogether: Postfix's own timeout, then its
    // milter_default_action (tempfail), answers the client.
    milter.signal("-STOP");
    let started = Instant::now();
    let mut smtp = Smtp::connect(postfix.smtp).unwrap();
    let r = smtp.send("sender@example.net", &[RCPT], &s.plain).unwrap();
    milter.signal("-CONT");
    assert!((400..500).contains(&r.code), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(postfix.delivered().is_empty() && postfix.queued("hold").is_empty());
    assert_eq!(postfix.in_flight(), 0, "nothing accepted unchecked");
}

#[test]
fn a_30_mb_message_is_checked_and_delivered() {
    // Tests run unoptimised builds: a generous deadline, as an admin with slow disks would set.
    let milter = MilterProcess::start(&milter_config("[failure]\ndeadline_ms = 120000\n"));
    let Some(postfix) = postfix_for(&milter, &["milter_content_timeout = 180s"]) else {
        return;
    };
    let Some(s) = samples(1) else {
        return;
    };
    let mut big = marked(&s.plain, "thirty-mb");
    let line = b"The quarterly figures are attached below for your review and records.\r\n";
    while big.len() < 30 << 20 {
        big.extend_from_slice(line);
    }
    let mut smtp = Smtp::connect(postfix.smtp).unwrap();
    let r = smtp.send("sender@example.net", &[RCPT], &big).unwrap();
    assert_eq!(r.code, 250, "{r:?}");
    smtp.quit();
    assert!(postfix.wait_for(Duration::from_secs(60), |p| p.delivered().len() == 1));
    let m = delivered_with(&postfix, "thirty-mb");
    // Maildir keeps LF line ends: 30 MB of lines arrive as a little less than was sent.
    assert!(m.len() >= 30_000_000, "{}", m.len());
    let v = verdict_headers(&m);
    assert_eq!(v.len(), 1);
    assert!(
        !v[0].starts_with("unchecked"),
        "checked, not skipped: {v:?}"
    );
}

#[test]
fn a_thousand_messages_through_postfix_are_all_accounted_for() {
    let milter = MilterProcess::start(&milter_config(""));
    let Some(postfix) = postfix_for(&milter, &[]) else {
        return;
    };
    let engine = Engine::embedded().unwrap();
    let checker = EmailChecker::new(&engine, checker_options());
    let mut pool: Vec<(Vec<u8>, bool)> = Vec::new();
    for kind in ["phish", "ham"] {
        for (_, raw) in corpus(kind) {
            if let Some((v, _)) = judge(&checker, &raw) {
                pool.push((raw, v == Verdict::Phishing));
            }
        }
    }
    if pool.is_empty() {
        return;
    }
    const TOTAL: usize = 1_000;
    const CONNECTIONS: usize = 4;
    let messages: Vec<(Vec<u8>, bool)> = (0..TOTAL)
        .map(|i| {
            let (raw, phishing) = &pool[(i * 7) % pool.len()];
            (marked(raw, &format!("seq-{i}")), *phishing)
        })
        .collect();
    let expected_held = messages.iter().filter(|(_, p)| *p).count();
    let smtp_addr = postfix.smtp;
    let replies: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CONNECTIONS)
            .map(|c| {
                let part: Vec<&Vec<u8>> = messages
                    .iter()
                    .skip(c)
                    .step_by(CONNECTIONS)
                    .map(|(m, _)| m)
                    .collect();
                scope.spawn(move || {
                    let mut smtp = Smtp::connect(smtp_addr).unwrap();
                    let codes: Vec<u16> = part
                        .iter()
                        .map(|m| smtp.send("sender@example.net", &[RCPT], m).unwrap().code)
                        .collect();
                    smtp.quit();
                    codes
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut by_code: BTreeMap<u16, usize> = BTreeMap::new();
    for c in &replies {
        *by_code.entry(*c).or_default() += 1;
    }
    assert_eq!(
        by_code.get(&250),
        Some(&TOTAL),
        "every message accepted: {by_code:?}\n{}",
        unusual_lines(&milter.log())
    );
    assert!(
        postfix.wait_for(Duration::from_secs(300), |p| p.in_flight() == 0
            && p.delivered().len() + p.queued("hold").len() == TOTAL),
        "delivered {} + held {} of {TOTAL}; in flight {}",
        postfix.delivered().len(),
        postfix.queued("hold").len(),
        postfix.in_flight()
    );
    assert_eq!(
        postfix.queued("hold").len(),
        expected_held,
        "held = phishing"
    );
    assert_eq!(postfix.delivered().len(), TOTAL - expected_held);
    let peak = milter.peak_rss_kib();
    eprintln!("milter peak RSS after {TOTAL} messages: {peak} KiB");
    assert!(peak > 0 && peak < 512 * 1024, "memory bounded: {peak} KiB");
}

/// A look-alike Amazon sign-in page that takes any password.
fn clone_route(method: &str, _path: &str, _body: &str, _port: u16) -> Answer {
    Answer::page(if method == "POST" {
        "<!doctype html><html><head><title>Amazon</title></head><body><h1>amazon</h1><p>Thank you. Your account has been verified.</p></body></html>"
    } else {
        "<!doctype html><html><head><title>Amazon Sign-In</title></head><body><img alt=\"amazon\" src=\"data:,\"><h1>Sign in</h1><form method=post action=/ap/signin><label>Email or mobile phone number<input type=email name=email></label><label>Password<input type=password name=password></label><button type=submit>Sign in</button></form></body></html>"
    })
}

#[test]
fn the_probe_queue_tries_the_link_after_the_answer_and_saves_the_case() {
    if phishprobe_probe::testing::chrome_or_skip().is_none() {
        return;
    }
    let (base, posts) = site::start(clone_route);
    let db =
        std::env::temp_dir().join(format!("phishprobe-milter-probe-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let db = db.display().to_string();
    let mut milter = MilterProcess::start_with(
        &milter_config(""),
        &["--probe-queue", "--db", &db, "--probe-allow-private"],
    );
    let Some(postfix) = postfix_for(&milter, &[]) else {
        return;
    };
    let email = format!(
        "From: \"Amazon Seller Support\" <support@amazon-seller-notice.top>\r\n\
To: {RCPT}\r\nSubject: Action required: your seller account is on hold\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n\
<p>We placed your account on hold. Verify your identity within 24 hours:</p>\
<p><a href=\"{base}/ap/signin\">https://sellercentral.amazon.com/verify</a></p>\r\n"
    );
    let started = Instant::now();
    let mut smtp = Smtp::connect(postfix.smtp).unwrap();
    let r = smtp
        .send("sender@example.net", &[RCPT], email.as_bytes())
        .unwrap();
    smtp.quit();
    assert_eq!(r.code, 250, "{r:?}");
    // The MTA had its answer before any browser started.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(postfix.wait_for(Duration::from_secs(30), |p| p.queued("hold").len() == 1));

    let list = || {
        let o = common::run(&["--json", "history", "--db", &db, "list"], None);
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while !list().contains("\"id\"") {
        assert!(
            Instant::now() < deadline,
            "no case saved; milter log:\n{}",
            milter.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let listed = list();
    let first: serde_json::Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    let id = first["id"].as_str().expect("case id").to_string();
    let o = common::run(
        &["history", "--db", &db, "export", &id, "--format", "json"],
        None,
    );
    let exported: serde_json::Value = serde_json::from_slice(&o.stdout).expect("case json");
    assert_eq!(exported["report"]["verdict"], "phishing", "{exported}");
    let steps = exported["report"]["steps"].as_array().expect("steps");
    let probe = steps
        .iter()
        .find(|s| s["id"] == "wrong_password")
        .expect("probe step");
    assert_eq!(probe["status"], "done", "{probe}");
    let received = posts.lock().unwrap().clone();
    assert!(
        received.iter().any(|p| p.body.contains("password=")),
        "the clone got the decoy: {received:?}"
    );
    assert!(milter.log().contains("probe=done"), "{}", milter.log());

    // SIGTERM stops the milter and its browser with it: no Chromium is left running.
    let browsers: Vec<u32> = children_of(milter.child.id())
        .into_iter()
        .filter(|&p| process_name(p).contains("chrom"))
        .collect();
    assert!(
        !browsers.is_empty(),
        "the probe's Chromium is the milter's child"
    );
    milter.signal("-TERM");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(milter.child.try_wait(), Ok(Some(_))) {
        assert!(
            Instant::now() < deadline,
            "the milter did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while browsers.iter().any(|&p| process_alive(p)) {
        assert!(
            Instant::now() < deadline,
            "Chromium {browsers:?} still runs after the milter stopped"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The processes whose parent is `pid` (from `/proc`).
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        // "pid (name) state ppid ...": the name may hold spaces, so read after its last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(p);
        }
    }
    out
}

fn process_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default()
}

/// Whether `pid` still runs (a zombie waiting for its parent does not).
fn process_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next().map(|st| st != "Z"))
        })
        .unwrap_or(false)
}
