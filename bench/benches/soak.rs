//! The soak: mixed load on a started stack for a long time, reporting what
//! a week of uptime would show early: errors, memory that only grows, a p99
//! that creeps up.
//!
//! `SOAK_USERS` users (200) hold `SOAK_SOCKETS` WebSockets (1,000) open
//! throughout while `SOAK_CLIENTS` clients (8) send `SOAK_RATE` requests a
//! second in all (20) for `SOAK_MINUTES` (30): lists, reads, creates (some
//! with a reminder a minute or two ahead, so reminders fire all along),
//! completions and deletes (the mix: `bench/src/soak.rs`). Then it waits for
//! the last reminders and prints, per `SOAK_WINDOW_MINUTES` (5) window, the
//! requests, errors and latencies; every stack process's resident memory
//! after the first minute and at the end; the reminders that fired; and the goals: 0
//! errors, memory growth under 10%, p99 flat. Fails on any error.
//!
//! `cargo bench -p bench --bench soak` with the e2e tests' environment
//! (`STACK_DIR`, `TODO_API_URL`, `REALTIME_URL`); see bench/README.md.

mod load;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use bench::soak::{Memory, Op, Verdict, Windows, op_for};
use bench::stats;
use e2e::Stack;
use e2e::settings::setting;
use futures_util::StreamExt;
use load::{Tasks, resident_memory, send};
use tokio::sync::Mutex;

/// The soak's shared tallies.
struct Tally {
    windows: Mutex<Windows>,
    reminders: AtomicUsize,
    /// Non-2xx answers by status and operation, for the report.
    failures: Mutex<BTreeMap<String, usize>>,
}

/// One client: its share of the users, round robin, at its share of the rate.
async fn client(
    stack: Stack,
    users: Vec<String>,
    interval: Duration,
    started: Instant,
    until: Instant,
    reminders_until: Instant,
    tally: Arc<Tally>,
) -> Result<()> {
    let mut tasks: Vec<Tasks> = users.iter().map(|_| Tasks::default()).collect();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = 0u64;
    while Instant::now() < until {
        ticker.tick().await;
        let which = (n as usize) % users.len();
        let op = op_for(n / users.len() as u64 + which as u64);
        n += 1;
        let sent_at = started.elapsed();
        let outcome = send(
            &stack,
            &users[which],
            &mut tasks[which],
            op,
            reminders_until,
        )
        .await;
        let latency = match outcome {
            Ok(None) => continue,
            Ok(Some((latency, status, _))) if (200..300).contains(&status) => Some(latency),
            Ok(Some((_, status, label))) => {
                *tally
                    .failures
                    .lock()
                    .await
                    .entry(format!("{label}: {status}"))
                    .or_default() += 1;
                None
            }
            Err(error) => {
                *tally
                    .failures
                    .lock()
                    .await
                    .entry(format!("{error:#}"))
                    .or_default() += 1;
                None
            }
        };
        if op == Op::CreateReminding && latency.is_some() {
            tally.reminders.fetch_add(1, Ordering::Relaxed);
        }
        tally.windows.lock().await.record(sent_at, latency);
    }
    Ok(())
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

#[tokio::main]
async fn main() -> Result<()> {
    let minutes = setting("SOAK_MINUTES", 30)?.max(1);
    let window_minutes = setting("SOAK_WINDOW_MINUTES", 5)?.max(1);
    let users_count = setting("SOAK_USERS", 200)?.max(1);
    let sockets = setting("SOAK_SOCKETS", 1000)?;
    let clients = setting("SOAK_CLIENTS", 8)?.clamp(1, users_count);
    let rate = setting("SOAK_RATE", 20)?.max(1);

    let stack = Stack::from_env()?;
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let users: Vec<String> = (0..users_count).map(|u| format!("soak{run}-{u}")).collect();

    // The sockets stay open for the whole soak, each draining its frames.
    eprintln!(
        "soak: opening {sockets} WebSockets over {users_count} users on {}",
        stack.realtime
    );
    let frames = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicUsize::new(0));
    for s in 0..sockets {
        let socket = stack.connect(&users[s % users_count], "").await?;
        let (frames, closed) = (frames.clone(), closed.clone());
        tokio::spawn(async move {
            let (_, mut reader) = socket.split();
            while let Some(Ok(_)) = reader.next().await {
                frames.fetch_add(1, Ordering::Relaxed);
            }
            closed.fetch_add(1, Ordering::Relaxed);
        });
    }

    let total = Duration::from_secs(minutes as u64 * 60);
    let window = Duration::from_secs(window_minutes as u64 * 60);
    let tally = Arc::new(Tally {
        windows: Mutex::new(Windows::new(window, total)),
        reminders: AtomicUsize::new(0),
        failures: Mutex::new(BTreeMap::new()),
    });
    let started = Instant::now();
    let until = started + total;
    // Reminders set in the last two minutes would fire after the soak.
    let reminders_until = until
        .checked_sub(Duration::from_secs(120))
        .unwrap_or(started);
    let interval = Duration::from_secs_f64(clients as f64 / rate as f64);
    eprintln!(
        "soak: {minutes} min, {clients} clients at {rate} requests/s in all, windows of {window_minutes} min"
    );
    let mut running = Vec::new();
    for c in 0..clients {
        let mine: Vec<String> = users.iter().skip(c).step_by(clients).cloned().collect();
        running.push(tokio::spawn(client(
            stack.clone(),
            mine,
            interval,
            started,
            until,
            reminders_until,
            tally.clone(),
        )));
    }
    // Memory is read first after a minute of load, not before it: the first
    // requests fill pools and caches that are then reused, and growth past
    // that is what a leak looks like.
    // It is read again at every window's end, so a plateau (a bounded
    // buffer filling) shows apart from a steady climb (a leak).
    let mut snapshots: Vec<(String, BTreeMap<String, u64>)> = Vec::new();
    let mut progress = tokio::time::interval(Duration::from_secs(60));
    progress.tick().await;
    let mut minute = 0;
    while Instant::now() < until {
        progress.tick().await;
        minute += 1;
        if minute == 1 || minute % window_minutes == 0 {
            snapshots.push((format!("{minute} min"), resident_memory(&stack.dir)?));
        }
        eprintln!(
            "soak: {:.0} of {minutes} min, {} frames received, {} sockets closed",
            started.elapsed().as_secs_f64() / 60.0,
            frames.load(Ordering::Relaxed),
            closed.load(Ordering::Relaxed)
        );
    }
    for client in running {
        client.await??;
    }
    snapshots.push(("end".into(), resident_memory(&stack.dir)?));

    // The last reminders were set at most two minutes before the end.
    let scheduled = tally.reminders.load(Ordering::Relaxed);
    eprintln!("soak: waiting for the last of {scheduled} reminders to fire");
    let fired = stack
        .eventually("every reminder fired", Duration::from_secs(180), || async {
            let mut fired = 0;
            for user in &users {
                fired += e2e::drills::every_page(&stack, user, "/notifications")
                    .await?
                    .len();
            }
            Ok((fired >= scheduled).then_some(fired))
        })
        .await
        .unwrap_or(0);

    let samples = tally.windows.lock().await.samples();
    println!("{}", stats::HEADER);
    for (i, window) in samples.iter().enumerate() {
        let from = i * window_minutes;
        println!(
            "{}",
            stats::row(&format!("{from}-{} min", from + window_minutes), window, "")
        );
    }
    let (first, last) = (&snapshots[0].1, &snapshots[snapshots.len() - 1].1);
    let memory: Vec<Memory> = first
        .iter()
        .filter_map(|(process, start)| {
            last.get(process).map(|end| Memory {
                process: process.clone(),
                start_kib: *start,
                end_kib: *end,
            })
        })
        .collect();
    let labels: Vec<&str> = snapshots.iter().map(|(label, _)| label.as_str()).collect();
    println!(
        "\n| process (RSS MiB) | {} | growth |\n|---|{}---:|",
        labels.join(" | "),
        "---:|".repeat(labels.len())
    );
    for m in &memory {
        let column: Vec<String> = snapshots
            .iter()
            .map(|(_, at)| at.get(&m.process).map_or("-".into(), |kib| mib(*kib)))
            .collect();
        println!(
            "| {} | {} | {:+.1}% |",
            m.process,
            column.join(" | "),
            m.growth_percent()
        );
    }
    let failures = tally.failures.lock().await;
    let verdict = Verdict::of(&samples, &memory);
    println!(
        "\nreminders fired: {fired} of {scheduled}; frames received: {}; sockets closed early: {}",
        frames.load(Ordering::Relaxed),
        closed.load(Ordering::Relaxed)
    );
    println!(
        "goals: errors {} ({}), memory {} (worst {:?}), p99 {} (slowest window / fastest = {:.2})",
        verdict.errors,
        if verdict.no_errors() {
            "met"
        } else {
            "NOT met"
        },
        if verdict.memory_held() {
            "met"
        } else {
            "NOT met"
        },
        verdict.worst_growth,
        if verdict.p99_flat() {
            "flat"
        } else {
            "NOT flat"
        },
        verdict.p99_spread
    );
    if !failures.is_empty() {
        println!("failures: {failures:?}");
    }
    if !verdict.no_errors() || fired < scheduled || closed.load(Ordering::Relaxed) > 0 {
        bail!("the soak saw errors, missing reminders or closed sockets (see above)");
    }
    Ok(())
}
