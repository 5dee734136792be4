//! The recovery tools for events, end to end: dead letters redriven onto
//! their topic are handled once, and a consumer's state rebuilt by replay
//! into an empty store holds each event exactly once.
//!
//! Disruptive (a replay stops audit and empties its store), so they run
//! alone.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::Stack;
use e2e::drills::{CATCH_UP, every_page, exactly_one_created_each};
use serde_json::Value;
use todo_domain::Topic;

/// Runs `scripts/stack ARGS` off the async runtime.
async fn control(stack: &Stack, args: &[&str]) -> Result<()> {
    let (stack, args) = (
        stack.clone(),
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
    );
    tokio::task::spawn_blocking(move || {
        stack.control(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await?
}

/// Audit's entries of `user` with event id `id`.
async fn entries_with_id(stack: &Stack, user: &str, id: &str) -> Result<usize> {
    Ok(every_page(stack, user, "/audit")
        .await?
        .iter()
        .filter(|e| e["id"] == id)
        .count())
}

#[tokio::test]
async fn disruptive_a_redriven_dead_letter_is_handled_once() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("redrive");
    stack
        .create_task(&user, serde_json::json!({"title": "dead-lettered once"}))
        .await?;
    // The real record of that change, as Dapr put it on the topic; a copy
    // with a fresh event id stands for an event its consumers gave up on.
    let records = stack
        .first_records(Topic::TaskEvents.name(), &user, 1, Duration::from_secs(20))
        .await?;
    let mut letter: Value = records
        .first()
        .context("the task's event on task-events")?
        .clone();
    let event_id = uuid::Uuid::new_v4().to_string();
    letter["id"] = Value::from(uuid::Uuid::new_v4().to_string());
    letter["data"]["event_id"] = Value::from(event_id.clone());
    stack
        .publish_via("todo-api", Topic::TaskEvents.dead_letter(), &user, &letter)
        .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    ensure!(
        entries_with_id(&stack, &user, &event_id).await? == 0,
        "not handled before the redrive"
    );

    control(&stack, &["dlq", "redrive", Topic::TaskEvents.name()]).await?;
    stack
        .eventually("the redriven event in the audit log", CATCH_UP, || async {
            Ok((entries_with_id(&stack, &user, &event_id).await? > 0).then_some(()))
        })
        .await?;
    // A second redrive finds nothing new; nothing is recorded twice.
    control(&stack, &["dlq", "redrive", Topic::TaskEvents.name()]).await?;
    stack
        .settled("the redriven event's entry", 1, "/id", CATCH_UP, || async {
            let entries = every_page(&stack, &user, "/audit").await?;
            Ok(entries
                .into_iter()
                .filter(|e| e["id"] == event_id)
                .collect())
        })
        .await?;
    Ok(())
}

#[tokio::test]
async fn disruptive_a_replay_into_an_empty_store_rebuilds_audit_exactly() -> Result<()> {
    let stack = Stack::from_env()?;
    // A user whose events lie before the replay's start: an emptied store
    // no longer has them.
    let before = stack.new_user("before-replay");
    let task = stack
        .create_task(&before, serde_json::json!({"title": "before the replay"}))
        .await?;
    let earlier = [task["id"].as_u64().context("an id")?]
        .into_iter()
        .collect();
    exactly_one_created_each(&stack, &before, &earlier).await?;

    let user = stack.new_user("replay");
    let from = (chrono::Utc::now() - chrono::Duration::seconds(1))
        .format("%Y-%m-%dT%H:%M:%S%.3f")
        .to_string();
    let mut ids = std::collections::BTreeSet::new();
    for n in 0..3 {
        let task = stack
            .create_task(&user, serde_json::json!({"title": format!("replayed {n}")}))
            .await?;
        ids.insert(task["id"].as_u64().context("an id")?);
    }
    exactly_one_created_each(&stack, &user, &ids).await?;

    control(&stack, &["replay", "audit", &from, "--fresh"]).await?;
    exactly_one_created_each(&stack, &user, &ids).await?;
    let left = every_page(&stack, &before, "/audit").await?;
    ensure!(
        left.is_empty(),
        "the store was emptied before the replay: {left:?}"
    );
    Ok(())
}
