//! Bulk changes once confirmed, and undo of a conversation's last change.
//!
//! Each task is changed by its own committed write (with its event), as if
//! the REST API had been called once per task; a task refused on the way
//! (e.g. deleted meanwhile) is skipped.

use serde_json::{Value, json};
use service_kit::Problem;
use todo_domain::chat::{BulkAction, Change, Conversation, Outcome, recreate_body, restore_patch};
use todo_domain::{NewTask, Task, TaskPatch, UserId};

use super::refusal::user_error;
use crate::store;
use crate::tasks;
use service_kit::Ctx;

/// Carries out a confirmed bulk change on the tasks it listed.
pub(super) async fn carry_out(
    ctx: &Ctx,
    owner: &UserId,
    conversation: &mut Conversation,
    action: BulkAction,
    ids: &[u64],
    patch: Option<&Value>,
) -> Result<Outcome, Problem> {
    let all = store::all_tasks(&ctx.dapr, owner).await?;
    let patch = match action {
        BulkAction::Complete => json!({"completed": true}),
        BulkAction::Reopen => json!({"completed": false}),
        BulkAction::Update => patch.cloned().unwrap_or_else(|| json!({})),
        BulkAction::Delete => Value::Null,
    };
    let parsed = match action {
        BulkAction::Delete => None,
        _ => Some(TaskPatch::from_json(&patch).map_err(Problem::invalid)?),
    };
    let mut done = Vec::new();
    let mut restore = Vec::new();
    for id in ids {
        let Some(before) = all.iter().find(|t| t.id == *id) else {
            continue;
        };
        let result = match &parsed {
            None => tasks::delete_task(ctx, owner, *id, None).await,
            Some(parsed) => tasks::patch_task(ctx, owner, *id, parsed.clone(), None).await,
        };
        match result {
            Ok(task) => {
                if parsed.is_some() {
                    restore.push((*id, restore_patch(before, &patch)));
                }
                done.push(task);
            }
            Err(problem) if user_error(&problem) => {}
            Err(problem) => return Err(problem),
        }
    }
    conversation.undo = Some(match action {
        BulkAction::Delete => Change::Deleted {
            tasks: done.clone(),
        },
        _ => Change::Updated { restore },
    });
    Ok(Outcome::Bulk {
        action,
        tasks: done,
    })
}

/// Takes back the conversation's last change.
pub(super) async fn undo(
    ctx: &Ctx,
    owner: &UserId,
    conversation: &mut Conversation,
) -> Result<Outcome, Problem> {
    let Some(change) = conversation.undo.take() else {
        return Ok(Outcome::NothingToUndo);
    };
    let mut said = Vec::new();
    match change {
        Change::Created { ids } => {
            // Subtasks first, then their parent.
            for id in ids.iter().rev() {
                match tasks::delete_task(ctx, owner, *id, None).await {
                    Ok(task) => said.push(format!("removed #{} \"{}\"", task.id, task.title)),
                    Err(problem) if user_error(&problem) => {}
                    Err(problem) => return Err(problem),
                }
            }
        }
        Change::Updated { restore } => {
            for (id, patch) in restore {
                let parsed = TaskPatch::from_json(&patch).map_err(Problem::invalid)?;
                match tasks::patch_task(ctx, owner, id, parsed, None).await {
                    Ok(task) => said.push(format!("set #{} \"{}\" back", task.id, task.title)),
                    Err(problem) if user_error(&problem) => {}
                    Err(problem) => return Err(problem),
                }
            }
        }
        Change::Deleted { tasks: gone } => {
            for task in gone {
                match recreate(ctx, owner, &task).await? {
                    Some(again) => {
                        said.push(format!("restored \"{}\" as #{}", again.title, again.id))
                    }
                    None => said.push(format!("could not restore \"{}\"", task.title)),
                }
            }
        }
    }
    if said.is_empty() {
        return Ok(Outcome::NothingToUndo);
    }
    Ok(Outcome::Undone(said.join(", ")))
}

/// Creates a deleted task again (without its parent if that is gone too).
async fn recreate(ctx: &Ctx, owner: &UserId, task: &Task) -> Result<Option<Task>, Problem> {
    let mut body = recreate_body(task);
    for attempt in 0..2 {
        let Ok(new) = NewTask::from_json(&body) else {
            return Ok(None);
        };
        match tasks::create_task(ctx, owner, new).await {
            Ok(task) => return Ok(Some(task)),
            Err(problem) if user_error(&problem) && attempt == 0 => {
                if let Some(b) = body.as_object_mut() {
                    b.remove("parent_task_id");
                }
            }
            Err(problem) if user_error(&problem) => return Ok(None),
            Err(problem) => return Err(problem),
        }
    }
    Ok(None)
}
