//! # phishprobe-store
//!
//! The user's local phishprobe database: one SQLite file in the user's data folder
//! (`$XDG_DATA_HOME/phishprobe/phishprobe.db` or the platform equivalent), overridable with
//! `--db PATH` or `PHISHPROBE_DB`.
//!
//! Why SQLite: several phishprobe processes (a shell loop, the server, a batch) may touch the
//! list at the same time; SQLite in WAL mode with a busy timeout serialises writers safely
//! without a daemon. The schema is versioned from day one ([`MIGRATIONS`], tracked in
//! `PRAGMA user_version`) so later issues can add case-history tables by appending a migration.
//!
//! The domain feed's workers write their verdicts here too ([`domains`]): one row per
//! (hostname, rules version), written by an idempotent upsert because delivery repeats.
//!
//! The analysis core never touches this crate: the CLI looks a number up here and hands the
//! mark to `phishprobe_core::phone::check_with_mark`, so the core stays free of I/O.
#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use thiserror::Error;

pub mod cases;
pub mod domains;
mod history;
mod postgres_domains;
mod postgres_store;
mod sqlite_cases;
mod sqlite_domains;
pub mod testing;

pub use history::{HistoryStore, is_postgres_url};
pub use postgres_store::PostgresStore;

pub use cases::{CaseInput, CaseSummary, EvidenceFile, NewCase, StoredCase, StoredInput};
pub use domains::{
    DeadLetter, DomainQuery, DomainStats, DomainVerdict, StoredDomainVerdict, Upsert,
};

/// Errors of the local store. Messages name the file so the user can act on them.
#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite refused an operation on the file.
    #[error("{path}: {source}")]
    Sqlite {
        /// The database file, as the user gave it.
        path: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The folder the database goes in could not be created.
    #[error("cannot create the folder for the database {path}: {source}")]
    Folder {
        /// The database file whose folder was missing.
        path: String,
        /// Why the folder could not be made.
        #[source]
        source: std::io::Error,
    },
    /// The file was migrated by a newer phishprobe: refusing beats corrupting it.
    #[error(
        "{path}: database schema version {found} is newer than this phishprobe understands ({known}); update phishprobe"
    )]
    TooNew {
        /// The database file or URL.
        path: String,
        /// Its schema version.
        found: i64,
        /// The newest version this build knows ([`MIGRATIONS`]`.len()`).
        known: i64,
    },
    /// PostgreSQL refused a connection or an operation.
    #[error("PostgreSQL {url}: {source}")]
    Postgres {
        /// The connection URL without its password.
        url: String,
        /// What the server or client said.
        #[source]
        source: postgres::Error,
    },
    /// No `--db`, no `PHISHPROBE_DB` and no platform data folder to put the file in.
    #[error("no data folder found: set PHISHPROBE_DB or pass --db PATH")]
    NoDataDir,
    /// Input the store refuses before writing (an oversized case, a malformed id or number):
    /// the message says what and why.
    #[error("{0}")]
    Invalid(String),
}

/// The store's results: every error is a [`StoreError`] that names the file or URL.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Schema migrations, applied in order; the version (`PRAGMA user_version` on SQLite, the
/// `phishprobe_schema` table on PostgreSQL) holds how many have run. Append new entries, never
/// edit or reorder old ones: a user's file may be at any version. The same list runs on both
/// back ends; `{bigint}` and `{blob}` become each one's type names ([`render`]).
pub const MIGRATIONS: &[&str] = &[
    // 1: the user's own list of numbers marked trusted or scam.
    "CREATE TABLE numbers (
        number     TEXT PRIMARY KEY,   -- E.164 when it parsed, else the digits as typed
        mark       TEXT NOT NULL CHECK (mark IN ('trusted', 'scam')),
        note       TEXT NOT NULL DEFAULT '',
        added_at   {bigint} NOT NULL,  -- unix seconds
        updated_at {bigint} NOT NULL
    );",
    // 2: case history. A case row is written last in its transaction, with the counts of its
    // inputs and evidence, so a reader can check a case is whole.
    "CREATE TABLE cases (
        id             TEXT PRIMARY KEY,
        created_at     {bigint} NOT NULL,  -- unix milliseconds
        verdict        TEXT NOT NULL CHECK (verdict IN ('genuine', 'unknown', 'suspicious', 'phishing')),
        brand          TEXT,
        score          {bigint} NOT NULL,
        title          TEXT NOT NULL,
        inputs_kept    {bigint} NOT NULL,  -- 1: contents kept, 0: only SHA-256 and size
        input_count    {bigint} NOT NULL,
        evidence_count {bigint} NOT NULL,
        report_json    TEXT NOT NULL
    );
    CREATE INDEX cases_by_time ON cases (created_at);
    CREATE TABLE case_inputs (
        case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
        seq     {bigint} NOT NULL,
        kind    TEXT NOT NULL,
        name    TEXT NOT NULL,
        sha256  TEXT NOT NULL,
        size    {bigint} NOT NULL,
        content {blob},
        PRIMARY KEY (case_id, seq)
    );
    CREATE TABLE case_evidence (
        case_id    TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
        seq        {bigint} NOT NULL,
        name       TEXT NOT NULL,
        media_type TEXT NOT NULL,
        sha256     TEXT NOT NULL,
        content    {blob} NOT NULL,
        PRIMARY KEY (case_id, seq)
    );",
    // 3: the domain feed. One row per (hostname, rules version): feed workers get each name
    // at least once, so a repeated delivery rewrites the row (and counts it in `writes`)
    // instead of adding one. A dead letter is a name that kept failing, one row per name.
    "CREATE TABLE domain_verdicts (
        name          TEXT NOT NULL,      -- canonical ASCII hostname (lower case, punycode)
        rules_version TEXT NOT NULL,      -- the rules that judged it: a new version is a new row
        verdict       TEXT NOT NULL CHECK (verdict IN ('genuine', 'unknown', 'suspicious', 'phishing')),
        score         {bigint} NOT NULL,
        brand         TEXT,
        report_json   TEXT NOT NULL,
        source        TEXT NOT NULL,      -- where the name came from (ct:LOG-URL, certstream)
        first_seen    {bigint} NOT NULL,  -- unix seconds of the first write
        last_written  {bigint} NOT NULL,  -- unix seconds of the latest write
        writes        {bigint} NOT NULL,  -- 1 on insert, +1 per repeated delivery
        PRIMARY KEY (name, rules_version)
    );
    CREATE INDEX domain_verdicts_by_verdict ON domain_verdicts (verdict);
    CREATE INDEX domain_verdicts_by_time ON domain_verdicts (last_written);
    CREATE TABLE dead_letters (
        name       TEXT PRIMARY KEY,
        reason     TEXT NOT NULL,
        deliveries {bigint} NOT NULL,
        at         {bigint} NOT NULL      -- unix seconds of the latest record
    );",
];

/// Which database a migration is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (`INTEGER`, `BLOB`).
    Sqlite,
    /// PostgreSQL (`BIGINT`, `BYTEA`).
    Postgres,
}

/// A migration with the back end's type names filled in.
pub fn render(sql: &str, backend: Backend) -> String {
    let (bigint, blob) = match backend {
        Backend::Sqlite => ("INTEGER", "BLOB"),
        Backend::Postgres => ("BIGINT", "BYTEA"),
    };
    sql.replace("{bigint}", bigint).replace("{blob}", blob)
}

/// How the user marked a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    /// The user knows this number is genuine (a bank's real line, a friend).
    Trusted,
    /// The user knows this number is a scammer's.
    Scam,
}

impl Mark {
    /// The word stored in the database and shown in JSON (`trusted`, `scam`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Trusted => "trusted",
            Mark::Scam => "scam",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Mark> {
        match s {
            "trusted" => Some(Mark::Trusted),
            "scam" => Some(Mark::Scam),
            _ => None,
        }
    }
}

/// One row of the numbers list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberEntry {
    /// E.164 when the number parsed, else the digits as typed (the table's key).
    pub number: String,
    /// How the user marked it.
    pub mark: Mark,
    /// The user's own words about it (may be empty).
    pub note: String,
    /// When it was first added, unix seconds.
    pub added_at: i64,
    /// When the mark or note last changed, unix seconds.
    pub updated_at: i64,
}

/// Longest note kept; longer notes are an input error rather than silently cut.
pub const MAX_NOTE: usize = 1000;
/// Longest number key kept (E.164 is at most 16 characters; typed digits a bit more).
pub const MAX_NUMBER: usize = 64;

/// The database path: `explicit` (from `--db`), else `PHISHPROBE_DB`, else the user's data folder.
pub fn resolve_path(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("PHISHPROBE_DB").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let base = dirs::data_dir().ok_or(StoreError::NoDataDir)?;
    Ok(base.join("phishprobe").join("phishprobe.db"))
}

/// An open SQLite store: the user's local file (numbers list and case history). One per process
/// or thread; SQLite handles the locking between them. [`HistoryStore`] picks this or
/// [`PostgresStore`] from a location.
pub struct SqliteStore {
    pub(crate) conn: Connection,
    pub(crate) path: String,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl SqliteStore {
    /// Open (creating the file and its folder if needed) and bring the schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: shown.clone(),
            source,
        })?;
        let mut store = SqliteStore { conn, path: shown };
        store.setup()?;
        Ok(store)
    }

    /// An in-memory store (tests, the wasm-free server's throwaway mode).
    pub fn open_in_memory() -> Result<SqliteStore> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
            path: ":memory:".into(),
            source,
        })?;
        let mut store = SqliteStore {
            conn,
            path: ":memory:".into(),
        };
        store.setup()?;
        Ok(store)
    }

    /// The database file as given, for messages.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub(crate) fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn setup(&mut self) -> Result<()> {
        // Wait for other writers instead of failing at once with "database is locked".
        self.conn.busy_timeout(BUSY_WAIT).map_err(|e| self.err(e))?;
        // WAL: readers never block the writer and vice versa. In-memory databases ignore it.
        // Switching a fresh file to WAL needs an exclusive lock, and SQLite answers "busy"
        // at once (without the busy handler) when two connections would deadlock on it, so
        // the switch and the migrations are retried for a bounded time instead.
        retry_busy(|| {
            self.conn
                .query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))
                .map(drop)
        })
        .map_err(|e| self.err(e))?;
        self.conn
            .execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
            .map_err(|e| self.err(e))?;
        let deadline = std::time::Instant::now() + BUSY_WAIT;
        loop {
            match self.migrate() {
                Err(StoreError::Sqlite { source, .. })
                    if is_busy(&source) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    /// Current schema version (number of migrations applied).
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Apply the missing migrations, each in its own immediate transaction so two processes
    /// opening a fresh file at once don't both run migration 1.
    fn migrate(&mut self) -> Result<()> {
        let known = MIGRATIONS.len() as i64;
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|source| StoreError::Sqlite {
                    path: self.path.clone(),
                    source,
                })?;
            let version: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(|source| StoreError::Sqlite {
                    path: self.path.clone(),
                    source,
                })?;
            if version > known {
                return Err(StoreError::TooNew {
                    path: self.path.clone(),
                    found: version,
                    known,
                });
            }
            let Some(sql) = usize::try_from(version)
                .ok()
                .and_then(|v| MIGRATIONS.get(v))
            else {
                return Ok(());
            };
            let wrap = |source| StoreError::Sqlite {
                path: self.path.clone(),
                source,
            };
            tx.execute_batch(&render(sql, Backend::Sqlite))
                .map_err(wrap)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", version + 1))
                .map_err(wrap)?;
            tx.commit().map_err(wrap)?;
        }
    }

    /// Add or re-mark a number (the key is whatever the caller normalised it to, E.164 ideally).
    pub fn add_number(&self, number: &str, mark: Mark, note: &str) -> Result<()> {
        let number = check_number_input(number, note)?;
        let t = now();
        self.conn
            .execute(
                "INSERT INTO numbers (number, mark, note, added_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT(number) DO UPDATE SET mark = excluded.mark,
                     note = excluded.note, updated_at = excluded.updated_at",
                params![number, mark.as_str(), note, t],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Remove a number; `Ok(false)` if it was not on the list.
    pub fn remove_number(&self, number: &str) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "DELETE FROM numbers WHERE number = ?1",
                params![number.trim()],
            )
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// The entry of a number, if the user marked it.
    pub fn get_number(&self, number: &str) -> Result<Option<NumberEntry>> {
        self.conn
            .query_row(
                "SELECT number, mark, note, added_at, updated_at FROM numbers WHERE number = ?1",
                params![number.trim()],
                row_to_entry,
            )
            .optional()
            .map_err(|e| self.err(e))
            .map(Option::flatten)
    }

    /// The whole list, sorted by number.
    pub fn list_numbers(&self) -> Result<Vec<NumberEntry>> {
        let mut stmt = self
            .conn
            .prepare("SELECT number, mark, note, added_at, updated_at FROM numbers ORDER BY number")
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], row_to_entry).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for r in rows {
            if let Some(e) = r.map_err(|e| self.err(e))? {
                out.push(e);
            }
        }
        Ok(out)
    }
}

/// The trimmed number, or why it cannot be listed.
pub(crate) fn check_number_input<'a>(number: &'a str, note: &str) -> Result<&'a str> {
    let number = number.trim();
    if number.is_empty() || number.len() > MAX_NUMBER {
        return Err(StoreError::Invalid(format!(
            "a number must be 1 to {MAX_NUMBER} characters"
        )));
    }
    if note.len() > MAX_NOTE {
        return Err(StoreError::Invalid(format!(
            "the note is longer than {MAX_NOTE} bytes"
        )));
    }
    Ok(number)
}

/// How long opening a database waits for other processes before giving up.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// True for SQLite's "busy"/"locked" answers, which are worth retrying.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Run `f` until it stops answering busy, for at most [`BUSY_WAIT`].
fn retry_busy(mut f: impl FnMut() -> rusqlite::Result<()>) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + BUSY_WAIT;
    loop {
        match f() {
            Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// A row with an unknown mark (written by a newer version) is skipped rather than an error.
fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<NumberEntry>> {
    let mark: String = r.get(1)?;
    Ok(Mark::parse(&mark).map(|mark| NumberEntry {
        number: r.get(0).unwrap_or_default(),
        mark,
        note: r.get(2).unwrap_or_default(),
        added_at: r.get(3).unwrap_or_default(),
        updated_at: r.get(4).unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_list_remove() {
        let s = SqliteStore::open_in_memory().unwrap();
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
        s.add_number("+18882804331", Mark::Trusted, "Amazon, called out")
            .unwrap();
        s.add_number("+15555550100", Mark::Scam, "").unwrap();
        s.add_number("+15555550100", Mark::Trusted, "changed my mind")
            .unwrap();
        let all = s.list_numbers().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].number, "+15555550100");
        assert_eq!(all[0].mark, Mark::Trusted);
        assert_eq!(all[0].note, "changed my mind");
        assert!(s.remove_number("+15555550100").unwrap());
        assert!(!s.remove_number("+15555550100").unwrap());
        assert!(s.get_number("+15555550100").unwrap().is_none());
        assert_eq!(
            s.get_number("+18882804331").unwrap().map(|e| e.mark),
            Some(Mark::Trusted)
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let s = SqliteStore::open_in_memory().unwrap();
        assert!(s.add_number("", Mark::Scam, "").is_err());
        assert!(s.add_number(&"9".repeat(100), Mark::Scam, "").is_err());
        assert!(s.add_number("+1", Mark::Scam, &"x".repeat(5000)).is_err());
    }
}
