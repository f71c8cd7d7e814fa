//! Single-thread throughput over the shared corpus (`../shared/corpus/email/`), without
//! criterion's statistics: the figure in the README and a clean target for `perf`.
//!
//! Run: `cargo run --release -p phishprobe-email --example throughput -- [--seconds N] [--no-qr]
//! [--top N] [--only NAME-PART]`

use std::time::{Duration, Instant};

use phishprobe_core::Engine;
use phishprobe_email::{EmailChecker, Options};

/// CPU seconds this process has used (user + system, from /proc; Linux only, else 0): on a
/// shared machine wall-clock rates fall with other jobs' load, CPU-time rates do not.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after ')'.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|p| args.get(p + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(10u64);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/email");
    let mut msgs = Vec::new();
    let mut names = Vec::new();
    for sub in ["phish", "ham"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            let mut paths: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            paths.sort();
            let only = args
                .iter()
                .position(|a| a == "--only")
                .and_then(|p| args.get(p + 1));
            for p in paths {
                if only.is_some_and(|o| !p.display().to_string().contains(o.as_str())) {
                    continue;
                }
                if let Ok(b) = std::fs::read(&p) {
                    msgs.push(b);
                    names.push(p.display().to_string());
                }
            }
        }
    }
    if msgs.is_empty() {
        eprintln!("SKIPPED: ../shared/corpus/email not found");
        return;
    }
    let Ok(engine) = Engine::embedded() else {
        eprintln!("engine failed to load");
        std::process::exit(4);
    };
    let mut opts = Options::default();
    if args.iter().any(|a| a == "--no-qr") {
        opts.max_qr_images = 0;
    }
    let checker = EmailChecker::new(&engine, opts);
    let bytes: usize = msgs.iter().map(Vec::len).sum();
    // One warm-up pass (lazily built automata, page cache).
    for m in &msgs {
        let _ = checker.check("warmup", m);
    }
    let start = Instant::now();
    let cpu0 = cpu_seconds();
    let (mut n, mut passes) = (0usize, 0usize);
    let mut slowest = (Duration::ZERO, 0usize);
    let mut per = vec![Duration::ZERO; msgs.len()];
    while start.elapsed() < Duration::from_secs(secs) {
        for (i, m) in msgs.iter().enumerate() {
            let t = Instant::now();
            let _ = checker.check("bench", m);
            let dt = t.elapsed();
            if let Some(p) = per.get_mut(i) {
                *p += dt;
            }
            if dt > slowest.0 {
                slowest = (dt, i);
            }
            n += 1;
        }
        passes += 1;
    }
    let s = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    if cpu > 0.0 {
        println!(
            "CPU time {cpu:.2} s for {s:.2} s wall: {:.0} messages per CPU-second",
            n as f64 / cpu
        );
    }
    println!(
        "{} messages ({:.1} MB) x {passes} passes: {:.0} messages/s on one thread ({:.1} MB/s); slowest {:.1} ms (message {})",
        msgs.len(),
        bytes as f64 / 1e6,
        n as f64 / s,
        n as f64 / s * bytes as f64 / msgs.len() as f64 / 1e6,
        slowest.0.as_secs_f64() * 1e3,
        slowest.1
    );
    // --top N: the messages that cost most over all passes.
    if let Some(top) = args
        .iter()
        .position(|a| a == "--top")
        .and_then(|p| args.get(p + 1))
        .and_then(|s| s.parse::<usize>().ok())
    {
        let total: Duration = per.iter().sum();
        let mut order: Vec<usize> = (0..per.len()).collect();
        order.sort_by(|a, b| per[*b].cmp(&per[*a]));
        for i in order.into_iter().take(top) {
            println!(
                "{:8.2} ms/pass {:5.1}% {} ({} bytes)",
                per[i].as_secs_f64() * 1e3 / passes.max(1) as f64,
                100.0 * per[i].as_secs_f64() / total.as_secs_f64(),
                names.get(i).map(String::as_str).unwrap_or(""),
                msgs.get(i).map_or(0, Vec::len)
            );
        }
    }
}
