//! Reading a recording: any container and codec symphonia knows, as mono samples.
//!
//! symphonia rather than hound for WAV too: phone recorders write μ-law and A-law WAV, which
//! hound does not read. What symphonia 0.5 cannot decode is named up front (AMR from call
//! recorders, Opus from messengers) instead of surfacing as "unsupported codec".

use std::fs::File;
use std::io::{ErrorKind, Read as _};
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, CODEC_TYPE_OPUS, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::AudioError;

/// The formats a person can bring, for error messages.
pub const SUPPORTED: &str =
    "WAV (PCM, μ-law, A-law, ADPCM), MP3, M4A/AAC, ALAC, OGG Vorbis, FLAC, MKV/WebM (non-Opus)";

/// How a conversion hint reads in every "not supported" message.
const CONVERT_HINT: &str =
    "convert it first, for example: ffmpeg -i INPUT -ar 16000 -ac 1 call.wav";

/// Sample rates outside this range are a broken header, not a recording.
const RATES: std::ops::RangeInclusive<u32> = 1_000..=384_000;

/// What the decoder found out about the file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceInfo {
    /// Codec name as symphonia calls it (`pcm_s16le`, `mp3`, `aac`, ...).
    pub codec: String,
    pub sample_rate: u32,
    pub channels: usize,
    /// Length the header claims, when it says.
    pub claimed_seconds: Option<f64>,
    /// Length actually decoded (what everything else is based on).
    pub decoded_seconds: f64,
    /// Packets that could not be decoded and were skipped.
    pub bad_packets: u64,
    /// Reading stopped at the duration limit.
    pub truncated: bool,
}

/// Decode `path`, handing mono samples at the source rate to `sink` as they come. `sink`
/// returns `false` to stop early (the speech limit). At most `max_seconds` are read.
pub fn decode(
    path: &Path,
    max_seconds: f64,
    mut sink: impl FnMut(u32, &[f32]) -> bool,
) -> Result<SourceInfo, AudioError> {
    let mut file = File::open(path).map_err(|e| AudioError::Open(path.display().to_string(), e))?;
    refuse_known_unsupported(&mut file)?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            mss,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| AudioError::NotAudio(e.to_string()))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| AudioError::NotAudio("the file holds no audio track".into()))?;
    let params = track.codec_params.clone();
    let track_id = track.id;
    let codec = symphonia::default::get_codecs()
        .get_codec(params.codec)
        .map(|d| d.short_name.to_string())
        .unwrap_or_else(|| {
            if params.codec == CODEC_TYPE_OPUS {
                "opus".into()
            } else {
                format!("{}", params.codec)
            }
        });
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|_| AudioError::Unsupported(codec.clone()))?;

    let claimed_seconds = match (params.n_frames, params.sample_rate) {
        (Some(n), Some(r)) if r > 0 => Some(n as f64 / f64::from(r)),
        _ => None,
    };
    let mut info = SourceInfo {
        codec,
        sample_rate: params.sample_rate.unwrap_or(0),
        channels: params.channels.map_or(0, |c| c.count()),
        claimed_seconds,
        decoded_seconds: 0.0,
        bad_packets: 0,
        truncated: false,
    };
    let mut decoded_frames = 0u64;
    let mut good_packets = 0u64;
    let mut mono = Vec::new();
    let mut buf: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            // The normal end of a stream, and the end of a file cut short.
            Err(SymError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(SymError::ResetRequired) => break,
            Err(SymError::DecodeError(_)) => {
                info.bad_packets += 1;
                if info.bad_packets > 1_000 && good_packets == 0 {
                    break;
                }
                continue;
            }
            Err(e) => {
                if decoded_frames > 0 {
                    break; // keep what was read; the shortfall shows in the duration
                }
                return Err(AudioError::NotAudio(e.to_string()));
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                info.bad_packets += 1;
                if info.bad_packets > 1_000 && good_packets == 0 {
                    break;
                }
                continue;
            }
            Err(e) => return Err(AudioError::NotAudio(e.to_string())),
        };
        let spec = *decoded.spec();
        if !RATES.contains(&spec.rate) {
            return Err(AudioError::NotAudio(format!(
                "implausible sample rate {} Hz in the header",
                spec.rate
            )));
        }
        if info.sample_rate != 0 && info.sample_rate != spec.rate {
            return Err(AudioError::NotAudio(format!(
                "the sample rate changes inside the file ({} Hz, then {} Hz)",
                info.sample_rate, spec.rate
            )));
        }
        info.sample_rate = spec.rate;
        let channels = spec.channels.count().max(1);
        info.channels = channels;
        good_packets += 1;
        let needed = decoded.capacity() as u64;
        let sb = match &mut buf {
            Some(b) if b.capacity() as u64 >= needed * channels as u64 => b,
            _ => buf.insert(SampleBuffer::new(needed, spec)),
        };
        sb.copy_interleaved_ref(decoded);
        mono.clear();
        mono.extend(
            sb.samples()
                .chunks_exact(channels)
                .map(|frame| frame.iter().sum::<f32>() / channels as f32),
        );
        let limit = (max_seconds * f64::from(spec.rate)) as u64;
        let room = limit.saturating_sub(decoded_frames);
        if (mono.len() as u64) > room {
            mono.truncate(room as usize);
            info.truncated = true;
        }
        decoded_frames += mono.len() as u64;
        if !sink(spec.rate, &mono) || info.truncated {
            break;
        }
    }
    if decoded_frames == 0 {
        return Err(AudioError::NoSamples(info.bad_packets));
    }
    info.decoded_seconds = decoded_frames as f64 / f64::from(info.sample_rate);
    Ok(info)
}

/// Name the formats symphonia cannot read before it calls them garbage: an empty file, AMR
/// (Android call recorders) and Ogg Opus (WhatsApp and Telegram voice notes).
fn refuse_known_unsupported(file: &mut File) -> Result<(), AudioError> {
    let mut head = [0u8; 64];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(AudioError::Read(e)),
        }
    }
    let head = &head[..n];
    if head.is_empty() {
        return Err(AudioError::Empty);
    }
    if head.starts_with(b"#!AMR") {
        return Err(AudioError::Unsupported("amr".into()));
    }
    if head.starts_with(b"OggS") && head.windows(8).any(|w| w == b"OpusHead") {
        return Err(AudioError::Unsupported("opus".into()));
    }
    use std::io::Seek as _;
    file.rewind().map_err(AudioError::Read)?;
    Ok(())
}

/// The sentence for an unsupported codec.
pub fn unsupported_message(codec: &str) -> String {
    format!("{codec} audio is not supported (supported: {SUPPORTED}); {CONVERT_HINT}")
}
