//! The egress guard: a tiny HTTP proxy, one per probe, through which the probe's browser
//! context sends every request (documents, redirects, sub-resources, XHR/fetch, WebSockets,
//! workers, pop-ups).
//!
//! Why a proxy and not only a check of the typed URL: a page can redirect (HTTP 302, a meta
//! refresh, `location = ...`) or fetch from an internal address after the landing page was
//! checked, and a name can resolve to a public address for the check and to a private one for
//! the browser (DNS rebinding). The guard resolves every host itself, refuses loopback,
//! private, link-local, CGNAT and metadata addresses, and connects to the very address it
//! checked, so the browser never resolves names and cannot reach anything the guard did not
//! allow. Chromium sends plain `http://` requests to a proxy in absolute form and tunnels
//! `https://` and WebSockets with `CONNECT`; both are handled. Loopback is not bypassed
//! (`<-loopback>` in the context's bypass list), so `http://127.0.0.1/` goes through the guard
//! too.
//!
//! Refusals are recorded ([`Guard::blocked`]) and answered with `403` (plain HTTP) or a failed
//! tunnel, which the page sees as a failed load.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::safety;

/// Largest request or response head read (bytes).
const MAX_HEAD: usize = 64 * 1024;
/// Time allowed to read a request head, resolve a name or connect.
const STEP: Duration = Duration::from_secs(10);
/// Most refusals recorded per probe.
const MAX_BLOCKED: usize = 50;
/// Most connections handled at once per probe (a page opening hundreds is throttled).
const MAX_CONNS: usize = 64;

/// What the guard lets through.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Let loopback, private and link-local addresses through (`--allow-private`).
    pub allow_private: bool,
    /// Exact `host:port` pairs let through even when they are private (lower-case; IPv6 in
    /// brackets). Meant for a known test site, never a range.
    pub allow_hosts: Vec<String>,
    /// Resolve no names (offline tests): only IP literals are connected to.
    pub offline: bool,
}

impl Policy {
    fn host_allowed(&self, host: &str, port: u16) -> bool {
        let key = format!("{}:{port}", host.to_ascii_lowercase());
        self.allow_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&key))
    }
}

/// One refused request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Blocked {
    /// `host:port` the browser asked for.
    pub target: String,
    /// Why it was refused (the address it resolved to).
    pub reason: String,
}

/// A running guard. Dropping it (or [`Guard::stop`]) closes the listener and every connection.
pub struct Guard {
    addr: SocketAddr,
    blocked: Arc<Mutex<Vec<Blocked>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Guard {
    /// Listen on an ephemeral loopback port.
    pub async fn start(policy: Policy) -> std::io::Result<Guard> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let blocked = Arc::new(Mutex::new(Vec::new()));
        let policy = Arc::new(policy);
        let b = blocked.clone();
        let task = tokio::spawn(async move {
            // Connections live in the set: aborting this task aborts them all.
            let mut conns = JoinSet::new();
            loop {
                tokio::select! {
                    acc = listener.accept() => {
                        let Ok((sock, _)) = acc else { continue };
                        while conns.len() >= MAX_CONNS {
                            if conns.join_next().await.is_none() { break; }
                        }
                        let p = policy.clone();
                        let b = b.clone();
                        conns.spawn(async move { let _ = handle(sock, &p, &b).await; });
                    }
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
        });
        Ok(Guard {
            addr,
            blocked,
            task,
        })
    }

    /// The proxy address for Chromium (`http://127.0.0.1:PORT`).
    pub fn proxy_server(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests refused so far.
    pub fn blocked(&self) -> Vec<Blocked> {
        self.blocked.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Stop listening and drop every open connection.
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Resolve `host` and return the address to connect to, or why not.
pub async fn resolve_checked(policy: &Policy, host: &str, port: u16) -> Result<SocketAddr, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let allowed = policy.allow_private || policy.host_allowed(host, port);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        if !allowed && safety::is_private(ip) {
            return Err(format!(
                "{ip} is a loopback, private, link-local or metadata address"
            ));
        }
        return Ok(SocketAddr::new(ip, port));
    }
    let lower = bare.trim_end_matches('.').to_ascii_lowercase();
    if !allowed && (lower == "localhost" || lower.ends_with(".localhost")) {
        return Err(format!("{lower} is a local name"));
    }
    if policy.offline && !allowed {
        return Err(format!("offline: {lower} is not resolved"));
    }
    let addrs: Vec<SocketAddr> =
        match tokio::time::timeout(STEP, tokio::net::lookup_host((lower.as_str(), port))).await {
            Ok(Ok(a)) => a.take(16).collect(),
            Ok(Err(e)) => return Err(format!("{lower} does not resolve: {e}")),
            Err(_) => return Err(format!("{lower}: name lookup timed out")),
        };
    if !allowed && let Some(bad) = addrs.iter().find(|a| safety::is_private(a.ip())) {
        return Err(format!(
            "{lower} resolves to {}, a loopback, private, link-local or metadata address",
            bad.ip()
        ));
    }
    addrs
        .first()
        .copied()
        .ok_or_else(|| format!("{lower} has no address"))
}

/// Split `host:port` (IPv6 in brackets); `default` when there is no port.
fn split_host_port(s: &str, default: u16) -> Option<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default,
            None => return None,
        };
        return Some((format!("[{h}]"), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => Some((s.to_string(), default)),
    }
}

/// Read until the end of an HTTP head. Returns the head (without the blank line) and any
/// bytes read after it.
async fn read_head<R: AsyncRead + Unpin>(r: &mut R) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let rest = buf[end + 4..].to_vec();
            return Some((head, rest));
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = r.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Header lines of a head without connection-management headers, which the guard sets.
fn clean_headers(head_lines: &[&str]) -> String {
    let mut out = String::new();
    for line in head_lines {
        let name = line.split(':').next().unwrap_or("").trim();
        if [
            "connection",
            "proxy-connection",
            "keep-alive",
            "proxy-authorization",
        ]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out
}

async fn refuse(client: &mut TcpStream, status: &str, why: &str) {
    let body = format!("phishprobe refused this request: {why}\n");
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nX-Phishprobe-Blocked: 1\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = client.write_all(resp.as_bytes()).await;
    let _ = client.shutdown().await;
}

async fn handle(
    mut client: TcpStream,
    policy: &Policy,
    blocked: &Mutex<Vec<Blocked>>,
) -> Option<()> {
    let (head, rest) = tokio::time::timeout(STEP, read_head(&mut client))
        .await
        .ok()??;
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let version = parts.next().unwrap_or("HTTP/1.1").to_string();
    let header_lines: Vec<&str> = lines.collect();

    let connect = method.eq_ignore_ascii_case("CONNECT");
    let (host, port, path) = if connect {
        let (h, p) = split_host_port(&target, 443)?;
        (h, p, String::new())
    } else {
        let Ok(u) = url::Url::parse(&target) else {
            refuse(&mut client, "400 Bad Request", "not a proxy request").await;
            return None;
        };
        if u.scheme() != "http" {
            refuse(&mut client, "400 Bad Request", "only http is proxied").await;
            return None;
        }
        let host = match u.host() {
            Some(url::Host::Ipv6(v6)) => format!("[{v6}]"),
            Some(h) => h.to_string(),
            None => {
                refuse(&mut client, "400 Bad Request", "no host").await;
                return None;
            }
        };
        let mut path = u.path().to_string();
        if let Some(q) = u.query() {
            path.push('?');
            path.push_str(q);
        }
        (host, u.port_or_known_default().unwrap_or(80), path)
    };

    let addr = match resolve_checked(policy, &host, port).await {
        Ok(a) => a,
        Err(why) => {
            let private = !why.starts_with("offline") && !why.contains("does not resolve");
            if private && let Ok(mut b) = blocked.lock() {
                let target = format!("{}:{port}", host.to_ascii_lowercase());
                // The browser retries and fetches sub-resources: one entry per target.
                if b.len() < MAX_BLOCKED && !b.iter().any(|x| x.target == target) {
                    b.push(Blocked {
                        target,
                        reason: why.clone(),
                    });
                }
            }
            let status = if private {
                "403 Forbidden"
            } else {
                "502 Bad Gateway"
            };
            refuse(&mut client, status, &why).await;
            return None;
        }
    };
    let mut upstream = match tokio::time::timeout(STEP, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        _ => {
            refuse(&mut client, "502 Bad Gateway", "could not connect").await;
            return None;
        }
    };
    let _ = upstream.set_nodelay(true);

    if connect {
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await
            .ok()?;
        if !rest.is_empty() {
            upstream.write_all(&rest).await.ok()?;
        }
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        return Some(());
    }

    // Plain HTTP: forward one request in origin form and close after it, so the browser never
    // reuses this connection for another host.
    let mut out = format!("{method} {path} {version}\r\n");
    out.push_str(&clean_headers(&header_lines));
    upstream.write_all(out.as_bytes()).await.ok()?;
    if !rest.is_empty() {
        upstream.write_all(&rest).await.ok()?;
    }
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = upstream.into_split();
    // The request body (if any) keeps flowing while the answer comes back.
    let body = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut cr, &mut uw).await;
        let _ = uw.shutdown().await;
    });
    let sent = async {
        let (rhead, rrest) = tokio::time::timeout(Duration::from_secs(60), read_head(&mut ur))
            .await
            .ok()??;
        let mut rl = rhead.split("\r\n");
        let status_line = rl.next()?;
        let rlines: Vec<&str> = rl.collect();
        let mut h = format!("{status_line}\r\n");
        h.push_str(&clean_headers(&rlines));
        cw.write_all(h.as_bytes()).await.ok()?;
        cw.write_all(&rrest).await.ok()?;
        tokio::io::copy(&mut ur, &mut cw).await.ok()?;
        Some(())
    }
    .await;
    let _ = cw.shutdown().await;
    body.abort();
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_split() {
        assert_eq!(
            split_host_port("example.com:443", 1),
            Some(("example.com".into(), 443))
        );
        assert_eq!(
            split_host_port("[::1]:8080", 1),
            Some(("[::1]".into(), 8080))
        );
        assert_eq!(split_host_port("[::1]", 1), Some(("[::1]".into(), 1)));
        assert_eq!(split_host_port("x:notaport", 1), None);
    }

    #[tokio::test]
    async fn refuses_private_unless_allowed() {
        let p = Policy::default();
        for (h, port) in [
            ("127.0.0.1", 80),
            ("10.0.0.1", 80),
            ("169.254.169.254", 80),
            ("[::1]", 443),
            ("localhost", 80),
            ("foo.localhost", 80),
        ] {
            assert!(resolve_checked(&p, h, port).await.is_err(), "{h}");
        }
        assert!(resolve_checked(&p, "93.184.215.14", 80).await.is_ok());
        let exact = Policy {
            allow_hosts: vec!["127.0.0.1:8080".into()],
            ..Policy::default()
        };
        assert!(resolve_checked(&exact, "127.0.0.1", 8080).await.is_ok());
        assert!(resolve_checked(&exact, "127.0.0.1", 8081).await.is_err());
        let open = Policy {
            allow_private: true,
            ..Policy::default()
        };
        assert!(resolve_checked(&open, "10.0.0.1", 80).await.is_ok());
        let offline = Policy {
            offline: true,
            ..Policy::default()
        };
        assert!(
            resolve_checked(&offline, "example.com", 80)
                .await
                .unwrap_err()
                .starts_with("offline")
        );
    }
}
