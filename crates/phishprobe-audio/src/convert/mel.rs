//! Whisper's mel filterbank, computed by formula: `librosa.filters.mel(sr=16000,
//! n_fft=400, n_mels=N)` with its defaults (Slaney mel scale, `htk=False`,
//! `norm="slaney"`), which is how `whisper/assets/mel_filters.npz` was made.
//! Computed in f64 and cast to f32 like librosa.
//!
//! The result is bit-identical to `mel_filters.npz` for 80 bands (every one of the 16,080
//! values; `scripts/audio/check-ggml-assets.py` compares a converted file with Whisper's
//! assets). That takes numpy's rounding, step by step: `rfftfreq` as `i * (1/(n_fft*(1/sr)))`,
//! `linspace` as `i*step + start` with the last point set to `stop`, and the triangle stored
//! as f32 *before* the f64 `enorm` multiply. A plain f64 formula is off in the last bits of
//! about a hundred values. 128 bands (large-v3) follow the same formula but were not compared.

fn hz_to_mel(f: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = (6.4f64).ln() / 27.0;
    if f >= min_log_hz {
        min_log_mel + (f / min_log_hz).ln() / logstep
    } else {
        f / f_sp
    }
}

fn mel_to_hz(m: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = (6.4f64).ln() / 27.0;
    if m >= min_log_mel {
        min_log_hz * (logstep * (m - min_log_mel)).exp()
    } else {
        f_sp * m
    }
}

/// Returns `n_mels × (n_fft/2 + 1)` filter weights, row-major, as written into the ggml header
/// (whisper.cpp takes the filters from the model file, not from its own copy).
pub fn mel_filters(sr: f64, n_fft: usize, n_mels: usize) -> Vec<f32> {
    let n_bins = n_fft / 2 + 1;
    // numpy.fft.rfftfreq: i * (1 / (n_fft * (1/sr)))
    let val = 1.0 / (n_fft as f64 * (1.0 / sr));
    let fftfreqs: Vec<f64> = (0..n_bins).map(|i| i as f64 * val).collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(sr / 2.0));
    // numpy.linspace: i*step + start, last point set to stop exactly.
    let step = (hi - lo) / (n_mels + 1) as f64;
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| {
            mel_to_hz(if i == n_mels + 1 {
                hi
            } else {
                i as f64 * step + lo
            })
        })
        .collect();
    let mut w = vec![0f32; n_mels * n_bins];
    for i in 0..n_mels {
        let fd0 = mel_f[i + 1] - mel_f[i];
        let fd1 = mel_f[i + 2] - mel_f[i + 1];
        let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        for (j, &f) in fftfreqs.iter().enumerate() {
            let lower = -(mel_f[i] - f) / fd0;
            let upper = (mel_f[i + 2] - f) / fd1;
            // librosa stores the triangle in a float32 array, then scales it in place.
            let tri = 0f64.max(lower.min(upper)) as f32;
            w[i * n_bins + j] = (tri as f64 * enorm) as f32;
        }
    }
    w
}
