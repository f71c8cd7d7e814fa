//! What the end-to-end tests of the binary share: running it, reading its JSON.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

pub mod site;

/// The binary, without the user's own history setting.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_phishprobe"));
    c.env_remove("PHISHPROBE_DB");
    c
}

/// Run it with `args`, feeding `stdin` when given.
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut c = bin();
    c.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn phishprobe");
    if let Some(mut si) = child.stdin.take()
        && let Some(data) = stdin
    {
        let _ = si.write_all(data);
    }
    child.wait_with_output().expect("wait")
}

/// Assert the exit code, showing stderr when it differs.
pub fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// One JSON object per output line.
pub fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON {l:?}: {e}")))
        .collect()
}

/// The finding codes of a report (or of a case step).
pub fn codes(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(|f| f["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
