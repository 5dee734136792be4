//! `POST /api/{user}/chat`: manage tasks in everyday English.
//!
//! The message is understood by the domain (`todo_domain::chat`) as the
//! REST API's own inputs, which go through the same validation and the same
//! committed writes (with their events) as REST requests. The conversation's
//! memory lives in Dapr state under `u:{user}:chat:{conversation_id}`, so any
//! instance of todo-api can carry it on.

use dapr_http::StateOp;
use http::StatusCode;
use serde_json::{Value, json};
use service_kit::{Incoming, Problem, Response};
use todo_domain::chat::{self, Conversation, Intent, MAX_MESSAGE_CHARS, Outcome};
use todo_domain::{NewTask, Task, TaskPatch, TaskQuery, TimeZone, UserId, ValidationErrors};

use crate::context::Ctx;
use crate::store::{self, STORE};
use crate::tasks;

const FIELDS: &[&str] = &["message", "conversation_id", "timezone"];
const MAX_CONVERSATION_ID_CHARS: usize = 64;

/// A checked chat request.
struct ChatRequest {
    message: String,
    conversation_id: String,
    timezone: TimeZone,
}

pub async fn chat(ctx: &Ctx, req: &Incoming, user: &str) -> Result<Response, Problem> {
    let owner = tasks::user_id(user)?;
    let request = parse(&req.json()?).map_err(tasks::invalid)?;
    let key = format!("u:{user}:chat:{}", request.conversation_id);
    let mut conversation = match ctx.dapr.get_state::<Conversation>(STORE, &key).await? {
        Some(stored) => stored.value,
        None => Conversation::new(&request.conversation_id),
    };

    let intent = chat::understand(&request.message, ctx.now, &request.timezone);
    let kind = intent_name(&intent);
    let outcome = execute(ctx, &owner, &conversation, intent).await?;
    let answer = chat::reply(&outcome, ctx.now);
    conversation.record(&request.message, &outcome, &answer, ctx.now);
    let value = serde_json::to_value(&conversation).map_err(Problem::internal)?;
    // Last write wins: one person types into one conversation at a time.
    ctx.dapr
        .transact_state(STORE, &[StateOp::upsert(key, value, None)])
        .await?;

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
            "tasks": touched,
        }),
    ))
}

/// Carries out an intent; refusals the user can fix become answers, not errors.
async fn execute(
    ctx: &Ctx,
    owner: &UserId,
    conversation: &Conversation,
    intent: Intent,
) -> Result<Outcome, Problem> {
    let user = owner.as_str();
    let outcome = match intent {
        Intent::Add(body) => match NewTask::from_json(&body) {
            Ok(new) => answer(tasks::create_task(ctx, owner, new).await, Outcome::Added)?,
            Err(errors) => Outcome::Invalid(errors),
        },
        Intent::List { query, heading } => match TaskQuery::from_pairs(&query) {
            Ok(query) => {
                let listing = store::list(&ctx.dapr, user, &query, ctx.now).await?;
                let page = listing.page(ctx.now);
                Outcome::Listed {
                    heading,
                    total: page.total,
                    tasks: page.items.iter().map(|view| view.task.clone()).collect(),
                }
            }
            Err(errors) => Outcome::Invalid(errors),
        },
        Intent::Update {
            target,
            patch,
            action,
        } => {
            let all = store::all_tasks(&ctx.dapr, user).await?;
            match (
                conversation.resolve(&target, &all),
                TaskPatch::from_json(&patch),
            ) {
                (Err(unresolved), _) => unresolved.into(),
                (_, Err(errors)) => Outcome::Invalid(errors),
                (Ok(id), Ok(patch)) => answer(
                    tasks::patch_task(ctx, user, id, patch, None).await,
                    |task| Outcome::Updated(action, task),
                )?,
            }
        }
        Intent::Delete(target) => {
            let all = store::all_tasks(&ctx.dapr, user).await?;
            match conversation.resolve(&target, &all) {
                Err(unresolved) => unresolved.into(),
                Ok(id) => answer(
                    tasks::delete_task(ctx, user, id, None).await,
                    Outcome::Deleted,
                )?,
            }
        }
        Intent::Help => Outcome::Help,
        Intent::NotUnderstood(text) => Outcome::NotUnderstood(text),
    };
    Ok(outcome)
}

/// A write's result as an outcome: a 4xx refusal is told to the user,
/// anything else (the store is down) stays an error.
fn answer(
    result: Result<Task, Problem>,
    done: impl FnOnce(Task) -> Outcome,
) -> Result<Outcome, Problem> {
    match result {
        Ok(task) => Ok(done(task)),
        Err(problem) if (400..500).contains(&problem.status()) => Ok(Outcome::Invalid(
            ValidationErrors::single("", problem.detail()),
        )),
        Err(problem) => Err(problem),
    }
}

fn touched_tasks(outcome: &Outcome) -> &[Task] {
    match outcome {
        Outcome::Added(task) | Outcome::Updated(_, task) | Outcome::Deleted(task) => {
            std::slice::from_ref(task)
        }
        Outcome::Listed { tasks, .. } | Outcome::Ambiguous(tasks) => tasks,
        _ => &[],
    }
}

fn intent_name(intent: &Intent) -> &'static str {
    match intent {
        Intent::Add(_) => "add",
        Intent::List { .. } => "list",
        Intent::Update { .. } => "update",
        Intent::Delete(_) => "delete",
        Intent::Help => "help",
        Intent::NotUnderstood(_) => "not_understood",
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
        Some(Value::String(name)) => TimeZone::parse(name.trim()).unwrap_or_else(|e| {
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
