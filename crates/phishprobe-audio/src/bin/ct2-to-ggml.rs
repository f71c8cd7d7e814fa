//! ct2-to-ggml MODEL_DIR OUT.bin [f16|q8_0]
use phishprobe_audio::convert::{self, ggml::WeightType};

fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    anyhow::ensure!(
        a.len() >= 3,
        "usage: ct2-to-ggml MODEL_DIR OUT.bin [f16|q8_0]"
    );
    let wt = match a.get(3).map(String::as_str).unwrap_or("q8_0") {
        "f16" => WeightType::F16,
        "q8_0" => WeightType::Q8_0,
        o => anyhow::bail!("unknown weight type {o}"),
    };
    let t = std::time::Instant::now();
    let (hp, rep) = convert::convert_dir(a[1].as_ref(), a[2].as_ref(), wt)?;
    eprintln!("{hp:?}");
    eprintln!(
        "{} tensors, {:.1} MB of tensor data, {:?}, non-zero key biases dropped: {:?}, {:.2}s",
        rep.tensors,
        rep.bytes as f64 / 1e6,
        wt,
        rep.nonzero_key_bias,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
