//! todo-api on a running stack (real daprd, state store, Kafka): one user
//! with `BENCH_TASKS` (10,000) varied tasks is listed, searched, filtered,
//! sorted and paged, `BENCH_SAMPLES` times each; single creates are timed
//! sequentially (while seeding that user) and from `BENCH_CLIENTS`
//! concurrent clients, each with its own user and then all on one user.
//! Prints a Markdown table (see docs/benchmarks.md, section "API (todo-api)").
//!
//! Run against a started stack with the e2e tests' environment
//! (`STACK_DIR`, `TODO_API_URL`): `cargo bench -p bench --bench api`.
//! `BENCH_USER=<id>` reuses a user seeded by an earlier run (only the
//! missing tasks are created, and the sequential-create row is then
//! measured on those only). `BENCH_RATE` creates a second (default 100; 0
//! skips it) for `BENCH_RATE_SECONDS` (10) are sent open-loop over 8 users.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use bench::corpus::{self, SEARCH_WORD};
use bench::stats::{self, Samples};
use e2e::Stack;
use e2e::settings::setting;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::Value;

/// One timed request: latency until the whole body was read.
async fn timed(
    stack: &Stack,
    method: Method,
    user: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(Duration, u16, Value)> {
    let mut request = stack.request_unchecked(method, user, path);
    if let Some(body) = body {
        request = request.json(body);
    }
    let started = Instant::now();
    let response = request.send().await?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    let elapsed = started.elapsed();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((elapsed, status, body))
}

/// Creates tasks `from..=to` of the corpus for `user`, one after another.
async fn create_sequentially(
    stack: &Stack,
    user: &str,
    from: u64,
    to: u64,
) -> Result<(Vec<Duration>, usize)> {
    let now = chrono::Utc::now();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for i in from..=to {
        let (elapsed, status, body) = timed(
            stack,
            Method::POST,
            user,
            "/tasks",
            Some(&corpus::task_body(i, now)),
        )
        .await?;
        if status == 201 {
            latencies.push(elapsed);
        } else {
            errors += 1;
            if errors <= 3 {
                eprintln!("create {i} for {user} answered {status}: {body}");
            }
        }
    }
    Ok((latencies, errors))
}

/// `users.len()` clients at once, each creating `per_client` tasks for its user.
async fn create_concurrently(stack: &Stack, users: &[String], per_client: u64) -> Result<Samples> {
    let started = Instant::now();
    let runs = users.iter().enumerate().map(|(k, user)| {
        let from = 1_000_000 + k as u64 * per_client;
        create_sequentially(stack, user, from, from + per_client - 1)
    });
    let mut latencies = Vec::new();
    let mut errors = 0;
    for result in join_all(runs).await {
        let (l, e) = result?;
        latencies.extend(l);
        errors += e;
    }
    Ok(Samples::new(latencies, errors, started.elapsed()))
}

/// Open-loop creates: one every `1 / rate` seconds for `seconds`, spread
/// round-robin over `users`, each timed on its own (a slow answer does not
/// hold back the next request, as it would with a fixed number of clients).
async fn create_at_rate(
    stack: &Stack,
    users: &[String],
    rate: u64,
    seconds: u64,
) -> Result<Samples> {
    let now = chrono::Utc::now();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = Instant::now();
    let mut runs = Vec::new();
    for i in 0..rate * seconds {
        let due = started + interval * i as u32;
        let user = &users[i as usize % users.len()];
        runs.push(async move {
            tokio::time::sleep_until(due.into()).await;
            timed(
                stack,
                Method::POST,
                user,
                "/tasks",
                Some(&corpus::task_body(2_000_000 + i, now)),
            )
            .await
        });
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for result in join_all(runs).await {
        match result? {
            (elapsed, 201, _) => latencies.push(elapsed),
            _ => errors += 1,
        }
    }
    Ok(Samples::new(latencies, errors, started.elapsed()))
}

/// How long after the load stopped audit (the consumer of every event)
/// holds a `task.created` entry for each of `expected` acknowledged creates
/// of `users`: the consumer lag, back to zero. Polls every 100 ms for at
/// most a minute.
async fn audit_catch_up(stack: &Stack, users: &[String], expected: usize) -> Result<Duration> {
    let stopped = Instant::now();
    loop {
        let mut audited = 0;
        for user in users {
            let (_, status, page) = timed(
                stack,
                Method::GET,
                user,
                "/audit?type=task.created&limit=500",
                None,
            )
            .await?;
            ensure!(status == 200, "audit answered {status}: {page}");
            audited += page["items"].as_array().map_or(0, Vec::len);
        }
        if audited >= expected {
            return Ok(stopped.elapsed());
        }
        ensure!(
            stopped.elapsed() < Duration::from_secs(60),
            "audit holds {audited} of {expected} entries a minute after the load"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `GET path` `samples` times after two warm-ups; the last body is returned.
async fn query(stack: &Stack, user: &str, path: &str, samples: usize) -> Result<(Samples, Value)> {
    for _ in 0..2 {
        timed(stack, Method::GET, user, path, None).await?;
    }
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(samples);
    let mut last = Value::Null;
    for _ in 0..samples {
        let (elapsed, status, body) = timed(stack, Method::GET, user, path, None).await?;
        ensure!(status == 200, "GET {path} answered {status}: {body}");
        latencies.push(elapsed);
        last = body;
    }
    Ok((Samples::new(latencies, 0, started.elapsed()), last))
}

/// Follows `next_cursor` through pages of 100, timing each cursor request.
async fn page_through(stack: &Stack, user: &str, pages: usize) -> Result<Samples> {
    let (_, _, mut page) = timed(
        stack,
        Method::GET,
        user,
        "/tasks?limit=100&sort=due_date",
        None,
    )
    .await?;
    let started = Instant::now();
    let mut latencies = Vec::new();
    while latencies.len() < pages {
        let Some(cursor) = page["next_cursor"].as_str() else {
            break;
        };
        let path = format!("/tasks?limit=100&sort=due_date&cursor={cursor}");
        let (elapsed, status, body) = timed(stack, Method::GET, user, &path, None).await?;
        ensure!(status == 200, "GET {path} answered {status}: {body}");
        latencies.push(elapsed);
        page = body;
    }
    Ok(Samples::new(latencies, 0, started.elapsed()))
}

fn note(body: &Value) -> String {
    match (body["total"].as_u64(), body["items"].as_array()) {
        (Some(total), Some(items)) => format!("total {total}, {} returned", items.len()),
        _ => String::new(),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let tasks = setting("BENCH_TASKS", 10_000)? as u64;
    let samples = setting("BENCH_SAMPLES", 50)?;
    let clients = setting("BENCH_CLIENTS", 4)?;
    let creates = setting("BENCH_CREATES", 200)? as u64;
    let stack = Stack::from_env()?;
    let user = std::env::var("BENCH_USER").unwrap_or_else(|_| stack.new_user("bench"));

    // Seeding the big user is the sequential create measurement.
    let existing = stack.get_json(&user, "/tasks?limit=1").await?["total"]
        .as_u64()
        .unwrap_or(0);
    eprintln!(
        "seeding {user}: {existing} tasks, creating {} more",
        tasks.saturating_sub(existing)
    );
    let started = Instant::now();
    let (latencies, errors) = create_sequentially(&stack, &user, existing + 1, tasks).await?;
    let sequential = Samples::new(latencies, errors, started.elapsed());
    let total = stack.get_json(&user, "/tasks?limit=1").await?["total"]
        .as_u64()
        .unwrap_or(0);
    ensure!(total >= tasks, "{user} has {total} tasks, not {tasks}");

    let mut rows = vec![stats::row(
        "create, 1 client (seeding the user)",
        &sequential,
        &format!("tasks {}..={tasks} of one user", existing + 1),
    )];
    eprintln!("creates from {clients} clients");
    let own: Vec<String> = (0..clients).map(|_| stack.new_user("bench-own")).collect();
    rows.push(stats::row(
        &format!("create, {clients} clients, a user each"),
        &create_concurrently(&stack, &own, creates).await?,
        &format!("{creates} each"),
    ));
    // Updates and completions, one client, on tasks of the users above.
    let changed = creates.min(100);
    let priority = serde_json::json!({"priority": "high"});
    for (name, owner, suffix, body) in [
        (
            "update (PATCH priority), 1 client",
            &own[0],
            "",
            Some(&priority),
        ),
        (
            "complete, 1 client",
            &own[own.len().min(2) - 1],
            "/complete",
            None,
        ),
    ] {
        let started = Instant::now();
        let (mut latencies, mut errors) = (Vec::new(), 0);
        for id in 1..=changed {
            let path = format!("/tasks/{id}{suffix}");
            match timed(&stack, Method::PATCH, owner, &path, body).await? {
                (elapsed, 200, _) => latencies.push(elapsed),
                _ => errors += 1,
            }
        }
        let samples = Samples::new(latencies, errors, started.elapsed());
        rows.push(stats::row(name, &samples, &format!("tasks 1..={changed}")));
    }
    let rate = setting("BENCH_RATE", 100)? as u64;
    let rate_seconds = setting("BENCH_RATE_SECONDS", 10)? as u64;
    if rate > 0 {
        eprintln!("creates at {rate}/s for {rate_seconds} s");
        let paced: Vec<String> = (0..8).map(|_| stack.new_user("bench-rate")).collect();
        let paced_samples = create_at_rate(&stack, &paced, rate, rate_seconds).await?;
        let lag = audit_catch_up(&stack, &paced, paced_samples.count()).await?;
        rows.push(stats::row(
            &format!("create at {rate}/s, 8 users"),
            &paced_samples,
            &format!(
                "open loop, {rate_seconds} s; audit caught up {:.2} s after",
                lag.as_secs_f64()
            ),
        ));
    }
    let shared = vec![stack.new_user("bench-shared"); clients];
    rows.push(stats::row(
        &format!("create, {clients} clients, one user"),
        &create_concurrently(&stack, &shared, creates / 2).await?,
        &format!("{} each; one user's writes serialize", creates / 2),
    ));

    let today = chrono::Utc::now().date_naive();
    let in_two_weeks = today + chrono::Duration::days(14);
    let in_a_month = today + chrono::Duration::days(30);
    let queries = [
        ("list (default: 50, by created_at)", "/tasks".to_owned()),
        ("list, limit 500", "/tasks?limit=500".to_owned()),
        (
            "search q (rare word)",
            format!("/tasks/search?q={SEARCH_WORD}"),
        ),
        (
            "search q (common word)",
            "/tasks/search?q=report".to_owned(),
        ),
        (
            "filter priority + tags",
            "/tasks?priority=high,urgent&tags=work,home".to_owned(),
        ),
        ("filter overdue", "/tasks?overdue=true".to_owned()),
        (
            "filter due range (2 weeks)",
            format!("/tasks?due_after={today}&due_before={in_two_weeks}"),
        ),
        (
            "filter status + category",
            "/tasks?status=pending&category=errands".to_owned(),
        ),
        ("sort due_date", "/tasks?sort=due_date".to_owned()),
        ("sort -priority", "/tasks?sort=-priority".to_owned()),
        ("sort title", "/tasks?sort=title".to_owned()),
        ("one task by id", format!("/tasks/{}", tasks / 2)),
        (
            "calendar, 31 days",
            format!("/tasks/calendar?from={today}&to={in_a_month}"),
        ),
    ];
    for (name, path) in &queries {
        eprintln!("{name}");
        let (samples, body) = query(&stack, &user, path, samples).await?;
        rows.push(stats::row(name, &samples, &note(&body)));
    }
    eprintln!("paging");
    rows.push(stats::row(
        "next page by cursor (limit 100, sort due_date)",
        &page_through(&stack, &user, samples).await?,
        "pages 2.. of one query",
    ));

    println!(
        "todo-api on {} ({} cores), {} tasks for {user}, {samples} samples per query, {}",
        stack.api,
        std::thread::available_parallelism().map_or(0, usize::from),
        tasks,
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    println!("{}", stats::HEADER);
    for row in rows {
        println!("{row}");
    }
    Ok(())
}
