//! The MCP tools on the real stack: an agent manages tasks through
//! `POST /api/{user}/mcp` (JSON-RPC 2.0), with REST's rules and events.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::api::{Reply, id_of};
use e2e::{Stack, next_about};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// One JSON-RPC exchange; the whole response body.
async fn rpc(stack: &Stack, user: &str, message: Value) -> Result<Reply> {
    stack
        .request(Method::POST, user, "/mcp")
        .json(&message)
        .send()
        .await
}

/// Calls a tool and returns its result (`content`, `structuredContent`, `isError`).
async fn call(stack: &Stack, user: &str, tool: &str, arguments: Value) -> Result<Value> {
    let body = rpc(
        stack,
        user,
        json!({"jsonrpc": "2.0", "id": tool, "method": "tools/call",
               "params": {"name": tool, "arguments": arguments}}),
    )
    .await?
    .expect(StatusCode::OK)?;
    ensure!(
        body["id"] == tool,
        "the answer carries the request's id: {body}"
    );
    body.get("result")
        .cloned()
        .with_context(|| format!("{tool}: no result: {body}"))
}

fn refusal_text(result: &Value) -> String {
    assert_eq!(result["isError"], true, "{result}");
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase()
}

#[tokio::test]
async fn an_agent_manages_tasks_with_the_same_rules_and_events_as_rest() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("mcp");
    let mut socket = stack.connect(&user, "").await?;

    let init = rpc(
        &stack,
        &user,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                          "clientInfo": {"name": "e2e", "version": "1"}}}),
    )
    .await?
    .expect(StatusCode::OK)?;
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    assert!(init["result"]["capabilities"]["tools"].is_object());
    let acknowledged = rpc(
        &stack,
        &user,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await?;
    assert_eq!(acknowledged.status, StatusCode::ACCEPTED);

    let tools = rpc(
        &stack,
        &user,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    )
    .await?
    .expect(StatusCode::OK)?;
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .context("tools")?
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for name in [
        "add_task",
        "list_tasks",
        "get_task",
        "update_task",
        "complete_task",
        "delete_task",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }

    let added = call(
        &stack,
        &user,
        "add_task",
        json!({"title": "Buy milk", "priority": "high", "tags": ["Shopping"],
               "due_date": "2031-05-01", "timezone": "Europe/London"}),
    )
    .await?;
    assert_eq!(added["isError"], false, "{added}");
    let task = &added["structuredContent"]["task"];
    let id = id_of(task);
    assert_eq!(task["tags"], json!(["shopping"]), "REST's normalisation");
    // The write is a committed change with its events.
    next_about(&mut socket, "task.created", id, Duration::from_secs(20)).await?;
    let stored = stack.get_json(&user, &format!("/tasks/{id}")).await?;
    assert_eq!(stored["title"], "Buy milk");

    let listed = call(
        &stack,
        &user,
        "list_tasks",
        json!({"q": "MILK", "priority": ["high", "urgent"], "status": "pending"}),
    )
    .await?;
    assert_eq!(listed["structuredContent"]["total"], 1, "{listed}");
    let text: Value = serde_json::from_str(
        listed["content"][0]["text"]
            .as_str()
            .context("text content")?,
    )?;
    assert_eq!(
        text, listed["structuredContent"],
        "the text is the same JSON"
    );

    let updated = call(
        &stack,
        &user,
        "update_task",
        json!({"task_id": id, "title": "Buy oat milk"}),
    )
    .await?;
    assert_eq!(
        updated["structuredContent"]["task"]["title"],
        "Buy oat milk"
    );
    let done = call(&stack, &user, "complete_task", json!({"task_id": id})).await?;
    assert_eq!(done["structuredContent"]["task"]["completed"], true);
    next_about(&mut socket, "task.completed", id, Duration::from_secs(20)).await?;
    call(&stack, &user, "delete_task", json!({"task_id": id})).await?;
    stack
        .as_user(&user)
        .get(&format!("/tasks/{id}"))
        .await?
        .expect_problem(StatusCode::NOT_FOUND, &[])?;
    Ok(())
}

#[tokio::test]
async fn refusals_say_what_to_fix_and_store_nothing() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("mcp-bad");

    // Tool refusals are results the model can act on.
    let empty = call(&stack, &user, "add_task", json!({"title": "  "})).await?;
    assert!(refusal_text(&empty).contains("title"));
    let unknown_priority = call(
        &stack,
        &user,
        "add_task",
        json!({"title": "x", "priority": "critical"}),
    )
    .await?;
    assert!(refusal_text(&unknown_priority).contains("priority"));
    let missing = call(&stack, &user, "update_task", json!({"title": "x"})).await?;
    assert!(refusal_text(&missing).contains("task_id"));
    let absent = call(&stack, &user, "complete_task", json!({"task_id": 999})).await?;
    assert!(refusal_text(&absent).contains("999"));
    let nested = call(&stack, &user, "list_tasks", json!({"tags": [{"a": 1}]})).await?;
    assert!(refusal_text(&nested).contains("tags"));
    assert!(stack.all_tasks(&user).await?.is_empty(), "nothing stored");

    // Malformed messages are JSON-RPC errors; a message that is not
    // JSON-RPC 2.0 at all is refused by the transport too (400).
    for (message, code, status) in [
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "fly"}}),
            -32602,
            StatusCode::OK,
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "resources/list"}),
            -32601,
            StatusCode::OK,
        ),
        (
            json!({"jsonrpc": "1.0", "id": 1, "method": "ping"}),
            -32600,
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let body = rpc(&stack, &user, message.clone()).await?.expect(status)?;
        assert_eq!(body["error"]["code"], code, "{message} -> {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }

    // The transport's own refusals are the API's problem+json.
    stack
        .checked(Method::POST, &format!("{}/api/{user}/mcp", stack.api))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await?
        .expect_problem(StatusCode::UNAUTHORIZED, &[])?;
    stack
        .request(Method::POST, &user, "/mcp")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await?
        .expect_problem(StatusCode::BAD_REQUEST, &[])?;
    Ok(())
}
