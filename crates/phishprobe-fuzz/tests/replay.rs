//! Runs every committed fuzz input through its target on stable Rust: the minimised seed
//! corpora (`fuzz/corpus/<target>/`) and every crash found so far (`fuzz/regressions/<target>/`).
//! A panic here is a regression of a fixed crash or a new bug on a known input.

use std::path::{Path, PathBuf};

use phishprobe_fuzz::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

#[test]
fn every_target_has_a_libfuzzer_binary_and_a_seed_corpus() {
    for (name, _) in TARGETS {
        let bin = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let src = std::fs::read_to_string(&bin).unwrap_or_default();
        assert!(
            src.contains(&format!("phishprobe_fuzz::{}", fn_name(name))),
            "{} must call phishprobe_fuzz::{}",
            bin.display(),
            fn_name(name)
        );
        let seeds = files(&fuzz_dir().join("corpus").join(name));
        assert!(!seeds.is_empty(), "no seed corpus for {name}");
    }
    let bins = files(&fuzz_dir().join("fuzz_targets"));
    assert_eq!(
        bins.len(),
        TARGETS.len(),
        "fuzz_targets/ and TARGETS differ"
    );
}

/// The library function a target name maps to (a few names clash with modules).
fn fn_name(target: &str) -> &str {
    match target {
        "text" => "text_check",
        "phone" => "phone_numbers",
        "html" => "html_scan",
        other => other,
    }
}

#[test]
fn corpora_and_regressions_replay_without_a_crash() {
    let mut n = 0;
    for (name, run) in TARGETS {
        for sub in ["corpus", "regressions"] {
            for f in files(&fuzz_dir().join(sub).join(name)) {
                let data = std::fs::read(&f).expect("committed fuzz input is readable");
                let r = std::panic::catch_unwind(|| run(&data));
                assert!(r.is_ok(), "{name}: {} crashes", f.display());
                n += 1;
            }
        }
    }
    println!("replayed {n} fuzz inputs");
    assert!(n >= TARGETS.len());
}
