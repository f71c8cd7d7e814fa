//! Recordings made on this machine for tests and `phishprobe bench audio`: espeak-ng speaks a
//! script, sox turns it into what a phone line delivers. One definition of "phone line", so
//! the benchmark's figures describe the audio the tests judge.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// White-noise amplitude of the noisy line: about 16 dB below espeak-ng's speech.
pub const NOISE: f32 = 0.05;

fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("running {cmd:?} (apt-get install espeak-ng sox)"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// espeak-ng speaks `text` with `voice` (`en-us`, `cmn-latn-pinyin`) into a 16 kHz mono
/// 16-bit WAV at `out`.
pub fn speak(text: &str, voice: &str, out: &Path) -> Result<()> {
    let raw = out.with_extension("espeak.wav");
    run(Command::new("espeak-ng")
        .args(["-v", voice, "-w"])
        .arg(&raw)
        .arg(text))?;
    run(Command::new("sox")
        .arg(&raw)
        .args(["-r", "16000", "-c", "1", "-b", "16"])
        .arg(out))?;
    let _ = std::fs::remove_file(raw);
    Ok(())
}

/// `input` as a phone line delivers it: 8 kHz μ-law, 300–3400 Hz, and optionally white noise
/// at amplitude `noise` ([`NOISE`]). Written as a μ-law WAV, the way call recorders save it.
pub fn phone_line(input: &Path, out: &Path, noise: Option<f32>) -> Result<()> {
    let band = out.with_extension("band.wav");
    run(Command::new("sox")
        .arg(input)
        .args(["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"])
        .arg(&band)
        .args(["sinc", "300-3400"]))?;
    let mixed = out.with_extension("mixed.wav");
    let source = match noise {
        Some(vol) => {
            let secs = duration(&band)?;
            let hiss = out.with_extension("noise.wav");
            silence_or_noise(&hiss, 8000, secs, Some(vol))?;
            run(Command::new("sox")
                .arg("-m")
                .arg(&band)
                .arg(&hiss)
                .arg(&mixed))?;
            let _ = std::fs::remove_file(hiss);
            &mixed
        }
        None => &band,
    };
    run(Command::new("sox")
        .arg(source)
        .args(["-r", "8000", "-c", "1", "-e", "u-law"])
        .arg(out))?;
    let _ = std::fs::remove_file(&band);
    let _ = std::fs::remove_file(&mixed);
    Ok(())
}

/// `secs` of digital silence (or of white noise at amplitude `noise`) as a 16-bit mono WAV.
pub fn silence_or_noise(out: &Path, rate: u32, secs: f64, noise: Option<f32>) -> Result<()> {
    let mut cmd = Command::new("sox");
    cmd.args([
        "-n",
        "-r",
        &rate.to_string(),
        "-c",
        "1",
        "-b",
        "16",
        "-e",
        "signed-integer",
    ])
    .arg(out);
    match noise {
        Some(vol) => cmd.args([
            "synth",
            &secs.to_string(),
            "whitenoise",
            "vol",
            &vol.to_string(),
        ]),
        None => cmd.args(["trim", "0", &secs.to_string()]),
    };
    run(&mut cmd)
}

/// Length of a recording in seconds, as sox reads it.
pub fn duration(path: &Path) -> Result<f64> {
    let out = Command::new("sox")
        .arg("--i")
        .arg("-D")
        .arg(path)
        .output()
        .context("running sox --i")?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .with_context(|| format!("sox could not read the length of {}", path.display()))
}
