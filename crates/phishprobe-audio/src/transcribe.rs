//! Speech to text with whisper.cpp (through whisper-rs), one chunk of speech at a time.
//!
//! Per chunk rather than one long call: Whisper loops or drops text on long inputs, and
//! the chunks are already cut at pauses (see [`crate::speech`]). The engine runs greedy
//! decoding with a short prompt naming the brands and remote-access tools that scam calls
//! mention: without it Whisper hears "AnyDesk" as "any mask" even on clean audio.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

use crate::transcript::Segment;
use crate::{PreparedAudio, convert};

/// Which language to listen for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// English: the default, and the only language of `.en` models.
    En,
    /// Mandarin; needs a multilingual model. The prompt is a sentence in simplified
    /// characters, because without one Whisper writes Mandarin in traditional characters.
    Zh,
    /// Let Whisper detect it (unreliable on short phone clips: it heard espeak Mandarin as
    /// Thai in our tests).
    Auto,
}

impl Language {
    /// The code whisper.cpp takes (`en`, `zh`, `auto`), also shown in transcripts and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh",
            Language::Auto => "auto",
        }
    }
}

/// How to run the engine.
#[derive(Debug, Clone)]
pub struct Options {
    /// The language spoken in the recording (not the language of the report).
    pub language: Language,
    /// CPU threads for whisper.cpp.
    pub threads: usize,
    /// Give up after this long (the segments heard so far are kept and a note says so).
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            language: Language::En,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// A loaded Whisper model.
pub struct Engine {
    ctx: WhisperContext,
    /// The file name, shown in every transcript.
    pub model_name: String,
}

/// Segments heard, the language used, and why the run stopped early (if it did).
pub struct Heard {
    /// Every non-blank segment, in order, with its recording time and reliability mark
    /// (unreliable ones are kept: the person sees them, the verdict does not use them).
    pub segments: Vec<Segment>,
    /// The language Whisper used: the one asked for, or the one it detected with `auto`.
    pub lang: String,
    /// Wall-clock seconds spent in the engine, for the transcript and the benchmark.
    pub engine_seconds: f64,
    /// The time limit ended the run; later speech was not heard, and the report must say so
    /// rather than judge a partial call as if it were whole.
    pub timed_out: bool,
}

impl Engine {
    /// Load a ggml Whisper model. The file is checked first (magic, sizes, every tensor
    /// inside the file), so a wrong or truncated file is an error here instead of an abort
    /// inside whisper.cpp.
    pub fn load(path: &Path) -> Result<Engine> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the model {}", path.display()))?;
        let index = convert::ggml::index(&bytes)
            .with_context(|| format!("{} is not a usable ggml Whisper model", path.display()))?;
        if index.tensors.is_empty() {
            bail!("{} holds no weights", path.display());
        }
        drop(bytes);
        whisper_rs::install_logging_hooks();
        let path_str = path
            .to_str()
            .with_context(|| format!("model path {} is not UTF-8", path.display()))?;
        let ctx = WhisperContext::new_with_params(path_str, WhisperContextParameters::default())
            .map_err(|e| anyhow::anyhow!("whisper.cpp could not load {}: {e}", path.display()))?;
        Ok(Engine {
            ctx,
            model_name: path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
        })
    }

    /// Whether the model knows more than English (tiny.en does not).
    pub fn is_multilingual(&self) -> bool {
        self.ctx.is_multilingual()
    }

    /// Transcribe every chunk of `audio`.
    pub fn transcribe(&self, audio: &PreparedAudio, opts: &Options) -> Result<Heard> {
        if opts.language != Language::En && !self.is_multilingual() {
            bail!(
                "{} understands English only; use the multilingual base model for --lang {}",
                self.model_name,
                opts.language.as_str()
            );
        }
        let started = Instant::now();
        let deadline = started + opts.timeout;
        let mut state = self.ctx.create_state().context("whisper.cpp state")?;
        let eot = self.ctx.token_eot();
        let prompt = match opts.language {
            Language::Zh => include_str!("../data/prompt-zh.txt").trim(),
            _ => include_str!("../data/prompt-en.txt").trim(),
        };
        let mut heard = Heard {
            segments: Vec::new(),
            lang: opts.language.as_str().to_string(),
            engine_seconds: 0.0,
            timed_out: false,
        };
        for chunk in &audio.chunks {
            if Instant::now() >= deadline {
                heard.timed_out = true;
                break;
            }
            let mut p = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
            p.set_n_threads(opts.threads.clamp(1, 64) as i32);
            p.set_language(Some(opts.language.as_str()));
            p.set_initial_prompt(prompt);
            p.set_no_context(true);
            p.set_print_progress(false);
            p.set_print_realtime(false);
            p.set_print_special(false);
            p.set_print_timestamps(false);
            p.set_abort_callback_safe(move || Instant::now() >= deadline);
            if let Err(e) = state.full(p, &chunk.samples) {
                if Instant::now() >= deadline {
                    heard.timed_out = true;
                    break;
                }
                bail!(
                    "whisper.cpp failed on the speech at {:.1} s: {e}",
                    chunk.start
                );
            }
            if opts.language == Language::Auto
                && let Some(l) = whisper_rs::get_lang_str(state.full_lang_id_from_state())
            {
                heard.lang = l.to_string();
            }
            for seg in state.as_iter() {
                let text = seg
                    .to_str_lossy()
                    .map(|t| t.trim().to_string())
                    .unwrap_or_default();
                if text.is_empty() || text == "[BLANK_AUDIO]" {
                    continue;
                }
                let probs: Vec<f32> = (0..seg.n_tokens())
                    .filter_map(|i| seg.get_token(i))
                    .filter(|t| t.token_id() < eot)
                    .map(|t| t.token_probability())
                    .collect();
                let confidence = if probs.is_empty() {
                    0.0
                } else {
                    probs.iter().sum::<f32>() / probs.len() as f32
                };
                // Whisper's times can run to the end of its 30 s window; the chunk is shorter.
                let chunk_end = chunk.start + chunk.samples.len() as f64 / 16_000.0;
                let at = |t: i64| (chunk.start + t.max(0) as f64 / 100.0).min(chunk_end);
                let mut s = Segment {
                    start: at(seg.start_timestamp()),
                    end: at(seg.end_timestamp()),
                    text,
                    no_speech_prob: seg.no_speech_probability(),
                    confidence,
                    reliable: true,
                    unreliable_reason: None,
                };
                s.judge_reliability();
                if s.reliable && crate::transcript::echoes_prompt(&s.text, prompt) {
                    s.reliable = false;
                    s.unreliable_reason =
                        Some("only repeats the engine's vocabulary hint, not heard speech".into());
                }
                heard.segments.push(s);
            }
        }
        heard.engine_seconds = started.elapsed().as_secs_f64();
        Ok(heard)
    }
}

/// A recording from file to transcript: decode, gate, resample, transcribe, mark
/// reliability, and note what the listener should know about the file.
pub fn listen(
    engine: &Engine,
    path: &Path,
    limits: &crate::Limits,
    opts: &Options,
) -> Result<crate::Transcript> {
    let audio = crate::prepare(path, limits)?;
    let heard = engine.transcribe(&audio, opts)?;
    let mut notes = crate::transcript::source_notes(&audio.source, audio.speech_truncated, limits);
    if heard.timed_out {
        notes.push(format!(
            "transcription stopped at the {} s time limit; later speech was not heard",
            opts.timeout.as_secs()
        ));
    }
    if audio.chunks.is_empty() {
        notes.push("no sound loud enough to be speech was found".to_string());
    }
    Ok(crate::Transcript {
        machine_transcript: true,
        model: engine.model_name.clone(),
        lang_requested: opts.language.as_str().to_string(),
        lang: heard.lang,
        segments: heard.segments,
        source: audio.source,
        speech_seconds: audio.speech_seconds,
        engine_seconds: heard.engine_seconds,
        notes,
    })
}
