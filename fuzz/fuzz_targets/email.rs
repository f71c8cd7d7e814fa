//! Fuzz the whole email path: MIME parsing, HTML scanning, attachments (ZIP, PDF, images/QR),
//! authentication headers, link analysis and weighing. Any panic is a bug: `check` must give a
//! verdict or a clear error for every input. Also feeds the input to the mbox reader.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use phishprobe_core::Engine;
use phishprobe_email::mbox::MboxReader;
use phishprobe_email::{EmailChecker, Options};

static ENGINE: OnceLock<Engine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let engine = ENGINE.get_or_init(|| Engine::embedded().expect("embedded data"));
    let checker = EmailChecker::new(engine, Options::default());
    let _ = checker.check("fuzz", data);
    for m in MboxReader::new(data, 1 << 16).take(8) {
        if let Ok(m) = m {
            let _ = checker.check("fuzz#mbox", &m.bytes);
        }
    }
});
