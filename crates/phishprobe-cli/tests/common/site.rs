//! A tiny HTTP/1.1 site on 127.0.0.1 for the end-to-end tests, written for this suite: each
//! connection is read (head, then as many body bytes as Content-Length says, at most 1 MiB),
//! answered by a route function and closed. It records every POST it receives, so a test can
//! check what the probe really sent.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What a route answers.
pub struct Answer {
    pub status: u16,
    /// `Location` header (for redirects).
    pub location: Option<String>,
    pub html: String,
}

impl Answer {
    pub fn page(html: &str) -> Answer {
        Answer {
            status: 200,
            location: None,
            html: html.to_string(),
        }
    }
    pub fn redirect(to: &str) -> Answer {
        Answer {
            status: 302,
            location: Some(to.to_string()),
            html: String::new(),
        }
    }
}

/// A route: (method, path, body, the site's port) to an answer. The port lets a page send the
/// browser to `http://localhost:PORT/...`, another origin served by the same site.
pub type Route = fn(&str, &str, &str, u16) -> Answer;

/// A POST the site received.
#[derive(Debug, Clone)]
pub struct Post {
    pub path: String,
    pub body: String,
}

/// Start a site; returns its base URL (`http://127.0.0.1:PORT`) and the POSTs it receives.
pub fn start(route: Route) -> (String, Arc<Mutex<Vec<Post>>>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind test site");
    let port = l.local_addr().expect("addr").port();
    let posts: Arc<Mutex<Vec<Post>>> = Arc::default();
    let seen = posts.clone();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let seen = seen.clone();
            thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let Some((head, body)) = read_request(&mut s) else {
                    return;
                };
                let mut first = head.lines().next().unwrap_or_default().split_whitespace();
                let method = first.next().unwrap_or_default().to_string();
                let path = first.next().unwrap_or_default().to_string();
                if method == "POST"
                    && let Ok(mut p) = seen.lock()
                {
                    p.push(Post {
                        path: path.clone(),
                        body: body.clone(),
                    });
                }
                let a = route(&method, &path, &body, port);
                let location = a
                    .location
                    .map(|l| format!("Location: {l}\r\n"))
                    .unwrap_or_default();
                let resp = format!(
                    "HTTP/1.1 {} X\r\nContent-Type: text/html; charset=utf-8\r\n{location}Content-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{}",
                    a.status,
                    a.html.len(),
                    a.html
                );
                let _ = s.write_all(resp.as_bytes());
            });
        }
    });
    (format!("http://127.0.0.1:{port}"), posts)
}

/// The request head and body (lossy UTF-8), or None on a broken or oversized request.
fn read_request(s: &mut impl Read) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head, mut body) = loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break (
                String::from_utf8_lossy(&buf[..i]).into_owned(),
                buf[i + 4..].to_vec(),
            );
        }
        if buf.len() > 1 << 20 {
            return None;
        }
    };
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0)
        .min(1 << 20);
    while body.len() < len {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, String::from_utf8_lossy(&body).into_owned()))
}
