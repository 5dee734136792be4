//! What every task body shares: the one list of a task's fields (who
//! writes each, which changes are reported), the limits, and a reader per
//! field that checks it and records what is wrong.

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use crate::due::{Due, DueError, TimeZone, parse_local};
use crate::duration::IsoDuration;
use crate::error::ValidationErrors;
use crate::recurrence::Recurrence;
use crate::reminder::{MAX_REMINDERS, ReminderSpec};
use crate::task::{Priority, TaskId};

/// The most characters of a title (after trimming).
pub const MAX_TITLE_CHARS: usize = 200;
/// The most characters of a description.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// The most tags of a task (after de-duplication).
pub const MAX_TAGS: usize = 20;
/// The most characters of a tag (after trimming).
pub const MAX_TAG_CHARS: usize = 40;
/// The most characters of a category (after trimming).
pub const MAX_CATEGORY_CHARS: usize = 100;

/// One field of a task's API JSON.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TaskField {
    /// The JSON name.
    pub name: &'static str,
    /// A task body (`POST`, `PUT`, `PATCH`) may carry it; else the server
    /// sets it and writing it is an error that says so.
    pub in_body: bool,
    /// A change to it is reported in events and the audit log (`version`,
    /// the timestamps and the ids are bookkeeping, not changes).
    pub tracked: bool,
}

const fn field(name: &'static str, in_body: bool, tracked: bool) -> TaskField {
    TaskField {
        name,
        in_body,
        tracked,
    }
}

/// Every field of a task as the API shows it ([`crate::TaskView`]), in the
/// task's field order: the one list that bodies, changes and tests read.
pub(crate) const TASK_FIELDS: &[TaskField] = &[
    field("id", false, false),
    field("user_id", false, false),
    field("title", true, true),
    field("description", true, true),
    field("completed", true, true),
    field("completed_at", false, true),
    field("priority", true, true),
    field("tags", true, true),
    field("category", true, true),
    field("parent_task_id", true, true),
    field("created_at", false, false),
    field("updated_at", false, false),
    field("due_date", true, true),
    field("timezone", true, true),
    field("reminders", true, true),
    field("recurrence", true, true),
    field("series_id", false, true),
    field("occurrence", false, true),
    field("version", true, false),
    field("overdue", false, false),
];

/// The fields a task body may carry, in order.
pub(crate) fn body_fields() -> impl Iterator<Item = &'static str> {
    TASK_FIELDS.iter().filter(|f| f.in_body).map(|f| f.name)
}

/// The fields whose changes are reported, in order.
pub(crate) fn tracked_fields() -> impl Iterator<Item = &'static str> {
    TASK_FIELDS.iter().filter(|f| f.tracked).map(|f| f.name)
}

/// Whether the server sets `name` (writing it is refused as such).
fn read_only(name: &str) -> bool {
    TASK_FIELDS.iter().any(|f| f.name == name && !f.in_body)
}

const PRIORITY_MESSAGE: &str = "must be one of low, medium, high, urgent";
const DUE_MESSAGE: &str = "must be a date such as 2026-03-01 or an RFC 3339 time with offset such as 2026-03-01T09:00:00+01:00";
const REMIND_AT_MESSAGE: &str = "must be an RFC 3339 time with offset such as 2026-03-01T08:45:00+01:00, or a local time such as 2026-03-01T08:45 with timezone in the same body";

/// The zone in which a body's date-times without offset are read: the
/// `timezone` of the same body, so what a person picked in a form (a
/// wall-clock time in a zone) is sent as is.
#[derive(Clone, Copy)]
pub(super) enum LocalZone {
    /// The body names this zone (`null` names UTC, the default).
    In(TimeZone),
    /// The body names no zone: a local time is refused, saying why.
    Missing,
    /// The body names a bad zone, already reported at `timezone`.
    Refused,
}

impl LocalZone {
    pub(super) fn of(timezone: Option<&Option<TimeZone>>) -> LocalZone {
        match timezone {
            None => LocalZone::Missing,
            Some(Some(tz)) => LocalZone::In(*tz),
            Some(None) => LocalZone::Refused,
        }
    }

    pub(super) fn zone(self) -> Option<TimeZone> {
        match self {
            LocalZone::In(tz) => Some(tz),
            _ => None,
        }
    }
}

/// Rules that involve several fields; used for bodies and for merged tasks.
pub(crate) fn consistency<'a>(
    has_due: bool,
    reminders: impl ExactSizeIterator<Item = &'a ReminderSpec>,
    has_recurrence: bool,
) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    let count = reminders.len();
    let mut relative = false;
    for spec in reminders {
        relative |= spec.is_relative();
    }
    if count > MAX_REMINDERS {
        errors.push(
            "reminders",
            format!("must be at most {MAX_REMINDERS} reminders (got {count})"),
        );
    }
    if relative && !has_due {
        errors.push(
            "reminders",
            "before_due reminders need a due_date; set one or use remind_at",
        );
    }
    if has_recurrence && !has_due {
        errors.push("recurrence", "needs a due_date to repeat from");
    }
    errors
}

pub(super) fn object<'a>(
    value: &'a Value,
    errors: &mut ValidationErrors,
) -> Option<&'a Map<String, Value>> {
    let obj = value.as_object();
    if obj.is_none() {
        errors.push("body", "must be a JSON object");
    }
    obj
}

pub(super) fn check_keys(
    obj: &Map<String, Value>,
    allowed: &[&str],
    errors: &mut ValidationErrors,
) {
    for key in obj.keys() {
        if allowed.contains(&key.as_str()) {
            continue;
        }
        if read_only(key) {
            errors.push(key.as_str(), "is set by the server and cannot be written");
        } else {
            errors.push(
                key.as_str(),
                format!("is not a known field; expected {}", allowed.join(", ")),
            );
        }
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Trimmed, 1-200 characters, one line.
pub(super) fn title(v: &Value, errors: &mut ValidationErrors) -> Option<String> {
    let Some(s) = v.as_str() else {
        let message = if v.is_null() {
            "is required"
        } else {
            "must be a string"
        };
        errors.push("title", message);
        return None;
    };
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 {
        errors.push("title", "must not be blank");
    } else if n > MAX_TITLE_CHARS {
        errors.push(
            "title",
            format!("must be at most {MAX_TITLE_CHARS} characters (got {n})"),
        );
    } else if has_control(t) {
        errors.push("title", "must be a single line without control characters");
    } else {
        return Some(t.to_owned());
    }
    None
}

pub(super) fn description(v: &Value, errors: &mut ValidationErrors) -> Option<Option<String>> {
    match v {
        Value::Null => Some(None),
        Value::String(s) if s.is_empty() => Some(None),
        Value::String(s) => {
            let n = s.chars().count();
            if n > MAX_DESCRIPTION_CHARS {
                errors.push(
                    "description",
                    format!("must be at most {MAX_DESCRIPTION_CHARS} characters (got {n})"),
                );
                None
            } else {
                Some(Some(s.clone()))
            }
        }
        _ => {
            errors.push("description", "must be a string or null");
            None
        }
    }
}

pub(super) fn boolean(field: &str, v: &Value, errors: &mut ValidationErrors) -> Option<bool> {
    let b = v.as_bool();
    if b.is_none() {
        errors.push(field, "must be true or false");
    }
    b
}

pub(super) fn priority(v: &Value, errors: &mut ValidationErrors) -> Option<Priority> {
    match v {
        Value::Null => Some(Priority::default()),
        Value::String(s) => {
            let p = Priority::parse(&s.trim().to_ascii_lowercase());
            if p.is_none() {
                errors.push("priority", PRIORITY_MESSAGE);
            }
            p
        }
        _ => {
            errors.push("priority", PRIORITY_MESSAGE);
            None
        }
    }
}

/// Trims and lowercases a tag; the error says why it is not one.
pub(crate) fn normalize_tag(s: &str) -> Result<String, String> {
    // Counted as written: lowercasing may lengthen a few letters (İ).
    let n = s.trim().chars().count();
    let t = s.trim().to_lowercase();
    if n == 0 || n > MAX_TAG_CHARS {
        return Err(format!("must be 1-{MAX_TAG_CHARS} characters"));
    }
    if t.contains(',') || has_control(&t) {
        return Err("must not contain commas or control characters".into());
    }
    Ok(t)
}

pub(super) fn tags(v: &Value, errors: &mut ValidationErrors) -> Option<Vec<String>> {
    let items = match v {
        Value::Null => return Some(Vec::new()),
        Value::Array(items) => items,
        _ => {
            errors.push("tags", "must be a list of strings");
            return None;
        }
    };
    // Counted as sent (duplicates too), as the OpenAPI `maxItems` says.
    if items.len() > MAX_TAGS {
        errors.push(
            "tags",
            format!("must be at most {MAX_TAGS} tags (got {})", items.len()),
        );
        return None;
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let field = format!("tags[{i}]");
        match item.as_str().map(normalize_tag) {
            None => {
                errors.push(field, "must be a string");
                ok = false;
            }
            Some(Err(message)) => {
                errors.push(field, message);
                ok = false;
            }
            Some(Ok(tag)) => {
                if !out.contains(&tag) {
                    out.push(tag);
                }
            }
        }
    }
    ok.then_some(out)
}

pub(super) fn category(v: &Value, errors: &mut ValidationErrors) -> Option<Option<String>> {
    match v {
        Value::Null => Some(None),
        Value::String(s) => {
            let t = s.trim();
            let n = t.chars().count();
            if n == 0 {
                Some(None)
            } else if n > MAX_CATEGORY_CHARS {
                errors.push(
                    "category",
                    format!("must be at most {MAX_CATEGORY_CHARS} characters (got {n})"),
                );
                None
            } else if has_control(t) {
                errors.push("category", "must not contain control characters");
                None
            } else {
                Some(Some(t.to_owned()))
            }
        }
        _ => {
            errors.push("category", "must be a string or null");
            None
        }
    }
}

pub(super) fn parent_task_id(v: &Value, errors: &mut ValidationErrors) -> Option<Option<TaskId>> {
    if v.is_null() {
        return Some(None);
    }
    let id = v.as_u64().filter(|id| *id > 0);
    if id.is_none() {
        errors.push("parent_task_id", "must be a positive integer or null");
    }
    id.map(Some)
}

pub(super) fn due_date(
    v: &Value,
    zone: LocalZone,
    errors: &mut ValidationErrors,
) -> Option<Option<Due>> {
    match v {
        Value::Null => Some(None),
        Value::String(s) => match Due::parse_in(s.trim(), zone.zone().as_ref()) {
            Ok(due) => Some(Some(due)),
            // The bad zone is the error; do not report the time as well.
            Err(DueError::NeedsZone(_)) if matches!(zone, LocalZone::Refused) => None,
            Err(e) => {
                errors.push("due_date", e.to_string());
                None
            }
        },
        _ => {
            errors.push("due_date", DUE_MESSAGE);
            None
        }
    }
}

pub(super) fn timezone(v: &Value, errors: &mut ValidationErrors) -> Option<TimeZone> {
    match v {
        Value::Null => Some(TimeZone::default()),
        Value::String(s) => match TimeZone::parse(s) {
            Ok(tz) => Some(tz),
            Err(e) => {
                errors.push("timezone", e.to_string());
                None
            }
        },
        _ => {
            errors.push(
                "timezone",
                "must be an IANA time zone name such as Europe/Berlin",
            );
            None
        }
    }
}

pub(super) fn reminders(
    v: &Value,
    zone: LocalZone,
    errors: &mut ValidationErrors,
) -> Option<Vec<ReminderSpec>> {
    let items = match v {
        Value::Null => return Some(Vec::new()),
        Value::Array(items) => items,
        _ => {
            errors.push("reminders", "must be a list of reminders");
            return None;
        }
    };
    if items.len() > MAX_REMINDERS {
        errors.push(
            "reminders",
            format!(
                "must be at most {MAX_REMINDERS} reminders (got {})",
                items.len()
            ),
        );
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let prefix = format!("reminders[{i}]");
        let Some(obj) = item.as_object() else {
            errors.push(prefix, "must be an object with remind_at or before_due");
            ok = false;
            continue;
        };
        if obj
            .get("id")
            .is_some_and(|id| !(id.is_i64() || id.is_u64()))
        {
            errors.push(
                format!("{prefix}.id"),
                "must be the integer id read from the task, or left out",
            );
            ok = false;
        }
        for key in obj.keys() {
            if !matches!(key.as_str(), "id" | "remind_at" | "before_due") {
                errors.push(
                    format!("{prefix}.{key}"),
                    "is not a known field; expected remind_at or before_due",
                );
                ok = false;
            }
        }
        match reminder_fields(obj, &prefix, zone, errors) {
            Some(spec) => out.push(spec),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// Exactly one of `remind_at` / `before_due` of `obj`. Fields are named
/// `{prefix}.remind_at`, or bare when `prefix` is empty.
pub(super) fn reminder_fields(
    obj: &Map<String, Value>,
    prefix: &str,
    zone: LocalZone,
    errors: &mut ValidationErrors,
) -> Option<ReminderSpec> {
    let name = |field: &str| {
        if prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{prefix}.{field}")
        }
    };
    let whole = if prefix.is_empty() {
        "reminder"
    } else {
        prefix
    };
    match (obj.get("remind_at"), obj.get("before_due")) {
        (Some(_), Some(_)) => {
            errors.push(whole, "give either remind_at or before_due, not both");
            None
        }
        (None, None) => {
            errors.push(whole, "needs remind_at or before_due");
            None
        }
        (Some(at), None) => match at.as_str().map(|s| remind_at(s.trim(), zone)) {
            Some(Ok(t)) => Some(ReminderSpec::RemindAt(t)),
            // The bad zone is the error; do not report the time as well.
            Some(Err(None))
                if matches!(zone, LocalZone::Refused)
                    && at.as_str().and_then(|s| parse_local(s.trim())).is_some() =>
            {
                None
            }
            Some(Err(Some(e))) => {
                errors.push(name("remind_at"), e.to_string());
                None
            }
            _ => {
                errors.push(name("remind_at"), REMIND_AT_MESSAGE);
                None
            }
        },
        (None, Some(before)) => match before.as_str().map(IsoDuration::parse) {
            Some(Ok(d)) => Some(ReminderSpec::BeforeDue(d)),
            Some(Err(e)) => {
                errors.push(name("before_due"), e.to_string());
                None
            }
            None => {
                errors.push(
                    name("before_due"),
                    "must be an ISO 8601 duration such as PT15M",
                );
                None
            }
        },
    }
}

/// A reminder instant: RFC 3339 with offset, or a local time in the body's
/// zone. `Err(None)`: not a time (or no zone to read it in); `Err(Some)`: a
/// local time the zone's clocks repeat or skip.
fn remind_at(s: &str, zone: LocalZone) -> Result<DateTime<FixedOffset>, Option<DueError>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t);
    }
    match (parse_local(s), zone.zone()) {
        (Some(local), Some(tz)) => tz.exact(local).map_err(Some),
        _ => Err(None),
    }
}

pub(super) fn recurrence(v: &Value, errors: &mut ValidationErrors) -> Option<Option<Recurrence>> {
    if v.is_null() {
        return Some(None);
    }
    match Recurrence::parse(v) {
        Ok(r) => Some(Some(r)),
        Err(e) if e.field().is_empty() => {
            errors.push("recurrence", e.to_string());
            None
        }
        Err(e) => {
            errors.push(format!("recurrence.{}", e.field()), e.to_string());
            None
        }
    }
}

pub(super) fn version(v: &Value, errors: &mut ValidationErrors) -> Option<Option<u64>> {
    if v.is_null() {
        return Some(None);
    }
    let n = v.as_u64().filter(|n| *n > 0);
    if n.is_none() {
        errors.push("version", "must be a positive integer");
    }
    n.map(Some)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::input::{DueDateChange, NewTask, ReminderInput, TaskPatch};

    fn errors_of(body: Value) -> ValidationErrors {
        NewTask::from_json(&body).unwrap_err()
    }

    #[test]
    fn local_times_are_read_in_the_zone_of_the_same_body() {
        let task = NewTask::from_json(&json!({
            "title": "t",
            "due_date": "2027-03-02T10:00:00",
            "timezone": "Europe/London",
            "reminders": [{"remind_at": "2027-07-01T08:45"}]
        }))
        .unwrap();
        assert_eq!(task.due_date.unwrap().to_string(), "2027-03-02T10:00:00Z");
        let [ReminderSpec::RemindAt(at)] = task.reminders.as_slice() else {
            panic!("one absolute reminder expected: {:?}", task.reminders);
        };
        assert_eq!(at.to_rfc3339(), "2027-07-01T08:45:00+01:00");

        let patch = TaskPatch::from_json(
            &json!({"due_date": "2027-07-02T09:00", "timezone": "America/New_York"}),
        )
        .unwrap();
        assert_eq!(
            patch.due_date.unwrap().unwrap().to_string(),
            "2027-07-02T09:00:00-04:00"
        );
        let change = DueDateChange::from_json(
            &json!({"due_date": "2027-01-02T09:00", "timezone": "Europe/Berlin"}),
        )
        .unwrap();
        assert_eq!(
            change.due_date.unwrap().to_string(),
            "2027-01-02T09:00:00+01:00"
        );
    }

    #[test]
    fn local_times_without_a_zone_or_in_a_dst_change_are_refused_at_the_field() {
        let errors = errors_of(json!({
            "title": "t",
            "due_date": "2027-03-02T10:00:00",
            "reminders": [{"remind_at": "2027-03-01T10:00"}]
        }));
        let messages: Vec<_> = errors.errors().iter().map(|e| e.to_string()).collect();
        assert!(
            errors.has("due_date") && errors.has("reminders[0].remind_at"),
            "{messages:?}"
        );
        assert!(
            messages.iter().all(|m| m.contains("timezone")),
            "{messages:?}"
        );

        let errors = errors_of(json!({
            "title": "t",
            "due_date": "2026-11-01T01:30",
            "timezone": "America/New_York",
            "reminders": [{"remind_at": "2026-03-08T02:30"}]
        }));
        assert!(errors.has("due_date") && errors.has("reminders[0].remind_at"));
        let text = format!("{errors:?}");
        assert!(
            text.contains("-04:00 for the first or -05:00 for the second"),
            "{text}"
        );
        assert!(
            text.contains("does not exist in America/New_York"),
            "{text}"
        );

        // A bad zone is reported once, not again at the local time.
        let errors = errors_of(
            json!({"title": "t", "due_date": "2027-03-02T10:00", "timezone": "Mars/Base"}),
        );
        assert_eq!(errors.len(), 1);
        assert!(errors.has("timezone"));
        // POST /tasks/reminder has no timezone: an offset is still needed.
        assert!(
            ReminderInput::from_json(&json!({"task_id": 1, "remind_at": "2027-03-02T10:00"}))
                .unwrap_err()
                .has("remind_at")
        );
    }
}
