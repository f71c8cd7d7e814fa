//! whisper.cpp's legacy ggml model file (what `models/convert-pt-to-ggml.py`
//! writes and `whisper_model_load` in src/whisper.cpp reads). All little-endian i32:
//! ```text
//! magic 0x67676d6c ("ggml")
//! hparams: n_vocab n_audio_ctx n_audio_state n_audio_head n_audio_layer
//!          n_text_ctx n_text_state n_text_head n_text_layer n_mels ftype
//!          (ftype: 0 f32, 1 f16, 7 q8_0 — quantized files add 1000*GGML_QNT_VERSION, i.e. 2007)
//! mel filters: n_mel, n_fft(=201), then n_mel*n_fft f32
//! vocab: n_tokens, then n_tokens × { u32 len; bytes }   (ordinary tokens only)
//! tensors until EOF: { i32 n_dims; i32 name_len; i32 ttype; i32 ne[n_dims] (ne[0] = innermost);
//!                      name bytes; data }   — no padding, any order
//! ```
//! ttype is a ggml_type: 0 F32, 1 F16, 8 Q8_0. The loader checks each tensor's
//! element count, shape and byte size against what it expects for that name, so the stored
//! type must be the one it expects:
//! - every 2-D matrix, `decoder.token_embedding.weight` included, in the file's weight type
//!   (F16 or Q8_0, from `ftype`);
//! - the convolution weights F16 whenever the weight type is not F32;
//! - positional embeddings, all biases and layer norms F32; the convolution biases with
//!   `ne = [1, n_state]`.
//!
//! A q8_0 block is `{ f16 d = amax/127; i8 qs[32] = round(x/d) }`, 34 bytes; every row length
//! of the Whisper models (384, 512, 1536, 2048) is a multiple of 32. The file holds
//! `11 + 15·n_audio_layer + 24·n_text_layer` tensors. `n_vocab` ≥ 51865 marks a multilingual
//! model; whisper.cpp synthesizes the special tokens (`[_EOT_]`, `[_SOT_]`, `[_LANG_xx]`,
//! `[_TT_n]`) itself.

use std::io::{self, Write};

/// The first four bytes of the file ("ggml", read as a little-endian u32).
pub const MAGIC: u32 = 0x6767_6d6c;
/// ggml's type id for 32-bit floats.
pub const GGML_TYPE_F32: i32 = 0;
/// ggml's type id for half floats.
pub const GGML_TYPE_F16: i32 = 1;
/// ggml's type id for q8_0 blocks.
pub const GGML_TYPE_Q8_0: i32 = 8;
/// ggml's quantization format version (`GGML_QNT_VERSION`), folded into a quantized file's
/// `ftype` as whisper.cpp's own quantizer writes it.
pub const GGML_QNT_VERSION: i32 = 2;
/// What the quantization version is multiplied by in `ftype`.
pub const GGML_QNT_VERSION_FACTOR: i32 = 1000;
/// Elements per q8_0 block.
pub const QK8_0: usize = 32;

/// The type of the weight matrices in a written file (everything else has a fixed type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightType {
    /// Half floats: the source precision, nothing lost.
    F16,
    /// 8-bit blocks: about half the size of F16 and faster on the CPU, and F16 heard no
    /// better on the test calls, so the pinned installs use it.
    Q8_0,
}

impl WeightType {
    /// The hparams `ftype` field.
    pub fn ftype(self) -> i32 {
        match self {
            WeightType::F16 => 1,
            WeightType::Q8_0 => 7 + GGML_QNT_VERSION * GGML_QNT_VERSION_FACTOR,
        }
    }
}

/// One little-endian i32, the unit of every header field.
pub fn write_i32(w: &mut impl Write, v: i32) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

/// Tensor header + data. `ne` is in ggml order (innermost first).
pub fn write_tensor(
    w: &mut impl Write,
    name: &str,
    ne: &[usize],
    ttype: i32,
    data: &[u8],
) -> io::Result<()> {
    write_i32(w, ne.len() as i32)?;
    write_i32(w, name.len() as i32)?;
    write_i32(w, ttype)?;
    for &d in ne {
        write_i32(w, d as i32)?;
    }
    w.write_all(name.as_bytes())?;
    w.write_all(data)
}

/// Values as little-endian f32 bytes.
pub fn encode_f32(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Values as little-endian IEEE half floats.
pub fn encode_f16(v: &[f32]) -> Vec<u8> {
    v.iter()
        .flat_map(|&x| half::f16::from_f32(x).to_le_bytes())
        .collect()
}

/// ggml's reference `quantize_row_q8_0`: blocks of 32 →
/// `{ f16 d = amax/127; i8 qs[32] = round(x/d) }`.
/// The row length must be a multiple of 32.
pub fn encode_q8_0(v: &[f32]) -> Vec<u8> {
    assert!(v.len().is_multiple_of(QK8_0));
    let mut out = Vec::with_capacity(v.len() / QK8_0 * 34);
    for blk in v.chunks_exact(QK8_0) {
        let amax = blk.iter().fold(0f32, |m, x| m.max(x.abs()));
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend_from_slice(&half::f16::from_f32(d).to_le_bytes());
        for &x in blk {
            out.push((x * id).round() as i8 as u8);
        }
    }
    out
}

/// An index of a ggml Whisper file (for tests, and to validate a user-supplied
/// `--model` before whisper.cpp sees it).
#[derive(Debug)]
pub struct FileIndex {
    /// The eleven header integers, in file order (`n_vocab` … `ftype`).
    pub hparams: [i32; 11],
    /// Mel filter count (80 for these models).
    pub n_mel: usize,
    /// Frequency bins per filter (201 for a 400-point FFT).
    pub n_fft: usize,
    /// The filter bank, `n_mel × n_fft`, row-major.
    pub filters: Vec<f32>,
    /// The ordinary tokens as raw bytes, by id.
    pub tokens: Vec<Vec<u8>>,
    /// name → (ne, ttype, byte offset of data, byte length)
    pub tensors: std::collections::BTreeMap<String, (Vec<usize>, i32, usize, usize)>,
}

fn type_size(ttype: i32, n: usize) -> Option<usize> {
    match ttype {
        GGML_TYPE_F32 => n.checked_mul(4),
        GGML_TYPE_F16 => n.checked_mul(2),
        GGML_TYPE_Q8_0 if n.is_multiple_of(QK8_0) => Some(n / QK8_0 * 34),
        _ => None,
    }
}

/// Read a ggml Whisper file's structure without loading weights. Every size is checked against
/// the bytes present (negative and overflowing ones included), because whisper.cpp aborts the
/// process on a malformed file instead of returning an error.
pub fn index(buf: &[u8]) -> anyhow::Result<FileIndex> {
    use anyhow::{Context, ensure};
    let mut p = 0usize;
    let i32_at = |p: &mut usize| -> anyhow::Result<i32> {
        let b = buf
            .get(*p..p.saturating_add(4))
            .context("truncated ggml file")?;
        *p += 4;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    // Sizes in a file someone handed us: negative ones are an error, not a huge usize.
    let size_at = |p: &mut usize| -> anyhow::Result<usize> {
        let v = i32_at(p)?;
        usize::try_from(v).map_err(|_| anyhow::anyhow!("negative size {v} at byte {}", *p - 4))
    };
    ensure!(
        i32_at(&mut p)? as u32 == MAGIC,
        "not a ggml file (bad magic)"
    );
    let mut hparams = [0i32; 11];
    for h in hparams.iter_mut() {
        *h = i32_at(&mut p)?;
    }
    let n_mel = size_at(&mut p)?;
    let n_fft = size_at(&mut p)?;
    ensure!(
        n_mel <= 256 && n_fft <= 4096,
        "implausible filter size {n_mel}x{n_fft}"
    );
    let fb = buf
        .get(p..p + 4 * n_mel * n_fft)
        .context("truncated filters")?;
    let filters = fb
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    p += 4 * n_mel * n_fft;
    let n_tok = i32_at(&mut p)?;
    ensure!(
        (0..1_000_000).contains(&n_tok),
        "implausible token count {n_tok}"
    );
    let mut tokens = Vec::with_capacity(n_tok as usize);
    for _ in 0..n_tok {
        let n = size_at(&mut p)?;
        tokens.push(buf.get(p..p + n).context("truncated vocab")?.to_vec());
        p += n;
    }
    let mut tensors = std::collections::BTreeMap::new();
    while p < buf.len() {
        let n_dims = i32_at(&mut p)?;
        let name_len = i32_at(&mut p)?;
        let ttype = i32_at(&mut p)?;
        ensure!(
            (1..=4).contains(&n_dims) && (1..=256).contains(&name_len),
            "bad tensor header at {p}"
        );
        let mut ne = Vec::new();
        for _ in 0..n_dims {
            ne.push(size_at(&mut p)?);
        }
        let name = String::from_utf8(
            buf.get(p..p + name_len as usize)
                .context("truncated name")?
                .to_vec(),
        )?;
        p += name_len as usize;
        let elements = ne
            .iter()
            .try_fold(1usize, |a, &b| a.checked_mul(b))
            .with_context(|| format!("{name}: implausible shape {ne:?}"))?;
        let len = type_size(ttype, elements)
            .with_context(|| format!("{name}: unsupported type {ttype} or size"))?;
        ensure!(
            p.checked_add(len).is_some_and(|end| end <= buf.len()),
            "{name}: data truncated"
        );
        tensors.insert(name, (ne, ttype, p, len));
        p += len;
    }
    Ok(FileIndex {
        hparams,
        n_mel,
        n_fft,
        filters,
        tokens,
        tensors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header with the right magic and plausible filters, then `tail`.
    fn file_with(tail: &[i32]) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [
            MAGIC as i32,
            51_865,
            1500,
            512,
            8,
            6,
            448,
            512,
            8,
            6,
            80,
            7,
            1,
            1,
        ] {
            b.extend(v.to_le_bytes());
        }
        b.extend(0f32.to_le_bytes()); // the 1x1 filter bank
        for v in tail {
            b.extend(v.to_le_bytes());
        }
        b
    }

    #[test]
    fn hostile_sizes_are_errors_not_panics() {
        // A token of negative length.
        assert!(index(&file_with(&[1, -5])).is_err());
        // No tokens, then a tensor whose shape overflows when multiplied out.
        let big = i32::MAX;
        let mut t = file_with(&[0, 4, 1, GGML_TYPE_F32, big, big, big, big]);
        t.push(b'x');
        assert!(index(&t).is_err());
        // Every prefix of a valid-looking file, and random tails.
        let mut seed = 0x9e37_79b9u32;
        for n in 0..2000 {
            let mut b = file_with(&[0]);
            for _ in 0..(n % 64) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                b.push(seed as u8);
            }
            let _ = index(&b); // must return, whatever it says
        }
    }
}
