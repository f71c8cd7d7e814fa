//! Domain feed verdicts and dead letters, the same scenarios on SQLite and on PostgreSQL:
//! a repeated delivery is one row with `writes` counting it, workers racing on the same names
//! count every write once, and a database from before the feed gains the tables on open.
//!
//! PostgreSQL runs when `PHISHPROBE_TEST_POSTGRES` is set (see `tests/backends.rs`).

use phishprobe_store::testing::TempPg;
use phishprobe_store::{
    Backend, DomainQuery, DomainVerdict, HistoryStore, MIGRATIONS, Mark, StoreError, Upsert, render,
};

fn verdict(name: &str, verdict: &str, score: u32) -> DomainVerdict {
    DomainVerdict {
        name: name.into(),
        rules_version: "0.1.0".into(),
        verdict: verdict.into(),
        score,
        brand: (verdict == "phishing").then(|| "amazon".to_string()),
        report_json: format!("{{\"input\":\"{name}\",\"verdict\":\"{verdict}\"}}"),
        source: "ct:https://log.example/".into(),
    }
}

fn query(verdicts: &[&str], contains: Option<&str>, limit: u32, offset: u32) -> DomainQuery {
    DomainQuery {
        verdicts: verdicts.iter().map(|v| v.to_string()).collect(),
        name_contains: contains.map(str::to_string),
        limit,
        offset,
    }
}

fn all(db: &mut HistoryStore) -> Vec<phishprobe_store::StoredDomainVerdict> {
    db.list_domain_verdicts(&query(&[], None, 10_000, 0))
        .unwrap()
}

fn scenario(db: &mut HistoryStore) {
    assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as i64);

    // Processed twice, stored once.
    let v = verdict("amazon-login.example", "phishing", 90);
    assert_eq!(db.upsert_domain_verdict(&v).unwrap(), Upsert::Inserted);
    let first = all(db);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].writes, 1);
    assert_eq!(db.upsert_domain_verdict(&v).unwrap(), Upsert::Rewritten);
    let rows = all(db);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.writes, 2);
    assert_eq!(r.name, "amazon-login.example");
    assert_eq!(r.rules_version, "0.1.0");
    assert_eq!(r.verdict, "phishing");
    assert_eq!(r.score, 90);
    assert_eq!(r.brand.as_deref(), Some("amazon"));
    assert_eq!(r.report_json, v.report_json);
    assert_eq!(r.source, "ct:https://log.example/");
    assert_eq!(r.first_seen, first[0].first_seen);
    assert!(r.last_written >= r.first_seen);

    // A re-check with a different answer replaces the verdict and keeps first_seen.
    let mut changed = verdict("amazon-login.example", "suspicious", 40);
    changed.source = "certstream".into();
    assert_eq!(
        db.upsert_domain_verdict(&changed).unwrap(),
        Upsert::Rewritten
    );
    let rows = all(db);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].verdict.as_str(), rows[0].score, rows[0].writes),
        ("suspicious", 40, 3)
    );
    assert_eq!(rows[0].brand, None);
    assert_eq!(rows[0].source, "certstream");
    assert_eq!(rows[0].first_seen, first[0].first_seen);

    // New rules are a new row.
    let mut newer = v.clone();
    newer.rules_version = "0.2.0".into();
    assert_eq!(db.upsert_domain_verdict(&newer).unwrap(), Upsert::Inserted);
    assert_eq!(all(db).len(), 2);

    // Filters and paging.
    for (i, w) in ["phishing", "suspicious", "genuine", "unknown"]
        .iter()
        .cycle()
        .take(20)
        .enumerate()
    {
        let name = format!("site{i:02}.paypal-check.example");
        db.upsert_domain_verdict(&verdict(&name, w, (i * 5) as u32))
            .unwrap();
    }
    assert_eq!(
        db.count_domain_verdicts(&query(&[], None, 1, 0)).unwrap(),
        22
    );
    let phish = db
        .list_domain_verdicts(&query(&["phishing"], None, 100, 0))
        .unwrap();
    assert_eq!(phish.len(), 6, "5 new + the 0.2.0 row");
    assert!(phish.iter().all(|r| r.verdict == "phishing"));
    let two = db
        .list_domain_verdicts(&query(&["phishing", "Suspicious"], None, 100, 0))
        .unwrap();
    assert_eq!(two.len(), 12);
    let paypal = db
        .list_domain_verdicts(&query(&[], Some("PayPal-"), 100, 0))
        .unwrap();
    assert_eq!(paypal.len(), 20);
    let both = db
        .list_domain_verdicts(&query(&["genuine"], Some("site0"), 100, 0))
        .unwrap();
    let mut names: Vec<&str> = both.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["site02.paypal-check.example", "site06.paypal-check.example"]
    );
    // Wildcards in the filter are plain text.
    assert!(
        db.list_domain_verdicts(&query(&[], Some("%"), 100, 0))
            .unwrap()
            .is_empty()
    );
    // Pages are disjoint, cover everything and keep the newest-first order.
    let mut paged = Vec::new();
    for page in 0..5 {
        let p = db
            .list_domain_verdicts(&query(&[], None, 5, page * 5))
            .unwrap();
        paged.extend(p.into_iter().map(|r| (r.name, r.rules_version)));
    }
    let whole: Vec<_> = all(db)
        .into_iter()
        .map(|r| (r.name, r.rules_version))
        .collect();
    assert_eq!(paged, whole);
    let everything = all(db);
    assert!(
        everything
            .windows(2)
            .all(|w| w[0].last_written >= w[1].last_written)
    );
    let stats = db.domain_stats(&query(&[], None, 1, 0)).unwrap();
    assert_eq!(stats.total, 22);
    assert_eq!(stats.writes, 24, "the first name was written three times");
    assert_eq!(
        stats.by_verdict,
        [
            ("genuine".to_string(), 5),
            ("phishing".to_string(), 6),
            ("suspicious".to_string(), 6),
            ("unknown".to_string(), 5)
        ]
    );
    assert!(
        db.list_domain_verdicts(&query(&["fine"], None, 10, 0))
            .is_err()
    );
    assert!(db.list_domain_verdicts(&query(&[], None, 0, 0)).is_err());

    // Bad input is a clear error and writes nothing.
    let long = verdict(&format!("{}.example", "a".repeat(250)), "phishing", 90);
    let err = db.upsert_domain_verdict(&long).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("253"), "{err}");
    let mut big = verdict("big.example", "phishing", 90);
    big.report_json = "x".repeat(1024 * 1024 + 1);
    let err = db.upsert_domain_verdict(&big).unwrap_err();
    assert!(err.to_string().contains("report"), "{err}");
    assert!(
        db.upsert_domain_verdict(&verdict("UPPER.example", "phishing", 1))
            .is_err()
    );
    assert!(
        db.upsert_domain_verdict(&verdict("x.example", "fine", 1))
            .is_err()
    );
    assert_eq!(
        db.count_domain_verdicts(&query(&[], None, 1, 0)).unwrap(),
        22
    );

    // Dead letters: one row per name, the latest record wins.
    db.record_dead_letter("bad.example", "timeout", 3).unwrap();
    db.record_dead_letter("other.example", "panic in host check", 5)
        .unwrap();
    db.record_dead_letter("bad.example", "still timing out", 6)
        .unwrap();
    let dead = db.list_dead_letters(10).unwrap();
    assert_eq!(dead.len(), 2);
    let bad = dead.iter().find(|d| d.name == "bad.example").unwrap();
    assert_eq!(
        (bad.reason.as_str(), bad.deliveries),
        ("still timing out", 6)
    );
    assert!(bad.at > 0);
    assert_eq!(db.list_dead_letters(1).unwrap().len(), 1);
    db.record_dead_letter("long.example", &"r".repeat(10_000), 5)
        .unwrap();
    assert!(db.record_dead_letter("", "x", 1).is_err());
    assert!(db.record_dead_letter(&"a".repeat(300), "x", 1).is_err());
    let long = db.list_dead_letters(10).unwrap();
    let l = long.iter().find(|d| d.name == "long.example").unwrap();
    assert_eq!(l.reason.len(), phishprobe_store::domains::MAX_DEAD_REASON);
}

/// `threads` connections upsert the same 40 names at once: one row per name, with one write
/// per thread, and exactly one of them saw each name as new.
fn race(location: &str, threads: usize) {
    let names = 40;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let location = location.to_string();
            std::thread::spawn(move || {
                let mut db = HistoryStore::open(&location).expect("open while others write");
                let mut inserted = 0;
                for n in 0..names {
                    // Each thread walks the names from a different start, so threads collide
                    // on a name at different moments.
                    let n = (n + t * 7) % names;
                    let v = verdict(&format!("race{n}.example"), "phishing", 80);
                    if db.upsert_domain_verdict(&v).expect("upsert") == Upsert::Inserted {
                        inserted += 1;
                    }
                }
                inserted
            })
        })
        .collect();
    let inserted: usize = handles.into_iter().map(|h| h.join().expect("thread")).sum();
    assert_eq!(inserted, names);
    let mut db = HistoryStore::open(location).unwrap();
    let rows = all(&mut db);
    assert_eq!(rows.len(), names);
    assert!(rows.iter().all(|r| r.writes == threads as i64), "{rows:?}");
    let stats = db.domain_stats(&query(&[], None, 1, 0)).unwrap();
    assert_eq!(stats.writes, (names * threads) as i64);
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("phishprobe-domains-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn sqlite_domains() {
    let dir = temp_dir("scenario");
    let path = dir.join("h.db");
    let mut db = HistoryStore::open(path.to_str().unwrap()).unwrap();
    scenario(&mut db);
    drop(db);
    let mut db = HistoryStore::open(path.to_str().unwrap()).unwrap();
    assert_eq!(
        db.count_domain_verdicts(&query(&[], None, 1, 0)).unwrap(),
        22
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sqlite_workers_racing_on_the_same_names() {
    let dir = temp_dir("race");
    race(dir.join("race.db").to_str().unwrap(), 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sqlite_file_from_before_the_feed_is_migrated() {
    let dir = temp_dir("migrate");
    let path = dir.join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in &MIGRATIONS[..2] {
            conn.execute_batch(&render(sql, Backend::Sqlite)).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 2;
             INSERT INTO numbers VALUES ('+15555550100', 'scam', 'old', 1, 1);",
        )
        .unwrap();
    }
    let mut db = HistoryStore::open(path.to_str().unwrap()).unwrap();
    assert_eq!(db.schema_version().unwrap(), 3);
    assert_eq!(
        db.get_number("+15555550100").unwrap().map(|e| e.mark),
        Some(Mark::Scam)
    );
    assert_eq!(
        db.upsert_domain_verdict(&verdict("a.example", "phishing", 90))
            .unwrap(),
        Upsert::Inserted
    );
    db.record_dead_letter("b.example", "x", 5).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn postgres_domains() {
    let Some(pg) = TempPg::create("domains") else {
        return;
    };
    let mut db = HistoryStore::open(&pg.url).unwrap();
    scenario(&mut db);
}

#[test]
fn postgres_workers_racing_on_the_same_names() {
    let Some(pg) = TempPg::create("domain_race") else {
        return;
    };
    race(&pg.url, 4);
}

#[test]
fn postgres_database_from_before_the_feed_is_migrated() {
    let Some(pg) = TempPg::create("domain_migrate") else {
        return;
    };
    {
        let mut c = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
        c.batch_execute("CREATE TABLE phishprobe_schema (version BIGINT NOT NULL)")
            .unwrap();
        for sql in &MIGRATIONS[..2] {
            c.batch_execute(&render(sql, Backend::Postgres)).unwrap();
        }
        c.batch_execute(
            "INSERT INTO phishprobe_schema (version) VALUES (2);
             INSERT INTO numbers VALUES ('+15555550100', 'scam', 'old', 1, 1);",
        )
        .unwrap();
    }
    let mut db = HistoryStore::open(&pg.url).unwrap();
    assert_eq!(db.schema_version().unwrap(), 3);
    assert_eq!(
        db.get_number("+15555550100").unwrap().map(|e| e.mark),
        Some(Mark::Scam)
    );
    assert_eq!(
        db.upsert_domain_verdict(&verdict("a.example", "phishing", 90))
            .unwrap(),
        Upsert::Inserted
    );
    db.record_dead_letter("b.example", "x", 5).unwrap();
}

/// Batches: one transaction each (all or none), results in order, and batch writers racing
/// on the same names still count every write once.
fn batches(location: &str) {
    let mut db = HistoryStore::open(location).unwrap();
    let batch: Vec<DomainVerdict> = (0..3)
        .map(|i| verdict(&format!("batch{i}.example"), "suspicious", 40))
        .collect();
    assert_eq!(
        db.upsert_domain_verdicts(&batch).unwrap(),
        [Upsert::Inserted; 3]
    );
    assert_eq!(
        db.upsert_domain_verdicts(&batch).unwrap(),
        [Upsert::Rewritten; 3]
    );
    let mut bad = vec![verdict("fresh.example", "phishing", 90)];
    bad.push(verdict("Not A Name", "phishing", 90));
    assert!(db.upsert_domain_verdicts(&bad).is_err());
    let names: Vec<String> = all(&mut db).into_iter().map(|r| r.name).collect();
    assert!(
        !names.contains(&"fresh.example".to_string()),
        "nothing of a refused batch is written"
    );
    assert_eq!(names.len(), 3);
    drop(db);
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let location = location.to_string();
            std::thread::spawn(move || {
                let mut db = HistoryStore::open(&location).unwrap();
                for chunk in 0..4 {
                    let batch: Vec<DomainVerdict> = (0..10)
                        .map(|n| (chunk * 10 + n + t * 7) % 40)
                        .map(|n| verdict(&format!("racing{n}.example"), "phishing", 80))
                        .collect();
                    db.upsert_domain_verdicts(&batch)
                        .expect("batch while others write");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut db = HistoryStore::open(location).unwrap();
    let racing: Vec<_> = all(&mut db)
        .into_iter()
        .filter(|r| r.name.starts_with("racing"))
        .collect();
    assert_eq!(racing.len(), 40);
    assert!(racing.iter().all(|r| r.writes == 4), "{racing:?}");
}

#[test]
fn sqlite_batches_are_all_or_nothing() {
    let dir = temp_dir("batches");
    batches(dir.join("b.db").to_str().unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn postgres_batches_are_all_or_nothing() {
    let Some(pg) = TempPg::create("domain_batches") else {
        return;
    };
    batches(&pg.url);
}
