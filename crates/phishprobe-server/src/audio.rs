//! `POST /api/v1/audio`: a recorded call as the body, and the verdict over its machine
//! transcript (the same code and JSON as `phishprobe audio --json`).
//!
//! Why it is built like this:
//! - The upload is checked first (written to a temporary file, its first sound decoded), so a
//!   file that is not a recording gets its own 4xx answer in every build, with or without the
//!   speech engine and its model.
//! - Speech recognition keeps every core busy for seconds to minutes, so one transcription runs
//!   at a time. A second upload meanwhile is answered at once with `audio_busy` (503,
//!   `Retry-After`) rather than queued: a queued upload would hold its body in memory and run
//!   into its own time limit while waiting.
//! - The model (tens of MB) is loaded on the first upload, not at start (most servers never
//!   hear a call), and kept. A failed load is not remembered, so a model installed later is
//!   used without a restart.
//! - Whisper gets the server's audio time limit and stops there; the answer then says which
//!   speech was not heard, instead of the request being cut off with nothing.
//! - A case's recordings (`recordings` in `POST /api/v1/cases`) go through the same checks,
//!   slot and engine. Together they get what one upload gets (`max_audio_bytes`, the audio
//!   time limit) and hold the slot once, so another upload cannot slip in between two of them
//!   and turn a half-heard case into `audio_busy`.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use phishprobe_audio::verdict::{self, AudioVerdict};
use phishprobe_audio::{AudioError, Transcript, decode};
use phishprobe_case::{MAX_RECORDINGS, RecordingPart};
use serde::Deserialize;
use serde_json::{Value, json};
use tempfile::NamedTempFile;
use tokio::sync::Semaphore;

use crate::AppState;
use crate::api::{QueryOf, extended, read_body};
use crate::error::ApiError;

/// The endpoint's path (the guard gives it the audio time limit instead of the usual one).
pub(crate) const PATH: &str = "/api/v1/audio";

/// Time on top of the transcription limit for receiving, decoding and judging the recording.
pub(crate) const GRACE: Duration = Duration::from_secs(60);

/// Seconds a busy answer asks the client to wait.
#[cfg(feature = "audio")]
const BUSY_RETRY_SECS: u64 = 10;

/// How much of the upload is decoded to tell a recording from anything else.
const PROBE_SECONDS: f64 = 2.0;

#[derive(Debug, Deserialize, Default)]
pub struct AudioQuery {
    /// The language spoken: `en` (default), `zh` or `auto`.
    pub speech_lang: Option<String>,
    /// Label for the report's `input` (the file name); its extension helps the decoder.
    pub name: Option<String>,
}

/// A recording in a case's JSON body: `{"name", "audio_base64", "speech_lang"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordingIn {
    /// The file name, shown in the report (its extension helps the decoder).
    name: Option<String>,
    /// The file's bytes in base64 (padding optional, line breaks ignored).
    audio_base64: String,
    /// The language spoken: `en` (default), `zh` or `auto`, as the audio endpoint's query.
    speech_lang: Option<String>,
}

/// Base64 as browsers and the `base64` tool write it, with or without the final `=`.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Characters of base64 for `bytes` bytes (padded): what a case body must make room for.
pub(crate) fn base64_len(bytes: usize) -> usize {
    bytes.div_ceil(3).saturating_mul(4)
}

/// The language spoken in the recording (not the reader's language: a Chinese reader may
/// check an English call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpeechLang {
    En,
    Zh,
    Auto,
}

impl SpeechLang {
    fn parse(s: Option<&str>) -> Result<SpeechLang, ApiError> {
        match s.unwrap_or("en") {
            "en" | "" => Ok(SpeechLang::En),
            "zh" => Ok(SpeechLang::Zh),
            "auto" => Ok(SpeechLang::Auto),
            other => Err(ApiError::bad_request(
                "bad_input",
                format!("\"speech_lang\" must be en, zh or auto, not {other:?}"),
            )),
        }
    }

    /// The name the text rules and Whisper use.
    #[cfg(feature = "audio")]
    fn as_str(self) -> &'static str {
        match self {
            SpeechLang::En => "en",
            SpeechLang::Zh => "zh",
            SpeechLang::Auto => "auto",
        }
    }
}

/// The one-at-a-time gate and, with the `audio` feature, the speech engine once loaded.
pub(crate) struct AudioService {
    /// What `models::resolve` is asked for: a model name or a path; `None`: the default.
    model: Option<String>,
    slot: Arc<Semaphore>,
    #[cfg(feature = "audio")]
    engine: std::sync::Mutex<Option<Arc<phishprobe_audio::transcribe::Engine>>>,
}

impl AudioService {
    pub(crate) fn new(model: Option<String>) -> AudioService {
        AudioService {
            model,
            slot: Arc::new(Semaphore::new(1)),
            #[cfg(feature = "audio")]
            engine: std::sync::Mutex::new(None),
        }
    }

    /// For `GET /api/v1/health`: whether speech recognition is built in, the model it would
    /// use (when installed) and whether a transcription is running.
    pub(crate) fn health(&self) -> Value {
        let model = phishprobe_audio::models::resolve(self.model.as_deref())
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
        json!({
            "speech_recognition": cfg!(feature = "audio"),
            "model": model,
            "busy": self.slot.available_permits() == 0,
        })
    }
}

/// `POST /api/v1/audio?speech_lang=en|zh|auto&name=call.wav`: the raw recording as the body.
pub async fn check(
    State(st): State<Arc<AppState>>,
    QueryOf(q): QueryOf<AudioQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let lang = SpeechLang::parse(q.speech_lang.as_deref())?;
    let bytes = read_body(&headers, body, st.cfg.max_audio_bytes).await?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "bad_input",
            AudioError::Empty.to_string(),
        ));
    }
    let name = label(q.name.as_deref());
    let ext = extension(&name, &headers);
    let (staged, _) = stage_async(bytes, ext, name, lang, false).await?;
    let heard = listen(&st, vec![staged]).await?;
    let h = heard
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("the recording was not heard"))?;
    let extras = verdict::json_extras(&h.verdict, &h.transcript);
    Ok(Json(extended(&h.verdict.report, extras)).into_response())
}

/// The recordings of a case as parts of it: decoded, checked, then heard and judged under one
/// hold of the transcription slot. Every recording is checked before any is transcribed, so a
/// bad one costs no engine time.
pub(crate) async fn case_parts(
    st: &Arc<AppState>,
    list: Vec<RecordingIn>,
) -> Result<Vec<RecordingPart>, ApiError> {
    let max = st.cfg.max_audio_bytes;
    // Tens of MB of base64: decoded on a blocking thread, not on the server's workers.
    let decoded = tokio::task::spawn_blocking(move || decode_all(list, max))
        .await
        .map_err(|_| ApiError::internal("decoding the recordings stopped unexpectedly"))??;
    let mut staged = Vec::with_capacity(decoded.len());
    let mut kept = Vec::with_capacity(decoded.len());
    for (name, lang, bytes) in decoded {
        let ext = extension(&name, &HeaderMap::new());
        let (s, bytes) = stage_async(bytes, ext, name.clone(), lang, true).await?;
        staged.push(s);
        kept.push((name, bytes));
    }
    let heard = listen(st, staged).await?;
    kept.into_iter()
        .zip(heard)
        .map(|((name, audio), h)| {
            let transcript_json = serde_json::to_string_pretty(&h.transcript)
                .map_err(|e| ApiError::internal(format!("the transcript of {name}: {e}")))?;
            Ok(RecordingPart {
                name,
                report: h.verdict.report,
                transcript_json,
                audio,
            })
        })
        .collect()
}

/// A case's recordings as name, spoken language and bytes: the count, the names, the
/// languages and the base64 of all of them (`max` bytes together) checked before any is
/// decoded as sound.
fn decode_all(
    list: Vec<RecordingIn>,
    max: usize,
) -> Result<Vec<(String, SpeechLang, Vec<u8>)>, ApiError> {
    if list.len() > MAX_RECORDINGS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("at most {MAX_RECORDINGS} recordings per case"),
        ));
    }
    let mut budget = max;
    let mut out = Vec::with_capacity(list.len());
    for (i, r) in list.into_iter().enumerate() {
        let name = match r.name.as_deref().filter(|n| !n.trim().is_empty()) {
            Some(n) => label(Some(n)),
            None => format!("recording {}", i + 1),
        };
        let lang = SpeechLang::parse(r.speech_lang.as_deref()).map_err(|e| about(&name, e))?;
        let bytes = from_base64(r.audio_base64, budget, max).map_err(|e| about(&name, e))?;
        budget = budget.saturating_sub(bytes.len());
        out.push((name, lang, bytes));
    }
    Ok(out)
}

/// The bytes of a case's recording. `budget`: what is left of `max` (the recordings of a
/// case share the upload limit); checked on the text's length first, so nothing over it is
/// ever decoded.
fn from_base64(text: String, budget: usize, max: usize) -> Result<Vec<u8>, ApiError> {
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the recordings of a case are larger than {max} bytes together"),
        )
    };
    let text = if text.bytes().any(|b| b.is_ascii_whitespace()) {
        text.split_ascii_whitespace().collect()
    } else {
        text
    };
    // At most 2 bytes of padding: this never exceeds the decoded length.
    if (text.len() / 4 * 3).saturating_sub(2) > budget {
        return Err(too_big());
    }
    let bytes = BASE64.decode(text.as_bytes()).map_err(|e| {
        ApiError::bad_request("bad_input", format!("\"audio_base64\" is not base64: {e}"))
    })?;
    if bytes.len() > budget {
        return Err(too_big());
    }
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "bad_input",
            AudioError::Empty.to_string(),
        ));
    }
    Ok(bytes)
}

/// An error about one recording of a case, saying which.
fn about(name: &str, mut e: ApiError) -> ApiError {
    e.message = format!("recording {name:?}: {}", e.message);
    e
}

/// What the report shows as its `input`: the given name on one line, or `recording`.
fn label(name: Option<&str>) -> String {
    let one: String = name
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if one.is_empty() {
        "recording".into()
    } else {
        one.chars().take(200).collect()
    }
}

/// A file extension for the decoder's format hint: from the name, else from the content type.
/// Only short alphanumeric ones, since it becomes part of a file name.
fn extension(name: &str, headers: &HeaderMap) -> Option<String> {
    let from_name = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| (1..=5).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_ascii_lowercase);
    from_name.or_else(|| {
        let ctype = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
        let essence = ctype.split(';').next()?.trim().to_ascii_lowercase();
        let ext = match essence.as_str() {
            "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "wav",
            "audio/mpeg" | "audio/mp3" => "mp3",
            "audio/mp4" | "audio/x-m4a" | "audio/m4a" | "audio/aac" => "m4a",
            "audio/ogg" | "audio/vorbis" => "ogg",
            "audio/flac" | "audio/x-flac" => "flac",
            "audio/webm" | "video/webm" => "webm",
            _ => return None,
        };
        Some(ext.to_string())
    })
}

/// A recording that passed [`stage`], waiting for the engine.
// Without the `audio` feature nothing reads it: the engine that would is not built in.
#[cfg_attr(not(feature = "audio"), allow(dead_code))]
pub(crate) struct Staged {
    file: NamedTempFile,
    name: String,
    lang: SpeechLang,
    /// Errors name the recording (one of a case's), not for a lone upload.
    named: bool,
}

impl Staged {
    /// An engine error about this recording (named when it is one of a case's).
    #[cfg(feature = "audio")]
    fn about(&self, e: ApiError) -> ApiError {
        if self.named { about(&self.name, e) } else { e }
    }
}

/// A recording heard and judged: the report and the transcript it was made from.
// Without the `audio` feature none is ever made (`listen` answers `audio_unavailable`).
#[cfg_attr(not(feature = "audio"), allow(dead_code))]
pub(crate) struct Heard {
    verdict: AudioVerdict,
    transcript: Transcript,
}

/// [`stage`] on a blocking thread; the bytes are handed back (a case keeps them).
async fn stage_async<B: AsRef<[u8]> + Send + 'static>(
    bytes: B,
    ext: Option<String>,
    name: String,
    lang: SpeechLang,
    named: bool,
) -> Result<(Staged, B), ApiError> {
    let (file, bytes) = tokio::task::spawn_blocking(move || {
        stage(bytes.as_ref(), ext.as_deref()).map(|f| (f, bytes))
    })
    .await
    .map_err(|_| ApiError::internal("storing the recording stopped unexpectedly"))?
    .map_err(|e| if named { about(&name, e) } else { e })?;
    let staged = Staged {
        file,
        name,
        lang,
        named,
    };
    Ok((staged, bytes))
}

/// Write the upload to a temporary file (the decoder reads files) and decode its first sound,
/// so that anything but a usable recording is refused before the engine is needed.
fn stage(bytes: &[u8], ext: Option<&str>) -> Result<NamedTempFile, ApiError> {
    let suffix = ext.map(|e| format!(".{e}")).unwrap_or_default();
    let mut file = tempfile::Builder::new()
        .prefix("phishprobe-audio-")
        .suffix(&suffix)
        .tempfile()
        .map_err(|e| ApiError::internal(format!("cannot store the recording: {e}")))?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(|e| ApiError::internal(format!("cannot store the recording: {e}")))?;
    decode::decode(file.path(), PROBE_SECONDS, |_, samples| samples.is_empty())
        .map_err(|e| bad_audio(&e))?;
    Ok(file)
}

/// The answer for a recording that cannot be used, with the decoder's message (which says
/// what is supported and how to convert). Reading back our own temporary file is the only
/// failure that is the server's.
fn bad_audio(e: &AudioError) -> ApiError {
    match e {
        AudioError::Empty => ApiError::bad_request("bad_input", e.to_string()),
        AudioError::Unsupported(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            e.to_string(),
        ),
        AudioError::Open(_, _) | AudioError::Read(_) => {
            ApiError::internal("the stored recording could not be read back")
        }
        AudioError::NotAudio(_) | AudioError::NoSamples(_) | AudioError::Resample(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_audio", e.to_string())
        }
    }
}

/// 503 `audio_unavailable`: why, and how to turn speech recognition on.
fn unavailable(why: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "audio_unavailable",
        format!("speech recognition is not available on this server: {why}"),
    )
}

#[cfg(not(feature = "audio"))]
async fn listen(_st: &Arc<AppState>, _items: Vec<Staged>) -> Result<Vec<Heard>, ApiError> {
    Err(unavailable(
        "it was built without it; build phishprobe with `cargo build --release -p phishprobe-cli --features audio` (needs cmake, clang and libclang-dev), then run `phishprobe audio install-model`",
    ))
}

/// Transcribe and judge on a blocking thread, holding the one transcription slot until the
/// engine is done with every recording (even when the client has gone), so two never run at
/// once. The recordings share the audio time limit: a case takes no longer than one upload.
#[cfg(feature = "audio")]
async fn listen(st: &Arc<AppState>, items: Vec<Staged>) -> Result<Vec<Heard>, ApiError> {
    let permit = st.audio.slot.clone().try_acquire_owned().map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "audio_busy",
            "another recording is being transcribed (one at a time); try again shortly",
        )
        .retry_after(BUSY_RETRY_SECS)
    })?;
    let st = st.clone();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let started = std::time::Instant::now();
        items
            .iter()
            .map(|s| {
                let left = st.cfg.audio_timeout.saturating_sub(started.elapsed());
                speech::hear(&st, s, left).map_err(|e| s.about(e))
            })
            .collect()
    })
    .await
    .map_err(|_| ApiError::internal("the audio check stopped unexpectedly"))?
}

/// The speech engine (cargo feature `audio`).
#[cfg(feature = "audio")]
mod speech {
    use std::sync::Arc;
    use std::time::Duration;

    use phishprobe_audio::transcribe::{self, Engine, Language, Options};
    use phishprobe_audio::{AudioError, Limits, models, verdict};

    use super::{AudioService, Heard, SpeechLang, Staged, bad_audio, unavailable};
    use crate::AppState;
    use crate::api::rules_for;
    use crate::error::ApiError;

    impl AudioService {
        /// The loaded engine, loading it on first use. Called under the transcription slot,
        /// so it is never loaded twice at once.
        fn engine(&self) -> Result<Arc<Engine>, ApiError> {
            let mut cached = self.engine.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(e) = cached.as_ref() {
                return Ok(e.clone());
            }
            let path = models::resolve(self.model.as_deref()).map_err(no_model)?;
            let engine = Arc::new(Engine::load(&path).map_err(no_model)?);
            *cached = Some(engine.clone());
            Ok(engine)
        }
    }

    /// The model is missing or unusable: why (the `{:#}` chain), and what to do.
    fn no_model(e: impl std::fmt::Display) -> ApiError {
        unavailable(format!(
            "{e:#}; install the model with `phishprobe audio install-model`, or name one with `phishprobe serve --audio-model NAME|PATH`"
        ))
    }

    /// Transcribe a staged recording within `timeout` and judge the words, as
    /// `phishprobe audio` does.
    pub(super) fn hear(st: &AppState, s: &Staged, timeout: Duration) -> Result<Heard, ApiError> {
        let lang = s.lang;
        let engine = st.audio.engine()?;
        let language = match lang {
            SpeechLang::En => Language::En,
            SpeechLang::Zh => Language::Zh,
            SpeechLang::Auto => Language::Auto,
        };
        if language != Language::En && !engine.is_multilingual() {
            return Err(ApiError::bad_request(
                "bad_input",
                format!(
                    "the server's speech model {} understands English only; speech_lang={} needs the multilingual base model",
                    engine.model_name,
                    lang.as_str()
                ),
            ));
        }
        let opts = Options {
            language,
            timeout,
            ..Options::default()
        };
        let t =
            transcribe::listen(&engine, s.file.path(), &Limits::default(), &opts).map_err(|e| {
                match e.downcast_ref::<AudioError>() {
                    Some(a) => bad_audio(a),
                    None => ApiError::internal(format!("speech recognition failed: {e:#}")),
                }
            })?;
        let rules = rules_for(st, Some(lang.as_str()))?;
        Ok(Heard {
            verdict: verdict::judge(&st.engine, rules, &s.name, &t),
            transcript: t,
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn labels_and_extensions() {
        assert_eq!(label(None), "recording");
        assert_eq!(label(Some("  my\ncall.wav ")), "my call.wav");
        let h = HeaderMap::new();
        assert_eq!(extension("call.MP3", &h).as_deref(), Some("mp3"));
        assert_eq!(extension("call.wav/../x", &h), None);
        assert_eq!(extension("call.a b", &h), None);
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("audio/mpeg; x=1"),
        );
        assert_eq!(extension("recording", &h).as_deref(), Some("mp3"));
        assert_eq!(extension("voicemail.ogg", &h).as_deref(), Some("ogg"));
    }

    #[test]
    fn speech_languages() {
        assert_eq!(SpeechLang::parse(None).ok(), Some(SpeechLang::En));
        assert_eq!(SpeechLang::parse(Some("zh")).ok(), Some(SpeechLang::Zh));
        assert_eq!(SpeechLang::parse(Some("auto")).ok(), Some(SpeechLang::Auto));
        let e = SpeechLang::parse(Some("fr")).err().map(|e| e.code);
        assert_eq!(e, Some("bad_input"));
    }

    #[test]
    fn base64_of_case_recordings() {
        let code = |r: Result<Vec<u8>, ApiError>| r.map_err(|e| (e.status.as_u16(), e.code));
        assert_eq!(
            code(from_base64("UklGRg==".into(), 10, 10)),
            Ok(b"RIFF".to_vec())
        );
        // No padding, line breaks: as the `base64` tool and some clients write it.
        assert_eq!(
            code(from_base64("UklG\nRg".into(), 10, 10)),
            Ok(b"RIFF".to_vec())
        );
        assert_eq!(
            code(from_base64("UklGRg==".into(), 4, 10)),
            Ok(b"RIFF".to_vec())
        );
        assert_eq!(
            code(from_base64("UklGRg==".into(), 3, 10)),
            Err((413, "body_too_large"))
        );
        assert_eq!(
            code(from_base64("AAAAAAAAAAAA".into(), 3, 10)),
            Err((413, "body_too_large"))
        );
        assert_eq!(
            code(from_base64("not base64!".into(), 10, 10)),
            Err((400, "bad_input"))
        );
        assert_eq!(
            code(from_base64(String::new(), 10, 10)),
            Err((400, "bad_input"))
        );
        assert_eq!(base64_len(0), 0);
        assert_eq!(base64_len(4), 8);
        assert_eq!(base64_len(6), 8);
    }

    #[test]
    fn garbage_and_unsupported_are_client_errors() {
        let e = stage(b"this is not a recording at all", None).err();
        assert_eq!(
            e.map(|e| (e.status.as_u16(), e.code)),
            Some((422, "bad_audio"))
        );
        let e = stage(b"#!AMR\n\x3c\x00\x00\x00", Some("amr")).err();
        assert_eq!(
            e.map(|e| (e.status.as_u16(), e.code)),
            Some((415, "unsupported_media_type"))
        );
    }
}
