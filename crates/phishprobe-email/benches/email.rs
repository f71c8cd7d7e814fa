//! Throughput of the whole email pipeline (parse, HTML, attachments, links through the core URL
//! analysis, weighing) over the shared corpus messages (`../shared/corpus/email/`; a small
//! generated set when the corpus is missing). One thread: the figure is messages/s per core.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use phishprobe_core::Engine;
use phishprobe_email::{EmailChecker, Options};

fn messages() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/email");
    let mut out = Vec::new();
    for sub in ["phish", "ham"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            let mut paths: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            paths.sort();
            out.extend(paths.iter().filter_map(|p| std::fs::read(p).ok()));
        }
    }
    if out.is_empty() {
        eprintln!("corpus missing: benchmarking generated messages");
        for i in 0..200 {
            out.push(format!("From: \"Amazon\" <n{i}@evil.example>\r\nSubject: Order #123-1234567-1234567\r\nContent-Type: text/html\r\n\r\n<p>Your account has been suspended <a href=\"https://amazon.evil{i}.top/x\">www.amazon.com</a></p>").into_bytes());
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let engine = Engine::embedded().expect("engine");
    let checker = EmailChecker::new(&engine, Options::default());
    let msgs = messages();
    let bytes: usize = msgs.iter().map(Vec::len).sum();
    // A plain timing first, printed as messages/s (criterion reports time per corpus pass).
    let t = Instant::now();
    let mut n = 0usize;
    while t.elapsed() < Duration::from_secs(3) {
        for m in &msgs {
            let _ = checker.check("bench", m);
            n += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "email pipeline: {} messages ({} bytes) per pass; {:.0} messages/s on one core ({:.1} MB/s)",
        msgs.len(),
        bytes,
        n as f64 / secs,
        n as f64 / secs * bytes as f64 / msgs.len() as f64 / 1e6
    );
    let mut g = c.benchmark_group("email");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.sample_size(10);
    g.bench_function("corpus_pass", |b| {
        b.iter(|| {
            for m in &msgs {
                let _ = checker.check("bench", m);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
