//! Reminders: absolute (`remind_at`) or relative to the due date (`before_due`).

use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::due::{Due, TimeZone};
use crate::duration::IsoDuration;

/// The most reminders one task may have.
pub const MAX_REMINDERS: usize = 10;

/// A reminder's id, unique within its task: when a task's reminders are
/// replaced, a reminder equal to an existing one keeps its id and new ones get
/// ids above every current one. Job names should also carry the task version
/// (see [`crate::reminder_job_name`]). Serde: a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReminderId(pub u32);

impl fmt::Display for ReminderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// When a reminder fires. Serde: `{"remind_at": RFC 3339}` or `{"before_due": "PT15M"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderSpec {
    /// At an absolute instant (the offset it was written with is kept).
    RemindAt(DateTime<FixedOffset>),
    /// This long before the task's reminder anchor: the due time, or 09:00
    /// local time for an all-day task. Needs a due date.
    BeforeDue(IsoDuration),
}

impl ReminderSpec {
    /// Whether the reminder is relative to the due date.
    pub fn is_relative(&self) -> bool {
        matches!(self, ReminderSpec::BeforeDue(_))
    }

    /// The instant the reminder fires for a task due `due` in `tz`; `None`
    /// for a relative reminder of a task without a due date.
    pub fn fire_time(&self, due: Option<&Due>, tz: &TimeZone) -> Option<DateTime<Utc>> {
        match self {
            ReminderSpec::RemindAt(at) => Some(at.with_timezone(&Utc)),
            ReminderSpec::BeforeDue(before) => due
                .map(|d| d.reminder_anchor(tz))
                .and_then(|anchor| anchor.checked_sub_signed(before.as_delta())),
        }
    }
}

/// A reminder of a task. Serde: `{"id": 1, "remind_at": ...}` or `{"id": 2, "before_due": "PT15M"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// Stable within the task; see [`ReminderId`].
    pub id: ReminderId,
    /// When it fires.
    #[serde(flatten)]
    pub spec: ReminderSpec,
}

/// Gives ids to a new list of reminders: a spec equal to one of `existing`
/// keeps that reminder's id, others get ids above every existing one.
pub(crate) fn assign_ids(existing: &[Reminder], specs: Vec<ReminderSpec>) -> Vec<Reminder> {
    let mut next = existing.iter().map(|r| r.id.0).max().unwrap_or(0);
    let mut used: Vec<ReminderId> = Vec::with_capacity(specs.len());
    specs
        .into_iter()
        .map(|spec| {
            let reused = existing
                .iter()
                .find(|r| r.spec == spec && !used.contains(&r.id))
                .map(|r| r.id);
            let id = reused.unwrap_or_else(|| {
                next = next.saturating_add(1);
                ReminderId(next)
            });
            used.push(id);
            Reminder { id, spec }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> ReminderSpec {
        ReminderSpec::RemindAt(DateTime::parse_from_rfc3339(s).unwrap())
    }

    #[test]
    fn reminders_serialize_with_their_id_and_one_kind_field() {
        let reminders = vec![
            Reminder {
                id: ReminderId(1),
                spec: at("2026-03-01T08:00:00+01:00"),
            },
            Reminder {
                id: ReminderId(2),
                spec: ReminderSpec::BeforeDue(IsoDuration::minutes(15)),
            },
        ];
        let json = serde_json::to_value(&reminders).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"id": 1, "remind_at": "2026-03-01T08:00:00+01:00"},
                {"id": 2, "before_due": "PT15M"}
            ])
        );
        let back: Vec<Reminder> = serde_json::from_value(json).unwrap();
        assert_eq!(back, reminders);
    }

    #[test]
    fn replacing_reminders_keeps_ids_of_unchanged_ones_and_numbers_new_ones_above() {
        let first = assign_ids(
            &[],
            vec![
                at("2026-03-01T08:00:00Z"),
                ReminderSpec::BeforeDue(IsoDuration::minutes(15)),
            ],
        );
        assert_eq!(first.iter().map(|r| r.id.0).collect::<Vec<_>>(), vec![1, 2]);
        let second = assign_ids(
            &first,
            vec![
                ReminderSpec::BeforeDue(IsoDuration::minutes(15)),
                ReminderSpec::BeforeDue(IsoDuration::minutes(5)),
            ],
        );
        assert_eq!(
            second.iter().map(|r| r.id.0).collect::<Vec<_>>(),
            vec![2, 3]
        );
    }
}
