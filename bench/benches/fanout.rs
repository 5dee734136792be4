//! Fan-out load test of the realtime service, in process, on ephemeral ports.
//!
//! Opens `BENCH_SOCKETS_PER_USER` WebSockets for each of `BENCH_USERS`
//! users, then delivers `BENCH_EVENTS` task events round-robin over the
//! users to the app port (as daprd would), `BENCH_CONCURRENCY` at a time.
//! Each event carries its send time; each client measures when it reads it.
//! Prints delivery throughput and latency percentiles (send -> read by the
//! client, through HTTP, the hub, the socket queue and the socket).
//!
//!     cargo bench -p bench --bench fanout
//!     BENCH_USERS=1000 BENCH_EVENTS=20000 cargo bench -p bench --bench fanout

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures_util::{StreamExt, stream};
use runtime_shim::{Config, Server};
use serde_json::{Value, json};
use todo_domain::{Topic, names};
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "bench-secret";

fn setting(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .with_context(|| format!("{name}={value:?} is not a number")),
        Err(_) => Ok(default),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users = setting("BENCH_USERS", 200)?;
    let per_user = setting("BENCH_SOCKETS_PER_USER", 2)?;
    let events = setting("BENCH_EVENTS", 5000)?;
    let concurrency = setting("BENCH_CONCURRENCY", 16)?.max(1);
    let payload = setting("BENCH_PAYLOAD_BYTES", 256)?;

    let server = Server::bind(Config {
        ws_addr: "127.0.0.1:0".parse()?,
        app_addr: "127.0.0.1:0".parse()?,
        jwt_secret: Some(SECRET.into()),
        queue: setting("BENCH_QUEUE", 256)?,
        ..Config::default()
    })
    .await?;
    let ws_addr = server.public_addr()?;
    let app_addr = server.app_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(async {
        let _ = stopped.await;
    }));

    let epoch = Instant::now();
    let exp = chrono::Utc::now().timestamp() + 3600;
    let per_user_events = |user: usize| events / users + usize::from(user < events % users);

    println!(
        "realtime fan-out: {users} users x {per_user} sockets, {events} events \
         ({payload} B of task data), {concurrency} concurrent deliveries"
    );
    let connecting = Instant::now();
    let mut clients = Vec::with_capacity(users * per_user);
    for user in 0..users {
        let claims = todo_auth::Claims {
            sub: format!("user-{user}"),
            exp,
            iat: exp - 3600,
        };
        let token = todo_auth::sign(&claims, SECRET.as_bytes());
        for _ in 0..per_user {
            let url = format!("ws://{ws_addr}/ws?access_token={token}");
            let (mut ws, _) = tokio_tungstenite::connect_async(url)
                .await
                .context("connecting a client")?;
            let expected = per_user_events(user);
            clients.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(expected);
                while latencies.len() < expected {
                    let Some(Ok(message)) = ws.next().await else {
                        break;
                    };
                    let Message::Text(text) = message else {
                        continue;
                    };
                    let read_at = epoch.elapsed();
                    let frame: Value = serde_json::from_str(&text).unwrap_or_default();
                    if let Some(sent) = frame["task"]["sent_ns"].as_u64() {
                        latencies.push(read_at.saturating_sub(Duration::from_nanos(sent)));
                    }
                }
                latencies
            }));
        }
    }
    println!(
        "connected {} sockets in {:.2?}",
        clients.len(),
        connecting.elapsed()
    );

    let http = reqwest::Client::builder().no_proxy().build()?;
    let url = format!("http://{app_addr}/events/task-updates");
    let padding = "x".repeat(payload);
    let started = Instant::now();
    let results: Vec<anyhow::Result<()>> = stream::iter(0..events)
        .map(|n| {
            let (http, url, padding) = (&http, &url, &padding);
            async move {
                let user = n % users;
                let seq = n / users + 1;
                let sent_ns = u64::try_from(epoch.elapsed().as_nanos())?;
                let event = json!({
                    "id": format!("bench-{n}"),
                    "specversion": "1.0",
                    "type": "com.dapr.event.sent",
                    "source": "bench",
                    "datacontenttype": "application/json",
                    "topic": Topic::TaskUpdates.name(),
                    "pubsubname": names::REALTIME_PUBSUB,
                    "data": {
                        "type": "task.updated",
                        "event_id": format!("bench-{n}"),
                        "user_id": format!("user-{user}"),
                        "seq": seq,
                        "occurred_at": chrono::Utc::now().to_rfc3339(),
                        "task": {"id": seq, "title": "bench", "notes": padding, "sent_ns": sent_ns},
                    },
                });
                let response = http
                    .post(url)
                    .header("content-type", "application/cloudevents+json")
                    .body(event.to_string())
                    .send()
                    .await?;
                if !response.status().is_success() {
                    bail!("delivery answered {}", response.status());
                }
                Ok(())
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let delivered = started.elapsed();
    let failed = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(error)) = results.iter().find(|r| r.is_err()) {
        println!("{failed} deliveries failed, e.g. {error:#}");
    }

    let mut latencies = Vec::new();
    let mut short = 0;
    for client in clients {
        let got = tokio::time::timeout(Duration::from_secs(30), client)
            .await
            .context("clients did not finish within 30 s")??;
        short += usize::from(got.is_empty() && events >= users);
        latencies.extend(got);
    }
    let all_read = started.elapsed();
    latencies.sort_unstable();
    let frames = latencies.len();
    let pct = |p: f64| {
        let index = ((frames as f64 * p).ceil() as usize).clamp(1, frames.max(1)) - 1;
        latencies.get(index).copied().unwrap_or_default()
    };

    println!(
        "delivered {events} events in {delivered:.2?} ({:.0} events/s); {failed} failed",
        events as f64 / delivered.as_secs_f64()
    );
    println!(
        "clients read {frames} frames in {all_read:.2?} ({:.0} frames/s); {short} sockets got nothing",
        frames as f64 / all_read.as_secs_f64()
    );
    println!(
        "latency send -> client read: p50 {:.2?}  p90 {:.2?}  p99 {:.2?}  max {:.2?}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
    let metrics = http
        .get(format!("http://{ws_addr}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    for line in metrics.lines().filter(|l| {
        l.starts_with("realtime_slow_disconnects_total")
            || l.starts_with("realtime_fanout_seconds_count")
            || l.starts_with("realtime_fanout_seconds_sum")
            || l.starts_with("realtime_buffered_messages")
    }) {
        println!("  {line}");
    }

    let _ = stop.send(());
    serving.await??;
    let expected = events * per_user;
    if frames != expected {
        bail!("expected {expected} frames, clients read {frames}");
    }
    Ok(())
}
