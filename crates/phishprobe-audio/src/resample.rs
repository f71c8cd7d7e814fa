//! Sample-rate conversion to Whisper's 16 kHz.
//!
//! rubato's FFT resampler: phone recorders write 8 kHz, apps 44.1 or 48 kHz, and all of
//! these are rational ratios it handles exactly, with a proper anti-alias filter (a naive
//! decimation from 48 kHz would fold hiss into the speech band).

use anyhow::{Context as _, Result};
use rubato::{FftFixedIn, Resampler as _};

/// The rate Whisper's mel front end expects.
pub const WHISPER_RATE: u32 = 16_000;

/// Input frames per FFT call. Small enough that a short span is not mostly padding.
const CHUNK: usize = 1024;

/// `samples` (mono, at `rate`) converted to 16 kHz mono, the same duration.
pub fn to_16k(samples: &[f32], rate: u32) -> Result<Vec<f32>> {
    if rate == WHISPER_RATE || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let mut rs = FftFixedIn::<f32>::new(rate as usize, WHISPER_RATE as usize, CHUNK, 1, 1)
        .with_context(|| format!("cannot resample from {rate} Hz"))?;
    let want = (samples.len() as u64 * u64::from(WHISPER_RATE) / u64::from(rate)) as usize;
    let delay = rs.output_delay();
    let mut out = Vec::with_capacity(want + delay + 2 * CHUNK);
    let mut pos = 0;
    while samples.len() - pos >= rs.input_frames_next() {
        let n = rs.input_frames_next();
        let block = rs.process(&[&samples[pos..pos + n]], None)?;
        out.extend_from_slice(&block[0]);
        pos += n;
    }
    if pos < samples.len() {
        let block = rs.process_partial(Some(&[&samples[pos..]]), None)?;
        out.extend_from_slice(&block[0]);
    }
    // Flush the filter's delay line until the whole input has come out.
    while out.len() < want + delay {
        let block = rs.process_partial::<&[f32]>(None, None)?;
        if block[0].is_empty() {
            break;
        }
        out.extend_from_slice(&block[0]);
    }
    let end = (delay + want).min(out.len());
    Ok(out.get(delay..end).map(<[f32]>::to_vec).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f32, secs: f32) -> Vec<f32> {
        (0..(rate as f32 * secs) as usize)
            .map(|i| (i as f32 * hz * std::f32::consts::TAU / rate as f32).sin() * 0.5)
            .collect()
    }

    #[test]
    fn keeps_duration_and_frequency() {
        for rate in [8_000, 22_050, 44_100, 48_000] {
            let out = to_16k(&tone(rate, 440.0, 1.5), rate).unwrap();
            assert_eq!(out.len(), 24_000, "{rate} Hz");
            // Count rising zero crossings in the middle second: 440 of them.
            let mid = &out[4_000..20_000];
            let ups = mid.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
            assert!((439..=441).contains(&ups), "{rate} Hz: {ups} crossings");
        }
    }

    #[test]
    fn removes_what_16k_cannot_hold() {
        // A 12 kHz tone at 48 kHz is above the new Nyquist (8 kHz): it must not fold back in.
        let out = to_16k(&tone(48_000, 12_000.0, 1.0), 48_000).unwrap();
        let rms = (out[2_000..14_000].iter().map(|x| x * x).sum::<f32>() / 12_000.0).sqrt();
        assert!(rms < 0.01, "aliased energy left: {rms}");
    }
}
