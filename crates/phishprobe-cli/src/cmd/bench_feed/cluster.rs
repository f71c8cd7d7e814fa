//! The three-node JetStream cluster `--cluster` runs the leader-kill phase on: started,
//! watched through the nodes' monitoring ports, one node killed as a crash would. Only that
//! phase needs it, so its processes and HTTP polling stay out of the rest.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use super::broker::nats_binary;

/// A three-node JetStream cluster on loopback (`--cluster`): each node with its own client,
/// cluster and monitoring port and store folder.
pub(super) struct Cluster {
    nodes: Vec<ClusterNode>,
}

struct ClusterNode {
    child: Option<Child>,
    port: u16,
    monitor: u16,
}

impl Cluster {
    pub(super) fn start(dir: &Path) -> Result<Cluster> {
        let binary = nats_binary().context("nats-server not found (apt install nats-server)")?;
        let free = phishprobe_milter::testing::free_port;
        let routes: Vec<u16> = (0..3).map(|_| free()).collect();
        let route_list: Vec<String> = routes
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect();
        let mut nodes = Vec::new();
        for (i, route) in routes.iter().enumerate() {
            let (port, monitor) = (free(), free());
            let log = std::fs::File::create(dir.join(format!("n{i}.log")))?;
            let child = Command::new(&binary)
                .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string()])
                .args([
                    "-m",
                    &monitor.to_string(),
                    "--server_name",
                    &format!("n{i}"),
                ])
                .arg("-sd")
                .arg(dir.join(format!("n{i}")))
                .args(["--cluster_name", "phishprobe-bench", "--cluster"])
                .arg(format!("nats://127.0.0.1:{route}"))
                .args(["--routes", &route_list.join(",")])
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", binary.display()))?;
            nodes.push(ClusterNode {
                child: Some(child),
                port,
                monitor,
            });
        }
        let cluster = Cluster { nodes };
        let started = Instant::now();
        while !cluster
            .nodes
            .iter()
            .all(|n| http_get(n.monitor, "/healthz").is_some_and(|b| b.contains("ok")))
        {
            if started.elapsed() > Duration::from_secs(60) {
                bail!("the nats-server cluster was not healthy within 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(cluster)
    }

    pub(super) fn urls(&self) -> String {
        let urls: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.port))
            .collect();
        urls.join(",")
    }

    /// Which node leads `stream`, from the nodes' `/jsz` (server names are `n0`, `n1`, `n2`).
    pub(super) fn stream_leader(&self, stream: &str) -> Option<usize> {
        self.nodes.iter().find_map(|node| {
            let body = http_get(node.monitor, "/jsz?streams=true&raft=true")?;
            let at = body
                .find(&format!("\"name\": \"{stream}\""))
                .or_else(|| body.find(&format!("\"name\":\"{stream}\"")))?;
            let rest = body.get(at..)?;
            let after = rest.get(rest.find("\"leader\"")? + 8..)?;
            let value: String = after
                .chars()
                .skip_while(|c| *c != '"')
                .skip(1)
                .take_while(|c| *c != '"')
                .collect();
            value.strip_prefix('n').and_then(|i| i.parse().ok())
        })
    }

    /// SIGKILL node `index`, leaving its store as a crash would.
    pub(super) fn kill(&mut self, index: usize) {
        if let Some(mut child) = self.nodes.get_mut(index).and_then(|n| n.child.take()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

/// A plain HTTP/1.0 GET on loopback (the monitoring endpoints), `None` on any failure.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut body = String::new();
    stream.read_to_string(&mut body).ok()?;
    body.starts_with("HTTP/1.").then_some(body)
}
