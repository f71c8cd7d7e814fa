//! Test recordings made by the tests themselves: espeak-ng speaks a script, sox turns it into
//! phone-quality audio. And the installed Whisper model, or a failure when CI requires one.
//!
//! `PHISHPROBE_REQUIRE_AUDIO=1` (set by `.ci/run`) turns a missing model, espeak-ng or sox
//! into a failure; otherwise such tests say why they skip and pass.

use std::path::{Path, PathBuf};
use std::process::Command;

use phishprobe_audio::synth;

/// Whether CI demands the speech-recognition tests.
pub fn required() -> bool {
    std::env::var("PHISHPROBE_REQUIRE_AUDIO").is_ok_and(|v| v == "1")
}

fn missing(what: &str) -> Option<PathBuf> {
    assert!(!required(), "PHISHPROBE_REQUIRE_AUDIO=1 but {what}");
    eprintln!("skipping: {what} (set PHISHPROBE_REQUIRE_AUDIO=1 to make this a failure)");
    None
}

/// The folder holding the installed models: `$PHISHPROBE_MODELS_DIR`, else the user data
/// folder's `phishprobe/models`.
pub fn models_dir() -> PathBuf {
    std::env::var_os("PHISHPROBE_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".local/share/phishprobe/models")
        })
}

/// The installed ggml file `file` (for example `ggml-base-q8_0.bin`), or `None` (after saying
/// why) when it is not there and not required.
pub fn model(file: &str) -> Option<PathBuf> {
    let p = models_dir().join(file);
    if p.is_file() {
        Some(p)
    } else {
        missing(&format!(
            "{} is not installed (phishprobe audio install-model)",
            p.display()
        ))
    }
}

/// Whether espeak-ng and sox are on PATH (a failure when required).
pub fn tools() -> bool {
    for tool in ["espeak-ng", "sox"] {
        let ok = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success() || !o.stdout.is_empty());
        if !ok {
            return missing(&format!("{tool} is not installed")).is_some();
        }
    }
    true
}

/// espeak-ng speaks `text` with `voice` (`en-us`, `cmn-latn-pinyin`) into a 16 kHz mono
/// 16-bit WAV at `out` ([`phishprobe_audio::synth::speak`]).
pub fn speak(text: &str, voice: &str, out: &Path) {
    synth::speak(text, voice, out).unwrap_or_else(|e| panic!("{e:#}"));
}

/// `input` as a phone line delivers it ([`phishprobe_audio::synth::phone_line`]): 8 kHz
/// μ-law, 300–3400 Hz, and optionally white noise (0.05 is about 16 dB below the speech).
pub fn phone(input: &Path, out: &Path, noise: Option<f32>) {
    synth::phone_line(input, out, noise).unwrap_or_else(|e| panic!("{e:#}"));
}

/// `secs` of digital silence as a 16-bit mono WAV at `rate` Hz.
pub fn silence(out: &Path, rate: u32, secs: f64) {
    synth::silence_or_noise(out, rate, secs, None).unwrap_or_else(|e| panic!("{e:#}"));
}

/// A 16-bit mono PCM WAV header claiming `data_bytes` of samples at `rate` Hz, for files
/// whose header and contents disagree on purpose.
pub fn wav_header(rate: u32, data_bytes: u32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend(b"RIFF");
    h.extend(data_bytes.saturating_add(36).to_le_bytes());
    h.extend(b"WAVEfmt ");
    h.extend(16u32.to_le_bytes());
    h.extend(1u16.to_le_bytes()); // PCM
    h.extend(1u16.to_le_bytes()); // mono
    h.extend(rate.to_le_bytes());
    h.extend(rate.saturating_mul(2).to_le_bytes());
    h.extend(2u16.to_le_bytes());
    h.extend(16u16.to_le_bytes());
    h.extend(b"data");
    h.extend(data_bytes.to_le_bytes());
    h
}
