//! Two writers on one file at once: WAL + busy timeout must let both finish with no
//! "database is locked" error and no lost rows, and a fresh file must be migrated once.

use phishprobe_store::{MIGRATIONS, Mark, SqliteStore};

#[test]
fn threads_adding_at_once_lose_nothing() {
    let dir = std::env::temp_dir().join(format!("phishprobe-store-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("sub").join("numbers.db");
    let per_thread = 50;
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                // Each thread opens its own connection, like separate processes would,
                // and all of them race to create and migrate the fresh file.
                let s = SqliteStore::open(&path).expect("open");
                for i in 0..per_thread {
                    let mark = if i % 2 == 0 {
                        Mark::Scam
                    } else {
                        Mark::Trusted
                    };
                    s.add_number(&format!("+1555{t:02}{i:05}"), mark, "race")
                        .expect("add while others write");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.list_numbers().unwrap().len(), 4 * per_thread);
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reopening_keeps_data_and_version() {
    let dir = std::env::temp_dir().join(format!("phishprobe-store-reopen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("a.db");
    SqliteStore::open(&path)
        .unwrap()
        .add_number("+441234567890", Mark::Scam, "x")
        .unwrap();
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.list_numbers().unwrap().len(), 1);
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let _ = std::fs::remove_dir_all(&dir);
}
