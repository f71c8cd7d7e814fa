//! Figures for the README: probe time per local one-step and two-step target, and the browser's
//! memory per concurrent probe. Run with
//! `cargo run --release -p phishprobe-probe --example bench [-- ROUNDS]`.
//! Uses the same local test sites as the test suite (127.0.0.1, offline browser).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use phishprobe_probe::{ChromeConfig, ProbeOptions, Prober};

fn opts() -> ProbeOptions {
    ProbeOptions {
        allow_private: true,
        ..ProbeOptions::default()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Proportional set size (kB) of a process: shared pages split between their users.
fn pss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// The browser process and all its descendants (renderers, GPU, network service...).
fn tree(root: u32) -> Vec<u32> {
    let mut parent = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                && let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r)
                && let Some(ppid) = rest
                    .split_whitespace()
                    .nth(1)
                    .and_then(|p| p.parse::<u32>().ok())
            {
                parent.push((pid, ppid));
            }
        }
    }
    let mut set: HashSet<u32> = HashSet::from([root]);
    loop {
        let before = set.len();
        for (p, pp) in &parent {
            if set.contains(pp) {
                set.insert(*p);
            }
        }
        if set.len() == before {
            break;
        }
    }
    set.into_iter().collect()
}

async fn time(prober: &Prober, url: &str, rounds: usize) -> (f64, String) {
    let mut v = Vec::new();
    let mut outcome = String::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let r = prober.probe(url, &opts()).await;
        v.push(t.elapsed().as_secs_f64());
        outcome = r.outcome.as_str().to_string();
    }
    (median(v), outcome)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(7);
    let sites = common::sites();
    let t = Instant::now();
    let mut prober = Prober::launch(&ChromeConfig {
        offline: true,
        ..Default::default()
    })
    .await
    .expect("chromium starts");
    println!("browser start: {:.2} s", t.elapsed().as_secs_f64());
    let pid = prober.pid().unwrap_or(0);
    // Warm-up.
    let _ = prober
        .probe(&format!("{}/g/onestep/", sites.main), &opts())
        .await;

    println!("\nmedian of {rounds} sequential probes (warm browser):");
    for p in [
        "/p/onestep/",
        "/p/hidden/",
        "/p/card/",
        "/p/pwonly/",
        "/p/outside/",
        "/g/onestep/",
        "/g/xhr401/",
        "/p/idfirst/",
        "/p/landing/",
        "/p/double/",
        "/g/idfirst/",
        "/g/slow/",
    ] {
        let (m, o) = time(&prober, &format!("{}{}", sites.main, p), rounds).await;
        println!("  {p:<14} {m:>6.2} s  ({o})");
    }

    println!("\nbrowser memory (PSS of the browser and all its processes):");
    let idle: u64 = tree(pid).iter().map(|p| pss_kb(*p)).sum();
    println!("  idle: {} MB", idle / 1024);
    for c in [1usize, 2, 4] {
        let urls: Vec<String> = (0..c * 2)
            .map(|i| {
                let p = ["/p/onestep/", "/g/onestep/", "/p/jsform/", "/g/slow/"][i % 4];
                format!("{}{}", sites.main, p)
            })
            .collect();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s2 = stop.clone();
        let sampler = std::thread::spawn(move || {
            let mut peak = 0u64;
            while !s2.load(std::sync::atomic::Ordering::Relaxed) {
                let total: u64 = tree(pid).iter().map(|p| pss_kb(*p)).sum();
                peak = peak.max(total);
                std::thread::sleep(Duration::from_millis(50));
            }
            peak
        });
        let t = Instant::now();
        let _ = prober.probe_all(&urls, c, |_, _| opts()).await;
        let wall = t.elapsed().as_secs_f64();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let peak = sampler.join().unwrap_or(0);
        println!(
            "  concurrency {c}: peak {} MB, {} MB above idle per concurrent probe; {} probes in {wall:.1} s",
            peak / 1024,
            peak.saturating_sub(idle) / 1024 / c as u64,
            urls.len()
        );
    }
    prober.close().await;
}
