//! The readable table printed without `--json`: one line per figure group, read back from the
//! JSON report so both outputs always show the same numbers.

use serde_json::Value;

/// The readable report.
pub(super) fn print_table(r: &Value) {
    let m = &r["machine"];
    println!(
        "bench feed: {} names per phase; {} CPUs, load {} before, {} after; nats-server {}",
        show(&r["names"]),
        show(&m["cpus"]),
        show(&m["load_average_before"]),
        show(&m["load_average_after"]),
        show(&m["nats_server"])
    );
    println!(
        "  workers   names/s   seconds  publish s  broker CPU %  ms/1000  workers CPU %  ms/1000  publisher CPU %  stored"
    );
    for t in r["throughput"].as_array().into_iter().flatten() {
        println!(
            "  {:>7} {:>9} {:>9} {:>10} {:>13} {:>8} {:>14} {:>8} {:>16} {:>7}",
            show(&t["workers"]),
            show(&t["names_per_second"]),
            show(&t["seconds"]),
            show(&t["publish_seconds"]),
            show(&t["broker_cpu_percent"]),
            show(&t["broker_cpu_ms_per_1000"]),
            show(&t["workers_cpu_percent"]),
            show(&t["workers_cpu_ms_per_1000"]),
            show(&t["publisher_cpu_percent"]),
            show(&t["stored"])
        );
    }
    let l = &r["latency"];
    println!(
        "  latency publish → stored at {}/s ({} names, 1 in-process worker): p50 {} ms, p99 {} ms, max {} ms",
        show(&l["rate_per_second"]),
        show(&l["names"]),
        show(&l["p50_ms"]),
        show(&l["p99_ms"]),
        show(&l["max_ms"])
    );
    let k = &r["worker_kill"];
    println!(
        "  worker killed midway (2 workers, ack wait {} s): {} of {} stored; {} rows written twice; {} redelivered; drained {} s after the kill (expected {} s without it)",
        show(&k["ack_wait_seconds"]),
        show(&k["stored"]),
        show(&k["names"]),
        show(&k["rows_written_more_than_once"]),
        show(&k["redelivered_to_survivor"]),
        show(&k["drained_after_kill_seconds"]),
        show(&k["expected_without_kill_seconds"])
    );
    let s = &r["storage"];
    println!(
        "  storage: {} bytes per name (SQLite, {} rows, {} bytes)",
        show(&s["bytes_per_name"]),
        show(&s["rows"]),
        show(&s["sqlite_bytes"])
    );
    print_leader_kill(&r["leader_kill"]);
}

/// The cluster line, when `--cluster` was given.
fn print_leader_kill(c: &Value) {
    if c.is_null() {
        return;
    }
    println!(
        "  stream leader killed midway (3-node cluster, 2 workers): {} of {} stored; {} rows written twice; drained {} s after the kill",
        show(&c["stored"]),
        show(&c["names"]),
        show(&c["rows_written_more_than_once"]),
        show(&c["drained_after_kill_seconds"])
    );
}

/// A figure for the table: strings without quotes, missing ones as n/a.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "n/a".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
