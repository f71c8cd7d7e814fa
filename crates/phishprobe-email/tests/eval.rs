//! Evaluation over the shared corpus (`../shared/corpus/email/`, read-only; skipped with a
//! message when missing). Prints the figures and asserts the targets of data/eval_targets.toml (fails
//! under PHISHPROBE_REQUIRE_CORPUS=1 when the corpus is missing).

use std::path::Path;

use phishprobe_core::{Engine, Verdict};
use phishprobe_email::{EmailChecker, Options};

fn corpus() -> Option<std::path::PathBuf> {
    let manifest = phishprobe_testkit::corpus_path("email/manifest.tsv")?;
    manifest.parent().map(Path::to_path_buf)
}

#[test]
fn corpus_figures() {
    let Some(dir) = corpus() else {
        return;
    };
    let engine = Engine::embedded().expect("engine");
    let checker = EmailChecker::new(&engine, Options::default());
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).expect("manifest");
    let (mut am_n, mut am_ok, mut ph_n, mut ph_flag, mut ham_n, mut ham_flag) = (0, 0, 0, 0, 0, 0);
    let mut amazon_ham_phishing = Vec::new();
    let verbose = std::env::var_os("EVAL_VERBOSE").is_some();
    // EVAL_DUMP=FILE: one line per message (file, label, brand, verdict, reported brand, text
    // length, findings with severities) for studying the weights.
    let mut dump = std::env::var_os("EVAL_DUMP").and_then(|p| std::fs::File::create(p).ok());
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, label, brand, source, ..] = cols[..] else {
            continue;
        };
        let Ok(raw) = std::fs::read(dir.join(file)) else {
            continue;
        };
        let mut text_chars = 0;
        let (verdict, rbrand, codes) = match checker.check(file, &raw) {
            Ok(r) => {
                text_chars = r.details.text_chars;
                (
                    r.report.verdict,
                    r.report.brand.clone(),
                    r.report
                        .findings
                        .iter()
                        .filter(|f| f.severity as u8 > 0)
                        .map(|f| format!("{}:{:?}", f.code, f.severity))
                        .collect::<Vec<_>>()
                        .join(","),
                )
            }
            Err(e) => (Verdict::Unknown, None, format!("ERROR {e}")),
        };
        let flagged = verdict >= Verdict::Suspicious;
        if let Some(d) = dump.as_mut() {
            use std::io::Write;
            let _ = writeln!(
                d,
                "{file}\t{label}\t{brand}\t{verdict:?}\t{}\t{text_chars}\t{codes}",
                rbrand.as_deref().unwrap_or("-")
            );
        }
        if label == "phish" {
            ph_n += 1;
            ph_flag += flagged as u32;
            if brand == "amazon" {
                am_n += 1;
                if flagged && rbrand.as_deref() == Some("amazon") {
                    am_ok += 1;
                } else if verbose {
                    println!("MISS-AMAZON {file} {verdict:?} {rbrand:?} {codes}");
                }
            } else if !flagged && verbose {
                println!("MISS-OTHER {file} {verdict:?} {rbrand:?} {codes}");
            }
        } else {
            ham_n += 1;
            ham_flag += flagged as u32;
            if flagged && verbose {
                println!("FP {file} {brand} {verdict:?} {rbrand:?} {codes}");
            }
            if source.contains("Home-Assistant")
                && brand == "amazon"
                && verdict == Verdict::Phishing
            {
                amazon_ham_phishing.push(file.to_string());
            }
        }
    }
    let pct = |a: u32, b: u32| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    println!(
        "brand=amazon phish flagged with brand=amazon: {am_ok}/{am_n} = {:.1}%",
        pct(am_ok, am_n)
    );
    println!(
        "all phish flagged: {ph_flag}/{ph_n} = {:.1}%",
        pct(ph_flag, ph_n)
    );
    println!(
        "ham flagged: {ham_flag}/{ham_n} = {:.2}%",
        pct(ham_flag, ham_n)
    );
    println!("genuine Amazon notifications called phishing: {amazon_ham_phishing:?}");
    assert!(amazon_ham_phishing.is_empty());
    // Targets and the one floor (with its reason) are in data/eval_targets.toml.
    phishprobe_testkit::assert_measure("email.ham_flagged", pct(ham_flag, ham_n), "ham");
    phishprobe_testkit::assert_measure(
        "email.amazon_recall",
        pct(am_ok, am_n),
        "brand=amazon phish flagged with brand amazon",
    );
    phishprobe_testkit::assert_measure("email.all_phish_recall", pct(ph_flag, ph_n), "all phish");
}
