//! The task aggregate and its small value types.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::due::{Due, TimeZone};
use crate::recurrence::Recurrence;
use crate::reminder::{Reminder, ReminderId};

/// A task's id: per user, increasing, assigned by the store.
pub type TaskId = u64;

/// The most characters of a user id.
pub const MAX_USER_ID_CHARS: usize = 64;

/// A validated user id: 1-64 characters of `A-Z a-z 0-9 _ . @ -`.
/// Serde: the string; deserializing validates.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(String);

/// Why a string is not a user id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("user id must be 1-64 characters of letters, digits, '_', '.', '@' and '-'")]
pub struct InvalidUserId;

impl UserId {
    /// Validates a user id.
    pub fn parse(s: &str) -> Result<UserId, InvalidUserId> {
        let ok = !s.is_empty()
            && s.len() <= MAX_USER_ID_CHARS
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'@' | b'-'));
        if ok {
            Ok(UserId(s.to_owned()))
        } else {
            Err(InvalidUserId)
        }
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user id reads as the string it is, so storage keys and logs take it as
/// `&str`; only [`UserId::parse`] makes one.
impl std::ops::Deref for UserId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for UserId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for UserId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        UserId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// How urgent a task is. Ordered `Low < Medium < High < Urgent`.
/// Serde: `"low" | "medium" | "high" | "urgent"`; default `medium`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Whenever.
    Low,
    /// The default.
    #[default]
    Medium,
    /// Soon.
    High,
    /// Now.
    Urgent,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Medium,
        Priority::High,
        Priority::Urgent,
    ];

    /// Parses the wire name (exact, lowercase).
    pub fn parse(s: &str) -> Option<Priority> {
        match s {
            "low" => Some(Priority::Low),
            "medium" => Some(Priority::Medium),
            "high" => Some(Priority::High),
            "urgent" => Some(Priority::Urgent),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn first_occurrence() -> u32 {
    1
}

fn first_version() -> u64 {
    1
}

/// A task, as stored and as the API shows it (snake_case JSON; every field
/// present, absent optionals as `null`). The derived `overdue` flag is not
/// part of it: see [`Task::view`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Per user, increasing.
    pub id: TaskId,
    /// The owner.
    pub user_id: UserId,
    /// 1-200 characters, trimmed.
    pub title: String,
    /// Up to 10,000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Done or not.
    #[serde(default)]
    pub completed: bool,
    /// When it was last completed; `None` while pending.
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    /// Default `medium`.
    #[serde(default)]
    pub priority: Priority,
    /// Up to 20, each 1-40 characters, lowercase, unique, in the order given.
    #[serde(default)]
    pub tags: Vec<String>,
    /// A free-form category, 1-100 characters.
    #[serde(default)]
    pub category: Option<String>,
    /// Another task of the same user this one is a subtask of.
    #[serde(default)]
    pub parent_task_id: Option<TaskId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// A moment with an offset, or a date for an all-day task.
    #[serde(default)]
    pub due_date: Option<Due>,
    /// The IANA zone recurrence, all-day dates and the calendar use; default UTC.
    #[serde(default)]
    pub timezone: TimeZone,
    /// Up to 10.
    #[serde(default)]
    pub reminders: Vec<Reminder>,
    /// How it repeats; needs a due date.
    #[serde(default)]
    pub recurrence: Option<Recurrence>,
    /// Links the instances of one recurring task.
    #[serde(default)]
    pub series_id: Option<String>,
    /// 1-based index in its series; 1 for a task that does not repeat.
    #[serde(default = "first_occurrence")]
    pub occurrence: u32,
    /// 1 at creation, +1 on every change.
    #[serde(default = "first_version")]
    pub version: u64,
}

/// A task with the fields derived at read time. Serde: the task's fields plus `overdue`.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct TaskView<'a> {
    /// The task.
    #[serde(flatten)]
    pub task: &'a Task,
    /// Pending, due, and `now` is at or past its overdue moment.
    pub overdue: bool,
}

/// Reading a task. Every operation that makes or changes one (create,
/// patch, complete, the next instance of a series, ...) is in `ops.rs`.
impl Task {
    /// The task as the API shows it at `now`.
    pub fn view(&self, now: DateTime<Utc>) -> TaskView<'_> {
        TaskView {
            task: self,
            overdue: self.is_overdue(now),
        }
    }

    /// Pending, has a due date, and `now >= due.overdue_at(timezone)`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        !self.completed
            && self
                .due_date
                .as_ref()
                .is_some_and(|due| now >= due.overdue_at(&self.timezone))
    }

    /// Whether it repeats.
    pub fn is_recurring(&self) -> bool {
        self.recurrence.is_some()
    }

    /// When the due date starts, in UTC.
    pub fn due_starts_at(&self) -> Option<DateTime<Utc>> {
        self.due_date.as_ref().map(|d| d.starts_at(&self.timezone))
    }

    /// Every reminder's absolute fire time, earliest first (ties by id).
    /// Relative reminders fire at `due.reminder_anchor(timezone) - before_due`;
    /// a relative reminder of a task without a due date is left out. Past
    /// times and completed tasks are included: see [`Task::upcoming_reminders`].
    pub fn reminder_times(&self) -> Vec<(ReminderId, DateTime<Utc>)> {
        let mut times: Vec<(ReminderId, DateTime<Utc>)> = self
            .reminders
            .iter()
            .filter_map(|r| {
                r.spec
                    .fire_time(self.due_date.as_ref(), &self.timezone)
                    .map(|t| (r.id, t))
            })
            .collect();
        times.sort_by_key(|(id, t)| (*t, *id));
        times
    }

    /// The reminders still to fire: none for a completed task, otherwise
    /// those of [`Task::reminder_times`] strictly after `now`.
    pub fn upcoming_reminders(&self, now: DateTime<Utc>) -> Vec<(ReminderId, DateTime<Utc>)> {
        if self.completed {
            return Vec::new();
        }
        let mut times = self.reminder_times();
        times.retain(|(_, t)| *t > now);
        times
    }

    /// The reminder with `id`.
    pub fn reminder(&self, id: ReminderId) -> Option<&Reminder> {
        self.reminders.iter().find(|r| r.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    #[test]
    fn user_ids_accept_the_documented_alphabet_only() {
        assert!(UserId::parse("alice").is_ok());
        assert!(UserId::parse("a.b_c-d@example.com").is_ok());
        assert!(UserId::parse(&"x".repeat(64)).is_ok());
        assert!(UserId::parse(&"x".repeat(65)).is_err());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("al ice").is_err());
        assert!(UserId::parse("al/ice").is_err());
        assert!(UserId::parse("alicé").is_err());
        assert!(serde_json::from_value::<UserId>(serde_json::json!("a/b")).is_err());
    }

    #[test]
    fn priorities_order_from_low_to_urgent_and_default_to_medium() {
        assert!(Priority::Low < Priority::Medium);
        assert!(Priority::High < Priority::Urgent);
        assert_eq!(Priority::default(), Priority::Medium);
        assert_eq!(Priority::parse("urgent"), Some(Priority::Urgent));
        assert_eq!(Priority::parse("URGENT"), None);
    }

    #[test]
    fn a_task_serializes_as_the_api_json_and_round_trips() {
        let task = task_with(|t| {
            t.due_date = Some(due("2026-03-01T09:00:00+01:00"));
            t.tags = vec!["home".into()];
        });
        let json = serde_json::to_value(&task).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        // Every field of the one list (input::fields) but the view's `overdue`.
        let mut expected: Vec<&str> = crate::input::TASK_FIELDS
            .iter()
            .map(|f| f.name)
            .filter(|name| *name != "overdue")
            .collect();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        // The view adds `overdue`, the list's last field.
        let view = serde_json::to_value(task.view(utc("2026-01-01T00:00:00Z"))).unwrap();
        assert_eq!(view.as_object().unwrap().len(), expected.len() + 1);
        assert!(view.get("overdue").is_some());
        assert!(!keys.contains(&"overdue"));
        assert_eq!(json["priority"], "medium");
        assert_eq!(json["due_date"], "2026-03-01T09:00:00+01:00");
        assert_eq!(json["timezone"], "UTC");
        let back: Task = serde_json::from_value(json).unwrap();
        assert_eq!(back, task);
    }

    #[test]
    fn the_view_adds_overdue_only_for_pending_tasks_past_their_due_time() {
        let mut task = task_with(|t| t.due_date = Some(due("2026-03-01T09:00:00+00:00")));
        let before = utc("2026-03-01T08:59:59Z");
        let at = utc("2026-03-01T09:00:00Z");
        assert!(!task.is_overdue(before));
        assert!(task.is_overdue(at));
        let view = serde_json::to_value(task.view(at)).unwrap();
        assert_eq!(view["overdue"], true);
        assert_eq!(view["title"], task.title);
        task.completed = true;
        assert!(!task.is_overdue(at));
        task.completed = false;
        task.due_date = None;
        assert!(!task.is_overdue(at));
    }

    #[test]
    fn reminder_times_resolve_relative_reminders_against_the_due_anchor() {
        use crate::IsoDuration;
        use crate::reminder::ReminderSpec;
        let task = task_with(|t| {
            t.due_date = Some(due("2026-03-01T09:00:00+01:00"));
            t.reminders = vec![
                Reminder {
                    id: ReminderId(1),
                    spec: ReminderSpec::RemindAt(
                        chrono::DateTime::parse_from_rfc3339("2026-02-28T20:00:00Z").unwrap(),
                    ),
                },
                Reminder {
                    id: ReminderId(2),
                    spec: ReminderSpec::BeforeDue(IsoDuration::minutes(15)),
                },
            ];
        });
        assert_eq!(
            task.reminder_times(),
            vec![
                (ReminderId(1), utc("2026-02-28T20:00:00Z")),
                (ReminderId(2), utc("2026-03-01T07:45:00Z")),
            ]
        );
        assert_eq!(
            task.upcoming_reminders(utc("2026-03-01T00:00:00Z")),
            vec![(ReminderId(2), utc("2026-03-01T07:45:00Z"))]
        );
    }
}
