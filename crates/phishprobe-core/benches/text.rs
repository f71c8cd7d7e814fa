//! Text analysis throughput (target: at least 20 MB of text per second per core).
//!
//! `cargo bench -p phishprobe-core --bench text`. Inputs: a generated 1 MB English/Chinese
//! mix (team-written sentences, some of them scam lines) analysed as one body, and, when the
//! shared corpus is present, every row of `../shared/corpus/text/sms.tsv` analysed one by one
//! (the per-message cost of SMS-sized input).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use phishprobe_core::Engine;
use phishprobe_core::text::{self, TextRules};

const LINES: &[&str] = &[
    "Hi, are we still on for dinner tomorrow? Let me know when you leave work. ",
    "The meeting moved to 3pm, room 4B. Bring the quarterly numbers please. ",
    "Your parcel is out for delivery today between 10:00 and 14:00. ",
    "明天下午三点开会，请带上季度报表。路上注意安全。 ",
    "This is Amazon Prime Security, your account was hacked, please install AnyDesk now. ",
    "亚马逊客服：您的账户异常，请下载向日葵远程软件配合处理。 ",
    "Thanks for your order! We'll email you when it ships. ",
    "Never share this code with anyone. Your code is 482913. ",
];

fn corpus_rows() -> Option<Vec<String>> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/text/sms.tsv"
    );
    let data = std::fs::read_to_string(p).ok()?;
    Some(
        data.lines()
            .skip(1)
            .filter_map(|l| l.split('\t').next())
            .map(|t| t.replace("\\n", "\n").replace("\\t", "\t"))
            .collect(),
    )
}

fn bench(c: &mut Criterion) {
    let engine = Engine::embedded().expect("engine");
    let rules = TextRules::embedded().expect("rules");
    let mut body = String::new();
    let mut i = 0;
    while body.len() < 1 << 20 {
        body.push_str(LINES[i % LINES.len()]);
        i += 1;
    }
    let mut g = c.benchmark_group("text");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.sample_size(10);
    g.bench_function("analyze_1mb_body", |b| {
        b.iter(|| text::analyze(&engine, &rules, std::hint::black_box(&body)))
    });
    if let Some(rows) = corpus_rows() {
        let bytes: usize = rows.iter().map(String::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function("analyze_sms_corpus_rows", |b| {
            b.iter(|| {
                for r in &rows {
                    std::hint::black_box(text::analyze(&engine, &rules, r));
                }
            })
        });
    } else {
        eprintln!("SKIP sms corpus bench: ../shared/corpus/text/sms.tsv not found");
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
