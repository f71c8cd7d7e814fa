//! The `phishprobe url` binary end to end: exit codes, JSON shape, streaming, hostile lines.

use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_phishprobe"))
}

fn run_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn phishprobe");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn exit_codes_follow_the_worst_verdict() {
    let code = |args: &[&str]| bin().args(args).output().unwrap().status.code();
    assert_eq!(code(&["url", "amazon.com"]), Some(0));
    assert_eq!(code(&["url", "example.org"]), Some(0));
    assert_eq!(code(&["url", "https://user@example.org/"]), Some(1));
    assert_eq!(
        code(&["url", "amazon.com", "amazon-verify-login.top"]),
        Some(2)
    );
    assert_eq!(code(&["url", "--no-such-flag"]), Some(3));
    assert_eq!(code(&["url", "--file", "/nonexistent/file"]), Some(4));
}

#[test]
fn json_has_exactly_the_verdict_model_fields() {
    let out = bin()
        .args([
            "url",
            "--json",
            "amaz0n-login.vercel.app",
            "www.amazon.co.uk",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let first = lines[0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["brand", "findings", "input", "score", "verdict"]);
    assert_eq!(lines[0]["verdict"], "phishing");
    assert_eq!(lines[0]["brand"], "amazon");
    let f = &lines[0]["findings"][0];
    for k in ["code", "severity", "message", "evidence"] {
        assert!(f.get(k).is_some(), "{k}");
    }
    assert!(
        f["message"]["zh"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c as u32 > 0x4E00)
    );
    assert_eq!(lines[1]["verdict"], "genuine");
}

#[test]
fn stdin_streams_in_order_and_survives_hostile_lines() {
    let mut input = Vec::new();
    input.extend_from_slice(b"amazon.com\n\n....\n");
    input.extend_from_slice(b"\xff\xfe\xfd\n");
    input.extend_from_slice(b"xn--zz--.com\n");
    input.extend_from_slice(b"a\0b.com\n");
    input.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    input.extend_from_slice(b".com\n");
    for i in 0..5000 {
        input.extend_from_slice(format!("host{i}.example.com\n").as_bytes());
    }
    input.extend_from_slice(b"amazon.shop");
    let (code, out, err) = run_stdin(&["url", "--json"], &input);
    assert!(err.is_empty() || !err.contains("panicked"), "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The empty line is skipped; every other line gets a verdict or an error object.
    assert_eq!(lines.len(), 5 + 1 + 5000 + 1);
    assert_eq!(lines[0]["input"], "amazon.com");
    assert_eq!(lines[2]["error"]["code"], "input.invalid_utf8");
    assert!(
        lines[3]["findings"]
            .to_string()
            .contains("host.idna_invalid")
    );
    assert!(
        lines[4]["findings"]
            .to_string()
            .contains("host.control_chars")
    );
    assert!(lines[5]["findings"].to_string().contains("input.truncated"));
    assert_eq!(lines[6]["input"], "host0.example.com");
    assert_eq!(lines[5005]["input"], "host4999.example.com");
    assert_eq!(lines.last().unwrap()["input"], "amazon.shop");
    // An input error (the binary line) is reported in the exit code.
    assert_eq!(code, 4);
}

#[test]
fn readable_output_in_chinese() {
    let out = bin()
        .args([
            "url",
            "--lang",
            "zh",
            "--color",
            "never",
            "amazon.co.jp.abc.buzz",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("钓鱼"), "{text}");
    assert!(text.contains("amazon.co.jp"));
}

#[test]
fn brands_folder_overrides_the_embedded_profiles() {
    let dir = std::env::temp_dir().join(format!("pp-brands-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("acme.toml"),
        "id = \"acme\"\nname = \"Acme\"\nhost_tokens = [\"acmeshop\"]\n[[web]]\ndomain = \"acmeshop.example\"\nsource = \"test\"\n",
    )
    .unwrap();
    let out = bin()
        .args([
            "--brands",
            dir.to_str().unwrap(),
            "url",
            "--json",
            "acmeshop-login.top",
            "amazon-login.top",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["brand"], "acme");
    // Amazon is not in this folder, so it is not recognised.
    assert!(lines[1]["brand"].is_null());
    std::fs::write(
        dir.join("acme.toml"),
        "id = \"acme\"\nname = \"Acme\"\nhost_tokens = 5\n",
    )
    .unwrap();
    let out = bin()
        .args(["--brands", dir.to_str().unwrap(), "url", "x.com"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("acme.toml:3"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
