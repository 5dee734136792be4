//! The chat endpoint on the real stack: every reply is checked against the
//! tasks the REST API shows, and the conversation's memory (kept in Dapr
//! state, since every request runs in a fresh component instance) carries
//! "the second one" and "it" across requests.

use anyhow::{Result, ensure};
use e2e::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Sends one message and returns the answer; fails unless 200.
async fn say(stack: &Stack, user: &str, conversation: &str, message: &str) -> Result<Value> {
    let response = stack
        .request(Method::POST, user, "/chat")
        .json(&json!({
            "message": message,
            "conversation_id": conversation,
            "timezone": "Europe/London"
        }))
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    ensure!(
        status == StatusCode::OK,
        "'{message}' answered {status}: {body}"
    );
    Ok(body)
}

async fn task_titled(stack: &Stack, user: &str, title: &str) -> Result<Value> {
    let page = stack.get_json(user, "/tasks?status=all").await?;
    page["items"]
        .as_array()
        .and_then(|items| items.iter().find(|t| t["title"] == title).cloned())
        .ok_or_else(|| anyhow::anyhow!("no task titled '{title}' in {page}"))
}

#[tokio::test]
async fn a_conversation_adds_lists_and_changes_tasks() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("chat");
    let chat = "kitchen-1";

    let added = say(
        &stack,
        &user,
        chat,
        "add buy milk tomorrow at 5pm #shopping urgent",
    )
    .await?;
    assert_eq!(added["intent"], "add");
    assert!(
        added["reply"].as_str().unwrap_or("").starts_with("Added #"),
        "{added}"
    );
    let milk = task_titled(&stack, &user, "buy milk").await?;
    assert_eq!(milk["priority"], "urgent");
    assert_eq!(milk["tags"], json!(["shopping"]));
    assert_eq!(milk["timezone"], "Europe/London");
    assert!(
        milk["due_date"]
            .as_str()
            .unwrap_or("")
            .contains("T17:00:00"),
        "{milk}"
    );

    say(&stack, &user, chat, "add call the bank").await?;
    let listed = say(&stack, &user, chat, "show my tasks").await?;
    assert_eq!(listed["intent"], "list");
    let shown: Vec<&str> = listed["tasks"]
        .as_array()
        .map(|ts| ts.iter().filter_map(|t| t["title"].as_str()).collect())
        .unwrap_or_default();
    // Sorted by due date, undated last.
    assert_eq!(shown, ["buy milk", "call the bank"]);

    // "the second one" is resolved from the list kept in Dapr state.
    let done = say(&stack, &user, chat, "complete the second one").await?;
    assert_eq!(done["tasks"][0]["title"], "call the bank", "{done}");
    assert_eq!(
        task_titled(&stack, &user, "call the bank").await?["completed"],
        true
    );

    // "it" is the task touched last.
    say(&stack, &user, chat, "reopen it").await?;
    assert_eq!(
        task_titled(&stack, &user, "call the bank").await?["completed"],
        false
    );

    let moved = say(&stack, &user, chat, "move buy milk to friday at 9am").await?;
    assert_eq!(moved["intent"], "update");
    let milk = task_titled(&stack, &user, "buy milk").await?;
    assert!(
        milk["due_date"]
            .as_str()
            .unwrap_or("")
            .contains("T09:00:00"),
        "{milk}"
    );

    let deleted = say(&stack, &user, chat, "delete buy milk").await?;
    assert!(
        deleted["reply"]
            .as_str()
            .unwrap_or("")
            .starts_with("Deleted"),
        "{deleted}"
    );
    assert!(task_titled(&stack, &user, "buy milk").await.is_err());
    Ok(())
}

#[tokio::test]
async fn another_conversation_has_its_own_memory() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("chat");
    say(&stack, &user, "first", "add water plants").await?;
    say(&stack, &user, "first", "list tasks").await?;
    let elsewhere = say(&stack, &user, "second", "complete the first one").await?;
    assert!(
        elsewhere["reply"]
            .as_str()
            .unwrap_or("")
            .starts_with("I couldn't find"),
        "{elsewhere}"
    );
    assert_eq!(
        task_titled(&stack, &user, "water plants").await?["completed"],
        false
    );
    Ok(())
}

#[tokio::test]
async fn unclear_or_ambiguous_messages_are_answered_not_guessed() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("chat");
    let chat = "c";
    say(&stack, &user, chat, "add buy milk").await?;
    say(&stack, &user, chat, "add buy bread").await?;
    let which = say(&stack, &user, chat, "complete buy").await?;
    assert!(
        which["reply"]
            .as_str()
            .unwrap_or("")
            .starts_with("Which one"),
        "{which}"
    );
    // The choice offered becomes the list "the first one" refers to.
    say(&stack, &user, chat, "complete the first one").await?;
    assert_eq!(
        task_titled(&stack, &user, "buy milk").await?["completed"],
        true
    );

    let lost = say(&stack, &user, chat, "the weather is nice").await?;
    assert_eq!(lost["intent"], "not_understood");
    let empty_title = say(&stack, &user, chat, "add tomorrow").await?;
    assert!(
        empty_title["reply"]
            .as_str()
            .unwrap_or("")
            .contains("title"),
        "{empty_title}"
    );
    Ok(())
}

#[tokio::test]
async fn bad_chat_requests_are_problems() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("chat");
    for body in [
        json!({}),
        json!({"message": ""}),
        json!({"message": "x".repeat(2_001)}),
        json!({"message": "hi", "conversation_id": "no spaces allowed"}),
        json!({"message": "hi", "timezone": "Mars/Base"}),
        json!({"message": "hi", "mood": "happy"}),
    ] {
        let response = stack
            .request(Method::POST, &user, "/chat")
            .json(&body)
            .send()
            .await?;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let content_type = response.headers()["content-type"].to_str()?.to_owned();
        assert_eq!(content_type, "application/problem+json");
    }
    let page = stack.get_json(&user, "/tasks").await?;
    assert_eq!(page["total"], 0);
    Ok(())
}
