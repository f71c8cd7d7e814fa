//! # phishprobe-core
//!
//! The pure analysis core of phishprobe: parsing, normalisation, scoring and verdicts for
//! hostnames, URLs, texts and phone numbers. It does no I/O and no networking, so it can be
//! compiled to WebAssembly; data files are handed to it (or the embedded defaults are used).
//!
//! Start with [`Engine::embedded`], then [`Engine::check_url`] or [`Engine::check_host`]:
//!
//! ```
//! use phishprobe_core::{Engine, Verdict};
//!
//! let engine = Engine::embedded()?;
//! let report = engine.check_url("https://amazon.co.jp.account-verify.top/ap/signin");
//! assert_eq!(report.verdict, Verdict::Phishing);
//! assert_eq!(engine.check_host("www.amazon.co.jp").verdict, Verdict::Genuine);
//! # Ok::<(), phishprobe_core::DataError>(())
//! ```
//!
//! The other checks are functions of their modules ([`text::analyze`], [`phone::check`],
//! [`page::check`], [`combine::CaseBuilder`]) over the [`Knowledge`]; an `&Engine` is accepted
//! wherever a `&Knowledge` is asked for.
//!
//! Layers: the knowledge at the bottom ([`brand`], [`lists`], [`knowledge`], with [`model`],
//! [`unicode`], [`error`]), importing no analysis; the analyses on it ([`host`], [`url`],
//! [`text`], [`phone`], [`page`], [`combine`]), each keeping what it derives from the
//! knowledge; the [`Engine`] facade on top, which nothing inside the crate imports.

#![warn(missing_docs)]

pub mod brand;
pub mod combine;
pub mod engine;
pub mod error;
pub mod host;
pub mod knowledge;
pub mod lists;
pub mod model;
pub mod page;
pub mod phone;
pub mod redact;
pub mod text;
pub mod unicode;
pub mod url;

/// Data files compiled into the binary (see `build.rs`).
pub mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

pub use brand::{BrandProfile, BrandSet, DomainOwner, DomainRole};
pub use engine::Engine;
pub use error::DataError;
pub use knowledge::Knowledge;
pub use model::{Finding, Lang, Message, Report, ReportBuilder, Severity, Verdict};
