//! Case history on SQLite: one `BEGIN IMMEDIATE` transaction per saved case (inputs, evidence,
//! then the case row), so a process killed mid-write leaves the file as it was before.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::cases::{self, CaseSummary, EvidenceFile, NewCase, StoredCase, StoredInput};
use crate::{Result, SqliteStore, StoreError};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

const SUMMARY_COLUMNS: &str = "id, created_at, verdict, brand, score, title, inputs_kept";

fn row_to_summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<CaseSummary> {
    Ok(CaseSummary {
        id: r.get(0)?,
        created_at: r.get(1)?,
        verdict: r.get(2)?,
        brand: r.get(3)?,
        score: r.get(4)?,
        title: r.get(5)?,
        inputs_kept: r.get::<_, i64>(6)? != 0,
    })
}

impl SqliteStore {
    /// Save a whole case and return its id.
    pub fn save_case(&mut self, case: &NewCase) -> Result<String> {
        cases::validate(case)?;
        let inputs = cases::input_rows(case);
        let path = self.path.clone();
        let wrap = move |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        // A fresh id collides with an existing one about never; retry a few times anyway.
        for _ in 0..4 {
            let id = cases::new_id();
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(&wrap)?;
            let taken: bool = tx
                .query_row("SELECT 1 FROM cases WHERE id = ?1", params![id], |_| Ok(()))
                .optional()
                .map_err(&wrap)?
                .is_some();
            if taken {
                continue;
            }
            for (seq, i) in inputs.iter().enumerate() {
                tx.execute(
                    "INSERT INTO case_inputs (case_id, seq, kind, name, sha256, size, content)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![id, seq as i64, i.kind, i.name, i.sha256, i.size, i.content],
                )
                .map_err(&wrap)?;
            }
            for (seq, e) in case.evidence.iter().enumerate() {
                tx.execute(
                    "INSERT INTO case_evidence (case_id, seq, name, media_type, sha256, content)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        id,
                        seq as i64,
                        e.name,
                        e.media_type,
                        cases::sha256_hex(&e.content),
                        e.content
                    ],
                )
                .map_err(&wrap)?;
            }
            tx.execute(
                "INSERT INTO cases (id, created_at, verdict, brand, score, title, inputs_kept,
                                    input_count, evidence_count, report_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    id,
                    now_ms(),
                    case.verdict,
                    case.brand,
                    case.score,
                    cases::clip_title(&case.title),
                    i64::from(case.keep_inputs),
                    inputs.len() as i64,
                    case.evidence.len() as i64,
                    case.report_json
                ],
            )
            .map_err(&wrap)?;
            tx.commit().map_err(&wrap)?;
            return Ok(id);
        }
        Err(StoreError::Invalid(
            "could not find a free case id; try again".into(),
        ))
    }

    /// Newest first.
    pub fn list_cases(&self, limit: u32, offset: u32) -> Result<Vec<CaseSummary>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM cases ORDER BY created_at DESC, id LIMIT ?1 OFFSET ?2"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![limit, offset], row_to_summary)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// The full id of the case `id_or_prefix` names; an error when the prefix is ambiguous.
    pub fn resolve_case_id(&self, id_or_prefix: &str) -> Result<Option<String>> {
        let id = cases::check_id(id_or_prefix)?;
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM cases WHERE id >= ?1 AND id < ?1 || '~' ORDER BY id LIMIT 2")
            .map_err(|e| self.err(e))?;
        let found = stmt
            .query_map(params![id], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        cases::pick_resolved(found, id)
    }

    /// A whole case by id (or unique prefix); `None` when there is no such case.
    pub fn get_case(&self, id_or_prefix: &str) -> Result<Option<StoredCase>> {
        let Some(id) = self.resolve_case_id(id_or_prefix)? else {
            return Ok(None);
        };
        let head = self
            .conn
            .query_row(
                &format!(
                    "SELECT {SUMMARY_COLUMNS}, report_json, input_count, evidence_count FROM cases WHERE id = ?1"
                ),
                params![id],
                |r| {
                    Ok((
                        row_to_summary(r)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, i64>(8)?,
                        r.get::<_, i64>(9)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((summary, report_json, input_count, evidence_count)) = head else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT kind, name, sha256, size, content FROM case_inputs
                 WHERE case_id = ?1 ORDER BY seq",
            )
            .map_err(|e| self.err(e))?;
        let inputs = stmt
            .query_map(params![id], |r| {
                Ok(StoredInput {
                    kind: r.get(0)?,
                    name: r.get(1)?,
                    sha256: r.get(2)?,
                    size: r.get(3)?,
                    content: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name, media_type, content FROM case_evidence WHERE case_id = ?1 ORDER BY seq",
            )
            .map_err(|e| self.err(e))?;
        let evidence = stmt
            .query_map(params![id], |r| {
                Ok(EvidenceFile {
                    name: r.get(0)?,
                    media_type: r.get(1)?,
                    content: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        if inputs.len() as i64 != input_count || evidence.len() as i64 != evidence_count {
            return Err(StoreError::Invalid(format!(
                "case {id} is incomplete in {} ({} of {input_count} inputs, {} of {evidence_count} evidence files)",
                self.path,
                inputs.len(),
                evidence.len()
            )));
        }
        Ok(Some(StoredCase {
            summary,
            report_json,
            inputs,
            evidence,
        }))
    }

    /// Delete a case with its inputs and evidence; `Ok(false)` when there was none.
    pub fn delete_case(&mut self, id_or_prefix: &str) -> Result<bool> {
        let Some(id) = self.resolve_case_id(id_or_prefix)? else {
            return Ok(false);
        };
        let n = self
            .conn
            .execute("DELETE FROM cases WHERE id = ?1", params![id])
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// Number of saved cases.
    pub fn count_cases(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// SQLite's own consistency check plus "every case is whole": `Ok(())` or what is wrong.
    pub fn check_integrity(&self) -> Result<()> {
        let verdict: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if verdict != "ok" {
            return Err(StoreError::Invalid(format!("{}: {verdict}", self.path)));
        }
        let broken: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM cases c WHERE
                    c.input_count != (SELECT count(*) FROM case_inputs i WHERE i.case_id = c.id)
                 OR c.evidence_count != (SELECT count(*) FROM case_evidence e WHERE e.case_id = c.id)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let orphans: i64 = self
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM case_inputs WHERE case_id NOT IN (SELECT id FROM cases))
                      + (SELECT count(*) FROM case_evidence WHERE case_id NOT IN (SELECT id FROM cases))",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        if broken + orphans > 0 {
            return Err(StoreError::Invalid(format!(
                "{}: {broken} incomplete cases, {orphans} orphaned rows",
                self.path
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::SqliteStore;
    use crate::cases::{CaseInput, EvidenceFile, NewCase};

    pub(crate) fn sample(keep: bool) -> NewCase {
        NewCase {
            verdict: "phishing".into(),
            brand: Some("amazon".into()),
            score: 100,
            title: "email: reset your store password".into(),
            report_json: "{\"verdict\":\"phishing\"}".into(),
            inputs: vec![
                CaseInput {
                    kind: "email".into(),
                    name: "lure.eml".into(),
                    content: b"From: x\r\n\r\nbody".to_vec(),
                },
                CaseInput {
                    kind: "url".into(),
                    name: "https://x.example/".into(),
                    content: b"https://x.example/".to_vec(),
                },
            ],
            keep_inputs: keep,
            evidence: vec![EvidenceFile {
                name: "01-page.png".into(),
                media_type: "image/png".into(),
                content: vec![0x89, b'P', b'N', b'G', 0, 1, 2],
            }],
        }
    }

    #[test]
    fn save_get_list_delete() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let id = s.save_case(&sample(true)).unwrap();
        let other = s.save_case(&sample(false)).unwrap();
        assert_ne!(id, other);
        let c = s.get_case(&id).unwrap().unwrap();
        assert_eq!(c.summary.verdict, "phishing");
        assert_eq!(c.inputs.len(), 2);
        assert_eq!(
            c.inputs[0].content.as_deref(),
            Some(&b"From: x\r\n\r\nbody"[..])
        );
        assert_eq!(c.evidence[0].content[1], b'P');
        let hashed = s.get_case(&other).unwrap().unwrap();
        assert!(hashed.inputs.iter().all(|i| i.content.is_none()));
        assert_eq!(hashed.inputs[0].sha256.len(), 64);
        assert_eq!(hashed.inputs[0].size, 15);
        assert_eq!(s.list_cases(10, 0).unwrap().len(), 2);
        assert_eq!(s.list_cases(1, 1).unwrap().len(), 1);
        // A unique prefix works (two random ids share 6 characters about never); a missing
        // id is None, not an error.
        assert_eq!(s.get_case(&id[..6]).unwrap().unwrap().summary.id, id);
        assert!(s.get_case("zzzzzzzzzzzz").unwrap().is_none());
        assert!(s.get_case("'; drop").is_err());
        assert!(s.delete_case(&id).unwrap());
        assert!(!s.delete_case(&id).unwrap());
        assert_eq!(s.count_cases().unwrap(), 1);
        s.check_integrity().unwrap();
    }

    #[test]
    fn oversized_or_invalid_cases_are_refused_before_writing() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let mut c = sample(true);
        c.verdict = "fine".into();
        assert!(s.save_case(&c).is_err());
        let mut c = sample(true);
        c.evidence[0].content = vec![0; crate::cases::MAX_EVIDENCE_BYTES + 1];
        assert!(s.save_case(&c).is_err());
        assert_eq!(s.count_cases().unwrap(), 0);
    }
}
