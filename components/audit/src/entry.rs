//! What the audit log stores and how it is queried (pure).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use service_kit::{FieldError, Problem};

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
    /// Builds an entry from an event payload, or says why the event is invalid.
    pub fn from_event(
        data: &serde_json::Value,
        recorded_at: DateTime<Utc>,
    ) -> Result<Self, String> {
        let text = |name: &str| {
            data.get(name)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
        };
        let id = text("event_id")
            .ok_or("the event has no event_id")?
            .to_owned();
        let kind = text("event_type")
            .ok_or("the event has no event_type")?
            .to_owned();
        if !(kind.starts_with("task.") || kind.starts_with("reminder.")) {
            return Err(format!("unknown event_type '{kind}'"));
        }
        let user_id = text("user_id")
            .ok_or("the event has no user_id")?
            .to_owned();
        if !valid_user_id(&user_id) {
            return Err(format!("invalid user_id '{user_id}'"));
        }
        let occurred_at = text("occurred_at")
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .ok_or("the event has no valid occurred_at")?
            .with_timezone(&Utc);
        Ok(Self {
            id,
            kind,
            user_id,
            task_id: data.get("task_id").and_then(|v| v.as_u64()),
            task_version: data.get("task_version").and_then(|v| v.as_u64()),
            occurred_at,
            recorded_at,
            changes: data.get("changes").filter(|c| !c.is_null()).cloned(),
            title: data
                .pointer("/task/title")
                .or_else(|| data.get("title"))
                .and_then(|v| v.as_str())
                .map(str::to_owned),
        })
    }
}

/// The same rule todo-api applies: 1-64 of `[A-Za-z0-9_.@-]`.
fn valid_user_id(user_id: &str) -> bool {
    (1..=64).contains(&user_id.len())
        && user_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.@-".contains(c))
}

/// `GET /api/{user_id}/audit` parameters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditQuery {
    pub task_id: Option<u64>,
    pub kind: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: usize,
    /// Entries to skip (newest first), from the cursor.
    pub offset: usize,
}

/// Default and largest page size.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

impl AuditQuery {
    /// Parses query pairs; every problem is reported, naming the parameter.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, Problem> {
        let mut query = AuditQuery {
            limit: DEFAULT_LIMIT,
            ..Self::default()
        };
        let mut errors = Vec::new();
        let mut error = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.to_owned(),
                message,
            })
        };
        let time = |v: &str| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| format!("'{v}' is not an RFC 3339 time such as 2026-03-01T09:00:00Z"))
        };
        for (key, value) in pairs {
            match key.as_str() {
                "task_id" => match value.parse() {
                    Ok(id) => query.task_id = Some(id),
                    Err(_) => error("task_id", format!("'{value}' is not a task id")),
                },
                "type" => query.kind = Some(value.clone()),
                "from" => match time(value) {
                    Ok(t) => query.from = Some(t),
                    Err(m) => error("from", m),
                },
                "to" => match time(value) {
                    Ok(t) => query.to = Some(t),
                    Err(m) => error("to", m),
                },
                "limit" => match value.parse::<usize>() {
                    Ok(n) if (1..=MAX_LIMIT).contains(&n) => query.limit = n,
                    _ => error("limit", format!("must be a number from 1 to {MAX_LIMIT}")),
                },
                "cursor" => match value.strip_prefix('o').and_then(|n| n.parse().ok()) {
                    Some(n) => query.offset = n,
                    None => error("cursor", "use the next_cursor of a previous page".into()),
                },
                other => error(
                    other,
                    "unknown parameter; use task_id, type, from, to, limit or cursor".into(),
                ),
            }
        }
        if errors.is_empty() {
            Ok(query)
        } else {
            Err(Problem::invalid(errors))
        }
    }

    fn matches(&self, entry: &AuditEntry) -> bool {
        self.task_id.is_none_or(|id| entry.task_id == Some(id))
            && self.kind.as_ref().is_none_or(|k| &entry.kind == k)
            && self.from.is_none_or(|from| entry.occurred_at >= from)
            && self.to.is_none_or(|to| entry.occurred_at < to)
    }

    /// Filters `entries` (oldest first, as stored) into a page, newest first.
    pub fn page(&self, entries: &[AuditEntry]) -> AuditPage {
        let matching: Vec<&AuditEntry> = entries.iter().rev().filter(|e| self.matches(e)).collect();
        let total = matching.len();
        let items: Vec<AuditEntry> = matching
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .cloned()
            .collect();
        let next = self.offset + items.len();
        AuditPage {
            next_cursor: (next < total).then(|| format!("o{next}")),
            items,
            total,
        }
    }
}

/// One page of the log.
#[derive(Debug, Serialize)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
    pub total: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: &str, kind: &str, task: u64, at: &str) -> serde_json::Value {
        json!({"event_id": id, "event_type": kind, "user_id": "alice", "task_id": task,
               "occurred_at": at, "task": {"title": "t"}})
    }

    #[test]
    fn an_event_without_a_user_id_is_rejected_with_the_reason() {
        let mut e = event("1", "task.created", 1, "2026-01-01T00:00:00Z");
        e.as_object_mut().unwrap().remove("user_id");
        assert_eq!(
            AuditEntry::from_event(&e, Utc::now()).unwrap_err(),
            "the event has no user_id"
        );
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
        let page = query.page(&entries);
        assert_eq!(page.total, 3);
        assert_eq!(
            page.items.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["5", "3"]
        );
        assert_eq!(page.next_cursor.as_deref(), Some("o2"));
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
