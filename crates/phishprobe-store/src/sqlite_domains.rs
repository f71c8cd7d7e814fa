//! Domain verdicts and dead letters on SQLite. Each write is one `INSERT … ON CONFLICT DO UPDATE`
//! statement: atomic on its own, and several worker processes on one file queue on SQLite's
//! write lock (WAL plus the busy timeout set when the store opens) instead of failing.

use rusqlite::params_from_iter;

use crate::domains::{
    self, DeadLetter, DomainQuery, DomainStats, DomainVerdict, StoredDomainVerdict, Upsert,
};
use crate::{Backend, Result, SqliteStore};

fn row_to_verdict(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredDomainVerdict> {
    Ok(StoredDomainVerdict {
        name: r.get(0)?,
        rules_version: r.get(1)?,
        verdict: r.get(2)?,
        score: domains::score_of(r.get(3)?),
        brand: r.get(4)?,
        report_json: r.get(5)?,
        source: r.get(6)?,
        first_seen: r.get(7)?,
        last_written: r.get(8)?,
        writes: r.get(9)?,
    })
}

/// RETURNING gives the row's write count from the same statement: 1 means inserted.
fn upsert_row(conn: &rusqlite::Connection, v: &DomainVerdict) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO domain_verdicts (name, rules_version, verdict, score, brand,
             report_json, source, first_seen, last_written, writes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 1)
         ON CONFLICT (name, rules_version) DO UPDATE SET
             verdict = excluded.verdict, score = excluded.score, brand = excluded.brand,
             report_json = excluded.report_json, source = excluded.source,
             last_written = excluded.last_written,
             writes = domain_verdicts.writes + 1
         RETURNING writes",
    )?
    .query_row(
        rusqlite::params![
            v.name,
            v.rules_version,
            v.verdict,
            i64::from(v.score),
            v.brand,
            v.report_json,
            v.source,
            crate::now()
        ],
        |r| r.get(0),
    )
}

/// The batch in one IMMEDIATE transaction: it takes the write lock at the start (waiting on
/// the busy timeout), so it never fails halfway on a lock another worker took meanwhile.
fn upsert_all(
    conn: &mut rusqlite::Connection,
    batch: &[DomainVerdict],
) -> rusqlite::Result<Vec<i64>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut writes = Vec::with_capacity(batch.len());
    for v in batch {
        writes.push(upsert_row(&tx, v)?);
    }
    tx.commit()?;
    Ok(writes)
}

impl SqliteStore {
    /// Write a verdict: insert it, or replace the row of the same (name, rules version) and
    /// count the write. Safe to repeat: that is what at-least-once delivery needs.
    pub fn upsert_domain_verdict(&mut self, v: &DomainVerdict) -> Result<Upsert> {
        domains::validate(v)?;
        let writes = upsert_row(&self.conn, v).map_err(|e| self.err(e))?;
        Ok(Upsert::from_writes(writes))
    }

    /// Write a batch of verdicts in one transaction: all of them or none (a worker killed
    /// midway leaves no half batch), and one commit instead of one per name, so several
    /// workers on one file wait less for each other. Every verdict is checked first.
    pub fn upsert_domain_verdicts(&mut self, batch: &[DomainVerdict]) -> Result<Vec<Upsert>> {
        for v in batch {
            domains::validate(v)?;
        }
        let writes = upsert_all(&mut self.conn, batch).map_err(|e| self.err(e))?;
        Ok(writes.into_iter().map(Upsert::from_writes).collect())
    }

    /// The verdicts `query` matches, newest write first.
    pub fn list_domain_verdicts(&self, query: &DomainQuery) -> Result<Vec<StoredDomainVerdict>> {
        let (sql, args) = domains::list_sql(query, Backend::Sqlite)?;
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), row_to_verdict)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Rows and writes of the verdicts `query` matches (its limit and offset are ignored).
    pub fn domain_stats(&self, query: &DomainQuery) -> Result<DomainStats> {
        let (sql, args) = domains::stats_sql(query, Backend::Sqlite)?;
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(domains::stats_of(rows))
    }

    /// Record that `name` kept failing; a second record for the same name replaces the first.
    pub fn record_dead_letter(&mut self, name: &str, reason: &str, deliveries: u32) -> Result<()> {
        let name = domains::check_dead_name(name)?;
        self.conn
            .execute(
                "INSERT INTO dead_letters (name, reason, deliveries, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET reason = excluded.reason,
                     deliveries = excluded.deliveries, at = excluded.at",
                rusqlite::params![
                    name,
                    domains::clip_reason(reason),
                    i64::from(deliveries),
                    crate::now()
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The newest `limit` dead letters.
    pub fn list_dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name, reason, deliveries, at FROM dead_letters
                 ORDER BY at DESC, name LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([i64::from(limit)], |r| {
                Ok(DeadLetter {
                    name: r.get(0)?,
                    reason: r.get(1)?,
                    deliveries: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(u32::MAX),
                    at: r.get(3)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }
}
