//! Support for the test suites of this and the crates that drive the browser (CLI, server,
//! cases): one rule for when a browser test runs, is skipped, or fails.

use std::path::PathBuf;

/// Where Chromium is, or `None` after saying why the browser test is skipped. Without a
/// browser, `PHISHPROBE_REQUIRE_BROWSER=1` (set by `.ci/run`) turns the skip into a panic, so
/// CI can never pass by skipping the real-browser tests.
pub fn chrome_or_skip() -> Option<PathBuf> {
    if let Some(p) = crate::find_chrome() {
        return Some(p);
    }
    if std::env::var("PHISHPROBE_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!("PHISHPROBE_REQUIRE_BROWSER=1 but no Chromium found");
    }
    eprintln!("SKIPPED: no Chromium found (apt-get install chromium, or set PHISHPROBE_CHROME)");
    None
}
