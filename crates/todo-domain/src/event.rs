//! Integration events: immutable facts in the past tense, published by
//! `todo-api` (topic `task-events`), the notifier (`reminders`) and fanned
//! out to devices (`task-updates`). Consumers check what they receive with
//! [`validate_incoming`] and drop what fails as poison.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::due::Due;
use crate::ops::Changes;
use crate::reminder::ReminderId;
use crate::task::{Task, TaskId, UserId};

/// The schema version every event of this crate carries.
pub const SCHEMA_VERSION: u32 = 1;

/// The longest accepted `event_id`.
pub const MAX_EVENT_ID_CHARS: usize = 200;

/// What happened to a task. Serde: `"task.created"` etc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaskEventType {
    /// A task was created.
    #[serde(rename = "task.created")]
    Created,
    /// A task changed (including being reopened).
    #[serde(rename = "task.updated")]
    Updated,
    /// A task was completed (possibly with other changes in the same request).
    #[serde(rename = "task.completed")]
    Completed,
    /// A task was deleted.
    #[serde(rename = "task.deleted")]
    Deleted,
}

impl TaskEventType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskEventType::Created => "task.created",
            TaskEventType::Updated => "task.updated",
            TaskEventType::Completed => "task.completed",
            TaskEventType::Deleted => "task.deleted",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<TaskEventType> {
        match s {
            "task.created" => Some(TaskEventType::Created),
            "task.updated" => Some(TaskEventType::Updated),
            "task.completed" => Some(TaskEventType::Completed),
            "task.deleted" => Some(TaskEventType::Deleted),
            _ => None,
        }
    }

    /// `Completed` when `completed` went to `true`, `Updated` otherwise.
    pub fn for_changes(changes: &Changes) -> TaskEventType {
        if changes.completes() {
            TaskEventType::Completed
        } else {
            TaskEventType::Updated
        }
    }
}

/// The `event_type` of a [`ReminderDue`]: always `"reminder.due"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReminderEventType {
    /// A reminder's time has come.
    #[default]
    #[serde(rename = "reminder.due")]
    Due,
}

/// A task event on `task-events`. Serde:
/// `{event_id, event_type, schema_version, user_id, task_id, task_version, seq,
/// occurred_at, task, changes?}`; `changes` only for updates and completions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskEvent {
    /// Unique per event (chosen by the publisher); consumers dedupe on it.
    pub event_id: String,
    /// What happened.
    pub event_type: TaskEventType,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The owner.
    pub user_id: UserId,
    /// The task.
    pub task_id: TaskId,
    /// The task's version after the change; for a delete, one more than the
    /// last stored version (a delete is the task's last change).
    pub task_version: u64,
    /// The user's event sequence number (increasing per user), for ordering on devices.
    pub seq: u64,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The task after the change; for a delete, its last state.
    pub task: Task,
    /// What changed, for updates and completions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
}

/// The `type` of a [`DeviceUpdate`]: a task event type or `"notification"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeviceUpdateType {
    /// `task.created`.
    #[serde(rename = "task.created")]
    TaskCreated,
    /// `task.updated`.
    #[serde(rename = "task.updated")]
    TaskUpdated,
    /// `task.completed`.
    #[serde(rename = "task.completed")]
    TaskCompleted,
    /// `task.deleted`.
    #[serde(rename = "task.deleted")]
    TaskDeleted,
    /// `notification` (a reminder fired).
    #[serde(rename = "notification")]
    Notification,
}

impl DeviceUpdateType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceUpdateType::Notification => "notification",
            DeviceUpdateType::TaskCreated => TaskEventType::Created.as_str(),
            DeviceUpdateType::TaskUpdated => TaskEventType::Updated.as_str(),
            DeviceUpdateType::TaskCompleted => TaskEventType::Completed.as_str(),
            DeviceUpdateType::TaskDeleted => TaskEventType::Deleted.as_str(),
        }
    }
}

impl From<TaskEventType> for DeviceUpdateType {
    fn from(t: TaskEventType) -> Self {
        match t {
            TaskEventType::Created => DeviceUpdateType::TaskCreated,
            TaskEventType::Updated => DeviceUpdateType::TaskUpdated,
            TaskEventType::Completed => DeviceUpdateType::TaskCompleted,
            TaskEventType::Deleted => DeviceUpdateType::TaskDeleted,
        }
    }
}

/// A message for a user's devices on `task-updates`. Serde:
/// `{type, event_id, user_id, seq?, occurred_at, task?, notification?}`
/// (absent fields left out). Publishers send a [`Task`]; a relay that only
/// forwards the task (the realtime shim) reads it as `DeviceUpdate<Value>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceUpdate<T = Task> {
    /// What it is.
    #[serde(rename = "type")]
    pub kind: DeviceUpdateType,
    /// The event it comes from.
    pub event_id: String,
    /// Whose devices get it.
    pub user_id: UserId,
    /// The task event's sequence number (none for notifications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The task (last state for a delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<T>,
    /// What to show, for notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<Value>,
}

/// A reminder's time has come (topic `reminders`). Serde: `{event_id,
/// event_type: "reminder.due", schema_version, user_id, task_id,
/// task_version, reminder_id, remind_at, occurrence, title, due_date, occurred_at}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReminderDue {
    /// Unique per event; [`reminder_job_name`] is a good choice (one per
    /// reminder and task version).
    pub event_id: String,
    /// Always `reminder.due`.
    pub event_type: ReminderEventType,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The owner.
    pub user_id: UserId,
    /// The task.
    pub task_id: TaskId,
    /// The task version the reminder was scheduled for.
    pub task_version: u64,
    /// Which reminder.
    pub reminder_id: ReminderId,
    /// When it was due to fire.
    pub remind_at: DateTime<Utc>,
    /// The task's occurrence in its series.
    pub occurrence: u32,
    /// The task's title.
    pub title: String,
    /// The task's due date.
    pub due_date: Option<Due>,
    /// When the event was produced.
    pub occurred_at: DateTime<Utc>,
}

/// A validated incoming event, by kind.
#[derive(Clone, Debug, PartialEq)]
pub enum IncomingEvent {
    /// From `task-events`.
    Task(Box<TaskEvent>),
    /// From `reminders`.
    Reminder(Box<ReminderDue>),
}

/// Why an incoming event is poison: never retried, sent to the dead-letter
/// topic (reply `DROP`). The message is the reason to log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The payload is not a JSON object.
    #[error("the event is not a JSON object")]
    NotAnObject,
    /// `event_id` is missing, empty or too long.
    #[error("event_id is missing, empty or longer than {MAX_EVENT_ID_CHARS} characters")]
    EventId,
    /// `event_type` is missing or unknown.
    #[error("unknown event_type {0:?}")]
    UnknownType(String),
    /// The event is of another kind than the consumer reads.
    #[error("expected a {expected} event, got {actual}")]
    WrongKind {
        /// What the consumer reads.
        expected: &'static str,
        /// What came.
        actual: String,
    },
    /// `schema_version` is missing or not one this crate reads.
    #[error("unsupported schema_version {0:?}; this consumer reads version {SCHEMA_VERSION}")]
    SchemaVersion(Option<u64>),
    /// `user_id` is missing or not a valid user id.
    #[error("user_id is missing or invalid")]
    UserId,
    /// A field is missing or has the wrong shape.
    #[error("malformed {event_type} event: {message}")]
    Malformed {
        /// The event type.
        event_type: String,
        /// The decoding error.
        message: String,
    },
    /// Fields contradict each other (e.g. `task.id` is not `task_id`).
    #[error("inconsistent event: {0}")]
    Inconsistent(String),
}

impl TaskEvent {
    fn new(
        event_id: String,
        event_type: TaskEventType,
        seq: u64,
        task: &Task,
        task_version: u64,
        changes: Option<Changes>,
        occurred_at: DateTime<Utc>,
    ) -> TaskEvent {
        TaskEvent {
            event_id,
            event_type,
            schema_version: SCHEMA_VERSION,
            user_id: task.user_id.clone(),
            task_id: task.id,
            task_version,
            seq,
            occurred_at,
            task: task.clone(),
            changes,
        }
    }

    /// `task.created` for a new task.
    pub fn created(event_id: String, seq: u64, task: &Task, occurred_at: DateTime<Utc>) -> Self {
        Self::new(
            event_id,
            TaskEventType::Created,
            seq,
            task,
            task.version,
            None,
            occurred_at,
        )
    }

    /// `task.completed` or `task.updated` for a change; `None` when nothing
    /// changed (publish nothing then).
    pub fn changed(
        event_id: String,
        seq: u64,
        task: &Task,
        changes: Changes,
        occurred_at: DateTime<Utc>,
    ) -> Option<Self> {
        if changes.is_empty() {
            return None;
        }
        Some(Self::new(
            event_id,
            TaskEventType::for_changes(&changes),
            seq,
            task,
            task.version,
            Some(changes),
            occurred_at,
        ))
    }

    /// `task.deleted`, carrying the task's last state.
    pub fn deleted(event_id: String, seq: u64, task: &Task, occurred_at: DateTime<Utc>) -> Self {
        Self::new(
            event_id,
            TaskEventType::Deleted,
            seq,
            task,
            task.version.saturating_add(1),
            None,
            occurred_at,
        )
    }

    /// The message for the user's devices.
    pub fn device_update(&self) -> DeviceUpdate {
        DeviceUpdate {
            kind: self.event_type.into(),
            event_id: self.event_id.clone(),
            user_id: self.user_id.clone(),
            seq: Some(self.seq),
            occurred_at: self.occurred_at,
            task: Some(self.task.clone()),
            notification: None,
        }
    }

    /// Validates an incoming `task-events` payload.
    pub fn from_incoming(value: &Value) -> Result<TaskEvent, EventError> {
        match validate_incoming(value)? {
            IncomingEvent::Task(event) => Ok(*event),
            IncomingEvent::Reminder(_) => Err(EventError::WrongKind {
                expected: "task",
                actual: "reminder.due".into(),
            }),
        }
    }
}

impl ReminderDue {
    /// The event for reminder `reminder_id` of `task`, firing at its current
    /// time; `None` when the task has no such reminder or it has no time
    /// (relative, and the due date was removed).
    pub fn new(
        event_id: String,
        task: &Task,
        reminder_id: ReminderId,
        occurred_at: DateTime<Utc>,
    ) -> Option<ReminderDue> {
        let reminder = task.reminder(reminder_id)?;
        let remind_at = reminder
            .spec
            .fire_time(task.due_date.as_ref(), &task.timezone)?;
        Some(ReminderDue {
            event_id,
            event_type: ReminderEventType::Due,
            schema_version: SCHEMA_VERSION,
            user_id: task.user_id.clone(),
            task_id: task.id,
            task_version: task.version,
            reminder_id,
            remind_at,
            occurrence: task.occurrence,
            title: task.title.clone(),
            due_date: task.due_date.clone(),
            occurred_at,
        })
    }

    /// What a device shows: `{task_id, reminder_id, title, due_date, remind_at, occurrence}`.
    pub fn notification(&self) -> Value {
        serde_json::json!({
            "kind": "reminder",
            "task_id": self.task_id,
            "reminder_id": self.reminder_id,
            "title": self.title,
            "due_date": self.due_date,
            "remind_at": self.remind_at,
            "occurrence": self.occurrence,
        })
    }

    /// The `notification` message for the user's devices.
    pub fn device_update(&self) -> DeviceUpdate {
        DeviceUpdate {
            kind: DeviceUpdateType::Notification,
            event_id: self.event_id.clone(),
            user_id: self.user_id.clone(),
            seq: None,
            occurred_at: self.occurred_at,
            task: None,
            notification: Some(self.notification()),
        }
    }

    /// Validates an incoming `reminders` payload.
    pub fn from_incoming(value: &Value) -> Result<ReminderDue, EventError> {
        match validate_incoming(value)? {
            IncomingEvent::Reminder(event) => Ok(*event),
            IncomingEvent::Task(event) => Err(EventError::WrongKind {
                expected: "reminder.due",
                actual: event.event_type.as_str().into(),
            }),
        }
    }
}

/// Checks an incoming event (the CloudEvent's `data`) for a consumer:
/// an object with a non-empty `event_id`, a known `event_type`,
/// `schema_version` 1, a valid `user_id`, every field of its type, and (for
/// task events) a `task` that belongs to `user_id` and `task_id`.
pub fn validate_incoming(value: &Value) -> Result<IncomingEvent, EventError> {
    let obj = value.as_object().ok_or(EventError::NotAnObject)?;
    let event_id = obj.get("event_id").and_then(Value::as_str).unwrap_or("");
    if event_id.trim().is_empty() || event_id.chars().count() > MAX_EVENT_ID_CHARS {
        return Err(EventError::EventId);
    }
    let event_type = match obj.get("event_type") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => return Err(EventError::UnknownType(other.to_string())),
        None => return Err(EventError::UnknownType(String::new())),
    };
    let is_reminder = event_type == "reminder.due";
    if !is_reminder && TaskEventType::parse(event_type).is_none() {
        return Err(EventError::UnknownType(event_type.to_owned()));
    }
    let version = obj.get("schema_version").and_then(Value::as_u64);
    if version != Some(u64::from(SCHEMA_VERSION)) {
        return Err(EventError::SchemaVersion(version));
    }
    let user_ok = obj
        .get("user_id")
        .and_then(Value::as_str)
        .is_some_and(|u| UserId::parse(u).is_ok());
    if !user_ok {
        return Err(EventError::UserId);
    }
    let malformed = |e: serde_json::Error| EventError::Malformed {
        event_type: event_type.to_owned(),
        message: e.to_string(),
    };
    if is_reminder {
        let event = ReminderDue::deserialize(value).map_err(malformed)?;
        return Ok(IncomingEvent::Reminder(Box::new(event)));
    }
    let event = TaskEvent::deserialize(value).map_err(malformed)?;
    if event.task.id != event.task_id || event.task.user_id != event.user_id {
        return Err(EventError::Inconsistent(
            "task.id and task.user_id must match task_id and user_id".into(),
        ));
    }
    let version_ok = match event.event_type {
        TaskEventType::Deleted => event.task_version > event.task.version,
        _ => event.task_version == event.task.version,
    };
    if !version_ok {
        return Err(EventError::Inconsistent(format!(
            "task_version {} does not fit task.version {}",
            event.task_version, event.task.version
        )));
    }
    Ok(IncomingEvent::Task(Box::new(event)))
}

/// A Dapr job name for reminder `reminder_id` of task `task_id` at
/// `task_version`: unique per (user, task, reminder, version) and made of
/// `[a-z0-9-]` only, e.g. `reminder-alice-42-1-v3`. A user id that is not
/// all lowercase letters and digits (or starts with `x`) is written as `x` + hex.
pub fn reminder_job_name(
    user_id: &UserId,
    task_id: TaskId,
    reminder_id: ReminderId,
    task_version: u64,
) -> String {
    let user = user_id.as_str();
    let plain = !user.starts_with('x')
        && user
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let user = if plain {
        user.to_owned()
    } else {
        let mut hex = String::with_capacity(1 + 2 * user.len());
        hex.push('x');
        for b in user.bytes() {
            hex.push_str(&format!("{b:02x}"));
        }
        hex
    };
    format!("reminder-{user}-{task_id}-{reminder_id}-v{task_version}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::IsoDuration;
    use crate::reminder::{Reminder, ReminderSpec};
    use crate::test_support::*;

    fn sample_task() -> Task {
        task_with(|t| {
            t.id = 42;
            t.version = 3;
            t.due_date = Some(due("2026-03-01T09:00:00+01:00"));
            t.reminders = vec![Reminder {
                id: ReminderId(1),
                spec: ReminderSpec::BeforeDue(IsoDuration::minutes(15)),
            }];
        })
    }

    #[test]
    fn completing_with_other_changes_is_a_completed_event_and_reopening_an_update() {
        let mut task = sample_task();
        let now = utc("2026-03-01T10:00:00Z");
        let mut patch =
            crate::TaskPatch::from_json(&json!({"completed": true, "priority": "low"})).unwrap();
        let changes = task.apply_patch(patch.clone(), now).unwrap();
        let event = TaskEvent::changed("e1".into(), 7, &task, changes, now).unwrap();
        assert_eq!(event.event_type, TaskEventType::Completed);
        assert_eq!(event.task_version, 4);
        patch = crate::TaskPatch::from_json(&json!({"completed": false})).unwrap();
        let changes = task.apply_patch(patch, now).unwrap();
        let event = TaskEvent::changed("e2".into(), 8, &task, changes, now).unwrap();
        assert_eq!(event.event_type, TaskEventType::Updated);
        assert!(TaskEvent::changed("e3".into(), 9, &task, Changes::default(), now).is_none());
    }

    #[test]
    fn a_task_event_serializes_with_the_documented_fields() {
        let task = sample_task();
        let event = TaskEvent::created("e1".into(), 5, &task, utc("2026-03-01T10:00:00Z"));
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event_type"], "task.created");
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["user_id"], "alice");
        assert_eq!(json["task_id"], 42);
        assert_eq!(json["task_version"], 3);
        assert_eq!(json["seq"], 5);
        assert_eq!(json["occurred_at"], "2026-03-01T10:00:00Z");
        assert_eq!(json["task"]["id"], 42);
        assert!(json.get("changes").is_none());
        let deleted = TaskEvent::deleted("e2".into(), 6, &task, utc("2026-03-01T10:00:00Z"));
        assert_eq!(deleted.task_version, 4);
        assert_eq!(
            validate_incoming(&serde_json::to_value(&deleted).unwrap()).unwrap(),
            IncomingEvent::Task(Box::new(deleted))
        );
    }

    #[test]
    fn device_updates_leave_out_absent_fields() {
        let task = sample_task();
        let event = TaskEvent::created("e1".into(), 5, &task, utc("2026-03-01T10:00:00Z"));
        let update = serde_json::to_value(event.device_update()).unwrap();
        assert_eq!(update["type"], "task.created");
        assert_eq!(update["seq"], 5);
        assert!(update.get("notification").is_none());
        let reminder = ReminderDue::new(
            "r1".into(),
            &task,
            ReminderId(1),
            utc("2026-03-01T07:45:00Z"),
        )
        .unwrap();
        let update = serde_json::to_value(reminder.device_update()).unwrap();
        assert_eq!(update["type"], "notification");
        assert!(update.get("seq").is_none());
        assert!(update.get("task").is_none());
        assert_eq!(update["notification"]["task_id"], 42);
    }

    #[test]
    fn a_reminder_event_has_the_documented_shape_and_validates() {
        let task = sample_task();
        let event = ReminderDue::new(
            reminder_job_name(&task.user_id, task.id, ReminderId(1), task.version),
            &task,
            ReminderId(1),
            utc("2026-03-01T07:45:01Z"),
        )
        .unwrap();
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            json!({
                "event_id": "reminder-alice-42-1-v3",
                "event_type": "reminder.due",
                "schema_version": 1,
                "user_id": "alice",
                "task_id": 42,
                "task_version": 3,
                "reminder_id": 1,
                "remind_at": "2026-03-01T07:45:00Z",
                "occurrence": 1,
                "title": "Write report",
                "due_date": "2026-03-01T09:00:00+01:00",
                "occurred_at": "2026-03-01T07:45:01Z"
            })
        );
        assert_eq!(ReminderDue::from_incoming(&json).unwrap(), event);
        assert!(TaskEvent::from_incoming(&json).is_err());
        assert!(
            ReminderDue::new(
                "r".into(),
                &task,
                ReminderId(9),
                utc("2026-03-01T07:45:01Z")
            )
            .is_none()
        );
    }

    #[test]
    fn poison_events_are_rejected_with_a_reason() {
        let task = sample_task();
        let good = serde_json::to_value(TaskEvent::created(
            "e1".into(),
            1,
            &task,
            utc("2026-03-01T10:00:00Z"),
        ))
        .unwrap();
        assert!(validate_incoming(&good).is_ok());
        let with = |key: &str, value: Value| {
            let mut v = good.clone();
            v[key] = value;
            validate_incoming(&v).unwrap_err()
        };
        assert_eq!(
            validate_incoming(&json!([1])).unwrap_err(),
            EventError::NotAnObject
        );
        assert_eq!(with("event_id", json!("")), EventError::EventId);
        assert_eq!(
            with("event_type", json!("task.exploded")),
            EventError::UnknownType("task.exploded".into())
        );
        assert_eq!(
            with("schema_version", json!(2)),
            EventError::SchemaVersion(Some(2))
        );
        assert_eq!(with("user_id", json!("bad user")), EventError::UserId);
        assert!(matches!(
            with("task_id", json!(43)),
            EventError::Inconsistent(_)
        ));
        assert!(matches!(
            with("seq", json!("x")),
            EventError::Malformed { .. }
        ));
        assert!(with("user_id", Value::Null).to_string().contains("user_id"));
    }

    #[test]
    fn job_names_are_unique_and_use_a_safe_alphabet() {
        let plain = reminder_job_name(&alice(), 42, ReminderId(1), 3);
        assert_eq!(plain, "reminder-alice-42-1-v3");
        let odd = reminder_job_name(&UserId::parse("A.b@c").unwrap(), 1, ReminderId(2), 1);
        assert_eq!(odd, "reminder-x412e624063-1-2-v1");
        let tricky = reminder_job_name(&UserId::parse("x41").unwrap(), 1, ReminderId(2), 1);
        assert_ne!(
            tricky,
            reminder_job_name(&UserId::parse("A").unwrap(), 1, ReminderId(2), 1)
        );
        assert!(
            odd.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        );
    }
}
