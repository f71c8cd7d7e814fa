//! # phishprobe-wasm
//!
//! The analysis core for the browser extension, compiled to `wasm32-unknown-unknown` (see
//! `extension/build.sh`). The interface is a raw ABI so no binding generator is needed and the
//! module has no imports:
//!
//! 1. `pp_alloc(len)` returns a buffer in the module's memory; the caller writes UTF-8 JSON there.
//! 2. `pp_check_page(ptr, len)` or `pp_check_url(ptr, len)` reads and frees that buffer, runs the
//!    check and keeps the answer; it returns 0, or 1 when the input was not valid (the answer is
//!    then `{"error": "..."}`).
//! 3. `pp_result_ptr()` and `pp_result_len()` locate the answer (UTF-8 JSON), valid until the
//!    next call.
//!
//! The brand knowledge is the one embedded in `phishprobe-core` (converted to JSON at build
//! time, which parses faster), loaded on the first call. The
//! same functions are usable natively ([`check_page_json`], [`check_url_json`]), which is how
//! the tests compare WebAssembly and native answers.
#![warn(missing_docs)]

use std::cell::RefCell;
use std::sync::OnceLock;

use phishprobe_core::combine::{Advice, CaseBuilder, CaseRules, PartKind};
use phishprobe_core::lists::HostLists;
use phishprobe_core::page::{self, PageFacts};
use phishprobe_core::{BrandSet, Engine};
use serde::Serialize;

/// Largest input accepted by one call; a page event is a few kilobytes.
pub const MAX_INPUT: usize = 1 << 20;

fn rules() -> Result<&'static CaseRules, String> {
    static RULES: OnceLock<Result<CaseRules, String>> = OnceLock::new();
    RULES
        .get_or_init(|| CaseRules::embedded().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// A page verdict and, when it warns, the advice a case report gives for it.
#[derive(Serialize)]
struct PageAnswer {
    #[serde(flatten)]
    verdict: page::PageVerdict,
    advice: Vec<Advice>,
}

/// The core's data files as JSON (see `build.rs`).
mod data_json {
    include!(concat!(env!("OUT_DIR"), "/data_json.rs"));
}

/// The engine over the embedded data, parsed from its JSON form.
pub fn engine_from_json() -> Result<Engine, phishprobe_core::DataError> {
    let brands = BrandSet::from_json_sources(data_json::BRANDS.iter().copied())?;
    let lists = HostLists::from_json("hosting.toml", data_json::HOSTING)?;
    Ok(Engine::new(brands, lists))
}

fn engine() -> Result<&'static Engine, String> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| engine_from_json().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

fn error_json(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

/// Judge a page event given as JSON ([`PageFacts`]); the answer is a
/// [`page::PageVerdict`] as JSON with an `advice` list (the case report's advice when it warns).
pub fn check_page_json(input: &[u8]) -> Result<String, String> {
    if input.len() > MAX_INPUT {
        return Err(format!("input over {MAX_INPUT} bytes"));
    }
    let facts: PageFacts = serde_json::from_slice(input).map_err(|e| format!("page facts: {e}"))?;
    let engine = engine()?;
    let verdict = page::check(engine, &facts);
    let advice = if verdict.warn {
        let mut case = CaseBuilder::new(engine, rules()?);
        case.add(PartKind::Url, verdict.report.clone())
            .login_involved();
        case.build().advice
    } else {
        Vec::new()
    };
    serde_json::to_string(&PageAnswer { verdict, advice }).map_err(|e| e.to_string())
}

/// Judge a URL or hostname (UTF-8 text); the answer is the verdict model as JSON, the same
/// as `phishprobe url --json`.
pub fn check_url_json(input: &[u8]) -> Result<String, String> {
    if input.len() > MAX_INPUT {
        return Err(format!("input over {MAX_INPUT} bytes"));
    }
    let url = std::str::from_utf8(input).map_err(|e| format!("url: {e}"))?;
    serde_json::to_string(&engine()?.check_url(url)).map_err(|e| e.to_string())
}

/// The profiled brands (`id`, `name`, `name_zh`, `home`) for the options page, by name. The
/// input is ignored.
pub fn brands_json(_input: &[u8]) -> Result<String, String> {
    let engine = engine()?;
    let mut list: Vec<serde_json::Value> = engine
        .brands()
        .iter()
        .map(|b| {
            let home = page::home_of(engine, &b.id);
            serde_json::json!({ "id": b.id, "name": b.name, "name_zh": b.name_zh, "home": home })
        })
        .collect();
    list.sort_by_key(|v| v["name"].as_str().map(str::to_lowercase));
    serde_json::to_string(&list).map_err(|e| e.to_string())
}

thread_local! {
    static RESULT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Run `check` over the caller's buffer and keep its answer; 0 on success, 1 on error.
///
/// # Safety
/// `ptr` must come from [`pp_alloc`] with the same `len`, written by the caller; it is freed here.
unsafe fn run(ptr: *mut u8, len: usize, check: fn(&[u8]) -> Result<String, String>) -> u32 {
    // SAFETY: the caller promises `ptr`/`len` came from `pp_alloc(len)`.
    let input = unsafe { Vec::from_raw_parts(ptr, len, len) };
    let (answer, status) = match check(&input) {
        Ok(json) => (json, 0),
        Err(e) => (error_json(&e), 1),
    };
    RESULT.with(|r| *r.borrow_mut() = answer);
    status
}

/// A buffer of `len` bytes for the caller to write its input into.
#[unsafe(no_mangle)]
pub extern "C" fn pp_alloc(len: usize) -> *mut u8 {
    let mut buf = vec![0u8; len];
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Free a buffer from [`pp_alloc`] that was not handed to a check.
///
/// # Safety
/// `ptr` must come from [`pp_alloc`] with the same `len` and not be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_free(ptr: *mut u8, len: usize) {
    // SAFETY: as documented above.
    drop(unsafe { Vec::from_raw_parts(ptr, len, len) });
}

/// Judge a page event (JSON [`PageFacts`] in the buffer).
///
/// # Safety
/// See [`pp_free`]; the buffer is consumed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_check_page(ptr: *mut u8, len: usize) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { run(ptr, len, check_page_json) }
}

/// Judge a URL or hostname (UTF-8 in the buffer).
///
/// # Safety
/// See [`pp_free`]; the buffer is consumed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_check_url(ptr: *mut u8, len: usize) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { run(ptr, len, check_url_json) }
}

/// The profiled brands (see [`brands_json`]); the buffer is ignored and consumed.
///
/// # Safety
/// See [`pp_free`]; the buffer is consumed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_brands(ptr: *mut u8, len: usize) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { run(ptr, len, brands_json) }
}

/// Where the last answer starts.
#[unsafe(no_mangle)]
pub extern "C" fn pp_result_ptr() -> *const u8 {
    RESULT.with(|r| r.borrow().as_ptr())
}

/// The last answer's length in bytes.
#[unsafe(no_mangle)]
pub extern "C" fn pp_result_len() -> usize {
    RESULT.with(|r| r.borrow().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: unsafe extern "C" fn(*mut u8, usize) -> u32, input: &[u8]) -> (u32, String) {
        let ptr = pp_alloc(input.len());
        // SAFETY: `ptr` has `input.len()` bytes from pp_alloc.
        unsafe { std::ptr::copy_nonoverlapping(input.as_ptr(), ptr, input.len()) };
        // SAFETY: the buffer came from pp_alloc with this length and is consumed.
        let status = unsafe { f(ptr, input.len()) };
        // SAFETY: the answer stays valid until the next call on this thread.
        let answer = unsafe { std::slice::from_raw_parts(pp_result_ptr(), pp_result_len()) };
        (
            status,
            String::from_utf8(answer.to_vec()).expect("answers are UTF-8"),
        )
    }

    #[test]
    fn abi_round_trip_page_and_url() {
        let facts = br#"{"top_url":"https://amazon-account-verify.top/signin","password":{"present":true,"typed":true},"claims":{"title":"Amazon Sign-In"}}"#;
        let (status, json) = call(pp_check_page, facts);
        assert_eq!(status, 0, "{json}");
        let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(v["report"]["verdict"], "phishing", "{json}");
        assert_eq!(v["warn"], true);
        let advice = v["advice"].as_array().expect("advice list");
        assert!(
            advice
                .iter()
                .any(|a| a["code"] == "advice.if_password_entered"),
            "{json}"
        );
        let (status, json) = call(pp_check_url, b"www.amazon.com");
        assert_eq!(status, 0);
        assert!(json.contains("\"verdict\":\"genuine\""), "{json}");
        let (status, json) = call(pp_brands, b"{}");
        assert_eq!(status, 0);
        let list: Vec<serde_json::Value> = serde_json::from_str(&json).expect("JSON");
        assert!(list.len() >= 100, "{}", list.len());
        assert!(
            list.iter()
                .any(|b| b["id"] == "amazon" && b["home"] == "amazon.com")
        );
    }

    /// The JSON form holds exactly what the TOML files hold.
    #[test]
    fn the_json_data_is_the_toml_data() {
        let json = engine_from_json().expect("JSON data loads");
        let toml = Engine::embedded().expect("TOML data loads");
        assert_eq!(
            format!("{:?}", json.brands()),
            format!("{:?}", toml.brands())
        );
        assert_eq!(format!("{:?}", json.lists()), format!("{:?}", toml.lists()));
        assert!(json.brands().len() >= 100);
    }

    #[test]
    fn bad_input_is_an_error_answer_not_a_panic() {
        for input in [
            &b"{"[..],
            b"\xff\xfe",
            b"null",
            br#""text""#,
            br#"{"top_url":5}"#,
            br#"{"x":1}"#,
            b"",
        ] {
            let (status, json) = call(pp_check_page, input);
            assert_eq!(status, 1, "{:?}: {json}", String::from_utf8_lossy(input));
            assert!(json.starts_with("{\"error\":"), "{json}");
        }
        let (status, _) = call(pp_check_url, b"\xff");
        assert_eq!(status, 1);
        let big = vec![b' '; MAX_INPUT + 1];
        let (status, json) = call(pp_check_page, &big);
        assert_eq!(status, 1);
        assert!(json.contains("over"), "{json}");
    }
}
