//! The product's load promise: many people at once, each with a WebSocket
//! open and a person's think time between requests, mixed reads and writes
//! (the soak's mix, `bench/src/soak.rs`). Steps up the number of users and
//! reports, per step, p50/p95/p99, errors and the stack's memory, then the largest count that
//! held the promise: p95 under 500 ms and no error.
//!
//! Knobs: `USERS_STEPS` (`100,250,500,1000`), `USERS_STEP_SECONDS` (120),
//! `USERS_THINK_MS` (5000: each user waits 0.5 to 1.5 times this between
//! requests). Stops stepping up after the first step that fails.
//!
//! `cargo bench -p bench --bench users` with the e2e tests' environment
//! (`STACK_DIR`, `TODO_API_URL`, `REALTIME_URL`); see bench/README.md.

mod load;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bench::soak::op_for;
use bench::stats::{Samples, ms};
use e2e::Stack;
use e2e::settings::setting;
use futures_util::StreamExt;
use futures_util::stream;
use load::{Tasks, resident_memory, send};
use tokio::sync::Mutex;

/// The promise: p95 under this, and no error.
const P95_GOAL: Duration = Duration::from_millis(500);

/// A think time between 0.5 and 1.5 times `mean`, spread without a random
/// generator so every run waits the same.
fn think(mean: Duration, user: usize, n: u64) -> Duration {
    let spread = (user as u64 * 7919 + n * 104_729) % 1000;
    mean.mul_f64(0.5 + spread as f64 / 1000.0)
}

/// One step: `count` users for `length`; their samples, the sockets that
/// closed early, and the failures by kind.
async fn step(
    stack: &Stack,
    run: &str,
    count: usize,
    length: Duration,
    mean_think: Duration,
) -> Result<(Samples, usize, BTreeMap<String, usize>)> {
    let users: Vec<String> = (0..count)
        .map(|u| format!("users{run}-{count}-{u}"))
        .collect();
    let closed = Arc::new(AtomicUsize::new(0));
    let sockets: Vec<_> = stream::iter(users.iter())
        .map(|user| stack.connect(user, ""))
        .buffer_unordered(64)
        .collect()
        .await;
    let mut readers = Vec::new();
    for socket in sockets {
        let (_, mut reader) = socket?.split();
        let closed = closed.clone();
        readers.push(tokio::spawn(async move {
            while let Some(Ok(_)) = reader.next().await {}
            closed.fetch_add(1, Ordering::Relaxed);
        }));
    }

    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let started = Instant::now();
    let until = started + length;
    let mut people = Vec::new();
    for (index, user) in users.iter().enumerate() {
        let (stack, user, latencies, failures) = (
            stack.clone(),
            user.clone(),
            latencies.clone(),
            failures.clone(),
        );
        people.push(tokio::spawn(async move {
            let mut tasks = Tasks::default();
            let mut n = index as u64;
            loop {
                tokio::time::sleep(think(mean_think, index, n)).await;
                if Instant::now() >= until {
                    return;
                }
                // No reminders: a step ends before they would fire.
                let failure = match send(&stack, &user, &mut tasks, op_for(n), started).await {
                    Ok(Some((latency, status, _))) if (200..300).contains(&status) => {
                        latencies.lock().await.push(latency);
                        None
                    }
                    Ok(None) => None,
                    Ok(Some((_, status, label))) => Some(format!("{label}: {status}")),
                    Err(error) if error.chain().any(|e| e.to_string().contains("timed out")) => {
                        Some("timed out".to_owned())
                    }
                    Err(error) => Some(format!("{:#}", error.root_cause())),
                };
                if let Some(failure) = failure {
                    *failures.lock().await.entry(failure).or_default() += 1;
                }
                n += 1;
            }
        }));
    }
    for person in people {
        person.await?;
    }
    let early = closed.load(Ordering::Relaxed);
    for reader in readers {
        reader.abort();
    }
    let latencies = std::mem::take(&mut *latencies.lock().await);
    let failures = std::mem::take(&mut *failures.lock().await);
    let samples = Samples::new(latencies, failures.values().sum(), length);
    Ok((samples, early, failures))
}

#[tokio::main]
async fn main() -> Result<()> {
    let steps: Vec<usize> = std::env::var("USERS_STEPS")
        .unwrap_or_else(|_| "100,250,500,1000".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .with_context(|| format!("USERS_STEPS: {s:?} is not a count"))
        })
        .collect::<Result<_>>()?;
    let length = Duration::from_secs(setting("USERS_STEP_SECONDS", 120)? as u64);
    let mean_think = Duration::from_millis(setting("USERS_THINK_MS", 5000)? as u64);
    let stack = Stack::from_env()?;
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();

    println!(
        "| users | requests | errors | p50 ms | p95 ms | p99 ms | req/s | sockets closed | stack RSS MiB | holds |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    let mut largest = None;
    for count in steps {
        eprintln!("users: {count} users for {length:?}, think {mean_think:?} on average");
        let (samples, early, failures) = step(&stack, &run, count, length, mean_think).await?;
        if !failures.is_empty() {
            eprintln!("users: failures at {count}: {failures:?}");
        }
        let rss_kib: u64 = resident_memory(&stack.dir)?.values().sum();
        let holds = samples.errors() == 0 && early == 0 && samples.percentile(95.0) < P95_GOAL;
        println!(
            "| {count} | {} | {} | {} | {} | {} | {:.1} | {early} | {:.0} | {} |",
            samples.count(),
            samples.errors(),
            ms(samples.percentile(50.0)),
            ms(samples.percentile(95.0)),
            ms(samples.percentile(99.0)),
            samples.rate(),
            rss_kib as f64 / 1024.0,
            if holds { "yes" } else { "no" }
        );
        if !holds {
            break;
        }
        largest = Some(count);
    }
    match largest {
        Some(count) => println!("\nlargest user count holding p95 < 500 ms with no error: {count}"),
        None => println!("\nno step held p95 < 500 ms with no error"),
    }
    Ok(())
}
