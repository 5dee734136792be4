//! The chat interface: a message in everyday English becomes an [`Intent`]
//! expressed in the REST API's own inputs (a task body, a patch, list query
//! parameters), so chat and REST share every rule and validation.
//!
//! Understanding is deterministic and local: verbs pick the intent, and
//! known phrases (dates, times, `#tags`, `@category`, priorities, "every
//! week", "remind me 15 minutes before") fill the fields; the words left
//! over are the title or the task being referred to. A [`Conversation`]
//! remembers what was listed and touched last, so "complete the second one"
//! and "move it to friday" work.

mod conversation;
mod reply;
mod when;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde_json::{Map, Value, json};

use crate::due::TimeZone;
pub use conversation::{Conversation, MAX_TURNS, Turn, Unresolved};
pub use reply::{Outcome, reply};
use when::{Words, take_due, weekday};

/// The longest message the chat accepts, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// What the user asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    /// Create a task: a `POST /tasks` body.
    Add(Value),
    /// List tasks: `GET /tasks` query parameters and what to call the list.
    List {
        query: Vec<(String, String)>,
        heading: String,
    },
    /// Change a task: a `PATCH /tasks/{id}` body.
    Update {
        target: TaskRef,
        patch: Value,
        action: Action,
    },
    /// Delete a task.
    Delete(TaskRef),
    /// Explain what the chat understands.
    Help,
    /// Nothing recognisable; the text is echoed in the answer.
    NotUnderstood(String),
}

/// How a message points at a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskRef {
    /// "#12", "task 12".
    Id(u64),
    /// "the second one": 1-based position in the last list shown.
    Position(usize),
    /// "it", "that": the task the conversation touched last.
    Last,
    /// Words of the title.
    Title(String),
}

/// Which change an [`Intent::Update`] makes, for the answer's wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Complete,
    Reopen,
    Reschedule,
    Reprioritize,
}

const ADD: &[&str] = &[
    "remind me to",
    "i need to",
    "remember to",
    "add a task to",
    "add task",
    "new task",
    "create task",
    "add",
    "create",
    "todo",
];
const LIST: &[&str] = &[
    "what's",
    "whats",
    "what is",
    "what are",
    "what do i have",
    "show me",
    "show",
    "list",
    "display",
    "my tasks",
    "tasks",
];
const SEARCH: &[&str] = &["search for", "search", "find", "look for"];
const COMPLETE: &[&str] = &[
    "mark",
    "complete",
    "finish",
    "finished",
    "done with",
    "done",
    "check off",
    "tick off",
];
const REOPEN: &[&str] = &["reopen", "undo", "uncomplete", "unmark"];
const DELETE: &[&str] = &["delete", "remove", "cancel", "drop", "forget"];
const RESCHEDULE: &[&str] = &[
    "reschedule",
    "postpone",
    "move",
    "push",
    "change the due date of",
    "set the due date of",
];
const PRIORITIZE: &[&str] = &["prioritize", "prioritise", "make", "set priority of", "set"];
const HELP: &[&str] = &["help", "what can you do", "how does this work", "?"];

/// Understands one message at `now`, reading dates in `tz`.
pub fn understand(message: &str, now: DateTime<Utc>, tz: &TimeZone) -> Intent {
    let mut words = Words::new(message);
    let Some(first) = words.get(0) else {
        return Intent::Help;
    };
    if starting(&words, HELP).is_some() && words.len() <= 5 {
        return Intent::Help;
    }
    if let Some(verb) = starting(&words, SEARCH) {
        words.take(0, verb.split(' ').count());
        let q = words
            .rest()
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_owned();
        return Intent::List {
            heading: format!("Tasks matching \"{q}\""),
            query: vec![("q".into(), q)],
        };
    }
    if let Some(verb) = starting(&words, REOPEN) {
        words.take(0, verb.split(' ').count());
        return update(words, Action::Reopen, json!({"completed": false}));
    }
    if let Some(verb) = starting(&words, COMPLETE) {
        words.take(0, verb.split(' ').count());
        let reopen = words
            .take_phrase(&["as not done", "not done", "as incomplete", "as pending"])
            .is_some();
        words.take_phrase(&["as done", "as complete", "as completed", "done", "complete"]);
        return if reopen {
            update(words, Action::Reopen, json!({"completed": false}))
        } else {
            update(words, Action::Complete, json!({"completed": true}))
        };
    }
    if let Some(verb) = starting(&words, DELETE) {
        words.take(0, verb.split(' ').count());
        return Intent::Delete(task_ref(&words.rest()));
    }
    if let Some(verb) = starting(&words, RESCHEDULE) {
        words.take(0, verb.split(' ').count());
        let Some(due) = take_due(&mut words, now, tz) else {
            return Intent::NotUnderstood(format!(
                "{message} (to when? e.g. \"move it to friday at 5pm\")"
            ));
        };
        words.take_phrase(&["to", "until", "for"]);
        let patch = json!({"due_date": due.to_string(), "timezone": tz.name()});
        return update(words, Action::Reschedule, patch);
    }
    if let Some(verb) = starting(&words, PRIORITIZE)
        && let Some(priority) = take_priority(&mut words)
    {
        words.take(0, verb.split(' ').count());
        words.take_phrase(&["to", "as"]);
        return update(words, Action::Reprioritize, json!({"priority": priority}));
    }
    if let Some(verb) = starting(&words, ADD) {
        words.take(0, verb.split(' ').count());
        return add(words, now, tz);
    }
    if starting(&words, LIST).is_some() || first == "due" || first == "overdue" {
        return list(&mut words, now, tz);
    }
    Intent::NotUnderstood(message.to_owned())
}

/// The `POST /tasks` body that quick-add text describes, with the chat's
/// grammar for an "add" message ("pay rent every month on the 1st at 9am
/// #home !high remind me 1 day before"); a leading "add" verb is optional.
/// The body is not validated: pass it to [`crate::NewTask::from_json`].
pub fn quick_add(text: &str, now: DateTime<Utc>, tz: &TimeZone) -> Value {
    let mut words = Words::new(text);
    if let Some(verb) = starting(&words, ADD) {
        words.take(0, verb.split(' ').count());
    }
    match add(words, now, tz) {
        Intent::Add(body) => body,
        _ => Value::Null,
    }
}

/// Which of `phrases` the message starts with.
fn starting(words: &Words, phrases: &[&'static str]) -> Option<&'static str> {
    phrases.iter().find(|p| words.matches(0, p)).copied()
}

fn update(words: Words, action: Action, patch: Value) -> Intent {
    Intent::Update {
        target: task_ref(&words.rest()),
        patch,
        action,
    }
}

/// What the free words point at.
fn task_ref(rest: &str) -> TaskRef {
    let text = rest
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, '.' | '!' | '?' | ','))
        .to_lowercase();
    let text = text.strip_prefix("the ").unwrap_or(&text);
    let text = text.strip_suffix(" task").unwrap_or(text).trim();
    let id = text
        .strip_prefix('#')
        .or_else(|| text.strip_prefix("task #"))
        .or_else(|| text.strip_prefix("task "))
        .unwrap_or(text);
    if let Ok(id) = id.trim().parse::<u64>() {
        return TaskRef::Id(id);
    }
    if matches!(
        text,
        "it" | "that" | "this" | "that one" | "this one" | "that task" | "this task"
    ) {
        return TaskRef::Last;
    }
    const ORDINALS: [&str; 10] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth",
    ];
    let ordinal = text.strip_suffix(" one").unwrap_or(text);
    if let Some(n) = ORDINALS.iter().position(|o| *o == ordinal) {
        return TaskRef::Position(n + 1);
    }
    if let Some(n) = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| ordinal.strip_suffix(s))
        .and_then(|n| n.parse::<usize>().ok())
    {
        return TaskRef::Position(n);
    }
    if ordinal == "last" {
        return TaskRef::Position(usize::MAX);
    }
    TaskRef::Title(rest.trim().to_owned())
}

fn take_priority(words: &mut Words) -> Option<&'static str> {
    let found = words.take_phrase(&[
        "urgent",
        "asap",
        "high priority",
        "important",
        "!high",
        "priority high",
        "high",
        "medium priority",
        "normal priority",
        "medium",
        "low priority",
        "!low",
        "low",
        "!urgent",
    ])?;
    Some(match found {
        "urgent" | "asap" | "!urgent" => "urgent",
        "high priority" | "important" | "!high" | "priority high" | "high" => "high",
        "low priority" | "!low" | "low" => "low",
        _ => "medium",
    })
}

fn add(mut words: Words, now: DateTime<Utc>, tz: &TimeZone) -> Intent {
    let mut body = Map::new();
    if let Some(recurrence) = take_recurrence(&mut words) {
        body.insert("recurrence".into(), recurrence);
    }
    let before = take_reminder(&mut words);
    let today = tz.local(now).date();
    let day = when::take_day(&mut words, today);
    let time = when::take_time(&mut words);
    // A repeating task needs a first due date: its first day from today on.
    let day = match (day, body.get("recurrence")) {
        (None, Some(rule)) => {
            let first_weekday = rule["by_day"][0].as_str().and_then(|code| {
                crate::recurrence::WeekdayNum::parse(code)
                    .ok()
                    .map(|d| d.weekday)
            });
            let month_day = rule["by_month_day"][0]
                .as_u64()
                .and_then(|d| u32::try_from(d).ok());
            match (first_weekday, month_day, time) {
                (Some(weekday), _, _) => Some(when::on_or_after(today, weekday)),
                (None, Some(day), _) => next_month_day(today, day),
                (None, None, None) => Some(today),
                (None, None, Some(_)) => None,
            }
        }
        (day, _) => day,
    };
    let due = when::compose(day, time, now, tz);
    if let Some(due) = &due {
        body.insert("due_date".into(), json!(due.to_string()));
        body.insert("timezone".into(), json!(tz.name()));
    }
    if let Some(before) = before {
        body.insert("reminders".into(), json!([{"before_due": before}]));
    }
    if let Some(priority) = take_priority(&mut words) {
        body.insert("priority".into(), json!(priority));
    }
    let (tags, category) = take_marks(&mut words);
    if !tags.is_empty() {
        body.insert("tags".into(), json!(tags));
    }
    if let Some(category) = category {
        body.insert("category".into(), json!(category));
    }
    let title = words
        .rest()
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ':' | '-'))
        .to_owned();
    body.insert("title".into(), json!(title));
    Intent::Add(Value::Object(body))
}

/// "every day", "daily", "every 2 weeks", "every monday", "monthly", ...
fn take_recurrence(words: &mut Words) -> Option<Value> {
    let plain = [
        ("every day", "daily"),
        ("daily", "daily"),
        ("every week", "weekly"),
        ("weekly", "weekly"),
        ("every month", "monthly"),
        ("monthly", "monthly"),
        ("every year", "yearly"),
        ("yearly", "yearly"),
        ("annually", "yearly"),
    ];
    for i in 0..words.len() {
        if let Some((phrase, frequency)) = plain.iter().find(|(p, _)| words.matches(i, p)) {
            let n = phrase.split(' ').count();
            words.take(i, n);
            // "every month on the 1st": the day of the month it returns to.
            if *frequency == "monthly"
                && words.matches(i + n, "on the")
                && let Some(day) = words.get(i + n + 2).and_then(|w| month_day(&w))
            {
                words.take(i + n, 3);
                return Some(json!({"frequency": frequency, "by_month_day": [day]}));
            }
            return Some(json!({"frequency": frequency}));
        }
        if words.get(i).as_deref() != Some("every") {
            continue;
        }
        let next = words.get(i + 1)?;
        if let Some(day) = weekday(next.trim_end_matches('s')) {
            words.take(i, 2);
            let code = &format!("{day:?}")[..2].to_uppercase();
            return Some(json!({"frequency": "weekly", "by_day": [code]}));
        }
        if let Ok(interval) = next.parse::<u32>() {
            let unit = words.get(i + 2)?;
            let frequency = match unit.trim_end_matches('s') {
                "day" => "daily",
                "week" => "weekly",
                "month" => "monthly",
                "year" => "yearly",
                _ => continue,
            };
            words.take(i, 3);
            return Some(json!({"frequency": frequency, "interval": interval}));
        }
    }
    None
}

/// "1st", "22nd", "31st" -> the day of the month.
fn month_day(word: &str) -> Option<u32> {
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| word.strip_suffix(s))?;
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

/// The first date on or after `today` that is day `day` of its month.
fn next_month_day(today: NaiveDate, day: u32) -> Option<NaiveDate> {
    (0..13).find_map(|k| {
        let first = today.with_day(1)?.checked_add_months(Months::new(k))?;
        first.with_day(day).filter(|d| *d >= today)
    })
}

/// "remind me 15 minutes before" -> `PT15M`.
fn take_reminder(words: &mut Words) -> Option<String> {
    for i in 0..words.len() {
        if !(words.matches(i, "remind me") || words.matches(i, "reminder")) {
            continue;
        }
        let lead = if words.matches(i, "remind me") { 2 } else { 1 };
        let n = words.get(i + lead)?;
        let count = match n.as_str() {
            "a" | "an" | "one" => 1,
            n => n.parse::<u32>().ok()?,
        };
        let unit = words.get(i + lead + 1)?;
        let duration = match unit.trim_end_matches('s') {
            "minute" | "min" => format!("PT{count}M"),
            "hour" | "hr" => format!("PT{count}H"),
            "day" => format!("P{count}D"),
            "week" => format!("P{count}W"),
            _ => return None,
        };
        let tail = usize::from(words.get(i + lead + 2).as_deref() == Some("before"));
        words.take(i, lead + 2 + tail);
        return Some(duration);
    }
    None
}

/// `#tags` and an `@category`.
fn take_marks(words: &mut Words) -> (Vec<String>, Option<String>) {
    let mut tags = Vec::new();
    let mut category = None;
    for i in 0..words.len() {
        let Some(raw) = words.raw(i).map(str::to_owned) else {
            continue;
        };
        if words.get(i).is_none() {
            continue;
        }
        let clean = raw.trim_end_matches([',', '.', '!', '?']);
        if let Some(tag) = clean
            .strip_prefix('#')
            .filter(|t| !t.is_empty() && t.parse::<u64>().is_err())
        {
            tags.push(tag.to_lowercase());
            words.take(i, 1);
        } else if let Some(name) = clean.strip_prefix('@').filter(|c| !c.is_empty()) {
            category = Some(name.to_owned());
            words.take(i, 1);
        }
    }
    (tags, category)
}

fn list(words: &mut Words, now: DateTime<Utc>, tz: &TimeZone) -> Intent {
    let mut query: Vec<(String, String)> = Vec::new();
    let mut heading = Vec::new();
    if words.take_phrase(&["overdue", "late"]).is_some() {
        query.push(("overdue".into(), "true".into()));
        heading.push("overdue");
    }
    if words
        .take_phrase(&["completed", "done", "finished"])
        .is_some()
    {
        query.push(("status".into(), "completed".into()));
        heading.push("completed");
    } else if words.take_phrase(&["all"]).is_none() {
        query.push(("status".into(), "pending".into()));
    }
    if let Some(priority) = take_priority(words) {
        query.push(("priority".into(), priority.into()));
        heading.push(priority);
    }
    let (tags, category) = take_marks(words);
    if !tags.is_empty() {
        query.push(("tags".into(), tags.join(",")));
    }
    if let Some(category) = category {
        query.push(("category".into(), category));
    }
    let today = tz.local(now).date();
    // `due_before` is exclusive: the day after the last day in range.
    let range = if words.take_phrase(&["this week", "the week"]).is_some() {
        Some(("due this week", today, 7))
    } else if words.take_phrase(&["tomorrow"]).is_some() {
        today.succ_opt().map(|d| ("due tomorrow", d, 1))
    } else if words.take_phrase(&["today"]).is_some() {
        Some(("due today", today, 1))
    } else {
        None
    };
    if let Some((label, from, days)) = range
        && let Some(end) = from.checked_add_days(chrono::Days::new(days))
    {
        query.push(("due_after".into(), from.to_string()));
        query.push(("due_before".into(), end.to_string()));
        heading.push(label);
    }
    query.push(("sort".into(), "due_date".into()));
    let heading = if heading.is_empty() {
        "Your tasks".to_owned()
    } else {
        format!("Tasks: {}", heading.join(", "))
    };
    Intent::List { query, heading }
}

#[cfg(test)]
mod tests;
