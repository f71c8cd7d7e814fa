//! Fuzz targets for every parser that takes outside input, as plain functions over bytes.
//!
//! Each function panics when, and only when, phishprobe has a bug: a panic inside the code
//! under test, a panic that the code caught and turned into an "internal error" (the email
//! checker does that so a batch goes on; a fuzzer must still see it), or a broken invariant of
//! the verdict model. They are called by the cargo-fuzz binaries in `fuzz/` (nightly,
//! libFuzzer) and by `tests/replay.rs` (stable) over the committed seed corpora and the inputs
//! of every crash found so far, so a fixed crash stays fixed in CI.

#![warn(missing_docs)]

use std::sync::OnceLock;

mod milter;
mod server;
pub use milter::milter_packets;
pub use server::server_body;

use phishprobe_core::model::Report;
use phishprobe_core::text::TextRules;
use phishprobe_core::{Engine, phone, text};
use phishprobe_email::mbox::MboxReader;
use phishprobe_email::{EmailChecker, EmailError, Options, attach, auth, html};

/// A fuzz target: panics on a bug, returns on anything else.
pub type Target = fn(&[u8]);

/// The names of the targets, as used for `fuzz/fuzz_targets/<name>.rs` and the corpus folders.
pub const TARGETS: &[(&str, Target)] = &[
    ("host", host),
    ("url", url),
    ("text", text_check),
    ("phone", phone_numbers),
    ("email", email),
    ("mbox", mbox),
    ("auth_results", auth_results),
    ("html", html_scan),
    ("zip", zip),
    ("audio", audio),
    ("pdf", pdf),
    ("rtf", rtf),
    ("qr", qr),
    ("probe_page", probe_page),
    ("server_body", server_body),
    ("milter_packets", milter_packets),
];

/// Attachment readers get this much room, as in the email checker's defaults.
const READER_CAP: usize = 1 << 20;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::embedded().expect("embedded brand data must load"))
}

fn rules() -> &'static TextRules {
    static RULES: OnceLock<TextRules> = OnceLock::new();
    RULES.get_or_init(|| TextRules::embedded().expect("embedded text patterns must load"))
}

fn checker() -> &'static EmailChecker<'static> {
    static CHECKER: OnceLock<EmailChecker<'static>> = OnceLock::new();
    CHECKER.get_or_init(|| EmailChecker::new(engine(), Options::default()))
}

/// What every verdict must satisfy, whatever the input: a capped score, findings with a code
/// and a message in both languages, and JSON output that reads back as the same report.
fn assert_report(r: &Report) {
    assert!(r.score <= 100, "score {} over 100", r.score);
    for f in &r.findings {
        assert!(!f.code.is_empty(), "finding without a code");
        assert!(
            !f.message.en.is_empty() && !f.message.zh.is_empty(),
            "finding {} lacks a message in one language",
            f.code
        );
    }
    let json = serde_json::to_string(r).expect("a report always serialises");
    let back: Report = serde_json::from_str(&json).expect("report JSON reads back");
    assert_eq!(&back, r, "report JSON does not round-trip");
}

/// Hostname check: UTS #46 decoding, PSL, brand matching in every label.
pub fn host(data: &[u8]) {
    assert_report(&engine().check_host(&String::from_utf8_lossy(data)));
}

/// URL check: WHATWG parsing, IP notations, redirect parameters, userinfo tricks.
pub fn url(data: &[u8]) {
    assert_report(&engine().check_url(&String::from_utf8_lossy(data)));
}

/// Call and SMS text: normalisation, cue search, embedded links and numbers.
pub fn text_check(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    assert_report(&text::check(engine(), rules(), "fuzz", &input));
}

/// Phone numbers: extraction from running text, then parsing with and without a region.
pub fn phone_numbers(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    for found in phone::find_in_text(&input).iter().take(16) {
        let _ = phone::analyze(found, None);
    }
    let line = input.lines().next().unwrap_or("");
    assert_report(&phone::check(engine(), line, None, None));
    assert_report(&phone::check(engine(), line, Some("US"), None));
    let _ = phone::analyze_for_text(line);
}

/// A whole message: MIME parsing, HTML, attachments, authentication headers, links, weighing.
/// A caught panic (`EmailError::Internal`) is a crash here.
pub fn email(data: &[u8]) {
    match checker().check("fuzz", data) {
        Ok(r) => assert_report(&r.report),
        Err(EmailError::NotEmail(_)) => {}
        Err(EmailError::Internal(why)) => panic!("email checker panicked: {why}"),
    }
}

/// mbox splitting: every message the reader yields is a slice of the input, in order.
pub fn mbox(data: &[u8]) {
    let mut total = 0usize;
    for m in MboxReader::new(data, 1 << 16).take(1000).flatten() {
        total += m.bytes.len();
    }
    assert!(total <= data.len(), "mbox messages longer than the input");
}

/// `Authentication-Results` header values.
pub fn auth_results(data: &[u8]) {
    let _ = auth::parse(&String::from_utf8_lossy(data));
}

/// The HTML reader used for email bodies and HTML attachments.
pub fn html_scan(data: &[u8]) {
    let _ = html::scan(&String::from_utf8_lossy(data));
}

/// File names inside ZIP archives (central directory reader).
pub fn zip(data: &[u8]) {
    if let Some(names) = attach::zip_names(data, READER_CAP) {
        assert!(names.len() <= data.len(), "more names than bytes");
    }
}

/// Text and links inside PDF attachments.
pub fn pdf(data: &[u8]) {
    let _ = attach::pdf_scan(data, READER_CAP);
}

/// Text and links inside RTF attachments.
pub fn rtf(data: &[u8]) {
    let _ = attach::rtf_text(data, READER_CAP);
}

/// QR codes in images (PNG, JPEG, GIF headers and pixels).
pub fn qr(data: &[u8]) {
    let _ = phishprobe_email::attach::qr_texts(data);
}

/// The probe's page reading: the plain-HTTP engine's HTML reader, and the classification of a
/// submission from page snapshots in the JSON form the browser's scan script sends.
pub fn probe_page(data: &[u8]) {
    use phishprobe_probe::classify::{self, Scan, SubmitFacts};
    let page = String::from_utf8_lossy(data);
    let base = url::Url::parse("https://login.example/signin").expect("a fixed valid URL");
    let before = phishprobe_probe::http::scan_html(&page, &base);
    let after: Scan = serde_json::from_slice(data).unwrap_or_default();
    let facts = SubmitFacts {
        url_changed: data.first().is_some_and(|b| b & 1 == 1),
        decoy_sent: data.first().is_some_and(|b| b & 2 == 2),
        ..SubmitFacts::default()
    };
    let _ = classify::after_submit(&before, &after, &facts);
    let _ = classify::challenge_of(&after);
    let _ = classify::new_lines(&before.text, &after.text);
}

/// A recording as uploaded or passed to `phishprobe audio`: container probing, decoding,
/// down-mixing, the speech gate and resampling (everything before speech recognition, which
/// is whisper.cpp's). Bounded like the real pipeline but tighter, so an input stays fast.
/// The pipeline turns a panic inside the symphonia decoder into an error for the file; under
/// libFuzzer any panic aborts, so those are still found (and get a check in front of the
/// decoder when one is possible, as the ADPCM one did).
pub fn audio(data: &[u8]) {
    let limits = phishprobe_audio::Limits {
        max_seconds: 600.0,
        max_speech_seconds: 120.0,
    };
    let Ok(p) = phishprobe_audio::prepare_bytes(data.to_vec(), &limits) else {
        return;
    };
    assert!(p.source.decoded_seconds <= limits.max_seconds + 1.0);
    let most = (phishprobe_audio::MAX_CHUNK_SECONDS * 16_000.0) as usize + 16_000;
    for c in &p.chunks {
        assert!(
            c.samples.len() <= most,
            "chunk of {} samples",
            c.samples.len()
        );
        assert!(c.start.is_finite() && c.start >= 0.0);
        assert!(c.samples.iter().all(|x| x.is_finite()), "non-finite sample");
    }
}
