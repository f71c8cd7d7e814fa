//! One module per subcommand. Each has `Args` (clap) and `run(args, &Context) -> Result<u8>`
//! returning the process exit code.

pub mod audio;
pub mod bench;
pub mod bench_audio;
pub mod bench_feed;
pub mod bench_milter;
pub mod case;
pub mod email;
pub mod feed;
pub mod history;
pub mod input;
pub mod milter;
pub mod numbers;
pub mod phone;
pub mod probe;
pub mod screen;
pub mod serve;
pub mod text;
pub mod url;

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::ValueEnum;
use phishprobe_core::{Engine, Lang};

/// The help section every global option is listed under, at the top and in each command.
pub const GLOBAL: &str = "Global options";

const JSON_HELP: &str =
    "Print one JSON object per input (the verdict model) instead of readable text";
const LANG_HELP: &str = "Language of the readable output and its labels: en (default) or zh";
const COLOR_HELP: &str = "Colour: auto (default: only on a terminal), always, never";
const BRANDS_HELP: &str = "Use the brand profiles (*.toml) in this folder instead of the embedded ones (a hosting.toml \
     there replaces the host lists, an email/ folder the email checker's lists)";

/// The global options as given before the subcommand (`phishprobe --json url ...`). Not
/// `global = true`: each subcommand declares only the ones it uses (see [`OutputOpts`],
/// [`JsonLangOpts`], [`BrandsOpt`]), so its help lists exactly what applies and
/// `serve --json` is refused instead of silently ignored.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct GlobalArgs {
    #[arg(long, help = JSON_HELP, help_heading = GLOBAL)]
    pub json: bool,
    #[arg(long, value_enum, help = LANG_HELP, help_heading = GLOBAL)]
    pub lang: Option<LangArg>,
    #[arg(long, value_enum, help = COLOR_HELP, help_heading = GLOBAL)]
    pub color: Option<ColorArg>,
    #[arg(long, value_name = "DIR", help = BRANDS_HELP, help_heading = GLOBAL)]
    pub brands: Option<PathBuf>,
}

impl GlobalArgs {
    /// These options with the ones given after the subcommand taking precedence.
    pub fn merged(&self, after: &GlobalArgs) -> GlobalArgs {
        GlobalArgs {
            json: self.json || after.json,
            lang: after.lang.or(self.lang),
            color: after.color.or(self.color),
            brands: after.brands.clone().or_else(|| self.brands.clone()),
        }
    }

    /// The long names of the options given here (for refusing those a command does not take).
    pub fn given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.json {
            v.push("json");
        }
        if self.lang.is_some() {
            v.push("lang");
        }
        if self.color.is_some() {
            v.push("color");
        }
        if self.brands.is_some() {
            v.push("brands");
        }
        v
    }
}

/// `--json`, `--lang`, `--color` for commands that print reports.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct OutputOpts {
    #[arg(long, global = true, help = JSON_HELP, help_heading = GLOBAL)]
    pub json: bool,
    #[arg(long, global = true, value_enum, help = LANG_HELP, help_heading = GLOBAL)]
    pub lang: Option<LangArg>,
    #[arg(long, global = true, value_enum, help = COLOR_HELP, help_heading = GLOBAL)]
    pub color: Option<ColorArg>,
}

/// `--json` and `--lang` for commands that print lists and confirmations without colour.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct JsonLangOpts {
    #[arg(long, global = true, help = JSON_HELP, help_heading = GLOBAL)]
    pub json: bool,
    #[arg(long, global = true, value_enum, help = LANG_HELP, help_heading = GLOBAL)]
    pub lang: Option<LangArg>,
}

/// `--brands` for commands that judge links, senders or pages against the brand profiles.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct BrandsOpt {
    #[arg(long, global = true, value_name = "DIR", help = BRANDS_HELP, help_heading = GLOBAL)]
    pub brands: Option<PathBuf>,
}

impl OutputOpts {
    pub fn with_brands(&self, b: &BrandsOpt) -> GlobalArgs {
        GlobalArgs {
            json: self.json,
            lang: self.lang,
            color: self.color,
            brands: b.brands.clone(),
        }
    }
}

impl JsonLangOpts {
    pub fn globals(&self) -> GlobalArgs {
        GlobalArgs {
            json: self.json,
            lang: self.lang,
            ..GlobalArgs::default()
        }
    }
}

impl BrandsOpt {
    pub fn globals(&self) -> GlobalArgs {
        GlobalArgs {
            brands: self.brands.clone(),
            ..GlobalArgs::default()
        }
    }
}

/// A command line that makes no sense (exit code 3), raised by a command after clap accepted
/// it: empty input, a malformed case id, an option that does not apply.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// An [`UsageError`] as an `anyhow::Error`, for `return Err(usage(...))` and `bail`-like use.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LangArg {
    En,
    Zh,
}

pub use crate::context::{ColorArg, Context};

impl Context {
    /// The engine (embedded or `--brands DIR`) and the output choices of the global options.
    pub fn new(g: &GlobalArgs) -> Result<Context> {
        let engine = match &g.brands {
            None => Engine::embedded().context("loading the embedded brand profiles")?,
            Some(dir) => load_brand_dir(dir)?,
        };
        // The email checker's own lists: `DIR/email/` replaces those of its files it holds.
        let email_data = match &g.brands {
            Some(dir) if dir.join("email").is_dir() => {
                phishprobe_email::EmailData::from_dir(&dir.join("email"))
                    .context("loading the email data files")?
            }
            _ => phishprobe_email::EmailData::embedded(),
        };
        Ok(Context {
            engine,
            email_data,
            lang: match g.lang {
                Some(LangArg::Zh) => Lang::Zh,
                _ => Lang::En,
            },
            json: g.json,
            color: g.color.unwrap_or(ColorArg::Auto),
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

/// The rules in use, for storing verdicts per rules version: the embedded data files, or the
/// `*.toml` files of `--brands DIR` (and its `email/` folder does not judge hostnames).
pub fn rules_version(brands: Option<&std::path::Path>) -> Result<String> {
    let Some(dir) = brands else {
        let embedded = phishprobe_core::embedded::BRANDS
            .iter()
            .copied()
            .chain([("hosting.toml", phishprobe_core::embedded::HOSTING)]);
        return Ok(phishprobe_feed::rules_version(embedded));
    };
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading brand folder {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("toml") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            files.push((name, text));
        }
    }
    Ok(phishprobe_feed::rules_version(
        files.iter().map(|(n, t)| (n.as_str(), t.as_str())),
    ))
}
