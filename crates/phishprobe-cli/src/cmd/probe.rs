//! `phishprobe probe URL...`: the wrong-password test with decoy credentials, in a real headless
//! Chromium (default) or over plain HTTP (`--engine http`). Prints the verdict model plus the
//! probe `outcome` and its `evidence`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::ValueEnum;
use phishprobe_probe::{ChromeConfig, ProbeOptions, ProbeResult, Prober};

use super::Context;
use crate::output;

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineArg {
    /// Headless Chromium (Debian package `chromium`): sees JavaScript, XHR and redirects.
    Chrome,
    /// No browser: HTML forms only; `inconclusive` where JavaScript is needed.
    Http,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Sign-in page addresses to test (http or https).
    #[arg(required = true, value_name = "URL")]
    pub urls: Vec<String>,
    /// Write evidence (screenshots per step, probe.json per URL) under this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Hard limit per URL, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 45)]
    pub timeout: u64,
    /// How to load the page.
    #[arg(long, value_enum, default_value_t = EngineArg::Chrome)]
    pub engine: EngineArg,
    /// Allow loopback, private and link-local targets (local test sites).
    #[arg(long)]
    pub allow_private: bool,
    /// URLs probed at the same time (one browser, one context each).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub concurrency: usize,
    /// Domain of the random decoy addresses (a reserved example domain by default).
    #[arg(long, value_name = "D", default_value = "example.net")]
    pub decoy_domain: String,
    /// Chromium binary (default: PHISHPROBE_CHROME, then /usr/bin/chromium and the usual names).
    #[arg(long, value_name = "PATH")]
    pub chrome: Option<PathBuf>,
    #[command(flatten)]
    pub output_opts: super::OutputOpts,
    #[command(flatten)]
    pub brands: super::BrandsOpt,
}

fn host_slug(url: &str) -> String {
    let h = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "target".into());
    h.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect()
}

pub fn run(args: Args, ctx: &Context) -> Result<u8> {
    if args.urls.iter().any(|u| u.trim().is_empty()) {
        return Err(super::usage(
            "probe: an empty URL; give the address of the sign-in page to test",
        ));
    }
    if args.timeout == 0 || args.timeout > 600 {
        bail!("--timeout must be between 1 and 600 seconds");
    }
    if args.concurrency == 0 || args.concurrency > 16 {
        bail!("--concurrency must be between 1 and 16");
    }
    let timeout = Duration::from_secs(args.timeout);
    let step = Duration::from_secs((args.timeout / 3).clamp(5, 20));
    let dirs: Vec<Option<PathBuf>> = args
        .urls
        .iter()
        .enumerate()
        .map(|(i, u)| {
            args.out
                .as_ref()
                .map(|d| d.join(format!("{:02}-{}", i + 1, host_slug(u))))
        })
        .collect();
    if let Some(d) = &args.out {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let options = |i: usize| ProbeOptions {
        timeout,
        step_timeout: step,
        allow_private: args.allow_private,
        decoy_domain: args.decoy_domain.clone(),
        evidence_dir: dirs.get(i).cloned().flatten(),
        ..ProbeOptions::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let results: Vec<ProbeResult> = rt.block_on(async {
        match args.engine {
            EngineArg::Chrome => {
                let prober = Prober::launch(&ChromeConfig {
                    executable: args.chrome.clone(),
                    ..ChromeConfig::default()
                })
                .await
                .context("starting the browser (or use --engine http)")?;
                let r = prober
                    .probe_all(&args.urls, args.concurrency, |i, _| options(i))
                    .await;
                prober.close().await;
                Ok::<_, anyhow::Error>(r)
            }
            EngineArg::Http => {
                use futures::StreamExt;
                let opts: Vec<ProbeOptions> = (0..args.urls.len()).map(options).collect();
                let mut v: Vec<(usize, ProbeResult)> =
                    futures::stream::iter(args.urls.iter().enumerate())
                        .map(|(i, u)| {
                            let o = &opts[i];
                            async move { (i, phishprobe_probe::http::probe(u, o).await) }
                        })
                        .buffer_unordered(args.concurrency)
                        .collect()
                        .await;
                v.sort_by_key(|(i, _)| *i);
                Ok(v.into_iter().map(|(_, r)| r).collect())
            }
        }
    })?;

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut worst = 0u8;
    for (i, mut r) in results.into_iter().enumerate() {
        phishprobe_probe::claim_brand(&ctx.engine, &mut r);
        let input = args.urls.get(i).cloned().unwrap_or_default();
        let report = phishprobe_probe::verdict(&ctx.engine, &input, &r);
        worst = worst.max(u8::try_from(report.verdict.exit_code()).unwrap_or(2));
        let evidence = serde_json::to_value(&r).context("serialising the evidence")?;
        if let Some(dir) = dirs.get(i).cloned().flatten() {
            std::fs::create_dir_all(&dir)
                .and_then(|_| {
                    let mut full = serde_json::to_value(&report).map_err(io::Error::other)?;
                    if let Some(o) = full.as_object_mut() {
                        o.insert("outcome".into(), r.outcome.as_str().into());
                        o.insert("evidence".into(), evidence.clone());
                    }
                    std::fs::write(
                        dir.join("probe.json"),
                        serde_json::to_vec_pretty(&full).map_err(io::Error::other)?,
                    )
                })
                .with_context(|| format!("writing evidence to {}", dir.display()))?;
        }
        let mut extra = serde_json::Map::new();
        extra.insert("outcome".into(), r.outcome.as_str().into());
        extra.insert("evidence".into(), evidence);
        let zh = ctx.lang == phishprobe_core::Lang::Zh;
        let mut lines = if zh {
            format!("  测试结果：{} — {}\n", r.outcome.as_str(), r.reason)
        } else {
            format!("  probe: {} — {}\n", r.outcome.as_str(), r.reason)
        };
        if r.final_url != r.url {
            let l = if zh { "最终页面" } else { "final page" };
            lines.push_str(&format!("  {l}: {}\n", r.final_url));
        }
        for q in &r.decoy_requests {
            lines.push_str(&if zh {
                format!("  诱饵 {:?} 由 {} 发送至 {}\n", q.carried, q.method, q.host)
            } else {
                format!(
                    "  decoy {:?} sent by {} to {}\n",
                    q.carried, q.method, q.host
                )
            });
        }
        if let Some(dir) = dirs.get(i).cloned().flatten() {
            let l = if zh { "证据" } else { "evidence" };
            lines.push_str(&format!("  {l}: {}\n", dir.display()));
        }
        output::emit_extended(ctx, &mut out, &report, extra, &lines)?;
    }
    out.flush()?;
    Ok(worst)
}
