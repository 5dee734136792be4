//! Event-service latencies on a running stack (real daprd, scheduler, Kafka).
//!
//! 1. Completion -> next instance visible: for each of `BENCH_COMPLETIONS`
//!    fresh users, create a daily task (id 1), then time from sending
//!    `PATCH /tasks/1/complete` until `GET /tasks/2` (the next instance,
//!    created by recurring through todo-api) answers 200, polling every 5 ms.
//!    `BENCH_CONCURRENCY` completions run at once (1: latency without queueing).
//! 2. Reminder lateness: `BENCH_REMINDERS` tasks over `BENCH_USERS` users,
//!    each with one reminder at a distinct time, `BENCH_LEAD_MS` ahead of
//!    the first and `BENCH_SPACING_MS` apart. Lateness is the notification's
//!    `delivered_at` (when notifier stored it) minus `remind_at`; the time
//!    the user's WebSocket received it is measured too. Fails if any is
//!    early, missing or duplicated.
//!
//! Run against a started stack with the e2e tests' environment (see
//! bench/README.md): `cargo bench -p bench --bench events`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use chrono::{DateTime, SecondsFormat, Utc};
use e2e::settings::setting;
use e2e::{Socket, Stack, next_json};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};

/// `[p50, p90, p99, max]` of `values` (milliseconds).
fn percentiles(mut values: Vec<f64>) -> [f64; 4] {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
        values[rank - 1]
    };
    [at(0.50), at(0.90), at(0.99), at(1.0)]
}

fn report(what: &str, values: Vec<f64>) {
    let n = values.len();
    let [p50, p90, p99, max] = percentiles(values);
    println!(
        "{what:<44} n={n:<4} p50={p50:>8.1} ms  p90={p90:>8.1} ms  p99={p99:>8.1} ms  max={max:>8.1} ms"
    );
}

/// One completion: create, complete, wait for the next instance. Milliseconds.
async fn completion(stack: &Stack) -> Result<f64> {
    let user = stack.new_user("bench-rec");
    let task = stack
        .create_task(
            &user,
            json!({"title": "bench", "due_date": "2030-01-01",
                   "recurrence": {"frequency": "daily"}}),
        )
        .await?;
    ensure!(task["id"] == 1, "a fresh user's first task is 1: {task}");
    let started = Instant::now();
    stack.complete(&user, 1).await?;
    loop {
        let status = stack
            .request(reqwest::Method::GET, &user, "/tasks/2")
            .send()
            .await?
            .status;
        if status == reqwest::StatusCode::OK {
            return Ok(started.elapsed().as_secs_f64() * 1e3);
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("no next instance for {user} within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn bench_completions(stack: &Stack) -> Result<()> {
    let count = setting("BENCH_COMPLETIONS", 50)?;
    let concurrency = setting("BENCH_CONCURRENCY", 1)?.max(1);
    let results: Vec<Result<f64>> = stream::iter(0..count)
        .map(|_| completion(stack))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let times = results.into_iter().collect::<Result<Vec<f64>>>()?;
    report(
        &format!("completion -> next instance (x{concurrency})"),
        times,
    );
    Ok(())
}

/// Reads `socket` until `count` notifications came or `deadline`; returns
/// (task id, receive time) pairs.
async fn receive(
    mut socket: Socket,
    count: usize,
    deadline: Instant,
) -> Result<Vec<(u64, DateTime<Utc>)>> {
    let mut got = Vec::new();
    while got.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(frame) = next_json(&mut socket, left).await else {
            break;
        };
        if frame["type"] == "notification" {
            let task = frame["notification"]["task_id"]
                .as_u64()
                .context("task id")?;
            got.push((task, Utc::now()));
        }
    }
    Ok(got)
}

fn instant(value: &Value) -> Result<DateTime<Utc>> {
    let text = value.as_str().context("a time")?;
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

async fn bench_reminders(stack: &Stack) -> Result<()> {
    let reminders = setting("BENCH_REMINDERS", 100)?;
    let users_n = setting("BENCH_USERS", 10)?.clamp(1, reminders.max(1));
    let lead = setting("BENCH_LEAD_MS", 8_000)? as i64;
    let spacing = setting("BENCH_SPACING_MS", 50)? as i64;
    let users: Vec<String> = (0..users_n).map(|_| stack.new_user("bench-rem")).collect();
    let per_user = reminders.div_ceil(users_n);

    let deadline = Instant::now()
        + Duration::from_millis((lead + spacing * reminders as i64) as u64)
        + Duration::from_secs(30);
    let mut receivers = Vec::new();
    for user in &users {
        let socket = stack.connect(user, "").await?;
        receivers.push(tokio::spawn(receive(socket, per_user, deadline)));
    }

    // Every reminder at its own time: first + i * spacing.
    let first = Utc::now() + chrono::Duration::milliseconds(lead);
    let plan: Vec<(usize, DateTime<Utc>)> = (0..reminders)
        .map(|i| {
            let at = first + chrono::Duration::milliseconds(spacing * i as i64);
            // Whole milliseconds: the precision the reminder is written with.
            (i % users_n, chrono::SubsecRound::trunc_subsecs(at, 3))
        })
        .collect();
    let created: Vec<Result<(usize, u64, DateTime<Utc>)>> = stream::iter(plan)
        .map(|(u, at)| {
            let user = &users[u];
            async move {
                let text = at.to_rfc3339_opts(SecondsFormat::Millis, true);
                let task = stack
                    .create_task(
                        user,
                        json!({"title": "bench", "reminders": [{"remind_at": text}]}),
                    )
                    .await?;
                Ok((u, task["id"].as_u64().context("an id")?, at))
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let created = created.into_iter().collect::<Result<Vec<_>>>()?;
    let late_start = Utc::now() - first;
    ensure!(
        late_start < chrono::Duration::zero(),
        "creating the tasks took longer than BENCH_LEAD_MS ({lead} ms): raise it"
    );
    let remind_at: HashMap<(usize, u64), DateTime<Utc>> =
        created.iter().map(|(u, id, at)| ((*u, *id), *at)).collect();

    let mut socket_lateness = Vec::new();
    for (u, receiver) in receivers.into_iter().enumerate() {
        for (task, received) in receiver.await?? {
            let at = remind_at
                .get(&(u, task))
                .context("a notification of an unknown task")?;
            socket_lateness.push((received - *at).num_microseconds().unwrap_or(0) as f64 / 1e3);
        }
    }
    // Let any duplicate arrive before counting.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut stored_lateness = Vec::new();
    for (u, user) in users.iter().enumerate() {
        let list = stack.notifications(user).await?;
        let mine = created.iter().filter(|(cu, _, _)| *cu == u).count();
        ensure!(
            list.len() == mine,
            "{user}: {} notifications for {mine} reminders",
            list.len()
        );
        for n in &list {
            let late = instant(&n["delivered_at"])? - instant(&n["remind_at"])?;
            ensure!(late >= chrono::Duration::zero(), "early: {n}");
            stored_lateness.push(late.num_microseconds().unwrap_or(0) as f64 / 1e3);
        }
    }
    ensure!(
        socket_lateness.len() == reminders,
        "the sockets got {} of {reminders} notifications",
        socket_lateness.len()
    );
    report(
        "reminder lateness (delivered_at - remind_at)",
        stored_lateness,
    );
    report("reminder lateness (WebSocket receipt)", socket_lateness);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let stack = Stack::from_env()?;
    bench_completions(&stack).await?;
    bench_reminders(&stack).await?;
    Ok(())
}
