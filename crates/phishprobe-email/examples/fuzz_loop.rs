//! A libFuzzer-free fuzz loop for toolchains without `cargo fuzz`: mutates the team-written
//! test messages (bit flips, byte insertions, chunk duplication and splicing, truncation) and
//! checks each result, for `--seconds N`. Any panic inside `check` is caught by the checker and
//! reported as an internal error, which this loop counts and prints as a finding.
//!
//! Run: `cargo run --release -p phishprobe-email --example fuzz_loop -- --seconds 600`

use std::time::{Duration, Instant};

use phishprobe_core::Engine;
use phishprobe_email::mbox::MboxReader;
use phishprobe_email::{EmailChecker, EmailError, Options};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], input: &mut Vec<u8>) {
    let rounds = 1 + rng.below(8);
    for _ in 0..rounds {
        let len = input.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                let b = [
                    b'<', b'>', b'=', b'"', b'\n', b'-', b':', b';', 0, 0xff, b'@', b'?',
                ][rng.below(12)];
                input.insert(i, b);
            }
            2 if len > 2 => {
                let a = rng.below(len);
                let b = (a + rng.below(256)).min(len);
                let chunk = input[a..b].to_vec();
                let at = rng.below(input.len() + 1);
                for (k, c) in chunk.into_iter().enumerate() {
                    input.insert(at + k, c);
                }
            }
            3 if len > 0 => {
                input.truncate(rng.below(len));
            }
            4 => {
                let s = &seeds[rng.below(seeds.len())];
                if !s.is_empty() {
                    let a = rng.below(s.len());
                    let b = (a + rng.below(2048)).min(s.len());
                    let at = rng.below(input.len() + 1);
                    let tail = input.split_off(at);
                    input.extend_from_slice(&s[a..b]);
                    input.extend_from_slice(&tail);
                }
            }
            5 if len > 1 => {
                let a = rng.below(len);
                let b = (a + rng.below(64)).min(len);
                input.drain(a..b);
            }
            _ => {
                let tokens: [&[u8]; 8] = [
                    b"\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
                    b"=?UTF-8?B?QW1hem9u?=",
                    b"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                    b"<a href=\"http://a.example\">www.amazon.com</a>",
                    b"Content-Type: message/rfc822\r\n\r\n",
                    b"Authentication-Results: x; dmarc=fail header.from=amazon.com\r\n",
                    b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff",
                    b"/URI (http://",
                ];
                let t = tokens[rng.below(tokens.len())];
                let at = rng.below(input.len() + 1);
                let tail = input.split_off(at);
                input.extend_from_slice(t);
                input.extend_from_slice(&tail);
            }
        }
        if input.len() > 1 << 20 {
            input.truncate(1 << 20);
        }
    }
}

fn main() {
    let mut secs = 60u64;
    let args: Vec<String> = std::env::args().collect();
    if let Some(p) = args.iter().position(|a| a == "--seconds") {
        secs = args.get(p + 1).and_then(|s| s.parse().ok()).unwrap_or(60);
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/resources");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    if seeds.is_empty() {
        seeds.push(b"From: a@b.example\r\nSubject: x\r\n\r\nhello".to_vec());
    }
    let Ok(engine) = Engine::embedded() else {
        eprintln!("engine failed to load");
        std::process::exit(4);
    };
    let checker = EmailChecker::new(&engine, Options::default());
    // Silence the default panic printer: panics are counted, not printed per case.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(0x2545F4914F6CDD1D ^ std::process::id() as u64);
    let start = Instant::now();
    let (mut runs, mut internal, mut slowest) = (0u64, 0u64, Duration::ZERO);
    let mut crash_saved = false;
    while start.elapsed() < Duration::from_secs(secs) {
        let mut input = seeds[rng.below(seeds.len())].clone();
        mutate(&mut rng, &seeds, &mut input);
        let t = Instant::now();
        let r = checker.check("fuzz", &input);
        let mb: Vec<_> = MboxReader::new(&input[..], 1 << 16).take(4).collect();
        drop(mb);
        let dt = t.elapsed();
        if dt > slowest {
            slowest = dt;
        }
        if let Err(EmailError::Internal(msg)) = r {
            internal += 1;
            if !crash_saved {
                let _ = std::fs::write("/tmp/phishprobe-fuzz-crash.eml", &input);
                eprintln!(
                    "internal error (panic caught): {msg}; input saved to /tmp/phishprobe-fuzz-crash.eml"
                );
                crash_saved = true;
            }
        }
        runs += 1;
    }
    println!(
        "fuzz_loop: {runs} inputs in {:.0}s, {internal} internal errors (caught panics), slowest input {:.1} ms",
        start.elapsed().as_secs_f64(),
        slowest.as_secs_f64() * 1000.0
    );
    if internal > 0 {
        std::process::exit(1);
    }
}
