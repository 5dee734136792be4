//! The real server on ephemeral ports, driven over HTTP and WebSockets the
//! way daprd and browsers drive it.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use runtime_shim::{Config, Server};
use serde_json::{Value, json};
use todo_domain::{Topic, names};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const SECRET: &str = "integration-test-secret";
/// The app token the tests' "sidecar" sends on the app port.
const SIDECAR: &str = "integration-sidecar-token";
const WAIT: Duration = Duration::from_secs(5);

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct TestServer {
    ws: SocketAddr,
    app: SocketAddr,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

fn test_config() -> Config {
    Config {
        ws_addr: "127.0.0.1:0".parse().unwrap(),
        app_addr: "127.0.0.1:0".parse().unwrap(),
        jwt_secret: Some(SECRET.into()),
        sidecar_token: todo_auth::SidecarToken::new(SIDECAR),
        // Nothing listens there: a fetch would fail loudly.
        dapr_url: "http://127.0.0.1:9".into(),
        ..Config::default()
    }
}

async fn start(config: Config) -> TestServer {
    let server = Server::bind(config).await.unwrap();
    let ws = server.public_addr().unwrap();
    let app = server.app_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async {
        let _ = stopped.await;
    }));
    TestServer {
        ws,
        app,
        http: reqwest::Client::new(),
        stop: Some(stop),
        task: Some(task),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn token(user: &str, ttl_secs: i64) -> String {
    let now = now();
    sign(user, now, now + ttl_secs, SECRET)
}

/// Signs with todo-auth, the library every service uses.
fn sign(user: &str, iat: i64, exp: i64, secret: &str) -> String {
    let claims = todo_auth::Claims {
        sub: user.into(),
        exp,
        iat,
    };
    todo_auth::sign(&claims, secret.as_bytes())
}

impl TestServer {
    fn url(&self, query: &str) -> String {
        format!("ws://{}/ws{query}", self.ws)
    }

    /// Connects as `user` with the token in the query string.
    async fn connect(&self, user: &str, since: Option<u64>) -> Ws {
        let since = since.map(|s| format!("&since={s}")).unwrap_or_default();
        let url = self.url(&format!("?access_token={}{since}", token(user, 3600)));
        let before = self.connections().await;
        let (ws, response) = tokio_tungstenite::connect_async(url).await.unwrap();
        assert_eq!(response.status(), 101);
        self.registered(before).await;
        ws
    }

    /// Connects as `user` with the token in the Authorization header.
    async fn connect_with_header(&self, user: &str) -> Ws {
        let mut request = self.url("").into_client_request().unwrap();
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {}", token(user, 3600)).parse().unwrap(),
        );
        let before = self.connections().await;
        let ws = tokio_tungstenite::connect_async(request).await.unwrap().0;
        self.registered(before).await;
        ws
    }

    /// The open sockets, by the `realtime_connections` gauge.
    async fn connections(&self) -> f64 {
        self.metric("realtime_connections").await
    }

    /// Waits until the server counts one socket more than `before`: the
    /// one just opened is subscribed (the gauge counts a socket only once
    /// it is), so a frame delivered from now on reaches it. Connecting one
    /// socket at a time keeps the count its own.
    async fn registered(&self, before: f64) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.connections().await < before + 1.0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the socket was never registered"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// What daprd does with one message from the topic.
    async fn deliver(&self, data: Value) -> Value {
        let event = json!({
            "id": uuid_like(),
            "source": "todo-api",
            "type": "com.dapr.event.sent",
            "specversion": "1.0",
            "datacontenttype": "application/json",
            "topic": Topic::TaskUpdates.name(),
            "pubsubname": names::REALTIME_PUBSUB,
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "data": data,
        });
        let response = self
            .http
            .post(format!("http://{}/events/task-updates", self.app))
            .header(todo_auth::SIDECAR_TOKEN_HEADER, SIDECAR)
            .header("content-type", "application/cloudevents+json")
            .body(event.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn get(&self, addr: SocketAddr, path: &str) -> reqwest::Response {
        self.http
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .unwrap()
    }

    async fn metric(&self, name: &str) -> f64 {
        let text = self.get(self.ws, "/metrics").await.text().await.unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
            .parse()
            .unwrap()
    }

    /// Shuts the server down; panics unless it stops within 10 s.
    async fn shutdown(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.task.take().unwrap())
            .await
            .expect("the server stops in time")
            .unwrap()
            .unwrap();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "00000000-0000-4000-8000-{:012}",
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn task_event(user: &str, seq: u64) -> Value {
    json!({
        "type": "task.updated",
        "event_id": uuid_like(),
        "user_id": user,
        "seq": seq,
        "occurred_at": chrono_now(),
        "task": {"id": seq, "title": format!("task {seq}")},
    })
}

fn chrono_now() -> String {
    chrono::Utc::now().to_rfc3339()
}

/// The next text frame as JSON, skipping control frames.
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("a readable frame");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Reads until the server's close frame and returns its code; `None` when
/// the connection ended without one. Panics unless it closes within `WAIT`.
async fn close_code(ws: &mut Ws) -> Option<(u16, String)> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("the socket closes in time")
        {
            Some(Ok(Message::Close(Some(frame)))) => {
                return Some((u16::from(frame.code), frame.reason.to_string()));
            }
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

/// The status and body of a refused upgrade.
async fn refused(request: impl IntoClientRequest + Unpin) -> (u16, Option<String>, Value) {
    match tokio_tungstenite::connect_async(request).await {
        Err(tungstenite::Error::Http(response)) => {
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = response.body().clone().unwrap_or_default();
            (
                response.status().as_u16(),
                content_type,
                serde_json::from_slice(&body).unwrap(),
            )
        }
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected the upgrade to be refused"),
    }
}

#[tokio::test]
async fn fans_out_to_the_users_sockets_only() {
    let server = start(test_config()).await;
    let mut a1 = server.connect("alice", None).await;
    let mut a2 = server.connect_with_header("alice").await;
    let mut b = server.connect("bob", None).await;

    let reply = server.deliver(task_event("alice", 1)).await;
    assert_eq!(reply, json!({"status": "SUCCESS"}));
    for a in [&mut a1, &mut a2] {
        let frame = next_json(a).await;
        assert_eq!(frame["type"], "task.updated");
        assert_eq!(frame["seq"], 1);
        assert_eq!(frame["task"]["title"], "task 1");
        assert!(frame["occurred_at"].is_string());
        let keys: Vec<&str> = frame
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 4, "only type, seq, task, occurred_at: {frame}");
    }

    let notification = json!({
        "type": "notification",
        "event_id": uuid_like(),
        "user_id": "bob",
        "occurred_at": chrono_now(),
        "notification": {"task_id": 3, "message": "due in 10 minutes"},
    });
    server.deliver(notification).await;
    // Bob's first frame is his own: alice's never reached him.
    let frame = next_json(&mut b).await;
    assert_eq!(frame["type"], "notification");
    assert_eq!(frame["notification"]["message"], "due in 10 minutes");
    assert!(frame.get("seq").is_none() && frame.get("task").is_none());

    // And alice's sockets got nothing of bob's.
    server.deliver(task_event("alice", 2)).await;
    assert_eq!(next_json(&mut a1).await["seq"], 2);
    assert_eq!(next_json(&mut a2).await["seq"], 2);

    assert_eq!(server.metric("realtime_connections").await, 3.0);
    assert_eq!(server.metric("realtime_messages_received_total").await, 3.0);
    assert!(server.metric("realtime_frames_sent_total").await >= 5.0);
    assert!(server.metric("realtime_fanout_seconds_count").await >= 5.0);
    assert!(
        server
            .metric("realtime_event_to_socket_seconds_count")
            .await
            >= 5.0
    );
}

#[tokio::test]
async fn reconnect_with_since_resumes_without_gap_or_duplicate() {
    let server = start(test_config()).await;
    // Out of order and redelivered, as Kafka at-least-once allows.
    for seq in [1, 2, 4, 3, 5, 4] {
        server.deliver(task_event("carol", seq)).await;
    }
    let mut ws = server.connect("carol", Some(2)).await;
    for expected in [3, 4, 5] {
        assert_eq!(next_json(&mut ws).await["seq"], expected);
    }
    server.deliver(task_event("carol", 5)).await; // duplicate: dropped
    server.deliver(task_event("carol", 6)).await;
    assert_eq!(next_json(&mut ws).await["seq"], 6);
    assert_eq!(server.metric("realtime_frames_replayed_total").await, 3.0);
    let text = server
        .get(server.ws, "/metrics")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("realtime_messages_dropped_total{reason=\"duplicate\"} 2"),
        "{text}"
    );
}

#[tokio::test]
async fn resume_older_than_the_buffer_gets_resync_then_live() {
    let server = start(Config {
        buffer_per_user: 4,
        ..test_config()
    })
    .await;
    for seq in 1..=10 {
        server.deliver(task_event("dave", seq)).await;
    }
    let mut ws = server.connect("dave", Some(2)).await;
    assert_eq!(next_json(&mut ws).await, json!({"type": "resync"}));
    server.deliver(task_event("dave", 11)).await;
    assert_eq!(next_json(&mut ws).await["seq"], 11);
    assert_eq!(server.metric("realtime_resyncs_total").await, 1.0);

    // Within the buffer: a plain replay.
    let mut ws = server.connect("dave", Some(8)).await;
    for expected in [9, 10, 11] {
        assert_eq!(next_json(&mut ws).await["seq"], expected);
    }
}

#[tokio::test]
async fn upgrade_without_a_valid_token_is_refused_with_401() {
    let server = start(test_config()).await;
    let (status, content_type, body) = refused(server.url("")).await;
    assert_eq!(status, 401);
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(body["status"], 401);
    assert_eq!(body["title"], "Unauthorized");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("token is required")
    );

    let expired = sign("alice", now() - 100, now() - 1, SECRET);
    let (status, _, body) = refused(server.url(&format!("?access_token={expired}"))).await;
    assert_eq!(status, 401);
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );

    let forged = sign("alice", now(), now() + 60, "another secret");
    let (status, _, _) = refused(server.url(&format!("?access_token={forged}"))).await;
    assert_eq!(status, 401);

    let mut request = server.url("").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", "Basic YTpi".parse().unwrap());
    let (status, _, _) = refused(request).await;
    assert_eq!(status, 401);

    let (status, _, body) =
        refused(server.url(&format!("?access_token={}&since=x", token("a", 60)))).await;
    assert_eq!(status, 400);
    assert!(body["detail"].as_str().unwrap().contains("since"));
    assert_eq!(server.metric("realtime_auth_failures_total").await, 4.0);
}

#[tokio::test]
async fn client_messages_ping_unknown_binary_and_oversized() {
    let server = start(test_config()).await;
    let mut ws = server.connect("erin", None).await;
    ws.send(Message::text(r#"{"type":"ping"}"#)).await.unwrap();
    assert_eq!(next_json(&mut ws).await, json!({"type": "pong"}));
    ws.send(Message::text(r#"{"type":"subscribe","topic":"all"}"#))
        .await
        .unwrap();
    let error = next_json(&mut ws).await;
    assert_eq!(error["type"], "error");
    assert!(error["message"].as_str().unwrap().contains("subscribe"));
    // Still open.
    ws.send(Message::text(r#"{"type":"ping"}"#)).await.unwrap();
    assert_eq!(next_json(&mut ws).await, json!({"type": "pong"}));

    ws.send(Message::text("not json")).await.unwrap();
    assert_eq!(close_code(&mut ws).await.unwrap().0, 1003);

    let mut ws = server.connect("erin", None).await;
    ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(close_code(&mut ws).await.unwrap().0, 1003);

    let mut ws = server.connect("erin", None).await;
    let big = format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(70 * 1024));
    ws.send(Message::text(big)).await.unwrap();
    assert_eq!(close_code(&mut ws).await.unwrap().0, 1009);

    // Just under the limit is fine.
    let mut ws = server.connect("erin", None).await;
    let fits = format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(60 * 1024));
    ws.send(Message::text(fits)).await.unwrap();
    assert_eq!(next_json(&mut ws).await, json!({"type": "pong"}));
}

/// A client socket that reads as little as the kernel allows.
async fn connect_without_reading(server: &TestServer, user: &str) -> Ws {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.ws).await.unwrap();
    let url = server.url(&format!("?access_token={}", token(user, 3600)));
    let before = server.connections().await;
    let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
        .await
        .unwrap();
    server.registered(before).await;
    ws
}

#[tokio::test]
async fn slow_client_is_disconnected_while_others_keep_receiving() {
    let server = start(Config {
        queue: 4,
        write_timeout: Duration::from_secs(3),
        socket_send_buffer: Some(4096),
        ..test_config()
    })
    .await;
    let mut slow = connect_without_reading(&server, "frank").await;
    let mut fast = server.connect("frank", None).await;
    let mut other = server.connect("grace", None).await;

    let padding = "p".repeat(8 * 1024);
    let total = 200;
    let reader = tokio::spawn(async move {
        let mut seqs = Vec::new();
        while seqs.len() < total {
            seqs.push(next_json(&mut fast).await["seq"].as_u64().unwrap());
        }
        seqs
    });
    for seq in 1..=total as u64 {
        let mut event = task_event("frank", seq);
        event["task"]["notes"] = json!(padding);
        server.deliver(event).await;
        if seq % 50 == 0 {
            server.deliver(task_event("grace", seq)).await;
            assert_eq!(next_json(&mut other).await["seq"], seq);
        }
    }
    let seqs = reader.await.unwrap();
    assert_eq!(
        seqs,
        (1..=total as u64).collect::<Vec<_>>(),
        "the fast client got everything, in order"
    );
    assert_eq!(server.metric("realtime_slow_disconnects_total").await, 1.0);

    // The slow one got a prefix, then 1013 once it read again.
    let mut received = 0;
    let close = loop {
        match tokio::time::timeout(WAIT, slow.next()).await.unwrap() {
            Some(Ok(Message::Text(_))) => received += 1,
            Some(Ok(Message::Close(frame))) => break frame.map(|f| f.code),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break None,
        }
    };
    assert!(received < total, "received {received}");
    assert_eq!(close, Some(CloseCode::Again));
    assert_eq!(server.metric("realtime_connections").await, 2.0);
}

#[tokio::test]
async fn token_expiry_closes_with_4001() {
    let server = start(test_config()).await;
    let exp = now() + 2;
    let url = server.url(&format!(
        "?access_token={}",
        sign("hank", now(), exp, SECRET)
    ));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    // Closed at expiry (within `close_code`'s wait), and not before it.
    let (code, reason) = close_code(&mut ws).await.unwrap();
    assert_eq!((code, reason.as_str()), (4001, "token expired"));
    assert!(now() >= exp, "closed at {} before exp {exp}", now());
}

#[tokio::test]
async fn silent_peer_is_dropped_after_two_ping_intervals() {
    let server = start(Config {
        ping_interval: Duration::from_millis(200),
        ..test_config()
    })
    .await;
    let mut answering = server.connect("ivan", None).await;
    let mut silent = server.connect("ivan", None).await;
    // Reading answers pings automatically: this one stays served through
    // six ping intervals, three times the silent one's allowance.
    for _ in 0..6 {
        match tokio::time::timeout(WAIT, answering.next()).await {
            Ok(Some(Ok(Message::Ping(_)))) => {}
            other => panic!("expected a ping, got {other:?}"),
        }
    }
    // Only now read the silent one (reading would answer its pings).
    assert_eq!(close_code(&mut silent).await.unwrap().0, 4002);
    server.deliver(task_event("ivan", 1)).await;
    assert_eq!(next_json(&mut answering).await["seq"], 1);
}

#[tokio::test]
async fn dapr_endpoints_and_invalid_payloads() {
    let server = start(Config {
        pubsub: "custom-pubsub".into(),
        ..test_config()
    })
    .await;
    let list: Value = server
        .http
        .get(format!("http://{}/dapr/subscribe", server.app))
        .header(todo_auth::SIDECAR_TOKEN_HEADER, SIDECAR)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list,
        json!([{
            "pubsubname": "custom-pubsub",
            "topic": "task-updates",
            "routes": {"default": "/events/task-updates"},
            "deadLetterTopic": "task-updates-dlq"
        }])
    );
    assert_eq!(server.get(server.app, "/healthz").await.status(), 200);
    assert_eq!(server.get(server.ws, "/healthz").await.status(), 200);

    let mut ws = server.connect("judy", None).await;
    let bad = json!({"type": "task.updated", "user_id": "judy", "task": {}});
    assert_eq!(server.deliver(bad).await, json!({"status": "DROP"}));
    let response = server
        .http
        .post(format!("http://{}/events/task-updates", server.app))
        .header(todo_auth::SIDECAR_TOKEN_HEADER, SIDECAR)
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "DROP"})
    );
    server.deliver(task_event("judy", 1)).await;
    assert_eq!(
        next_json(&mut ws).await["seq"],
        1,
        "nothing of the invalid ones was pushed"
    );
    let text = server
        .get(server.ws, "/metrics")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("realtime_messages_dropped_total{reason=\"invalid\"} 2"),
        "{text}"
    );

    let missing = server.get(server.ws, "/nope").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_1001() {
    // A grace far longer than `shutdown`'s own wait: it returns in time only
    // if the server stops as soon as its sockets are closed.
    let server = start(Config {
        shutdown_grace: Duration::from_secs(3600),
        ..test_config()
    })
    .await;
    let mut a = server.connect("kim", None).await;
    let mut b = server.connect("lee", Some(0)).await;
    let closes = tokio::spawn(async move { (close_code(&mut a).await, close_code(&mut b).await) });
    server.shutdown().await;
    let (a, b) = closes.await.unwrap();
    assert_eq!(a.unwrap().0, 1001);
    assert_eq!(b.unwrap().0, 1001);
}

/// A stand-in for the sidecar's secrets API, started late.
async fn fake_sidecar(listener: tokio::net::TcpListener) {
    use axum::routing::get;
    let router = axum::Router::new().route(
        "/v1.0/secrets/secretstore/jwt-secret",
        get(|| async { axum::Json(json!({"jwt-secret": SECRET})) }),
    );
    axum::serve(listener, router).await.unwrap();
}

#[tokio::test]
async fn secret_is_fetched_from_the_sidecar_when_it_comes_up() {
    // Reserve a port for the sidecar, but do not serve yet.
    let sidecar = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let sidecar_addr = sidecar.local_addr().unwrap();
    drop(sidecar);
    let server = start(Config {
        jwt_secret: None,
        dapr_url: format!("http://{sidecar_addr}"),
        ..test_config()
    })
    .await;

    assert_eq!(server.get(server.ws, "/healthz").await.status(), 503);
    assert_eq!(server.get(server.app, "/healthz").await.status(), 503);
    let (status, _, body) =
        refused(server.url(&format!("?access_token={}", token("mia", 60)))).await;
    assert_eq!(status, 503);
    assert!(body["detail"].as_str().unwrap().contains("not loaded"));

    tokio::time::sleep(Duration::from_millis(300)).await;
    let listener = tokio::net::TcpListener::bind(sidecar_addr).await.unwrap();
    tokio::spawn(fake_sidecar(listener));

    let deadline = Instant::now() + Duration::from_secs(10);
    while server.get(server.ws, "/healthz").await.status() != 200 {
        assert!(Instant::now() < deadline, "the secret never loaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut ws = server.connect("mia", None).await;
    server.deliver(task_event("mia", 1)).await;
    assert_eq!(next_json(&mut ws).await["seq"], 1);
}

/// The app port is the sidecar's: without its token (or with a wrong or
/// empty one) the Dapr routes answer 401 and deliver nothing; a shim with no
/// token configured refuses them all. Health stays open for probes.
#[tokio::test]
async fn the_sidecar_routes_need_the_sidecar_token() {
    let server = start(test_config()).await;
    let mut ws = server.connect("kate", None).await;
    for presented in [None, Some("wrong-token"), Some("")] {
        for (method, path) in [
            (reqwest::Method::GET, "/dapr/subscribe"),
            (reqwest::Method::POST, "/events/task-updates"),
        ] {
            let mut request = server
                .http
                .request(method, format!("http://{}{path}", server.app))
                .header("content-type", "application/cloudevents+json")
                .body(json!({"data": {"type": "task.created", "user_id": "kate"}}).to_string());
            if let Some(token) = presented {
                request = request.header(todo_auth::SIDECAR_TOKEN_HEADER, token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{path} with {presented:?}");
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
        }
    }
    assert_eq!(server.get(server.app, "/healthz").await.status(), 200);
    // The real sidecar's delivery still arrives, and is the first frame.
    server.deliver(task_event("kate", 1)).await;
    assert_eq!(next_json(&mut ws).await["seq"], 1);

    let unconfigured = start(Config {
        sidecar_token: None,
        ..test_config()
    })
    .await;
    let response = unconfigured
        .http
        .get(format!("http://{}/dapr/subscribe", unconfigured.app))
        .header(todo_auth::SIDECAR_TOKEN_HEADER, SIDECAR)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "no configured token refuses all");
}
