//! Kafka outage: while the broker is down every change still succeeds (it
//! is committed with its events in the outbox); once the broker is back the
//! relay publishes all of them, in the user's order, each exactly once.
//!
//! Disruptive: it stops the shared stack's broker, so `scripts/stack test`
//! runs it alone after the other tests (its name starts with
//! `disruptive_`). It starts the broker again however it ends.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use e2e::api::id_of;
use e2e::{Stack, next_json};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_domain::Topic;
use tokio::sync::mpsc;

/// Changes made while the broker is down: more than the relay publishes in
/// one run (`RELAY_BATCH`, 500, in components/todo-api/src/outbox.rs), so
/// the backlog takes two runs and the second must carry on in order.
const CHANGES: usize = 520;
/// Tasks created during the outage; the other changes edit them.
const CREATED: usize = 10;
/// Other users who each create one task during the outage.
const OTHER_USERS: usize = 10;

/// Starts the broker again when dropped, so a failing test still leaves
/// the stack whole for the tests after it.
struct BrokerDown<'a> {
    stack: &'a Stack,
    started: bool,
}

impl<'a> BrokerDown<'a> {
    fn stop(stack: &'a Stack) -> Result<Self> {
        stack.control(&["kafka", "stop"])?;
        Ok(Self {
            stack,
            started: false,
        })
    }

    fn start(&mut self) -> Result<()> {
        self.started = true;
        self.stack.control(&["kafka", "start"])
    }
}

impl Drop for BrokerDown<'_> {
    fn drop(&mut self) {
        if !self.started
            && let Err(e) = self.stack.control(&["kafka", "start"])
        {
            eprintln!("could not start Kafka again: {e:#}");
        }
    }
}

/// The `n`th change of the outage (0-based): first the creates, then edits
/// that cycle through every kind of write.
fn change(n: usize) -> (Method, String, Option<Value>) {
    if n < CREATED {
        return (
            Method::POST,
            "/tasks".into(),
            Some(json!({"title": format!("outage task {n}"), "due_date": "2030-05-01"})),
        );
    }
    // Task 1 existed before the outage; the outage creates 2..=11.
    let task = 2 + (n % CREATED);
    match n % 4 {
        0 => (
            Method::PATCH,
            format!("/tasks/{task}"),
            Some(json!({"title": format!("edit {n}")})),
        ),
        1 => (Method::PATCH, format!("/tasks/{task}/complete"), None),
        2 => (
            Method::PATCH,
            format!("/tasks/{task}/due-date"),
            Some(json!({"due_date": format!("2030-06-{:02}", 1 + n % 28)})),
        ),
        _ => (
            Method::PUT,
            format!("/tasks/{task}"),
            Some(json!({"title": format!("replaced {n}"), "priority": "high"})),
        ),
    }
}

/// Reads the socket all along (answering pings, so the device stays
/// connected through the outage) and hands over its JSON frames.
fn keep_reading(mut socket: e2e::Socket) -> mpsc::UnboundedReceiver<Value> {
    let (frames, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(frame) = next_json(&mut socket, Duration::from_secs(3600)).await {
            if frames.send(frame).is_err() {
                break;
            }
        }
    });
    receiver
}

async fn next_frame(device: &mut mpsc::UnboundedReceiver<Value>) -> Result<Value> {
    tokio::time::timeout(Duration::from_secs(60), device.recv())
        .await
        .context("no update reached the device within 60 s")?
        .context("the device's WebSocket closed")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Prints request latencies while Kafka is down (figures for the docs; not asserted).
fn report(what: &str, latencies: &[Duration]) {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    eprintln!(
        "latency with Kafka down, {what} (n={}): first {:?}, p50 {:?}, p99 {:?}, max {:?}",
        latencies.len(),
        latencies[0],
        percentile(&sorted, 0.5),
        percentile(&sorted, 0.99),
        sorted[sorted.len() - 1]
    );
}

#[tokio::test]
async fn disruptive_changes_made_while_kafka_is_down_are_all_published_in_order_once_it_is_back()
-> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("outage");
    let client = stack.as_user(&user);
    let mut socket = stack.connect(&user, "").await?;
    let before = stack
        .create_task(&user, json!({"title": "before the outage"}))
        .await?;
    assert_eq!(id_of(&before), 1);
    let first = next_json(&mut socket, Duration::from_secs(30)).await?;
    assert_eq!(first["seq"], 1, "the pipeline works before the outage");
    let mut device = keep_reading(socket);

    let mut broker = BrokerDown::stop(&stack)?;
    let mut latencies = Vec::with_capacity(CHANGES);
    for n in 0..CHANGES {
        let (method, path, body) = change(n);
        let started = Instant::now();
        let reply = client.send(method.clone(), &path, body).await?;
        latencies.push(started.elapsed());
        ensure!(
            reply.status.is_success(),
            "change {n} ({method} {path}) failed while Kafka was down: {} {}",
            reply.status,
            reply.body
        );
    }
    // Other users' first writes during the outage: the broker is known to
    // be down by now, so they do not wait for a failing publish either.
    let others: Vec<String> = (0..OTHER_USERS)
        .map(|_| stack.new_user("outage-other"))
        .collect();
    let mut others_latencies = Vec::with_capacity(OTHER_USERS);
    for other in &others {
        let started = Instant::now();
        stack
            .create_task(other, json!({"title": "during the outage"}))
            .await?;
        others_latencies.push(started.elapsed());
    }
    report("this user's changes", &latencies);
    report("other users' first writes", &others_latencies);
    // Reads keep working too.
    let listed = stack.get_json(&user, "/tasks").await?;
    assert_eq!(listed["total"], 1 + CREATED as u64);

    // The broker really was down: nothing answers on its port (locally; on
    // a cluster the bridge answers for the scaled-down pod), and not one
    // update reached the device meanwhile (they travel through Kafka).
    if std::env::var_os("TODO_STACK_CONTROL").is_none() {
        let kafka = stack.named_port("kafka")?;
        ensure!(
            tokio::net::TcpStream::connect(("127.0.0.1", kafka))
                .await
                .is_err(),
            "Kafka still accepts connections on port {kafka} after 'kafka stop'"
        );
    }
    ensure!(
        device.try_recv().is_err(),
        "an update reached the device while the broker was down"
    );

    let back = Instant::now();
    broker.start()?;

    let expected = 1 + CHANGES;
    let events = stack
        .published(
            Topic::TaskEvents.name(),
            &user,
            expected,
            Duration::from_secs(180),
        )
        .await?;
    eprintln!(
        "all {} task events on Kafka {:?} after the broker was started",
        events.len(),
        back.elapsed()
    );
    let seqs: Vec<u64> = events.iter().filter_map(|e| e["seq"].as_u64()).collect();
    let expected_seqs: Vec<u64> = (1..=expected as u64).collect();
    assert_eq!(
        seqs, expected_seqs,
        "every change's event arrives once, in the user's order"
    );
    for (n, event) in events.iter().skip(1).enumerate() {
        let (method, _, _) = change(n);
        let expected_type = if method == Method::POST {
            "task.created"
        } else if event["changes"]["completed"] == json!([false, true]) {
            "task.completed"
        } else {
            "task.updated"
        };
        assert_eq!(event["event_type"], expected_type, "change {n}: {event}");
    }
    // The events describe the state the API shows now.
    for task in stack.all_tasks(&user).await? {
        let last = events
            .iter()
            .rev()
            .find(|e| e["task_id"] == task["id"])
            .with_context(|| format!("no event for task {}", task["id"]))?;
        assert_eq!(last["task_version"], task["version"]);
        assert_eq!(last["task"]["title"], task["title"]);
    }

    // The device updates went out too, in order and once each...
    let updates = stack
        .published(
            Topic::TaskUpdates.name(),
            &user,
            expected,
            Duration::from_secs(60),
        )
        .await?;
    let update_seqs: Vec<u64> = updates.iter().filter_map(|u| u["seq"].as_u64()).collect();
    assert_eq!(update_seqs, expected_seqs);
    // ...and reached the device that stayed connected through the outage.
    let mut seen = Vec::new();
    while seen.len() < CHANGES {
        let frame = next_frame(&mut device)
            .await
            .with_context(|| format!("after {} of {CHANGES} updates", seen.len()))?;
        seen.push(frame["seq"].as_u64().unwrap_or(0));
    }
    assert_eq!(seen, expected_seqs[1..]);

    // The other users' events went out too, once each.
    let other_keys: Vec<&str> = others.iter().map(String::as_str).collect();
    let records = stack
        .events_once(
            Topic::TaskEvents.name(),
            &other_keys,
            OTHER_USERS,
            Duration::from_secs(60),
        )
        .await?;
    let mut keys: Vec<&str> = records.iter().map(|(key, _)| key.as_str()).collect();
    keys.sort_unstable();
    let mut expected_keys = other_keys.clone();
    expected_keys.sort_unstable();
    assert_eq!(keys, expected_keys, "one event per other user");
    for (key, record) in &records {
        assert_eq!(record["data"]["event_type"], "task.created", "{key}");
    }

    // And the pipeline is live again: a new change is published at once.
    let after = client
        .patch("/tasks/1", json!({"title": "after the outage"}))
        .await?;
    assert_eq!(after.status, StatusCode::OK);
    let frame = next_frame(&mut device).await?;
    assert_eq!(frame["seq"], expected as u64 + 1);
    assert_eq!(frame["task"]["title"], "after the outage");
    // The task-events consumers are live again too: audit records it.
    let entries = stack
        .eventually(
            "audit's entries for task 1 (created, then renamed after the outage)",
            Duration::from_secs(60),
            || async {
                let entries = stack.audit(&user, "task_id=1").await?;
                Ok((entries.len() >= 2).then_some(entries))
            },
        )
        .await?;
    assert_eq!(entries.len(), 2, "each event recorded once: {entries:?}");
    Ok(())
}
