//! Fuzz target for the whole email path: MIME parsing, HTML scanning, attachments (ZIP, PDF,
//! RTF, images), text analysis, link analysis and weighing, plus the mbox splitter. Any panic
//! is a finding (`check` catches panics and returns `EmailError::Internal`, which this target
//! turns back into a crash so libFuzzer saves the input).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use phishprobe_core::Engine;
use phishprobe_email::mbox::MboxReader;
use phishprobe_email::{EmailChecker, EmailError, Options};

fn checker() -> &'static EmailChecker<'static> {
    static E: OnceLock<Engine> = OnceLock::new();
    static C: OnceLock<EmailChecker<'static>> = OnceLock::new();
    C.get_or_init(|| {
        let engine = E.get_or_init(|| Engine::embedded().expect("embedded engine"));
        EmailChecker::new(engine, Options::default())
    })
}

fuzz_target!(|data: &[u8]| {
    let checker = checker();
    if let Err(EmailError::Internal(msg)) = checker.check("fuzz", data) {
        panic!("internal error: {msg}");
    }
    for m in MboxReader::new(data, 1 << 16).take(8) {
        let _ = m.map(|m| m.bytes.len());
    }
});
