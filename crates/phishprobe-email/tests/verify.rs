//! `--verify-auth` offline: mail signed by the tests themselves (keys and records in
//! `resources/auth/`, see its README), verified with DNS answered only from
//! `resources/auth/records.txt`. No test here touches the network.
#![cfg(feature = "verify-auth")]

use std::path::{Path, PathBuf};

use phishprobe_core::{Engine, Verdict};
use phishprobe_email::verify::{DnsRecords, Verifier};
use phishprobe_email::{EmailChecker, Options};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/auth")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn verifier() -> Verifier {
    let text = String::from_utf8(read("records.txt")).expect("utf-8");
    Verifier::offline(DnsRecords::parse(&text).expect("records")).expect("verifier")
}

fn result<'a>(s: &'a phishprobe_email::auth::AuthSummary, method: &str) -> Vec<&'a str> {
    s.get(method).map(|r| r.result.as_str()).collect()
}

#[test]
fn brand_signed_mail_verifies_and_is_genuine() {
    let engine = Engine::embedded().expect("engine");
    let checker = EmailChecker::new(&engine, Options::default());
    let v = verifier();
    let raw = read("amazon_signed.eml");
    let s = v.verify(&raw).expect("summary");
    assert_eq!(s.authserv_id, "phishprobe-verify");
    assert_eq!(result(&s, "dkim"), ["pass", "pass"], "{s:?}");
    assert_eq!(result(&s, "spf"), ["pass"], "{s:?}");
    assert_eq!(result(&s, "dmarc"), ["pass"], "{s:?}");
    let r = checker
        .check_verified("amazon_signed.eml", &raw, &v)
        .expect("report");
    assert_eq!(
        r.report.verdict,
        Verdict::Genuine,
        "{:?}",
        r.report.findings
    );
    assert!(r.report.has("auth.brand_aligned"));
    let a = r.details.authentication.as_ref().expect("auth table");
    assert!(
        a.results
            .iter()
            .any(|x| x.method == "dkim" && x.brand_aligned)
    );
    // Without --verify-auth the same message has no Authentication-Results header: unknown,
    // never genuine (a From line alone proves nothing).
    let plain = checker.check("amazon_signed.eml", &raw).expect("report");
    assert_ne!(plain.report.verdict, Verdict::Genuine);
}

#[test]
fn tampered_copy_fails() {
    let engine = Engine::embedded().expect("engine");
    let checker = EmailChecker::new(&engine, Options::default());
    let v = verifier();
    let raw = read("amazon_tampered.eml");
    let s = v.verify(&raw).expect("summary");
    assert!(result(&s, "dkim").iter().all(|r| *r == "fail"), "{s:?}");
    assert_eq!(result(&s, "spf"), ["fail"], "{s:?}");
    assert_eq!(result(&s, "dmarc"), ["fail"], "{s:?}");
    let r = checker
        .check_verified("amazon_tampered.eml", &raw, &v)
        .expect("report");
    assert_eq!(
        r.report.verdict,
        Verdict::Phishing,
        "{:?}",
        r.report.findings
    );
    assert!(r.report.has("auth.brand_dmarc_fail"));
    // Changing one byte of the genuine body is enough for DKIM.
    let mut one = read("amazon_signed.eml");
    let at = one.len() - 3;
    one[at] ^= 0x20;
    let s = v.verify(&one).expect("summary");
    assert!(result(&s, "dkim").iter().all(|r| *r == "fail"), "{s:?}");
}

#[test]
fn attacker_domain_passes_but_is_not_the_brand() {
    let engine = Engine::embedded().expect("engine");
    let checker = EmailChecker::new(&engine, Options::default());
    let v = verifier();
    let raw = read("attacker_signed.eml");
    let s = v.verify(&raw).expect("summary");
    assert_eq!(result(&s, "dkim"), ["pass"], "{s:?}");
    assert_eq!(result(&s, "dmarc"), ["pass"], "{s:?}");
    let r = checker
        .check_verified("attacker_signed.eml", &raw, &v)
        .expect("report");
    assert_eq!(
        r.report.verdict,
        Verdict::Phishing,
        "{:?}",
        r.report.findings
    );
    assert!(
        r.report.has("auth.pass_not_brand"),
        "{:?}",
        r.report.findings
    );
    assert!(!r.report.has("auth.brand_aligned"));
}

#[test]
fn unlisted_names_are_not_found_not_errors() {
    let v = verifier();
    let raw = b"From: someone@unlisted.example\r\nTo: x@y.example\r\nSubject: hi\r\n\r\nhello\r\n";
    let s = v.verify(raw).expect("summary");
    // No signature, no client address, no DMARC record anywhere up the tree: plain "none",
    // never a temporary error (which would mean a lookup went out).
    assert!(
        s.results.iter().all(|r| !r.result.contains("temperror")),
        "{s:?}"
    );
    assert_eq!(result(&s, "dkim"), ["none"]);
}

#[test]
fn record_file_errors_name_the_line() {
    let e = DnsRecords::parse("# ok\nexample.com TXT \"v=spf1 -all\"\nbad line\n")
        .err()
        .expect("error");
    assert!(e.contains("line 3"), "{e}");
    let e = DnsRecords::parse("x.example A not-an-ip")
        .err()
        .expect("error");
    assert!(e.contains("line 1"), "{e}");
    assert!(DnsRecords::parse("x.example CNAME y.example").is_err());
    assert!(DnsRecords::parse("").is_ok());
}

/// Regenerates `resources/auth/*.eml` and `records.txt` from the test keys:
/// `cargo test -p phishprobe-email --test verify -- --ignored regenerate`.
#[test]
#[ignore = "writes the test vectors; run by hand after changing them"]
fn regenerate() {
    use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
    use mail_auth::common::headers::HeaderWriter;
    use mail_auth::dkim::DkimSigner;
    use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    let b64 = |b: &[u8]| {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in b.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s
    };
    let ed = Ed25519Key::from_pkcs8_der(&read("test-ed25519.pk8.der")).expect("ed key");
    let ed_pub = b64(&ed.public_key());
    let rsa_der = read("test-rsa.pk8.der");
    let rsa = RsaKey::<Sha256>::from_key_der(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        rsa_der.as_slice(),
    )))
    .expect("rsa key");
    let rsa_pub = b64(&rsa.public_key());
    let evil = Ed25519Key::from_pkcs8_der(&read("attacker-ed25519.pk8.der")).expect("key");
    let evil_pub = b64(&evil.public_key());

    let body = "Hello,\r\n\r\nYour order #112-4455667-8899001 has shipped. Track it in Your Orders:\r\nhttps://www.amazon.com/gp/your-account/order-history\r\n\r\nAmazon.com\r\n";
    let msg = format!(
        "From: \"Amazon.com\" <shipment-tracking@amazon.com>\r\nTo: customer@example.net\r\nSubject: Your Amazon.com order has shipped\r\nDate: Tue, 05 Nov 2024 10:00:00 +0000\r\nMessage-ID: <pp-test-1@amazon.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    );
    let heads = ["From", "To", "Subject", "Date", "Message-ID"];
    let s1 = DkimSigner::from_key(ed)
        .domain("amazon.com")
        .selector("pptest")
        .headers(heads)
        .sign(msg.as_bytes())
        .expect("sign");
    let s2 = DkimSigner::from_key(rsa)
        .domain("amazon.com")
        .selector("pptest-rsa")
        .headers(heads)
        .sign(msg.as_bytes())
        .expect("sign");
    let received = |ip: &str, helo: &str| {
        format!(
            "Received: from {helo} ({helo} [{ip}]) by mx.receiver.example with ESMTPS; Tue, 05 Nov 2024 10:00:01 +0000\r\n"
        )
    };
    let signed = format!(
        "Return-Path: <bounce@amazon.com>\r\n{}{}{}{msg}",
        received("192.0.2.10", "mail.amazon.com"),
        s1.to_header(),
        s2.to_header()
    );
    // An attacker's copy: same signed headers, a changed link, sent from their own server.
    let tampered = format!(
        "Return-Path: <bounce@amazon.com>\r\n{}{}{}{}",
        received("203.0.113.66", "mail.amazon.com"),
        s1.to_header(),
        s2.to_header(),
        msg.replace(
            "https://www.amazon.com/gp/your-account/order-history",
            "https://amazon-orders.verify-account.example/gp/your-account/order-history"
        )
    );
    let evil_msg = "From: \"Amazon Security\" <alert@amaz0n-security.example>\r\nTo: customer@example.net\r\nSubject: Your account is on hold\r\nDate: Tue, 05 Nov 2024 10:00:00 +0000\r\nMessage-ID: <pp-test-2@amaz0n-security.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWe locked your Amazon account. Sign in within 24 hours to restore it:\r\nhttps://amaz0n-security.example/ap/signin\r\n";
    let s3 = DkimSigner::from_key(evil)
        .domain("amaz0n-security.example")
        .selector("s1")
        .headers(heads)
        .sign(evil_msg.as_bytes())
        .expect("sign");
    let attacker = format!(
        "Return-Path: <bounce@amaz0n-security.example>\r\n{}{}{evil_msg}",
        received("198.51.100.20", "mx.amaz0n-security.example"),
        s3.to_header()
    );
    let records = format!(
        "# Offline DNS for the --verify-auth tests (fictional records; the keys are test keys\n# made for these files only). Every name not listed here answers \"does not exist\".\npptest._domainkey.amazon.com TXT \"v=DKIM1; k=ed25519; p={ed_pub}\"\npptest-rsa._domainkey.amazon.com TXT \"v=DKIM1; k=rsa; p={rsa_pub}\"\namazon.com TXT \"v=spf1 ip4:192.0.2.10 -all\"\n_dmarc.amazon.com TXT \"v=DMARC1; p=reject\"\ns1._domainkey.amaz0n-security.example TXT \"v=DKIM1; k=ed25519; p={evil_pub}\"\namaz0n-security.example TXT \"v=spf1 ip4:198.51.100.20 -all\"\n_dmarc.amaz0n-security.example TXT \"v=DMARC1; p=reject\"\n"
    );
    for (name, data) in [
        ("amazon_signed.eml", signed),
        ("amazon_tampered.eml", tampered),
        ("attacker_signed.eml", attacker),
        ("records.txt", records),
    ] {
        std::fs::write(dir().join(name), data).expect("write");
    }
}
