//! Screen every newly seen domain.
//!
//! Phishing hosts are born before the first email goes out: the certificate for a look-alike
//! appears in the Certificate Transparency logs minutes after registration. This crate reads
//! such feeds (a CT log, certstream messages, zone-file differences, plain lists), turns each
//! entry into hostnames ([`name`]), drops the ones seen recently ([`dedup`]) and either judges
//! them in-process with the core's host check or spreads them over NATS JetStream workers
//! ([`broker`], [`screen`]) that store every verdict before acknowledging it.

#![warn(missing_docs)]

pub mod broker;
pub mod ct;
pub mod dedup;
pub mod feed;
pub mod name;
pub mod screen;
pub mod source;

use sha2::{Digest, Sha256};

/// The rules a verdict was made with: the program version and a fingerprint of the data files
/// (brand profiles, host lists). Verdicts are stored per name *and* rules version, so a
/// redelivered name overwrites its own row while new rules add a row beside the old one.
pub fn rules_version<'a>(data_files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut files: Vec<(&str, &str)> = data_files.into_iter().collect();
    files.sort_unstable();
    let mut hash = Sha256::new();
    for (name, text) in files {
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((text.len() as u64).to_le_bytes());
        hash.update(text.as_bytes());
    }
    let digest = hash.finalize();
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{}+{short}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn rules_version_follows_the_data_not_the_order() {
        let a = super::rules_version([("a.toml", "x"), ("b.toml", "y")]);
        assert_eq!(a, super::rules_version([("b.toml", "y"), ("a.toml", "x")]));
        assert_ne!(a, super::rules_version([("a.toml", "x"), ("b.toml", "z")]));
        assert!(a.starts_with(env!("CARGO_PKG_VERSION")));
    }
}
