//! The next instance of a completed recurring task: what it carries and
//! the key that makes creating it idempotent. [`crate::Task::next_instance`] and
//! [`crate::Task::from_instance`] make it, with the other operations in `ops.rs`.
use serde::{Deserialize, Serialize};

use crate::due::{Due, TimeZone};
use crate::recurrence::Recurrence;
use crate::reminder::Reminder;
use crate::task::{Priority, TaskId, UserId};

/// The fields of the next instance of a recurring task; the store gives it
/// an id and [`crate::Task::from_instance`] makes the task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewInstance {
    /// Same owner.
    pub user_id: UserId,
    /// Same title.
    pub title: String,
    /// Same description.
    pub description: Option<String>,
    /// Same priority.
    pub priority: Priority,
    /// Same tags.
    pub tags: Vec<String>,
    /// Same category.
    pub category: Option<String>,
    /// Same parent.
    pub parent_task_id: Option<TaskId>,
    /// The recurrence's next due date.
    pub due_date: Due,
    /// Same zone.
    pub timezone: TimeZone,
    /// Same ids; relative reminders unchanged (they follow the due date),
    /// absolute ones moved by as much as the due date moved.
    pub reminders: Vec<Reminder>,
    /// Same rule, still pinned to the series' first due date.
    pub recurrence: Recurrence,
    /// Same series.
    pub series_id: String,
    /// The previous occurrence + 1.
    pub occurrence: u32,
}

/// The key that makes creating occurrence `occurrence` of a series
/// idempotent: store it with the instance (or as a state key) and skip the
/// creation when it exists, so a redelivered completion event creates one instance.
pub fn idempotency_key(series_id: &str, occurrence: u32) -> String {
    format!("series:{series_id}:occurrence:{occurrence}")
}

impl NewInstance {
    /// [`idempotency_key`] of this instance.
    pub fn idempotency_key(&self) -> String {
        idempotency_key(&self.series_id, self.occurrence)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::input::NewTask;
    use crate::reminder::ReminderId;
    use crate::task::Task;
    use crate::test_support::*;

    fn recurring(body: serde_json::Value) -> Task {
        Task::create(
            5,
            alice(),
            NewTask::from_json(&body).unwrap(),
            utc("2026-01-01T00:00:00Z"),
            Some("series-5".into()),
        )
    }

    #[test]
    fn a_completed_daily_task_yields_the_next_day_with_reminders_moved() {
        let mut task = recurring(json!({
            "title": "Water plants",
            "tags": ["home"],
            "priority": "high",
            "due_date": "2026-03-01T09:00:00+01:00",
            "timezone": "Europe/Berlin",
            "recurrence": {"frequency": "daily"},
            "reminders": [{"before_due": "PT15M"}, {"remind_at": "2026-03-01T07:00:00+01:00"}]
        }));
        let done = utc("2026-03-01T08:30:00Z");
        task.set_completed(true, done);
        let next = task.next_instance(done).unwrap();
        assert_eq!(next.due_date, due("2026-03-02T09:00:00+01:00"));
        assert_eq!(next.occurrence, 2);
        assert_eq!(next.series_id, "series-5");
        assert_eq!(next.tags, vec!["home".to_owned()]);
        assert_eq!(next.priority, Priority::High);
        assert_eq!(next.idempotency_key(), "series:series-5:occurrence:2");
        let created = Task::from_instance(6, next, utc("2026-03-01T08:30:01Z"));
        assert!(!created.completed);
        assert_eq!(created.version, 1);
        assert_eq!(
            created.reminder_times(),
            vec![
                (ReminderId(2), utc("2026-03-02T06:00:00Z")),
                (ReminderId(1), utc("2026-03-02T07:45:00Z")),
            ]
        );
    }

    #[test]
    fn only_completed_recurring_tasks_have_a_next_instance() {
        let task = recurring(json!({
            "title": "Standup",
            "due_date": "2026-03-02",
            "recurrence": {"frequency": "daily"}
        }));
        assert!(task.next_instance(utc("2026-03-02T10:00:00Z")).is_none());
        let mut once = task_with(|t| t.due_date = Some(due("2026-03-02")));
        once.set_completed(true, utc("2026-03-02T10:00:00Z"));
        assert!(once.next_instance(utc("2026-03-02T10:00:00Z")).is_none());
    }

    #[test]
    fn a_monthly_series_on_the_31st_keeps_its_day_across_instances() {
        let mut task = recurring(json!({
            "title": "Invoice",
            "due_date": "2026-01-31",
            "recurrence": {"frequency": "monthly"}
        }));
        let mut dues = Vec::new();
        for i in 0..3 {
            // Completed on the day it is due, so no occurrence is skipped.
            let done = task.due_date.as_ref().unwrap().starts_at(&task.timezone);
            task.set_completed(true, done);
            let next = task.next_instance(done).unwrap();
            dues.push(next.due_date.clone());
            task = Task::from_instance(10 + i, next, done);
        }
        assert_eq!(
            dues,
            vec![due("2026-02-28"), due("2026-03-31"), due("2026-04-30")]
        );
    }
}
