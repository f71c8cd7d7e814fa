//! The milter's configuration file (TOML): what to do per verdict, what to do when a message
//! cannot be checked, what to leave alone, and the limits that keep one bad client from hurting
//! the others. Every field has a default, so an empty file (or none) is a working setup; an
//! unknown key is an error, because a misspelt `phishing = "reject"` silently ignored would
//! leave an admin believing mail is rejected when it is not.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file named on the command line.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The TOML is malformed or names an unknown key or value.
    #[error("{path}: {message}")]
    Parse {
        /// The file (or `<config>` for text given directly).
        path: String,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// A value is out of its allowed range.
    #[error("{path}: {message}")]
    Invalid {
        /// The file (or `<config>`).
        path: String,
        /// Which key and why.
        message: String,
    },
}

/// What happens to a message of a given verdict. Every checked message gets the
/// `X-Phishprobe-*` headers whatever the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Headers only; the message is delivered as usual.
    Header,
    /// Headers, and the subject starts with `subject_tag`.
    Tag,
    /// Headers, and the message is held by the MTA (Postfix: the hold queue) for an admin.
    Quarantine,
    /// Refused during SMTP with `550 5.7.1` (the sender learns it was refused).
    Reject,
    /// Accepted and thrown away. Never a default: a false alarm would be lost mail.
    Discard,
}

impl Action {
    /// The name used in logs, metrics and the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Header => "header",
            Action::Tag => "tag",
            Action::Quarantine => "quarantine",
            Action::Reject => "reject",
            Action::Discard => "discard",
        }
    }
}

/// What the milter answers when it cannot give a verdict in time (its own error, the deadline,
/// too many messages being checked at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    /// `451 4.3.0`: the sending server keeps the message and tries again later. Nothing is lost
    /// and nothing passes unchecked.
    Tempfail,
    /// Deliver with `X-Phishprobe-Verdict: unchecked; reason=...`.
    Accept,
}

/// Actions per verdict (`[actions]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Actions {
    /// For *suspicious* messages. Default: header only.
    pub suspicious: Action,
    /// For *phishing* messages. Default: quarantine.
    pub phishing: Action,
    /// Put in front of the subject by the `tag` action.
    pub subject_tag: String,
    /// The text of the `550 5.7.1` reply for `reject`.
    pub reject_text: String,
}

impl Default for Actions {
    fn default() -> Self {
        Actions {
            suspicious: Action::Header,
            phishing: Action::Quarantine,
            subject_tag: "[SUSPICIOUS]".to_string(),
            reject_text: "Message refused: it looks like phishing (phishprobe)".to_string(),
        }
    }
}

/// The failure policy (`[failure]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Failure {
    /// What to answer when no verdict could be made.
    pub on_failure: OnFailure,
    /// How long one message may take to check, from the end of its data, in milliseconds.
    /// Keep it well under Postfix's `milter_content_timeout` (300 s by default) so the milter's
    /// own answer, not Postfix's default action, decides.
    pub deadline_ms: u64,
}

impl Default for Failure {
    fn default() -> Self {
        Failure {
            on_failure: OnFailure::Tempfail,
            deadline_ms: 10_000,
        }
    }
}

/// Messages left alone (`[exclude]`). An excluded message gets
/// `X-Phishprobe-Verdict: unchecked; reason=excluded` and is delivered.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Exclude {
    /// Recipient addresses (`abuse@example.com`) or whole domains (`@example.com`): a message
    /// is excluded when *every* recipient matches (one unprotected recipient keeps it checked).
    pub recipients: Vec<String>,
    /// Envelope-sender domains; a subdomain matches too. Any sender can write any envelope
    /// address, so this is only for senders you also know by their network (prefer
    /// `client_networks`).
    pub sender_domains: Vec<String>,
    /// Client networks in CIDR form (`10.0.0.0/8`, `2001:db8::/32`) or single addresses.
    pub client_networks: Vec<String>,
}

/// Limits (`[limits]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Messages larger than this are not checked: `X-Phishprobe-Verdict: unchecked; reason=size`.
    pub max_message_bytes: usize,
    /// Message data held in memory over all connections; a message that would go over it is
    /// answered with the failure policy (reason `busy`).
    pub max_buffered_bytes: usize,
    /// Milter connections served at once; more are closed at once (the MTA applies its
    /// `milter_default_action`).
    pub max_connections: usize,
    /// A connection that sends nothing for this long is closed. Postfix keeps its milter
    /// connection open for the whole SMTP session, so this must exceed `smtpd_timeout`.
    pub idle_timeout_secs: u64,
    /// Threads that check messages; 0: one per core.
    pub workers: usize,
    /// Messages waiting for a worker; more are answered with the failure policy (`busy`).
    pub queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 40 << 20,
            max_buffered_bytes: 512 << 20,
            max_connections: 256,
            idle_timeout_secs: 600,
            workers: 0,
            queue: 256,
        }
    }
}

/// Email-check options (`[email]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailSettings {
    /// Trust `Authentication-Results` headers from this authserv-id only (your own MX's name).
    /// Default: the topmost header's.
    pub authserv_id: Option<String>,
    /// Decode QR codes in images.
    pub qr_codes: bool,
}

impl Default for EmailSettings {
    fn default() -> Self {
        EmailSettings {
            authserv_id: None,
            qr_codes: true,
        }
    }
}

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Actions per verdict.
    pub actions: Actions,
    /// What to answer when no verdict could be made.
    pub failure: Failure,
    /// Messages left alone.
    pub exclude: Exclude,
    /// Size, memory and connection limits.
    pub limits: Limits,
    /// Options of the email check itself.
    pub email: EmailSettings,
}

impl Config {
    /// Read and check a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Parse and check configuration text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        config.validate(origin)?;
        Ok(config)
    }

    fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: origin.to_string(),
            message,
        };
        let f = &self.failure;
        if !(1..=600_000).contains(&f.deadline_ms) {
            return Err(invalid(format!(
                "failure.deadline_ms = {}: must be between 1 and 600000",
                f.deadline_ms
            )));
        }
        let l = &self.limits;
        if l.max_message_bytes == 0 || l.max_buffered_bytes < l.max_message_bytes {
            return Err(invalid(format!(
                "limits.max_buffered_bytes ({}) must be at least limits.max_message_bytes ({}), which must be above 0",
                l.max_buffered_bytes, l.max_message_bytes
            )));
        }
        if !(1..=100_000).contains(&l.max_connections) {
            return Err(invalid(
                "limits.max_connections must be between 1 and 100000".into(),
            ));
        }
        if l.idle_timeout_secs == 0 || !(1..=100_000).contains(&l.queue) || l.workers > 256 {
            return Err(invalid(
                "limits.idle_timeout_secs must be above 0, limits.queue between 1 and 100000, limits.workers at most 256"
                    .into(),
            ));
        }
        let tag = &self.actions.subject_tag;
        if tag.trim().is_empty() || has_control(tag) {
            return Err(invalid(
                "actions.subject_tag must be one non-blank line".into(),
            ));
        }
        // The milter protocol ends strings at NUL, and the MTA reads `%` in a reply as a format
        // character: both would change the text the sender sees.
        let reject = &self.actions.reject_text;
        if has_control(reject) || reject.contains('%') {
            return Err(invalid(
                "actions.reject_text must be one line without control characters or %".into(),
            ));
        }
        for net in &self.exclude.client_networks {
            parse_network(net).map_err(|e| invalid(format!("exclude.client_networks: {e}")))?;
        }
        for r in &self.exclude.recipients {
            if !r.contains('@') {
                return Err(invalid(format!(
                    "exclude.recipients: {r:?} is neither an address nor @domain"
                )));
            }
        }
        Ok(())
    }

    /// The check deadline.
    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.failure.deadline_ms)
    }

    /// Parsed `exclude.client_networks` (validated at load, so nothing is dropped here).
    pub fn excluded_networks(&self) -> Vec<IpNet> {
        self.exclude
            .client_networks
            .iter()
            .filter_map(|n| parse_network(n).ok())
            .collect()
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A CIDR network or a single address (as a /32 or /128).
fn parse_network(text: &str) -> Result<IpNet, String> {
    let t = text.trim();
    if let Ok(net) = t.parse::<IpNet>() {
        return Ok(net);
    }
    t.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("{text:?} is not a network (10.0.0.0/8) or an address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_the_documented_defaults() {
        let c = Config::parse("", "t").unwrap();
        assert_eq!(c.actions.suspicious, Action::Header);
        assert_eq!(c.actions.phishing, Action::Quarantine);
        assert_eq!(c.failure.on_failure, OnFailure::Tempfail);
        assert_eq!(c.deadline(), Duration::from_secs(10));
    }

    #[test]
    fn unknown_keys_and_values_are_errors_that_name_them() {
        let e = Config::parse("[actions]\nphising = \"reject\"\n", "milter.toml").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("milter.toml:") && msg.contains("phising"),
            "{msg}"
        );
        let e = Config::parse("[actions]\nphishing = \"delete\"\n", "m").unwrap_err();
        assert!(e.to_string().contains("delete"), "{e}");
    }

    #[test]
    fn out_of_range_values_are_refused() {
        for bad in [
            "[failure]\ndeadline_ms = 0",
            "[limits]\nmax_message_bytes = 10\nmax_buffered_bytes = 5",
            "[limits]\nmax_connections = 0",
            "[exclude]\nclient_networks = [\"10.0.0.0/33\"]",
            "[exclude]\nrecipients = [\"postmaster\"]",
            "[actions]\nsubject_tag = \"a\\nb\"",
            "[actions]\nreject_text = \"no\\u0000more\"",
            "[actions]\nreject_text = \"100% phishing\"",
            "[limits]\nqueue = 100000000",
        ] {
            assert!(
                matches!(Config::parse(bad, "m"), Err(ConfigError::Invalid { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_documented_example_is_exactly_the_defaults() {
        let example = include_str!("../milter.example.toml");
        let parsed = Config::parse(example, "milter.example.toml").unwrap();
        assert_eq!(format!("{parsed:?}"), format!("{:?}", Config::default()));
    }

    #[test]
    fn networks_take_cidr_and_single_addresses() {
        let c = Config::parse(
            "[exclude]\nclient_networks = [\"10.0.0.0/8\", \"192.0.2.7\", \"2001:db8::/32\"]",
            "m",
        )
        .unwrap();
        let nets = c.excluded_networks();
        assert_eq!(nets.len(), 3);
        assert!(nets[1].contains(&"192.0.2.7".parse::<IpAddr>().unwrap()));
        assert!(!nets[1].contains(&"192.0.2.8".parse::<IpAddr>().unwrap()));
    }
}
