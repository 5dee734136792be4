//! Contract test of the chat's language-model path: it proves the wiring,
//! not a model's judgement. A todo-api replica's real daprd loads the real
//! `conversation.openai` component (`chat-model`, its key from the local
//! secret store) pointed at a scripted OpenAI-compatible server on loopback
//! (`e2e::model_server`), which answers from a script and records what it
//! was sent. The test checks what reached "the model" (the MCP tools'
//! schemas, the zone and date, the history, the tool results and refusals)
//! and what came out of it (the task through MCP's validation and committed
//! write, visible to REST, its event on Kafka and in audit, the reply
//! `understood_by: model`). `scripts/stack test` starts the replica
//! (`todo-api-model`; by hand: `CHAT_MODEL_REPLICA=1 scripts/stack start`).

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use chrono::Utc;
use e2e::Stack;
use e2e::model_server::{ScriptedModel, text, tool_call};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_domain::Topic;

/// The todo-api replica with the model components (scripts/lib/ports.txt).
const REPLICA: &str = "todo-api-model";

async fn say(stack: &Stack, user: &str, message: &str) -> Result<Value> {
    let url = format!("{}/api/{user}/chat", stack.app_url(REPLICA)?);
    stack
        .checked(Method::POST, &url)
        .bearer_auth(stack.token(user))
        .json(&json!({"message": message, "conversation_id": "model-1", "timezone": "Europe/London"}))
        .send()
        .await
        .context("the todo-api model replica does not answer: start the stack with 'scripts/stack test' or CHAT_MODEL_REPLICA=1")?
        .expect(StatusCode::OK)
}

/// The text of each message of an OpenAI request (`content` as a string or parts).
fn content(message: &Value) -> String {
    match &message["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect(),
        _ => String::new(),
    }
}

fn messages(request: &Value) -> Vec<Value> {
    request["messages"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_model_adds_a_task_through_the_tools_and_hears_a_refusal() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("chatmodel");
    let model = ScriptedModel::start(
        stack.named_port("chat-model-server")?,
        vec![
            tool_call(
                "call_add",
                "add_task",
                r#"{"title": "call mom", "priority": "high", "tags": ["family"]}"#,
            ),
            text("I added \"call mom\" with high priority."),
            tool_call(
                "call_bad",
                "add_task",
                r#"{"title": "water the plants", "priority": "whenever"}"#,
            ),
            text("I could not add it: the priority was not valid."),
        ],
    )
    .await?;

    // 1. A message; the model calls add_task, then answers in words.
    let first = say(&stack, &user, "please remember to call mom, it's important").await?;
    assert_eq!(first["understood_by"], "model", "{first}");
    assert_eq!(first["reply"], "I added \"call mom\" with high priority.");
    let added = &first["tasks"][0];
    assert_eq!(added["title"], "call mom", "{first}");
    let id = added["id"].as_u64().context("the added task's id")?;

    // The task went through the committed write: REST (the other todo-api
    // instance, same store) shows it, its event is on Kafka and in audit.
    let stored = stack.get_json(&user, &format!("/tasks/{id}")).await?;
    assert_eq!(stored["title"], "call mom");
    assert_eq!(stored["priority"], "high");
    assert_eq!(stored["tags"], json!(["family"]));
    let events = stack
        .published(Topic::TaskEvents.name(), &user, 1, Duration::from_secs(40))
        .await?;
    ensure!(
        events.len() == 1
            && events[0]["event_type"] == "task.created"
            && events[0]["task_id"] == id,
        "one task.created for #{id} on task-events: {events:#?}"
    );
    stack
        .eventually(
            "audit records the model's task",
            Duration::from_secs(40),
            || async {
                let items = stack.audit(&user, "type=task.created").await?;
                Ok(items.iter().any(|e| e["task_id"] == id).then_some(()))
            },
        )
        .await?;

    // What reached the model. The key came from the secret store.
    let secrets: Value =
        serde_json::from_slice(&std::fs::read(format!("{}/secrets.json", stack.dir))?)?;
    let key = secrets["chat-model-key"]
        .as_str()
        .context("chat-model-key")?;
    let received = model.received();
    ensure!(
        received.len() == 2,
        "two model calls for the first message: {received:#?}"
    );
    for r in &received {
        assert_eq!(r.path, "/v1/chat/completions");
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {key}").as_str())
        );
        assert_eq!(r.body["model"], "scripted-contract-model");
    }
    // The tools are MCP's, with the same schemas.
    let listed = stack
        .request(Method::POST, &user, "/mcp")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await?
        .expect(StatusCode::OK)?;
    let mcp_tools = listed["result"]["tools"].as_array().context("MCP tools")?;
    let sent_tools = received[0].body["tools"].as_array().context("tools sent")?;
    assert_eq!(sent_tools.len(), mcp_tools.len(), "{sent_tools:#?}");
    for tool in mcp_tools {
        let sent = sent_tools
            .iter()
            .find(|t| t["function"]["name"] == tool["name"])
            .with_context(|| format!("tool {} not sent to the model", tool["name"]))?;
        assert_eq!(sent["type"], "function");
        assert_eq!(
            sent["function"]["parameters"], tool["inputSchema"],
            "{}",
            tool["name"]
        );
    }
    // The zone and today's date there, then the message.
    let first_call = messages(&received[0].body);
    let system = content(&first_call[0]);
    assert_eq!(first_call[0]["role"], "system");
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .format("%A %-d %B %Y")
        .to_string();
    ensure!(
        system.contains("Europe/London") && system.contains(&today),
        "the zone and '{today}' in the instructions: {system}"
    );
    let last = first_call.last().context("a message")?;
    assert_eq!(last["role"], "user");
    assert_eq!(content(last), "please remember to call mom, it's important");
    // The second call carries the tool call and its result (the task).
    let second_call = messages(&received[1].body);
    let asked = second_call
        .iter()
        .find(|m| m["role"] == "assistant" && m["tool_calls"].is_array())
        .context("the assistant's tool call is sent back")?;
    assert_eq!(asked["tool_calls"][0]["id"], "call_add");
    let result = second_call
        .iter()
        .find(|m| m["role"] == "tool")
        .context("a tool result")?;
    assert_eq!(result["tool_call_id"], "call_add");
    let result: Value = serde_json::from_str(&content(result))?;
    assert_eq!(result["task"]["id"], id, "{result}");

    // 2. The next message: the model sees the history; its invalid call is
    // refused by MCP's validation and goes back to it with the reason.
    let second = say(&stack, &user, "and water the plants whenever").await?;
    assert_eq!(second["understood_by"], "model", "{second}");
    assert_eq!(
        second["reply"],
        "I could not add it: the priority was not valid."
    );
    assert_eq!(second["tasks"], json!([]), "{second}");
    let received = model.received();
    ensure!(received.len() == 4, "two more model calls: {received:#?}");
    let third_call = messages(&received[2].body);
    let said: Vec<(String, String)> = third_call
        .iter()
        .map(|m| (m["role"].as_str().unwrap_or("").to_owned(), content(m)))
        .collect();
    for turn in [
        ("user", "please remember to call mom, it's important"),
        ("assistant", "I added \"call mom\" with high priority."),
        ("user", "and water the plants whenever"),
    ] {
        ensure!(
            said.iter().any(|(r, c)| r == turn.0 && c == turn.1),
            "the history has {turn:?}: {said:#?}"
        );
    }
    let refusal = messages(&received[3].body)
        .into_iter()
        .find(|m| m["role"] == "tool" && m["tool_call_id"] == "call_bad")
        .context("the refused call's result")?;
    let refusal: Value = serde_json::from_str(&content(&refusal))?;
    assert_eq!(refusal["isError"], true, "{refusal}");
    ensure!(
        refusal["refused"]
            .as_str()
            .unwrap_or("")
            .contains("priority"),
        "the reason names the field: {refusal}"
    );
    let all = stack.all_tasks(&user).await?;
    ensure!(all.len() == 1, "the refused call wrote nothing: {all:#?}");
    assert_eq!(model.unsent(), 0);
    Ok(())
}

/// The echo component answers through the replica's sidecar (connectivity
/// of the Conversation API), and the main todo-api's sidecar has no model,
/// so the other chat tests are answered by the grammar.
#[tokio::test]
async fn the_echo_component_answers_and_only_the_replica_has_a_model() -> Result<()> {
    let stack = Stack::from_env()?;
    let sidecar = stack.sidecar_url(REPLICA)?;
    let answer: Value = stack
        .raw(Method::POST, &format!("{sidecar}/v1.0-alpha2/conversation/chat-echo/converse"))
        .json(&json!({"inputs": [{"messages": [{"ofUser": {"content": [{"text": "ping from the contract test"}]}}]}]}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    assert_eq!(
        answer["outputs"][0]["choices"][0]["message"]["content"], "ping from the contract test",
        "{answer}"
    );
    let conversation_components = |metadata: &Value| -> Vec<String> {
        metadata["components"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| {
                c["type"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("conversation.")
            })
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect()
    };
    let replica = stack.sidecar_metadata(REPLICA).await?;
    let mut names = conversation_components(&replica);
    names.sort();
    assert_eq!(names, ["chat-echo", "chat-model"], "{replica}");
    let main = stack.sidecar_metadata("todo-api").await?;
    assert_eq!(
        conversation_components(&main),
        Vec::<String>::new(),
        "{main}"
    );
    Ok(())
}
