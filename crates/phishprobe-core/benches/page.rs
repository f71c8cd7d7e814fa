//! Page-claim speed: which brand a page presents itself as ([`claimed_brand`]), the question
//! the browser extension asks of every page with a password field and the probe of every
//! page it loads.
//!
//! `cargo bench -p phishprobe-core --bench page`. Input: a team-written sign-in page (title,
//! headings, logo, a few hundred words of text) and, when the shared corpus is present, the
//! first 200 rows of `../shared/corpus/text/sms.tsv` each read as the text of a page.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use phishprobe_core::knowledge::Knowledge;
use phishprobe_core::page::{PageClaims, claimed_brand};

fn sign_in_page() -> PageClaims {
    let mut text = String::new();
    for _ in 0..12 {
        text.push_str(
            "Sign in to continue. Email or mobile phone number. Password. Forgot your \
             password? Keep me signed in. New to our store? Create your account. Conditions \
             of Use. Privacy Notice. Help. ",
        );
    }
    PageClaims {
        title: "Amazon Sign-In".into(),
        headings: vec!["Sign in".into(), "Seller Central".into()],
        logos: vec!["amazon".into()],
        text,
    }
}

fn corpus_pages() -> Vec<PageClaims> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/text/sms.tsv"
    );
    let Ok(data) = std::fs::read_to_string(p) else {
        return Vec::new();
    };
    data.lines()
        .skip(1)
        .take(200)
        .filter_map(|l| l.split('\t').next())
        .map(|t| PageClaims {
            text: t.replace("\\n", "\n"),
            ..Default::default()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let knowledge = Knowledge::embedded().expect("embedded data loads");
    let page = sign_in_page();
    // Build the word index outside the measurement.
    claimed_brand(&knowledge, &page);
    let mut g = c.benchmark_group("page");
    g.throughput(Throughput::Elements(1));
    g.bench_function("claim_sign_in_page", |b| {
        b.iter(|| claimed_brand(&knowledge, std::hint::black_box(&page)))
    });
    let pages = corpus_pages();
    if !pages.is_empty() {
        g.throughput(Throughput::Elements(pages.len() as u64));
        g.bench_function("claim_sms_rows_as_pages", |b| {
            b.iter(|| {
                for p in &pages {
                    std::hint::black_box(claimed_brand(&knowledge, p));
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
