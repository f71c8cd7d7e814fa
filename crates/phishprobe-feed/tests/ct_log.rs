//! The CT reader against logs written and served by the crate's own test tools: every name
//! back exactly once at its index, and every kind of tampering refused.

use std::path::Path;
use std::sync::Arc;

use phishprobe_feed::ct::serve::{serve_dir, serve_dir_gzip, serve_fn};
use phishprobe_feed::ct::write::{Rfc6962TestLog, StaticLogWriter};
use phishprobe_feed::ct::{Checkpoint, CtApi, CtError, CtLimits, CtLog, RootCheck};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use x509_parser::prelude::{FromDer, X509Certificate};

const SPECIAL: [&str; 3] = [
    "amazon-seller-verify.top",
    "*.paypa1-login.com",
    "www.example.org",
];

/// A self-signed certificate whose CN is the first name (so the CN and SAN dedupe).
fn cert(key: &KeyPair, names: &[String]) -> Vec<u8> {
    let mut params = CertificateParams::new(names.to_vec()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, names[0].as_str());
    params.distinguished_name = dn;
    params.self_signed(key).unwrap().der().to_vec()
}

fn names_for(i: u64) -> Vec<String> {
    match i {
        1 => SPECIAL.iter().map(|s| s.to_string()).collect(),
        // Duplicates within a certificate come back once.
        2 => vec![
            "dup.example.com".into(),
            "dup.example.com".into(),
            "other.example.com".into(),
        ],
        300 => (0..10_000)
            .map(|k| format!("n{k}.big-cert.example"))
            .collect(),
        _ => vec![
            format!("host{i}.example{i}.net"),
            format!("www.site{i}.org"),
        ],
    }
}

/// What each index should give: names, or an error for the garbage certificate.
struct Expected {
    names: Vec<Vec<String>>,
}

const GARBAGE_AT: u64 = 5;
const PRECERT_AT: u64 = 450;

fn expected_names(i: u64) -> Vec<String> {
    match i {
        GARBAGE_AT => vec![],
        2 => vec!["dup.example.com".into(), "other.example.com".into()],
        300 => names_for(300).into_iter().take(1000).collect(),
        _ => names_for(i),
    }
}

/// Adds entries `from..to` to the writer: x509 certificates, one precertificate, one
/// certificate that does not parse.
fn add_entries(w: &mut StaticLogWriter, key: &KeyPair, from: u64, to: u64) -> Expected {
    for i in from..to {
        if i == GARBAGE_AT {
            w.add_x509(b"this is not DER").unwrap();
        } else if i == PRECERT_AT {
            let der = cert(key, &names_for(i));
            let (_, parsed) = X509Certificate::from_der(&der).unwrap();
            w.add_precert(parsed.tbs_certificate.as_ref(), &der)
                .unwrap();
        } else {
            w.add_x509(&cert(key, &names_for(i))).unwrap();
        }
    }
    Expected {
        names: (0..to).map(expected_names).collect(),
    }
}

fn static_log(dir: &Path, size: u64) -> (StaticLogWriter, Expected) {
    let key = KeyPair::generate().unwrap();
    let mut w = StaticLogWriter::new(dir, "log.test/2026").unwrap();
    let exp = add_entries(&mut w, &key, 0, size);
    w.publish().unwrap();
    (w, exp)
}

/// Reads from `start` to the checkpoint's size, checking batch shapes; returns (index, names).
async fn read_all(log: &CtLog, cp: &Checkpoint, start: u64) -> Vec<(u64, Vec<String>, usize)> {
    let mut out = Vec::new();
    let mut at = start;
    while at < cp.size {
        let batch = log.read_batch(at, cp).await.unwrap();
        assert_eq!(batch.start, at);
        assert!(batch.next > at && batch.next <= cp.size);
        assert_eq!(batch.entries.len() as u64, batch.next - at);
        for e in batch.entries {
            if e.index == GARBAGE_AT {
                assert!(e.error.is_some(), "garbage certificate has an error");
            } else {
                assert_eq!(e.error, None, "entry {}", e.index);
            }
            out.push((e.index, e.names, e.dropped_names));
        }
        at = batch.next;
    }
    out
}

fn check(got: &[(u64, Vec<String>, usize)], exp: &Expected, start: u64) {
    let indexes: Vec<u64> = got.iter().map(|g| g.0).collect();
    let want: Vec<u64> = (start..exp.names.len() as u64).collect();
    assert_eq!(indexes, want, "every index exactly once, in order");
    for (index, names, dropped) in got {
        assert_eq!(names, &exp.names[*index as usize], "names at {index}");
        let want_dropped = if *index == 300 { 9000 } else { 0 };
        assert_eq!(*dropped, want_dropped, "dropped at {index}");
    }
}

#[tokio::test]
async fn static_log_reads_every_name_once_from_zero_and_from_the_middle() {
    let dir = tempfile::tempdir().unwrap();
    let (w, exp) = static_log(dir.path(), 600);
    let server = serve_dir(dir.path()).await.unwrap();
    let log = CtLog::new(&server.url(), CtLimits::default()).unwrap();
    let cp = log.checkpoint().await.unwrap();
    assert_eq!(cp.size, 600);
    assert_eq!(cp.origin, "log.test/2026");
    assert_eq!(cp.root, w.root());
    assert_eq!(cp.api, CtApi::Static);

    let first = log.read_batch(0, &cp).await.unwrap();
    assert_eq!((first.start, first.next), (0, 256));
    assert_eq!(first.root, RootCheck::Verified);
    let e1 = &first.entries[1];
    assert_eq!(e1.names, SPECIAL.map(String::from).to_vec());
    let last = log.read_batch(590, &cp).await.unwrap();
    assert_eq!((last.start, last.next, last.entries.len()), (590, 600, 10));

    check(&read_all(&log, &cp, 0).await, &exp, 0);
    check(&read_all(&log, &cp, 300).await, &exp, 300);
    check(&read_all(&log, &cp, 257).await, &exp, 257);

    let all = read_all(&log, &cp, 0).await;
    let seen: Vec<&String> = all.iter().flat_map(|g| &g.1).collect();
    for name in SPECIAL {
        assert_eq!(seen.iter().filter(|n| **n == name).count(), 1, "{name}");
    }
    assert!(
        seen.contains(&&"host450.example450.net".to_string()),
        "precert names"
    );

    let past = log.read_batch(600, &cp).await.unwrap_err();
    assert!(matches!(past, CtError::Limit(_)), "{past}");
}

#[tokio::test]
async fn restart_resumes_after_the_log_grew() {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate().unwrap();
    let mut w = StaticLogWriter::new(dir.path(), "log.test/grow").unwrap();
    add_entries(&mut w, &key, 0, 300);
    w.publish().unwrap();
    let server = serve_dir(dir.path()).await.unwrap();
    let log = CtLog::new(&format!("{}#static", server.url()), CtLimits::default()).unwrap();
    let cp = log.checkpoint().await.unwrap();
    assert_eq!(cp.size, 300);
    let tail = log.read_batch(256, &cp).await.unwrap();
    assert_eq!(tail.next, 300);

    let exp = add_entries(&mut w, &key, 300, 500);
    w.publish().unwrap();
    let cp2 = log.checkpoint().await.unwrap();
    assert_eq!(cp2.size, 500);
    let got = read_all(&log, &cp2, tail.next).await;
    check(&got, &exp, 300);
    // The old checkpoint still verifies against the tiles the log keeps serving.
    assert_eq!(log.read_batch(256, &cp).await.unwrap().next, 300);
}

async fn served(dir: &Path) -> (phishprobe_feed::ct::serve::Server, CtLog) {
    let server = serve_dir(dir).await.unwrap();
    let log = CtLog::new(&server.url(), CtLimits::default()).unwrap();
    (server, log)
}

#[tokio::test]
async fn tampered_data_tile_is_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    static_log(dir.path(), 600);
    let path = dir.path().join("tile/data/000");
    let mut tile = std::fs::read(&path).unwrap();
    tile[40] ^= 1; // inside the first certificate
    std::fs::write(&path, tile).unwrap();
    let (_server, log) = served(dir.path()).await;
    let cp = log.checkpoint().await.unwrap();
    let err = log.read_batch(10, &cp).await.unwrap_err();
    assert!(
        matches!(&err, CtError::Mismatch { what } if what.contains("entry 0 in tile/data/000")),
        "{err}"
    );
    // Other tiles are untouched and still read.
    assert_eq!(log.read_batch(512, &cp).await.unwrap().next, 600);
}

#[tokio::test]
async fn consistent_forgery_of_a_full_tile_is_caught_one_level_up() {
    let real = tempfile::tempdir().unwrap();
    let forged = tempfile::tempdir().unwrap();
    static_log(real.path(), 600);
    let key = KeyPair::generate().unwrap();
    let mut w = StaticLogWriter::new(forged.path(), "x").unwrap();
    add_entries(&mut w, &key, 0, 256);
    w.publish().unwrap();
    // Data tile and level-0 tile agree with each other, but not with level 1.
    for p in ["tile/data/000", "tile/0/000"] {
        std::fs::copy(forged.path().join(p), real.path().join(p)).unwrap();
    }
    let (_server, log) = served(real.path()).await;
    let cp = log.checkpoint().await.unwrap();
    let err = log.read_batch(0, &cp).await.unwrap_err();
    assert!(
        matches!(&err, CtError::Mismatch { what } if what.contains("tile/0/000 does not hash to entry 0 of tile/1/000.p/2")),
        "{err}"
    );
}

#[tokio::test]
async fn wrong_checkpoint_is_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let (w, _) = static_log(dir.path(), 600);
    let (_server, log) = served(dir.path()).await;
    let good = log.checkpoint().await.unwrap();

    w.write_checkpoint(600, &[7; 32]).unwrap();
    let err = log.checkpoint().await.unwrap_err();
    assert!(
        matches!(&err, CtError::Mismatch { what } if what.contains("differs")),
        "{err}"
    );

    // The right root with a wrong size (whose tiles exist: two full level-0 tiles).
    w.write_checkpoint(512, &w.root()).unwrap();
    let err = log.checkpoint().await.unwrap_err();
    assert!(matches!(err, CtError::Mismatch { .. }), "{err}");

    // A checkpoint that never went through checkpoint() is verified by read_batch too.
    let forged = Checkpoint {
        root: [9; 32],
        ..good
    };
    let err = log.read_batch(0, &forged).await.unwrap_err();
    assert!(matches!(err, CtError::Mismatch { .. }), "{err}");
}

#[tokio::test]
async fn malformed_tiles_are_errors_with_offsets_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    static_log(dir.path(), 600);
    let (_server, log) = served(dir.path()).await;
    let cp = log.checkpoint().await.unwrap();
    let data = dir.path().join("tile/data/000");
    let original = std::fs::read(&data).unwrap();

    let mut long = original.clone();
    long.extend_from_slice(b"garbage");
    std::fs::write(&data, &long).unwrap();
    let err = log.read_batch(0, &cp).await.unwrap_err();
    assert!(
        matches!(&err, CtError::Malformed { offset, reason, .. } if *offset == original.len() && reason.contains("trailing")),
        "{err}"
    );

    std::fs::write(&data, &original[..original.len() - 10]).unwrap();
    let err = log.read_batch(0, &cp).await.unwrap_err();
    assert!(matches!(err, CtError::Malformed { .. }), "{err}");

    let mut prefix = original.clone();
    prefix[10] = 0xff; // first certificate's 24-bit length now runs past the end
    std::fs::write(&data, &prefix).unwrap();
    let err = log.read_batch(0, &cp).await.unwrap_err();
    assert!(
        matches!(err, CtError::Malformed { offset: 10, .. }),
        "{err}"
    );

    std::fs::write(&data, b"\x00\x01\x02").unwrap();
    assert!(matches!(
        log.read_batch(0, &cp).await,
        Err(CtError::Malformed { .. })
    ));
    std::fs::write(&data, &original).unwrap();

    let level0 = dir.path().join("tile/0/000");
    let hashes = std::fs::read(&level0).unwrap();
    std::fs::write(&level0, &hashes[..8191]).unwrap();
    let err = log.read_batch(0, &cp).await.unwrap_err();
    assert!(
        matches!(&err, CtError::Malformed { what, .. } if what == "tile/0/000"),
        "{err}"
    );
    std::fs::write(&level0, &hashes).unwrap();
    assert_eq!(log.read_batch(0, &cp).await.unwrap().next, 256);

    std::fs::write(
        dir.path().join("checkpoint"),
        "origin\nnot a number\nAAAA\n\n",
    )
    .unwrap();
    assert!(matches!(
        log.checkpoint().await,
        Err(CtError::Malformed { .. })
    ));
}

#[tokio::test]
async fn body_limits_hold() {
    let dir = tempfile::tempdir().unwrap();
    static_log(dir.path(), 300);
    let server = serve_dir(dir.path()).await.unwrap();
    let limits = CtLimits {
        max_tile_bytes: 4096,
        ..CtLimits::default()
    };
    let log = CtLog::new(&server.url(), limits).unwrap();
    // Checkpoint verification needs only partial tiles (44 and 1 hashes): under the limit.
    let cp = log.checkpoint().await.unwrap();
    let err = log.read_batch(0, &cp).await.unwrap_err();
    assert!(
        matches!(err, CtError::TooLarge { limit: 4096, .. }),
        "{err}"
    );

    let tiny = CtLimits {
        max_tree_size: 100,
        ..CtLimits::default()
    };
    let log = CtLog::new(&server.url(), tiny).unwrap();
    assert!(matches!(log.checkpoint().await, Err(CtError::Limit(_))));
}

#[tokio::test]
async fn a_folder_with_no_log_is_an_unknown_api() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, log) = served(dir.path()).await;
    assert!(matches!(
        log.checkpoint().await,
        Err(CtError::UnknownApi { .. })
    ));
    assert!(CtLog::new("ftp://x/", CtLimits::default()).is_err());
    assert!(CtLog::new("https://x/#other", CtLimits::default()).is_err());
}

fn rfc6962_log(size: u64) -> (Rfc6962TestLog, Expected) {
    let key = KeyPair::generate().unwrap();
    let mut log = Rfc6962TestLog::new();
    for i in 0..size {
        if i == GARBAGE_AT {
            log.add_x509(b"this is not DER").unwrap();
        } else {
            log.add_x509(&cert(&key, &names_for(i))).unwrap();
        }
    }
    (
        log,
        Expected {
            names: (0..size).map(expected_names).collect(),
        },
    )
}

#[tokio::test]
async fn rfc6962_log_is_read_and_its_root_verified_from_zero() {
    let (mut test_log, exp) = rfc6962_log(600);
    test_log.max_per_request = 100;
    let shared = Arc::new(test_log.clone());
    let server = serve_fn(move |t| shared.respond(t)).await.unwrap();
    let log = CtLog::new(&server.url(), CtLimits::default()).unwrap();
    let cp = log.checkpoint().await.unwrap();
    assert_eq!(
        (cp.api, cp.size, cp.root),
        (CtApi::Rfc6962, 600, test_log.root())
    );

    let mut at = 0;
    let mut got = Vec::new();
    let mut checks = Vec::new();
    let mut nexts = Vec::new();
    while at < cp.size {
        let b = log.read_batch(at, &cp).await.unwrap();
        nexts.push(b.next);
        checks.push(b.root);
        got.extend(
            b.entries
                .into_iter()
                .map(|e| (e.index, e.names, e.dropped_names)),
        );
        at = b.next;
    }
    // The server's cap of 100 shortens batches; batches still stop at 256-entry boundaries.
    assert_eq!(nexts, [100, 200, 256, 356, 456, 512, 600]);
    assert_eq!(checks.last(), Some(&RootCheck::Verified));
    assert!(checks[..6].iter().all(|c| *c == RootCheck::Pending));
    check(&got, &exp, 0);

    // Starting in the middle cannot verify the root, and says so.
    let fresh = CtLog::new(&server.url(), CtLimits::default()).unwrap();
    let b = fresh.read_batch(300, &cp).await.unwrap();
    assert_eq!(b.root, RootCheck::NotVerified);
    assert_eq!(b.entries[0].names, expected_names(300));
    assert_eq!(b.entries[0].dropped_names, 9000);
}

#[tokio::test]
async fn rfc6962_wrong_root_is_a_mismatch_at_the_end() {
    let (mut test_log, _) = rfc6962_log(40);
    test_log.wrong_root = Some([3; 32]);
    let shared = Arc::new(test_log);
    let server = serve_fn(move |t| shared.respond(t)).await.unwrap();
    let log = CtLog::new(&format!("{}#rfc6962", server.url()), CtLimits::default()).unwrap();
    let cp = log.checkpoint().await.unwrap();
    let err = log.read_batch(0, &cp).await.unwrap_err();
    assert!(
        matches!(&err, CtError::Mismatch { what } if what.contains("STH root")),
        "{err}"
    );
}

#[tokio::test]
async fn gzip_bodies_are_expanded_within_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (_, exp) = static_log(dir.path(), 300);
    let server = serve_dir_gzip(dir.path()).await.unwrap();
    let log = CtLog::new(&server.url(), CtLimits::default()).unwrap();
    let cp = log.checkpoint().await.unwrap();
    check(&read_all(&log, &cp, 0).await, &exp, 0);

    // The limit applies to the expanded body, not to the compressed bytes.
    let tile_len = std::fs::read(dir.path().join("tile/data/000"))
        .unwrap()
        .len();
    let limits = CtLimits {
        max_tile_bytes: tile_len - 1,
        ..CtLimits::default()
    };
    let log = CtLog::new(&server.url(), limits).unwrap();
    let err = log.read_batch(0, &cp).await.unwrap_err();
    assert!(matches!(err, CtError::TooLarge { .. }), "{err}");
}
