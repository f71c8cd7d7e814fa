//! The domain feed spread over NATS JetStream, end to end with real `nats-server` processes
//! (started here on 127.0.0.1) and real `phishprobe feed` / `phishprobe screen` processes:
//! a worker killed midway, a crash between the write and the ack, the broker killed and
//! restarted, and a three-node cluster losing its stream leader. Every name must end with
//! exactly one stored verdict and nothing left pending.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{bin, run};
use phishprobe_store::testing::TempPg;
use phishprobe_store::{DomainQuery, HistoryStore};
use phishprobe_testkit::nats::NatsSetup;

/// Names as a CT feed brings them: look-alikes of brands among ordinary shop names.
fn names(count: usize, tag: &str) -> Vec<String> {
    (0..count)
        .map(|i| match i % 4 {
            0 => format!("amazon-seller-verify-{tag}{i}.top"),
            1 => format!("paypal-login-{tag}{i}.com"),
            _ => format!("shop-{tag}{i}.example.org"),
        })
        .collect()
}

fn write_list(dir: &Path, names: &[String]) -> PathBuf {
    let path = dir.join("names.txt");
    std::fs::write(&path, names.join("\n")).unwrap();
    path
}

fn feed_to(list: &Path, urls: &str, extra: &[&str]) {
    let from = format!("list:{}", list.display());
    let mut args = vec!["feed", "--from", &from, "--to", urls, "--json"];
    args.extend_from_slice(extra);
    let out = run(&args, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "feed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn spawn_screen(urls: &str, db: impl AsRef<std::ffi::OsStr>, extra: &[&str]) -> Child {
    bin()
        .args(["screen", "--nats", urls, "--db"])
        .arg(db)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn screen")
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("a worker did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stored rows: name → (verdict, writes).
fn stored(db: impl AsRef<std::ffi::OsStr>) -> HashMap<String, (String, i64)> {
    let mut store = HistoryStore::open(&db.as_ref().to_string_lossy()).unwrap();
    let mut rows = HashMap::new();
    let mut offset = 0;
    loop {
        let query = DomainQuery {
            verdicts: vec![],
            name_contains: None,
            limit: 5_000,
            offset,
        };
        let page = store.list_domain_verdicts(&query).unwrap();
        if page.is_empty() {
            return rows;
        }
        offset += page.len() as u32;
        for row in page {
            let previous = rows.insert(row.name.clone(), (row.verdict.clone(), row.writes));
            assert!(previous.is_none(), "{} stored twice", row.name);
        }
    }
}

fn stored_count(db: impl AsRef<std::ffi::OsStr>) -> usize {
    let location = db.as_ref().to_string_lossy().into_owned();
    if !location.starts_with("postgres") && !Path::new(&location).exists() {
        return 0;
    }
    HistoryStore::open(&location)
        .ok()
        .and_then(|mut s| {
            s.count_domain_verdicts(&DomainQuery {
                verdicts: vec![],
                name_contains: None,
                limit: 1,
                offset: 0,
            })
            .ok()
        })
        .map_or(0, |n| n as usize)
}

fn status(urls: &str) -> serde_json::Value {
    let out = run(&["screen", "--nats", urls, "--status"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn assert_drained(urls: &str) {
    let s = status(urls);
    for key in ["names_waiting", "names_pending", "names_unacked"] {
        assert_eq!(s[key], 0, "{key} in {s}");
    }
}

/// Every name has one stored verdict, and it is the verdict `phishprobe url` gives.
fn assert_all_stored_once(
    db: impl AsRef<std::ffi::OsStr>,
    names: &[String],
) -> HashMap<String, (String, i64)> {
    let rows = stored(db);
    assert_eq!(rows.len(), names.len(), "stored names");
    for name in names {
        assert!(rows.contains_key(name), "{name} missing");
    }
    let sample: Vec<&String> = names.iter().step_by(names.len().div_ceil(40)).collect();
    let mut args = vec!["url", "--json"];
    args.extend(sample.iter().map(|s| s.as_str()));
    let out = run(&args, None);
    for line in common::json_lines(&out) {
        let input = line["input"].as_str().unwrap();
        assert_eq!(rows[input].0, line["verdict"].as_str().unwrap(), "{input}");
    }
    let flagged = rows
        .iter()
        .filter(|(n, (v, _))| {
            n.starts_with("amazon-seller-verify") && (v == "phishing" || v == "suspicious")
        })
        .count();
    let lookalikes = names
        .iter()
        .filter(|n| n.starts_with("amazon-seller-verify"))
        .count();
    assert_eq!(flagged, lookalikes, "every Amazon look-alike flagged");
    rows
}

#[test]
fn two_workers_one_killed_midway_every_name_stored_once_nothing_pending() {
    let Some(nats) = NatsSetup::single() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let names = names(6_000, "k");
    let list = write_list(dir.path(), &names);
    let db = dir.path().join("verdicts.db");
    let urls = nats.urls();
    feed_to(&list, &urls, &[]);
    assert_eq!(status(&urls)["names_waiting"], 6_000);
    let worker = ["--batch", "20", "--ack-wait", "2", "--until-idle", "4"];
    let mut doomed = spawn_screen(&urls, &db, &worker);
    let mut survivor = spawn_screen(&urls, &db, &worker);
    let started = Instant::now();
    while stored_count(&db) < 300 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "workers store nothing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        doomed.try_wait().unwrap().is_none(),
        "the doomed worker was still at work"
    );
    doomed.kill().unwrap(); // SIGKILL
    doomed.wait().unwrap();
    let status_code = wait_exit(&mut survivor, Duration::from_secs(180));
    assert!(status_code.success());
    assert_all_stored_once(&db, &names);
    assert_drained(&urls);
}

#[test]
fn a_crash_between_the_write_and_the_ack_is_processed_twice_and_stored_once() {
    let Some(nats) = NatsSetup::single() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let names = names(300, "c");
    let list = write_list(dir.path(), &names);
    let db = dir.path().join("verdicts.db");
    let urls = nats.urls();
    feed_to(&list, &urls, &[]);
    let mut crashing = spawn_screen(
        &urls,
        &db,
        &[
            "--batch",
            "50",
            "--ack-wait",
            "2",
            "--crash-after-batches",
            "1",
        ],
    );
    let code = wait_exit(&mut crashing, Duration::from_secs(60));
    assert!(!code.success(), "the worker was meant to abort");
    assert_eq!(stored_count(&db), 50, "one batch stored before the crash");
    let mut second = spawn_screen(&urls, &db, &["--batch", "50", "--until-idle", "4"]);
    assert!(wait_exit(&mut second, Duration::from_secs(120)).success());
    let rows = assert_all_stored_once(&db, &names);
    let twice = rows.values().filter(|(_, writes)| *writes == 2).count();
    let once = rows.values().filter(|(_, writes)| *writes == 1).count();
    assert_eq!(
        (twice, once),
        (50, 250),
        "the unacknowledged batch came back and was rewritten"
    );
    assert_drained(&urls);
}

#[test]
fn the_broker_killed_and_restarted_loses_nothing() {
    let Some(mut nats) = NatsSetup::single() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let names = names(30_000, "b");
    let list = write_list(dir.path(), &names);
    let db = dir.path().join("verdicts.db");
    let urls = nats.urls();
    let from = format!("list:{}", list.display());
    let mut feeder = bin()
        .args(["feed", "--from", &from, "--to", &urls])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill the broker while the feed is publishing, then bring it back on the same store.
    let started = Instant::now();
    loop {
        let waiting = status(&urls)["names_waiting"].as_u64().unwrap_or(0);
        if waiting > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nothing published"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        feeder.try_wait().unwrap().is_none(),
        "the broker goes down while the feed publishes"
    );
    nats.nodes[0].kill();
    std::thread::sleep(Duration::from_secs(1));
    nats.nodes[0].start();
    nats.wait_healthy(Duration::from_secs(30));
    assert!(
        wait_exit(&mut feeder, Duration::from_secs(120)).success(),
        "the feed retried and finished"
    );
    assert_eq!(
        status(&urls)["names_waiting"],
        30_000,
        "nothing lost, nothing doubled"
    );
    let mut worker = spawn_screen(&urls, &db, &["--until-idle", "3"]);
    assert!(wait_exit(&mut worker, Duration::from_secs(180)).success());
    assert_all_stored_once(&db, &names);
    assert_drained(&urls);
}

#[test]
fn a_three_node_cluster_finishes_the_work_after_its_stream_leader_is_killed() {
    let Some(mut nats) = NatsSetup::cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let names = names(4_000, "l");
    let list = write_list(dir.path(), &names);
    let db = dir.path().join("verdicts.db");
    let urls = nats.urls();
    feed_to(&list, &urls, &["--replicas", "3"]);
    let leader = nats
        .stream_leader("PHISHPROBE_NAMES")
        .expect("a stream leader");
    let mut worker = spawn_screen(
        &urls,
        &db,
        &["--batch", "20", "--ack-wait", "3", "--until-idle", "5"],
    );
    let started = Instant::now();
    while stored_count(&db) < 200 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the worker stores nothing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        worker.try_wait().unwrap().is_none(),
        "the leader goes down while the worker works"
    );
    nats.nodes[leader].kill();
    assert!(wait_exit(&mut worker, Duration::from_secs(240)).success());
    assert_all_stored_once(&db, &names);
    let others: Vec<String> = nats
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != leader)
        .map(|(_, n)| n.url())
        .collect();
    assert_drained(&others.join(","));
}

/// The CI broker (`.ci/nats`, PHISHPROBE_TEST_NATS) when there is one, else a server of our own.
fn broker() -> Option<(String, Option<NatsSetup>)> {
    match std::env::var("PHISHPROBE_TEST_NATS") {
        Ok(url) if !url.is_empty() => Some((url, None)),
        _ => NatsSetup::single().map(|own| (own.urls(), Some(own))),
    }
}

#[test]
fn flagged_names_go_on_to_the_deep_queue_and_deep_workers_store_their_verdicts_in_postgresql() {
    let Some(pg) = TempPg::create("feed_deep") else {
        return;
    };
    let Some((urls, _own)) = broker() else { return };
    let dir = tempfile::tempdir().unwrap();
    let tag = format!("d{}x", std::process::id());
    let names = names(400, &tag);
    let list = write_list(dir.path(), &names);
    let deep_before = status(&urls)["deep_waiting"].as_u64().unwrap();
    feed_to(&list, &urls, &[]);
    // Two workers on one PostgreSQL database, as on two machines.
    let mut a = spawn_screen(&urls, &pg.url, &["--batch", "25", "--until-idle", "3"]);
    let mut b = spawn_screen(&urls, &pg.url, &["--batch", "25", "--until-idle", "3"]);
    assert!(wait_exit(&mut a, Duration::from_secs(120)).success());
    assert!(wait_exit(&mut b, Duration::from_secs(120)).success());
    let rows = assert_all_stored_once(&pg.url, &names);
    let flagged = rows
        .values()
        .filter(|(v, _)| v == "phishing" || v == "suspicious")
        .count();
    assert!(flagged >= 100, "the look-alikes are flagged: {flagged}");
    let deep_after = status(&urls)["deep_waiting"].as_u64().unwrap();
    assert_eq!(
        deep_after - deep_before,
        flagged as u64,
        "every flagged name queued once for the deep checks"
    );

    // A deep worker takes them (the pages do not resolve here: each check ends inconclusive
    // quickly, which is still a stored verdict under the deep rules).
    let mut deep = spawn_screen(&urls, &pg.url, &["--deep", "--until-idle", "3"]);
    assert!(wait_exit(&mut deep, Duration::from_secs(300)).success());
    assert_eq!(status(&urls)["deep_waiting"], 0, "the deep queue drained");
    let mut store = HistoryStore::open(&pg.url).unwrap();
    let query = DomainQuery {
        verdicts: vec![],
        name_contains: Some(tag.clone()),
        limit: 10_000,
        offset: 0,
    };
    let all = store.list_domain_verdicts(&query).unwrap();
    let deep_rows = all
        .iter()
        .filter(|r| r.rules_version.ends_with("+deep"))
        .count();
    assert_eq!(deep_rows, flagged, "one deep verdict per flagged name");
}

/// `bench feed` starts its own broker and workers and reports every figure; a short ack wait
/// and latency phase keep it quick (the kill phase waits one ack wait for redelivery).
#[test]
fn bench_feed_reports_every_figure_and_stores_every_name() {
    if phishprobe_testkit::nats::nats_server().is_none() {
        return;
    }
    let out = run(
        &[
            "bench",
            "feed",
            "--names",
            "500",
            "--workers",
            "1",
            "--ack-wait",
            "3",
            "--latency-seconds",
            "1",
            "--json",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "bench feed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let first = &report["throughput"][0];
    assert_eq!(first["workers"], 1);
    assert_eq!(first["stored"], 500, "{report}");
    assert!(first["names_per_second"].as_f64().is_some_and(|v| v > 0.0));
    // CPU is counted in clock ticks (10 ms): 500 names may cost the broker less than one.
    for key in ["broker_cpu_ms_per_1000", "workers_cpu_ms_per_1000"] {
        assert!(
            first[key].as_f64().is_some_and(|v| v >= 0.0),
            "{key} in {report}"
        );
    }
    let latency = &report["latency"];
    assert_eq!(latency["stored"], latency["names"], "{report}");
    assert!(
        latency["p99_ms"]
            .as_f64()
            .is_some_and(|v| v >= latency["p50_ms"].as_f64().unwrap_or(f64::MAX))
    );
    let kill = &report["worker_kill"];
    assert_eq!(kill["stored"], 500, "{report}");
    assert!(kill["rows_written_more_than_once"].is_u64(), "{report}");
    assert!(kill["drained_after_kill_seconds"].is_f64(), "{report}");
    assert!(
        report["storage"]["bytes_per_name"]
            .as_f64()
            .is_some_and(|v| v > 0.0),
        "{report}"
    );
    assert!(report["machine"]["load_average_before"].is_string());
}

#[test]
fn a_worker_stopped_with_sigterm_finishes_its_batch_and_leaves_nothing_held() {
    let Some(nats) = NatsSetup::single() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let names = names(4_000, "t");
    let list = write_list(dir.path(), &names);
    let db = dir.path().join("verdicts.db");
    let urls = nats.urls();
    feed_to(&list, &urls, &[]);
    let mut worker = spawn_screen(&urls, &db, &["--batch", "20"]);
    let started = Instant::now();
    while stored_count(&db) < 200 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the worker stores nothing"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let term = std::process::Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    assert!(
        wait_exit(&mut worker, Duration::from_secs(30)).success(),
        "a clean exit"
    );
    let s = status(&urls);
    assert_eq!(s["names_unacked"], 0, "nothing held for the ack wait: {s}");
    assert!(
        s["names_pending"].as_u64().unwrap() > 0,
        "it stopped before the end: {s}"
    );
    let mut rest = spawn_screen(&urls, &db, &["--until-idle", "2"]);
    assert!(wait_exit(&mut rest, Duration::from_secs(120)).success());
    let rows = assert_all_stored_once(&db, &names);
    assert!(
        rows.values().all(|(_, writes)| *writes == 1),
        "no name came back twice"
    );
    assert_drained(&urls);
}
