//! One consistent command line, through the real binary: the global options in one help
//! section and only where they apply, every positional argument described, two scores with
//! distinct names, `--lang zh` labels, one usage error (exit 3) for empty input everywhere,
//! errors on stderr, and what a case id looks like when one is not found.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{assert_exit, run};

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("phishprobe-cli-consistency-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp dir");
    d
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn help(args: &[&str]) -> String {
    let mut a = args.to_vec();
    a.push("-h"); // the short form: one line per option
    let o = run(&a, None);
    assert_exit(&o, 0);
    stdout(&o)
}

/// Whether one of `section`'s lines declares option `name` (not merely mentions it).
fn declares(section: &str, name: &str) -> bool {
    section.lines().any(|l| {
        let l = l.trim_start();
        let l = l
            .split_once(", ")
            .filter(|(short, _)| short.len() == 2)
            .map_or(l, |(_, rest)| rest);
        l == name || l.starts_with(&format!("{name} "))
    })
}

/// The lines of one help section (`Options:`, `Global options:`), up to the next heading.
fn section(help: &str, heading: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in help.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            inside = line == heading;
            continue;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

const GLOBALS: [&str; 4] = ["--json", "--lang", "--color", "--brands"];

#[test]
fn global_options_are_one_help_section_and_only_where_they_apply() {
    let top = help(&[]);
    let global = section(&top, "Global options:");
    for g in GLOBALS {
        assert!(declares(&global, g), "{g} not under Global options:\n{top}");
        assert!(
            !declares(&section(&top, "Options:"), g),
            "{g} mixed into Options:\n{top}"
        );
    }
    // (command, the global options it takes)
    let table: [(&[&str], &[&str]); 11] = [
        (&["url"], &GLOBALS),
        (&["audio"], &GLOBALS),
        (&["case"], &GLOBALS),
        (&["history", "show"], &["--json", "--lang", "--color"]),
        (&["numbers", "add"], &["--json", "--lang"]),
        (&["bench"], &["--json", "--brands"]),
        (&["feed"], &GLOBALS),
        (&["screen"], &GLOBALS),
        (&["serve"], &[]),
        (&["milter"], &["--brands"]),
        (&["text"], &GLOBALS),
    ];
    for (cmd, takes) in table {
        let h = help(cmd);
        let own = section(&h, "Options:");
        let global = section(&h, "Global options:");
        for g in GLOBALS {
            assert!(
                !declares(&own, g),
                "{cmd:?}: {g} among its own options:\n{h}"
            );
            assert_eq!(
                declares(&global, g),
                takes.contains(&g),
                "{cmd:?}: {g} listed = {}, takes = {}:\n{h}",
                declares(&global, g),
                takes.contains(&g)
            );
        }
    }
}

#[test]
fn global_options_that_do_not_apply_are_refused_before_or_after_the_command() {
    let brands = dir().display().to_string();
    let db = dir().join("numbers.db").display().to_string();
    let cases: [&[&str]; 7] = [
        &["serve", "--json"],
        &["milter", "--json"],
        &["--json", "serve"],
        &["bench", "--color", "never"],
        &["--lang", "zh", "bench"],
        &["numbers", "--db", &db, "--brands", &brands, "list"],
        &["--brands", &brands, "numbers", "--db", &db, "list"],
    ];
    for args in cases {
        let o = run(args, None);
        assert_exit(&o, 3);
        let err = stderr(&o);
        assert!(
            err.contains("does not apply to `phishprobe "),
            "{args:?}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn every_positional_argument_is_described() {
    for (cmd, arg) in [
        (&["numbers", "add"][..], "<NUMBER>"),
        (&["numbers", "remove"][..], "<NUMBER>"),
        (&["phone"][..], "<NUMBER>..."),
        (&["history", "show"][..], "<ID>"),
        (&["history", "export"][..], "<ID>"),
        (&["history", "delete"][..], "<ID>"),
        (&["url"][..], "[INPUTS]..."),
        (&["probe"][..], "<URL>..."),
    ] {
        let h = help(cmd);
        let args = section(&h, "Arguments:");
        let line = args
            .lines()
            .find(|l| l.trim_start().starts_with(arg))
            .unwrap_or_else(|| panic!("{cmd:?}: no {arg} under Arguments:\n{h}"));
        let described = line.trim_start().trim_start_matches(arg).trim();
        assert!(
            described.len() > 10,
            "{cmd:?}: {arg} has no description:\n{h}"
        );
    }
}

const SCAM_SMS: &str = "Amazon Security: your account is locked. Reply with the verification code we sent you within 24 hours or your account will be closed.";

#[test]
fn the_two_scores_have_distinct_explained_names() {
    let o = run(&["--color", "never", "text", SCAM_SMS], None);
    let out = stdout(&o);
    let header = out.lines().next().unwrap_or_default();
    assert!(header.contains("risk score "), "{out}");
    assert!(!header.contains("scam"), "{out}");
    let footer = out
        .lines()
        .find(|l| l.contains("Scam-wording score: "))
        .unwrap_or_else(|| panic!("no scam-wording line: {out}"));
    assert!(footer.contains("risk score above"), "{footer}");
    assert!(!out.contains("Scam likelihood"), "{out}");
    // The JSON keeps both fields, and they are different numbers here: the code request is
    // in the risk score, not in the wording score.
    let j = common::json_lines(&run(&["--json", "text", SCAM_SMS], None));
    let (risk, wording) = (j[0]["score"].as_u64(), j[0]["scam_likelihood"].as_u64());
    assert!(risk > wording, "risk {risk:?} wording {wording:?}");
}

/// The severity names and other English labels that must not show in Chinese output.
const ENGLISH_LABELS: [&str; 8] = [
    "critical",
    " high ",
    "medium",
    " low ",
    "brand:",
    "score",
    "PHISHING",
    "What to do",
];

#[test]
fn lang_zh_translates_every_label() {
    let o = run(
        &[
            "--lang",
            "zh",
            "--color",
            "never",
            "url",
            "https://amazon.co.jp.account-verify.top/ap/signin",
        ],
        None,
    );
    assert_exit(&o, 2);
    let out = stdout(&o);
    for zh in ["钓鱼", "品牌", "风险分"] {
        assert!(out.contains(zh), "{zh} missing: {out}");
    }
    assert!(
        out.contains("严重") || out.contains("高"),
        "no Chinese severity: {out}"
    );
    for en in ENGLISH_LABELS {
        assert!(!out.contains(en), "English label {en:?} in: {out}");
    }

    let t = run(
        &["text", "--lang", "zh", "--color", "never", SCAM_SMS],
        None,
    );
    let out = stdout(&t);
    assert!(out.contains("诈骗话术分"), "{out}");
    assert!(!out.contains("Scam") && !out.contains("risk"), "{out}");

    let c = run(
        &[
            "case",
            "--no-save",
            "--lang",
            "zh",
            "--color",
            "never",
            "--url",
            "https://amazon.co.jp.account-verify.top/ap/signin",
        ],
        None,
    );
    let out = stdout(&c);
    assert!(out.contains("现在该怎么做"), "{out}");
    for en in ENGLISH_LABELS {
        assert!(!out.contains(en), "English label {en:?} in: {out}");
    }
}

/// Exit 3, nothing on stdout, one line on stderr.
fn assert_usage(o: &Output, what: &str) {
    assert_eq!(o.status.code(), Some(3), "{what}: {}", stderr(o));
    assert!(o.stdout.is_empty(), "{what}: stdout {}", stdout(o));
    let err = stderr(o);
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
    assert!(err.starts_with("phishprobe: "), "{what}: {err}");
}

#[test]
fn empty_input_is_the_same_usage_error_everywhere() {
    let empty = dir().join("empty.txt");
    std::fs::write(&empty, "  \n").expect("write");
    let empty = empty.display().to_string();
    let db = dir().join("empty-numbers.db").display().to_string();
    let cases: [(&[&str], Option<&[u8]>); 14] = [
        (&["url", ""], None),
        (&["url", "  "], None),
        (&["url"], Some(b"")),
        (&["url", "--file", &empty], None),
        (&["text", ""], None),
        (&["text"], Some(b"\n\n")),
        (&["text", "--file", &empty], None),
        (&["case", "--no-save"], None),
        (&["case", "--no-save", "--url", ""], None),
        (&["case", "--no-save", "--text", &empty], None),
        (&["phone", ""], None),
        (&["email"], Some(b"")),
        (&["probe", ""], None),
        (&["numbers", "--db", &db, "add", "", "--trusted"], None),
    ];
    for (args, input) in cases {
        let o = run(args, input);
        assert_usage(&o, &format!("{args:?}"));
        assert!(
            stderr(&o).contains("empty")
                || stderr(&o).contains("nothing")
                || stderr(&o).contains("no link"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn errors_go_to_stderr() {
    // A line that is not text among good ones: the good one is answered on stdout, the error
    // is on stderr (readable), and with --json also one error object in the stream.
    let mixed = b"https://www.amazon.com/\n\xff\xfe\n".to_vec();
    let o = run(&["--color", "never", "url"], Some(&mixed));
    assert_exit(&o, 4);
    assert!(!stdout(&o).contains("ERROR"), "{}", stdout(&o));
    assert!(stdout(&o).contains("amazon.com"));
    assert!(
        stderr(&o).contains("ERROR") && stderr(&o).contains("UTF-8"),
        "{}",
        stderr(&o)
    );
    let j = run(&["--json", "url"], Some(&mixed));
    let lines = common::json_lines(&j);
    assert_eq!(lines.len(), 2);
    assert!(lines[1]["error"].is_object());
    assert!(stderr(&j).contains("UTF-8"));

    let e = run(
        &["--color", "never", "email", "/nonexistent/mail.eml"],
        None,
    );
    assert_exit(&e, 4);
    assert!(!stdout(&e).contains("nonexistent"), "{}", stdout(&e));
    assert!(
        stderr(&e).contains("/nonexistent/mail.eml"),
        "{}",
        stderr(&e)
    );

    let db = dir().join("remove.db").display().to_string();
    let r = run(&["numbers", "--db", &db, "remove", "+1 206 555 0100"], None);
    assert_exit(&r, 4);
    assert!(r.stdout.is_empty(), "{}", stdout(&r));
    assert!(stderr(&r).contains("not on the list"), "{}", stderr(&r));
}

#[test]
fn an_unknown_case_id_says_what_an_id_looks_like() {
    let db = dir().join("ids.db").display().to_string();
    let saved = run(
        &[
            "--json",
            "case",
            "--db",
            &db,
            "--url",
            "https://www.amazon.com/",
        ],
        None,
    );
    assert_exit(&saved, 0);
    let id = common::json_lines(&saved)[0]["case_id"]
        .as_str()
        .expect("saved")
        .to_string();

    let missing = run(&["history", "--db", &db, "show", "zzzzzzzzzzzz"], None);
    assert_exit(&missing, 4);
    let err = stderr(&missing);
    assert!(err.contains("history list"), "{err}");
    // The alphabet the message names is the one real ids are made of.
    let alphabet = err
        .split("characters of ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no alphabet in: {err}"));
    assert_eq!(alphabet.len(), 32, "{err}");
    assert!(err.contains("12 characters"), "{err}");
    assert_eq!(id.len(), 12);
    assert!(
        id.chars().all(|c| alphabet.contains(c)),
        "{id} vs {alphabet}"
    );
    for c in ['i', 'l', 'o', 'u'] {
        assert!(!alphabet.contains(c), "{alphabet}");
    }

    for bad in ["lool", "x!", ""] {
        let o = run(&["history", "--db", &db, "show", bad], None);
        assert_usage(&o, bad);
        assert!(
            stderr(&o).contains("history list") && stderr(&o).contains(alphabet),
            "{}",
            stderr(&o)
        );
    }
}
