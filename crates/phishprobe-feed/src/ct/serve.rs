//! A tiny HTTP/1.1 GET server on 127.0.0.1 for tests (here and in other crates): serves a
//! folder, or answers from a function. One request per connection, no keep-alive.

use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Longest request head read; longer requests get a 431.
const MAX_HEAD: usize = 16 << 10;

/// A running server; it stops when dropped.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves the files below `root`; the request target (query included) is the file path,
/// so `a?b=1` is the file named `a?b=1`. Missing files and `..` paths are 404.
pub async fn serve_dir(root: impl Into<PathBuf>) -> io::Result<Server> {
    let root: PathBuf = root.into();
    serve_fn(move |target| read_below(&root, target)).await
}

fn read_below(root: &Path, target: &str) -> Option<Vec<u8>> {
    let rel = Path::new(target.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    std::fs::read(root.join(rel)).ok()
}

/// Serves the files below `root` gzip-compressed with `Content-Encoding: gzip`, as CDNs in
/// front of Static CT logs do (the spec requires readers to accept it).
pub async fn serve_dir_gzip(root: impl Into<PathBuf>) -> io::Result<Server> {
    let root: PathBuf = root.into();
    serve(move |target| read_below(&root, target), true).await
}

/// Serves whatever `respond` returns for a request target (`None` is a 404).
pub async fn serve_fn<F>(respond: F) -> io::Result<Server>
where
    F: Fn(&str) -> Option<Vec<u8>> + Send + Sync + 'static,
{
    serve(respond, false).await
}

async fn serve<F>(respond: F, gzip: bool) -> io::Result<Server>
where
    F: Fn(&str) -> Option<Vec<u8>> + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let respond = Arc::new(respond);
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let respond = Arc::clone(&respond);
            tokio::spawn(async move {
                let _ = answer(stream, &*respond, gzip).await;
            });
        }
    });
    Ok(Server { addr, task })
}

async fn answer<F>(mut stream: TcpStream, respond: &F, gzip: bool) -> io::Result<()>
where
    F: Fn(&str) -> Option<Vec<u8>>,
{
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return reply(&mut stream, "431 Request Header Fields Too Large", b"").await;
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    let head = String::from_utf8_lossy(&head);
    let mut first = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (
        first.next().unwrap_or_default(),
        first.next().unwrap_or("/"),
    );
    if method != "GET" {
        return reply(&mut stream, "405 Method Not Allowed", b"").await;
    }
    match respond(target) {
        Some(body) if gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&body)?;
            let zipped = enc.finish()?;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n",
                zipped.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&zipped).await?;
            stream.shutdown().await
        }
        Some(body) => reply(&mut stream, "200 OK", &body).await,
        None => reply(&mut stream, "404 Not Found", b"not found\n").await,
    }
}

async fn reply(stream: &mut TcpStream, status: &str, body: &[u8]) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.shutdown().await
}
