//! The walking skeleton: one request crosses every real part.

use std::time::Duration;

use anyhow::Result;
use e2e::{Stack, next_about};
use serde_json::json;

#[tokio::test]
async fn a_created_task_reaches_the_audit_log_and_the_users_websocket() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("skeleton");
    let mut socket = stack.connect(&user, "").await?;

    let task = stack
        .create_task(&user, json!({"title": "Walk the skeleton"}))
        .await?;
    let id = task["id"].as_u64().expect("a created task has an id");
    assert_eq!(task["title"], "Walk the skeleton");
    assert_eq!(task["version"], 1);

    // todo-api -> Kafka (task-updates) -> realtime's daprd -> realtime -> this socket.
    let frame = next_about(&mut socket, "task.created", id, Duration::from_secs(20)).await?;
    assert_eq!(frame["task"]["title"], "Walk the skeleton");
    assert!(
        frame["seq"].as_u64().is_some(),
        "task updates carry the user's sequence number"
    );

    // todo-api -> Kafka (task-events) -> audit's daprd -> audit -> audit's store,
    // read back through todo-api -> service invocation -> audit.
    let entry = stack
        .eventually(
            "the audit entry of the created task",
            Duration::from_secs(20),
            || async {
                let page = stack
                    .get_json(&user, &format!("/audit?task_id={id}"))
                    .await?;
                Ok(page["items"]
                    .as_array()
                    .and_then(|items| items.iter().find(|e| e["type"] == "task.created").cloned()))
            },
        )
        .await?;
    assert_eq!(entry["user_id"], user.as_str());
    assert_eq!(entry["task_id"], id);
    Ok(())
}

#[tokio::test]
async fn another_users_socket_never_sees_the_change() -> Result<()> {
    let stack = Stack::from_env()?;
    let (alice, bob) = (stack.new_user("alice"), stack.new_user("bob"));
    let mut alice_socket = stack.connect(&alice, "").await?;
    let mut bob_socket = stack.connect(&bob, "").await?;

    let task = stack
        .create_task(&alice, json!({"title": "private"}))
        .await?;
    let id = task["id"].as_u64().expect("id");
    next_about(
        &mut alice_socket,
        "task.created",
        id,
        Duration::from_secs(20),
    )
    .await?;
    let leaked = e2e::next_json(&mut bob_socket, Duration::from_secs(2)).await;
    assert!(leaked.is_err(), "bob received alice's update: {leaked:?}");
    Ok(())
}

#[tokio::test]
async fn every_service_answers_its_health_check() -> Result<()> {
    let stack = Stack::from_env()?;
    let realtime_http = stack.realtime.replacen("ws://", "http://", 1);
    for url in [
        format!("{}/healthz", stack.api),
        format!("{}/healthz", stack.app_url("recurring")?),
        format!("{}/healthz", stack.app_url("notifier")?),
        format!("{}/healthz", stack.app_url("audit")?),
        format!("{realtime_http}/healthz"),
    ] {
        let status = stack.raw(reqwest::Method::GET, &url).send().await?.status();
        assert_eq!(status, 200, "{url}");
    }
    Ok(())
}
