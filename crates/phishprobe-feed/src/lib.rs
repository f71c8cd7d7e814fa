//! Screen every newly seen domain.
//!
//! Phishing hosts are born before the first email goes out: the certificate for a look-alike
//! appears in the Certificate Transparency logs minutes after registration. This crate reads
//! such feeds (a CT log, certstream messages, zone-file differences, plain lists), turns each
//! entry into hostnames ([`name`]), drops the ones seen recently ([`dedup`]) and either judges
//! them in-process with the core's host check or spreads them over NATS JetStream workers
//! ([`broker`], [`screen`]) that store every verdict before acknowledging it.

#![warn(missing_docs)]

pub mod ct;
pub mod name;
