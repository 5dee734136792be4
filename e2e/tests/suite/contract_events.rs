//! The AsyncAPI contract (docs/asyncapi.yaml) on the real stack: real
//! changes through the API produce records on Kafka, read back with Kafka's
//! own console consumer; each record's value must be Dapr's CloudEvent
//! envelope as documented, and its `data` must match exactly one message of
//! the topic's channel (JSON Schema, formats asserted). Every message type
//! of task-events, task-updates and reminders is produced and checked.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::Stack;
use e2e::api::id_of;
use e2e::schema::SchemaDoc;
use reqwest::StatusCode;
use serde_json::{Value, json};
use todo_domain::Topic;

const ASYNCAPI: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../docs/asyncapi.yaml"
));

fn asyncapi() -> Result<SchemaDoc> {
    let doc: Value = serde_norway::from_str(ASYNCAPI).context("docs/asyncapi.yaml is not YAML")?;
    ensure!(doc["asyncapi"] == "3.0.0", "not an AsyncAPI 3.0 document");
    // AsyncAPI's default schema format is JSON Schema draft-07 (a superset).
    SchemaDoc::new("urn:todo:asyncapi", doc, jsonschema::Draft::Draft7)
}

/// The channel (its key in `channels`) whose address is `topic`.
fn channel_of<'a>(doc: &'a Value, topic: &str) -> Result<&'a str> {
    doc["channels"]
        .as_object()
        .into_iter()
        .flatten()
        .find(|(_, channel)| channel["address"] == topic)
        .map(|(name, _)| name.as_str())
        .with_context(|| format!("no channel has the address {topic}"))
}

/// The name of the one message of `topic`'s channel whose payload `data`
/// matches; fails when none or several do.
fn message_of(api: &SchemaDoc, topic: &str, data: &Value) -> Result<String> {
    let channel = channel_of(api.doc(), topic)?;
    let messages = api.doc()["channels"][channel]["messages"]
        .as_object()
        .with_context(|| format!("channel {channel} lists no messages"))?;
    let mut matching = Vec::new();
    let mut failures = Vec::new();
    for name in messages.keys() {
        let (message, _) = api.resolve(&format!("/channels/{channel}/messages/{name}"))?;
        match api.check(
            &format!("{message}/payload"),
            data,
            &format!("{topic} {name}"),
        ) {
            Ok(()) => matching.push(name.clone()),
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    ensure!(
        matching.len() == 1,
        "a {topic} payload must match exactly one message of its channel, matched {matching:?}:\n{}",
        failures.join("\n")
    );
    Ok(matching.remove(0))
}

#[test]
fn the_asyncapi_document_describes_every_topic_and_its_schemas_compile() -> Result<()> {
    let api = asyncapi()?;
    for topic in [
        Topic::TaskEvents.name(),
        Topic::TaskUpdates.name(),
        Topic::Reminders.name(),
        Topic::TaskEvents.dead_letter(),
        Topic::TaskUpdates.dead_letter(),
        Topic::Reminders.dead_letter(),
    ] {
        let channel = channel_of(api.doc(), topic)?;
        for name in api.doc()["channels"][channel]["messages"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, _)| name)
        {
            let (message, _) = api.resolve(&format!("/channels/{channel}/messages/{name}"))?;
            api.validator(&format!("{message}/payload"))?;
        }
    }
    api.validator("/components/schemas/DaprCloudEvent")?;
    Ok(())
}

#[tokio::test]
async fn real_events_on_kafka_match_the_asyncapi_document() -> Result<()> {
    let api = asyncapi()?;
    let stack = Stack::from_env()?;
    let user = stack.new_user("asyncapi");
    let client = stack.as_user(&user);

    // Seven changes: three creates, an update, a completion (whose recurring
    // task gets its next instance from the recurring service) and a delete;
    // plus a reminder two seconds out.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    let recurring = stack
        .create_task(
            &user,
            json!({"title": "Water plants", "due_date": tomorrow.to_string(), "tags": ["Home"],
                   "recurrence": {"frequency": "weekly", "by_day": ["MO", "TH"]},
                   "reminders": [{"before_due": "PT30M"}]}),
        )
        .await?;
    let remind_at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    stack
        .create_task(
            &user,
            json!({"title": "Call the bank", "priority": "urgent", "reminders": [{"remind_at": remind_at}]}),
        )
        .await?;
    let doomed = stack
        .create_task(&user, json!({"title": "Old idea", "category": "Someday"}))
        .await?;
    let recurring_id = id_of(&recurring);
    client
        .patch(
            &format!("/tasks/{recurring_id}"),
            json!({"priority": "high", "description": "the balcony too"}),
        )
        .await?
        .expect(StatusCode::OK)?;
    client
        .patch(
            &format!("/tasks/{recurring_id}/complete"),
            json!({"completed": true}),
        )
        .await?
        .expect(StatusCode::OK)?;
    client
        .delete(&format!("/tasks/{}", id_of(&doomed)))
        .await?
        .expect(StatusCode::NO_CONTENT)?;
    stack
        .eventually(
            "the next instance and the notification",
            Duration::from_secs(40),
            || async {
                let tasks = stack.all_tasks(&user).await?;
                let notified = !stack.notifications(&user).await?.is_empty();
                Ok((tasks.len() == 3 && notified).then_some(()))
            },
        )
        .await?;

    // Each event once, by the one rule of `e2e::once`.
    let timeout = Duration::from_secs(60);
    let (stack, user) = (&stack, user.as_str());
    let records = |topic, expected| async move {
        let records = stack.events_once(topic, &[user], expected, timeout).await?;
        anyhow::Ok(
            records
                .into_iter()
                .map(|(_, value)| value)
                .collect::<Vec<_>>(),
        )
    };
    let (events, updates, reminders) = tokio::try_join!(
        records(Topic::TaskEvents.name(), 7),
        records(Topic::TaskUpdates.name(), 8),
        records(Topic::Reminders.name(), 1),
    )?;

    let mut seen = BTreeSet::new();
    for (topic, records) in [
        (Topic::TaskEvents.name(), &events),
        (Topic::TaskUpdates.name(), &updates),
        (Topic::Reminders.name(), &reminders),
    ] {
        for envelope in records {
            api.check(
                "/components/schemas/DaprCloudEvent",
                envelope,
                &format!("a {topic} record"),
            )?;
            ensure!(envelope["topic"] == topic, "{envelope}");
            let data = &envelope["data"];
            ensure!(data["user_id"] == user, "keyed by its user: {data}");
            let message = message_of(&api, topic, data)?;
            let publisher = match message.as_str() {
                "notificationUpdate" | "reminderDue" => "notifier",
                _ => "todo-api",
            };
            ensure!(
                envelope["source"] == publisher,
                "{message} is published by {publisher}: {envelope}"
            );
            seen.insert(format!("{topic}/{message}"));
        }
    }
    let every_message: BTreeSet<String> = [
        "task-events/taskCreated",
        "task-events/taskUpdated",
        "task-events/taskCompleted",
        "task-events/taskDeleted",
        "task-updates/taskUpdate",
        "task-updates/notificationUpdate",
        "reminders/reminderDue",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    ensure!(
        seen == every_message,
        "every message of the three topics is produced: {seen:?}"
    );

    // Per-user order: one partition, so seq 1..=7 in log order.
    let seqs: Vec<u64> = events
        .iter()
        .filter_map(|e| e["data"]["seq"].as_u64())
        .collect();
    ensure!(
        seqs == (1..=7).collect::<Vec<_>>(),
        "seq in order: {seqs:?}"
    );
    Ok(())
}

/// A poison task event is dead-lettered as the document says: the source
/// record's envelope, unchanged, on `task-events-dlq` under the same key.
#[tokio::test]
async fn a_dead_letter_keeps_the_envelope_the_asyncapi_document_describes() -> Result<()> {
    let api = asyncapi()?;
    let stack = Stack::from_env()?;
    let key = stack.new_user("asyncapi-poison");
    let poison = json!({"event_id": format!("poison-{key}"), "event_type": "task.created",
                        "schema_version": 1, "task_id": 1});
    stack
        .publish_via("todo-api", Topic::TaskEvents.name(), &key, &poison)
        .await?;
    // One copy per consumer of task-events (audit, notifier, recurring).
    let letters = stack
        .first_records(
            Topic::TaskEvents.dead_letter(),
            &key,
            3,
            Duration::from_secs(60),
        )
        .await?;
    ensure!(
        !letters.is_empty(),
        "the poison event was not dead-lettered"
    );
    for letter in &letters {
        api.check(
            "/components/schemas/DaprCloudEvent",
            letter,
            "a task-events-dlq record",
        )?;
        ensure!(
            letter["topic"] == Topic::TaskEvents.name() && letter["data"] == poison,
            "the source record, unchanged: {letter}"
        );
        ensure!(
            message_of(&api, Topic::TaskEvents.dead_letter(), &letter["data"])? == "deadLetter",
            "a dead letter"
        );
    }
    Ok(())
}
