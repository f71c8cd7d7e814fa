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
pub const SUPPORTED: &str = "WAV (PCM, μ-law, A-law, ADPCM), MP3, M4A/AAC, ALAC, OGG Vorbis, FLAC";

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
    /// Sample rate of the decoded stream in Hz (0 only if nothing was decoded): phone
    /// recorders write 8 kHz, which explains a poorer transcript.
    pub sample_rate: u32,
    /// Channels in the file; they are averaged to mono, since a call has one speaker at a
    /// time and Whisper reads one channel.
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
    sink: impl FnMut(u32, &[f32]) -> bool,
) -> Result<SourceInfo, AudioError> {
    let mut file = File::open(path).map_err(|e| AudioError::Open(path.display().to_string(), e))?;
    let head = read_head(&mut file)?;
    use std::io::Seek as _;
    file.rewind().map_err(AudioError::Read)?;
    let ext = path.extension().and_then(|e| e.to_str());
    guarded(|| decode_source(Box::new(file), &head, ext, max_seconds, sink))
}

/// [`decode`] over bytes in memory (uploads, the fuzz target).
pub fn decode_bytes(
    bytes: Vec<u8>,
    max_seconds: f64,
    sink: impl FnMut(u32, &[f32]) -> bool,
) -> Result<SourceInfo, AudioError> {
    let head: Vec<u8> = bytes.iter().take(HEAD).copied().collect();
    guarded(|| {
        decode_source(
            Box::new(std::io::Cursor::new(bytes)),
            &head,
            None,
            max_seconds,
            sink,
        )
    })
}

/// Hostile files are the normal case, and symphonia 0.5 panics on some (a zero sample rate,
/// ADPCM with three channels, integer overflows in its MKV and ADTS readers, all found by
/// fuzzing): a panic while decoding becomes an error for this file, not a crash. (Under
/// libFuzzer every panic still aborts, so the fuzz target keeps reporting them.)
fn guarded(f: impl FnOnce() -> Result<SourceInfo, AudioError>) -> Result<SourceInfo, AudioError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(AudioError::NotAudio(
            "the decoder gave up on this file (damaged or deliberately malformed)".into(),
        ))
    })
}

fn decode_source(
    source: Box<dyn symphonia::core::io::MediaSource>,
    head: &[u8],
    ext: Option<&str>,
    max_seconds: f64,
    mut sink: impl FnMut(u32, &[f32]) -> bool,
) -> Result<SourceInfo, AudioError> {
    refuse_known_unsupported(head)?;
    let mss = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = ext {
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
                .map(|frame| frame.iter().sum::<f32>() / channels as f32)
                // Float formats can carry NaN, infinities or values far past full scale.
                .map(|v| {
                    if v.is_finite() {
                        v.clamp(-1.0, 1.0)
                    } else {
                        0.0
                    }
                }),
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

/// Bytes looked at before decoding.
const HEAD: usize = 64;

/// The first [`HEAD`] bytes of the file.
fn read_head(file: &mut File) -> Result<Vec<u8>, AudioError> {
    let mut head = vec![0u8; HEAD];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(AudioError::Read(e)),
        }
    }
    head.truncate(n);
    Ok(head)
}

/// Name the formats symphonia cannot read before it calls them garbage: an empty file, AMR
/// (Android call recorders) and Ogg Opus (WhatsApp and Telegram voice notes).
fn refuse_known_unsupported(head: &[u8]) -> Result<(), AudioError> {
    if head.is_empty() {
        return Err(AudioError::Empty);
    }
    if head.starts_with(b"#!AMR") {
        return Err(AudioError::Unsupported("amr".into()));
    }
    if head.starts_with(b"OggS") && head.windows(8).any(|w| w == b"OpusHead") {
        return Err(AudioError::Unsupported("opus".into()));
    }
    if !starts_like_audio(head) {
        return Err(AudioError::NotAudio(
            "the file does not start like any supported recording".into(),
        ));
    }
    check_wav_format(head)
}

/// The file starts with the signature of a format we read. symphonia's probe otherwise scans
/// into the file for anything that looks like a frame sync, and its ADTS reader then does
/// arithmetic that underflows when the "stream" starts mid-file (found by fuzzing).
fn starts_like_audio(head: &[u8]) -> bool {
    let frame_sync = head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0; // MP3, ADTS
    head.starts_with(b"RIFF")
        || head.starts_with(b"ID3")
        || head.starts_with(b"OggS")
        || head.starts_with(b"fLaC")
        || head.get(4..8) == Some(b"ftyp")
        || frame_sync
}

/// A WAV whose format chunk says 0 Hz or 0 channels is refused here: symphonia 0.5 panics on
/// a zero sample rate instead of returning an error.
fn check_wav_format(head: &[u8]) -> Result<(), AudioError> {
    if !(head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WAVE")) {
        return Ok(());
    }
    let Some(at) = head.windows(4).position(|w| w == b"fmt ") else {
        return Ok(());
    };
    let u16_at = |o: usize| head.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |o: usize| {
        head.get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(channels), Some(rate)) = (u16_at(at + 10), u32_at(at + 12)) else {
        return Ok(());
    };
    if channels == 0 || !RATES.contains(&rate) {
        return Err(AudioError::NotAudio(format!(
            "the WAV header says {rate} Hz and {channels} channels"
        )));
    }
    // ADPCM (0x0002 Microsoft, 0x0011 IMA): symphonia's decoder reaches `unreachable!()` on
    // more than two channels and its block arithmetic underflows on a block smaller than the
    // per-channel header (both found by fuzzing).
    let (Some(tag), Some(block_align)) = (u16_at(at + 8), u16_at(at + 20)) else {
        return Ok(());
    };
    let header = match tag {
        0x0002 => 7,
        0x0011 => 4,
        _ => return Ok(()),
    };
    if channels > 2 || block_align <= header * channels {
        return Err(AudioError::NotAudio(format!(
            "ADPCM WAV with {channels} channels and {block_align}-byte blocks"
        )));
    }
    Ok(())
}

/// The sentence for an unsupported codec.
pub fn unsupported_message(codec: &str) -> String {
    format!("{codec} audio is not supported (supported: {SUPPORTED}); {CONVERT_HINT}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit mono WAV; `pad` bytes of a `LIST` chunk come before the format chunk, which
    /// puts it beyond the first 64 bytes that `check_wav_format` looks at.
    fn wav(rate: u32, pad: usize, samples: usize) -> Vec<u8> {
        let mut h = b"RIFF\0\0\0\0WAVE".to_vec();
        if pad > 0 {
            h.extend(b"LIST");
            h.extend((pad as u32).to_le_bytes());
            h.extend(std::iter::repeat_n(b' ', pad));
        }
        h.extend(b"fmt ");
        h.extend(16u32.to_le_bytes());
        h.extend(1u16.to_le_bytes());
        h.extend(1u16.to_le_bytes());
        h.extend(rate.to_le_bytes());
        h.extend((rate * 2).to_le_bytes());
        h.extend(2u16.to_le_bytes());
        h.extend(16u16.to_le_bytes());
        h.extend(b"data");
        h.extend(((samples * 2) as u32).to_le_bytes());
        h.extend(std::iter::repeat_n(0u8, samples * 2));
        let riff = (h.len() - 8) as u32;
        h[4..8].copy_from_slice(&riff.to_le_bytes());
        h
    }

    fn decode_bytes(bytes: &[u8]) -> Result<SourceInfo, AudioError> {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.wav");
        std::fs::write(&p, bytes).unwrap();
        decode(&p, 60.0, |_, _| true)
    }

    #[test]
    fn a_zero_sample_rate_is_an_error_wherever_the_format_chunk_is() {
        for pad in [0, 100] {
            let e = decode_bytes(&wav(0, pad, 1000)).unwrap_err();
            assert!(matches!(e, AudioError::NotAudio(_)), "pad {pad}: {e}");
        }
    }

    #[test]
    fn amr_and_ogg_opus_are_named_not_called_garbage() {
        let e = decode_bytes(b"#!AMR\n\x3c\x00\x00").unwrap_err();
        assert_eq!(e.to_string().split(' ').next(), Some("amr"));
        let mut ogg = b"OggS\0\x02".to_vec();
        ogg.extend([0u8; 20]);
        ogg.extend(b"\x01\x13OpusHead\x01\x01");
        let e = decode_bytes(&ogg).unwrap_err();
        assert!(
            e.to_string().starts_with("opus audio is not supported"),
            "{e}"
        );
        assert!(matches!(decode_bytes(b"").unwrap_err(), AudioError::Empty));
    }

    #[test]
    fn adpcm_shapes_symphonia_cannot_decode_are_refused_before_it_tries() {
        // IMA ADPCM (tag 0x0011), three channels: symphonia's decoder would hit unreachable!().
        let mut h = wav(8000, 0, 512);
        let fmt = h.windows(4).position(|w| w == b"fmt ").unwrap();
        h[fmt + 8..fmt + 10].copy_from_slice(&0x0011u16.to_le_bytes());
        h[fmt + 10..fmt + 12].copy_from_slice(&3u16.to_le_bytes());
        h[fmt + 20..fmt + 22].copy_from_slice(&256u16.to_le_bytes());
        let e = decode_bytes(&h).unwrap_err().to_string();
        assert!(e.contains("ADPCM WAV with 3 channels"), "{e}");
    }

    #[test]
    fn a_plain_wav_decodes_to_its_length() {
        let info = decode_bytes(&wav(8000, 0, 8000)).unwrap();
        assert_eq!(info.sample_rate, 8000);
        assert!((info.decoded_seconds - 1.0).abs() < 1e-9);
        assert_eq!(info.claimed_seconds, Some(1.0));
    }

    #[test]
    fn the_duration_limit_stops_reading() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.wav");
        std::fs::write(&p, wav(8000, 0, 8000 * 10)).unwrap();
        let info = decode(&p, 2.5, |_, _| true).unwrap();
        assert!(info.truncated);
        assert!((info.decoded_seconds - 2.5).abs() < 1e-9);
    }
}
