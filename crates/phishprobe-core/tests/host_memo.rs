//! A batch of links checked with one shared [`HostMemo`] gets exactly the reports each link
//! gets on its own: the memo changes how often a host is analysed, never what is said.

use std::path::Path;

use phishprobe_core::Engine;
use phishprobe_core::host::HostMemo;

/// Every URL and host of the URL vectors, and for each host some links that share it: with a
/// path, a brand word in the path, a redirect to another vector's host, text before an `@`.
fn batch() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/url");
    let mut lines: Vec<String> = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("resources/url")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    names.sort();
    for p in names {
        let text = std::fs::read_to_string(&p).expect("vector list");
        lines.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        );
    }
    let hosts: Vec<String> = lines
        .iter()
        .map(|l| {
            let rest = l.split_once("://").map_or(l.as_str(), |(_, r)| r);
            rest.split(['/', '?', '#']).next().unwrap_or("").to_string()
        })
        .filter(|h| !h.is_empty())
        .collect();
    let mut out = lines.clone();
    for (i, h) in hosts.iter().enumerate() {
        let other = &hosts[(i * 7 + 3) % hosts.len()];
        out.push(format!("https://{h}/account/signin?ref={i}"));
        out.push(format!("https://{h}/amazon/login"));
        out.push(format!("http://{h}/r?url=https%3A%2F%2F{other}%2Flogin"));
        out.push(format!("https://www.amazon.com@{h}/verify"));
        out.push(format!("https://{other}/track?u={h}"));
    }
    out
}

#[test]
fn shared_memo_gives_each_links_own_report() {
    let engine = Engine::embedded().expect("embedded engine");
    let batch = batch();
    assert!(batch.len() > 500, "{} links", batch.len());
    let mut memo = HostMemo::default();
    for (pass, order) in [false, true].into_iter().enumerate() {
        let links: Vec<&String> = if order {
            batch.iter().rev().collect()
        } else {
            batch.iter().collect()
        };
        for u in links {
            let alone = serde_json::to_string(&engine.check_url(u)).expect("json");
            let shared = serde_json::to_string(&engine.check_url_with(u, &mut memo)).expect("json");
            assert_eq!(shared, alone, "pass {pass}: {u}");
        }
    }
    // The batch repeats its hosts: the memo was used, not only filled.
    assert!(
        !memo.is_empty() && memo.len() * 3 < batch.len(),
        "{} hosts remembered for {} links",
        memo.len(),
        batch.len()
    );
}
