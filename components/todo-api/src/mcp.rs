//! `POST /api/{user}/mcp`: the task tools for AI agents over the Model
//! Context Protocol (JSON-RPC 2.0 on MCP's Streamable HTTP transport; every
//! answer is one JSON response, no event stream).
//!
//! Each tool call is the REST API's own input and goes through the same
//! validation and the same committed writes (with their events) as REST and
//! chat. A refusal the agent can fix (a bad field, an unknown task) is a
//! tool result with `isError: true` and the reason, as MCP asks, so the
//! model can correct itself; a malformed message is a JSON-RPC error.

use http::StatusCode;
use serde_json::{Map, Value, json};
use service_kit::{Incoming, Problem, Response};
use todo_domain::{CompletionInput, NewTask, TaskPatch, TaskQuery, UserId};

use crate::store;
use crate::tasks;
use service_kit::Ctx;

/// The protocol revision this server speaks.
const PROTOCOL_VERSION: &str = "2025-06-18";

/// The tools `catalog` describes and `run` carries out.
const TOOLS: [&str; 6] = [
    "add_task",
    "list_tasks",
    "get_task",
    "update_task",
    "complete_task",
    "delete_task",
];

// JSON-RPC 2.0 error codes.
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;

pub async fn mcp(ctx: &Ctx, req: &Incoming, user: &UserId) -> Result<Response, Problem> {
    let owner = user.clone();
    let message = req.json()?;
    let call = match Call::parse(&message) {
        Ok(call) => call,
        // Not a JSON-RPC message at all (no body, wrong `jsonrpc`, no
        // `method`): the transport refuses it with 400, its body the
        // JSON-RPC error, as Streamable HTTP asks.
        Err(error) => {
            // The id is echoed only when it is one (JSON-RPC: null otherwise).
            let id = match &message["id"] {
                id @ (Value::String(_) | Value::Number(_)) => id.clone(),
                _ => Value::Null,
            };
            let mut response = rpc_error(&id, error);
            *response.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(response);
        }
    };
    // A notification (no id) is acknowledged and gets no answer.
    let Some(id) = call.id else {
        return Ok(service_kit::empty(StatusCode::ACCEPTED));
    };
    let outcome = match call.method.as_str() {
        "initialize" => Ok(json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {"tools": {"listChanged": false}},
            "serverInfo": {"name": "todo", "version": env!("CARGO_PKG_VERSION")},
            "instructions": "Manage this user's tasks: list_tasks to find them (by text, status, \
                priority, tags, due dates), then add_task, update_task, complete_task or \
                delete_task by task_id. Dates are RFC 3339 or YYYY-MM-DD; time zones are IANA names."
        })),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({ "tools": catalog() })),
        "tools/call" => call_tool(ctx, &owner, &call.params).await?,
        other => Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!(
                "unknown method '{other}'; this server offers initialize, ping, tools/list and tools/call"
            ),
        )),
    };
    Ok(match outcome {
        Ok(result) => rpc_json(json!({"jsonrpc": "2.0", "id": id, "result": result})),
        Err(error) => rpc_error(&id, error),
    })
}

/// `GET /mcp`: MCP clients may ask for a server-sent event stream; this
/// server answers every message in its POST response and opens none.
pub fn no_event_stream() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this MCP server opens no event stream: POST each JSON-RPC message and read the answer",
    )
}

/// A JSON-RPC request or notification.
#[derive(Debug, PartialEq)]
struct Call {
    id: Option<Value>,
    method: String,
    params: Value,
}

/// A JSON-RPC error: the message itself is wrong, not what it asks for.
#[derive(Debug, PartialEq)]
struct RpcError {
    code: i64,
    message: String,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl Call {
    fn parse(message: &Value) -> Result<Call, RpcError> {
        let invalid = |m: &str| RpcError::new(INVALID_REQUEST, m);
        let Some(object) = message.as_object() else {
            return Err(invalid(
                "send one JSON-RPC 2.0 object such as {\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"tools/list\"}",
            ));
        };
        if object.get("jsonrpc") != Some(&json!("2.0")) {
            return Err(invalid("\"jsonrpc\" must be \"2.0\""));
        }
        let id = match object.get("id") {
            None => None,
            Some(id @ (Value::String(_) | Value::Number(_))) => Some(id.clone()),
            Some(_) => return Err(invalid("\"id\" must be a string or a number")),
        };
        let method = object
            .get("method")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("\"method\" must be a string such as \"tools/call\""))?;
        let params = object.get("params").cloned().unwrap_or(Value::Null);
        if !(params.is_null() || params.is_object()) {
            return Err(invalid("\"params\" must be an object"));
        }
        Ok(Call {
            id,
            method: method.to_owned(),
            params,
        })
    }
}

fn rpc_json(body: Value) -> Response {
    service_kit::json(StatusCode::OK, &body)
}

fn rpc_error(id: &Value, error: RpcError) -> Response {
    rpc_json(json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": error.code, "message": error.message},
    }))
}

/// A tool's result: its JSON as text (for every client) and as structured content.
fn tool_result(structured: Value) -> Value {
    json!({
        "content": [{"type": "text", "text": structured.to_string()}],
        "structuredContent": structured,
        "isError": false,
    })
}

/// A refusal the agent can act on.
fn tool_refusal(reason: &str) -> Value {
    json!({
        "content": [{"type": "text", "text": reason}],
        "isError": true,
    })
}

/// Runs one tool for the chat's language model, with the same schemas,
/// validation and writes as `tools/call`: the tool's result, or
/// `{"isError": true, "refused": reason}` for a call the model can correct.
pub(crate) async fn call_for_model(
    ctx: &Ctx,
    owner: &UserId,
    name: &str,
    arguments: &Value,
) -> Result<Value, Problem> {
    let params = json!({"name": name, "arguments": arguments});
    Ok(match call_tool(ctx, owner, &params).await? {
        Ok(result) if result["isError"] == true => {
            let reason = result["content"][0]["text"].clone();
            json!({"isError": true, "refused": reason})
        }
        Ok(result) => result["structuredContent"].clone(),
        Err(error) => json!({"isError": true, "refused": error.message}),
    })
}

/// Runs `tools/call`. The outer error is the store failing (a 503 for the
/// client to retry); the inner one a malformed call.
async fn call_tool(
    ctx: &Ctx,
    owner: &UserId,
    params: &Value,
) -> Result<Result<Value, RpcError>, Problem> {
    let Some(name) = params["name"].as_str() else {
        return Ok(Err(RpcError::new(
            INVALID_PARAMS,
            "tools/call needs \"name\" (see tools/list) and \"arguments\"",
        )));
    };
    let arguments = match &params["arguments"] {
        Value::Null => Map::new(),
        Value::Object(arguments) => arguments.clone(),
        _ => {
            return Ok(Err(RpcError::new(
                INVALID_PARAMS,
                "\"arguments\" must be an object",
            )));
        }
    };
    if !TOOLS.contains(&name) {
        return Ok(Err(RpcError::new(
            INVALID_PARAMS,
            format!("unknown tool '{name}'; see tools/list"),
        )));
    }
    let result = run(ctx, owner, name, arguments).await;
    Ok(Ok(match result {
        Ok(structured) => tool_result(structured),
        Err(problem) if (400..500).contains(&problem.status()) => tool_refusal(problem.detail()),
        Err(problem) => return Err(problem),
    }))
}

async fn run(
    ctx: &Ctx,
    owner: &UserId,
    tool: &str,
    mut arguments: Map<String, Value>,
) -> Result<Value, Problem> {
    let view = |task: todo_domain::Task| json!({ "task": task.view(ctx.now) });
    match tool {
        "add_task" => {
            let new = NewTask::from_json(&Value::Object(arguments)).map_err(Problem::invalid)?;
            Ok(view(tasks::create_task(ctx, owner, new).await?))
        }
        "list_tasks" => {
            let pairs = query_pairs(&arguments).map_err(Problem::invalid)?;
            let query = TaskQuery::from_pairs(&pairs).map_err(Problem::invalid)?;
            let listing = store::list(&ctx.dapr, owner, &query, ctx.now).await?;
            Ok(json!(listing.page(ctx.now)))
        }
        "get_task" => {
            let id = task_id(&mut arguments)?;
            let task = store::task(&ctx.dapr, owner, id)
                .await?
                .ok_or_else(|| tasks::not_found(id))?;
            Ok(view(task))
        }
        "update_task" => {
            let id = task_id(&mut arguments)?;
            let patch =
                TaskPatch::from_json(&Value::Object(arguments)).map_err(Problem::invalid)?;
            Ok(view(tasks::patch_task(ctx, owner, id, patch, None).await?))
        }
        "complete_task" => {
            let id = task_id(&mut arguments)?;
            arguments.entry("completed").or_insert(Value::Bool(true));
            let input =
                CompletionInput::from_json(&Value::Object(arguments)).map_err(Problem::invalid)?;
            let task = tasks::edit_task(ctx, owner, id, None, |task| {
                Ok(task.complete(input, ctx.now))
            })
            .await?;
            Ok(view(task))
        }
        "delete_task" => {
            let id = task_id(&mut arguments)?;
            Ok(view(tasks::delete_task(ctx, owner, id, None).await?))
        }
        other => Err(Problem::internal(format!(
            "tool '{other}' is listed but not run"
        ))),
    }
}

/// Takes `task_id` out of the arguments.
fn task_id(arguments: &mut Map<String, Value>) -> Result<u64, Problem> {
    match arguments.remove("task_id").as_ref().and_then(Value::as_u64) {
        Some(id) if id > 0 => Ok(id),
        _ => Err(Problem::invalid_field(
            "task_id",
            "is required: the id of one of your tasks (list_tasks shows them)",
        )),
    }
}

/// `list_tasks` arguments as the list endpoint's query pairs: lists become
/// comma lists, booleans and numbers their text.
fn query_pairs(
    arguments: &Map<String, Value>,
) -> Result<Vec<(String, String)>, Vec<service_kit::FieldError>> {
    let mut pairs = Vec::new();
    let mut errors = Vec::new();
    for (key, value) in arguments {
        let text = match value {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Array(items) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map(|items| items.join(",")),
            _ => None,
        };
        match text {
            Some(text) => pairs.push((key.clone(), text)),
            None => errors.push(service_kit::FieldError::new(
                key.clone(),
                "must be text, a number, true/false or a list of text",
            )),
        }
    }
    if errors.is_empty() {
        Ok(pairs)
    } else {
        Err(errors)
    }
}

/// The tools, with JSON Schemas of their arguments (MCP's `tools/list`, and
/// the chat model's tools).
pub(crate) fn catalog() -> Vec<Value> {
    let task_id =
        json!({"type": "integer", "minimum": 1, "description": "The task's id (from list_tasks)."});
    let fields = json!({
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": ["string", "null"], "maxLength": 10000},
        "priority": {"enum": ["low", "medium", "high", "urgent"]},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
        "category": {"type": ["string", "null"]},
        "due_date": {"type": ["string", "null"], "description": "RFC 3339 with an offset (2026-03-01T09:00:00+01:00) or a date for an all-day task (2026-03-01)."},
        "timezone": {"type": "string", "description": "IANA time zone, e.g. Europe/London (default UTC)."},
        "reminders": {"type": "array", "items": {"type": "object", "description": "{\"remind_at\": RFC 3339} or {\"before_due\": ISO 8601 duration such as PT15M}"}},
        "recurrence": {"type": ["object", "null"], "description": "{\"frequency\": daily|weekly|monthly|yearly, \"interval\"?, \"rrule\"?, \"mode\"?: fixed_schedule|after_completion}"},
        "parent_task_id": {"type": ["integer", "null"], "description": "Makes this a subtask of another task."}
    });
    let with = |extra: Value, required: &[&str]| {
        let mut properties = fields.as_object().cloned().unwrap_or_default();
        properties.extend(extra.as_object().cloned().unwrap_or_default());
        json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
    };
    vec![
        json!({
            "name": "add_task",
            "description": "Create a task. Only the title is required.",
            "inputSchema": with(json!({}), &["title"]),
        }),
        json!({
            "name": "list_tasks",
            "description": "List, search, filter and sort the user's tasks; answers {items, next_cursor, total}.",
            "inputSchema": {"type": "object", "additionalProperties": false, "properties": {
                "q": {"type": "string", "description": "Text in the title, description or tags."},
                "status": {"enum": ["pending", "completed", "all"]},
                "priority": {"type": "array", "items": {"enum": ["low", "medium", "high", "urgent"]}},
                "tags": {"type": "array", "items": {"type": "string"}, "description": "All must match."},
                "category": {"type": "string"},
                "due_before": {"type": "string"},
                "due_after": {"type": "string"},
                "overdue": {"type": "boolean"},
                "sort": {"enum": ["due_date", "-due_date", "priority", "-priority", "created_at", "-created_at", "updated_at", "-updated_at", "title", "-title"]},
                "limit": {"type": "integer", "minimum": 1, "maximum": 500},
                "cursor": {"type": "string"}
            }},
        }),
        json!({
            "name": "get_task",
            "description": "One task by id.",
            "inputSchema": {"type": "object", "properties": {"task_id": task_id}, "required": ["task_id"], "additionalProperties": false},
        }),
        json!({
            "name": "update_task",
            "description": "Change some fields of a task; fields left out keep their value.",
            "inputSchema": with(json!({"task_id": task_id}), &["task_id"]),
        }),
        json!({
            "name": "complete_task",
            "description": "Mark a task done (or not done with completed=false). Completing a recurring task creates its next instance.",
            "inputSchema": {"type": "object", "properties": {"task_id": task_id, "completed": {"type": "boolean", "default": true}}, "required": ["task_id"], "additionalProperties": false},
        }),
        json!({
            "name": "delete_task",
            "description": "Delete a task.",
            "inputSchema": {"type": "object", "properties": {"task_id": task_id}, "required": ["task_id"], "additionalProperties": false},
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_notifications_are_told_apart() {
        let request = Call::parse(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"}));
        assert_eq!(request.unwrap().id, Some(json!(7)));
        let notification =
            Call::parse(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        assert_eq!(notification.unwrap().id, None);
    }

    #[test]
    fn an_id_is_echoed_exactly_as_it_was_sent() {
        // A client matches answers to requests by id: a fractional id must
        // come back as the same number, not the nearest one a fast parser finds.
        for sent in [
            "-6.267118763791552e-299",
            "0.1",
            "9007199254740993",
            "\"a\"",
        ] {
            let message: Value = serde_json::from_str(&format!(
                r#"{{"jsonrpc": "2.0", "id": {sent}, "method": "ping"}}"#
            ))
            .unwrap();
            let id = Call::parse(&message).unwrap().id.unwrap();
            assert_eq!(serde_json::to_string(&id).unwrap(), sent);
        }
    }

    #[test]
    fn malformed_messages_are_invalid_requests_that_say_why() {
        for (message, mentions) in [
            (json!([1, 2]), "one JSON-RPC 2.0 object"),
            (json!({"id": 1, "method": "ping"}), "jsonrpc"),
            (json!({"jsonrpc": "2.0", "id": {}, "method": "ping"}), "id"),
            (json!({"jsonrpc": "2.0", "id": 1}), "method"),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": [1]}),
                "params",
            ),
        ] {
            let error = Call::parse(&message).unwrap_err();
            assert_eq!(error.code, INVALID_REQUEST);
            assert!(error.message.contains(mentions), "{message}: {error:?}");
        }
    }

    #[test]
    fn list_arguments_become_the_list_endpoints_query() {
        let arguments =
            json!({"priority": ["high", "urgent"], "overdue": true, "limit": 5, "q": "milk"});
        let mut pairs = query_pairs(arguments.as_object().unwrap()).unwrap();
        pairs.sort();
        let expected = [
            ("limit", "5"),
            ("overdue", "true"),
            ("priority", "high,urgent"),
            ("q", "milk"),
        ];
        assert_eq!(
            pairs,
            expected.map(|(k, v)| (k.to_owned(), v.to_owned())).to_vec()
        );
        let nested = json!({"tags": [{"a": 1}]});
        let errors = query_pairs(nested.as_object().unwrap()).unwrap_err();
        assert_eq!(errors[0].field, "tags");
    }

    #[test]
    fn the_catalog_describes_exactly_the_tools_with_object_schemas() {
        let tools = catalog();
        let names: Vec<_> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
        assert_eq!(names, TOOLS);
        for tool in &tools {
            assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
            assert!(tool["description"].is_string());
        }
        assert_eq!(tools[0]["inputSchema"]["required"], json!(["title"]));
    }

    #[test]
    fn task_id_is_taken_out_or_refused() {
        let mut arguments = json!({"task_id": 3, "title": "x"})
            .as_object()
            .cloned()
            .unwrap();
        assert_eq!(task_id(&mut arguments).unwrap(), 3);
        assert!(!arguments.contains_key("task_id"));
        let mut missing = Map::new();
        assert_eq!(task_id(&mut missing).unwrap_err().status(), 422);
    }
}
