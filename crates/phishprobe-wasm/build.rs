//! Converts the data files the core embeds as TOML (brand profiles, host lists) to JSON for
//! this build: the extension parses them at every service-worker start, and JSON parses
//! several times faster than TOML in WebAssembly. Same files, same order as the core's own
//! build script; the core checks the fields either way.

use std::{env, fs, path::Path};

fn to_json(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: toml::Value =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::to_string(&value).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let data = Path::new(&manifest).join("../../data");
    let brands = data.join("brands");
    println!("cargo:rerun-if-changed={}", brands.display());
    let mut names: Vec<String> = fs::read_dir(&brands)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".toml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::from("pub const BRANDS: &[(&str, &str)] = &[\n");
    for name in &names {
        let path = brands.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        out.push_str(&format!("    ({name:?}, {:?}),\n", to_json(&path)));
    }
    out.push_str("];\n");
    let hosting = data.join("hosting.toml");
    println!("cargo:rerun-if-changed={}", hosting.display());
    out.push_str(&format!(
        "pub const HOSTING: &str = {:?};\n",
        to_json(&hosting)
    ));
    fs::write(Path::new(&out_dir).join("data_json.rs"), out).expect("write data_json.rs");
}
