//! The milter's side of the protocol, fed over a real loopback connection to a milter running
//! in this process: after a valid option negotiation, the input is a sequence of packets
//! (command byte, length, payload), framed as an MTA frames them, in any order and with any
//! content. The server answers in this process, so libFuzzer sees its coverage.
//!
//! A bug is a connection that neither answers nor closes within the time limit (a hang), a
//! malformed answer packet, or a server that stops accepting connections.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use phishprobe_milter::{Config, ListenAddr, MilterServer, ServeOptions};

/// Longer than the milter's own deadline (2 s here) and idle timeout (5 s): no close by then is
/// a hang.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// The answer codes a milter may send (SMFIR_* and the option negotiation).
const ANSWER_CODES: &[u8] = b"+-abcdhmpqrstyeO";

fn milter() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let config = Config::parse(
            "[failure]\ndeadline_ms = 2000\n[limits]\nidle_timeout_secs = 5\nmax_message_bytes = 1048576\nmax_buffered_bytes = 67108864\n",
            "fuzz",
        )
        .expect("the fuzz configuration is valid");
        let listen: ListenAddr = "inet:127.0.0.1:0".parse().expect("a loopback address");
        let server = MilterServer::bind(&listen, config, ServeOptions::default())
            .expect("a loopback port for the fuzz milter");
        let addr = server.local_addr().expect("a TCP address");
        std::thread::spawn(move || {
            server
                .run(super::engine(), std::future::pending::<()>())
                .expect("the fuzz milter runs");
        });
        addr
    })
}

/// Frame the input as packets: each record is a command byte, a big-endian u16 length and that
/// many payload bytes (cut at the end of the input).
fn packets(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    let mut rest = data;
    while let Some((&code, tail)) = rest.split_first() {
        let (len, tail) = match tail {
            [a, b, tail @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), tail),
            _ => (0, &[][..]),
        };
        let (payload, tail) = tail.split_at(len.min(tail.len()));
        let n = u32::try_from(payload.len() + 1).unwrap_or(u32::MAX);
        out.extend_from_slice(&n.to_be_bytes());
        out.push(code);
        out.extend_from_slice(payload);
        rest = tail;
    }
    out
}

/// One conversation with the fuzz input as everything the MTA says after negotiating.
pub fn milter_packets(data: &[u8]) {
    let addr = milter();
    let mut stream = TcpStream::connect(addr).expect("the fuzz milter accepts connections");
    stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .expect("a read timeout");
    // Version 6, every action, every protocol option: what Postfix 3.7 offers.
    let optneg = [
        0, 0, 0, 13, b'O', 0, 0, 0, 6, 0, 0, 1, 0xff, 0, 0x1f, 0xff, 0xff,
    ];
    stream.write_all(&optneg).expect("the negotiation is sent");
    // The server may close early on a bad packet: a failed write is an answer, not a bug.
    let _ = stream.write_all(&packets(data));
    let _ = stream.shutdown(Shutdown::Write);
    let mut answer = Vec::new();
    if let Err(e) = stream.read_to_end(&mut answer) {
        assert!(
            e.kind() != std::io::ErrorKind::WouldBlock && e.kind() != std::io::ErrorKind::TimedOut,
            "no close within {ANSWER_TIMEOUT:?}: a hang"
        );
    }
    check_answers(&answer);
}

/// Every answer is a well-formed packet with a known code; the first is the negotiation.
fn check_answers(answer: &[u8]) {
    let mut rest = answer;
    let mut first = true;
    while !rest.is_empty() {
        assert!(rest.len() >= 5, "a cut answer packet: {rest:?}");
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        assert!(
            len >= 1 && rest.len() >= 4 + len,
            "answer length {len} beyond the data"
        );
        let code = rest[4];
        assert!(ANSWER_CODES.contains(&code), "unknown answer code {code}");
        assert!(
            !first || code == b'O',
            "the first answer is the negotiation, not {code}"
        );
        first = false;
        rest = &rest[4 + len..];
    }
}
