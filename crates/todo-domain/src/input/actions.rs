//! The bodies of the single-purpose task actions: a new due date
//! (`PUT /tasks/{id}/due`), one more reminder (`POST /reminders`) and
//! completing (`POST /tasks/{id}/complete`).

use serde_json::Value;

use super::fields::*;
use crate::due::{Due, TimeZone};
use crate::error::ValidationErrors;
use crate::reminder::ReminderSpec;
use crate::task::TaskId;

/// A new due date (`PUT /tasks/{id}/due`): `{due_date, timezone?, reminders?}`.
/// `due_date` is required and may be `null` to clear it.
#[derive(Clone, Debug, PartialEq)]
pub struct DueDateChange {
    /// The new due date, or `None` to clear it.
    pub due_date: Option<Due>,
    /// A new time zone, if given.
    pub timezone: Option<TimeZone>,
    /// A new reminder list, if given.
    pub reminders: Option<Vec<ReminderSpec>>,
}

/// One more reminder for a task: `{task_id, remind_at | before_due}`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReminderInput {
    /// The task to remind about.
    pub task_id: TaskId,
    /// When.
    pub spec: ReminderSpec,
}

/// What `POST /tasks/{id}/complete` asks for: `{"completed": bool}`, or
/// toggle when the body is empty, `{}` or `null`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionInput {
    /// Set `completed` to this.
    Set(bool),
    /// Flip `completed`.
    Toggle,
}

impl DueDateChange {
    /// Checks `{due_date, timezone?, reminders?}`; `due_date` is required (may be `null`).
    pub fn from_json(value: &Value) -> Result<DueDateChange, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let Some(obj) = object(value, &mut errors) else {
            return Err(errors);
        };
        check_keys(obj, &["due_date", "timezone", "reminders"], &mut errors);
        let timezone = obj.get("timezone").map(|v| timezone(v, &mut errors));
        let zone = LocalZone::of(timezone.as_ref());
        let due = match obj.get("due_date") {
            None => {
                errors.push("due_date", "is required (null clears it)");
                None
            }
            Some(v) => due_date(v, zone, &mut errors),
        };
        let timezone = timezone.flatten();
        let reminders = obj
            .get("reminders")
            .and_then(|v| reminders(v, zone, &mut errors));
        match due {
            Some(due_date) if errors.is_empty() => Ok(DueDateChange {
                due_date,
                timezone,
                reminders,
            }),
            _ => Err(errors),
        }
    }
}

impl ReminderInput {
    /// Checks `{task_id, remind_at | before_due}`.
    pub fn from_json(value: &Value) -> Result<ReminderInput, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let Some(obj) = object(value, &mut errors) else {
            return Err(errors);
        };
        check_keys(obj, &["task_id", "remind_at", "before_due"], &mut errors);
        let task_id = match obj.get("task_id") {
            Some(v) => match v.as_u64().filter(|id| *id > 0) {
                Some(id) => Some(id),
                None => {
                    errors.push("task_id", "must be a positive integer");
                    None
                }
            },
            None => {
                errors.push("task_id", "is required");
                None
            }
        };
        let spec = reminder_fields(obj, "", LocalZone::Missing, &mut errors);
        match (task_id, spec) {
            (Some(task_id), Some(spec)) if errors.is_empty() => Ok(ReminderInput { task_id, spec }),
            _ => Err(errors),
        }
    }
}

impl CompletionInput {
    /// `{"completed": bool}` sets; `{}` and `null` toggle.
    pub fn from_json(value: &Value) -> Result<CompletionInput, ValidationErrors> {
        if value.is_null() {
            return Ok(CompletionInput::Toggle);
        }
        let mut errors = ValidationErrors::new();
        let Some(obj) = object(value, &mut errors) else {
            return Err(errors);
        };
        check_keys(obj, &["completed"], &mut errors);
        let input = match obj.get("completed") {
            None => Some(CompletionInput::Toggle),
            Some(v) => boolean("completed", v, &mut errors).map(CompletionInput::Set),
        };
        match input {
            Some(input) if errors.is_empty() => Ok(input),
            _ => Err(errors),
        }
    }

    /// Like [`CompletionInput::from_json`], from the raw body; an empty or
    /// blank body toggles.
    pub fn from_body(body: &[u8]) -> Result<CompletionInput, ValidationErrors> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(CompletionInput::Toggle);
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ValidationErrors::single("body", format!("is not valid JSON: {e}")))?;
        CompletionInput::from_json(&value)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::duration::IsoDuration;

    #[test]
    fn a_due_date_change_requires_due_date_and_accepts_null() {
        let change = DueDateChange::from_json(&json!({"due_date": null})).unwrap();
        assert_eq!(change.due_date, None);
        assert!(
            DueDateChange::from_json(&json!({"timezone": "UTC"}))
                .unwrap_err()
                .has("due_date")
        );
        assert!(
            DueDateChange::from_json(&json!({"due_date": "2026-03-01", "title": "x"}))
                .unwrap_err()
                .has("title")
        );
    }

    #[test]
    fn a_reminder_input_names_its_task_and_exactly_one_time() {
        let input =
            ReminderInput::from_json(&json!({"task_id": 4, "before_due": "PT15M"})).unwrap();
        assert_eq!(input.task_id, 4);
        assert_eq!(
            input.spec,
            ReminderSpec::BeforeDue(IsoDuration::minutes(15))
        );
        let errors = ReminderInput::from_json(&json!({"task_id": 0})).unwrap_err();
        assert!(errors.has("task_id") && errors.has("reminder"));
        let errors =
            ReminderInput::from_json(&json!({"task_id": 1, "remind_at": "2026-13-01T00:00:00Z"}))
                .unwrap_err();
        assert!(errors.has("remind_at"));
    }

    #[test]
    fn completion_input_sets_or_toggles() {
        assert_eq!(CompletionInput::from_body(b""), Ok(CompletionInput::Toggle));
        assert_eq!(
            CompletionInput::from_body(b" \n"),
            Ok(CompletionInput::Toggle)
        );
        assert_eq!(
            CompletionInput::from_body(b"{}"),
            Ok(CompletionInput::Toggle)
        );
        assert_eq!(
            CompletionInput::from_body(b"null"),
            Ok(CompletionInput::Toggle)
        );
        assert_eq!(
            CompletionInput::from_body(br#"{"completed": false}"#),
            Ok(CompletionInput::Set(false))
        );
        assert!(CompletionInput::from_body(br#"{"completed": "no"}"#).is_err());
        assert!(CompletionInput::from_body(b"{").unwrap_err().has("body"));
        assert!(
            CompletionInput::from_body(br#"{"done": true}"#)
                .unwrap_err()
                .has("done")
        );
    }
}
