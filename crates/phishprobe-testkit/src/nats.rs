//! Throwaway NATS servers with JetStream on 127.0.0.1, started by the tests themselves
//! (Debian's `nats-server`): one server, or a three-node cluster whose nodes can be killed and
//! restarted on the same ports and store folders.
//!
//! Missing `nats-server` skips a test with a message, or fails it when
//! `PHISHPROBE_REQUIRE_NATS=1` (set by `.ci/run`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs the server; `PHISHPROBE_NATS_SERVER` overrides it.
fn server_binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("PHISHPROBE_NATS_SERVER") {
        return Some(PathBuf::from(path));
    }
    [
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
        "/usr/local/bin/nats-server",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// The server binary, or `None` (with a message) when it is missing; panics when it is
/// missing and `PHISHPROBE_REQUIRE_NATS=1`.
pub fn nats_server() -> Option<PathBuf> {
    let found = server_binary();
    if found.is_none() {
        assert!(
            !std::env::var("PHISHPROBE_REQUIRE_NATS").is_ok_and(|v| v == "1"),
            "PHISHPROBE_REQUIRE_NATS=1 but nats-server is not installed (apt install nats-server)"
        );
        eprintln!("SKIP: nats-server not installed");
    }
    found
}

/// A free TCP port on 127.0.0.1 (free when asked; the server binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// One `nats-server` process with JetStream and its own store folder.
pub struct NatsNode {
    binary: PathBuf,
    args: Vec<String>,
    /// Client port.
    pub port: u16,
    /// Monitoring port (`/healthz`, `/jsz`).
    pub monitor_port: u16,
    child: Option<Child>,
    log: PathBuf,
}

impl NatsNode {
    /// The client URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Start (or start again, on the same ports and store) and wait until JetStream answers.
    pub fn start(&mut self) {
        let log = std::fs::File::create(&self.log).ok();
        let stderr = log.map_or_else(Stdio::null, Stdio::from);
        let child = Command::new(&self.binary)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        self.child = Some(child);
    }

    /// Kill the process at once (SIGKILL), leaving its store as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether `/healthz` answers "ok" (JetStream included).
    pub fn healthy(&self) -> bool {
        http_get(self.monitor_port, "/healthz").is_some_and(|body| body.contains("ok"))
    }

    /// The server's own log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for NatsNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One server or a cluster, in a temporary folder removed on drop.
pub struct NatsSetup {
    /// The nodes.
    pub nodes: Vec<NatsNode>,
    _dir: TempDir,
}

impl NatsSetup {
    /// A single server with JetStream; `None` when nats-server is missing (and not required).
    pub fn single() -> Option<NatsSetup> {
        NatsSetup::start(1)
    }

    /// A three-node JetStream cluster on loopback.
    pub fn cluster() -> Option<NatsSetup> {
        NatsSetup::start(3)
    }

    /// Start `count` nodes. A free port found by [`free_port`] can be taken by another test's
    /// process before nats-server binds it (a CI run lost a cluster node that way: "address
    /// already in use"); then the whole setup is started again on fresh ports, up to 3 times.
    fn start(count: usize) -> Option<NatsSetup> {
        let binary = nats_server()?;
        for _ in 0..2 {
            let setup = NatsSetup::launch(&binary, count);
            if setup.healthy_within(Duration::from_secs(30)) {
                return Some(setup);
            }
            if !setup
                .nodes
                .iter()
                .any(|n| n.log().contains("address already in use"))
            {
                setup.wait_healthy(Duration::ZERO); // panics with the logs
            }
        }
        let setup = NatsSetup::launch(&binary, count);
        setup.wait_healthy(Duration::from_secs(30));
        Some(setup)
    }

    fn launch(binary: &std::path::Path, count: usize) -> NatsSetup {
        let binary = binary.to_path_buf();
        let dir = TempDir::new("nats");
        let cluster_ports: Vec<u16> = (0..count).map(|_| free_port()).collect();
        let routes: Vec<String> = cluster_ports
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect();
        let mut nodes = Vec::new();
        for (i, cluster_port) in cluster_ports.iter().enumerate() {
            let (port, monitor_port) = (free_port(), free_port());
            let store = dir.path.join(format!("n{i}"));
            let mut args: Vec<String> = vec![
                "-js".into(),
                "-a".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
                "-m".into(),
                monitor_port.to_string(),
                "-sd".into(),
                store.display().to_string(),
                "--server_name".into(),
                format!("n{i}"),
            ];
            if count > 1 {
                args.extend([
                    "--cluster_name".into(),
                    "phishprobe".into(),
                    "--cluster".into(),
                    format!("nats://127.0.0.1:{cluster_port}"),
                    "--routes".into(),
                    routes.join(","),
                ]);
            }
            let mut node = NatsNode {
                binary: binary.clone(),
                args,
                port,
                monitor_port,
                child: None,
                log: dir.path.join(format!("n{i}.log")),
            };
            node.start();
            nodes.push(node);
        }
        NatsSetup { nodes, _dir: dir }
    }

    /// Whether every running node says it is healthy within `limit`.
    fn healthy_within(&self, limit: Duration) -> bool {
        let started = Instant::now();
        loop {
            if self
                .nodes
                .iter()
                .filter(|n| n.child.is_some())
                .all(NatsNode::healthy)
            {
                return true;
            }
            if started.elapsed() >= limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait until every running node says it is healthy (JetStream ready, a leader elected).
    pub fn wait_healthy(&self, limit: Duration) {
        if self.healthy_within(limit) {
            return;
        }
        let logs: Vec<String> = self.nodes.iter().map(NatsNode::log).collect();
        panic!(
            "nats-server not healthy after {limit:?}; logs:\n{}",
            logs.join("\n---\n")
        );
    }

    /// Client URLs of all nodes, comma-separated (what `--nats` / `--to` take).
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(NatsNode::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Ask each running node's `/jsz` which one leads the stream `stream` (by server name
    /// `n0`, `n1`...), as an index into `nodes`.
    pub fn stream_leader(&self, stream: &str) -> Option<usize> {
        for node in self.nodes.iter().filter(|n| n.child.is_some()) {
            let body = http_get(node.monitor_port, "/jsz?streams=true&raft=true")?;
            let at = body
                .find(&format!("\"name\": \"{stream}\""))
                .or_else(|| body.find(&format!("\"name\":\"{stream}\"")))?;
            let rest = &body[at..];
            let leader_at = rest.find("\"leader\"")?;
            let after = &rest[leader_at + 8..];
            let value: String = after
                .chars()
                .skip_while(|c| *c != '"')
                .skip(1)
                .take_while(|c| *c != '"')
                .collect();
            if let Some(index) = value.strip_prefix('n').and_then(|i| i.parse().ok()) {
                return Some(index);
            }
        }
        None
    }
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    )
    .ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut body = String::new();
    stream.read_to_string(&mut body).ok()?;
    body.starts_with("HTTP/1.").then_some(body)
}

/// A temporary folder removed on drop (the testkit takes no tempfile dependency).
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(prefix: &str) -> TempDir {
        let unique = format!(
            "phishprobe-{prefix}-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos() ^ u128::from(free_port())
        );
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
