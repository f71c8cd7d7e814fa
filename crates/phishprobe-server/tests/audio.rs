//! `POST /api/v1/audio` over real HTTP (in-process server on 127.0.0.1:0). In every build:
//! what is not a usable recording is refused with a 4xx JSON error before any speech engine
//! is needed, too-large bodies and other web sites are refused, and a recording the server
//! cannot transcribe gets `audio_unavailable`. With `--features audio` and the installed base
//! model: espeak-ng calls, a scam one and a harmless one, and one transcription at a time.
//!
//! A recording as one part of a case (`recordings` in `POST /api/v1/cases`): refused when it
//! is not base64, too many or too large, or no recording, in every build; `audio_unavailable`
//! without speech recognition; a case without recordings as before. With the feature and the
//! model: a scam call and a phone number make a phishing case that keeps the recording and
//! its transcript, and a case meets `audio_busy` while another recording is heard.

mod common;

use common::*;

async fn upload(s: &Server, query: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    request(
        s.addr,
        "POST",
        &format!("/api/v1/audio{query}"),
        headers,
        body,
    )
    .await
    .expect("POST /api/v1/audio")
}

fn message(r: &Resp) -> String {
    r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_a_usable_recording_is_refused_in_every_build() {
    let s = start_with(|c, _| c.max_audio_bytes = 256 * 1024).await;
    let wav = [("Content-Type", "audio/wav")];

    let r = upload(&s, "", &wav, b"").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "bad_input"),
        "{}",
        r.text()
    );
    assert!(message(&r).contains("empty"), "{}", r.text());

    // Bytes that are no recording at all (and a JSON body, as a confused client sends).
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (body, ctype) in [
        (junk.as_slice(), "application/octet-stream"),
        (b"{\"url\": \"x\"}".as_slice(), "application/json"),
    ] {
        let r = upload(&s, "?name=call.wav", &[("Content-Type", ctype)], body).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (422, "bad_audio"),
            "{}",
            r.text()
        );
        assert!(
            message(&r).contains("not a readable recording"),
            "{}",
            r.text()
        );
    }

    // Formats the decoder cannot read are named, with how to convert them.
    let mut opus = b"OggS\x00\x02".to_vec();
    opus.extend([0u8; 22]);
    opus.extend(b"OpusHead\x01\x01");
    opus.extend([0u8; 40]);
    for (body, codec) in [(b"#!AMR\n\x3c\x00\x01\x02".to_vec(), "amr"), (opus, "opus")] {
        let r = upload(&s, "", &[], &body).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (415, "unsupported_media_type"),
            "{}",
            r.text()
        );
        assert!(
            message(&r).contains(codec) && message(&r).contains("ffmpeg"),
            "{}",
            r.text()
        );
    }

    let r = upload(&s, "", &wav, &vec![0u8; 256 * 1024 + 1]).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (413, "body_too_large"),
        "{}",
        r.text()
    );

    let r = upload(&s, "?speech_lang=fr", &wav, &tone_wav(1)).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "bad_input"),
        "{}",
        r.text()
    );
    let r = upload(&s, "?speech_lang=en&speech_lang=zh", &wav, &tone_wav(1)).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "bad_input"),
        "{}",
        r.text()
    );

    // Another web site's page cannot post a recording (as every other API call).
    for (k, v) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let r = upload(
            &s,
            "",
            &[("Content-Type", "text/plain"), (k, v)],
            &tone_wav(1),
        )
        .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "cross_origin_refused"),
            "{}",
            r.text()
        );
    }
    // The page's own origin is fine (here: no engine behind it yet, see below).
    let own = format!("http://{}", s.addr);
    let r = upload(
        &s,
        "",
        &[("Origin", own.as_str()), ("Sec-Fetch-Site", "same-origin")],
        &tone_wav(1),
    )
    .await;
    assert_ne!(r.status, 403, "{}", r.text());
    s.stop().await;
}

/// A readable recording the server cannot transcribe: 503 `audio_unavailable`, saying why and
/// how to turn speech recognition on; never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_cannot_transcribe_says_how_to_enable_it() {
    let dir = tempfile::tempdir().unwrap();
    let junk_model = dir.path().join("not-a-model.bin");
    std::fs::write(&junk_model, b"this is not a ggml file").unwrap();
    let model = junk_model.display().to_string();
    let s = start_with(move |c, _| c.audio_model = Some(model)).await;
    let h = get(&s, "/api/v1/health").await.json();
    assert_eq!(
        h["audio"]["speech_recognition"],
        cfg!(feature = "audio"),
        "{h}"
    );
    assert_eq!(h["limits"]["max_audio_bytes"], 50 << 20, "{h}");

    let r = upload(
        &s,
        "?name=tone.wav",
        &[("Content-Type", "audio/wav")],
        &tone_wav(1),
    )
    .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (503, "audio_unavailable"),
        "{}",
        r.text()
    );
    let m = message(&r);
    if cfg!(feature = "audio") {
        assert!(m.contains("not a usable ggml Whisper model"), "{m}");
        assert!(m.contains("install-model"), "{m}");
    } else {
        assert!(m.contains("--features audio"), "{m}");
        assert!(m.contains("install-model"), "{m}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_offers_the_upload_in_both_languages() {
    let s = start().await;
    for (accept, words) in [
        (
            "en-GB,en;q=0.9",
            ["Upload a call recording", "Language spoken"],
        ),
        ("zh-CN,zh;q=0.9", ["上传通话录音", "录音中说的语言"]),
    ] {
        let r = request(s.addr, "GET", "/", &[("Accept-Language", accept)], b"")
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        let html = r.text();
        for w in words {
            assert!(html.contains(w), "{accept}: {w} missing");
        }
        for id in [
            "id=\"audio-form\"",
            "id=\"in-audio\"",
            "type=\"file\"",
            "id=\"in-speech-lang\"",
        ] {
            assert!(html.contains(id), "{accept}: {id} missing");
        }
    }
    let js = get(&s, "/assets/app.js").await.text();
    assert!(
        js.contains("/api/v1/audio?speech_lang="),
        "the script posts to the endpoint"
    );
    s.stop().await;
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Base64 as the `base64` tool writes it (lines of 76) and without padding, as some clients
/// send it: the server takes both.
fn wrapped(b64: &str) -> String {
    let bare = b64.trim_end_matches('=');
    let lines: Vec<&str> = bare
        .as_bytes()
        .chunks(76)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    lines.join("\n")
}

async fn post_case(s: &Server, case: &serde_json::Value) -> Resp {
    post_json(s, "/api/v1/cases", case).await
}

/// Small limits, so the tests can cross them: emails 32 KiB, JSON 16 KiB, recordings 64 KiB.
async fn small_limits() -> Server {
    start_with(|c, _| {
        c.max_email_bytes = 32 * 1024;
        c.max_json_bytes = 16 * 1024;
        c.max_audio_bytes = 64 * 1024;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_refuses_what_is_not_a_usable_recording_in_every_build() {
    let s = small_limits().await;
    let one = |name: &str, audio_base64: &str| serde_json::json!({"recordings": [{"name": name, "audio_base64": audio_base64}]});
    let r = post_case(&s, &one("call.wav", "this is not base64!")).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "bad_input"),
        "{}",
        r.text()
    );
    assert!(
        message(&r).contains("base64") && message(&r).contains("call.wav"),
        "{}",
        r.text()
    );
    let r = post_case(&s, &one("call.wav", "")).await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_input"));
    for bad in [
        serde_json::json!({"recordings": [{"name": "x.wav", "audio": b64(&tone_wav(1))}]}),
        serde_json::json!({"recordings": [{"audio_base64": b64(&tone_wav(1)), "speech_lang": "fr"}]}),
    ] {
        let r = post_case(&s, &bad).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "bad_input"),
            "{}",
            r.text()
        );
    }

    // Five recordings: one too many (refused before any is heard).
    let tiny = b64(b"RIFF");
    let five: Vec<_> = (0..5)
        .map(|i| serde_json::json!({"name": format!("{i}.wav"), "audio_base64": tiny}))
        .collect();
    let r = post_case(&s, &serde_json::json!({ "recordings": five })).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (413, "body_too_large"),
        "{}",
        r.text()
    );
    assert!(message(&r).contains("at most 4"), "{}", r.text());

    // Together over the recording limit (64 KiB): 2 × 40 KiB.
    let big = b64(&vec![0u8; 40 * 1024]);
    let two = serde_json::json!({"recordings": [{"audio_base64": big}, {"audio_base64": big}]});
    let r = post_case(&s, &two).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (413, "body_too_large"),
        "{}",
        r.text()
    );
    // A body larger than any case may be: refused as it arrives.
    let huge = b64(&vec![0u8; 200 * 1024]);
    let r = post_case(&s, &one("big.wav", &huge)).await;
    assert_eq!((r.status, r.code().as_str()), (413, "body_too_large"));

    // Base64 of bytes that are no recording: the audio endpoint's answer, naming the file.
    let r = post_case(&s, &one("junk.wav", &b64(&[7u8; 4096]))).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "bad_audio"),
        "{}",
        r.text()
    );
    assert!(message(&r).contains("junk.wav"), "{}", r.text());

    // Nothing was saved.
    let list = get(&s, "/api/v1/cases").await.json();
    assert_eq!(list["cases"].as_array().map(Vec::len), Some(0), "{list}");
    s.stop().await;
}

/// A readable recording in a case on a server that cannot transcribe it: the audio
/// endpoint's 503 `audio_unavailable`, and no case saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_with_a_recording_needs_speech_recognition() {
    let dir = tempfile::tempdir().unwrap();
    let junk_model = dir.path().join("not-a-model.bin");
    std::fs::write(&junk_model, b"this is not a ggml file").unwrap();
    let model = junk_model.display().to_string();
    let s = start_with(move |c, _| c.audio_model = Some(model)).await;
    let case = serde_json::json!({
        "phones": ["+1 206 555 0100"],
        "recordings": [{"name": "tone.wav", "audio_base64": wrapped(&b64(&tone_wav(1)))}],
    });
    let r = post_case(&s, &case).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (503, "audio_unavailable"),
        "{}",
        r.text()
    );
    assert!(message(&r).contains("install-model"), "{}", r.text());
    let list = get(&s, "/api/v1/cases").await.json();
    assert_eq!(list["cases"].as_array().map(Vec::len), Some(0), "{list}");
    s.stop().await;
}

/// A case without recordings keeps its old limits (the body may only grow for recordings)
/// and its answer; `"recordings": []` is no recording.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_without_recordings_is_unchanged() {
    let s = small_limits().await;
    let words = "Amazon Seller Support here. Your store will be closed today. Tell me the verification code we just sent you.";
    // Between the old limit (48 KiB) and the new one: still too large without a recording.
    let long = "a ".repeat(30 * 1024);
    let r = post_case(&s, &serde_json::json!({"texts": [long]})).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (413, "body_too_large"),
        "{}",
        r.text()
    );
    assert!(
        message(&r).contains(&(48 * 1024).to_string()),
        "{}",
        r.text()
    );
    for body in [
        serde_json::json!({"texts": [words], "phones": ["+1 206 555 0100"]}),
        serde_json::json!({"texts": [words], "phones": ["+1 206 555 0100"], "recordings": []}),
    ] {
        let r = post_case(&s, &body).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let c = r.json();
        assert_eq!(c["report"]["verdict"], "phishing", "{c}");
        let mut kinds: Vec<&str> = c["inputs"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["kind"].as_str()).collect())
            .unwrap_or_default();
        kinds.sort_unstable();
        assert_eq!(kinds, ["phone", "text"], "{c}");
    }
    s.stop().await;
}

#[cfg(feature = "audio")]
mod with_speech_recognition {
    use std::time::{Duration, Instant};

    use phishprobe_testkit::audio;
    use serde_json::Value;

    use super::*;

    const SCAM: &str = "This is Amazon Prime Security. Your account has been hacked. Please install AnyDesk and read me the code we sent you.";
    const WEATHER: &str = "Good morning. Tomorrow will be sunny and warm, with a light breeze in the afternoon. Enjoy your weekend.";

    fn codes(v: &Value) -> Vec<String> {
        v["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["code"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn clip(dir: &std::path::Path, name: &str, words: &str) -> Vec<u8> {
        let path = dir.join(name);
        audio::speak(words, "en-us", &path);
        std::fs::read(&path).expect("the spoken clip")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_scam_call_is_phishing_and_a_weather_report_is_not() {
        let Some(model) = audio::model("ggml-base-q8_0.bin") else {
            return;
        };
        if !audio::tools() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let scam = clip(dir.path(), "scam.wav", SCAM);
        let weather = clip(dir.path(), "weather.wav", WEATHER);
        let model = model.display().to_string();
        let s = start_with(move |c, _| c.audio_model = Some(model)).await;

        let r = upload(
            &s,
            "?speech_lang=en&name=scam.wav",
            &[("Content-Type", "audio/wav")],
            &scam,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        assert_eq!(v["verdict"], "phishing", "{v}");
        assert_eq!(v["input"], "scam.wav");
        let c = codes(&v);
        assert!(
            c.iter()
                .any(|c| c == "text.remote_access" || c == "text.asks_code"),
            "{c:?}"
        );
        assert!(c.iter().any(|c| c == "audio.machine_transcript"), "{c:?}");
        assert_eq!(v["transcript"]["machine_transcript"], true);
        let segments = v["transcript"]["segments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!segments.is_empty(), "{v}");
        assert!(segments[0]["start"].is_number() && segments[0]["text"].is_string());
        for k in ["disclosure", "scam_likelihood", "lang", "urls", "phones"] {
            assert!(v.get(k).is_some(), "{k} missing: {v}");
        }

        let r = upload(&s, "?name=weather.wav", &[], &weather).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        let verdict = v["verdict"].as_str().unwrap_or("");
        assert!(!["phishing", "suspicious"].contains(&verdict), "{v}");
        assert!(
            v["transcript"]["segments"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            "{v}"
        );

        // One transcription at a time: while one runs, another upload is told to come back.
        let addr = s.addr;
        let long: Vec<u8> = clip(dir.path(), "long.wav", &[SCAM, WEATHER, SCAM].join(" "));
        let first =
            tokio::spawn(async move { request(addr, "POST", "/api/v1/audio", &[], &long).await });
        let t = Instant::now();
        while get(&s, "/api/v1/health").await.json()["audio"]["busy"] != true {
            assert!(t.elapsed() < Duration::from_secs(30), "never busy");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let r = upload(&s, "", &[], &weather).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (503, "audio_busy"),
            "{}",
            r.text()
        );
        assert!(r.header("retry-after").is_some());
        let r = first.await.unwrap().unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        s.stop().await;
    }

    /// A scam call and the number it came from, as one case: phishing, the call judged in the
    /// step that asks whether anyone wanted a secret (with when it was said), the recording
    /// and its transcript kept with the saved case. Another case with a recording meanwhile
    /// is told the engine is busy, as an upload is.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_scam_call_in_a_case_makes_it_phishing_and_is_kept() {
        let Some(model) = audio::model("ggml-base-q8_0.bin") else {
            return;
        };
        if !audio::tools() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let scam = clip(dir.path(), "voicemail.wav", SCAM);
        let weather = clip(dir.path(), "weather.wav", WEATHER);
        let model = model.display().to_string();
        let s = start_with(move |c, _| c.audio_model = Some(model)).await;

        let case = serde_json::json!({
            "phones": ["+1 206 555 0100"],
            "recordings": [{"name": "voicemail.wav", "audio_base64": b64(&scam), "speech_lang": "en"}],
        });
        let body = serde_json::to_vec(&case).unwrap();
        let addr = s.addr;
        let json = [("Content-Type", "application/json")];
        let first =
            tokio::spawn(async move { request(addr, "POST", "/api/v1/cases", &json, &body).await });
        let t = Instant::now();
        while get(&s, "/api/v1/health").await.json()["audio"]["busy"] != true {
            assert!(t.elapsed() < Duration::from_secs(30), "never busy");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let other = serde_json::json!({"recordings": [{"audio_base64": b64(&weather)}]});
        let r = post_case(&s, &other).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (503, "audio_busy"),
            "{}",
            r.text()
        );
        assert!(r.header("retry-after").is_some());

        let r = first.await.unwrap().unwrap();
        assert_eq!(r.status, 201, "{}", r.text());
        let c = r.json();
        let report = &c["report"];
        assert_eq!(report["verdict"], "phishing", "{report}");
        let audio_part = report["sources"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["kind"] == "audio"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(audio_part["input"], "voicemail.wav", "{report}");
        assert_eq!(audio_part["label"]["en"], "the recorded call", "{report}");
        let ask = report["steps"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["id"] == "ask"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(ask["verdict"], "phishing", "{ask}");
        let timed = ask["findings"].as_array().is_some_and(|fs| {
            fs.iter().any(|f| {
                f["code"].as_str().is_some_and(|c| c.starts_with("text."))
                    && f["evidence"].as_str().is_some_and(|e| e.contains("[0:"))
            })
        });
        assert!(timed, "no timed finding in the ask step: {ask}");

        // The saved case keeps the recording as sent and the machine transcript.
        let id = c["id"].as_str().unwrap_or_default().to_string();
        let saved = get(&s, &format!("/api/v1/cases/{id}")).await.json();
        let inputs = saved["inputs"].as_array().cloned().unwrap_or_default();
        let of = |kind: &str| inputs.iter().find(|i| i["kind"] == kind).cloned();
        let rec = of("audio").unwrap_or_else(|| panic!("no audio input: {saved}"));
        assert_eq!(rec["name"], "voicemail.wav");
        assert_eq!(rec["size"], scam.len());
        assert_eq!(rec["base64"], b64(&scam).as_str());
        let tr = of("transcript").unwrap_or_else(|| panic!("no transcript input: {saved}"));
        let tr: Value = serde_json::from_str(tr["text"].as_str().unwrap_or("")).unwrap();
        assert_eq!(tr["machine_transcript"], true, "{tr}");
        assert!(
            tr["segments"].as_array().is_some_and(|a| !a.is_empty()),
            "{tr}"
        );
        let list = get(&s, "/api/v1/cases").await.json();
        let title = list["cases"][0]["title"].as_str().unwrap_or("");
        assert!(title.contains("audio voicemail.wav"), "{list}");
        s.stop().await;
    }
}
