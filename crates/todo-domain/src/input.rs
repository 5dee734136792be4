//! Wire to domain at the edge: request bodies checked field by field, every
//! problem collected, nothing trusted further in.

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

/// Fields the server sets; writing them is an error that says so.
const READ_ONLY: &[&str] = &[
    "id",
    "user_id",
    "created_at",
    "updated_at",
    "completed_at",
    "series_id",
    "occurrence",
    "overdue",
];

/// Fields of a task body (`POST`, `PUT`, `PATCH`).
pub(crate) const TASK_FIELDS: &[&str] = &[
    "title",
    "description",
    "completed",
    "priority",
    "tags",
    "category",
    "parent_task_id",
    "due_date",
    "timezone",
    "reminders",
    "recurrence",
    "version",
];

const PRIORITY_MESSAGE: &str = "must be one of low, medium, high, urgent";
const DUE_MESSAGE: &str = "must be a date such as 2026-03-01 or an RFC 3339 time with offset such as 2026-03-01T09:00:00+01:00";
const REMIND_AT_MESSAGE: &str = "must be an RFC 3339 time with offset such as 2026-03-01T08:45:00+01:00, or a local time such as 2026-03-01T08:45 with timezone in the same body";

/// The zone in which a body's date-times without offset are read: the
/// `timezone` of the same body, so what a person picked in a form (a
/// wall-clock time in a zone) is sent as is.
#[derive(Clone, Copy)]
enum LocalZone {
    /// The body names this zone (`null` names UTC, the default).
    In(TimeZone),
    /// The body names no zone: a local time is refused, saying why.
    Missing,
    /// The body names a bad zone, already reported at `timezone`.
    Refused,
}

impl LocalZone {
    fn of(timezone: Option<&Option<TimeZone>>) -> LocalZone {
        match timezone {
            None => LocalZone::Missing,
            Some(Some(tz)) => LocalZone::In(*tz),
            Some(None) => LocalZone::Refused,
        }
    }

    fn zone(self) -> Option<TimeZone> {
        match self {
            LocalZone::In(tz) => Some(tz),
            _ => None,
        }
    }
}

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

/// A partial update (`PATCH /tasks/{id}`): `None` leaves a field alone;
/// `Some(None)` (JSON `null`) clears an optional field. `null` resets
/// `priority` to medium, `tags` and `reminders` to empty and `timezone` to UTC;
/// it is an error for `title` and `completed`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskPatch {
    /// New title.
    pub title: Option<String>,
    /// New or cleared description.
    pub description: Option<Option<String>>,
    /// Complete or reopen.
    pub completed: Option<bool>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New tag list (replaces the old one).
    pub tags: Option<Vec<String>>,
    /// New or cleared category.
    pub category: Option<Option<String>>,
    /// New or cleared parent.
    pub parent_task_id: Option<Option<TaskId>>,
    /// New or cleared due date.
    pub due_date: Option<Option<Due>>,
    /// New time zone.
    pub timezone: Option<TimeZone>,
    /// New reminder list (replaces the old one).
    pub reminders: Option<Vec<ReminderSpec>>,
    /// New or cleared recurrence.
    pub recurrence: Option<Option<Recurrence>>,
    /// `version` in the body; see [`NewTask::expected_version`].
    pub expected_version: Option<u64>,
}

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
        check_keys(obj, TASK_FIELDS, &mut errors);
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

impl TaskPatch {
    /// Checks a `PATCH` body: any subset of the task fields, `null` clears.
    /// Rules that involve other fields (a `before_due` reminder needs a due
    /// date, ...) are checked against the merged task by [`crate::Task::apply_patch`].
    pub fn from_json(value: &Value) -> Result<TaskPatch, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let Some(obj) = object(value, &mut errors) else {
            return Err(errors);
        };
        check_keys(obj, TASK_FIELDS, &mut errors);
        let timezone = obj.get("timezone").map(|v| timezone(v, &mut errors));
        let zone = LocalZone::of(timezone.as_ref());
        let patch = TaskPatch {
            title: obj.get("title").and_then(|v| title(v, &mut errors)),
            description: obj
                .get("description")
                .and_then(|v| description(v, &mut errors)),
            completed: obj
                .get("completed")
                .and_then(|v| boolean("completed", v, &mut errors)),
            priority: obj.get("priority").and_then(|v| priority(v, &mut errors)),
            tags: obj.get("tags").and_then(|v| tags(v, &mut errors)),
            category: obj.get("category").and_then(|v| category(v, &mut errors)),
            parent_task_id: obj
                .get("parent_task_id")
                .and_then(|v| parent_task_id(v, &mut errors)),
            due_date: obj
                .get("due_date")
                .and_then(|v| due_date(v, zone, &mut errors)),
            timezone: timezone.flatten(),
            reminders: obj
                .get("reminders")
                .and_then(|v| reminders(v, zone, &mut errors)),
            recurrence: obj
                .get("recurrence")
                .and_then(|v| recurrence(v, &mut errors)),
            expected_version: obj
                .get("version")
                .and_then(|v| version(v, &mut errors))
                .flatten(),
        };
        errors.into_result(patch)
    }

    /// Whether the patch changes nothing (`{}` or only `version`).
    pub fn is_empty(&self) -> bool {
        TaskPatch {
            expected_version: None,
            ..self.clone()
        } == TaskPatch::default()
    }
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

fn object<'a>(value: &'a Value, errors: &mut ValidationErrors) -> Option<&'a Map<String, Value>> {
    let obj = value.as_object();
    if obj.is_none() {
        errors.push("body", "must be a JSON object");
    }
    obj
}

fn check_keys(obj: &Map<String, Value>, allowed: &[&str], errors: &mut ValidationErrors) {
    for key in obj.keys() {
        if allowed.contains(&key.as_str()) {
            continue;
        }
        if READ_ONLY.contains(&key.as_str()) {
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
fn title(v: &Value, errors: &mut ValidationErrors) -> Option<String> {
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

fn description(v: &Value, errors: &mut ValidationErrors) -> Option<Option<String>> {
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

fn boolean(field: &str, v: &Value, errors: &mut ValidationErrors) -> Option<bool> {
    let b = v.as_bool();
    if b.is_none() {
        errors.push(field, "must be true or false");
    }
    b
}

fn priority(v: &Value, errors: &mut ValidationErrors) -> Option<Priority> {
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

fn tags(v: &Value, errors: &mut ValidationErrors) -> Option<Vec<String>> {
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

fn category(v: &Value, errors: &mut ValidationErrors) -> Option<Option<String>> {
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

fn parent_task_id(v: &Value, errors: &mut ValidationErrors) -> Option<Option<TaskId>> {
    if v.is_null() {
        return Some(None);
    }
    let id = v.as_u64().filter(|id| *id > 0);
    if id.is_none() {
        errors.push("parent_task_id", "must be a positive integer or null");
    }
    id.map(Some)
}

fn due_date(v: &Value, zone: LocalZone, errors: &mut ValidationErrors) -> Option<Option<Due>> {
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

fn timezone(v: &Value, errors: &mut ValidationErrors) -> Option<TimeZone> {
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

fn reminders(
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
fn reminder_fields(
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

fn recurrence(v: &Value, errors: &mut ValidationErrors) -> Option<Option<Recurrence>> {
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

fn version(v: &Value, errors: &mut ValidationErrors) -> Option<Option<u64>> {
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

    #[test]
    fn a_patch_accepts_any_subset_and_null_clears() {
        let patch = TaskPatch::from_json(&json!({
            "description": null,
            "due_date": null,
            "priority": null,
            "tags": null,
            "timezone": null,
            "recurrence": null
        }))
        .unwrap();
        assert_eq!(patch.description, Some(None));
        assert_eq!(patch.due_date, Some(None));
        assert_eq!(patch.priority, Some(Priority::Medium));
        assert_eq!(patch.tags, Some(Vec::new()));
        assert_eq!(patch.timezone, Some(TimeZone::default()));
        assert_eq!(patch.recurrence, Some(None));
        assert_eq!(patch.title, None);
        assert!(TaskPatch::from_json(&json!({})).unwrap().is_empty());
        assert!(
            TaskPatch::from_json(&json!({"version": 2}))
                .unwrap()
                .is_empty()
        );
        let errors =
            TaskPatch::from_json(&json!({"title": null, "completed": null, "x": 1})).unwrap_err();
        assert!(errors.has("title") && errors.has("completed") && errors.has("x"));
    }

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
