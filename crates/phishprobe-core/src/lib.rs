//! # phishprobe-core
//!
//! The pure analysis core of phishprobe: parsing, normalisation, scoring and verdicts for
//! hostnames, URLs, texts and phone numbers. It does no I/O and no networking, so it can be
//! compiled to WebAssembly; data files are handed to it (or the embedded defaults are used).
//!
//! Start with [`Engine::embedded`], then [`Engine::check_url`] or [`Engine::check_host`].

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

/// The old name of [`combine`], kept so code written against it still compiles while the
/// workspace moves over; use `combine`.
#[doc(hidden)]
pub use combine as case;

/// Data files compiled into the binary (see `build.rs`).
pub mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

pub use brand::{BrandProfile, BrandSet, DomainOwner, DomainRole};
pub use engine::Engine;
pub use error::DataError;
pub use knowledge::Knowledge;
pub use model::{Finding, Lang, Message, Report, ReportBuilder, Severity, Verdict};
