//! The extension's figures in a real Chromium: the core's time per page event in WebAssembly
//! (after warm-up), the first verdict after a worker start (fetching, compiling and
//! instantiating core.wasm and loading the brand data included), the module's size and memory;
//! beside them the same page events through the native core.
//!
//! `cargo bench -p phishprobe-wasm --bench extension` (needs Chromium and extension/core.wasm).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use phishprobe_core::page::{PageClaims, PageFacts, PasswordField};
use serde_json::json;
use support::*;

const TEXT: &str = "Sign in. Email or mobile phone number. Password. Forgot your password? \
Keep me signed in. By continuing, you agree to the Conditions of Use and Privacy Notice. \
New customer? Start here. Need help? Other issues with Sign-In. ";

/// Page events over real hosts from the corpus (or a small built-in list), half claiming
/// Amazon, each with a few kilobytes of text as a page shows.
fn events() -> Vec<PageFacts> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/domains");
    let mut hosts: Vec<String> = Vec::new();
    for name in ["phish_amazon.txt", "legit_top.txt", "phish_other.txt"] {
        if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
            hosts.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .take(200)
                    .map(str::to_string),
            );
        }
    }
    if hosts.is_empty() {
        hosts = [
            "amazon-signin-verify.com",
            "www.amazon.com",
            "example.org",
            "paypa1-login.top",
        ]
        .map(String::from)
        .to_vec();
    }
    hosts
        .iter()
        .enumerate()
        .map(|(i, h)| PageFacts {
            top_url: format!("https://{h}/signin"),
            password: PasswordField {
                present: true,
                typed: true,
                masked_text: false,
            },
            claims: PageClaims {
                title: if i % 2 == 0 {
                    "Amazon Sign-In".into()
                } else {
                    "Members login".into()
                },
                headings: vec!["Sign in".into()],
                logos: if i % 2 == 0 {
                    vec!["Amazon".into()]
                } else {
                    vec![]
                },
                text: TEXT.repeat(12),
            },
            ..Default::default()
        })
        .collect()
}

fn percentiles(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), at(1.0))
}

fn main() {
    let Some(chrome) = phishprobe_probe::testing::chrome_or_skip() else {
        return;
    };
    let Some(extension) = extension_dir() else {
        return;
    };
    let events = events();
    let rounds = 3000;

    // Native, for comparison.
    let engine = phishprobe_core::Engine::embedded().expect("embedded data");
    for e in events.iter().take(200) {
        std::hint::black_box(phishprobe_core::page::check(&engine, e));
    }
    let native: Vec<f64> = (0..rounds)
        .map(|i| {
            let t = Instant::now();
            std::hint::black_box(phishprobe_core::page::check(
                &engine,
                &events[i % events.len()],
            ));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let (n50, n99, nmax) = percentiles(native);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let sites = Sites::start(std::collections::HashMap::from([(
            ("amazon-signin-verify.com".to_string(), "/ap/signin".to_string()),
            "<!doctype html><title>Amazon Sign-In</title><input type=password id=pw>".to_string(),
        )]));
        let b = ExtBrowser::launch(&chrome, &extension, sites.port).await.expect("Chromium starts");
        let ext = b.ext_page().await.expect("extension page");
        let code = format!(
            "(async () => {{
               const c = await new Promise((ok, fail) => {{ const s = document.createElement('script'); s.src = 'core.js'; s.onload = ok; s.onerror = fail; document.head.append(s); }}).then(() => loadCore('core.wasm'));
               const events = {};
               for (let i = 0; i < 200; i++) c.checkPage(events[i % events.length]);
               const ms = [];
               for (let i = 0; i < {rounds}; i++) {{
                 const t = performance.now();
                 c.checkPage(events[i % events.length]);
                 ms.push(performance.now() - t);
               }}
               return {{ ms, memory: c.memoryBytes() }};
             }})()",
            serde_json::to_string(&events).expect("events JSON")
        );
        let out = eval_json(&ext, &code).await.expect("timing run");
        let ms: Vec<f64> = out["ms"].as_array().map(|a| a.iter().filter_map(|v| v.as_f64()).collect()).unwrap_or_default();
        let (w50, w99, wmax) = percentiles(ms);

        // First verdict after a worker start: let Chromium stop the idle worker (~30 s),
        // then a page event starts it again. Three times.
        let mut firsts = Vec::new();
        let mut memory = 0;
        let _ = ext.close().await;
        for _ in 0..3 {
            b.wait_for_idle_stop().await.expect("the idle worker stops");
            let page = b.open("https://amazon-signin-verify.com/ap/signin").await.expect("page");
            let ext = b.ext_page().await.expect("extension page");
            let stats = wait_for(Duration::from_secs(10), || async {
                ask_worker(&ext, json!({"type": "stats"})).await.ok().filter(|s| s["firstVerdictMs"].is_number())
            })
            .await
            .expect("a first verdict");
            firsts.push(stats["firstVerdictMs"].as_f64().unwrap_or(f64::NAN));
            memory = stats["wasmMemoryBytes"].as_u64().unwrap_or(0);
            let _ = page.close().await;
            let _ = ext.close().await;
        }
        let (f50, _, fmax) = percentiles(firsts.clone());
        let size = std::fs::metadata(extension.join("core.wasm")).map(|m| m.len()).unwrap_or(0);
        println!("page events: {} distinct, {rounds} timed after 200 warm-up", events.len());
        println!("wasm (Chromium, extension page): p50 {w50:.3} ms  p99 {w99:.3} ms  max {wmax:.3} ms");
        println!("native (this process):           p50 {n50:.3} ms  p99 {n99:.3} ms  max {nmax:.3} ms");
        println!("first verdict after a worker start: median {f50:.0} ms, max {fmax:.0} ms ({firsts:.0?})");
        println!("core.wasm: {size} bytes; linear memory after use: {memory} bytes (timing page: {} bytes)", out["memory"]);
        b.close().await;
    });
}
