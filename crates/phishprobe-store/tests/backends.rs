//! The same storage scenarios on SQLite and on PostgreSQL.
//!
//! PostgreSQL runs when `PHISHPROBE_TEST_POSTGRES` holds a server URL (`.ci/postgres start`
//! prints one; each test creates and drops its own database there). Without it the PostgreSQL
//! half is skipped with a message, unless `PHISHPROBE_REQUIRE_POSTGRES=1` (CI), where a missing
//! server is a failure.

use phishprobe_store::testing::TempPg;
use phishprobe_store::{CaseInput, EvidenceFile, HistoryStore, MIGRATIONS, Mark, NewCase};

fn case(n: usize, keep: bool) -> NewCase {
    NewCase {
        verdict: ["phishing", "suspicious", "unknown", "genuine"][n % 4].into(),
        brand: n.is_multiple_of(2).then(|| "amazon".to_string()),
        score: (n * 7 % 101) as i64,
        title: format!("case {n}: 店铺密码重置"),
        report_json: format!("{{\"n\":{n}}}"),
        inputs: vec![CaseInput {
            kind: "email".into(),
            name: format!("m{n}.eml"),
            content: format!("Subject: {n}\r\n\r\nbody {n}").into_bytes(),
        }],
        keep_inputs: keep,
        evidence: vec![EvidenceFile {
            name: "01-page.png".into(),
            media_type: "image/png".into(),
            content: (0..=255u8).cycle().take(5000 + n).collect(),
        }],
    }
}

fn scenario(db: &mut HistoryStore) {
    assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(db.save_case(&case(n, n != 3)).unwrap());
    }
    assert_eq!(db.count_cases().unwrap(), 12);
    let page = db.list_cases(5, 0).unwrap();
    assert_eq!(page.len(), 5);
    assert!(page.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    assert_eq!(db.list_cases(100, 10).unwrap().len(), 2);

    let c = db.get_case(&ids[5]).unwrap().unwrap();
    assert_eq!(c.summary.title, "case 5: 店铺密码重置");
    assert_eq!(c.summary.brand, None);
    assert_eq!(c.summary.verdict, "suspicious");
    assert_eq!(c.report_json, "{\"n\":5}");
    assert_eq!(
        c.inputs[0].content.as_deref(),
        Some(&b"Subject: 5\r\n\r\nbody 5"[..])
    );
    assert_eq!(c.evidence[0].content.len(), 5005);
    let hashed = db.get_case(&ids[3]).unwrap().unwrap();
    assert!(!hashed.summary.inputs_kept);
    assert_eq!(hashed.inputs[0].content, None);
    assert_eq!(hashed.inputs[0].sha256.len(), 64);

    assert!(db.get_case("zzzzzzzzzzzz").unwrap().is_none());
    assert!(db.get_case("x'; DROP TABLE cases; --").is_err());
    assert!(db.delete_case(&ids[0]).unwrap());
    assert!(!db.delete_case(&ids[0]).unwrap());
    assert_eq!(db.count_cases().unwrap(), 11);
    db.check_integrity().unwrap();

    db.add_number("+18882804331", Mark::Trusted, "called back")
        .unwrap();
    db.add_number("+15555550100", Mark::Scam, "").unwrap();
    db.add_number("+15555550100", Mark::Trusted, "changed")
        .unwrap();
    let all = db.list_numbers().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].note, "changed");
    assert!(db.remove_number("+15555550100").unwrap());
    assert_eq!(
        db.get_number("+18882804331").unwrap().map(|e| e.mark),
        Some(Mark::Trusted)
    );
    assert!(db.add_number("", Mark::Scam, "").is_err());
}

#[test]
fn sqlite_backend() {
    let dir = std::env::temp_dir().join(format!("phishprobe-backends-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("h.db");
    let mut db = HistoryStore::open(path.to_str().unwrap()).unwrap();
    scenario(&mut db);
    drop(db);
    // Reopening keeps everything.
    let mut db = HistoryStore::open(path.to_str().unwrap()).unwrap();
    assert_eq!(db.count_cases().unwrap(), 11);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn postgres_backend() {
    let Some(pg) = TempPg::create("scenario") else {
        return;
    };
    let mut db = HistoryStore::open(&pg.url).unwrap();
    assert!(matches!(db, HistoryStore::Postgres(_)));
    scenario(&mut db);
    drop(db);
    let mut db = HistoryStore::open(&pg.url).unwrap();
    assert_eq!(db.count_cases().unwrap(), 11);
    assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as i64);
}

#[test]
fn postgres_instances_starting_together_migrate_once() {
    let Some(pg) = TempPg::create("race") else {
        return;
    };
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let url = pg.url.clone();
            std::thread::spawn(move || {
                let mut db = HistoryStore::open(&url).expect("open while others migrate");
                for n in 0..10 {
                    db.save_case(&case(t * 100 + n, true)).expect("save");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    let mut db = HistoryStore::open(&pg.url).unwrap();
    assert_eq!(db.count_cases().unwrap(), 40);
    assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as i64);
    db.check_integrity().unwrap();
}

#[test]
fn postgres_errors_are_clear_and_hide_the_password() {
    let err = HistoryStore::open("postgres://pp:s3cret@127.0.0.1:1/nothing?connect_timeout=2")
        .expect_err("nothing listens on port 1");
    let msg = err.to_string();
    assert!(msg.contains("127.0.0.1"), "{msg}");
    assert!(!msg.contains("s3cret"), "{msg}");
}
