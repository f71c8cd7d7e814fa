//! Print the core's host verdict for each argument (debugging aid).
fn main() {
    let Ok(e) = phishprobe_core::Engine::embedded() else {
        return;
    };
    for h in std::env::args().skip(1) {
        let r = e.check_host(&h);
        println!(
            "{h} {:?} {:?} {:?}",
            r.verdict,
            r.brand,
            r.findings.iter().map(|f| &f.code).collect::<Vec<_>>()
        );
    }
}
