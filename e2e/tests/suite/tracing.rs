//! W3C trace context on the real stack: a client's `traceparent` follows a
//! change through todo-api's sidecar onto Kafka, through recurring, and
//! back through service invocation into the next instance's events.

use std::time::Duration;

use anyhow::{Context, Result};
use e2e::Stack;
use e2e::api::id_of;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_domain::Topic;

const WAIT: Duration = Duration::from_secs(30);

/// The trace id of a Dapr CloudEvent envelope read back from Kafka.
fn trace_id(envelope: &Value) -> Option<&str> {
    envelope["traceparent"].as_str()?.split('-').nth(1)
}

#[tokio::test]
async fn a_clients_trace_reaches_kafka_and_the_next_recurring_instance() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("trace");
    let trace = uuid::Uuid::new_v4().simple().to_string();
    let traceparent = format!("00-{trace}-00f067aa0ba902b7-01");

    let task = stack
        .request(Method::POST, &user, "/tasks")
        .header("traceparent", &traceparent)
        .json(&json!({
            "title": "traced",
            "due_date": "2031-03-03",
            "recurrence": {"frequency": "daily"}
        }))
        .send()
        .await?
        .expect(StatusCode::CREATED)?;
    // The completion, with the same trace, makes recurring create the next
    // instance: its events are published while serving recurring's
    // invocation, which daprd delivered with the trace of the completion.
    stack
        .request(
            Method::PATCH,
            &user,
            &format!("/tasks/{}/complete", id_of(&task)),
        )
        .header("traceparent", &traceparent)
        .json(&json!({"completed": true}))
        .send()
        .await?
        .expect(StatusCode::OK)?;

    let records = stack
        .first_records(Topic::TaskEvents.name(), &user, 3, WAIT)
        .await?;
    let by_type = |kind: &str| {
        records
            .iter()
            .find(|r| r["data"]["event_type"] == kind)
            .with_context(|| format!("no {kind} of {user} on task-events: {records:?}"))
    };
    let created = by_type("task.created")?;
    assert_eq!(created["data"]["task_id"], id_of(&task));
    assert_eq!(trace_id(created), Some(trace.as_str()), "{created}");
    assert_eq!(trace_id(by_type("task.completed")?), Some(trace.as_str()));
    let next = records
        .iter()
        .find(|r| r["data"]["event_type"] == "task.created" && r["data"]["task_id"] != id_of(&task))
        .context("the next instance's task.created")?;
    assert_eq!(
        trace_id(next),
        Some(trace.as_str()),
        "the next instance belongs to the completion's trace: {next}"
    );
    Ok(())
}

#[tokio::test]
async fn a_request_without_trace_context_gets_one_trace_for_its_events() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("untraced");
    stack.create_task(&user, json!({"title": "one"})).await?;
    stack.create_task(&user, json!({"title": "two"})).await?;

    let events = stack
        .first_records(Topic::TaskEvents.name(), &user, 2, WAIT)
        .await?;
    let updates = stack
        .first_records(Topic::TaskUpdates.name(), &user, 2, WAIT)
        .await?;
    let traces: Vec<_> = events.iter().chain(&updates).map(trace_id).collect();
    assert!(traces.iter().all(Option::is_some), "{traces:?}");
    // Each request is one trace: its task-events and task-updates messages
    // share it, and the two requests differ.
    assert_eq!(traces[0], traces[2]);
    assert_eq!(traces[1], traces[3]);
    assert_ne!(traces[0], traces[1]);
    Ok(())
}
