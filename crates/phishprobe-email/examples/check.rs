//! Print the JSON verdict (with details) for the files given: a debugging aid.
use phishprobe_core::{Engine, Verdict};
use phishprobe_email::{EmailChecker, Options};

fn main() {
    let engine = match Engine::embedded() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("engine: {e}");
            std::process::exit(4);
        }
    };
    let checker = EmailChecker::new(&engine, Options::default());
    for p in std::env::args().skip(1) {
        let raw = std::fs::read(&p).unwrap_or_default();
        match checker.check(&p, &raw) {
            Ok(r) => {
                println!(
                    "{} {:?} {:?} score={}",
                    p, r.report.verdict, r.report.brand, r.report.score
                );
                for f in &r.report.findings {
                    println!(
                        "  {:?} {} | {} | {}",
                        f.severity, f.code, f.message.en, f.evidence
                    );
                }
                for l in r
                    .details
                    .links
                    .iter()
                    .filter(|l| l.verdict != Verdict::Unknown && l.verdict != Verdict::Genuine)
                {
                    println!(
                        "  LINK {} {} {} | {}",
                        l.verdict.as_str(),
                        l.source,
                        l.url,
                        l.reason
                    );
                }
                for c in &r.details.claims {
                    println!("  CLAIM {} {} {}", c.brand, c.place, c.evidence);
                }
            }
            Err(e) => println!("{p} ERROR {e}"),
        }
    }
}
