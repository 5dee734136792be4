//! Task handlers: parse -> domain -> store (with events) -> response.

use dapr_http::DaprError;
use http::StatusCode;
use service_kit::{Incoming, Problem, Response};
use todo_domain::{
    CalendarQuery, Changes, CompletionInput, DueDateChange, NewInstance, NewTask, ReminderInput,
    Task, TaskEvent, TaskPatch, TaskQuery, UserId,
};

use crate::commit::{self, Change, Target};
use crate::outbox;
use crate::store;
use service_kit::Ctx;

/// Which create endpoint was called.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `POST /tasks`: anything valid.
    Any,
    /// `POST /tasks/recurring`: a recurrence rule is required.
    Recurring,
}

pub(crate) fn not_found(id: u64) -> Problem {
    Problem::not_found(format!("task {id} does not exist"))
}

fn task_response(status: StatusCode, task: &Task, ctx: &Ctx) -> Response {
    let mut response = service_kit::json(status, &task.view(ctx.now));
    if let Ok(etag) = http::HeaderValue::from_str(&format!("\"{}\"", task.version)) {
        response.headers_mut().insert(http::header::ETAG, etag);
    }
    response
}

/// The version a write is conditional on, and where the client said it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Precondition {
    version: u64,
    /// `If-Match` (412 when stale) rather than `version` in the body (409).
    from_header: bool,
}

/// `If-Match: <version>` (quoted or not; `*` matches any) or the body's
/// `version`. When both are given and differ, they cannot both hold, so the
/// precondition fails (412). A header of any other shape is 400: the
/// OpenAPI document's pattern `^(\*|"[0-9]{1,19}"|[0-9]{1,19})$`.
fn precondition(
    req: &Incoming,
    body_version: Option<u64>,
) -> Result<Option<Precondition>, Problem> {
    let header = match req.header(http::header::IF_MATCH).map(str::trim) {
        None | Some("*") => None,
        Some(v) => Some(if_match_version(v).ok_or_else(|| {
            Problem::bad_request(format!(
                "If-Match must be a task version such as \"3\" (got '{}')",
                v.escape_debug()
            ))
        })?),
    };
    match (header, body_version) {
        (Some(h), Some(b)) if h != b => Err(Problem::new(
            StatusCode::PRECONDITION_FAILED,
            format!(
                "If-Match says version {h} but the body says version {b}; they cannot both hold, send one of them"
            ),
        )),
        (Some(version), _) => Ok(Some(Precondition {
            version,
            from_header: true,
        })),
        (None, Some(version)) => Ok(Some(Precondition {
            version,
            from_header: false,
        })),
        (None, None) => Ok(None),
    }
}

/// The version of an `If-Match` value: `"3"` or `3`, 1-19 digits.
fn if_match_version(value: &str) -> Option<u64> {
    let digits = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let valid = (1..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| digits.parse().ok()).flatten()
}

fn check_version(task: &Task, expected: Option<Precondition>) -> Result<(), Problem> {
    let Some(expected) = expected else {
        return Ok(());
    };
    task.check_version(Some(expected.version))
        .map_err(|conflict| {
            let status = if expected.from_header {
                StatusCode::PRECONDITION_FAILED
            } else {
                StatusCode::CONFLICT
            };
            Problem::new(status, format!("task {}: {conflict}", task.id))
        })
}

fn event_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Checks that a subtask's parent is another existing task of the user and
/// that following its parents never leads back to the task itself.
async fn check_parent(
    ctx: &Ctx,
    user: &UserId,
    parent: Option<u64>,
    own_id: Option<u64>,
) -> Result<(), Problem> {
    let Some(parent) = parent else { return Ok(()) };
    let links = store::parent_links(&ctx.dapr, user, parent, todo_domain::MAX_PARENT_DEPTH).await?;
    todo_domain::check_parent(own_id, parent, |id| links.get(&id).copied())
        .map_err(Problem::invalid)
}

/// Commits a change and publishes its events; shared by every write.
async fn write(
    ctx: &Ctx,
    user: &UserId,
    target: Target,
    decide: impl FnMut(commit::Snapshot<'_>) -> Result<Change, Problem>,
) -> Result<Change, Problem> {
    let committed = commit::commit(&ctx.dapr, user, target, ctx.now, decide)
        .await
        .map_err(|e| match e {
            DaprError::EtagMismatch => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many changes to this user's tasks at once; nothing was changed, try again",
            ),
            other => other.into(),
        })??;
    match &committed.change {
        Change::Put(_, event) | Change::Delete(event) if committed.publish_inline => {
            outbox::publish_committed(&ctx.dapr, event, ctx.now).await
        }
        _ => {} // nothing to publish, or the relay publishes it
    }
    Ok(committed.change)
}

pub async fn create(
    ctx: &Ctx,
    req: &Incoming,
    user: &UserId,
    kind: Kind,
) -> Result<Response, Problem> {
    let new = NewTask::from_json(&req.json()?).map_err(Problem::invalid)?;
    if kind == Kind::Recurring && new.recurrence.is_none() {
        return Err(Problem::invalid_field(
            "recurrence",
            "POST /tasks/recurring needs a recurrence rule, e.g. {\"frequency\": \"weekly\"}",
        ));
    }
    let task = create_task(ctx, user, new).await?;
    Ok(task_response(StatusCode::CREATED, &task, ctx))
}

/// Creates a task for `owner` from a validated body; shared by REST and chat.
pub(crate) async fn create_task(ctx: &Ctx, owner: &UserId, new: NewTask) -> Result<Task, Problem> {
    check_parent(ctx, owner, new.parent_task_id, None).await?;
    let series = new
        .recurrence
        .is_some()
        .then(|| uuid::Uuid::new_v4().to_string());
    let change = write(ctx, owner, Target::New, |snap| {
        let task = Task::create(
            snap.meta.next_id,
            owner.clone(),
            new.clone(),
            ctx.now,
            series.clone(),
        );
        let event = TaskEvent::created(event_id(), snap.meta.seq + 1, &task, ctx.now);
        Ok(Change::Put(task, event))
    })
    .await?;
    match change {
        Change::Put(task, _) => Ok(task),
        _ => Err(Problem::internal("create committed no task")),
    }
}

pub async fn list(ctx: &Ctx, req: &Incoming, user: &UserId) -> Result<Response, Problem> {
    let query = TaskQuery::from_pairs(&req.query).map_err(Problem::invalid)?;
    let listing = store::list(&ctx.dapr, user, &query, ctx.now).await?;
    Ok(service_kit::json(StatusCode::OK, &listing.page(ctx.now)))
}

/// `GET /tasks/search`: the list's engine, for a search that names what it looks for.
pub async fn search(ctx: &Ctx, req: &Incoming, user: &UserId) -> Result<Response, Problem> {
    if req.query_value("q").is_none_or(|q| q.trim().is_empty()) {
        return Err(Problem::invalid_field(
            "q",
            "is required: the words to look for in titles, descriptions and tags \
             (GET /tasks lists without searching)",
        ));
    }
    list(ctx, req, user).await
}

pub async fn calendar(ctx: &Ctx, req: &Incoming, user: &UserId) -> Result<Response, Problem> {
    let query = CalendarQuery::from_pairs(&req.query).map_err(Problem::invalid)?;
    let tasks = store::calendar_tasks(&ctx.dapr, user, &query).await?;
    Ok(service_kit::json(
        StatusCode::OK,
        &todo_domain::calendar(&tasks, &query, ctx.now),
    ))
}

pub async fn get(ctx: &Ctx, user: &UserId, id: u64) -> Result<Response, Problem> {
    let task = store::task(&ctx.dapr, user, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(task_response(StatusCode::OK, &task, ctx))
}

/// Applies `edit` to task `id` under `If-Match`, as one committed change.
async fn modify(
    ctx: &Ctx,
    req: &Incoming,
    user: &UserId,
    id: u64,
    body_version: Option<u64>,
    edit: impl FnMut(&mut Task) -> Result<Changes, Problem>,
) -> Result<Response, Problem> {
    let expected = precondition(req, body_version)?;
    let task = edit_task(ctx, user, id, expected, edit).await?;
    Ok(task_response(StatusCode::OK, &task, ctx))
}

/// Applies `edit` to task `id` if it is at version `expected` (when given),
/// as one committed change; shared by REST and chat.
pub(crate) async fn edit_task(
    ctx: &Ctx,
    user: &UserId,
    id: u64,
    expected: Option<Precondition>,
    mut edit: impl FnMut(&mut Task) -> Result<Changes, Problem>,
) -> Result<Task, Problem> {
    let change = write(ctx, user, Target::Existing(id), |snap| {
        let current = snap.task.ok_or_else(|| not_found(id))?;
        check_version(current, expected)?;
        let mut task = current.clone();
        let changes = edit(&mut task)?;
        match TaskEvent::changed(event_id(), snap.meta.seq + 1, &task, changes, ctx.now) {
            Some(event) => Ok(Change::Put(task, event)),
            None => Ok(Change::Nothing(task)),
        }
    })
    .await?;
    match change {
        Change::Put(task, _) | Change::Nothing(task) => Ok(task),
        _ => Err(Problem::internal(
            "an edit neither kept nor changed its task",
        )),
    }
}

pub async fn replace(
    ctx: &Ctx,
    req: &Incoming,
    user: &UserId,
    id: u64,
) -> Result<Response, Problem> {
    let new = NewTask::from_json(&req.json()?).map_err(Problem::invalid)?;
    check_parent(ctx, user, new.parent_task_id, Some(id)).await?;
    modify(ctx, req, user, id, new.expected_version, |task| {
        task.replace(new.clone(), ctx.now).map_err(Problem::invalid)
    })
    .await
}

pub async fn patch(ctx: &Ctx, req: &Incoming, user: &UserId, id: u64) -> Result<Response, Problem> {
    let patch = TaskPatch::from_json(&req.json()?).map_err(Problem::invalid)?;
    let expected = precondition(req, patch.expected_version)?;
    let task = patch_task(ctx, user, id, patch, expected).await?;
    Ok(task_response(StatusCode::OK, &task, ctx))
}

/// Applies a validated patch to task `id`; shared by REST and chat.
pub(crate) async fn patch_task(
    ctx: &Ctx,
    user: &UserId,
    id: u64,
    patch: TaskPatch,
    expected: Option<Precondition>,
) -> Result<Task, Problem> {
    if let Some(Some(parent)) = patch.parent_task_id {
        check_parent(ctx, user, Some(parent), Some(id)).await?;
    }
    edit_task(ctx, user, id, expected, |task| {
        task.apply_patch(patch.clone(), ctx.now)
            .map_err(Problem::invalid)
    })
    .await
}

pub async fn complete(
    ctx: &Ctx,
    req: &Incoming,
    user: &UserId,
    id: u64,
) -> Result<Response, Problem> {
    let input = CompletionInput::from_json(&req.json()?).map_err(Problem::invalid)?;
    modify(ctx, req, user, id, None, |task| {
        Ok(task.complete(input, ctx.now))
    })
    .await
}

pub async fn change_due(
    ctx: &Ctx,
    req: &Incoming,
    user: &UserId,
    id: u64,
) -> Result<Response, Problem> {
    let input = DueDateChange::from_json(&req.json()?).map_err(Problem::invalid)?;
    modify(ctx, req, user, id, None, |task| {
        task.change_due(input.clone(), ctx.now)
            .map_err(Problem::invalid)
    })
    .await
}

pub async fn add_reminder(ctx: &Ctx, req: &Incoming, user: &UserId) -> Result<Response, Problem> {
    let input = ReminderInput::from_json(&req.json()?).map_err(Problem::invalid)?;
    let id = input.task_id;
    modify(ctx, req, user, id, None, |task| {
        task.add_reminder(input.spec.clone(), ctx.now)
            .map(|(_, changes)| changes)
            .map_err(Problem::invalid)
    })
    .await
}

pub async fn delete(
    ctx: &Ctx,
    req: &Incoming,
    user: &UserId,
    id: u64,
) -> Result<Response, Problem> {
    delete_task(ctx, user, id, precondition(req, None)?).await?;
    Ok(service_kit::empty(StatusCode::NO_CONTENT))
}

/// Deletes task `id` and returns its last state; shared by REST and chat.
pub(crate) async fn delete_task(
    ctx: &Ctx,
    user: &UserId,
    id: u64,
    expected: Option<Precondition>,
) -> Result<Task, Problem> {
    let mut deleted = None;
    write(ctx, user, Target::Existing(id), |snap| {
        let task = snap.task.ok_or_else(|| not_found(id))?;
        check_version(task, expected)?;
        let event = TaskEvent::deleted(event_id(), snap.meta.seq + 1, task, ctx.now);
        deleted = Some(task.clone());
        Ok(Change::Delete(event))
    })
    .await?;
    deleted.ok_or_else(|| Problem::internal("a delete committed no task"))
}

/// `POST /internal/users/{user}/instances`: the next instance of a recurring
/// task, from the recurring service. Idempotent per (series, occurrence):
/// a repeated request answers 200 with the id created the first time.
pub async fn create_instance(
    ctx: &Ctx,
    req: &Incoming,
    user: &UserId,
) -> Result<Response, Problem> {
    // The sidecar names the invoking app; only recurring may call.
    if req.sidecar_caller() != Some("recurring") {
        return Err(Problem::forbidden(
            "only the recurring service creates instances",
        ));
    }
    let instance: NewInstance = serde_json::from_value(req.json()?)
        .map_err(|e| Problem::invalid_field("instance", e.to_string()))?;
    if instance.user_id != *user {
        return Err(Problem::invalid_field("user_id", "does not match the path"));
    }
    let key = instance.idempotency_key();
    let change = write(ctx, user, Target::New, |snap| {
        if let Some(id) = snap.meta.created_under(&key) {
            return Ok(Change::AlreadyCreated(id));
        }
        let task = Task::from_instance(snap.meta.next_id, instance.clone(), ctx.now);
        let event = TaskEvent::created(event_id(), snap.meta.seq + 1, &task, ctx.now);
        Ok(Change::Put(task, event))
    })
    .await?;
    match change {
        Change::Put(task, _) => Ok(task_response(StatusCode::CREATED, &task, ctx)),
        Change::AlreadyCreated(id) => Ok(service_kit::json(
            StatusCode::OK,
            &serde_json::json!({ "id": id, "idempotency_key": key, "created": false }),
        )),
        _ => Err(Problem::internal("an instance create committed nothing")),
    }
}

#[cfg(test)]
mod tests {
    use super::if_match_version;

    #[test]
    fn if_match_takes_a_quoted_or_bare_version_and_nothing_else() {
        assert_eq!(if_match_version("\"3\""), Some(3));
        assert_eq!(if_match_version("42"), Some(42));
        for bad in [
            "",
            "\"\"",
            "\"3",
            "+3",
            "W/\"3\"",
            "3.0",
            "n7}k",
            "12345678901234567890",
        ] {
            assert_eq!(if_match_version(bad), None, "{bad}");
        }
    }
}
