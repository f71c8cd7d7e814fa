//! Hostile host names and URLs get a verdict, and a malformed brand profile is an error that
//! names its file and line. The hostname and URL rules themselves, each with a case that must
//! fire and one that must not, are data: `resources/url/` (read by `url_vectors.rs`).

use phishprobe_core::{Engine, Report, Verdict};

fn engine() -> &'static Engine {
    use std::sync::OnceLock;
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::embedded().expect("embedded data loads"))
}

fn url(s: &str) -> Report {
    engine().check_url(s)
}

#[test]
fn hostile_input_gets_a_verdict() {
    let big = "a".repeat(10 * 1024 * 1024);
    for s in [
        "",
        "....",
        ".",
        "\0\0",
        "xn--",
        "xn--zz--.com",
        "xn--a.xn--b",
        "http://",
        "http://[::1",
        "%%%%",
        "a..b..c",
        "-.-",
        big.as_str(),
    ] {
        let r = url(s);
        assert!(r.score <= 100);
        // Garbage is never vouched for, whatever else is said about it.
        let h = engine().check_host(s);
        assert!(h.score <= 100);
        assert_ne!(h.verdict, Verdict::Genuine, "{:?}", s.get(..40));
    }
    assert!(url("xn--zz--.com").has("host.idna_invalid"));
    assert!(url(&big).has("url.overlong"));
}

#[test]
fn malformed_profile_names_file_and_line() {
    let err = Engine::from_sources(
        [(
            "bad.toml",
            "id = \"x\"\nname = \"X\"\nhost_tokens = [\"xyz\"\n",
        )],
        ("hosting.toml", ""),
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("bad.toml:"), "{err}");
    let err = Engine::from_sources(
        [(
            "b.toml",
            "id = \"x\"\nname = \"X\"\nhost_tokens = [\"xyz\"]\nnope = 1\n",
        )],
        ("hosting.toml", ""),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("b.toml:4"), "{err}");
}
