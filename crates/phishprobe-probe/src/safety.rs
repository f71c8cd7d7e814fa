//! Which targets may be probed: http(s) only, and no loopback, private or link-local addresses
//! unless the caller allows them (a probe must not become a way to poke at the local network).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use url::Url;

/// Parse and check a target URL's shape. A bare hostname gets `https://`.
pub fn parse_target(input: &str) -> Result<Url, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("empty URL".into());
    }
    if s.len() > 8192 {
        return Err("URL longer than 8192 characters".into());
    }
    let with_scheme = if s.contains("://") {
        s.to_string()
    } else {
        format!("https://{s}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| format!("not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(format!(
                "scheme {other:?} refused: only http and https are probed"
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("URL has no host".into());
    }
    Ok(url)
}

/// Loopback, private, link-local, CGNAT, multicast, unspecified, documentation or other
/// non-public addresses.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return private_v4(v4);
            }
            let seg0 = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00 // unique local
                || (seg0 & 0xffc0) == 0xfe80 // link-local
                || (seg0 & 0xffc0) == 0xfec0 // site-local (deprecated)
                || v6 == Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0)
        }
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1])) // CGNAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) // benchmarking
        || o[0] >= 240
}

/// Refuse a target whose host is, or resolves to, a non-public address (unless allowed).
/// Resolution failures are not refusals: the browser will report the failed load itself.
pub async fn check_target(url: &Url, allow_private: bool) -> Result<(), String> {
    check_target_with(url, allow_private, &[]).await
}

/// [`check_target`], also letting through the exact `host:port` pairs in `allow_hosts`.
pub async fn check_target_with(
    url: &Url,
    allow_private: bool,
    allow_hosts: &[String],
) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    if let (Some(h), Some(p)) = (url.host(), url.port_or_known_default()) {
        let h = match h {
            url::Host::Ipv6(v6) => format!("[{v6}]"),
            other => other.to_string().to_ascii_lowercase(),
        };
        let key = format!("{h}:{p}");
        if allow_hosts.iter().any(|a| a.eq_ignore_ascii_case(&key)) {
            return Ok(());
        }
    }
    let host = match url.host() {
        Some(h) => h,
        None => return Err("URL has no host".into()),
    };
    let literal = match host {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                return Err(format!(
                    "{d} is a local address; refused without --allow-private"
                ));
            }
            None
        }
    };
    if let Some(ip) = literal {
        return if is_private(ip) {
            Err(format!(
                "{ip} is a loopback, private or link-local address; refused without --allow-private"
            ))
        } else {
            Ok(())
        };
    }
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup = tokio::net::lookup_host((host.as_str(), port));
    match tokio::time::timeout(Duration::from_secs(5), lookup).await {
        Ok(Ok(addrs)) => {
            for a in addrs {
                if is_private(a.ip()) {
                    return Err(format!(
                        "{host} resolves to {}, a loopback, private or link-local address; refused without --allow-private",
                        a.ip()
                    ));
                }
            }
            Ok(())
        }
        // Unresolvable: let the engine report the failure as an inconclusive probe.
        Ok(Err(_)) | Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(parse_target("example.com/login").is_ok());
        assert_eq!(
            parse_target("example.com").map(|u| u.scheme().to_string()),
            Ok("https".to_string())
        );
        assert!(parse_target("file:///etc/passwd").is_err());
        assert!(parse_target("javascript:alert(1)").is_err());
        assert!(parse_target("ftp://x.test/").is_err());
        assert!(parse_target("").is_err());
        assert!(parse_target("http://").is_err());
    }

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.215.14", "2606:4700::1111", "8.8.8.8"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn refuses_local_targets_unless_allowed() {
        let u = parse_target("http://127.0.0.1:8080/").unwrap();
        assert!(check_target(&u, false).await.is_err());
        assert!(check_target(&u, true).await.is_ok());
        let u = parse_target("http://localhost/").unwrap();
        assert!(check_target(&u, false).await.is_err());
        let u = parse_target("http://[::1]/").unwrap();
        assert!(check_target(&u, false).await.is_err());
        let u = parse_target("http://169.254.169.254/latest/meta-data").unwrap();
        assert!(check_target(&u, false).await.is_err());
    }
}
