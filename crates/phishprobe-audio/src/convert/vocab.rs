//! Whisper's BPE tokens from a Hugging Face `tokenizer.json` (as shipped next to
//! CTranslate2 Whisper models), as the raw byte strings whisper.cpp wants.
//!
//! whisper.cpp's file holds only the ordinary tokens, ids `0..eot` (50256 for
//! `.en` models, 50257 for multilingual ones, where id 50256 is the empty
//! string); it synthesizes the special tokens (`<|endoftext|>` onwards) itself
//! from `n_vocab`. tokenizer.json spells tokens in GPT-2's byte-to-unicode
//! alphabet, which is undone here.

use anyhow::{Context, Result, bail, ensure};
use std::collections::HashMap;

fn byte_decoder() -> HashMap<char, u8> {
    let mut bs: Vec<u32> = (b'!' as u32..=b'~' as u32)
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut cs = bs.clone();
    let mut n = 0;
    for b in 0..256u32 {
        if !bs.contains(&b) {
            bs.push(b);
            cs.push(256 + n);
            n += 1;
        }
    }
    bs.into_iter()
        .zip(cs)
        .map(|(b, c)| (char::from_u32(c).unwrap(), b as u8))
        .collect()
}

/// Returns the ordinary tokens in id order (ids `0..eot`).
pub fn tokens_from_tokenizer_json(json: &str) -> Result<Vec<Vec<u8>>> {
    let v: serde_json::Value = serde_json::from_str(json).context("tokenizer.json is not JSON")?;
    let vocab = v["model"]["vocab"]
        .as_object()
        .context("tokenizer.json: no model.vocab object")?;
    let eot = vocab
        .get("<|endoftext|>")
        .and_then(|x| x.as_u64())
        .or_else(|| {
            v["added_tokens"]
                .as_array()?
                .iter()
                .find(|t| t["content"] == "<|endoftext|>")?["id"]
                .as_u64()
        })
        .context("tokenizer.json: no <|endoftext|>")? as usize;
    let dec = byte_decoder();
    let mut out: Vec<Option<Vec<u8>>> = vec![None; eot];
    for (tok, id) in vocab {
        let id = id.as_u64().context("non-integer token id")? as usize;
        if id >= eot {
            continue;
        }
        let mut bytes = Vec::with_capacity(tok.len());
        for ch in tok.chars() {
            match dec.get(&ch) {
                Some(&b) => bytes.push(b),
                None => bail!("token {id} {tok:?}: char {ch:?} outside GPT-2's byte alphabet"),
            }
        }
        ensure!(out[id].is_none(), "duplicate token id {id}");
        out[id] = Some(bytes);
    }
    // Multilingual Whisper has no token 50256 in its BPE ranks; whisper.cpp
    // expects an empty string there.
    Ok(out.into_iter().map(|t| t.unwrap_or_default()).collect())
}
