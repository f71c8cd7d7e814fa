//! Where newly seen names come from, and the one shape they all arrive in ([`FeedEvent`]).
//!
//! Every source runs as a task that sends events into a bounded channel: a slow consumer (a
//! broker that is down, a store that is busy) slows the source down instead of filling memory.

pub mod certstream;
pub mod ct_follow;
pub mod lines;
pub mod socket;
pub mod zone;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::str::FromStr;

use tokio::sync::mpsc;

use lines::{BoundedLine, read_bounded};

/// A certstream message or a list line longer than this is refused (8 MiB: a certificate with
/// thousands of names fits many times over).
pub const MAX_RECORD: usize = 8 * 1024 * 1024;

/// A file, or standard input (`-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Input {
    fn parse(text: &str) -> Input {
        if text == "-" {
            Input::Stdin
        } else {
            Input::File(PathBuf::from(text))
        }
    }

    fn open(&self) -> io::Result<Box<dyn BufRead + Send>> {
        match self {
            Input::Stdin => Ok(Box::new(BufReader::new(io::stdin()))),
            Input::File(path) => File::open(path)
                .map(|f| Box::new(BufReader::new(f)) as Box<dyn BufRead + Send>)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Stdin => f.write_str("-"),
            Input::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A feed, as `--from` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// `certstream:FILE`: recorded certstream JSON lines (`-` for stdin).
    CertstreamFile(Input),
    /// `certstream:ws://…` or `certstream:wss://…`: a live certstream server.
    CertstreamSocket(String),
    /// `ct:URL`: a Certificate Transparency log (Static CT API or RFC 6962).
    Ct(String),
    /// `zone:OLD,NEW`: names delegated in NEW and not in OLD.
    Zone {
        /// Yesterday's zone.
        old: PathBuf,
        /// Today's zone.
        new: PathBuf,
    },
    /// `list:FILE`: one name per line (`-` for stdin).
    List(Input),
}

impl FromStr for SourceSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<SourceSpec, String> {
        let (kind, rest) = text.split_once(':').ok_or_else(|| {
            format!("{text:?}: say which kind of feed, e.g. certstream:FILE, ct:URL, zone:OLD,NEW or list:FILE")
        })?;
        if rest.is_empty() {
            return Err(format!("{text:?}: nothing after {kind}:"));
        }
        match kind {
            "certstream" if rest.starts_with("ws://") || rest.starts_with("wss://") => {
                Ok(SourceSpec::CertstreamSocket(rest.to_string()))
            }
            "certstream" => Ok(SourceSpec::CertstreamFile(Input::parse(rest))),
            "ct" if rest.starts_with("http://") || rest.starts_with("https://") => {
                Ok(SourceSpec::Ct(rest.to_string()))
            }
            "ct" => Err(format!("{text:?}: a CT log is an http:// or https:// URL")),
            "zone" => match rest.split_once(',') {
                Some((old, new)) if !old.is_empty() && !new.is_empty() => Ok(SourceSpec::Zone {
                    old: PathBuf::from(old),
                    new: PathBuf::from(new),
                }),
                _ => Err(format!("{text:?}: zone:OLD,NEW takes two zone files")),
            },
            "list" => Ok(SourceSpec::List(Input::parse(rest))),
            _ => Err(format!(
                "{text:?}: unknown feed kind {kind:?} (certstream, ct, zone or list)"
            )),
        }
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::CertstreamFile(input) => write!(f, "certstream:{input}"),
            SourceSpec::CertstreamSocket(url) => write!(f, "certstream:{url}"),
            SourceSpec::Ct(url) => write!(f, "ct:{url}"),
            SourceSpec::Zone { old, new } => {
                write!(f, "zone:{},{}", old.display(), new.display())
            }
            SourceSpec::List(input) => write!(f, "list:{input}"),
        }
    }
}

/// What a source sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent {
    /// The names of one record (a certificate, a message, a zone delegation, a list line),
    /// as the feed spelled them.
    Names {
        /// Where in the feed (`line 12`, `entry 4711`).
        at: String,
        /// The names.
        names: Vec<String>,
    },
    /// A record that could not be read; the feed goes on.
    Bad {
        /// Where in the feed.
        at: String,
        /// What was wrong.
        error: String,
    },
    /// Every record before `next` has been sent: a point to resume from (CT logs).
    Position {
        /// The index of the next record.
        next: u64,
    },
}

/// Send an event from a blocking reader; false when the receiver is gone (stop reading).
fn send(tx: &mpsc::Sender<FeedEvent>, event: FeedEvent) -> bool {
    tx.blocking_send(event).is_ok()
}

/// Read a certstream recording: one JSON message per line.
pub fn read_certstream_lines(input: &Input, tx: &mpsc::Sender<FeedEvent>) -> io::Result<()> {
    let mut reader = input.open()?;
    let mut number = 0u64;
    while let Some(line) = read_bounded(&mut reader, MAX_RECORD)? {
        number += 1;
        let at = format!("line {number}");
        let event = match line {
            BoundedLine::TooLong { length, .. } => FeedEvent::Bad {
                at,
                error: format!("a message of {length} bytes (limit {MAX_RECORD})"),
            },
            BoundedLine::Line(text) if text.trim().is_empty() => continue,
            BoundedLine::Line(text) => match certstream::parse_message(&text) {
                Ok(found) if found.names.is_empty() && found.dropped == 0 => continue,
                Ok(found) => {
                    if found.dropped > 0
                        && !send(
                            tx,
                            FeedEvent::Bad {
                                at: at.clone(),
                                error: format!(
                                    "{} names in one message: the first {} are judged, {} dropped",
                                    found.names.len() + found.dropped,
                                    found.names.len(),
                                    found.dropped
                                ),
                            },
                        )
                    {
                        return Ok(());
                    }
                    FeedEvent::Names {
                        at,
                        names: found.names,
                    }
                }
                Err(error) => FeedEvent::Bad { at, error },
            },
        };
        if !send(tx, event) {
            return Ok(());
        }
    }
    Ok(())
}

/// Read a plain list: one name per line; `#` starts a comment.
pub fn read_list(input: &Input, tx: &mpsc::Sender<FeedEvent>) -> io::Result<()> {
    let mut reader = input.open()?;
    let mut number = 0u64;
    while let Some(line) = read_bounded(&mut reader, 4096)? {
        number += 1;
        let at = format!("line {number}");
        let event = match line {
            BoundedLine::TooLong { length, .. } => FeedEvent::Bad {
                at,
                error: format!("a line of {length} bytes is not a name"),
            },
            BoundedLine::Line(text) => {
                let name = text.split('#').next().unwrap_or("").trim();
                if name.is_empty() {
                    continue;
                }
                FeedEvent::Names {
                    at,
                    names: vec![name.to_string()],
                }
            }
        };
        if !send(tx, event) {
            return Ok(());
        }
    }
    Ok(())
}

/// Names delegated in `new` and not in `old`.
pub fn read_zone_difference(
    old: &PathBuf,
    new: &PathBuf,
    tx: &mpsc::Sender<FeedEvent>,
) -> io::Result<()> {
    let open = |path: &PathBuf| {
        File::open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
            .and_then(zone::open_master)
    };
    let before = zone::owner_set(open(old)?)?;
    let mut previous: Option<String> = None;
    for item in zone::NsOwners::new(open(new)?) {
        let event = match item? {
            zone::ZoneItem::Owner(owner) => {
                if before.contains(&owner) || previous.as_deref() == Some(owner.as_str()) {
                    continue;
                }
                previous = Some(owner.clone());
                FeedEvent::Names {
                    at: format!("{}", new.display()),
                    names: vec![owner],
                }
            }
            zone::ZoneItem::Bad { line, error } => FeedEvent::Bad {
                at: format!("{} line {line}", new.display()),
                error,
            },
        };
        if !send(tx, event) {
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_parses_every_kind_and_refuses_the_rest() {
        let ok = [
            ("certstream:-", SourceSpec::CertstreamFile(Input::Stdin)),
            (
                "certstream:wss://cs.example/",
                SourceSpec::CertstreamSocket("wss://cs.example/".into()),
            ),
            (
                "ct:https://log.example/2026h1/",
                SourceSpec::Ct("https://log.example/2026h1/".into()),
            ),
            (
                "zone:a.gz,b.gz",
                SourceSpec::Zone {
                    old: "a.gz".into(),
                    new: "b.gz".into(),
                },
            ),
            (
                "list:names.txt",
                SourceSpec::List(Input::File("names.txt".into())),
            ),
        ];
        for (text, want) in ok {
            assert_eq!(text.parse::<SourceSpec>().as_ref(), Ok(&want), "{text}");
            assert_eq!(want.to_string(), text);
        }
        for bad in [
            "names.txt",
            "ct:log.example",
            "zone:a.gz",
            "kafka:x",
            "list:",
        ] {
            assert!(bad.parse::<SourceSpec>().is_err(), "{bad}");
        }
    }
}
