//! One handle over both back ends, chosen by the location the user gives: a `postgres://` (or
//! `postgresql://`) URL is PostgreSQL, anything else is a SQLite file path.

use std::path::Path;

use crate::cases::{CaseSummary, NewCase, StoredCase};
use crate::domains::{
    DeadLetter, DomainQuery, DomainStats, DomainVerdict, StoredDomainVerdict, Upsert,
};
use crate::{Mark, NumberEntry, PostgresStore, Result, SqliteStore};

/// The case history and numbers list, on whichever back end the location named.
///
/// An enum rather than a trait object: there are exactly two back ends, both known here, and
/// callers (the CLI's `history`, the server's case endpoints) want one concrete type they can
/// put behind a `Mutex` and move to a blocking thread. Every method forwards to the back end,
/// so both answer the same way (`tests/backends.rs` runs one scenario on each).
#[derive(Debug)]
pub enum HistoryStore {
    /// A local SQLite file: the default, one per user.
    Sqlite(SqliteStore),
    /// A shared PostgreSQL database (boxed: its client is much larger than a SQLite handle).
    Postgres(Box<PostgresStore>),
}

/// True when `location` names a PostgreSQL database rather than a file.
pub fn is_postgres_url(location: &str) -> bool {
    let l = location.trim_start().to_ascii_lowercase();
    l.starts_with("postgres://") || l.starts_with("postgresql://")
}

macro_rules! both {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            HistoryStore::Sqlite($s) => $e,
            HistoryStore::Postgres($s) => $e,
        }
    };
}

impl HistoryStore {
    /// Open `location`: a PostgreSQL URL or a SQLite path (created if missing).
    pub fn open(location: &str) -> Result<HistoryStore> {
        if is_postgres_url(location) {
            Ok(HistoryStore::Postgres(Box::new(PostgresStore::open(
                location.trim(),
            )?)))
        } else {
            Ok(HistoryStore::Sqlite(SqliteStore::open(Path::new(
                location,
            ))?))
        }
    }

    /// Where the data lives, safe to show (no password).
    pub fn location(&self) -> String {
        match self {
            HistoryStore::Sqlite(s) => s.path().to_string(),
            HistoryStore::Postgres(p) => p.url().to_string(),
        }
    }

    /// The number of [`crate::MIGRATIONS`] applied (they all are once the store is open).
    pub fn schema_version(&mut self) -> Result<i64> {
        both!(self, s => s.schema_version())
    }

    /// Save a case in one transaction and return its new id. The case row is written last,
    /// with the counts of its inputs and evidence, so a reader never sees half a case.
    pub fn save_case(&mut self, case: &NewCase) -> Result<String> {
        both!(self, s => s.save_case(case))
    }

    /// A whole case by its id or an unambiguous prefix of it (what a person types).
    pub fn get_case(&mut self, id_or_prefix: &str) -> Result<Option<StoredCase>> {
        both!(self, s => s.get_case(id_or_prefix))
    }

    /// Newest first, `limit` rows after skipping `offset`.
    pub fn list_cases(&mut self, limit: u32, offset: u32) -> Result<Vec<CaseSummary>> {
        both!(self, s => s.list_cases(limit, offset))
    }

    /// Delete a case with its inputs and evidence; `false` when no case matched.
    pub fn delete_case(&mut self, id_or_prefix: &str) -> Result<bool> {
        both!(self, s => s.delete_case(id_or_prefix))
    }

    /// How many cases are saved.
    pub fn count_cases(&mut self) -> Result<i64> {
        both!(self, s => s.count_cases())
    }

    /// The database is sound and every case is whole (its input and evidence counts match its
    /// rows): what a crash in the middle of a save must leave.
    pub fn check_integrity(&mut self) -> Result<()> {
        both!(self, s => s.check_integrity())
    }

    /// Mark a number trusted or scam (again: the mark and note are replaced).
    pub fn add_number(&mut self, number: &str, mark: Mark, note: &str) -> Result<()> {
        both!(self, s => s.add_number(number, mark, note))
    }

    /// Forget a number; `false` when it was not listed.
    pub fn remove_number(&mut self, number: &str) -> Result<bool> {
        both!(self, s => s.remove_number(number))
    }

    /// The entry of a number, if the user marked it.
    pub fn get_number(&mut self, number: &str) -> Result<Option<NumberEntry>> {
        both!(self, s => s.get_number(number))
    }

    /// Every marked number, ordered by number.
    pub fn list_numbers(&mut self) -> Result<Vec<NumberEntry>> {
        both!(self, s => s.list_numbers())
    }

    /// Write a feed verdict keyed by (name, rules version): [`Upsert::Inserted`] the first
    /// time, [`Upsert::Rewritten`] (row replaced, `writes` + 1) on a repeat. One atomic
    /// statement, safe with several workers writing at once; a worker acks only after this.
    pub fn upsert_domain_verdict(&mut self, v: &DomainVerdict) -> Result<Upsert> {
        both!(self, s => s.upsert_domain_verdict(v))
    }

    /// Write a batch of feed verdicts in one transaction (all or none), one result per
    /// verdict in order. What the screening workers use: one commit per batch.
    pub fn upsert_domain_verdicts(&mut self, batch: &[DomainVerdict]) -> Result<Vec<Upsert>> {
        both!(self, s => s.upsert_domain_verdicts(batch))
    }

    /// Feed verdicts matching `query`, newest write first.
    pub fn list_domain_verdicts(
        &mut self,
        query: &DomainQuery,
    ) -> Result<Vec<StoredDomainVerdict>> {
        both!(self, s => s.list_domain_verdicts(query))
    }

    /// How many feed verdicts match `query` (its limit and offset are ignored).
    pub fn count_domain_verdicts(&mut self, query: &DomainQuery) -> Result<i64> {
        Ok(self.domain_stats(query)?.total)
    }

    /// Rows, writes and rows per verdict of the feed verdicts matching `query`.
    pub fn domain_stats(&mut self, query: &DomainQuery) -> Result<DomainStats> {
        both!(self, s => s.domain_stats(query))
    }

    /// Record a name that kept failing after `deliveries` attempts; recording the same name
    /// again replaces its reason, count and time (one row per name).
    pub fn record_dead_letter(&mut self, name: &str, reason: &str, deliveries: u32) -> Result<()> {
        both!(self, s => s.record_dead_letter(name, reason, deliveries))
    }

    /// The newest `limit` dead letters.
    pub fn list_dead_letters(&mut self, limit: u32) -> Result<Vec<DeadLetter>> {
        both!(self, s => s.list_dead_letters(limit))
    }
}
