//! Poison events on the real stack: an invalid event published to a topic
//! (through a real sidecar, keyed like a user's events so it shares their
//! partition) is refused by every consumer with the reason logged, lands in
//! the topic's dead-letter topic once per consumer, and the valid events
//! behind it on the same partition are still processed.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::Stack;
use e2e::api::id_of;
use serde_json::{Value, json};
use todo_domain::Topic;

const WAIT: Duration = Duration::from_secs(30);

/// A unique event id, to find this test's poison event among others'.
fn marker() -> String {
    format!("poison-{}", uuid::Uuid::new_v4().simple())
}

/// Checks that each of `consumers` logged why it refused the event
/// `event_id`, and that `dlq` holds one copy per consumer (keyed `key`).
async fn dead_lettered(
    stack: &Stack,
    consumers: &[&str],
    dlq: &str,
    key: &str,
    event_id: &str,
    reason: &str,
) -> Result<()> {
    for consumer in consumers {
        let lines = stack
            .logged(
                consumer,
                "dropping invalid event to the dead-letter topic",
                ("event_id", event_id),
                1,
                WAIT,
            )
            .await?;
        ensure!(
            lines[0]["reason"]
                .as_str()
                .is_some_and(|r| r.contains(reason)),
            "{consumer} logged another reason: {:#?}",
            lines
        );
    }
    // Read back after the republish window (`e2e::once`); the copies share
    // the event's id, so the rule's key is the consumer: one copy each.
    let copies: Vec<Value> = stack
        .settled_records(dlq, &[key], consumers.len(), WAIT)
        .await?
        .into_iter()
        .map(|(_, record)| record)
        .filter(|r| r["data"]["event_id"] == event_id)
        .collect();
    ensure!(
        copies.len() == consumers.len(),
        "expected one copy per consumer in {dlq}, got {copies:#?}"
    );
    Ok(())
}

#[tokio::test]
async fn an_event_without_a_user_id_is_dead_lettered_and_its_partition_keeps_flowing() -> Result<()>
{
    let stack = Stack::from_env()?;
    let user = stack.new_user("poison");
    let poison_id = marker();
    // A task event in every respect but its missing user id, keyed like the
    // user's own events, so it sits in front of them on their partition.
    let poison = json!({
        "event_id": poison_id, "event_type": "task.completed", "schema_version": 1,
        "task_id": 1, "task_version": 2, "seq": 1, "occurred_at": "2027-01-01T00:00:00Z",
        "task": {"id": 1, "title": "no owner"}
    });
    stack
        .publish_via("recurring", Topic::TaskEvents.name(), &user, &poison)
        .await?;

    // The user's valid events behind it: created, completed (recurring makes
    // the next instance), created with a reminder (notifier schedules it).
    let task = stack
        .create_task(
            &user,
            json!({"title": "After the poison", "due_date": "2027-06-01",
                   "recurrence": {"frequency": "daily"}}),
        )
        .await?;
    stack.complete(&user, id_of(&task)).await?;
    stack
        .create_task(
            &user,
            json!({"title": "Remind me", "reminders": [{"remind_at": "2027-06-01T09:00:00Z"}]}),
        )
        .await?;

    dead_lettered(
        &stack,
        &["recurring", "notifier", "audit"],
        Topic::TaskEvents.dead_letter(),
        &user,
        &poison_id,
        "user_id",
    )
    .await?;

    // audit recorded the valid events (and the next instance's creation).
    let entries = stack
        .eventually("the valid events in the audit log", WAIT, || async {
            let items = stack.audit(&user, "").await?;
            Ok((items.len() >= 4).then_some(items))
        })
        .await?;
    ensure!(entries.iter().all(|e| e["id"] != poison_id.as_str()));
    // recurring created the next instance.
    let tasks = stack.all_tasks(&user).await?;
    ensure!(
        tasks
            .iter()
            .any(|t| t["series_id"] == task["series_id"] && t["occurrence"] == 2),
        "no next instance: {tasks:#?}"
    );
    // notifier scheduled the reminder.
    stack
        .logged_once("notifier", "reminder scheduled", ("user_id", &user))
        .await?;
    Ok(())
}

#[tokio::test]
async fn an_invalid_reminder_event_is_dead_lettered_by_its_consumers() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("badreminder");
    let poison_id = marker();
    // A reminder.due of a schema this version does not read.
    let poison = json!({
        "event_id": poison_id, "event_type": "reminder.due", "schema_version": 99,
        "user_id": user, "task_id": 1, "task_version": 1, "reminder_id": 1,
        "remind_at": "2027-01-01T09:00:00Z", "occurrence": 1, "title": "?",
        "due_date": null, "occurred_at": "2027-01-01T09:00:00Z"
    });
    stack
        .publish_via("notifier", Topic::Reminders.name(), &user, &poison)
        .await?;
    dead_lettered(
        &stack,
        &["notifier", "audit"],
        Topic::Reminders.dead_letter(),
        &user,
        &poison_id,
        "schema_version",
    )
    .await?;
    let notifications = stack.notifications(&user).await?;
    ensure!(notifications.is_empty(), "{notifications:#?}");
    let entries = stack.audit(&user, "").await?;
    ensure!(entries.is_empty(), "{entries:#?}");
    Ok(())
}

#[tokio::test]
async fn every_consumer_subscribes_with_a_dead_letter_topic() -> Result<()> {
    // What the sidecars were told at start-up (their metadata API lists the
    // subscriptions they hold): every subscription names its topic's
    // dead-letter topic, so exhausted retries and DROP end there.
    let stack = Stack::from_env()?;
    for app in ["recurring", "notifier", "audit"] {
        let metadata = stack.sidecar_metadata(app).await?;
        let list = &metadata["subscriptions"];
        let subs = list.as_array().context("a subscription list")?;
        ensure!(!subs.is_empty(), "{app} subscribes to nothing");
        for sub in subs {
            let topic = sub["topic"].as_str().context("a topic")?;
            ensure!(
                sub["deadLetterTopic"] == format!("{topic}-dlq"),
                "{app}'s subscription to {topic} has no dead-letter topic: {sub}"
            );
        }
    }
    Ok(())
}
