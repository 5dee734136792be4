//! Carries out what a message was understood as, through the same inputs
//! and committed writes as REST; refusals the user can fix become answers.

use serde_json::{Value, json};
use service_kit::Problem;
use todo_domain::chat::{
    Action, BulkAction, Change, Conversation, Intent, Outcome, Pending, Question, TaskRef,
    restore_patch,
};
use todo_domain::{MAX_LIMIT, NewTask, Task, TaskPatch, TaskQuery, TimeZone, UserId};

use super::many;
use super::refusal::{answer, refused, user_error};
use crate::store;
use crate::tasks;
use service_kit::Ctx;

/// The task `target` points at, or the outcome to answer with.
async fn resolve(
    ctx: &Ctx,
    user: &UserId,
    conversation: &Conversation,
    target: &TaskRef,
) -> Result<Result<Task, Outcome>, Problem> {
    let all = store::all_tasks(&ctx.dapr, user).await?;
    Ok(match conversation.resolve(target, &all) {
        Ok(id) => all
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| Outcome::NotFound(format!("#{id}"))),
        Err(unresolved) => Err(unresolved.into()),
    })
}

fn numbers(ids: &[u64]) -> String {
    ids.iter()
        .map(|id| format!("#{id}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which of `ids` the user has (unknown numbers are left out).
async fn existing(ctx: &Ctx, user: &UserId, ids: &[u64]) -> Result<Vec<u64>, Problem> {
    let all = store::all_tasks(&ctx.dapr, user).await?;
    Ok(ids
        .iter()
        .copied()
        .filter(|id| all.iter().any(|t| t.id == *id))
        .collect())
}

/// Applies `patch` (parsed) to `before`, remembering how to undo it.
async fn update(
    ctx: &Ctx,
    user: &UserId,
    conversation: &mut Conversation,
    before: &Task,
    patch: &Value,
    parsed: TaskPatch,
    action: Action,
) -> Result<Outcome, Problem> {
    let result = tasks::patch_task(ctx, user, before.id, parsed, None).await;
    if result.is_ok() {
        conversation.undo = Some(Change::Updated {
            restore: vec![(before.id, restore_patch(before, patch))],
        });
    }
    answer(result, |task| Outcome::Updated(action, task))
}

pub(super) async fn run(
    ctx: &Ctx,
    owner: &UserId,
    conversation: &mut Conversation,
    intent: Intent,
    pending: Option<Pending>,
    tz: &TimeZone,
) -> Result<Outcome, Problem> {
    let outcome = match intent {
        Intent::Add {
            body,
            subtasks,
            parent,
        } => add(ctx, owner, conversation, body, subtasks, parent).await?,
        Intent::List {
            query,
            heading,
            done_between,
        } => {
            let mut query = query;
            // A chat list reads best soonest first unless asked otherwise.
            if !query.iter().any(|(k, _)| k == "sort") {
                query.push(("sort".into(), "due_date".into()));
            }
            match TaskQuery::from_pairs(&query) {
                Ok(query) => {
                    let all = store::all_tasks(&ctx.dapr, owner).await?;
                    // "what did I do today": completed in those local days.
                    let in_days = |t: &&Task| match (done_between, t.completed_at) {
                        (None, _) => true,
                        (Some((from, until)), Some(at)) => {
                            let day = tz.local(at).date();
                            from <= day && day < until
                        }
                        (Some(_), None) => false,
                    };
                    let page = query.run(all.iter().filter(in_days), ctx.now);
                    Outcome::Listed {
                        heading,
                        total: page.total,
                        tasks: page.items.iter().map(|view| view.task.clone()).collect(),
                    }
                }
                Err(errors) => Outcome::Invalid(errors),
            }
        }
        // "#2 and #3": each named task, changed one by one (like a confirmed bulk change).
        Intent::Update {
            target: TaskRef::Ids(ids),
            patch,
            action,
        } => {
            let bulk = match action {
                Action::Complete => BulkAction::Complete,
                Action::Reopen => BulkAction::Reopen,
                _ => BulkAction::Update,
            };
            let found = existing(ctx, owner, &ids).await?;
            if found.is_empty() {
                Outcome::NotFound(numbers(&ids))
            } else {
                many::carry_out(ctx, owner, conversation, bulk, &found, Some(&patch)).await?
            }
        }
        Intent::Delete(TaskRef::Ids(ids)) => {
            let found = existing(ctx, owner, &ids).await?;
            if found.is_empty() {
                Outcome::NotFound(numbers(&ids))
            } else {
                many::carry_out(ctx, owner, conversation, BulkAction::Delete, &found, None).await?
            }
        }
        Intent::Update {
            target,
            patch,
            action,
        } => {
            match (
                resolve(ctx, owner, conversation, &target).await?,
                TaskPatch::from_json(&patch),
            ) {
                (Err(outcome), _) => outcome,
                (_, Err(errors)) => Outcome::Invalid(errors),
                (Ok(before), Ok(parsed)) => {
                    update(ctx, owner, conversation, &before, &patch, parsed, action).await?
                }
            }
        }
        Intent::Shift { target, by } => match resolve(ctx, owner, conversation, &target).await? {
            Err(outcome) => outcome,
            Ok(before) => {
                let moved =
                    (before.due_date.as_ref()).and_then(|due| by.apply(due, &before.timezone));
                match moved {
                    None => Outcome::Asked(Question::NoDueToShift),
                    Some(due) => {
                        let patch = json!({"due_date": due.to_string()});
                        match TaskPatch::from_json(&patch) {
                            Err(errors) => Outcome::Invalid(errors),
                            Ok(parsed) => {
                                let action = Action::Reschedule;
                                update(ctx, owner, conversation, &before, &patch, parsed, action)
                                    .await?
                            }
                        }
                    }
                }
            }
        },
        Intent::Delete(target) => match resolve(ctx, owner, conversation, &target).await? {
            Err(outcome) => outcome,
            Ok(task) => {
                let result = tasks::delete_task(ctx, owner, task.id, None).await;
                if let Ok(deleted) = &result {
                    conversation.undo = Some(Change::Deleted {
                        tasks: vec![deleted.clone()],
                    });
                }
                answer(result, Outcome::Deleted)?
            }
        },
        Intent::Bulk {
            action,
            query,
            patch,
            heading,
        } => {
            let mut query = query;
            query.push(("sort".into(), "due_date".into()));
            query.push(("limit".into(), MAX_LIMIT.to_string()));
            match TaskQuery::from_pairs(&query) {
                Ok(query) => {
                    let all = store::all_tasks(&ctx.dapr, owner).await?;
                    let page = query.run(all.iter(), ctx.now);
                    let tasks: Vec<Task> = page.items.iter().map(|v| v.task.clone()).collect();
                    if !tasks.is_empty() {
                        conversation.pending = Some(Pending::Bulk {
                            action,
                            ids: tasks.iter().map(|t| t.id).collect(),
                            patch,
                        });
                    }
                    Outcome::Confirm {
                        action,
                        heading,
                        tasks,
                    }
                }
                Err(errors) => Outcome::Invalid(errors),
            }
        }
        Intent::Yes => match pending {
            Some(Pending::Bulk { action, ids, patch }) => {
                many::carry_out(ctx, owner, conversation, action, &ids, patch.as_ref()).await?
            }
            _ => Outcome::NothingPending,
        },
        Intent::No => Outcome::Dropped,
        Intent::Undo => many::undo(ctx, owner, conversation).await?,
        Intent::Ask(question) => Outcome::Asked(question),
        Intent::Help => Outcome::Help,
        Intent::NotUnderstood(text) => Outcome::NotUnderstood(text),
    };
    Ok(outcome)
}

/// Creates the task (under its parent, if one was named) and its subtasks.
async fn add(
    ctx: &Ctx,
    owner: &UserId,
    conversation: &mut Conversation,
    mut body: Value,
    subtasks: Vec<String>,
    parent: Option<TaskRef>,
) -> Result<Outcome, Problem> {
    if let Some(parent) = parent {
        match resolve(ctx, owner, conversation, &parent).await? {
            Ok(parent) => body["parent_task_id"] = json!(parent.id),
            Err(outcome) => return Ok(outcome),
        }
    }
    let new = match NewTask::from_json(&body) {
        Ok(new) => new,
        Err(errors) => return Ok(Outcome::Invalid(errors)),
    };
    let task = match tasks::create_task(ctx, owner, new).await {
        Ok(task) => task,
        Err(problem) if user_error(&problem) => return Ok(refused(&problem)),
        Err(problem) => return Err(problem),
    };
    let mut created = vec![task.id];
    let mut children = Vec::new();
    for title in subtasks {
        let child = NewTask::from_json(&json!({"title": title, "parent_task_id": task.id}))
            .map_err(Problem::invalid)?;
        match tasks::create_task(ctx, owner, child).await {
            Ok(child) => {
                created.push(child.id);
                children.push(child);
            }
            Err(problem) if user_error(&problem) => break,
            Err(problem) => return Err(problem),
        }
    }
    conversation.undo = Some(Change::Created { ids: created });
    Ok(Outcome::Added(task, children))
}
