//! # phishprobe-milter
//!
//! The email verdict in front of the mailbox: a milter (the filter protocol of Postfix and
//! Sendmail) that checks each message with [`phishprobe_email`] before it is delivered and
//! tells the MTA what to do — headers on every message, a subject tag, quarantine (Postfix
//! HOLD) or reject as the admin configures ([`config`]).
//!
//! Design:
//! - The milter never loses a message: when it cannot give a verdict (its own error, the
//!   deadline, too much mail at once) it answers tempfail, so the sending server keeps the
//!   message and retries; `failure.on_failure = "accept"` delivers it marked `unchecked`
//!   instead. If the milter itself is gone, the MTA's `milter_default_action` applies: set it
//!   to `tempfail`.
//! - A sender cannot pass off a verdict: inbound `X-Phishprobe-*` headers are removed.
//! - Checks run on a fixed pool of threads ([`scanner`]); connections are async. Memory is
//!   bounded by the message size limit, a shared budget of buffered bytes, the connection
//!   limit and the packet size limit; silent connections are closed.
//! - The wrong-password probe never runs here: it takes seconds, the MTA cannot wait.
//!
//! ```no_run
//! use phishprobe_milter::{Config, ListenAddr, MilterServer, ServeOptions};
//! let engine = phishprobe_core::Engine::embedded().unwrap();
//! let listen: ListenAddr = "inet:127.0.0.1:11340".parse().unwrap();
//! let server = MilterServer::bind(&listen, Config::default(), ServeOptions::default()).unwrap();
//! server.run(&engine, std::future::pending::<()>()).unwrap();
//! ```

#![warn(missing_docs)]

pub mod config;
mod idle;
pub mod listen;
pub mod message;
pub mod policy;
pub mod scanner;
mod serve;
pub mod session;
pub mod stats;
pub mod testing;

pub use config::{Config, ConfigError};
pub use listen::ListenAddr;
pub use serve::{MilterError, MilterServer, ServeOptions};
pub use session::AfterCheck;
pub use stats::Stats;
