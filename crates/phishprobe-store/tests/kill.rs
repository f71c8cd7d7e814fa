//! A process killed (SIGKILL, no chance to clean up) in the middle of saving cases must leave
//! the database consistent: SQLite's integrity check passes, every case is whole (all its
//! inputs and evidence), nothing is orphaned, and the file takes new cases afterwards.
//!
//! The writer is this same test binary re-run with `PHISHPROBE_KILL_TEST_DB` set: it saves
//! cases with a few MB of evidence each in a loop until it is killed.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use phishprobe_store::{CaseInput, EvidenceFile, NewCase, SqliteStore};

const CHILD_ENV: &str = "PHISHPROBE_KILL_TEST_DB";

fn big_case(n: usize) -> NewCase {
    NewCase {
        verdict: "phishing".into(),
        brand: Some("amazon".into()),
        score: 100,
        title: format!("case {n}"),
        report_json: format!("{{\"n\":{n}}}"),
        inputs: (0..3)
            .map(|i| CaseInput {
                kind: "text".into(),
                name: format!("part-{i}"),
                content: vec![b'a' + (i as u8); 200_000],
            })
            .collect(),
        keep_inputs: true,
        evidence: (0..4)
            .map(|i| EvidenceFile {
                name: format!("{i:02}.png"),
                media_type: "image/png".into(),
                content: vec![(n + i) as u8; 700_000],
            })
            .collect(),
    }
}

/// The writer side: only does something when started by the parent test.
#[test]
fn child_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut store = SqliteStore::open(&PathBuf::from(path)).expect("child open");
    for n in 0.. {
        store.save_case(&big_case(n)).expect("child save");
    }
}

#[test]
fn killed_while_saving_leaves_a_consistent_database() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("phishprobe-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("history.db");
    SqliteStore::open(&path).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut last = 0;
    for round in 0..4u64 {
        let mut child = Command::new(&exe)
            .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Let it commit a few cases, then kill it at a moment that varies by round, most
        // likely inside a transaction (each case is ~3.4 MB of rows).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            std::thread::sleep(Duration::from_millis(15));
            let n = SqliteStore::open(&path).unwrap().count_cases().unwrap();
            if n >= last + 2 || Instant::now() > deadline {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(7 * round + 3));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "the writer ended on its own: {status:?}");

        let mut store = SqliteStore::open(&path).unwrap();
        store.check_integrity().unwrap();
        let count = store.count_cases().unwrap();
        assert!(count > last, "round {round}: the writer saved nothing");
        for summary in store.list_cases(1000, 0).unwrap() {
            let case = store.get_case(&summary.id).unwrap().unwrap();
            assert_eq!(case.inputs.len(), 3);
            assert_eq!(case.evidence.len(), 4);
            assert!(case.evidence.iter().all(|e| e.content.len() == 700_000));
        }
        // Still writable after the crash.
        store.save_case(&big_case(999)).unwrap();
        last = count + 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
