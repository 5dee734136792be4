//! What the audit log stores and how it is queried (pure).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use service_kit::{FieldError, Problem};
use todo_domain::{IncomingEvent, LogPaging, Page, validate_incoming};

/// One immutable log entry, written once per `event_id`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    /// The event's id: the entry's identity.
    pub id: String,
    /// `task.created`, `task.updated`, ..., `reminder.due`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whose task.
    pub user_id: String,
    /// The task concerned.
    pub task_id: Option<u64>,
    /// The task's version after the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_version: Option<u64>,
    /// When it happened (the event's time).
    pub occurred_at: DateTime<Utc>,
    /// When this service recorded it.
    pub recorded_at: DateTime<Utc>,
    /// `{field: [old, new]}` for updates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<serde_json::Value>,
    /// The task's title at the time, for a readable log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl AuditEntry {
    /// Builds an entry from an event payload once it passes the consumers'
    /// common validation (schema, event id, type, user), or says why not.
    pub fn from_event(
        data: &serde_json::Value,
        recorded_at: DateTime<Utc>,
    ) -> Result<Self, String> {
        let changes = data.get("changes").filter(|c| !c.is_null()).cloned();
        Ok(match validate_incoming(data).map_err(|e| e.to_string())? {
            IncomingEvent::Task(event) => Self {
                id: event.event_id,
                kind: event.event_type.as_str().to_owned(),
                user_id: event.user_id.as_str().to_owned(),
                task_id: Some(event.task_id),
                task_version: Some(event.task_version),
                occurred_at: event.occurred_at,
                recorded_at,
                changes,
                title: Some(event.task.title),
            },
            IncomingEvent::Reminder(event) => Self {
                id: event.event_id,
                kind: "reminder.due".to_owned(),
                user_id: event.user_id.as_str().to_owned(),
                task_id: Some(event.task_id),
                task_version: Some(event.task_version),
                occurred_at: event.occurred_at,
                recorded_at,
                changes: None,
                title: Some(event.title),
            },
        })
    }
}

/// `GET /api/{user_id}/audit` parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditQuery {
    pub task_id: Option<u64>,
    pub kind: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub paging: LogPaging,
}

impl AuditQuery {
    /// Parses query pairs; every problem is reported, naming the parameter.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, Problem> {
        let (mut task_id, mut kind, mut from, mut to) = (None, None, None, None);
        let mut errors = Vec::new();
        let mut error = |field: &str, message: String| errors.push(FieldError::new(field, message));
        let time = |v: &str| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| format!("'{v}' is not an RFC 3339 time such as 2026-03-01T09:00:00Z"))
        };
        for (key, value) in pairs {
            match key.as_str() {
                "task_id" => match value.parse() {
                    Ok(id) => task_id = Some(id),
                    Err(_) => error("task_id", format!("'{value}' is not a task id")),
                },
                "type" => kind = Some(value.clone()),
                "from" => match time(value) {
                    Ok(t) => from = Some(t),
                    Err(m) => error("from", m),
                },
                "to" => match time(value) {
                    Ok(t) => to = Some(t),
                    Err(m) => error("to", m),
                },
                key if LogPaging::PARAMS.contains(&key) => {}
                other => error(
                    other,
                    "unknown parameter; use task_id, type, from, to, limit or cursor".into(),
                ),
            }
        }
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            error("to", "must be later than from".into());
        }
        // A cursor belongs to the filters it was issued with.
        let filters = format!("audit\u{1f}{task_id:?}\u{1f}{kind:?}\u{1f}{from:?}\u{1f}{to:?}");
        let paging = LogPaging::from_pairs(pairs, &filters)
            .map_err(|e| errors.extend(e))
            .ok();
        match paging {
            Some(paging) if errors.is_empty() => Ok(AuditQuery {
                task_id,
                kind,
                from,
                to,
                paging,
            }),
            _ => Err(Problem::invalid(errors)),
        }
    }

    fn matches(&self, entry: &AuditEntry) -> bool {
        self.task_id.is_none_or(|id| entry.task_id == Some(id))
            && self.kind.as_ref().is_none_or(|k| &entry.kind == k)
            && self.from.is_none_or(|from| entry.occurred_at >= from)
            && self.to.is_none_or(|to| entry.occurred_at < to)
    }

    /// Filters `entries` (oldest first, as stored) into a page, newest first.
    pub fn page(&self, entries: Vec<AuditEntry>) -> Page<AuditEntry> {
        self.paging.page(entries, |e| self.matches(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: &str, kind: &str, task: u64, at: &str) -> serde_json::Value {
        json!({"event_id": id, "event_type": kind, "schema_version": 1, "user_id": "alice",
               "task_id": task, "task_version": 1, "seq": task, "occurred_at": at,
               "task": {"id": task, "user_id": "alice", "title": "t", "description": null,
                        "completed": false, "completed_at": null, "priority": "medium",
                        "tags": [], "category": null, "parent_task_id": null,
                        "created_at": at, "updated_at": at, "due_date": null,
                        "timezone": "UTC", "reminders": [], "recurrence": null,
                        "series_id": null, "occurrence": 1, "version": 1}})
    }

    #[test]
    fn an_event_without_a_user_id_is_rejected_with_the_reason() {
        let mut e = event("1", "task.created", 1, "2026-01-01T00:00:00Z");
        e.as_object_mut().unwrap().remove("user_id");
        assert_eq!(
            AuditEntry::from_event(&e, Utc::now()).unwrap_err(),
            "user_id is missing or invalid"
        );
    }

    #[test]
    fn events_of_another_schema_or_inconsistent_ones_are_rejected() {
        let mut newer = event("1", "task.created", 1, "2026-01-01T00:00:00Z");
        newer["schema_version"] = json!(2);
        assert!(AuditEntry::from_event(&newer, Utc::now()).is_err());
        let mut foreign = event("2", "task.created", 1, "2026-01-01T00:00:00Z");
        foreign["task"]["user_id"] = json!("mallory");
        assert!(AuditEntry::from_event(&foreign, Utc::now()).is_err());
    }

    #[test]
    fn a_reminder_event_is_recorded_with_its_task_and_title() {
        let due = json!({"event_id": "reminder:alice:t3-r1-o1-1", "event_type": "reminder.due",
            "schema_version": 1, "user_id": "alice", "task_id": 3, "task_version": 2,
            "reminder_id": 1, "remind_at": "2026-01-01T09:00:00Z", "occurrence": 1,
            "title": "Call mum", "due_date": null, "occurred_at": "2026-01-01T09:00:00.2Z"});
        let entry = AuditEntry::from_event(&due, Utc::now()).unwrap();
        assert_eq!(entry.kind, "reminder.due");
        assert_eq!(entry.task_id, Some(3));
        assert_eq!(entry.title.as_deref(), Some("Call mum"));
    }

    #[test]
    fn pages_are_newest_first_and_filtered() {
        let now = Utc::now();
        let entries: Vec<AuditEntry> = (1..=5)
            .map(|i| {
                let kind = if i % 2 == 0 {
                    "task.updated"
                } else {
                    "task.created"
                };
                AuditEntry::from_event(
                    &event(&i.to_string(), kind, i, &format!("2026-01-0{i}T00:00:00Z")),
                    now,
                )
                .unwrap()
            })
            .collect();
        let query = AuditQuery::parse(&[
            ("type".into(), "task.created".into()),
            ("limit".into(), "2".into()),
        ])
        .unwrap();
        let page = query.page(entries.clone());
        assert_eq!(page.total, 3);
        assert_eq!(
            page.items.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["5", "3"]
        );
        let next = AuditQuery::parse(&[
            ("type".into(), "task.created".into()),
            ("cursor".into(), page.next_cursor.unwrap()),
        ])
        .unwrap()
        .page(entries);
        assert_eq!(
            next.items.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["1"]
        );
        assert_eq!(next.next_cursor, None);
    }

    #[test]
    fn an_empty_time_window_is_refused() {
        let err = AuditQuery::parse(&[
            ("from".into(), "2026-01-02T00:00:00Z".into()),
            ("to".into(), "2026-01-01T00:00:00Z".into()),
        ])
        .unwrap_err();
        assert_eq!(err.status(), 422);
    }

    #[test]
    fn unknown_parameters_and_bad_values_are_all_reported() {
        let err = AuditQuery::parse(&[
            ("limit".into(), "0".into()),
            ("colour".into(), "red".into()),
        ])
        .unwrap_err();
        assert_eq!(err.status(), 422);
    }
}
