//! `POST /api/{user}/chat`: manage tasks in everyday English.
//!
//! The message is understood by the domain (`todo_domain::chat`) as the
//! REST API's own inputs, which go through the same validation and the same
//! committed writes (with their events) as REST requests (`execute`; bulk
//! changes, yes/no and undo in `many`). The conversation's memory (lists,
//! the question asked, a bulk change waiting for "yes", the last change for
//! "undo") lives in Dapr state under `u:{user}:chat:{conversation_id}`, so
//! any instance of todo-api can carry it on.

mod execute;
mod many;
mod model;
mod refusal;

use dapr_http::StateOp;
use http::StatusCode;
use serde_json::{Value, json};
use service_kit::{Incoming, Problem, Response};
use todo_domain::chat::{self, Conversation, MAX_MESSAGE_CHARS, Outcome};
use todo_domain::{Task, TimeZone, UserId, ValidationErrors};

use crate::store::STORE;
use model::Ended;
use service_kit::Ctx;

const FIELDS: &[&str] = &["message", "conversation_id", "timezone"];
const MAX_CONVERSATION_ID_CHARS: usize = 64;

/// A checked chat request.
struct ChatRequest {
    message: String,
    conversation_id: String,
    timezone: TimeZone,
}

pub async fn chat(ctx: &Ctx, req: &Incoming, user: &UserId) -> Result<Response, Problem> {
    let owner = user.clone();
    let request = parse(&req.json()?).map_err(Problem::invalid)?;
    let key = format!("u:{user}:chat:{}", request.conversation_id);
    let mut conversation = match ctx.dapr.get_state::<Conversation>(STORE, &key).await? {
        Some(stored) => stored.value,
        None => Conversation::new(&request.conversation_id),
    };

    // A configured language model answers first; the grammar when it cannot.
    let mut note = None;
    if model::configured(ctx).await {
        let messages = model::messages(&conversation, &request.message, ctx.now, &request.timezone);
        let tools = model::McpTools { ctx, owner: &owner };
        let ended = model::run(&model::Sidecar(ctx), &tools, messages, &model::tools()).await?;
        let (text, changed) = match ended {
            Ended::Answered { text, changed } => (text, changed),
            Ended::Failed { reason, changed } if !changed.is_empty() => (
                format!(
                    "The language model stopped part-way ({reason}) after changing the tasks below."
                ),
                changed,
            ),
            Ended::Failed { reason, .. } => {
                note = Some(format!(
                    "(The language model did not answer: {reason}. The offline grammar answered.) "
                ));
                (String::new(), Vec::new())
            }
        };
        if note.is_none() {
            conversation.pending = None;
            conversation.remember(&request.message, &text, ctx.now);
            save(ctx, key, &conversation).await?;
            return Ok(service_kit::json(
                StatusCode::OK,
                &json!({
                    "conversation_id": conversation.id,
                    "reply": text,
                    "intent": "model",
                    "question": null,
                    "understood": {"model": model::COMPONENT},
                    "understood_by": "model",
                    "tasks": changed,
                }),
            ));
        }
    }

    let (intent, message) = conversation.understand(&request.message, ctx.now, &request.timezone);
    let kind = intent.name();
    let understood = intent.to_json();
    // Whatever was waiting for an answer is answered (or dropped) now.
    let pending = conversation.pending.take();
    let outcome = execute::run(
        ctx,
        &owner,
        &mut conversation,
        intent,
        pending,
        &request.timezone,
    )
    .await?;
    let answer = chat::reply(&outcome, ctx.now);
    conversation.record(&message, &outcome, &answer, ctx.now);
    save(ctx, key, &conversation).await?;
    let answer = match note {
        Some(note) => format!("{note}{answer}"),
        None => answer,
    };

    let question = match &outcome {
        Outcome::Asked(q) => json!(q.kind()),
        Outcome::Confirm { tasks, .. } if !tasks.is_empty() => json!("confirm_bulk"),
        _ => Value::Null,
    };
    let touched: Vec<Value> = touched_tasks(&outcome)
        .iter()
        .map(|t| json!(t.view(ctx.now)))
        .collect();
    Ok(service_kit::json(
        StatusCode::OK,
        &json!({
            "conversation_id": conversation.id,
            "reply": answer,
            "intent": kind,
            "question": question,
            "understood": understood,
            "understood_by": "grammar",
            "tasks": touched,
        }),
    ))
}

/// Keeps the conversation in Dapr state. Last write wins: one person types
/// into one conversation at a time.
async fn save(ctx: &Ctx, key: String, conversation: &Conversation) -> Result<(), Problem> {
    let value = serde_json::to_value(conversation).map_err(Problem::internal)?;
    ctx.dapr
        .transact_state(STORE, &[StateOp::upsert(key, value, None)])
        .await?;
    Ok(())
}

fn touched_tasks(outcome: &Outcome) -> Vec<Task> {
    match outcome {
        Outcome::Added(task, subtasks) => std::iter::once(task).chain(subtasks).cloned().collect(),
        Outcome::Updated(_, task) | Outcome::Deleted(task) => vec![task.clone()],
        Outcome::Listed { tasks, .. }
        | Outcome::Ambiguous(tasks)
        | Outcome::Confirm { tasks, .. }
        | Outcome::Bulk { tasks, .. } => tasks.clone(),
        _ => Vec::new(),
    }
}

/// `{"message": "...", "conversation_id"?: "...", "timezone"?: "Europe/London"}`.
fn parse(body: &Value) -> Result<ChatRequest, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let Some(object) = body.as_object() else {
        return Err(ValidationErrors::single(
            "",
            "the body must be a JSON object such as {\"message\": \"add buy milk tomorrow\"}",
        ));
    };
    for key in object.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        errors.push(
            key.as_str(),
            format!("unknown field; the fields are {}", FIELDS.join(", ")),
        );
    }
    let message = match object.get("message").and_then(Value::as_str).map(str::trim) {
        Some(m) if !m.is_empty() && m.chars().count() <= MAX_MESSAGE_CHARS => m.to_owned(),
        _ => {
            errors.push(
                "message",
                format!("must be text of 1 to {MAX_MESSAGE_CHARS} characters"),
            );
            String::new()
        }
    };
    let conversation_id = match object.get("conversation_id") {
        None | Some(Value::Null) => uuid::Uuid::new_v4().to_string(),
        Some(Value::String(id))
            if !id.is_empty()
                && id.len() <= MAX_CONVERSATION_ID_CHARS
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            id.clone()
        }
        Some(_) => {
            errors.push(
                "conversation_id",
                "must be 1-64 letters, digits, - or _ (or leave it out to start a conversation)",
            );
            String::new()
        }
    };
    let timezone = match object.get("timezone") {
        None | Some(Value::Null) => TimeZone::default(),
        Some(Value::String(name)) => TimeZone::parse(name).unwrap_or_else(|e| {
            errors.push("timezone", e.to_string());
            TimeZone::default()
        }),
        Some(_) => {
            errors.push(
                "timezone",
                "must be an IANA time zone name such as Europe/London",
            );
            TimeZone::default()
        }
    };
    if errors.is_empty() {
        Ok(ChatRequest {
            message,
            conversation_id,
            timezone,
        })
    } else {
        Err(errors)
    }
}
