//! The email check off the async threads: a fixed pool of worker threads, a bounded queue and a
//! deadline per message. The connection side never waits longer than the deadline; a worker
//! that is still busy when the deadline passes finishes that message (the email check has its
//! own size limits) and its answer is dropped.

use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::message::Reservation;
use phishprobe_email::{EmailChecker, EmailError, EmailReport};
use tokio::sync::oneshot;

use crate::policy::{FailReason, SkipReason};

/// Why a message has no verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoVerdict {
    /// Nothing to judge: delivered marked.
    Skip(SkipReason),
    /// The failure policy answers.
    Fail(FailReason),
}

/// One message for a worker.
struct Job {
    input: String,
    raw: Vec<u8>,
    /// The bytes' share of the memory budget, given back when the worker is done with them
    /// (also when the caller gave up at its deadline).
    held: Reservation,
    reply: oneshot::Sender<(Vec<u8>, Result<EmailReport, EmailError>)>,
}

/// The connection side's handle on the pool. Cheap to clone.
#[derive(Clone)]
pub struct Scanner {
    jobs: Sender<Job>,
    deadline: Duration,
}

impl Scanner {
    /// Check one message. `Err` says why there is no verdict; with a verdict, the message's
    /// bytes come back too (for work handed off after the answer).
    pub async fn check(
        &self,
        input: String,
        raw: Vec<u8>,
        held: Reservation,
    ) -> Result<(EmailReport, Vec<u8>), NoVerdict> {
        let fail = |f| Err(NoVerdict::Fail(f));
        let (reply, answer) = oneshot::channel();
        let job = Job {
            input,
            raw,
            held,
            reply,
        };
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return fail(FailReason::Busy),
            Err(TrySendError::Disconnected(_)) => return fail(FailReason::Error),
        }
        match tokio::time::timeout(self.deadline, answer).await {
            Err(_) => fail(FailReason::Deadline),
            Ok(Err(_)) => fail(FailReason::Error),
            Ok(Ok((_, Err(EmailError::NotEmail(_))))) => Err(NoVerdict::Skip(SkipReason::NotEmail)),
            Ok(Ok((_, Err(EmailError::Internal(_))))) => fail(FailReason::Error),
            Ok(Ok((raw, Ok(report)))) => Ok((report, raw)),
        }
    }
}

/// The pool's receiving side, handed to the worker threads.
pub struct WorkQueue {
    jobs: Receiver<Job>,
}

/// A scanner and the queue its workers read, with room for `queue` waiting messages.
pub fn channel(queue: usize, deadline: Duration) -> (Scanner, WorkQueue) {
    let (tx, rx) = crossbeam_channel::bounded(queue);
    (Scanner { jobs: tx, deadline }, WorkQueue { jobs: rx })
}

impl WorkQueue {
    /// Work until every [`Scanner`] is gone. Jobs whose caller gave up are skipped unread.
    pub fn work(&self, checker: &EmailChecker<'_>) {
        while let Ok(job) = self.jobs.recv() {
            if job.reply.is_closed() {
                continue;
            }
            let result = checker.check(&job.input, &job.raw);
            drop(job.held);
            let _ = job.reply.send((job.raw, result));
        }
    }
}

impl Clone for WorkQueue {
    fn clone(&self) -> Self {
        WorkQueue {
            jobs: self.jobs.clone(),
        }
    }
}
