//! A language model, when the operator configured one: a Dapr conversation
//! component named `chat-model` (its YAML picks the provider: OpenAI,
//! Anthropic, Ollama, ...). The model gets the MCP tools (same schemas; each
//! call runs through `mcp::call_for_model`, so the same validation, writes
//! and events), the conversation's recent turns, and the user's zone and
//! local time. A refused call goes back to the model with its reason.
//!
//! Without the component, or when a call fails or the model does not finish
//! within [`MAX_CALLS`] calls, the grammar answers instead (the reply says
//! so) — unless a tool already changed a task, since the grammar must not
//! make the same change twice.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use service_kit::Problem;
use todo_domain::chat::Conversation;
use todo_domain::{TimeZone, UserId};

use crate::mcp;
use service_kit::Ctx;

/// The conversation component the chat uses when it exists.
pub(super) const COMPONENT: &str = "chat-model";
/// The most model calls one message may take (tool rounds included).
pub(super) const MAX_CALLS: usize = 6;
/// How many past turns the model sees.
const HISTORY: usize = 20;

/// Tools that change tasks (their results are the tasks touched).
const WRITES: &[&str] = &["add_task", "update_task", "complete_task", "delete_task"];

/// Calls the model: one Conversation API request, its JSON answer.
pub(super) trait Model {
    fn converse(&self, request: &Value) -> impl Future<Output = Result<Value, String>>;
}

/// Runs one tool call: its result (or refusal) for the model; an error only
/// when the store itself failed.
pub(super) trait Tools {
    fn call(&self, name: &str, arguments: &Value) -> impl Future<Output = Result<Value, Problem>>;
}

/// How the loop ended.
#[derive(Debug, PartialEq)]
pub(super) enum Ended {
    /// The model answered; `changed` holds the tasks its tool calls wrote.
    Answered { text: String, changed: Vec<Value> },
    /// The model failed or did not finish.
    Failed { reason: String, changed: Vec<Value> },
}

/// The MCP tools in the Conversation API's form.
pub(super) fn tools() -> Vec<Value> {
    mcp::catalog()
        .into_iter()
        .map(|tool| {
            json!({"function": {
                "name": tool["name"],
                "description": tool["description"],
                "parameters": tool["inputSchema"],
            }})
        })
        .collect()
}

fn text(role: &str, text: &str) -> Value {
    json!({ role: {"content": [{"text": text}]} })
}

/// The messages for one user message: instructions with the user's zone
/// and local time, the recent turns, then the message.
pub(super) fn messages(
    conversation: &Conversation,
    message: &str,
    now: DateTime<Utc>,
    tz: &TimeZone,
) -> Vec<Value> {
    let local = tz.local(now);
    let system = format!(
        "You manage the user's to-do list with the tools; every change goes through them. \
         The user's time zone is {zone}; it is now {when} there (today is {day}). \
         Send due dates as RFC 3339 with the offset, or YYYY-MM-DD for an all-day task, and set \
         \"timezone\": \"{zone}\" on dated tasks. If a request is ambiguous, ask instead of \
         guessing. When a tool refuses a call, read the reason and correct the call or tell the \
         user. Answer in one or two sentences that say exactly what you did.",
        zone = tz.name(),
        when = local.format("%Y-%m-%d %H:%M"),
        day = local.format("%A %-d %B %Y"),
    );
    let mut out = vec![text("ofSystem", &system)];
    let skip = conversation.turns.len().saturating_sub(HISTORY);
    for turn in conversation.turns.iter().skip(skip) {
        let role = if turn.role == "user" {
            "ofUser"
        } else {
            "ofAssistant"
        };
        out.push(text(role, &turn.text));
    }
    out.push(text("ofUser", message));
    out
}

/// The loop: ask the model, run the tools it calls, give it their results,
/// until it answers in words (or fails, or runs out of calls).
pub(super) async fn run(
    model: &impl Model,
    tools: &impl Tools,
    mut messages: Vec<Value>,
    definitions: &[Value],
) -> Result<Ended, Problem> {
    let mut changed = Vec::new();
    for _ in 0..MAX_CALLS {
        let request = json!({
            "inputs": [{"messages": messages}],
            "tools": definitions,
            "toolChoice": "auto",
            "temperature": 0,
        });
        let answer = match model.converse(&request).await {
            Ok(answer) => answer,
            Err(reason) => return Ok(Ended::Failed { reason, changed }),
        };
        let message = &answer["outputs"][0]["choices"][0]["message"];
        let content = message["content"].as_str().unwrap_or("").trim().to_owned();
        let calls = message["toolCalls"].as_array().cloned().unwrap_or_default();
        if calls.is_empty() {
            if content.is_empty() {
                return Ok(Ended::Failed {
                    reason: "the model said nothing".into(),
                    changed,
                });
            }
            return Ok(Ended::Answered {
                text: content,
                changed,
            });
        }
        let mut assistant = json!({"toolCalls": calls});
        if !content.is_empty() {
            assistant["content"] = json!([{"text": content}]);
        }
        messages.push(json!({ "ofAssistant": assistant }));
        for call in &calls {
            let id = call["id"].as_str().unwrap_or("");
            let name = call["function"]["name"].as_str().unwrap_or("");
            let raw = call["function"]["arguments"].as_str().unwrap_or("{}");
            let result = match serde_json::from_str::<Value>(if raw.trim().is_empty() {
                "{}"
            } else {
                raw
            }) {
                Ok(arguments) => tools.call(name, &arguments).await?,
                Err(e) => {
                    json!({"isError": true, "refused": format!("the arguments are not JSON: {e}")})
                }
            };
            if WRITES.contains(&name) && result["isError"] != true && result["task"].is_object() {
                changed.push(result["task"].clone());
            }
            messages.push(json!({"ofTool": {
                "toolId": id,
                "name": name,
                "content": [{"text": result.to_string()}],
            }}));
        }
    }
    Ok(Ended::Failed {
        reason: format!("the model did not finish within {MAX_CALLS} calls"),
        changed,
    })
}

/// The model through the sidecar's Conversation API.
pub(super) struct Sidecar<'a>(pub &'a Ctx);

impl Model for Sidecar<'_> {
    async fn converse(&self, request: &Value) -> Result<Value, String> {
        self.0
            .dapr
            .converse_alpha2(COMPONENT, request)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The MCP tools, run for `owner`.
pub(super) struct McpTools<'a> {
    pub ctx: &'a Ctx,
    pub owner: &'a UserId,
}

impl Tools for McpTools<'_> {
    async fn call(&self, name: &str, arguments: &Value) -> Result<Value, Problem> {
        mcp::call_for_model(self.ctx, self.owner, name, arguments).await
    }
}

/// Whether the operator configured a model (a conversation component named
/// [`COMPONENT`]); an unreadable metadata answer counts as none.
pub(super) async fn configured(ctx: &Ctx) -> bool {
    ctx.dapr.components().await.is_ok_and(|components| {
        components
            .iter()
            .any(|c| c.name == COMPONENT && c.kind.starts_with("conversation."))
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// Answers with the scripted responses in order and keeps the requests.
    struct Scripted {
        answers: RefCell<Vec<Result<Value, String>>>,
        seen: RefCell<Vec<Value>>,
    }

    impl Scripted {
        fn new(answers: Vec<Result<Value, String>>) -> Self {
            Self {
                answers: RefCell::new(answers.into_iter().rev().collect()),
                seen: RefCell::new(Vec::new()),
            }
        }
    }

    impl Model for Scripted {
        async fn converse(&self, request: &Value) -> Result<Value, String> {
            self.seen.borrow_mut().push(request.clone());
            self.answers
                .borrow_mut()
                .pop()
                .unwrap_or_else(|| Err("no more scripted answers".into()))
        }
    }

    /// add_task succeeds with task #1; anything else is refused.
    struct FakeTools;

    impl Tools for FakeTools {
        async fn call(&self, name: &str, arguments: &Value) -> Result<Value, Problem> {
            Ok(if name == "add_task" && arguments["title"].is_string() {
                json!({"task": {"id": 1, "title": arguments["title"]}})
            } else {
                json!({"isError": true, "refused": "title: is required"})
            })
        }
    }

    fn said(text: &str) -> Result<Value, String> {
        Ok(
            json!({"outputs": [{"choices": [{"finishReason": "stop", "message": {"content": text}}]}]}),
        )
    }

    fn calls(id: &str, name: &str, arguments: &str) -> Result<Value, String> {
        Ok(
            json!({"outputs": [{"choices": [{"finishReason": "tool_calls", "message": {
                "content": "",
                "toolCalls": [{"id": id, "function": {"name": name, "arguments": arguments}}]
            }}]}]}),
        )
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(future).as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the scripted parts never suspend"),
        }
    }

    #[test]
    fn a_refused_call_reaches_the_model_with_its_reason_and_call_id() {
        let model = Scripted::new(vec![
            calls("call_1", "add_task", "{}"),
            calls("call_2", "add_task", r#"{"title": "buy milk"}"#),
            said("Added buy milk."),
        ]);
        let ended = block_on(run(
            &model,
            &FakeTools,
            vec![text("ofUser", "add milk")],
            &tools(),
        ))
        .unwrap();
        assert_eq!(
            ended,
            Ended::Answered {
                text: "Added buy milk.".into(),
                changed: vec![json!({"id": 1, "title": "buy milk"})]
            }
        );
        let seen = model.seen.borrow();
        let second = &seen[1]["inputs"][0]["messages"];
        let tool = &second[2]["ofTool"];
        assert_eq!(tool["toolId"], "call_1");
        assert!(
            tool["content"][0]["text"]
                .as_str()
                .unwrap()
                .contains("title: is required")
        );
        assert_eq!(second[1]["ofAssistant"]["toolCalls"][0]["id"], "call_1");
    }

    #[test]
    fn a_model_that_fails_says_nothing_or_never_finishes_is_given_up() {
        let failing = Scripted::new(vec![Err("connection refused".into())]);
        let ended = block_on(run(&failing, &FakeTools, vec![], &tools())).unwrap();
        assert!(
            matches!(ended, Ended::Failed { ref reason, .. } if reason == "connection refused")
        );

        let silent = Scripted::new(vec![said("")]);
        let ended = block_on(run(&silent, &FakeTools, vec![], &tools())).unwrap();
        assert!(matches!(ended, Ended::Failed { .. }));

        let looping = Scripted::new((0..10).map(|_| calls("c", "get_task", "{}")).collect());
        let ended = block_on(run(&looping, &FakeTools, vec![], &tools())).unwrap();
        assert!(matches!(ended, Ended::Failed { ref reason, .. } if reason.contains("6 calls")));
        assert_eq!(looping.seen.borrow().len(), MAX_CALLS);
    }

    #[test]
    fn the_tools_are_the_mcp_tools_and_the_model_knows_the_zone_and_day() {
        let defined = tools();
        let names: Vec<&str> = defined
            .iter()
            .filter_map(|t| t["function"]["name"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "add_task",
                "list_tasks",
                "get_task",
                "update_task",
                "complete_task",
                "delete_task"
            ]
        );
        assert_eq!(
            defined[0]["function"]["parameters"]["required"],
            json!(["title"])
        );

        let mut conversation = Conversation::new("c");
        let now: DateTime<Utc> = "2026-03-04T10:00:00Z".parse().unwrap();
        conversation.remember("add milk", "Added #1 \"milk\".", now);
        let tz = TimeZone::parse("Europe/London").unwrap();
        let all = messages(&conversation, "move it to friday", now, &tz);
        let system = all[0]["ofSystem"]["content"][0]["text"].as_str().unwrap();
        assert!(system.contains("Europe/London") && system.contains("Wednesday 4 March 2026"));
        assert_eq!(all[1]["ofUser"]["content"][0]["text"], "add milk");
        assert_eq!(
            all[2]["ofAssistant"]["content"][0]["text"],
            "Added #1 \"milk\"."
        );
        assert_eq!(all[3]["ofUser"]["content"][0]["text"], "move it to friday");
    }
}
