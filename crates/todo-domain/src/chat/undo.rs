//! What undoing a change needs: the change as it was made, and the
//! requests that take it back (pure; todo-api carries them out through the
//! same writes as REST).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::task::{Task, TaskId};

/// The last change a conversation made, kept so "undo" can take it back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Tasks were created: undo deletes them.
    Created { ids: Vec<TaskId> },
    /// Tasks were changed: undo patches each back with its patch.
    Updated { restore: Vec<(TaskId, Value)> },
    /// Tasks were deleted: undo creates them again (with new numbers).
    Deleted { tasks: Vec<Task> },
}

/// A reminder as an input: its stored id left out.
fn reminder_input(reminder: &Value) -> Value {
    let mut r = reminder.as_object().cloned().unwrap_or_default();
    r.remove("id");
    Value::Object(r)
}

fn field(task: &Value, name: &str) -> Value {
    match name {
        "reminders" => Value::Array(
            task["reminders"]
                .as_array()
                .map(|rs| rs.iter().map(reminder_input).collect())
                .unwrap_or_default(),
        ),
        _ => task.get(name).cloned().unwrap_or(Value::Null),
    }
}

/// The patch that sets back every field `patch` changed on `before`.
pub fn restore_patch(before: &Task, patch: &Value) -> Value {
    let task = serde_json::to_value(before).unwrap_or(Value::Null);
    let mut back = Map::new();
    for key in patch.as_object().map(|p| p.keys()).into_iter().flatten() {
        back.insert(key.clone(), field(&task, key));
        if key == "due_date" {
            back.insert("timezone".into(), field(&task, "timezone"));
            // A repeating task cannot lose its due date; its rule comes back with it.
            back.insert("recurrence".into(), field(&task, "recurrence"));
        }
    }
    Value::Object(back)
}

/// A `POST /tasks` body that creates `task` again.
pub fn recreate_body(task: &Task) -> Value {
    let value = serde_json::to_value(task).unwrap_or(Value::Null);
    let mut body = Map::new();
    // The fields a task body may carry, but the version: a new task starts at 1.
    for name in crate::input::body_fields().filter(|f| *f != "version") {
        let v = field(&value, name);
        if !v.is_null() {
            body.insert((*name).into(), v);
        }
    }
    if body.get("description") == Some(&json!("")) {
        body.remove("description");
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{due, task_with, tz};
    use crate::{NewTask, TaskPatch};

    fn task() -> Task {
        task_with(|t| {
            t.id = 3;
            t.title = "Buy milk".into();
            t.due_date = Some(due("2026-03-06T17:00:00Z"));
            t.timezone = tz("Europe/London");
            t.tags = vec!["shopping".into()];
        })
    }

    #[test]
    fn a_change_is_taken_back_field_by_field() {
        let back = restore_patch(&task(), &json!({"completed": true, "priority": "urgent"}));
        assert_eq!(back, json!({"completed": false, "priority": "medium"}));
        TaskPatch::from_json(&back).unwrap();
        let moved = restore_patch(
            &task(),
            &json!({"due_date": "2026-03-09", "timezone": "Europe/London"}),
        );
        assert_eq!(moved["due_date"], "2026-03-06T17:00:00Z");
        TaskPatch::from_json(&moved).unwrap();
    }

    #[test]
    fn a_deleted_task_can_be_created_again() {
        let body = recreate_body(&task());
        let new = NewTask::from_json(&body).unwrap();
        assert_eq!(new.title, "Buy milk");
        assert_eq!(new.tags, ["shopping"]);
    }
}
