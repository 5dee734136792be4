//! Every change publishes exactly one `task-events` message and one
//! `task-updates` message, read back from the real Kafka broker (and the
//! device update from the user's WebSocket); refused or empty requests
//! publish nothing.

use std::time::Duration;

use anyhow::{Result, ensure};
use e2e::api::id_of;
use e2e::{Stack, next_json};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_domain::Topic;

const KAFKA_WAIT: Duration = Duration::from_secs(40);

#[tokio::test]
async fn every_change_publishes_one_task_event_and_one_device_update_in_order() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("events");
    let client = stack.as_user(&user);
    let mut socket = stack.connect(&user, "").await?;

    let task = stack
        .create_task(&user, json!({"title": "Report", "due_date": "2030-01-10"}))
        .await?;
    let id = id_of(&task);
    let path = format!("/tasks/{id}");
    let changes: [(Method, String, Option<Value>); 7] = [
        (
            Method::PATCH,
            path.clone(),
            Some(json!({"title": "Quarterly report", "priority": "high"})),
        ),
        (
            Method::PUT,
            path.clone(),
            Some(
                json!({"title": "Quarterly report", "priority": "high", "due_date": "2030-01-10", "tags": ["work"]}),
            ),
        ),
        (
            Method::POST,
            "/tasks/reminder".into(),
            Some(json!({"task_id": id, "before_due": "PT30M"})),
        ),
        (
            Method::PATCH,
            format!("{path}/due-date"),
            Some(json!({"due_date": "2030-01-12"})),
        ),
        (Method::PATCH, format!("{path}/complete"), None),
        (Method::PATCH, format!("{path}/complete"), None),
        (Method::DELETE, path.clone(), None),
    ];
    for (method, target, body) in changes {
        let reply = client.send(method.clone(), &target, body).await?;
        ensure!(
            reply.status.is_success(),
            "{method} {target}: {} {}",
            reply.status,
            reply.body
        );
        if method != Method::DELETE {
            // Requests that change nothing publish nothing.
            let unchanged = client.patch(&path, json!({})).await?;
            ensure!(unchanged.status == StatusCode::OK, "{:?}", unchanged.body);
        }
    }

    let expected_types = [
        "task.created",
        "task.updated",
        "task.updated",
        "task.updated",
        "task.updated",
        "task.completed",
        "task.updated",
        "task.deleted",
    ];
    let events = stack
        .published(
            Topic::TaskEvents.name(),
            &user,
            expected_types.len(),
            KAFKA_WAIT,
        )
        .await?;
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        types, expected_types,
        "exactly one task event per change, in order"
    );
    for (n, event) in events.iter().enumerate() {
        let n = n as u64 + 1;
        assert_eq!(event["seq"], n, "the user's sequence counts every change");
        assert_eq!(event["user_id"], user.as_str());
        assert_eq!(event["task_id"], id);
        assert_eq!(event["schema_version"], 1);
        assert_eq!(
            event["task_version"], n,
            "each change is the task's next version"
        );
        assert_eq!(event["task"]["id"], id, "events carry the whole task");
        assert!(event["occurred_at"].is_string());
    }
    assert_eq!(
        events[1]["changes"]["title"],
        json!(["Report", "Quarterly report"]),
        "updates carry {{field: [old, new]}}"
    );
    assert_eq!(events[1]["changes"]["priority"], json!(["medium", "high"]));
    assert_eq!(events[5]["changes"]["completed"], json!([false, true]));
    assert_eq!(
        events[7]["task"]["title"], "Quarterly report",
        "a delete carries the last state"
    );

    let updates = stack
        .published(
            Topic::TaskUpdates.name(),
            &user,
            expected_types.len(),
            KAFKA_WAIT,
        )
        .await?;
    let update_ids: Vec<&str> = updates
        .iter()
        .filter_map(|u| u["event_id"].as_str())
        .collect();
    let event_id_list: Vec<&str> = events
        .iter()
        .filter_map(|e| e["event_id"].as_str())
        .collect();
    assert_eq!(
        update_ids, event_id_list,
        "exactly one device update per change, in the same order"
    );
    for (update, event) in updates.iter().zip(&events) {
        assert_eq!(update["type"], event["event_type"]);
        assert_eq!(update["seq"], event["seq"]);
        assert_eq!(update["task"], event["task"]);
    }

    // The same updates reached the user's device, in order.
    let mut seen = Vec::new();
    while seen.len() < expected_types.len() {
        let frame = next_json(&mut socket, Duration::from_secs(20)).await?;
        seen.push((frame["type"].clone(), frame["seq"].clone()));
    }
    let expected_frames: Vec<(Value, Value)> = events
        .iter()
        .map(|e| (e["event_type"].clone(), e["seq"].clone()))
        .collect();
    assert_eq!(seen, expected_frames);
    Ok(())
}

#[tokio::test]
async fn refused_requests_publish_nothing_and_use_no_sequence_number() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("no-events");
    let id = id_of(&stack.create_task(&user, json!({"title": "Only"})).await?);
    let path = format!("/tasks/{id}");
    let refused: [(Method, String, Option<Value>); 6] = [
        (Method::POST, "/tasks".into(), Some(json!({"title": ""}))),
        (
            Method::PATCH,
            path.clone(),
            Some(json!({"priority": "asap"})),
        ),
        (
            Method::PUT,
            path.clone(),
            Some(json!({"title": "x", "version": 7})),
        ),
        (
            Method::PATCH,
            "/tasks/99".into(),
            Some(json!({"title": "x"})),
        ),
        (
            Method::POST,
            "/tasks".into(),
            Some(json!({"title": "x", "parent_task_id": 42})),
        ),
        (Method::DELETE, "/tasks/99".into(), None),
    ];
    for (method, target, body) in refused {
        let reply = stack
            .as_user(&user)
            .send(method.clone(), &target, body)
            .await?;
        ensure!(
            reply.status.is_client_error(),
            "{method} {target} should be refused: {} {}",
            reply.status,
            reply.body
        );
    }
    let renamed = stack
        .as_user(&user)
        .patch(&path, json!({"title": "Renamed"}))
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(renamed["version"], 2);

    let events = stack
        .published(Topic::TaskEvents.name(), &user, 2, KAFKA_WAIT)
        .await?;
    let seqs: Vec<&Value> = events.iter().map(|e| &e["seq"]).collect();
    assert_eq!(
        seqs,
        [&json!(1), &json!(2)],
        "only the two real changes were published, numbered 1 and 2"
    );
    assert_eq!(events[1]["changes"]["title"], json!(["Only", "Renamed"]));
    Ok(())
}
