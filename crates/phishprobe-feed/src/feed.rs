//! The feed loop: events from a source, names made canonical, repeats dropped, the new names
//! handed on in batches (judged in-process or published), resume points saved only once the
//! names before them are handed on.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::dedup::RecentNames;
use crate::name::canonical;
use crate::source::FeedEvent;

/// How the feed loop batches and forgets.
#[derive(Debug, Clone)]
pub struct FeedOptions {
    /// A name is new again after this long.
    pub window: Duration,
    /// At most this many names remembered (memory bound).
    pub capacity: usize,
    /// Names handed on together (at most).
    pub batch: usize,
}

impl Default for FeedOptions {
    fn default() -> FeedOptions {
        FeedOptions {
            window: Duration::from_secs(24 * 3600),
            capacity: 2_000_000,
            batch: 512,
        }
    }
}

/// What the feed loop saw, printed as progress and at the end.
#[derive(Debug, Default, Clone, Serialize)]
pub struct FeedTally {
    /// Records read (certificates, messages, lines, delegations).
    pub records: u64,
    /// Records that could not be read.
    pub bad_records: u64,
    /// Names in the records.
    pub names: u64,
    /// Names that are not hostnames.
    pub bad_names: u64,
    /// Names seen again within the window.
    pub repeats: u64,
    /// New names handed on.
    pub new_names: u64,
    /// The last resume point saved.
    pub position: Option<u64>,
}

/// Where a followed log stopped, so a restart resumes there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPosition {
    /// The feed, as `--from` named it.
    pub source: String,
    /// The index of the next record to read.
    pub next: u64,
}

impl SavedPosition {
    /// Read a saved position for `source`; `None` when there is none (or it is for another feed).
    pub fn load(path: &Path, source: &str) -> Result<Option<u64>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let saved: SavedPosition = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a saved feed position: {e}", path.display()))?;
        Ok((saved.source == source).then_some(saved.next))
    }

    /// Write atomically (a temporary file renamed over the old one): a crash leaves the old
    /// position or the new one, never half a file.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string(self).map_err(|e| e.to_string())?;
        let temporary = PathBuf::from(format!("{}.tmp", path.display()));
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, path))
            .map_err(|e| format!("cannot save the feed position to {}: {e}", path.display()))
    }
}

/// Run the loop until the source ends. `hand_on` gets each batch of new names and must not
/// return before they are safe (printed, or stored by the broker); `on_bad` sees every record
/// or name refused; `on_position` is called with each resume point once everything before it
/// was handed on.
pub async fn run_feed<H, HF, B, P>(
    mut events: mpsc::Receiver<FeedEvent>,
    options: &FeedOptions,
    mut hand_on: H,
    mut on_bad: B,
    mut on_position: P,
) -> Result<FeedTally, String>
where
    H: FnMut(Vec<String>) -> HF,
    HF: Future<Output = Result<(), String>>,
    B: FnMut(&str, &str),
    P: FnMut(u64, &FeedTally) -> Result<(), String>,
{
    let mut recent = RecentNames::new(options.window, options.capacity);
    let mut tally = FeedTally::default();
    let mut pending: Vec<String> = Vec::new();
    while let Some(event) = events.recv().await {
        match event {
            FeedEvent::Names { at, names } => {
                tally.records += 1;
                let now = Instant::now();
                for raw in names {
                    tally.names += 1;
                    match canonical(&raw) {
                        Ok(name) if recent.first_sighting(&name, now) => pending.push(name),
                        Ok(_) => tally.repeats += 1,
                        Err(e) => {
                            tally.bad_names += 1;
                            let shown: String = raw.chars().take(100).collect();
                            on_bad(&at, &format!("{shown:?}: {e}"));
                        }
                    }
                }
            }
            FeedEvent::Bad { at, error } => {
                tally.records += 1;
                tally.bad_records += 1;
                on_bad(&at, &error);
            }
            FeedEvent::Position { next } => {
                flush(&mut pending, &mut tally, &mut hand_on).await?;
                tally.position = Some(next);
                on_position(next, &tally)?;
                continue;
            }
        }
        // Hand on full batches at once, smaller ones when the source has nothing more ready.
        if pending.len() >= options.batch || (!pending.is_empty() && events.is_empty()) {
            flush(&mut pending, &mut tally, &mut hand_on).await?;
        }
    }
    flush(&mut pending, &mut tally, &mut hand_on).await?;
    Ok(tally)
}

async fn flush<H, HF>(
    pending: &mut Vec<String>,
    tally: &mut FeedTally,
    hand_on: &mut H,
) -> Result<(), String>
where
    H: FnMut(Vec<String>) -> HF,
    HF: Future<Output = Result<(), String>>,
{
    if pending.is_empty() {
        return Ok(());
    }
    let batch = std::mem::take(pending);
    tally.new_names += batch.len() as u64;
    hand_on(batch).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_are_canonical_new_once_and_positions_follow_their_names() {
        let (tx, rx) = mpsc::channel(16);
        let events = vec![
            FeedEvent::Names {
                at: "entry 0".into(),
                names: vec!["*.Shop.example".into(), "shop.example".into()],
            },
            FeedEvent::Names {
                at: "entry 1".into(),
                names: vec!["bad name".into(), "new.example".into()],
            },
            FeedEvent::Position { next: 2 },
            FeedEvent::Bad {
                at: "entry 2".into(),
                error: "broken certificate".into(),
            },
            FeedEvent::Names {
                at: "entry 3".into(),
                names: vec!["SHOP.example.".into()],
            },
            FeedEvent::Position { next: 4 },
        ];
        tokio::spawn(async move {
            for e in events {
                tx.send(e).await.unwrap();
            }
        });
        let mut handed: Vec<String> = Vec::new();
        let mut bad: Vec<String> = Vec::new();
        let mut positions: Vec<(u64, u64)> = Vec::new();
        let handed_ref = &mut handed;
        let tally = run_feed(
            rx,
            &FeedOptions::default(),
            |batch| {
                handed_ref.extend(batch);
                async { Ok(()) }
            },
            |at, error| bad.push(format!("{at}: {error}")),
            |next, tally| {
                positions.push((next, tally.new_names));
                Ok(())
            },
        )
        .await
        .unwrap();
        assert_eq!(handed, ["shop.example", "new.example"]);
        assert_eq!(
            positions,
            [(2, 2), (4, 2)],
            "every name before a position was handed on first"
        );
        assert_eq!((tally.records, tally.names, tally.repeats), (4, 5, 2));
        assert_eq!((tally.bad_records, tally.bad_names), (1, 1));
        assert_eq!(bad.len(), 2);
    }

    #[test]
    fn a_saved_position_is_read_back_only_for_its_own_feed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pos.json");
        assert_eq!(SavedPosition::load(&path, "ct:http://a/"), Ok(None));
        SavedPosition {
            source: "ct:http://a/".into(),
            next: 300,
        }
        .save(&path)
        .unwrap();
        assert_eq!(SavedPosition::load(&path, "ct:http://a/"), Ok(Some(300)));
        assert_eq!(SavedPosition::load(&path, "ct:http://b/"), Ok(None));
        std::fs::write(&path, "garbage").unwrap();
        assert!(SavedPosition::load(&path, "ct:http://a/").is_err());
    }
}
