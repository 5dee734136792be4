//! The body of `POST /tasks` and `PUT /tasks/{id}`: a whole task.

use serde_json::Value;

use super::fields::*;
use crate::due::{Due, TimeZone};
use crate::error::ValidationErrors;
use crate::recurrence::Recurrence;
use crate::reminder::ReminderSpec;
use crate::task::{Priority, TaskId};

/// A whole task as written by a client: the body of `POST /tasks` and `PUT /tasks/{id}`.
#[derive(Clone, Debug, PartialEq)]
pub struct NewTask {
    /// Trimmed, 1-200 characters.
    pub title: String,
    /// Up to 10,000 characters; `""` is stored as `None`.
    pub description: Option<String>,
    /// Default `false`.
    pub completed: bool,
    /// Default `medium`.
    pub priority: Priority,
    /// Lowercase, unique, in the order first given.
    pub tags: Vec<String>,
    /// Trimmed; blank is `None`.
    pub category: Option<String>,
    /// Existence and cycles are checked by the caller ([`crate::check_parent`]).
    pub parent_task_id: Option<TaskId>,
    /// Needed by `before_due` reminders and by a recurrence.
    pub due_date: Option<Due>,
    /// Default UTC.
    pub timezone: TimeZone,
    /// At most 10.
    pub reminders: Vec<ReminderSpec>,
    /// Needs a due date.
    pub recurrence: Option<Recurrence>,
    /// `version` in the body: the version the client last saw, to be checked
    /// with [`crate::Task::check_version`] before a `PUT` (ignored by `POST`).
    pub expected_version: Option<u64>,
}

impl NewTask {
    /// A pending task with just a title and every default (for callers and tests).
    pub fn titled(title: impl Into<String>) -> NewTask {
        NewTask {
            title: title.into(),
            description: None,
            completed: false,
            priority: Priority::default(),
            tags: Vec::new(),
            category: None,
            parent_task_id: None,
            due_date: None,
            timezone: TimeZone::default(),
            reminders: Vec::new(),
            recurrence: None,
            expected_version: None,
        }
    }

    /// Checks a `POST`/`PUT` body: `title` is required, unknown fields are
    /// rejected by name, and every invalid field is reported.
    pub fn from_json(value: &Value) -> Result<NewTask, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let Some(obj) = object(value, &mut errors) else {
            return Err(errors);
        };
        check_keys(obj, &body_fields().collect::<Vec<_>>(), &mut errors);
        let title = match obj.get("title") {
            None => {
                errors.push("title", "is required");
                None
            }
            Some(v) => title(v, &mut errors),
        };
        let description = obj.get("description").map(|v| description(v, &mut errors));
        let completed = obj
            .get("completed")
            .filter(|v| !v.is_null())
            .map(|v| boolean("completed", v, &mut errors));
        let priority = obj.get("priority").map(|v| priority(v, &mut errors));
        let tags = obj.get("tags").map(|v| tags(v, &mut errors));
        let category = obj.get("category").map(|v| category(v, &mut errors));
        let parent_task_id = obj
            .get("parent_task_id")
            .map(|v| parent_task_id(v, &mut errors));
        let timezone = obj.get("timezone").map(|v| timezone(v, &mut errors));
        let zone = LocalZone::of(timezone.as_ref());
        let due_date = obj.get("due_date").map(|v| due_date(v, zone, &mut errors));
        let reminders = obj
            .get("reminders")
            .map(|v| reminders(v, zone, &mut errors));
        let recurrence = obj.get("recurrence").map(|v| recurrence(v, &mut errors));
        let expected_version = obj.get("version").map(|v| version(v, &mut errors));

        let due_date = due_date.unwrap_or(Some(None));
        let reminders = reminders.unwrap_or(Some(Vec::new()));
        let recurrence = recurrence.unwrap_or(Some(None));
        if let (Some(due), Some(reminders), Some(recurrence)) = (&due_date, &reminders, &recurrence)
        {
            errors.extend(consistency(
                due.is_some(),
                reminders.iter(),
                recurrence.is_some(),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Every `None` left below was reported as an error above.
        let (
            Some(title),
            Some(description),
            Some(completed),
            Some(priority),
            Some(tags),
            Some(category),
            Some(parent_task_id),
            Some(due_date),
            Some(timezone),
            Some(reminders),
            Some(recurrence),
            Some(expected_version),
        ) = (
            title,
            description.unwrap_or(Some(None)),
            completed.unwrap_or(Some(false)),
            priority.unwrap_or(Some(Priority::default())),
            tags.unwrap_or(Some(Vec::new())),
            category.unwrap_or(Some(None)),
            parent_task_id.unwrap_or(Some(None)),
            due_date,
            timezone.unwrap_or(Some(TimeZone::default())),
            reminders,
            recurrence,
            expected_version.unwrap_or(Some(None)),
        )
        else {
            return Err(ValidationErrors::single("body", "is invalid"));
        };
        Ok(NewTask {
            title,
            description,
            completed,
            priority,
            tags,
            category,
            parent_task_id,
            due_date,
            timezone,
            reminders,
            recurrence,
            expected_version,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors_of(body: Value) -> ValidationErrors {
        NewTask::from_json(&body).unwrap_err()
    }

    #[test]
    fn a_minimal_body_takes_every_default() {
        let task = NewTask::from_json(&json!({"title": "  Buy milk "})).unwrap();
        assert_eq!(task, NewTask::titled("Buy milk"));
    }

    #[test]
    fn a_full_body_is_parsed_field_by_field() {
        let task = NewTask::from_json(&json!({
            "title": "Pay rent",
            "description": "by transfer",
            "priority": "Urgent",
            "tags": ["Money", "home"],
            "category": " Bills ",
            "parent_task_id": 4,
            "due_date": "2026-03-01",
            "timezone": "Europe/Berlin",
            "reminders": [{"before_due": "P1D"}, {"remind_at": "2026-02-27T12:00:00+01:00"}],
            "version": 3
        }))
        .unwrap();
        assert_eq!(task.priority, Priority::Urgent);
        assert_eq!(task.tags, vec!["money", "home"]);
        assert_eq!(task.category.as_deref(), Some("Bills"));
        assert_eq!(task.parent_task_id, Some(4));
        assert_eq!(task.timezone.name(), "Europe/Berlin");
        assert_eq!(task.reminders.len(), 2);
        assert_eq!(task.expected_version, Some(3));
    }

    #[test]
    fn the_title_is_required_trimmed_and_at_most_200_characters() {
        assert!(errors_of(json!({})).has("title"));
        assert!(errors_of(json!({"title": null})).has("title"));
        assert!(
            errors_of(json!({"title": "   \t "}))
                .to_string()
                .contains("blank")
        );
        let long = errors_of(json!({"title": "é".repeat(201)}));
        assert_eq!(
            long.to_string(),
            "title: must be at most 200 characters (got 201)"
        );
        assert!(NewTask::from_json(&json!({"title": format!(" {} ", "é".repeat(200))})).is_ok());
        assert!(errors_of(json!({"title": "two\nlines"})).has("title"));
        assert!(
            errors_of(json!({"title": 5}))
                .to_string()
                .contains("must be a string")
        );
    }

    #[test]
    fn tags_are_lowercased_and_deduplicated() {
        let task =
            NewTask::from_json(&json!({"title": "t", "tags": [" Work", "work", "HOME", "home "]}))
                .unwrap();
        assert_eq!(task.tags, vec!["work", "home"]);
    }

    #[test]
    fn more_than_twenty_tags_as_sent_or_bad_tags_are_rejected() {
        let tags: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert!(
            errors_of(json!({"title": "t", "tags": tags}))
                .to_string()
                .contains("at most 20 tags (got 21)")
        );
        // Counted as sent, duplicates too (the OpenAPI maxItems).
        let mut twenty: Vec<String> = (0..20).map(|i| format!("t{i}")).collect();
        assert!(NewTask::from_json(&json!({"title": "t", "tags": twenty.clone()})).is_ok());
        twenty.push("T0".into());
        assert!(NewTask::from_json(&json!({"title": "t", "tags": twenty})).is_err());
        let errors = errors_of(json!({"title": "t", "tags": ["ok", "", "x".repeat(41), 3, "a,b"]}));
        for field in ["tags[1]", "tags[2]", "tags[3]", "tags[4]"] {
            assert!(errors.has(field), "{field}: {errors}");
        }
        assert!(errors_of(json!({"title": "t", "tags": "work"})).has("tags"));
    }

    #[test]
    fn a_bad_priority_names_the_accepted_values() {
        let errors = errors_of(json!({"title": "t", "priority": "critical"}));
        assert_eq!(
            errors.to_string(),
            "priority: must be one of low, medium, high, urgent"
        );
        assert!(errors_of(json!({"title": "t", "priority": 3})).has("priority"));
    }

    #[test]
    fn bad_dates_unknown_zones_and_bad_reminders_are_reported_per_field() {
        let errors = errors_of(json!({
            "title": "t",
            "due_date": "2026-02-30",
            "timezone": "Mars/Olympus",
            "reminders": [{"before_due": "-PT5M"}, {"remind_at": "tomorrow"}, {}, {"remind_at": "2026-03-01T00:00:00Z", "before_due": "PT1M"}, 7]
        }));
        for field in [
            "due_date",
            "timezone",
            "reminders[0].before_due",
            "reminders[1].remind_at",
            "reminders[2]",
            "reminders[3]",
            "reminders[4]",
        ] {
            assert!(errors.has(field), "{field}: {errors}");
        }
        assert!(errors_of(json!({"title": "t", "due_date": 20260301})).has("due_date"));
        assert!(errors_of(json!({"title": "t", "timezone": 1})).has("timezone"));
    }

    #[test]
    fn reminders_and_recurrence_need_a_due_date_and_at_most_ten_reminders() {
        let errors = errors_of(json!({"title": "t", "reminders": [{"before_due": "PT15M"}]}));
        assert!(
            errors
                .to_string()
                .contains("before_due reminders need a due_date")
        );
        assert!(
            NewTask::from_json(
                &json!({"title": "t", "reminders": [{"remind_at": "2026-03-01T00:00:00Z"}]})
            )
            .is_ok()
        );
        let eleven: Vec<Value> = (0..11).map(|_| json!({"before_due": "PT1M"})).collect();
        let errors =
            errors_of(json!({"title": "t", "due_date": "2026-03-01", "reminders": eleven}));
        assert!(errors.to_string().contains("at most 10 reminders (got 11)"));
        let errors = errors_of(json!({"title": "t", "recurrence": {"frequency": "daily"}}));
        assert!(errors.has("recurrence"));
        // A bad due date is reported once, not again as "needs a due_date".
        let errors = errors_of(
            json!({"title": "t", "due_date": "soon", "reminders": [{"before_due": "PT1M"}]}),
        );
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn unknown_and_read_only_fields_are_rejected_by_name() {
        let errors = errors_of(json!({"title": "t", "colour": "red", "id": 5, "overdue": true}));
        assert_eq!(errors.len(), 3);
        assert!(
            errors
                .to_string()
                .contains("colour: is not a known field; expected title,")
        );
        assert!(errors.to_string().contains("id: is set by the server"));
        assert!(errors_of(json!("title")).has("body"));
        assert!(errors_of(json!([])).has("body"));
    }

    #[test]
    fn wrong_json_types_are_reported_for_every_field_at_once() {
        let errors = errors_of(json!({
            "title": ["t"],
            "description": 1,
            "completed": "yes",
            "category": true,
            "parent_task_id": -1,
            "version": "3"
        }));
        for field in [
            "title",
            "description",
            "completed",
            "category",
            "parent_task_id",
            "version",
        ] {
            assert!(errors.has(field), "{field}: {errors}");
        }
        assert!(
            errors_of(json!({"title": "t", "description": "x".repeat(10_001)})).has("description")
        );
        assert!(
            NewTask::from_json(&json!({"title": "t", "description": "x".repeat(10_000)})).is_ok()
        );
    }
}
