//! Binding, the accept loop and the worker threads. The sockets are bound before anything else
//! so that a wrong address fails at once; the email checker lives on the caller's stack and the
//! workers borrow it for as long as the server runs (no leaked engine).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use miltr_server::Server;
use phishprobe_core::Engine;
use phishprobe_email::{EmailChecker, EmailData, Options};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tokio_util::compat::TokioAsyncReadCompatExt;

use crate::config::Config;
use crate::idle::IdleTimeout;
use crate::listen::ListenAddr;
use crate::message::MemoryBudget;
use crate::scanner;
use crate::session::{AfterCheck, Session, SessionShared};
use crate::stats::{self, Stats};

/// Largest milter packet accepted. Postfix sends the body in chunks of at most 64 KiB, but one
/// header may be up to `header_size_limit` (100 KiB by default) in a single packet; refusing
/// that would tempfail such a message forever.
const MAX_PACKET: usize = 1 << 20;

/// Why the milter could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum MilterError {
    /// The listen or metrics address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address as given.
        addr: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The async runtime could not be built.
    #[error("starting the milter runtime: {0}")]
    Runtime(std::io::Error),
}

/// Options that are not in the configuration file (they are about this process).
#[derive(Clone, Default)]
pub struct ServeOptions {
    /// Log envelope addresses and subjects with each message.
    pub log_addresses: bool,
    /// Serve Prometheus metrics on this address.
    pub metrics: Option<SocketAddr>,
    /// Handed each suspicious or phishing message that is delivered or held (see
    /// [`AfterCheck`]).
    pub after_check: Option<Arc<dyn AfterCheck>>,
    /// The email checker's data files, when not the embedded ones (`--brands DIR`).
    pub email_data: Option<EmailData>,
}

/// The listening socket, bound at start so a taken address fails before the server runs.
enum BoundSocket {
    Tcp(std::net::TcpListener),
    Unix(std::os::unix::net::UnixListener),
}

/// A milter with its sockets bound, ready to [`run`](MilterServer::run).
pub struct MilterServer {
    config: Config,
    options: ServeOptions,
    listener: BoundSocket,
    metrics: Option<std::net::TcpListener>,
}

impl MilterServer {
    /// Bind the milter socket (and the metrics socket, if any).
    pub fn bind(
        listen: &ListenAddr,
        config: Config,
        options: ServeOptions,
    ) -> Result<MilterServer, MilterError> {
        let bind_err = |source| MilterError::Bind {
            addr: listen.to_string(),
            source,
        };
        let listener = match listen {
            ListenAddr::Inet(addr) => {
                BoundSocket::Tcp(std::net::TcpListener::bind(addr).map_err(bind_err)?)
            }
            ListenAddr::Unix(path) => {
                // A socket file left by an earlier run would make bind fail. Only a dead one is
                // removed: a live one belongs to a running milter, anything else is not ours.
                if let Ok(meta) = std::fs::symlink_metadata(path) {
                    use std::os::unix::fs::FileTypeExt;
                    let refused = std::os::unix::net::UnixStream::connect(path)
                        .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused);
                    if meta.file_type().is_socket() && refused {
                        let _ = std::fs::remove_file(path);
                    }
                }
                BoundSocket::Unix(std::os::unix::net::UnixListener::bind(path).map_err(bind_err)?)
            }
        };
        let metrics = match options.metrics {
            Some(addr) => {
                Some(
                    std::net::TcpListener::bind(addr).map_err(|source| MilterError::Bind {
                        addr: addr.to_string(),
                        source,
                    })?,
                )
            }
            None => None,
        };
        Ok(MilterServer {
            config,
            options,
            listener,
            metrics,
        })
    }

    /// The TCP address actually bound (useful with port 0), if listening on TCP.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &self.listener {
            BoundSocket::Tcp(l) => l.local_addr().ok(),
            BoundSocket::Unix(_) => None,
        }
    }

    /// The metrics address actually bound, if any.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Serve until `shutdown` completes, then stop accepting and give open conversations a
    /// short grace period. Returns the counters.
    pub fn run(
        self,
        engine: &Engine,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<Arc<Stats>, MilterError> {
        let limits = &self.config.limits;
        let email_options = Options {
            authserv_id: self.config.email.authserv_id.clone(),
            max_qr_images: if self.config.email.qr_codes {
                Options::default().max_qr_images
            } else {
                0
            },
            max_message_bytes: limits.max_message_bytes,
            ..Options::default()
        };
        let checker = match &self.options.email_data {
            Some(data) => EmailChecker::with_data(
                engine,
                email_options,
                phishprobe_core::text::TextRules::embedded().ok(),
                data.clone(),
            ),
            None => EmailChecker::new(engine, email_options),
        };
        let workers = match limits.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let (scanner, queue) = scanner::channel(limits.queue, self.config.deadline());
        let stats = Arc::new(Stats::default());
        let shared = Arc::new(SessionShared {
            networks: self.config.excluded_networks(),
            budget: MemoryBudget::new(limits.max_buffered_bytes),
            scanner,
            stats: stats.clone(),
            log_addresses: self.options.log_addresses,
            after_check: self.options.after_check.clone(),
            config: self.config.clone(),
        });
        let grace = self.config.deadline() + Duration::from_secs(1);
        let max_connections = limits.max_connections;
        let idle = Duration::from_secs(limits.idle_timeout_secs);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let queue = queue.clone();
                let checker = &checker;
                scope.spawn(move || queue.work(checker));
            }
            drop(queue);
            // One thread for all conversations: the protocol work per packet is small, and a
            // second async thread mostly added wake-ups between the two (the checks run on the
            // worker pool).
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(MilterError::Runtime)?;
            let served = runtime.block_on(accept_loop(
                self.listener,
                self.metrics,
                shared,
                max_connections,
                idle,
                grace,
                shutdown,
            ));
            // Dropping the runtime drops every conversation and with them the last handles on
            // the worker queue, so the workers end and the scope can close.
            runtime.shutdown_timeout(Duration::from_secs(1));
            served
        })?;
        Ok(stats)
    }
}

async fn accept_loop(
    listener: BoundSocket,
    metrics: Option<std::net::TcpListener>,
    shared: Arc<SessionShared>,
    max_connections: usize,
    idle: Duration,
    grace: Duration,
    shutdown: impl Future<Output = ()>,
) -> Result<(), MilterError> {
    let runtime_err = MilterError::Runtime;
    if let Some(m) = metrics {
        m.set_nonblocking(true).map_err(runtime_err)?;
        let m = tokio::net::TcpListener::from_std(m).map_err(runtime_err)?;
        tokio::spawn(stats::serve_metrics(m, shared.stats.clone()));
    }
    let listener = match listener {
        BoundSocket::Tcp(l) => {
            l.set_nonblocking(true).map_err(runtime_err)?;
            Listener::Tcp(tokio::net::TcpListener::from_std(l).map_err(runtime_err)?)
        }
        BoundSocket::Unix(l) => {
            l.set_nonblocking(true).map_err(runtime_err)?;
            Listener::Unix(tokio::net::UnixListener::from_std(l).map_err(runtime_err)?)
        }
    };
    let slots = Arc::new(Semaphore::new(max_connections));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok(s) => s,
                    Err(_) => {
                        // Out of file descriptors or a connection reset before accept: wait a
                        // moment instead of spinning.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    shared.stats.connection(false);
                    drop(stream);
                    continue;
                };
                shared.stats.connection(true);
                let shared = shared.clone();
                tokio::spawn(async move {
                    let ok = match stream {
                        Stream::Tcp(s) => converse(s, shared.clone(), idle).await,
                        Stream::Unix(s) => converse(s, shared.clone(), idle).await,
                    };
                    if !ok {
                        shared.stats.protocol_error();
                    }
                    drop(slot);
                });
            }
        }
    }
    // Stop taking connections (the MTA gets a refusal at once instead of waiting in the
    // backlog), then let conversations in progress finish: a message being checked gets its
    // answer.
    drop(listener);
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(grace, slots.acquire_many(all)).await;
    Ok(())
}

/// One milter conversation; `false` when it ended in a protocol error or timed out.
async fn converse<S>(stream: S, shared: Arc<SessionShared>, idle: Duration) -> bool
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut session = Session::new(shared);
    let mut server = Server::new(&mut session, false, MAX_PACKET);
    let io = IdleTimeout::new(stream, idle).compat();
    server.handle_connection(io).await.is_ok()
}

enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

impl Listener {
    async fn accept(&self) -> std::io::Result<Stream> {
        match self {
            Listener::Tcp(l) => {
                let (s, _) = l.accept().await?;
                // Without it every small reply waits for the peer's delayed ACK (~40 ms):
                // 22 messages/s through Postfix instead of hundreds.
                s.set_nodelay(true)?;
                Ok(Stream::Tcp(s))
            }
            Listener::Unix(l) => Ok(Stream::Unix(l.accept().await?.0)),
        }
    }
}
