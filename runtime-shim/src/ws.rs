//! `GET /ws`: the upgrade (authenticated before it happens) and one task
//! per socket that writes the replay, then live frames, answers the client,
//! pings it, and closes it with a reason when it must.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use todo_auth::Claims;
use tokio::time::{Instant, MissedTickBehavior};

use crate::AppState;
use crate::auth::{authenticate, now_unix};
use crate::hub::{Frame, Kick, Subscription};
use crate::metrics::Metrics;
use crate::problem::problem;

/// Close codes this service sends.
pub mod close {
    /// The server is shutting down (RFC 6455 "going away").
    pub const GOING_AWAY: u16 = 1001;
    /// The client broke the WebSocket protocol (e.g. a continuation frame
    /// with no message to continue, a fragmented control frame).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// The client sent binary or non-JSON data.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// The client sent a text message that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// The client sent a message over the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// An unexpected server-side condition.
    pub const INTERNAL: u16 = 1011;
    /// The client did not keep up with its frames; reconnect (with `since`).
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The token's `exp` passed: reconnect with a fresh token.
    pub const TOKEN_EXPIRED: u16 = 4001;
    /// The client answered no ping for two ping intervals.
    pub const PING_TIMEOUT: u16 = 4002;
}

/// Bytes read from a socket at a time. Clients send only small JSON
/// (pings); tungstenite's default, 128 KiB, is allocated for every socket
/// and was nearly all of a connection's memory (bench/benches/connections.rs:
/// 134.6 KiB per connection with it). Larger messages, up to the limit,
/// still arrive: they are read in several chunks.
const READ_BUFFER: usize = 4 * 1024;
/// How long a close handshake may take before the socket is just dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Tokens are trusted for at most this long on one socket (guards overflow).
const MAX_SESSION: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

type Sink = SplitSink<WebSocket, Message>;
type Stream = SplitStream<WebSocket>;

/// `GET /ws[?since=<seq>][&access_token=<jwt>]`.
pub async fn upgrade(
    State(app): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    if *app.shutdown.borrow() {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is shutting down; reconnect shortly",
        );
    }
    let Some(secret) = app.secret.get() else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is starting: its token secret is not loaded yet; retry shortly",
        );
    };
    let Ok(Query(query)) = query else {
        return problem(StatusCode::BAD_REQUEST, "the query string cannot be read");
    };
    let access_token = query.get("access_token").map(String::as_str);
    let claims = match authenticate(&headers, access_token, secret, now_unix()) {
        Ok(claims) => claims,
        Err(detail) => {
            Metrics::inc(&app.metrics.auth_failures);
            tracing::info!(reason = %detail, "websocket refused: not authenticated");
            let mut response = problem(StatusCode::UNAUTHORIZED, detail);
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    };
    let since = match query.get("since").map(|s| s.parse::<u64>()) {
        None => None,
        Some(Ok(since)) => Some(since),
        Some(Err(_)) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "since must be the last seq the client has seen: a non-negative integer",
            );
        }
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return problem(rejection.status(), rejection.body_text()),
    };
    let limit = app.config.max_message_size;
    upgrade
        .read_buffer_size(READ_BUFFER)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_failed_upgrade(|error| tracing::warn!(%error, "websocket upgrade failed"))
        .on_upgrade(move |socket| session(socket, app, claims, since))
}

/// How a session ended.
#[derive(Debug)]
enum End {
    /// Send a close frame with this code and reason, then drop the socket.
    Close(u16, &'static str),
    /// The peer is gone or unusable: just drop the socket.
    Gone(&'static str),
    /// The client does not keep up: its queue filled (a close 1013 is
    /// attempted, for at most the write timeout) or a write timed out (the
    /// socket is just dropped).
    Slow {
        /// Whether a close frame may still get through.
        send_close: bool,
    },
}

/// Serves one authenticated socket until it closes.
async fn session(socket: WebSocket, app: AppState, claims: Claims, since: Option<u64>) {
    // Subscribed before counted: a socket the `realtime_connections` gauge
    // counts receives every frame fanned out from then on.
    let subscription = app.hub.subscribe(&claims.sub, since);
    let _open = app.sessions.enter(&app.metrics);
    let conn_id = subscription.conn_id;
    tracing::info!(
        user_id = %claims.sub,
        conn_id,
        since,
        resync = subscription.resync,
        replay = subscription.replay.len(),
        "websocket connected"
    );
    let (sink, mut stream) = socket.split();
    let mut session = Session {
        app: &app,
        sink,
        subscription,
        conn_id,
        user: &claims.sub,
    };
    let end = session.drive(&mut stream, claims.exp).await;
    let Session {
        mut sink,
        subscription,
        ..
    } = session;
    drop(subscription); // unregister before the close handshake
    match end {
        End::Slow { send_close } => {
            Metrics::inc(&app.metrics.slow_disconnects);
            tracing::warn!(
                user_id = %claims.sub,
                conn_id,
                "disconnecting a client that does not keep up"
            );
            if send_close {
                let reason = "too slow: reconnect with since";
                let limit = app.config.write_timeout;
                close_handshake(
                    &mut sink,
                    &mut stream,
                    close::TRY_AGAIN_LATER,
                    reason,
                    limit,
                )
                .await;
            }
        }
        End::Close(code, reason) => {
            close_handshake(&mut sink, &mut stream, code, reason, CLOSE_TIMEOUT).await;
            tracing::info!(user_id = %claims.sub, conn_id, code, reason, "websocket closed");
        }
        End::Gone(reason) => {
            tracing::info!(user_id = %claims.sub, conn_id, reason, "websocket dropped");
        }
    }
}

struct Session<'a> {
    app: &'a AppState,
    sink: Sink,
    subscription: Subscription,
    conn_id: u64,
    user: &'a str,
}

/// A write that did not complete.
enum WriteFailed {
    /// The write took longer than the write timeout.
    TimedOut,
    /// The hub dropped this connection while the write waited.
    Kicked,
    /// The connection failed.
    Closed,
}

impl From<WriteFailed> for End {
    fn from(failed: WriteFailed) -> Self {
        match failed {
            WriteFailed::TimedOut => End::Slow { send_close: false },
            WriteFailed::Kicked => End::Slow { send_close: true },
            WriteFailed::Closed => End::Gone("the connection failed while writing"),
        }
    }
}

impl Session<'_> {
    /// Writes one message, giving up when it takes longer than the write
    /// timeout or when the hub drops this connection meanwhile.
    async fn write(&mut self, message: Message) -> Result<(), WriteFailed> {
        let send = tokio::time::timeout(self.app.config.write_timeout, self.sink.send(message));
        tokio::select! {
            biased;
            sent = send => match sent {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) => Err(WriteFailed::Closed),
                Err(_) => Err(WriteFailed::TimedOut),
            },
            // A frame left half-written stays whole in the socket's write
            // buffer; the close frame is queued behind it.
            _ = &mut self.subscription.kicked => Err(WriteFailed::Kicked),
        }
    }

    async fn write_text(&mut self, text: Utf8Bytes) -> Result<(), WriteFailed> {
        self.write(Message::Text(text)).await?;
        Metrics::inc(&self.app.metrics.frames_sent);
        Ok(())
    }

    /// Writes a live frame and records its latencies.
    async fn write_live(&mut self, frame: Frame) -> Result<(), WriteFailed> {
        let seq = frame.seq;
        self.write_text(frame.text).await?;
        let metrics = &self.app.metrics;
        metrics.fanout_seconds.observe(frame.received_at.elapsed());
        if let Some(occurred_at) = frame.occurred_at {
            let age = SystemTime::now()
                .duration_since(occurred_at)
                .unwrap_or_default();
            metrics.event_to_socket_seconds.observe(age);
        }
        tracing::debug!(
            user_id = self.user,
            conn_id = self.conn_id,
            seq,
            "frame sent"
        );
        Ok(())
    }

    async fn drive(&mut self, stream: &mut Stream, exp: i64) -> End {
        let mut shutdown = self.app.shutdown.clone();
        if *shutdown.borrow_and_update() {
            return End::Close(close::GOING_AWAY, "server shutting down");
        }

        // What the client missed, before anything live.
        if self.subscription.resync {
            tracing::info!(
                user_id = self.user,
                conn_id = self.conn_id,
                "the resume gap is not buffered: resync"
            );
            let resync = Utf8Bytes::from_static(r#"{"type":"resync"}"#);
            if let Err(failed) = self.write_text(resync).await {
                return failed.into();
            }
        }
        for frame in std::mem::take(&mut self.subscription.replay) {
            if let Err(failed) = self.write_text(frame.text).await {
                return failed.into();
            }
            Metrics::inc(&self.app.metrics.frames_replayed);
        }

        let interval = self.app.config.ping_interval;
        let mut ping = tokio::time::interval_at(Instant::now() + interval, interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        let remaining = u64::try_from(exp.saturating_sub(now_unix())).unwrap_or(0);
        let expiry = tokio::time::sleep(Duration::from_secs(remaining).min(MAX_SESSION));
        tokio::pin!(expiry);

        loop {
            tokio::select! {
                biased;
                _ = shutdown.changed() => {
                    return End::Close(close::GOING_AWAY, "server shutting down");
                }
                kicked = &mut self.subscription.kicked => {
                    return match kicked {
                        Ok(Kick::Slow) => End::Slow { send_close: true },
                        Err(_) => End::Close(close::INTERNAL, "unregistered"),
                    };
                }
                () = &mut expiry => {
                    return End::Close(close::TOKEN_EXPIRED, "token expired");
                }
                // Before live frames, so a busy queue cannot starve reading
                // (pongs, close frames) and trip the ping timeout.
                message = stream.next() => {
                    last_heard = Instant::now();
                    match message {
                        Some(Ok(Message::Text(text))) => {
                            let Ok(reply) = reply_to(&text) else {
                                return End::Close(close::UNSUPPORTED_DATA, "send JSON text messages");
                            };
                            if let Err(failed) = self.write_text(reply).await {
                                return failed.into();
                            }
                        }
                        Some(Ok(Message::Binary(_))) => {
                            return End::Close(close::UNSUPPORTED_DATA, "binary messages are not supported");
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                        Some(Ok(Message::Close(_))) => {
                            // The reply to the client's close goes out with this flush.
                            let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.sink.flush()).await;
                            return End::Gone("the client closed the connection");
                        }
                        Some(Err(error)) => return read_failed(&error),
                        None => return End::Gone("the client disconnected"),
                    }
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > interval * 2 {
                        return End::Close(close::PING_TIMEOUT, "ping timeout");
                    }
                    if let Err(failed) = self.write(Message::Ping(Default::default())).await {
                        return failed.into();
                    }
                }
                frame = self.subscription.frames.recv() => {
                    let Some(frame) = frame else {
                        return End::Close(close::INTERNAL, "unregistered");
                    };
                    if self.subscription.is_new(&frame)
                        && let Err(failed) = self.write_live(frame).await
                    {
                        return failed.into();
                    }
                }
            }
        }
    }
}

/// The answer to a client's text message: `Err` when it is not JSON.
fn reply_to(text: &str) -> Result<Utf8Bytes, ()> {
    let message: Value = serde_json::from_str(text).map_err(|_| ())?;
    let error = match message.get("type").and_then(Value::as_str) {
        Some("ping") => return Ok(Utf8Bytes::from_static(r#"{"type":"pong"}"#)),
        Some(other) => {
            format!("unknown message type '{other}': only {{\"type\":\"ping\"}} is accepted")
        }
        None => "a message needs a string 'type'; only {\"type\":\"ping\"} is accepted".to_owned(),
    };
    Ok(serde_json::json!({ "type": "error", "message": error })
        .to_string()
        .into())
}

/// How a session ends after reading failed: the client's own mistakes get a
/// close frame that names them (RFC 6455 section 7.4.1); a broken connection
/// is just dropped.
fn read_failed(error: &axum::Error) -> End {
    use std::error::Error as _;
    use tungstenite::error::{CapacityError, ProtocolError};
    let Some(error) = error
        .source()
        .and_then(|e| e.downcast_ref::<tungstenite::Error>())
    else {
        return End::Gone("the connection failed while reading");
    };
    match error {
        tungstenite::Error::Capacity(CapacityError::MessageTooLong { .. }) => {
            End::Close(close::TOO_BIG, "message too big: the limit is 64 KiB")
        }
        tungstenite::Error::Utf8(_) => {
            End::Close(close::INVALID_DATA, "text messages must be UTF-8")
        }
        tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            End::Gone("the client disconnected without closing")
        }
        tungstenite::Error::Protocol(violation) => End::Close(
            close::PROTOCOL_ERROR,
            match violation {
                ProtocolError::UnexpectedContinueFrame => {
                    "a continuation frame with no message to continue"
                }
                ProtocolError::ExpectedFragment(_) => {
                    "a new message began before the fragmented one ended"
                }
                ProtocolError::FragmentedControlFrame => "control frames must not be fragmented",
                _ => "WebSocket protocol violation",
            },
        ),
        _ => End::Gone("the connection failed while reading"),
    }
}

/// Sends a close frame and waits briefly for the client's, so the frame is
/// read before the connection goes away.
async fn close_handshake(
    sink: &mut Sink,
    stream: &mut Stream,
    code: u16,
    reason: &'static str,
    send_timeout: Duration,
) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    let sent = tokio::time::timeout(send_timeout, sink.send(Message::Close(Some(frame)))).await;
    if matches!(sent, Ok(Ok(()))) {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            while let Some(Ok(message)) = stream.next().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_gets_pong() {
        assert_eq!(
            reply_to(r#"{"type":"ping"}"#).unwrap().as_str(),
            r#"{"type":"pong"}"#
        );
    }

    #[test]
    fn unknown_json_gets_an_error_frame() {
        let reply: Value =
            serde_json::from_str(reply_to(r#"{"type":"subscribe"}"#).unwrap().as_str()).unwrap();
        assert_eq!(reply["type"], "error");
        assert!(reply["message"].as_str().unwrap().contains("'subscribe'"));
        let reply: Value = serde_json::from_str(reply_to("[1,2]").unwrap().as_str()).unwrap();
        assert_eq!(reply["type"], "error");
    }

    #[test]
    fn non_json_is_refused() {
        assert!(reply_to("hello").is_err());
    }
}
