//! `phishprobe bench audio`: speech-to-text speed, memory and accuracy per model, on calls
//! spoken by espeak-ng (`crates/phishprobe-audio/data/bench-scripts.txt`) as recorded clean,
//! through a phone line (8 kHz μ-law, 300–3400 Hz) and through a noisy phone line (sox).
//!
//! Figures: real-time factor (processing time ÷ audio length) on one thread and on all
//! cores, peak memory per model (the process's VmHWM, reset before each model), word error
//! rate against the script (English), and the verdict per clip, so the change from clean to
//! phone audio shows. Synthetic speech says nothing about accuracy on real calls.

#[cfg(not(feature = "audio"))]
pub fn run(_: &[String], _: &super::Context) -> anyhow::Result<u8> {
    Err(super::usage(
        "bench audio: this phishprobe was built without speech recognition (cargo feature `audio`)",
    ))
}

#[cfg(feature = "audio")]
pub use measure::run;

#[cfg(feature = "audio")]
mod measure {
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use anyhow::Result;
    use phishprobe_audio::transcribe::{self, Engine, Language, Options};
    use phishprobe_audio::{Limits, models, synth, verdict};
    use serde_json::json;

    use super::super::Context;

    struct Script {
        id: String,
        scam: bool,
        voice: String,
        words: String,
    }

    fn scripts() -> Vec<Script> {
        include_str!("../../../phishprobe-audio/data/bench-scripts.txt")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let p: Vec<&str> = l.splitn(4, '|').map(str::trim).collect();
                (p.len() == 4).then(|| Script {
                    id: p[0].into(),
                    scam: p[1] == "scam",
                    voice: p[2].into(),
                    words: p[3].into(),
                })
            })
            .collect()
    }

    const CONDITIONS: [&str; 3] = ["clean", "phone", "noisy phone"];

    /// The three versions of one script, in `dir`: clean 16 kHz, a phone line, and the phone
    /// line with white noise (the same `synth` the tests use).
    fn clips(sc: &Script, dir: &Path) -> Result<[PathBuf; 3]> {
        let f = |what: &str| dir.join(format!("{}-{what}.wav", sc.id));
        let (clean, phone, noisy) = (f("clean"), f("phone"), f("noisy"));
        synth::speak(&sc.words, &sc.voice, &clean)?;
        synth::phone_line(&clean, &phone, None)?;
        synth::phone_line(&clean, &noisy, Some(synth::NOISE))?;
        Ok([clean, phone, noisy])
    }

    /// Lower-case words of letters and digits.
    fn words(s: &str) -> Vec<String> {
        s.split(|c: char| !(c.is_alphanumeric() || c == '\''))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    /// Word error rate: word-level edit distance ÷ reference length.
    pub(super) fn wer(reference: &str, heard: &str) -> f64 {
        let r = words(reference);
        let h = words(heard);
        if r.is_empty() {
            return if h.is_empty() { 0.0 } else { 1.0 };
        }
        let mut prev: Vec<usize> = (0..=h.len()).collect();
        for (i, rw) in r.iter().enumerate() {
            let mut cur = vec![i + 1; h.len() + 1];
            for (j, hw) in h.iter().enumerate() {
                let sub = prev[j] + usize::from(rw != hw);
                cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
            }
            prev = cur;
        }
        prev[h.len()] as f64 / r.len() as f64
    }

    /// Peak resident memory of this process (MB), and a reset of it.
    fn peak_mb() -> f64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    fn reset_peak() {
        // Linux: writing 5 to clear_refs resets VmHWM to the current RSS.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }

    pub fn run(model_names: &[String], ctx: &Context) -> Result<u8> {
        let dir = tempfile::Builder::new()
            .prefix("phishprobe-bench-audio-")
            .tempdir()?;
        let scripts = scripts();
        let mut clip_sets = Vec::new();
        for s in &scripts {
            clip_sets.push(clips(s, dir.path())?);
        }
        let rules = super::super::text::load_rules(super::super::text::TextLang::Auto)?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut results = Vec::new();
        for name in model_names {
            let path = models::resolve(Some(name))?;
            reset_peak();
            let t0 = Instant::now();
            let engine = Engine::load(&path)?;
            let load_s = t0.elapsed().as_secs_f64();
            let size_mb = std::fs::metadata(&path)?.len() as f64 / 1e6;
            for (ci, condition) in CONDITIONS.iter().enumerate() {
                for threads in [1, cores] {
                    if threads == cores && (ci > 0 || cores == 1) {
                        continue; // all-core speed on the clean set only
                    }
                    let (mut audio_s, mut busy_s, mut wers) = (0.0, 0.0, Vec::new());
                    let mut verdicts = Vec::new();
                    for (s, set) in scripts.iter().zip(&clip_sets) {
                        let zh = s.voice.starts_with("cmn");
                        if zh && !engine.is_multilingual() {
                            continue;
                        }
                        let opts = Options {
                            language: if zh { Language::Zh } else { Language::En },
                            threads,
                            timeout: Duration::from_secs(600),
                        };
                        let t = Instant::now();
                        let tr = transcribe::listen(&engine, &set[ci], &Limits::default(), &opts)?;
                        busy_s += t.elapsed().as_secs_f64();
                        audio_s += tr.source.decoded_seconds;
                        let heard = tr.reliable_text();
                        if !zh {
                            wers.push(wer(&s.words, &heard));
                        }
                        let v = verdict::judge(&ctx.engine, &rules, &s.id, &tr);
                        verdicts.push(json!({
                            "clip": s.id, "scam": s.scam, "verdict": v.report.verdict.as_str(),
                            "heard": heard,
                        }));
                    }
                    let mean_wer = wers.iter().sum::<f64>() / wers.len().max(1) as f64;
                    results.push(json!({
                        "model": name, "model_mb": size_mb, "load_s": load_s,
                        "condition": condition, "threads": threads,
                        "audio_s": audio_s, "rtf": busy_s / audio_s.max(1e-9),
                        "wer_en": mean_wer, "clips": verdicts,
                    }));
                }
            }
            let peak = peak_mb();
            for r in results.iter_mut().filter(|r| r["model"] == name.as_str()) {
                r["peak_mb"] = json!(peak);
            }
        }
        print(&results, ctx.json);
        Ok(0)
    }

    fn print(results: &[serde_json::Value], as_json: bool) {
        if as_json {
            println!("{}", json!({ "audio": results }));
            return;
        }
        println!(
            "{:<8} {:<12} {:>3} {:>7} {:>6} {:>6} {:>8} {:>7}  verdicts (scam clips | harmless clips)",
            "model", "audio", "thr", "audio s", "RTF", "WER", "peak MB", "size MB"
        );
        for r in results {
            let list = |scam: bool| {
                r["clips"]
                    .as_array()
                    .map(|c| {
                        c.iter()
                            .filter(|c| c["scam"] == scam)
                            .map(|c| {
                                format!(
                                    "{}={}",
                                    c["clip"].as_str().unwrap_or(""),
                                    c["verdict"].as_str().unwrap_or("")
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_default()
            };
            println!(
                "{:<8} {:<12} {:>3} {:>7.1} {:>6.3} {:>5.0}% {:>8.0} {:>7.1}  {} | {}",
                r["model"].as_str().unwrap_or(""),
                r["condition"].as_str().unwrap_or(""),
                r["threads"],
                r["audio_s"].as_f64().unwrap_or(0.0),
                r["rtf"].as_f64().unwrap_or(0.0),
                100.0 * r["wer_en"].as_f64().unwrap_or(0.0),
                r["peak_mb"].as_f64().unwrap_or(0.0),
                r["model_mb"].as_f64().unwrap_or(0.0),
                list(true),
                list(false)
            );
        }
        for r in results.iter().filter(|r| r["threads"] == 1) {
            for c in r["clips"].as_array().into_iter().flatten() {
                println!(
                    "  {} {} {}: {}",
                    r["model"].as_str().unwrap_or(""),
                    r["condition"].as_str().unwrap_or(""),
                    c["clip"].as_str().unwrap_or(""),
                    c["heard"].as_str().unwrap_or("")
                );
            }
        }
    }
}

#[cfg(all(test, feature = "audio"))]
mod tests {
    #[test]
    fn word_error_rate_counts_edits_per_reference_word() {
        use super::measure::wer;
        assert_eq!(wer("install AnyDesk now", "install AnyDesk now."), 0.0);
        assert!((wer("install anydesk now", "install any desk now") - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(wer("read me the code", ""), 1.0);
    }
}
