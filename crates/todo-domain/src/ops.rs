//! Making and changing tasks (every `impl Task` that writes; reading a task
//! is in `task.rs`): every operation validates the task it would produce, and
//! reports what changed so events can carry it. A change bumps `version` and
//! sets `updated_at`; an operation that changes nothing leaves both alone.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::ValidationErrors;
use crate::input::{
    CompletionInput, DueDateChange, NewTask, TaskPatch, consistency, tracked_fields,
};
use crate::next_instance::NewInstance;
use crate::reminder::{Reminder, ReminderId, ReminderSpec, assign_ids};
use crate::task::{Task, TaskId, UserId};

/// What an operation changed: field -> `[old, new]` as API JSON, in task
/// field order. Serde: `{"title": ["old", "new"], ...}`. Empty when nothing changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes(Vec<(String, [Value; 2])>);

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many fields changed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `[old, new]` of `field`, if it changed.
    pub fn get(&self, field: &str) -> Option<&[Value; 2]> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, v)| v)
    }

    /// Whether `field` changed.
    pub fn contains(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// The changed fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(f, _)| f.as_str())
    }

    /// Every change, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Value; 2])> {
        self.0.iter().map(|(f, v)| (f.as_str(), v))
    }

    /// Whether this change completed the task (`completed` went to `true`).
    pub fn completes(&self) -> bool {
        self.get("completed")
            .is_some_and(|[_, new]| *new == Value::Bool(true))
    }

    /// The fields that differ between two states of a task.
    pub fn between(old: &Task, new: &Task) -> Changes {
        let old = serde_json::to_value(old).unwrap_or(Value::Null);
        let new = serde_json::to_value(new).unwrap_or(Value::Null);
        let mut changes = Vec::new();
        // The task's tracked fields (input::fields), in order.
        for field in tracked_fields() {
            let before = old.get(field).cloned().unwrap_or(Value::Null);
            let after = new.get(field).cloned().unwrap_or(Value::Null);
            if before != after {
                changes.push((field.to_owned(), [before, after]));
            }
        }
        Changes(changes)
    }
}

impl Serialize for Changes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (field, values) in &self.0 {
            map.serialize_entry(field, values)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Changes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ChangesVisitor;
        impl<'de> Visitor<'de> for ChangesVisitor {
            type Value = Changes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of field to [old, new]")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Changes, A::Error> {
                let mut out = Vec::new();
                while let Some((field, values)) = access.next_entry::<String, [Value; 2]>()? {
                    out.push((field, values));
                }
                Ok(Changes(out))
            }
        }
        deserializer.deserialize_map(ChangesVisitor)
    }
}

/// `PUT`/`PATCH` carried a `version` that is not the stored one: answer 409
/// (or 412 when it came from `If-Match`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the task is at version {current}, not {expected}; reload it and try again")]
pub struct VersionConflict {
    /// The version the client sent.
    pub expected: u64,
    /// The stored version.
    pub current: u64,
}

/// The field parent problems are reported on.
const PARENT_FIELD: &str = "parent_task_id";

/// How deep a parent chain [`check_parent`] follows before calling it a cycle.
pub const MAX_PARENT_DEPTH: usize = 1_000;

/// Checks that `parent` can be the parent of task `task` (`None` for a task
/// not created yet): the parent exists and following parents from it never
/// comes back to `task`. `parent_of(id)` is `None` when the user has no task
/// `id`, `Some(its parent_task_id)` otherwise.
pub fn check_parent(
    task: Option<TaskId>,
    parent: TaskId,
    parent_of: impl Fn(TaskId) -> Option<Option<TaskId>>,
) -> Result<(), ValidationErrors> {
    let cycle = || {
        ValidationErrors::single(
            PARENT_FIELD,
            "would make the task a subtask of itself; pick a task that is not one of its subtasks",
        )
    };
    if Some(parent) == task {
        return Err(cycle());
    }
    let mut current = match parent_of(parent) {
        None => {
            return Err(ValidationErrors::single(
                PARENT_FIELD,
                format!("there is no task {parent}"),
            ));
        }
        Some(next) => next,
    };
    for _ in 0..MAX_PARENT_DEPTH {
        match current {
            None => return Ok(()),
            Some(id) if Some(id) == task || id == parent => return Err(cycle()),
            Some(id) => current = parent_of(id).flatten(),
        }
    }
    Err(cycle())
}

impl Task {
    /// A new task: version 1, `created_at = updated_at = now`, occurrence 1.
    /// A recurring task gets `series_id` (a fresh id chosen by the caller,
    /// e.g. a UUID) or, when `None`, `"{user_id}-{id}"`; its recurrence is
    /// pinned to the first due date. A task created completed gets `completed_at = now`.
    pub fn create(
        id: TaskId,
        user_id: UserId,
        new: NewTask,
        now: DateTime<Utc>,
        series_id: Option<String>,
    ) -> Task {
        let mut task = Task {
            id,
            user_id,
            title: new.title,
            description: new.description,
            completed: new.completed,
            completed_at: new.completed.then_some(now),
            priority: new.priority,
            tags: new.tags,
            category: new.category,
            parent_task_id: new.parent_task_id,
            created_at: now,
            updated_at: now,
            due_date: new.due_date,
            timezone: new.timezone,
            reminders: assign_ids(&[], new.reminders),
            recurrence: new.recurrence,
            series_id: None,
            occurrence: 1,
            version: 1,
        };
        if task.recurrence.is_some() {
            task.series_id = Some(series_id.unwrap_or_else(|| task.default_series_id()));
        }
        task.pin_recurrence();
        task
    }

    /// For a completed recurring task, its next instance; `None` when the
    /// task is pending, does not repeat, has no due date or series, or the
    /// series is over (count or until reached).
    pub fn next_instance(&self, completed_at: DateTime<Utc>) -> Option<NewInstance> {
        if !self.completed {
            return None;
        }
        let recurrence = self.recurrence.as_ref()?;
        let current = self.due_date.as_ref()?;
        let series_id = self.series_id.clone()?;
        let occurrence = self.occurrence.checked_add(1)?;
        let next = recurrence.next_due(current, &self.timezone, self.occurrence, completed_at)?;
        let delta = next.starts_at(&self.timezone) - current.starts_at(&self.timezone);
        let reminders = self
            .reminders
            .iter()
            .map(|r| Reminder {
                id: r.id,
                spec: match &r.spec {
                    ReminderSpec::RemindAt(at) => {
                        ReminderSpec::RemindAt(at.checked_add_signed(delta).unwrap_or(*at))
                    }
                    relative @ ReminderSpec::BeforeDue(_) => relative.clone(),
                },
            })
            .collect();
        Some(NewInstance {
            user_id: self.user_id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            priority: self.priority,
            tags: self.tags.clone(),
            category: self.category.clone(),
            parent_task_id: self.parent_task_id,
            due_date: next,
            timezone: self.timezone,
            reminders,
            recurrence: recurrence.clone(),
            series_id,
            occurrence,
        })
    }

    /// The task for `instance`: pending, version 1, created now. The
    /// recurrence is not re-pinned, so a monthly series on the 31st stays on
    /// the 31st (or the month's last day).
    pub fn from_instance(id: TaskId, instance: NewInstance, now: DateTime<Utc>) -> Task {
        Task {
            id,
            user_id: instance.user_id,
            title: instance.title,
            description: instance.description,
            completed: false,
            completed_at: None,
            priority: instance.priority,
            tags: instance.tags,
            category: instance.category,
            parent_task_id: instance.parent_task_id,
            created_at: now,
            updated_at: now,
            due_date: Some(instance.due_date),
            timezone: instance.timezone,
            reminders: instance.reminders,
            recurrence: Some(instance.recurrence),
            series_id: Some(instance.series_id),
            occurrence: instance.occurrence,
            version: 1,
        }
    }

    /// `Err` when `expected` is given and is not the stored version.
    pub fn check_version(&self, expected: Option<u64>) -> Result<(), VersionConflict> {
        match expected {
            Some(expected) if expected != self.version => Err(VersionConflict {
                expected,
                current: self.version,
            }),
            _ => Ok(()),
        }
    }

    /// Replaces every writable field (`PUT`). Fields left out of the body
    /// take their defaults. Does not check `expected_version`: call
    /// [`Task::check_version`] first.
    pub fn replace(
        &mut self,
        new: NewTask,
        now: DateTime<Utc>,
    ) -> Result<Changes, ValidationErrors> {
        let mut next = self.clone();
        next.title = new.title;
        next.description = new.description;
        next.priority = new.priority;
        next.tags = new.tags;
        next.category = new.category;
        next.parent_task_id = new.parent_task_id;
        next.due_date = new.due_date;
        next.timezone = new.timezone;
        next.reminders = assign_ids(&self.reminders, new.reminders);
        next.recurrence = new.recurrence;
        next.set_completion(new.completed, now);
        self.commit(next, now)
    }

    /// Applies a partial update (`PATCH`). Does not check `expected_version`:
    /// call [`Task::check_version`] first.
    pub fn apply_patch(
        &mut self,
        patch: TaskPatch,
        now: DateTime<Utc>,
    ) -> Result<Changes, ValidationErrors> {
        let mut next = self.clone();
        if let Some(title) = patch.title {
            next.title = title;
        }
        if let Some(description) = patch.description {
            next.description = description;
        }
        if let Some(priority) = patch.priority {
            next.priority = priority;
        }
        if let Some(tags) = patch.tags {
            next.tags = tags;
        }
        if let Some(category) = patch.category {
            next.category = category;
        }
        if let Some(parent) = patch.parent_task_id {
            next.parent_task_id = parent;
        }
        if let Some(due) = patch.due_date {
            next.due_date = due;
        }
        if let Some(tz) = patch.timezone {
            next.timezone = tz;
        }
        if let Some(reminders) = patch.reminders {
            next.reminders = assign_ids(&self.reminders, reminders);
        }
        if let Some(recurrence) = patch.recurrence {
            next.recurrence = recurrence;
        }
        if let Some(completed) = patch.completed {
            next.set_completion(completed, now);
        }
        self.commit(next, now)
    }

    /// Completes (`completed_at = now`) or reopens (`completed_at = None`) the
    /// task. Setting the state it already has changes nothing.
    pub fn set_completed(&mut self, completed: bool, now: DateTime<Utc>) -> Changes {
        let mut next = self.clone();
        next.set_completion(completed, now);
        self.commit(next, now).unwrap_or_default()
    }

    /// [`Task::set_completed`], or the opposite of the current state for a toggle.
    pub fn complete(&mut self, input: CompletionInput, now: DateTime<Utc>) -> Changes {
        let completed = match input {
            CompletionInput::Set(completed) => completed,
            CompletionInput::Toggle => !self.completed,
        };
        self.set_completed(completed, now)
    }

    /// Sets or clears the due date, and the time zone and reminders when given.
    pub fn change_due(
        &mut self,
        change: DueDateChange,
        now: DateTime<Utc>,
    ) -> Result<Changes, ValidationErrors> {
        let mut next = self.clone();
        next.due_date = change.due_date;
        if let Some(tz) = change.timezone {
            next.timezone = tz;
        }
        if let Some(reminders) = change.reminders {
            next.reminders = assign_ids(&self.reminders, reminders);
        }
        self.commit(next, now)
    }

    /// Adds a reminder; returns its id and the change.
    pub fn add_reminder(
        &mut self,
        spec: ReminderSpec,
        now: DateTime<Utc>,
    ) -> Result<(ReminderId, Changes), ValidationErrors> {
        let mut next = self.clone();
        let id = ReminderId(
            self.reminders
                .iter()
                .map(|r| r.id.0)
                .max()
                .unwrap_or(0)
                .saturating_add(1),
        );
        next.reminders.push(crate::Reminder { id, spec });
        let changes = self.commit(next, now)?;
        Ok((id, changes))
    }

    /// Removes reminder `id`; `None` when the task has no such reminder.
    pub fn remove_reminder(&mut self, id: ReminderId, now: DateTime<Utc>) -> Option<Changes> {
        let mut next = self.clone();
        let before = next.reminders.len();
        next.reminders.retain(|r| r.id != id);
        if next.reminders.len() == before {
            return None;
        }
        Some(self.commit(next, now).unwrap_or_default())
    }

    /// The series id used when the caller gave none.
    fn default_series_id(&self) -> String {
        format!("{}-{}", self.user_id, self.id)
    }

    fn set_completion(&mut self, completed: bool, now: DateTime<Utc>) {
        if completed != self.completed {
            self.completed = completed;
            self.completed_at = completed.then_some(now);
        }
    }

    /// Pins the recurrence to the current due date, if both are set.
    fn pin_recurrence(&mut self) {
        if let (Some(recurrence), Some(due)) = (self.recurrence.as_mut(), self.due_date.as_ref()) {
            recurrence.pin_anchor(due, &self.timezone);
        }
    }

    /// Validates `next`, re-pins its recurrence when its rule, due date or
    /// zone changed, and makes it the current state if anything changed.
    fn commit(&mut self, mut next: Task, now: DateTime<Utc>) -> Result<Changes, ValidationErrors> {
        let mut errors = consistency(
            next.due_date.is_some(),
            next.reminders.iter().map(|r| &r.spec),
            next.recurrence.is_some(),
        );
        if next.parent_task_id == Some(next.id) {
            errors.push(PARENT_FIELD, "a task cannot be a subtask of itself");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let rule_changed = next.recurrence != self.recurrence;
        if next.recurrence.is_some()
            && (rule_changed || next.due_date != self.due_date || next.timezone != self.timezone)
        {
            next.pin_recurrence();
        }
        if next.recurrence.is_some() && next.series_id.is_none() {
            next.series_id = Some(next.default_series_id());
        }
        let changes = Changes::between(self, &next);
        if !changes.is_empty() {
            next.version = self.version.saturating_add(1);
            next.updated_at = now;
            *self = next;
        }
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::test_support::*;

    fn new_task(body: Value) -> NewTask {
        NewTask::from_json(&body).unwrap()
    }

    fn patch(body: Value) -> TaskPatch {
        TaskPatch::from_json(&body).unwrap()
    }

    #[test]
    fn a_created_task_starts_at_version_one_with_numbered_reminders() {
        let now = utc("2026-02-01T10:00:00Z");
        let task = Task::create(
            7,
            alice(),
            new_task(json!({
                "title": "Pay rent",
                "due_date": "2026-03-01",
                "reminders": [{"before_due": "P1D"}, {"remind_at": "2026-02-27T12:00:00Z"}]
            })),
            now,
            None,
        );
        assert_eq!(task.id, 7);
        assert_eq!(task.version, 1);
        assert_eq!(task.created_at, now);
        assert_eq!(task.updated_at, now);
        assert_eq!(task.occurrence, 1);
        assert_eq!(task.series_id, None);
        assert_eq!(
            task.reminders.iter().map(|r| r.id.0).collect::<Vec<_>>(),
            vec![1, 2]
        );
    }

    #[test]
    fn a_recurring_task_gets_the_callers_series_id_or_a_derived_one() {
        let now = utc("2026-02-01T10:00:00Z");
        let body = json!({"title": "Standup", "due_date": "2026-02-02T09:00:00+01:00",
                          "recurrence": {"frequency": "daily"}});
        let given = Task::create(3, alice(), new_task(body.clone()), now, Some("s-1".into()));
        assert_eq!(given.series_id.as_deref(), Some("s-1"));
        let derived = Task::create(3, alice(), new_task(body), now, None);
        assert_eq!(derived.series_id.as_deref(), Some("alice-3"));
    }

    #[test]
    fn a_patch_reports_old_and_new_values_in_field_order_and_bumps_the_version() {
        let mut task = task_with(|_| {});
        let now = utc("2026-02-01T10:00:00Z");
        let changes = task
            .apply_patch(
                patch(json!({"priority": "high", "title": "Write the report", "tags": ["Work"]})),
                now,
            )
            .unwrap();
        assert_eq!(
            serde_json::to_string(&changes).unwrap(),
            r#"{"title":["Write report","Write the report"],"priority":["medium","high"],"tags":[[],["work"]]}"#
        );
        assert_eq!(task.version, 2);
        assert_eq!(task.updated_at, now);
        let back: Changes =
            serde_json::from_str(&serde_json::to_string(&changes).unwrap()).unwrap();
        assert_eq!(back, changes);
    }

    #[test]
    fn a_patch_that_changes_nothing_keeps_version_and_updated_at() {
        let mut task = task_with(|t| t.priority = crate::Priority::High);
        let before = task.clone();
        let changes = task
            .apply_patch(
                patch(json!({"priority": "high", "title": "  Write report  "})),
                utc("2026-02-01T10:00:00Z"),
            )
            .unwrap();
        assert!(changes.is_empty());
        assert_eq!(task, before);
        let changes = task.apply_patch(patch(json!({})), utc("2026-02-01T10:00:00Z"));
        assert!(changes.unwrap().is_empty());
        assert_eq!(task.version, 1);
    }

    #[test]
    fn null_in_a_patch_clears_optional_fields() {
        let mut task = task_with(|t| {
            t.description = Some("notes".into());
            t.category = Some("work".into());
            t.due_date = Some(due("2026-03-01"));
        });
        let changes = task
            .apply_patch(
                patch(json!({"description": null, "category": null, "due_date": null})),
                utc("2026-02-01T10:00:00Z"),
            )
            .unwrap();
        assert_eq!(
            changes.fields().collect::<Vec<_>>(),
            vec!["description", "category", "due_date"]
        );
        assert_eq!(task.description, None);
        assert_eq!(task.due_date, None);
    }

    #[test]
    fn a_patch_is_checked_against_the_merged_task_and_applies_nothing_when_invalid() {
        let mut task = task_with(|t| t.due_date = Some(due("2026-03-01")));
        task.apply_patch(
            patch(json!({"reminders": [{"before_due": "PT15M"}]})),
            utc("2026-02-01T10:00:00Z"),
        )
        .unwrap();
        let before = task.clone();
        let errors = task
            .apply_patch(
                patch(json!({"due_date": null})),
                utc("2026-02-02T10:00:00Z"),
            )
            .unwrap_err();
        assert!(errors.has("reminders"));
        assert_eq!(task, before);
        let errors = task
            .apply_patch(
                patch(json!({"parent_task_id": 1})),
                utc("2026-02-02T10:00:00Z"),
            )
            .unwrap_err();
        assert!(errors.has("parent_task_id"));
    }

    #[test]
    fn completing_sets_completed_at_and_reopening_clears_it() {
        let mut task = task_with(|_| {});
        let now = utc("2026-02-01T10:00:00Z");
        let changes = task.set_completed(true, now);
        assert!(changes.completes());
        assert_eq!(task.completed_at, Some(now));
        assert_eq!(task.version, 2);
        assert!(
            task.set_completed(true, utc("2026-02-02T10:00:00Z"))
                .is_empty()
        );
        assert_eq!(task.completed_at, Some(now));
        assert_eq!(task.version, 2);
        let changes = task.complete(CompletionInput::Toggle, now);
        assert!(!changes.completes());
        assert_eq!(
            changes.get("completed_at"),
            Some(&[json!("2026-02-01T10:00:00Z"), Value::Null])
        );
        assert!(!task.completed);
        assert_eq!(task.version, 3);
    }

    #[test]
    fn replace_resets_left_out_fields_and_keeps_matching_reminder_ids() {
        let now = utc("2026-02-01T10:00:00Z");
        let mut task = Task::create(
            1,
            alice(),
            new_task(
                json!({"title": "A", "category": "home", "due_date": "2026-03-01",
                            "reminders": [{"before_due": "PT1H"}, {"before_due": "PT5M"}]}),
            ),
            now,
            None,
        );
        let changes = task
            .replace(
                new_task(json!({"title": "A", "due_date": "2026-03-01",
                                "reminders": [{"before_due": "PT5M"}]})),
                now,
            )
            .unwrap();
        assert_eq!(
            changes.fields().collect::<Vec<_>>(),
            vec!["category", "reminders"]
        );
        assert_eq!(task.reminders[0].id, ReminderId(2));
    }

    #[test]
    fn change_due_moves_the_due_date_and_can_replace_reminders() {
        let mut task = task_with(|t| t.due_date = Some(due("2026-03-01")));
        let change = DueDateChange::from_json(&json!({
            "due_date": "2026-03-05T10:00:00+01:00",
            "timezone": "Europe/Berlin",
            "reminders": [{"before_due": "PT10M"}]
        }))
        .unwrap();
        let changes = task
            .change_due(change, utc("2026-02-01T10:00:00Z"))
            .unwrap();
        assert_eq!(
            changes.fields().collect::<Vec<_>>(),
            vec!["due_date", "timezone", "reminders"]
        );
        assert_eq!(task.reminder_times()[0].1, utc("2026-03-05T08:50:00Z"));
    }

    #[test]
    fn reminders_can_be_added_up_to_ten_and_removed_by_id() {
        let mut task = task_with(|_| {});
        let now = utc("2026-02-01T10:00:00Z");
        for i in 0..10 {
            let at =
                chrono::DateTime::parse_from_rfc3339(&format!("2026-02-0{}T10:00:00Z", i % 9 + 1));
            let (id, changes) = task
                .add_reminder(ReminderSpec::RemindAt(at.unwrap()), now)
                .unwrap();
            assert_eq!(id, ReminderId(i + 1));
            assert!(changes.contains("reminders"));
        }
        let errors = task
            .add_reminder(
                ReminderSpec::RemindAt(
                    chrono::DateTime::parse_from_rfc3339("2026-02-01T10:00:00Z").unwrap(),
                ),
                now,
            )
            .unwrap_err();
        assert!(errors.has("reminders"));
        assert!(task.remove_reminder(ReminderId(3), now).is_some());
        assert!(task.remove_reminder(ReminderId(3), now).is_none());
        assert_eq!(task.reminders.len(), 9);
        let mut pending = task_with(|_| {});
        let errors = pending
            .add_reminder(ReminderSpec::BeforeDue(crate::IsoDuration::minutes(5)), now)
            .unwrap_err();
        assert!(errors.has("reminders"));
    }

    #[test]
    fn a_stale_version_is_a_conflict() {
        let task = task_with(|t| t.version = 4);
        assert!(task.check_version(None).is_ok());
        assert!(task.check_version(Some(4)).is_ok());
        assert_eq!(
            task.check_version(Some(3)),
            Err(VersionConflict {
                expected: 3,
                current: 4
            })
        );
    }

    #[test]
    fn parents_must_exist_and_must_not_form_a_cycle() {
        // 1 <- 2 <- 3 (3 is a subtask of 2, 2 of 1)
        let parent_of = |id: TaskId| match id {
            1 => Some(None),
            2 => Some(Some(1)),
            3 => Some(Some(2)),
            _ => None,
        };
        assert!(check_parent(None, 3, parent_of).is_ok());
        assert!(check_parent(Some(4), 3, parent_of).is_ok());
        assert!(check_parent(Some(1), 3, parent_of).is_err());
        assert!(check_parent(Some(2), 2, parent_of).is_err());
        let missing = check_parent(None, 9, parent_of).unwrap_err();
        assert_eq!(missing.to_string(), "parent_task_id: there is no task 9");
        let looping = |id: TaskId| Some(Some(if id == 5 { 6 } else { 5 }));
        assert!(check_parent(None, 5, looping).is_err());
    }
}
