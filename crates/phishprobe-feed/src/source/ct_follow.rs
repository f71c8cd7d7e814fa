//! Following a CT log: read from a position to the checkpoint, tile by tile, then look at the
//! checkpoint again every `poll`. Each batch is sent with the position after it, so the feed
//! saves a resume point only once the names before it are handed on.
//!
//! What goes wrong is told apart: a log that disagrees with itself (a checkpoint that does
//! not match the tiles, a log that shrank) is refused and the feed stops with that error; a
//! network error or a malformed tile is tried again, and a tile still malformed after that is
//! an error record while the feed goes on with the next tile.

use std::time::Duration;

use tokio::sync::mpsc;

use super::FeedEvent;
use crate::ct::{Checkpoint, CtError, CtLog};

/// Attempts at one batch before a transient failure becomes an error record.
const ATTEMPTS: u32 = 3;

/// How a followed log is read.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// First entry (None: the log's current end, so only new certificates are read).
    pub start: Option<u64>,
    /// Stop once caught up with the checkpoint.
    pub once: bool,
    /// Pause between looks at the checkpoint once caught up.
    pub poll: Duration,
}

/// Follow `log` and send its names to `tx` until the receiver is gone (or, with `once`, the
/// end of the log). Errors are the log being refused, or its checkpoint never answering.
pub async fn follow(
    log: &CtLog,
    options: &FollowOptions,
    tx: &mpsc::Sender<FeedEvent>,
) -> Result<(), CtError> {
    let mut checkpoint = log.checkpoint().await?;
    let mut next = options.start.unwrap_or(checkpoint.size);
    if next > checkpoint.size {
        return Err(CtError::Limit(format!(
            "start {next} is past the log's end ({} entries)",
            checkpoint.size
        )));
    }
    if tx.send(FeedEvent::Position { next }).await.is_err() {
        return Ok(());
    }
    loop {
        while next < checkpoint.size {
            next = match read_one_batch(log, next, &checkpoint, tx).await? {
                Some(after) => after,
                None => return Ok(()),
            };
        }
        if options.once {
            return Ok(());
        }
        tokio::time::sleep(options.poll).await;
        match log.checkpoint().await {
            Ok(newer) if newer.size < checkpoint.size => {
                return Err(CtError::Mismatch {
                    what: format!(
                        "the log shrank from {} to {} entries",
                        checkpoint.size, newer.size
                    ),
                });
            }
            Ok(newer) => checkpoint = newer,
            Err(e @ CtError::Mismatch { .. }) => return Err(e),
            Err(e) => {
                let event = FeedEvent::Bad {
                    at: "checkpoint".into(),
                    error: e.to_string(),
                };
                if tx.send(event).await.is_err() {
                    return Ok(());
                }
            }
        }
    }
}

/// Read the batch at `start` and send it; the position after it, or `None` when the receiver
/// is gone.
async fn read_one_batch(
    log: &CtLog,
    start: u64,
    checkpoint: &Checkpoint,
    tx: &mpsc::Sender<FeedEvent>,
) -> Result<Option<u64>, CtError> {
    let mut attempt = 0;
    let batch = loop {
        attempt += 1;
        match log.read_batch(start, checkpoint).await {
            Ok(batch) => break batch,
            Err(e @ (CtError::Mismatch { .. } | CtError::Limit(_))) => return Err(e),
            Err(e) if attempt < ATTEMPTS => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            Err(e) => {
                // Skip to the next tile: these entries are reported, not silently lost.
                let after = ((start / 256) + 1).saturating_mul(256).min(checkpoint.size);
                let event = FeedEvent::Bad {
                    at: format!("entries {start}..{after}"),
                    error: format!("unreadable after {ATTEMPTS} attempts, skipped: {e}"),
                };
                if tx.send(event).await.is_err()
                    || tx.send(FeedEvent::Position { next: after }).await.is_err()
                {
                    return Ok(None);
                }
                return Ok(Some(after));
            }
        }
    };
    for entry in batch.entries {
        let at = format!("entry {}", entry.index);
        if let Some(error) = entry.error
            && tx
                .send(FeedEvent::Bad {
                    at: at.clone(),
                    error,
                })
                .await
                .is_err()
        {
            return Ok(None);
        }
        if entry.dropped_names > 0 {
            let error = format!(
                "{} more names in this certificate were not judged (limit {})",
                entry.dropped_names,
                entry.names.len()
            );
            if tx
                .send(FeedEvent::Bad {
                    at: at.clone(),
                    error,
                })
                .await
                .is_err()
            {
                return Ok(None);
            }
        }
        if !entry.names.is_empty()
            && tx
                .send(FeedEvent::Names {
                    at,
                    names: entry.names,
                })
                .await
                .is_err()
        {
            return Ok(None);
        }
    }
    if tx
        .send(FeedEvent::Position { next: batch.next })
        .await
        .is_err()
    {
        return Ok(None);
    }
    Ok(Some(batch.next))
}
