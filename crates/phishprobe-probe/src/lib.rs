//! # phishprobe-probe
//!
//! The wrong-password test, automated. A person who can find no fault in a sign-in page can type
//! a wrong password: a phishing page cannot check it and lets them in; the genuine site says it
//! is wrong. This crate does that safely — with random decoy credentials, never the user's — in
//! a real headless Chromium ([`Prober`]) or, without JavaScript, over plain HTTP
//! ([`http::probe`]), and reads the evidence a person cannot see: where the decoy was sent,
//! redirects, origin changes, the page state after the submit.
//!
//! The probe alone never says "genuine": [`verdict()`] combines its [`Outcome`] with the host
//! analysis of `phishprobe-core` and with the brand the page itself claims.
//!
//! ```no_run
//! use phishprobe_probe::{ChromeConfig, ProbeOptions, Prober};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = phishprobe_core::Engine::embedded()?;
//! let prober = Prober::launch(&ChromeConfig::default()).await?;
//! let url = "https://secure-login.example/ap/signin";
//! let result = prober.probe(url, &ProbeOptions::default()).await;
//! prober.close().await;
//! let report = phishprobe_probe::verdict(&engine, url, &result);
//! println!("{}: {} ({:?})", result.outcome.as_str(), result.reason, report.verdict);
//! # Ok(())
//! # }
//! ```
//!
//! Inside, one flow (`flow.rs`: land, find the form, fill a decoy, submit, observe, classify)
//! decides the outcome for both engines; [`chrome`] and [`http`] are its drivers, and
//! [`classify`] holds the pure rules over page snapshots.

#![warn(missing_docs)]

pub mod chrome;
pub mod classify;
pub mod decoy;
mod flow;
pub mod guard;
pub mod http;
pub mod model;
mod phrases;
pub mod safety;
pub mod testing;
pub mod verdict;

pub use chrome::{ChromeConfig, LaunchError, Prober, find_chrome};
pub use model::{
    BrandMaterial, CapturedRequest, Carried, Decoy, Outcome, ProbeOptions, ProbeResult, Step,
};
pub use verdict::{claim_brand, page_brand_claim, verdict};
