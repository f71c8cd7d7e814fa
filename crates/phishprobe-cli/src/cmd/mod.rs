//! One module per subcommand. Each has `Args` (clap) and `run(args, &Context) -> Result<u8>`
//! returning the process exit code.

pub mod bench;
pub mod case;
pub mod email;
pub mod history;
pub mod input;
pub mod numbers;
pub mod phone;
pub mod probe;
pub mod serve;
pub mod text;
pub mod url;

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::ValueEnum;
use phishprobe_core::{Engine, Lang};

/// Options every subcommand understands (they may be given before or after it).
#[derive(clap::Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Print one JSON object per input (the verdict model) instead of readable text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Language of readable output.
    #[arg(long, global = true, value_enum, default_value_t = LangArg::En)]
    pub lang: LangArg,
    /// Use the brand profiles (*.toml) in this folder instead of the embedded ones.
    #[arg(long, global = true, value_name = "DIR")]
    pub brands: Option<PathBuf>,
    /// Colour: auto (only on a terminal), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LangArg {
    En,
    Zh,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// What every subcommand gets: the loaded engine and the output choices.
pub struct Context {
    pub engine: Engine,
    pub lang: Lang,
    pub json: bool,
    pub color: ColorArg,
}

impl Context {
    pub fn new(g: &GlobalArgs) -> Result<Context> {
        let engine = match &g.brands {
            None => Engine::embedded().context("loading the embedded brand profiles")?,
            Some(dir) => load_brand_dir(dir)?,
        };
        Ok(Context {
            engine,
            lang: match g.lang {
                LangArg::En => Lang::En,
                LangArg::Zh => Lang::Zh,
            },
            json: g.json,
            color: g.color,
        })
    }
}

/// Load `*.toml` brand profiles from a folder; the host lists stay the embedded ones unless the
/// folder has its own `hosting.toml`.
fn load_brand_dir(dir: &std::path::Path) -> Result<Engine> {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut hosting: Option<(String, String)> = None;
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading brand folder {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let name = path.display().to_string();
        if path.file_name().and_then(|n| n.to_str()) == Some("hosting.toml") {
            hosting = Some((name, text));
        } else {
            files.push((name, text));
        }
    }
    files.sort();
    let hosting = hosting.unwrap_or_else(|| {
        (
            "hosting.toml (embedded)".to_string(),
            phishprobe_core::embedded::HOSTING.to_string(),
        )
    });
    let engine = Engine::from_sources(
        files.iter().map(|(n, t)| (n.as_str(), t.as_str())),
        (&hosting.0, &hosting.1),
    )?;
    Ok(engine)
}
