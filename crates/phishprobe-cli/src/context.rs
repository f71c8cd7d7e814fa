//! What every subcommand gets: the loaded engine and the output choices. A module of its own,
//! below both `cmd` (which builds it from the command line, `Context::new`) and `output` (which
//! prints by it), so neither of those imports the other's internals in a circle.

use clap::ValueEnum;
use phishprobe_core::{Engine, Lang};

/// `--color`: when readable output is coloured (`auto`: only on a terminal, and not when
/// `NO_COLOR` is set). The variants carry no doc comments on purpose: clap would print them in
/// `--help`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// What every subcommand gets: the loaded engine and the output choices (defaults for the
/// options the command does not take).
pub struct Context {
    /// The brand profiles and lists in use.
    pub engine: Engine,
    /// The email checker's lists (imitated brands, free mail, lures) in use.
    pub email_data: phishprobe_email::EmailData,
    /// Language of readable output.
    pub lang: Lang,
    /// One JSON object per input instead of readable text.
    pub json: bool,
    /// When to colour readable output.
    pub color: ColorArg,
}
