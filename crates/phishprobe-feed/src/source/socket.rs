//! A live certstream server over a websocket (`ws://` or `wss://`): one JSON message per
//! frame. The connection is watched: a server that stalls (no message, heartbeats included,
//! for `stall`) or sends garbage gets an error record and, for a stall or a broken connection,
//! a reconnection with a growing pause; a message over the size limit is refused by the
//! websocket layer before it is buffered.

use std::time::Duration;

use async_tungstenite::tungstenite::Message;
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use futures::StreamExt;
use tokio::sync::mpsc;

use super::{FeedEvent, MAX_RECORD, certstream};

/// How a certstream socket is followed.
#[derive(Debug, Clone)]
pub struct SocketOptions {
    /// Stop when the server closes the connection (instead of reconnecting).
    pub once: bool,
    /// A connection silent this long is given up and made again.
    pub stall: Duration,
}

/// What ended one connection.
enum Ended {
    /// The server closed it (or the stream ended).
    Closed,
    /// It failed or stalled: reconnect.
    Broken(String),
    /// The receiver is gone: stop.
    Stop,
}

/// Follow the certstream server at `url`, sending its names to `tx`, until the receiver is
/// gone (or, with `once`, the server closes the connection).
pub async fn follow(
    url: &str,
    options: &SocketOptions,
    tx: &mpsc::Sender<FeedEvent>,
) -> Result<(), String> {
    let mut counter = 0u64;
    let mut pause = Duration::from_millis(250);
    loop {
        let ended = match connect(url).await {
            Ok(stream) => {
                pause = Duration::from_millis(250);
                read_messages(stream, options.stall, &mut counter, tx).await
            }
            Err(e) => Ended::Broken(format!("cannot connect: {e}")),
        };
        match ended {
            Ended::Stop => return Ok(()),
            Ended::Closed if options.once => return Ok(()),
            Ended::Closed => {}
            Ended::Broken(error) => {
                let at = format!("{url} after message {counter}");
                if tx.send(FeedEvent::Bad { at, error }).await.is_err() {
                    return Ok(());
                }
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

type Socket = async_tungstenite::WebSocketStream<async_tungstenite::tokio::ConnectStream>;

async fn connect(url: &str) -> Result<Socket, String> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_RECORD))
        .max_frame_size(Some(MAX_RECORD));
    let connecting = async_tungstenite::tokio::connect_async_with_config(url, Some(config));
    match tokio::time::timeout(Duration::from_secs(15), connecting).await {
        Ok(Ok((stream, _response))) => Ok(stream),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 15 s".into()),
    }
}

async fn read_messages(
    mut stream: Socket,
    stall: Duration,
    counter: &mut u64,
    tx: &mpsc::Sender<FeedEvent>,
) -> Ended {
    loop {
        let next = match tokio::time::timeout(stall, stream.next()).await {
            Err(_) => {
                return Ended::Broken(format!(
                    "no message for {} s: reconnecting",
                    stall.as_secs()
                ));
            }
            Ok(None) => return Ended::Closed,
            Ok(Some(Err(e))) => return Ended::Broken(e.to_string()),
            Ok(Some(Ok(message))) => message,
        };
        let text = match next {
            Message::Text(text) => text.as_str().to_string(),
            Message::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Message::Close(_) => return Ended::Closed,
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
        };
        *counter += 1;
        let at = format!("message {counter}");
        let event = match certstream::parse_message(&text) {
            Ok(found) if found.names.is_empty() => continue,
            Ok(found) => FeedEvent::Names {
                at,
                names: found.names,
            },
            Err(error) => FeedEvent::Bad { at, error },
        };
        if tx.send(event).await.is_err() {
            return Ended::Stop;
        }
    }
}
