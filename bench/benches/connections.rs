//! Many concurrent WebSockets on the real stack: the realtime service's
//! memory per connection, and the latency from a todo-api write to its
//! receipt on every connected client of that user.
//!
//! Needs a running stack (see README.md here). Knobs, from the environment:
//! `BENCH_CONNECTIONS` (1000), `BENCH_SOCKETS_PER_USER` (100),
//! `BENCH_WRITES` (200), `BENCH_WRITE_INTERVAL_MS` (0: each write right
//! after the previous one answered), `BENCH_OPEN_CONCURRENCY` (64).
//! Memory per connection is only meaningful on a freshly started service
//! (the allocator keeps what earlier connections used).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bench::stats::{Samples, vm_rss_kib};
use e2e::Stack;
use e2e::settings::setting;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The realtime process's resident memory, in KiB (`VmRSS`).
fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status: is realtime running?"))?;
    vm_rss_kib(&status).context("no VmRSS in /proc/<pid>/status")
}

/// `realtime_connections` from the service's Prometheus metrics.
async fn open_connections(http: &reqwest::Client, metrics_url: &str) -> Result<u64> {
    let text = http.get(metrics_url).send().await?.text().await?;
    text.lines()
        .find_map(|line| line.strip_prefix("realtime_connections "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as u64)
        .context("realtime_connections is not in /metrics")
}

/// One receipt: which write, when.
type Receipt = (usize, Instant);

/// Reads one socket until it closes, reporting each benchmark frame.
async fn receive(
    mut socket: e2e::Socket,
    receipts: mpsc::UnboundedSender<Receipt>,
    closed: Arc<AtomicUsize>,
) {
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let now = Instant::now();
        let Ok(frame) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let write = frame["task"]["title"]
            .as_str()
            .and_then(|t| t.strip_prefix("bench-"))
            .and_then(|n| n.parse().ok());
        if let (Some(write), Some("task.created")) = (write, frame["type"].as_str()) {
            let _ = receipts.send((write, now));
        }
    }
    closed.fetch_add(1, Ordering::Relaxed);
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> Result<()> {
    let connections = setting("BENCH_CONNECTIONS", 1000)?;
    let per_user = setting("BENCH_SOCKETS_PER_USER", 100)?.clamp(1, connections);
    let writes = setting("BENCH_WRITES", 200)?;
    let write_interval = Duration::from_millis(setting("BENCH_WRITE_INTERVAL_MS", 0)? as u64);
    let open_concurrency = setting("BENCH_OPEN_CONCURRENCY", 64)?.max(1);
    let users_count = connections.div_ceil(per_user);

    let stack = Stack::from_env()?;
    let pid: u32 = std::fs::read_to_string(format!("{}/pids/realtime.pid", stack.dir))
        .context("reading the realtime pid: is the stack running?")?
        .trim()
        .parse()?;
    let http = reqwest::Client::new();
    let metrics_url = format!("{}/metrics", stack.realtime.replacen("ws://", "http://", 1));
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let users: Vec<String> = (0..users_count).map(|u| format!("ws{run}-{u}")).collect();

    let baseline_connections = open_connections(&http, &metrics_url).await?;
    let rss_before = rss_kib(pid)?;
    eprintln!(
        "opening {connections} WebSockets ({users_count} users x {per_user}) on {}; realtime RSS {:.1} MiB",
        stack.realtime,
        rss_before as f64 / 1024.0
    );

    // Small client buffers: the bench holds every socket in one process.
    let client_config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (receipts_tx, mut receipts_rx) = mpsc::unbounded_channel();
    let closed = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let opened_at = Instant::now();
    let mut openers = Vec::new();
    for _ in 0..open_concurrency {
        let (stack, users, next, receipts_tx, closed) = (
            stack.clone(),
            users.clone(),
            next.clone(),
            receipts_tx.clone(),
            closed.clone(),
        );
        openers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= connections {
                    return Ok::<_, anyhow::Error>(());
                }
                let user = &users[i / per_user];
                let url = format!("{}/ws?access_token={}", stack.realtime, stack.token(user));
                let (socket, _) =
                    tokio_tungstenite::connect_async_with_config(url, Some(client_config), true)
                        .await
                        .with_context(|| {
                            format!(
                                "opening socket {i} (if 'Too many open files': raise ulimit -n)"
                            )
                        })?;
                tokio::spawn(receive(socket, receipts_tx.clone(), closed.clone()));
                if (i + 1) % 1000 == 0 {
                    eprintln!("  {} open", i + 1);
                }
            }
        }));
    }
    drop(receipts_tx);
    for opener in openers {
        opener.await??;
    }
    let open_time = opened_at.elapsed();

    // Every socket registered with the hub, then memory settles.
    let target = baseline_connections + connections as u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    while open_connections(&http, &metrics_url).await? < target {
        if Instant::now() > deadline {
            bail!("realtime reports fewer than {target} connections after 60 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_open = rss_kib(pid)?;

    eprintln!(
        "{writes} writes through todo-api, round-robin over the users, {} ms apart",
        write_interval.as_millis()
    );
    let mut sent_at = Vec::with_capacity(writes);
    for w in 0..writes {
        if w > 0 {
            tokio::time::sleep(write_interval).await;
        }
        let user = &users[w % users_count];
        sent_at.push(Instant::now());
        stack
            .create_task(user, json!({ "title": format!("bench-{w}") }))
            .await
            .with_context(|| format!("write {w}"))?;
    }

    let sockets_of = |w: usize| {
        let user = w % users_count;
        per_user.min(connections - user * per_user)
    };
    let expected: usize = (0..writes).map(sockets_of).sum();
    let mut latencies = Vec::with_capacity(expected);
    let mut per_write: HashMap<usize, usize> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while latencies.len() < expected {
        match tokio::time::timeout_at(deadline, receipts_rx.recv()).await {
            Ok(Some((w, at))) if w < writes => {
                latencies.push(at - sent_at[w]);
                *per_write.entry(w).or_default() += 1;
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let rss_after = rss_kib(pid)?;
    let missing = expected - latencies.len();
    let duplicated = per_write
        .iter()
        .filter(|(w, n)| **n > sockets_of(**w))
        .count();

    let receipts = Samples::new(latencies, 0, Duration::ZERO);
    let per_connection = (rss_open.saturating_sub(rss_before)) as f64 / connections as f64;
    println!("connections            {connections} ({users_count} users x {per_user})");
    println!("opened in              {:.1} s", open_time.as_secs_f64());
    println!(
        "realtime RSS           {:.1} MiB before, {:.1} MiB open, {:.1} MiB after the writes",
        rss_before as f64 / 1024.0,
        rss_open as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );
    println!("memory per connection  {per_connection:.1} KiB");
    println!(
        "writes                 {writes}, receipts {} of {expected}",
        receipts.count()
    );
    if receipts.count() > 0 {
        println!(
            "write -> receipt       p50 {}  p90 {}  p99 {}  min {}  max {}",
            ms(receipts.percentile(50.0)),
            ms(receipts.percentile(90.0)),
            ms(receipts.percentile(99.0)),
            ms(receipts.percentile(0.0)),
            ms(receipts.max())
        );
    }
    let closed = closed.load(Ordering::Relaxed);
    if missing > 0 || duplicated > 0 || closed > 0 {
        bail!(
            "{missing} receipts missing, {duplicated} writes delivered twice to a socket, {closed} sockets closed"
        );
    }
    Ok(())
}
