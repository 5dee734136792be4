//! A handle on the running stack for end-to-end tests: the public HTTP API,
//! the WebSocket endpoint, tokens signed with the stack's own secret.
//!
//! The tests run against real daprd sidecars, the real scheduler and a real
//! Kafka broker started by `scripts/stack test`; nothing here fakes a part.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

pub mod api;
pub mod drills;
pub mod events;
mod kafka;
pub mod model_server;
pub mod once;
pub mod openapi;
pub mod ports;
pub mod schema;
pub mod settings;

use ports::ServicePort;

/// The stack under test, located through the environment `scripts/stack test` sets.
#[derive(Clone)]
pub struct Stack {
    /// `http://127.0.0.1:8080`
    pub api: String,
    /// `ws://127.0.0.1:8081`
    pub realtime: String,
    /// Every realtime replica's WebSocket base URL, `realtime` first.
    pub realtime_replicas: Vec<String>,
    /// The stack's state directory (logs, data, secrets).
    pub dir: String,
    /// Added to every default port of the stack.
    pub port_offset: u16,
    secret: Vec<u8>,
    http: reqwest::Client,
}

/// An open WebSocket of one user.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Stack {
    /// Connects to the stack described by `TODO_API_URL`, `REALTIME_URL`,
    /// `STACK_DIR` and `TODO_STACK_PORT_OFFSET` (what `scripts/stack test` sets).
    pub fn from_env() -> Result<Self> {
        let dir = std::env::var("STACK_DIR").unwrap_or_else(|_| ".stack".into());
        let secret = read_secret(&dir, "jwt-secret")?.into_bytes();
        let port_offset = std::env::var("TODO_STACK_PORT_OFFSET")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let default_url = |scheme: &str, service: &str, kind: ServicePort| -> Result<String> {
            let port = ports::service_port(service, kind)? + port_offset;
            Ok(format!("{scheme}://127.0.0.1:{port}"))
        };
        let api = match std::env::var("TODO_API_URL") {
            Ok(url) => url,
            Err(_) => default_url("http", "todo-api", ServicePort::App)?,
        };
        let realtime = match std::env::var("REALTIME_URL") {
            Ok(url) => url,
            Err(_) => default_url("ws", "realtime", ServicePort::Public)?,
        };
        // scripts/stack sets REALTIME_URLS to every replica's URL.
        let realtime_replicas = match std::env::var("REALTIME_URLS") {
            Ok(urls) => urls.split_whitespace().map(str::to_owned).collect(),
            Err(_) => vec![realtime.clone()],
        };
        Ok(Self {
            dir,
            port_offset,
            api,
            realtime,
            realtime_replicas,
            secret,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
        })
    }

    /// A port of `service` (e.g. its daprd's HTTP API): the table's
    /// (`scripts/lib/ports.txt`) moved by the stack's offset.
    pub fn service_port(&self, service: &str, kind: ServicePort) -> Result<u16> {
        Ok(ports::service_port(service, kind)? + self.port_offset)
    }

    /// `http://127.0.0.1:PORT` of `service`'s app (its own port, where its
    /// sidecar calls it).
    pub fn app_url(&self, service: &str) -> Result<String> {
        Ok(format!(
            "http://127.0.0.1:{}",
            self.service_port(service, ServicePort::App)?
        ))
    }

    /// `http://127.0.0.1:PORT` of `service`'s daprd's HTTP API.
    pub fn sidecar_url(&self, service: &str) -> Result<String> {
        Ok(format!(
            "http://127.0.0.1:{}",
            self.service_port(service, ServicePort::DaprHttp)?
        ))
    }

    /// One of the table's other ports (e.g. `kafka`), moved by the offset.
    pub fn named_port(&self, name: &str) -> Result<u16> {
        Ok(ports::named_port(name)? + self.port_offset)
    }

    /// What `service`'s daprd says of itself (`/v1.0/metadata`): its
    /// components and the subscriptions it holds.
    pub async fn sidecar_metadata(&self, service: &str) -> Result<Value> {
        let url = format!("{}/v1.0/metadata", self.sidecar_url(service)?);
        let response = self.raw(reqwest::Method::GET, &url).send().await?;
        Ok(response.error_for_status()?.json().await?)
    }

    /// A value of the stack's local secret store (`STACK_DIR/secrets.json`),
    /// e.g. `app-api-token`, the token every daprd sends its app.
    pub fn secret(&self, key: &str) -> Result<String> {
        read_secret(&self.dir, key)
    }

    /// Runs `scripts/stack ARGS` against this stack (restart a service,
    /// stop or start Kafka), failing with its output when it fails.
    /// `TODO_STACK_CONTROL` (e.g. `k8s control`, set by `scripts/stack k8s
    /// test`) goes before ARGS, so the same tests drive a cluster.
    pub fn control(&self, args: &[&str]) -> Result<()> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/stack");
        let prefix = std::env::var("TODO_STACK_CONTROL").unwrap_or_default();
        let output = std::process::Command::new(script)
            .args(prefix.split_whitespace())
            .args(args)
            .env("TODO_STACK_DIR", &self.dir)
            .env("TODO_STACK_PORT_OFFSET", self.port_offset.to_string())
            .output()?;
        if !output.status.success() {
            bail!(
                "scripts/stack {prefix} {} failed: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    /// A user id no other test uses.
    pub fn new_user(&self, prefix: &str) -> String {
        format!(
            "{prefix}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        )
    }

    /// A token for `user` valid for `ttl_secs` (negative: already expired).
    pub fn token_with_ttl(&self, user: &str, ttl_secs: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        todo_auth::sign(
            &todo_auth::Claims {
                sub: user.to_owned(),
                iat: now,
                exp: now + ttl_secs,
            },
            &self.secret,
        )
    }

    /// A token for `user`, valid for an hour.
    pub fn token(&self, user: &str) -> String {
        self.token_with_ttl(user, 3600)
    }

    /// [`Stack::request`] without the check, for benches: they measure the
    /// server, and validating every response would be measured with it.
    pub fn request_unchecked(
        &self,
        method: reqwest::Method,
        user: &str,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/api/{user}{path}", self.api))
            .bearer_auth(self.token(user))
    }

    /// A raw request to any URL, without credentials, its response
    /// unchecked: for what is outside the OpenAPI document (undeclared
    /// methods and paths, hostile requests, sidecars, realtime, the web app).
    pub fn raw(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http.request(method, url)
    }

    /// Creates a task for `user` and returns it; fails unless 201.
    pub async fn create_task(&self, user: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, user, "/tasks", Some(body))
            .await?
            .expect(reqwest::StatusCode::CREATED)
            .context("creating a task")
    }

    /// `GET` a path of `user`'s API as JSON, asserting 200.
    pub async fn get_json(&self, user: &str, path: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, user, path, None)
            .await?
            .expect(reqwest::StatusCode::OK)
            .with_context(|| format!("GET {path}"))
    }

    /// Polls `probe` until it returns `Some`, for at most `timeout`.
    pub async fn eventually<T, F, Fut>(
        &self,
        what: &str,
        timeout: Duration,
        mut probe: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>>>,
    {
        let started = Instant::now();
        loop {
            if let Some(found) = probe().await? {
                return Ok(found);
            }
            if started.elapsed() > timeout {
                bail!("{what}: not seen within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Opens a WebSocket for `user` (query: e.g. `since=3`).
    pub async fn connect(&self, user: &str, query: &str) -> Result<Socket> {
        self.connect_to(&self.realtime, user, query).await
    }

    /// Opens a WebSocket for `user` on the realtime replica at `base`.
    pub async fn connect_to(&self, base: &str, user: &str, query: &str) -> Result<Socket> {
        let sep = if query.is_empty() { "" } else { "&" };
        let url = format!("{base}/ws?access_token={}{sep}{query}", self.token(user));
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .with_context(|| format!("opening a WebSocket on {base} for {user}"))?;
        Ok(socket)
    }
}

/// `key` of the secrets file in the stack directory `dir`.
fn read_secret(dir: &str, key: &str) -> Result<String> {
    let path = format!("{dir}/secrets.json");
    let bytes = std::fs::read(&path)
        .with_context(|| format!("reading {path}: is the stack running? (scripts/stack start)"))?;
    let secrets: Value = serde_json::from_slice(&bytes)?;
    Ok(secrets[key]
        .as_str()
        .with_context(|| format!("{path} has no {key}"))?
        .to_owned())
}

/// Waits for the next JSON text frame, for at most `timeout`.
pub async fn next_json(socket: &mut Socket, timeout: Duration) -> Result<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = tokio::time::timeout(left, socket.next())
            .await
            .context("no WebSocket message in time")?
            .context("the WebSocket closed")??;
        match message {
            Message::Text(text) => return Ok(serde_json::from_str(&text)?),
            Message::Ping(payload) => socket.send(Message::Pong(payload)).await?,
            Message::Close(frame) => bail!("the WebSocket closed: {frame:?}"),
            _ => {}
        }
    }
}

/// Waits until the server closes `socket` and returns the close code
/// (`None` when it closed without a close frame). Text frames are skipped.
pub async fn close_code(socket: &mut Socket, timeout: Duration) -> Result<Option<u16>> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = tokio::time::timeout(left, socket.next())
            .await
            .context("the server did not close the WebSocket in time")?;
        match message {
            Some(Ok(Message::Close(frame))) => return Ok(frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Ok(None),
        }
    }
}

/// Waits for a frame about task `task_id` of type `kind`, skipping others.
pub async fn next_about(
    socket: &mut Socket,
    kind: &str,
    task_id: u64,
    timeout: Duration,
) -> Result<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = next_json(socket, left).await?;
        if frame["type"] == kind && frame["task"]["id"] == task_id {
            return Ok(frame);
        }
    }
}
