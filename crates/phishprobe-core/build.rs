//! Embeds every data file under `data/` (brand profiles, host lists, text patterns) so the binary
//! needs no set-up: a new brand is a new TOML file, not a code change.

use std::{env, fs, path::Path};

fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".toml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let data = Path::new(&manifest).join("../../data");
    let mut out = String::new();
    for (konst, sub, what) in [
        ("BRANDS", "brands", "The brand profiles"),
        ("PATTERNS", "patterns", "The text cue patterns"),
    ] {
        let dir = data.join(sub);
        println!("cargo:rerun-if-changed={}", dir.display());
        out.push_str(&format!(
            "/// {what} (`data/{sub}/*.toml`) as `(file name, TOML)`, in file-name order.\n"
        ));
        out.push_str(&format!("pub const {konst}: &[(&str, &str)] = &[\n"));
        for name in list(&dir) {
            let path = dir.join(&name);
            println!("cargo:rerun-if-changed={}", path.display());
            out.push_str(&format!(
                "    ({name:?}, include_str!({:?})),\n",
                path.canonicalize()
                    .unwrap_or(path.clone())
                    .display()
                    .to_string()
            ));
        }
        out.push_str("];\n");
    }
    let hosting = data.join("hosting.toml");
    println!("cargo:rerun-if-changed={}", hosting.display());
    out.push_str("/// The host lists (`data/hosting.toml`).\n");
    if hosting.exists() {
        out.push_str(&format!(
            "pub const HOSTING: &str = include_str!({:?});\n",
            hosting
                .canonicalize()
                .unwrap_or(hosting.clone())
                .display()
                .to_string()
        ));
    } else {
        out.push_str("pub const HOSTING: &str = \"\";\n");
    }
    let case = data.join("case.toml");
    println!("cargo:rerun-if-changed={}", case.display());
    out.push_str("/// The case rules (`data/case.toml`).\n");
    out.push_str(&format!(
        "pub const CASE: &str = include_str!({:?});\n",
        case.canonicalize()
            .unwrap_or(case.clone())
            .display()
            .to_string()
    ));
    let popular = data.join("popular/chromium-top-domains.list");
    println!("cargo:rerun-if-changed={}", popular.display());
    out.push_str("/// Chromium's popular-domains list (`data/popular/`).\n");
    out.push_str(&format!(
        "pub const POPULAR: &str = include_str!({:?});\n",
        popular
            .canonicalize()
            .unwrap_or(popular.clone())
            .display()
            .to_string()
    ));
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded.rs");
    fs::write(dest, out).expect("write embedded.rs");
}
