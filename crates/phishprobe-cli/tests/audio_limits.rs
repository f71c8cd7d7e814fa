//! `phishprobe audio` on recordings built to cost too much: two hours of silence, and a WAV
//! whose header claims two hours but holds one second. Each must end in a verdict with its
//! reason, in bounded time and memory. A test binary of its own, so the memory figure
//! (`getrusage(RUSAGE_CHILDREN)`: the largest child this process waited for) is these runs'.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{bin, codes};
use phishprobe_testkit::audio;

/// Peak resident memory of any child waited for so far, in MB.
fn children_peak_mb() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    assert_eq!(rc, 0);
    ru.ru_maxrss as f64 / 1024.0
}

/// Run `phishprobe --json audio --model tiny.en FILE`, killing it if it takes longer than
/// `limit` (a hang is a failure, not a slow pass).
fn judge_within(file: &Path, limit: Duration) -> serde_json::Value {
    let mut child = bin()
        .args(["--json", "audio", "--model", "tiny.en"])
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn phishprobe");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("phishprobe audio {} ran past {limit:?}", file.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let o = child.wait_with_output().expect("output");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("one JSON report")
}

/// A generous ceiling: tiny.en with its buffers peaks near 120 MB here; holding the whole
/// two hours in memory would add at least 230 MB.
const PEAK_MB: f64 = 300.0;

#[test]
fn two_hours_of_silence_is_unknown_no_speech_without_running_whisper() {
    if audio::model("ggml-tiny.en-q8_0.bin").is_none() || !audio::tools() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("silent.wav");
    audio::silence(&f, 8000, 7200.0);
    let v = judge_within(&f, Duration::from_secs(300));
    assert_eq!(v["verdict"], "unknown");
    assert!(codes(&v).contains(&"audio.no_speech".to_string()), "{v}");
    let t = &v["transcript"];
    assert_eq!(t["source"]["decoded_seconds"], 7200.0);
    // The gate kept nothing, so Whisper had nothing to do.
    assert_eq!(t["speech_seconds"], 0.0);
    assert!(t["segments"].as_array().unwrap().is_empty());
    let peak = children_peak_mb();
    eprintln!("peak child memory {peak:.0} MB");
    assert!(peak < PEAK_MB, "peak child memory {peak:.0} MB");
}

#[test]
fn a_header_that_claims_two_hours_is_reported_and_what_is_there_is_judged() {
    if audio::model("ggml-tiny.en-q8_0.bin").is_none() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("liar.wav");
    let rate = 16_000u32;
    let mut bytes = audio::wav_header(rate, rate * 2 * 7200);
    // One second of a 440 Hz tone: sound, but not speech.
    for i in 0..rate {
        let s = ((i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin() * 8000.0) as i16;
        bytes.extend(s.to_le_bytes());
    }
    std::fs::write(&f, bytes).unwrap();
    let v = judge_within(&f, Duration::from_secs(120));
    assert_ne!(v["verdict"], "phishing");
    assert_ne!(v["verdict"], "genuine");
    let note = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "audio.input_note")
        .unwrap_or_else(|| panic!("no input note in {v}"));
    let e = note["evidence"].as_str().unwrap();
    assert!(
        e.contains("header says 2:00:00") && e.contains("0:01"),
        "{e}"
    );
    assert!(children_peak_mb() < PEAK_MB);
}
