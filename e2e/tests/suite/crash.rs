//! Crash drills: a process is killed outright (SIGKILL, as a crash or the
//! OOM killer would) while writes are in flight, then started again; each
//! drill ends with exact counts: nothing acknowledged is lost, and no
//! effect happens twice.
//!
//! "Exactly once" is read by the one rule of `e2e::once`: after the
//! republish window, when a duplicate effect would show.
//!
//! Disruptive: they kill parts of the shared stack, so `scripts/stack test`
//! runs them alone, one at a time (names start with `disruptive_`). Each
//! brings the killed processes back however it ends.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use e2e::Stack;
use e2e::drills::{
    CATCH_UP, Killed, acknowledged, after_writes, all_acknowledged, exactly_one_created_each,
    one_next_instance_each, one_notification_each, stored_ids, tasks_reminding, write,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A consumer and its sidecar die mid-stream; after the restart every event
/// is recorded exactly once.
#[tokio::test]
async fn disruptive_crash_of_audit_and_its_sidecar_loses_and_repeats_nothing() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("crash-audit");
    let writer = tokio::spawn(write(
        stack.clone(),
        user.clone(),
        "audit drill",
        60,
        Duration::from_millis(50),
    ));
    after_writes(&stack, &user, 15).await?;
    let mut killed = Killed::kill(&stack, &["audit", "audit-dapr"], "audit")?;
    let down = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    killed.restart().await?;
    println!("audit was down for {:?}", down.elapsed());
    let outcomes = writer.await?;
    let acknowledged = all_acknowledged(&outcomes, "while audit was down")?;
    ensure!(
        acknowledged.len() == 60,
        "60 acknowledged writes: {outcomes:?}"
    );
    exactly_one_created_each(&stack, &user, &acknowledged).await
}

/// The system of record and its sidecar die mid-stream: every acknowledged
/// write is stored and evented exactly once; a write whose answer was lost
/// is either wholly there (stored and evented once) or absent.
#[tokio::test]
async fn disruptive_crash_of_todo_api_and_its_sidecar_keeps_every_acknowledged_write() -> Result<()>
{
    let stack = Stack::from_env()?;
    let user = stack.new_user("crash-api");
    let writer = tokio::spawn(write(
        stack.clone(),
        user.clone(),
        "api drill",
        40,
        Duration::from_millis(100),
    ));
    after_writes(&stack, &user, 10).await?;
    let mut killed = Killed::kill(&stack, &["todo-api", "todo-api-dapr"], "todo-api")?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    killed.restart().await?;
    let outcomes = writer.await?;
    let acknowledged = acknowledged(&outcomes);
    let unknown = outcomes.len() - acknowledged.len();
    println!(
        "{} acknowledged, {unknown} without an answer",
        acknowledged.len()
    );
    ensure!(
        unknown > 0,
        "the crash should have cost some writes their answer"
    );
    ensure!(
        acknowledged.len() == 40,
        "writes succeed again after the restart: {outcomes:?}"
    );

    let stored = stored_ids(&stack, &user).await?;
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    ensure!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    // Every stored task, acknowledged or not, is whole: evented exactly once.
    exactly_one_created_each(&stack, &user, &stored).await
}

/// The broker dies (not paused: killed) while writes go on: every write
/// still succeeds (the outbox holds the events), and once it is back every
/// event reaches its consumer exactly once.
#[tokio::test]
async fn disruptive_crash_of_the_broker_loses_no_event() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("crash-kafka");
    let writer = tokio::spawn(write(
        stack.clone(),
        user.clone(),
        "broker drill",
        40,
        Duration::from_millis(100),
    ));
    after_writes(&stack, &user, 10).await?;
    let mut killed = Killed::kill(&stack, &["kafka"], "kafka")?;
    let broker = format!("127.0.0.1:{}", stack.named_port("kafka")?);
    ensure!(
        tokio::net::TcpStream::connect(&broker).await.is_err(),
        "the broker still accepts connections on {broker} after the kill"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    killed.restart().await?;
    let outcomes = writer.await?;
    let acknowledged = all_acknowledged(&outcomes, "while the broker was down")?;
    ensure!(acknowledged.len() == 40, "40 acknowledged writes");
    exactly_one_created_each(&stack, &user, &acknowledged).await
}

/// The scheduler dies with reminders pending; after it returns each fires
/// once, none early.
#[tokio::test]
async fn disruptive_crash_of_the_scheduler_keeps_pending_reminders() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("crash-scheduler");
    let (at, ids) = tasks_reminding(&stack, &user, "reminded", 5, 12).await?;
    // notifier schedules the jobs from the task events; give it the time.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut killed = Killed::kill(&stack, &["scheduler"], "scheduler")?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    killed.restart().await?;
    one_notification_each(&stack, &user, &ids, at).await
}

/// The recurring service and its sidecar die while series are completed:
/// after the restart each completion has exactly one next instance.
#[tokio::test]
async fn disruptive_crash_of_recurring_creates_each_next_instance_once() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("crash-recurring");
    let mut series = Vec::new();
    for n in 0..5 {
        let task = stack
            .request(Method::POST, &user, "/tasks/recurring")
            .json(&json!({"title": format!("daily {n}"), "due_date": "2030-01-01", "recurrence": {"frequency": "daily"}}))
            .send()
            .await?
        .expect(StatusCode::CREATED)?;
        series.push(task["id"].as_u64().context("an id")?);
    }
    let mut killed = Killed::kill(&stack, &["recurring", "recurring-dapr"], "recurring")?;
    for id in &series {
        stack.complete(&user, *id).await?;
    }
    killed.restart().await?;
    // 5 series and exactly 5 next instances.
    one_next_instance_each(&stack, &user, &series).await
}

/// The realtime service and its sidecar die while its user's changes go on:
/// a device reconnecting with `since` misses nothing: it gets every missed
/// frame in order, or is told to `resync` (and refetch) when the new
/// process cannot prove it has them all.
#[tokio::test]
async fn disruptive_crash_of_realtime_costs_a_resuming_device_nothing() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("crash-realtime");
    let mut socket = stack.connect(&user, "").await?;
    let mut last_seq = 0;
    for n in 0..3 {
        let task = stack
            .create_task(&user, json!({"title": format!("seen {n}")}))
            .await?;
        let id = task["id"].as_u64().context("an id")?;
        let frame =
            e2e::next_about(&mut socket, "task.created", id, Duration::from_secs(20)).await?;
        last_seq = frame["seq"].as_u64().context("a seq")?;
    }
    let mut killed = Killed::kill(&stack, &["realtime", "realtime-dapr"], "realtime")?;
    let mut missed = BTreeSet::new();
    for n in 0..2 {
        let task = stack
            .create_task(&user, json!({"title": format!("missed {n}")}))
            .await?;
        missed.insert(task["id"].as_u64().context("an id")?);
    }
    killed.restart().await?;
    let mut resumed = stack.connect(&user, &format!("since={last_seq}")).await?;
    let mut seen = BTreeSet::new();
    let mut expected_seq = last_seq + 1;
    while seen != missed {
        let frame = e2e::next_json(&mut resumed, CATCH_UP).await?;
        if frame["type"] == "resync" {
            println!("resync after the crash; the device refetches");
            let stored = stored_ids(&stack, &user).await?;
            ensure!(
                missed.is_subset(&stored),
                "the refetch has the missed tasks"
            );
            return Ok(());
        }
        let seq = frame["seq"].as_u64().context("a seq")?;
        ensure!(
            seq == expected_seq,
            "frames resume in order without a gap: {frame}"
        );
        expected_seq += 1;
        if let Some(id) = frame["task"]["id"].as_u64() {
            seen.insert(id);
        }
    }
    println!("the missed frames arrived in order after the crash");
    Ok(())
}

/// notifier and its sidecar die between scheduling reminders and their
/// time: after the restart each fires exactly once, none early.
#[tokio::test]
async fn disruptive_crash_of_notifier_fires_each_pending_reminder_once() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("crash-notifier");
    let (at, ids) = tasks_reminding(&stack, &user, "notifier drill", 3, 15).await?;
    stack
        .logged(
            "notifier",
            "reminder scheduled",
            ("user_id", &user),
            3,
            CATCH_UP,
        )
        .await?;
    let mut killed = Killed::kill(&stack, &["notifier", "notifier-dapr"], "notifier")?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    killed.restart().await?;
    one_notification_each(&stack, &user, &ids, at).await
}
