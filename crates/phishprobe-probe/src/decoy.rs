//! Decoy credentials and finding them again in the requests a page makes.

use base64::Engine as _;

use crate::model::{Carried, Decoy};

const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
const ALNUM: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn pick(rng: &mut fastrand::Rng, set: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| char::from(set[rng.usize(..set.len())]))
        .collect()
}

/// A fresh random decoy: a well-formed address at `domain` and a password that passes the
/// usual strength rules (upper, lower, digit, symbol) so that no page refuses it for its shape.
pub fn generate(domain: &str) -> Decoy {
    let mut rng = fastrand::Rng::new();
    let domain = clean_domain(domain);
    let identifier = format!(
        "{}.{}{}@{}",
        pick(&mut rng, LOWER, 6),
        pick(&mut rng, LOWER, 5),
        rng.u32(10..100),
        domain
    );
    let password = format!(
        "{}{}!{}",
        pick(&mut rng, ALNUM, 10),
        pick(&mut rng, b"ABCDEFGHJKLMNPQRSTUVWXYZ", 1),
        rng.u32(10..100)
    );
    Decoy {
        identifier,
        password,
    }
}

/// A usable decoy domain: lowercase, only letters, digits, dots and hyphens; a reserved example
/// domain when the given one is unusable.
pub fn clean_domain(domain: &str) -> String {
    let d = domain.trim().trim_matches('.').to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 200
        && d.contains('.')
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !d.split('.').any(|l| l.is_empty());
    if ok { d } else { "example.net".to_string() }
}

/// Percent-decoding with `+` as space, lossy: how form bodies and query strings carry values.
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Base64 runs of 12+ characters decoded (kits often `btoa()` the loot; Basic auth does too).
fn base64_runs(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_');
    for run in s.split(|c: char| !is_b64(c)) {
        if run.len() < 12 || out.len() >= 64 {
            continue;
        }
        let t = run.trim_end_matches('=');
        for eng in [
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            if let Ok(bytes) = eng.decode(t) {
                out.push(String::from_utf8_lossy(&bytes).into_owned());
                break;
            }
        }
    }
    out
}

/// Does `hay` (a URL, body or header) carry the decoy, raw, percent-encoded, JSON-escaped or
/// base64-wrapped?
pub fn carried(hay: &str, decoy: &Decoy) -> Option<Carried> {
    if hay.is_empty() {
        return None;
    }
    let decoded = url_decode(hay);
    let mut variants = vec![hay.to_string(), decoded.clone()];
    variants.extend(base64_runs(hay));
    if decoded != hay {
        variants.extend(base64_runs(&decoded));
    }
    let ident_lower = decoy.identifier.to_ascii_lowercase();
    let has_ident = variants
        .iter()
        .any(|v| v.to_ascii_lowercase().contains(&ident_lower));
    let has_pw = variants.iter().any(|v| v.contains(&decoy.password));
    match (has_ident, has_pw) {
        (true, true) => Some(Carried::Both),
        (true, false) => Some(Carried::Identifier),
        (false, true) => Some(Carried::Password),
        (false, false) => None,
    }
}

/// Combine two findings about one request.
pub fn merge(a: Option<Carried>, b: Option<Carried>) -> Option<Carried> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(Carried::Both), _) | (_, Some(Carried::Both)) => Some(Carried::Both),
        (Some(x), Some(y)) if x == y => Some(x),
        _ => Some(Carried::Both),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoys_are_well_formed_and_differ() {
        let a = generate("example.net");
        let b = generate("example.net");
        assert_ne!(a, b);
        assert!(a.identifier.ends_with("@example.net"));
        assert_eq!(a.identifier.matches('@').count(), 1);
        assert!(a.password.len() >= 12);
        assert!(a.password.chars().any(|c| c.is_ascii_uppercase()));
        assert!(a.password.chars().any(|c| c.is_ascii_digit()));
        assert!(generate("bad domain!").identifier.ends_with("@example.net"));
        assert!(
            generate("Decoys.Example.ORG.")
                .identifier
                .ends_with("@decoys.example.org")
        );
    }

    #[test]
    fn finds_decoys_in_every_encoding() {
        let d = Decoy {
            identifier: "abc.def12@example.net".into(),
            password: "Pw4xyzQRSTU!42".into(),
        };
        let form = "email=abc.def12%40example.net&password=Pw4xyzQRSTU%2142";
        assert_eq!(carried(form, &d), Some(Carried::Both));
        let json = r#"{"p":"Pw4xyzQRSTU!42"}"#;
        assert_eq!(carried(json, &d), Some(Carried::Password));
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode("abc.def12@example.net:Pw4xyzQRSTU!42")
        );
        assert_eq!(carried(&basic, &d), Some(Carried::Both));
        let q = "https://x.test/c?u=ABC.DEF12%40example.net";
        assert_eq!(carried(q, &d), Some(Carried::Identifier));
        assert_eq!(carried("nothing here", &d), None);
        assert_eq!(carried("%", &d), None);
        assert_eq!(carried("%4", &d), None);
        assert_eq!(
            merge(Some(Carried::Identifier), Some(Carried::Password)),
            Some(Carried::Both)
        );
    }
}
