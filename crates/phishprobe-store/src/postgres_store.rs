//! [`PostgresStore`]: the same store on PostgreSQL, so several `phishprobe serve` instances behind a load balancer
//! share one history. Same migrations ([`crate::MIGRATIONS`], rendered with PostgreSQL's type
//! names), same tables, same checks; the version lives in table `phishprobe_schema`, and
//! migrations run under a transaction-scoped advisory lock so instances starting together
//! migrate once.
//!
//! The client is synchronous (`postgres`, which runs its own small runtime): async callers use
//! it from a blocking thread (`tokio::task::spawn_blocking`).
//!
//! Connections are plain TCP or a Unix socket (no TLS in this build): meant for a database on the
//! same host or private network; `sslmode=require` in the URL is refused with a clear error.

use std::time::Duration;

use phishprobe_core::redact::redact_url;
use postgres::{Client, NoTls, Transaction};

use crate::cases::{self, CaseSummary, EvidenceFile, NewCase, StoredCase, StoredInput};
use crate::{Backend, MIGRATIONS, Mark, NumberEntry, Result, StoreError, render};

/// Arbitrary constant naming phishprobe's migration lock among advisory locks.
const MIGRATION_LOCK: i64 = 0x7068_6973_6870_7262; // "phishprb"

/// An open PostgreSQL store: the same tables and answers as [`crate::SqliteStore`], shared by
/// several server instances.
pub struct PostgresStore {
    pub(crate) client: Client,
    /// The URL with any password removed, for messages.
    shown: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.shown)
            .finish()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn summary(r: &postgres::Row) -> std::result::Result<CaseSummary, postgres::Error> {
    Ok(CaseSummary {
        id: r.try_get(0)?,
        created_at: r.try_get(1)?,
        verdict: r.try_get(2)?,
        brand: r.try_get(3)?,
        score: r.try_get(4)?,
        title: r.try_get(5)?,
        inputs_kept: r.try_get::<_, i64>(6)? != 0,
    })
}

const SUMMARY_COLUMNS: &str = "id, created_at, verdict, brand, score, title, inputs_kept";

impl PostgresStore {
    /// Connect (10 s timeout) and bring the schema up to date.
    pub fn open(url: &str) -> Result<PostgresStore> {
        let shown = redact_url(url);
        let mut config: postgres::Config = url.parse().map_err(|source| StoreError::Postgres {
            url: shown.clone(),
            source,
        })?;
        if config.get_ssl_mode() == postgres::config::SslMode::Require {
            return Err(StoreError::Invalid(format!(
                "{shown}: sslmode=require is not supported by this build (no TLS); use a local or private-network database"
            )));
        }
        config.connect_timeout(Duration::from_secs(10));
        let client = config
            .connect(NoTls)
            .map_err(|source| StoreError::Postgres {
                url: shown.clone(),
                source,
            })?;
        let mut store = PostgresStore { client, shown };
        store.migrate()?;
        Ok(store)
    }

    /// The connection URL without its password, for messages.
    pub fn url(&self) -> &str {
        &self.shown
    }

    pub(crate) fn err(&self, source: postgres::Error) -> StoreError {
        StoreError::Postgres {
            url: self.shown.clone(),
            source,
        }
    }

    fn migrate(&mut self) -> Result<()> {
        let shown = self.shown.clone();
        let wrap = |source| StoreError::Postgres {
            url: shown.clone(),
            source,
        };
        let known = MIGRATIONS.len() as i64;
        let mut tx = self.client.transaction().map_err(wrap)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(wrap)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS phishprobe_schema (version BIGINT NOT NULL)")
            .map_err(wrap)?;
        let version: i64 = match tx
            .query_opt("SELECT version FROM phishprobe_schema", &[])
            .map_err(wrap)?
        {
            Some(row) => row.try_get(0).map_err(wrap)?,
            None => {
                tx.execute("INSERT INTO phishprobe_schema (version) VALUES (0)", &[])
                    .map_err(wrap)?;
                0
            }
        };
        if version > known {
            return Err(StoreError::TooNew {
                path: shown.clone(),
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(&render(sql, Backend::Postgres))
                .map_err(wrap)?;
            tx.execute(
                "UPDATE phishprobe_schema SET version = $1",
                &[&(i as i64 + 1)],
            )
            .map_err(wrap)?;
        }
        tx.commit().map_err(wrap)
    }

    /// The number of [`crate::MIGRATIONS`] applied (they all are once the store is open).
    pub fn schema_version(&mut self) -> Result<i64> {
        let row = self
            .client
            .query_one("SELECT version FROM phishprobe_schema", &[])
            .map_err(|e| self.err(e))?;
        row.try_get(0).map_err(|e| self.err(e))
    }

    // ------------------------------------------------------------ numbers

    /// Mark a number trusted or scam (again: the mark and note are replaced).
    pub fn add_number(&mut self, number: &str, mark: Mark, note: &str) -> Result<()> {
        let number = crate::check_number_input(number, note)?;
        let t = crate::now();
        self.client
            .execute(
                "INSERT INTO numbers (number, mark, note, added_at, updated_at)
                 VALUES ($1, $2, $3, $4, $4)
                 ON CONFLICT (number) DO UPDATE SET mark = excluded.mark,
                     note = excluded.note, updated_at = excluded.updated_at",
                &[&number, &mark.as_str(), &note, &t],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Forget a number; `false` when it was not listed.
    pub fn remove_number(&mut self, number: &str) -> Result<bool> {
        let n = self
            .client
            .execute("DELETE FROM numbers WHERE number = $1", &[&number.trim()])
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// The entry of a number, if the user marked it.
    pub fn get_number(&mut self, number: &str) -> Result<Option<NumberEntry>> {
        let row = self
            .client
            .query_opt(
                "SELECT number, mark, note, added_at, updated_at FROM numbers WHERE number = $1",
                &[&number.trim()],
            )
            .map_err(|e| self.err(e))?;
        Ok(row.and_then(|r| number_row(&r)))
    }

    /// Every marked number, ordered by number.
    pub fn list_numbers(&mut self) -> Result<Vec<NumberEntry>> {
        let rows = self
            .client
            .query(
                "SELECT number, mark, note, added_at, updated_at FROM numbers ORDER BY number",
                &[],
            )
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().filter_map(number_row).collect())
    }

    // ------------------------------------------------------------ cases

    /// Save a case in one transaction and return its new id. The case row is written last,
    /// with the counts of its inputs and evidence, so a reader never sees half a case.
    pub fn save_case(&mut self, case: &NewCase) -> Result<String> {
        cases::validate(case)?;
        let inputs = cases::input_rows(case);
        let shown = self.shown.clone();
        let wrap = |source| StoreError::Postgres {
            url: shown.clone(),
            source,
        };
        for _ in 0..4 {
            let id = cases::new_id();
            let mut tx = self.client.transaction().map_err(wrap)?;
            if tx
                .query_opt("SELECT 1 FROM cases WHERE id = $1", &[&id])
                .map_err(wrap)?
                .is_some()
            {
                continue;
            }
            write_case(&mut tx, &id, case, &inputs).map_err(wrap)?;
            tx.commit().map_err(wrap)?;
            return Ok(id);
        }
        Err(StoreError::Invalid(
            "could not find a free case id; try again".into(),
        ))
    }

    /// Newest first, `limit` rows after skipping `offset`.
    pub fn list_cases(&mut self, limit: u32, offset: u32) -> Result<Vec<CaseSummary>> {
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT {SUMMARY_COLUMNS} FROM cases ORDER BY created_at DESC, id LIMIT $1 OFFSET $2"
                ),
                &[&i64::from(limit), &i64::from(offset)],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(summary)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))
    }

    /// The full id of the one case `id_or_prefix` names, `None` when none does; an error
    /// when the prefix is ambiguous.
    pub fn resolve_case_id(&mut self, id_or_prefix: &str) -> Result<Option<String>> {
        let id = cases::check_id(id_or_prefix)?;
        let rows = self
            .client
            .query(
                "SELECT id FROM cases WHERE id >= $1 AND id < $1 || '~' ORDER BY id LIMIT 2",
                &[&id],
            )
            .map_err(|e| self.err(e))?;
        let found: Vec<String> = rows.iter().filter_map(|r| r.try_get(0).ok()).collect();
        cases::pick_resolved(found, id)
    }

    /// A whole case by its id or an unambiguous prefix of it (what a person types).
    pub fn get_case(&mut self, id_or_prefix: &str) -> Result<Option<StoredCase>> {
        let Some(id) = self.resolve_case_id(id_or_prefix)? else {
            return Ok(None);
        };
        let Some(head) = self
            .client
            .query_opt(
                &format!(
                    "SELECT {SUMMARY_COLUMNS}, report_json, input_count, evidence_count FROM cases WHERE id = $1"
                ),
                &[&id],
            )
            .map_err(|e| self.err(e))?
        else {
            return Ok(None);
        };
        let s = summary(&head).map_err(|e| self.err(e))?;
        let report_json: String = head.try_get(7).map_err(|e| self.err(e))?;
        let input_count: i64 = head.try_get(8).map_err(|e| self.err(e))?;
        let evidence_count: i64 = head.try_get(9).map_err(|e| self.err(e))?;
        let rows = self
            .client
            .query(
                "SELECT kind, name, sha256, size, content FROM case_inputs WHERE case_id = $1 ORDER BY seq",
                &[&id],
            )
            .map_err(|e| self.err(e))?;
        let inputs = rows
            .iter()
            .map(|r| {
                Ok(StoredInput {
                    kind: r.try_get(0)?,
                    name: r.try_get(1)?,
                    sha256: r.try_get(2)?,
                    size: r.try_get(3)?,
                    content: r.try_get(4)?,
                })
            })
            .collect::<std::result::Result<Vec<_>, postgres::Error>>()
            .map_err(|e| self.err(e))?;
        let rows = self
            .client
            .query(
                "SELECT name, media_type, content FROM case_evidence WHERE case_id = $1 ORDER BY seq",
                &[&id],
            )
            .map_err(|e| self.err(e))?;
        let evidence = rows
            .iter()
            .map(|r| {
                Ok(EvidenceFile {
                    name: r.try_get(0)?,
                    media_type: r.try_get(1)?,
                    content: r.try_get(2)?,
                })
            })
            .collect::<std::result::Result<Vec<_>, postgres::Error>>()
            .map_err(|e| self.err(e))?;
        if inputs.len() as i64 != input_count || evidence.len() as i64 != evidence_count {
            return Err(StoreError::Invalid(format!(
                "case {id} is incomplete in {}",
                self.shown
            )));
        }
        Ok(Some(StoredCase {
            summary: s,
            report_json,
            inputs,
            evidence,
        }))
    }

    /// Delete a case with its inputs and evidence; `false` when no case matched.
    pub fn delete_case(&mut self, id_or_prefix: &str) -> Result<bool> {
        let Some(id) = self.resolve_case_id(id_or_prefix)? else {
            return Ok(false);
        };
        let n = self
            .client
            .execute("DELETE FROM cases WHERE id = $1", &[&id])
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// How many cases are saved.
    pub fn count_cases(&mut self) -> Result<i64> {
        let row = self
            .client
            .query_one("SELECT count(*) FROM cases", &[])
            .map_err(|e| self.err(e))?;
        row.try_get(0).map_err(|e| self.err(e))
    }

    /// Every case whole, nothing orphaned.
    pub fn check_integrity(&mut self) -> Result<()> {
        let row = self
            .client
            .query_one(
                "SELECT
                   (SELECT count(*) FROM cases c WHERE
                      c.input_count != (SELECT count(*) FROM case_inputs i WHERE i.case_id = c.id)
                   OR c.evidence_count != (SELECT count(*) FROM case_evidence e WHERE e.case_id = c.id)),
                   (SELECT count(*) FROM case_inputs WHERE case_id NOT IN (SELECT id FROM cases))
                 + (SELECT count(*) FROM case_evidence WHERE case_id NOT IN (SELECT id FROM cases))",
                &[],
            )
            .map_err(|e| self.err(e))?;
        let broken: i64 = row.try_get(0).map_err(|e| self.err(e))?;
        let orphans: i64 = row.try_get(1).map_err(|e| self.err(e))?;
        if broken + orphans > 0 {
            return Err(StoreError::Invalid(format!(
                "{}: {broken} incomplete cases, {orphans} orphaned rows",
                self.shown
            )));
        }
        Ok(())
    }
}

fn write_case(
    tx: &mut Transaction<'_>,
    id: &str,
    case: &NewCase,
    inputs: &[StoredInput],
) -> std::result::Result<(), postgres::Error> {
    for (seq, i) in inputs.iter().enumerate() {
        tx.execute(
            "INSERT INTO case_inputs (case_id, seq, kind, name, sha256, size, content)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &id,
                &(seq as i64),
                &i.kind,
                &i.name,
                &i.sha256,
                &i.size,
                &i.content,
            ],
        )?;
    }
    for (seq, e) in case.evidence.iter().enumerate() {
        tx.execute(
            "INSERT INTO case_evidence (case_id, seq, name, media_type, sha256, content)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &id,
                &(seq as i64),
                &e.name,
                &e.media_type,
                &cases::sha256_hex(&e.content),
                &e.content,
            ],
        )?;
    }
    tx.execute(
        "INSERT INTO cases (id, created_at, verdict, brand, score, title, inputs_kept,
                            input_count, evidence_count, report_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &id,
            &now_ms(),
            &case.verdict,
            &case.brand,
            &case.score,
            &cases::clip_title(&case.title),
            &i64::from(case.keep_inputs),
            &(inputs.len() as i64),
            &(case.evidence.len() as i64),
            &case.report_json,
        ],
    )?;
    Ok(())
}

fn number_row(r: &postgres::Row) -> Option<NumberEntry> {
    let mark: String = r.try_get(1).ok()?;
    Some(NumberEntry {
        number: r.try_get(0).ok()?,
        mark: Mark::parse(&mark)?,
        note: r.try_get(2).unwrap_or_default(),
        added_at: r.try_get(3).unwrap_or_default(),
        updated_at: r.try_get(4).unwrap_or_default(),
    })
}
