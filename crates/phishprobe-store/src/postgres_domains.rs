//! Domain verdicts and dead letters on PostgreSQL: the same statements as on SQLite. Each
//! write is one `INSERT … ON CONFLICT DO UPDATE`, which PostgreSQL makes atomic against
//! concurrent writers of the same key (the second waits for the first, then updates), so
//! workers on several hosts count every delivery exactly once.

use postgres::GenericClient;
use postgres::types::ToSql;

use crate::domains::{
    self, DeadLetter, DomainQuery, DomainStats, DomainVerdict, StoredDomainVerdict, Upsert,
};
use crate::{Backend, PostgresStore, Result};

fn verdict_row(r: &postgres::Row) -> std::result::Result<StoredDomainVerdict, postgres::Error> {
    Ok(StoredDomainVerdict {
        name: r.try_get(0)?,
        rules_version: r.try_get(1)?,
        verdict: r.try_get(2)?,
        score: domains::score_of(r.try_get(3)?),
        brand: r.try_get(4)?,
        report_json: r.try_get(5)?,
        source: r.try_get(6)?,
        first_seen: r.try_get(7)?,
        last_written: r.try_get(8)?,
        writes: r.try_get(9)?,
    })
}

/// Text arguments as the client's parameter list.
fn params(args: &[String]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

/// RETURNING gives the row's write count from the same statement: 1 means inserted.
fn upsert_row(
    client: &mut impl GenericClient,
    v: &DomainVerdict,
) -> std::result::Result<i64, postgres::Error> {
    let row = client.query_one(
        "INSERT INTO domain_verdicts (name, rules_version, verdict, score, brand,
             report_json, source, first_seen, last_written, writes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 1)
         ON CONFLICT (name, rules_version) DO UPDATE SET
             verdict = excluded.verdict, score = excluded.score, brand = excluded.brand,
             report_json = excluded.report_json, source = excluded.source,
             last_written = excluded.last_written,
             writes = domain_verdicts.writes + 1
         RETURNING writes",
        &[
            &v.name,
            &v.rules_version,
            &v.verdict,
            &i64::from(v.score),
            &v.brand,
            &v.report_json,
            &v.source,
            &crate::now(),
        ],
    )?;
    row.try_get(0)
}

fn upsert_all(
    client: &mut postgres::Client,
    batch: &[DomainVerdict],
) -> std::result::Result<Vec<i64>, postgres::Error> {
    let mut tx = client.transaction()?;
    let mut writes = Vec::with_capacity(batch.len());
    for v in batch {
        writes.push(upsert_row(&mut tx, v)?);
    }
    tx.commit()?;
    Ok(writes)
}

impl PostgresStore {
    /// Write a verdict: insert it, or replace the row of the same (name, rules version) and
    /// count the write. Safe to repeat: that is what at-least-once delivery needs.
    pub fn upsert_domain_verdict(&mut self, v: &DomainVerdict) -> Result<Upsert> {
        domains::validate(v)?;
        let writes = upsert_row(&mut self.client, v).map_err(|e| self.err(e))?;
        Ok(Upsert::from_writes(writes))
    }

    /// Write a batch of verdicts in one transaction: all of them or none, one commit.
    /// Every verdict is checked first.
    pub fn upsert_domain_verdicts(&mut self, batch: &[DomainVerdict]) -> Result<Vec<Upsert>> {
        for v in batch {
            domains::validate(v)?;
        }
        let writes = upsert_all(&mut self.client, batch).map_err(|e| self.err(e))?;
        Ok(writes.into_iter().map(Upsert::from_writes).collect())
    }

    /// The verdicts `query` matches, newest write first.
    pub fn list_domain_verdicts(
        &mut self,
        query: &DomainQuery,
    ) -> Result<Vec<StoredDomainVerdict>> {
        let (sql, args) = domains::list_sql(query, Backend::Postgres)?;
        let rows = self
            .client
            .query(&sql, &params(&args))
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(verdict_row)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))
    }

    /// Rows and writes of the verdicts `query` matches (its limit and offset are ignored).
    pub fn domain_stats(&mut self, query: &DomainQuery) -> Result<DomainStats> {
        let (sql, args) = domains::stats_sql(query, Backend::Postgres)?;
        let rows = self
            .client
            .query(&sql, &params(&args))
            .map_err(|e| self.err(e))?;
        let rows = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<std::result::Result<Vec<_>, postgres::Error>>()
            .map_err(|e| self.err(e))?;
        Ok(domains::stats_of(rows))
    }

    /// Record that `name` kept failing; a second record for the same name replaces the first.
    pub fn record_dead_letter(&mut self, name: &str, reason: &str, deliveries: u32) -> Result<()> {
        let name = domains::check_dead_name(name)?;
        self.client
            .execute(
                "INSERT INTO dead_letters (name, reason, deliveries, at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET reason = excluded.reason,
                     deliveries = excluded.deliveries, at = excluded.at",
                &[
                    &name,
                    &domains::clip_reason(reason),
                    &i64::from(deliveries),
                    &crate::now(),
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The newest `limit` dead letters.
    pub fn list_dead_letters(&mut self, limit: u32) -> Result<Vec<DeadLetter>> {
        let rows = self
            .client
            .query(
                "SELECT name, reason, deliveries, at FROM dead_letters
                 ORDER BY at DESC, name LIMIT $1",
                &[&i64::from(limit)],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| {
                Ok(DeadLetter {
                    name: r.try_get(0)?,
                    reason: r.try_get(1)?,
                    deliveries: u32::try_from(r.try_get::<_, i64>(2)?).unwrap_or(u32::MAX),
                    at: r.try_get(3)?,
                })
            })
            .collect::<std::result::Result<Vec<_>, postgres::Error>>()
            .map_err(|e| self.err(e))
    }
}
