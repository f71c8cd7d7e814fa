//! `phishprobe milter` on the command line, without a mail server: configuration checks and
//! start-up errors, each with its exit code and a message that names the problem.

mod common;
use common::{assert_exit, run};

fn write(name: &str, body: &str) -> String {
    let d = std::env::temp_dir().join(format!("phishprobe-milter-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

#[test]
fn the_shipped_example_configuration_checks_out() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../phishprobe-milter/milter.example.toml"
    );
    let o = run(&["milter", "--config", example, "--check-config"], None);
    assert_exit(&o, 0);
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(shown.contains("phishing: Quarantine"), "{shown}");
}

#[test]
fn a_bad_configuration_is_refused_naming_file_and_key() {
    let bad = write("bad.toml", "[actions]\nphishing = \"delete\"\n");
    let o = run(&["milter", "--config", &bad, "--check-config"], None);
    assert_exit(&o, 4);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.toml") && err.contains("delete"), "{err}");
    let typo = write("typo.toml", "[failure]\ndeadline = 5\n");
    let o = run(&["milter", "--config", &typo], None);
    assert_exit(&o, 4);
    assert!(String::from_utf8_lossy(&o.stderr).contains("deadline"));
    let o = run(&["milter", "--config", "/nonexistent/milter.toml"], None);
    assert_exit(&o, 4);
}

#[test]
fn a_bad_or_busy_listen_address_is_an_error_not_a_hang() {
    let o = run(&["milter", "--listen", "127.0.0.1:25"], None);
    assert_exit(&o, 3);
    assert!(String::from_utf8_lossy(&o.stderr).contains("inet:HOST:PORT"));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("inet:{}", taken.local_addr().unwrap());
    let o = run(&["milter", "--listen", &addr], None);
    assert_exit(&o, 4);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot listen on"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn probe_options_need_the_probe_queue() {
    let o = run(&["milter", "--probe-allow-private"], None);
    assert_exit(&o, 3);
}
