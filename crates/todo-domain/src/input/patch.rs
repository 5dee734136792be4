//! The body of `PATCH /tasks/{id}`: any subset of a task's fields.

use serde_json::Value;

use super::fields::*;
use crate::due::{Due, TimeZone};
use crate::error::ValidationErrors;
use crate::recurrence::Recurrence;
use crate::reminder::ReminderSpec;
use crate::task::{Priority, TaskId};

/// A partial update (`PATCH /tasks/{id}`): `None` leaves a field alone;
/// `Some(None)` (JSON `null`) clears an optional field. `null` resets
/// `priority` to medium, `tags` and `reminders` to empty and `timezone` to UTC;
/// it is an error for `title` and `completed`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskPatch {
    /// New title.
    pub title: Option<String>,
    /// New or cleared description.
    pub description: Option<Option<String>>,
    /// Complete or reopen.
    pub completed: Option<bool>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New tag list (replaces the old one).
    pub tags: Option<Vec<String>>,
    /// New or cleared category.
    pub category: Option<Option<String>>,
    /// New or cleared parent.
    pub parent_task_id: Option<Option<TaskId>>,
    /// New or cleared due date.
    pub due_date: Option<Option<Due>>,
    /// New time zone.
    pub timezone: Option<TimeZone>,
    /// New reminder list (replaces the old one).
    pub reminders: Option<Vec<ReminderSpec>>,
    /// New or cleared recurrence.
    pub recurrence: Option<Option<Recurrence>>,
    /// `version` in the body; see [`NewTask::expected_version`].
    pub expected_version: Option<u64>,
}

impl TaskPatch {
    /// Checks a `PATCH` body: any subset of the task fields, `null` clears.
    /// Rules that involve other fields (a `before_due` reminder needs a due
    /// date, ...) are checked against the merged task by [`crate::Task::apply_patch`].
    pub fn from_json(value: &Value) -> Result<TaskPatch, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let Some(obj) = object(value, &mut errors) else {
            return Err(errors);
        };
        check_keys(obj, &body_fields().collect::<Vec<_>>(), &mut errors);
        let timezone = obj.get("timezone").map(|v| timezone(v, &mut errors));
        let zone = LocalZone::of(timezone.as_ref());
        let patch = TaskPatch {
            title: obj.get("title").and_then(|v| title(v, &mut errors)),
            description: obj
                .get("description")
                .and_then(|v| description(v, &mut errors)),
            completed: obj
                .get("completed")
                .and_then(|v| boolean("completed", v, &mut errors)),
            priority: obj.get("priority").and_then(|v| priority(v, &mut errors)),
            tags: obj.get("tags").and_then(|v| tags(v, &mut errors)),
            category: obj.get("category").and_then(|v| category(v, &mut errors)),
            parent_task_id: obj
                .get("parent_task_id")
                .and_then(|v| parent_task_id(v, &mut errors)),
            due_date: obj
                .get("due_date")
                .and_then(|v| due_date(v, zone, &mut errors)),
            timezone: timezone.flatten(),
            reminders: obj
                .get("reminders")
                .and_then(|v| reminders(v, zone, &mut errors)),
            recurrence: obj
                .get("recurrence")
                .and_then(|v| recurrence(v, &mut errors)),
            expected_version: obj
                .get("version")
                .and_then(|v| version(v, &mut errors))
                .flatten(),
        };
        errors.into_result(patch)
    }

    /// Whether the patch changes nothing (`{}` or only `version`).
    pub fn is_empty(&self) -> bool {
        TaskPatch {
            expected_version: None,
            ..self.clone()
        } == TaskPatch::default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_patch_accepts_any_subset_and_null_clears() {
        let patch = TaskPatch::from_json(&json!({
            "description": null,
            "due_date": null,
            "priority": null,
            "tags": null,
            "timezone": null,
            "recurrence": null
        }))
        .unwrap();
        assert_eq!(patch.description, Some(None));
        assert_eq!(patch.due_date, Some(None));
        assert_eq!(patch.priority, Some(Priority::Medium));
        assert_eq!(patch.tags, Some(Vec::new()));
        assert_eq!(patch.timezone, Some(TimeZone::default()));
        assert_eq!(patch.recurrence, Some(None));
        assert_eq!(patch.title, None);
        assert!(TaskPatch::from_json(&json!({})).unwrap().is_empty());
        assert!(
            TaskPatch::from_json(&json!({"version": 2}))
                .unwrap()
                .is_empty()
        );
        let errors =
            TaskPatch::from_json(&json!({"title": null, "completed": null, "x": 1})).unwrap_err();
        assert!(errors.has("title") && errors.has("completed") && errors.has("x"));
    }
}
