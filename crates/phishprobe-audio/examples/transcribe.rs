//! Probe: transcribe a 16 kHz mono 16-bit WAV with a ggml Whisper model and report
//! the real-time factor.
//!
//! transcribe MODEL.bin CLIP.wav [LANG|auto] [THREADS] [greedy|beam] [PROMPT]
//! Env: WHISPER_LOG=1 keeps whisper.cpp's own logging on stderr.
use std::time::Instant;
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() / 1024.0)
        })
        .unwrap_or(f64::NAN)
}

fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    anyhow::ensure!(
        a.len() >= 3,
        "usage: transcribe MODEL.bin CLIP.wav [LANG|auto] [THREADS] [greedy|beam] [PROMPT]"
    );
    let lang = a.get(3).map(String::as_str).unwrap_or("en");
    let threads: i32 = a.get(4).map(|s| s.parse()).transpose()?.unwrap_or(1);
    let beam = a.get(5).map(String::as_str) == Some("beam");
    let prompt = a.get(6);
    if std::env::var_os("WHISPER_LOG").is_none() {
        whisper_rs::install_logging_hooks();
    }

    let mut r = hound::WavReader::open(&a[2])?;
    let spec = r.spec();
    anyhow::ensure!(
        spec.sample_rate == 16000 && spec.channels == 1 && spec.bits_per_sample == 16,
        "want 16 kHz mono 16-bit, got {spec:?}"
    );
    let pcm: Vec<f32> = r
        .samples::<i16>()
        .map(|s| s.map(|v| v as f32 / 32768.0))
        .collect::<Result<_, _>>()?;
    let audio_s = pcm.len() as f64 / 16000.0;

    let t0 = Instant::now();
    let ctx = WhisperContext::new_with_params(&a[1], WhisperContextParameters::default())?;
    let mut st = ctx.create_state()?;
    let load_s = t0.elapsed().as_secs_f64();

    let strategy = if beam {
        SamplingStrategy::BeamSearch {
            beam_size: 5,
            patience: -1.0,
        }
    } else {
        SamplingStrategy::Greedy { best_of: 1 }
    };
    let mut p = FullParams::new(strategy);
    p.set_n_threads(threads);
    p.set_language(Some(lang));
    p.set_print_progress(false);
    p.set_print_realtime(false);
    p.set_print_special(false);
    p.set_print_timestamps(false);
    if let Some(pr) = prompt {
        p.set_initial_prompt(pr);
    }
    let t1 = Instant::now();
    st.full(p, &pcm)?;
    let run_s = t1.elapsed().as_secs_f64();

    let mut text = String::new();
    for seg in st.as_iter() {
        let s = seg.to_str_lossy()?;
        println!(
            "[{:>6.2}-{:>6.2}] {}",
            seg.start_timestamp() as f64 / 100.0,
            seg.end_timestamp() as f64 / 100.0,
            s.trim()
        );
        text.push_str(&s);
    }
    eprintln!(
        "audio {audio_s:.2}s  load {load_s:.2}s  transcribe {run_s:.2}s  RTF {:.3}  threads {threads}  {}  peak RSS {:.0} MB",
        run_s / audio_s,
        if beam { "beam5" } else { "greedy" },
        peak_rss_mb()
    );
    Ok(())
}
