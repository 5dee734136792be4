//! Questions about tasks, past and future: "what's due tomorrow?", "what's
//! overdue", "what did I do today", "show my shopping tasks", "find milk".
//! Each becomes the list endpoint's query; "what did I do" also carries
//! the days the tasks were completed in (the chat filters on those).

use chrono::{DateTime, Days, Months, NaiveDate, Utc};

use super::dates::{Day, first_of_month, monday_of, on_or_after};
use super::intent::Intent;
use super::marks::{tag_word, take_category, take_priority, take_tags};
use super::when::calendar;
use super::words::{Words, number};
use crate::due::TimeZone;

/// What a list question filters on.
#[derive(Clone, Debug, Default)]
pub(super) struct Filters {
    /// Said outright: completed, pending or all.
    pub status: Option<&'static str>,
    pub overdue: bool,
    pub priority: Option<&'static str>,
    pub tags: Vec<String>,
    pub category: Option<String>,
    /// Local days `[from, until)` and what to call them.
    pub range: Option<(NaiveDate, NaiveDate, String)>,
}

const COMPLETED: &[&str] = &[
    "did i do",
    "did i finish",
    "did i complete",
    "did i get done",
    "did i accomplish",
    "have i done",
    "have i completed",
    "have i finished",
    "i've done",
    "i have done",
    "i did",
    "i finished",
    "i completed",
    "got done",
    "get done",
    "completed",
    "finished",
    "done",
];
const ALL: &[&str] = &[
    "everything",
    "all of them",
    "all tasks",
    "all my tasks",
    "all",
];
const PENDING: &[&str] = &[
    "left to do",
    "still to do",
    "not done",
    "pending",
    "open",
    "incomplete",
    "unfinished",
    "remaining",
    "left",
    "to do",
    "todo",
];

/// Words before "tasks" that are not tags.
const NOT_TAGS: &[&str] = &[
    "my",
    "all",
    "the",
    "any",
    "of",
    "more",
    "other",
    "these",
    "those",
    "recurring",
    "new",
    "your",
    "open",
    "pending",
    "completed",
    "done",
    "overdue",
    "urgent",
    "high",
    "low",
    "medium",
    "priority",
    "today's",
    "tomorrow's",
    "yesterday's",
    "week's",
    "upcoming",
    "many",
    "finished",
    "remaining",
    "outstanding",
    "some",
    "every",
    "current",
    "important",
    "due",
    "late",
];

/// Reads (and takes) the filters of a list question or a bulk request.
pub(super) fn filters(words: &mut Words, now: DateTime<Utc>, tz: &TimeZone) -> Filters {
    let mut f = Filters::default();
    if words
        .take_phrase(&["overdue", "late", "past due"])
        .is_some()
    {
        f.overdue = true;
    }
    f.tags = take_tags(words);
    f.category = take_category(words);
    f.priority = take_priority(words, false);
    if words.take_phrase(COMPLETED).is_some() {
        f.status = Some("completed");
    } else if words
        .take_phrase(&["not completed", "not finished"])
        .is_some()
        || words.take_phrase(PENDING).is_some()
    {
        f.status = Some("pending");
    } else if words.take_phrase(ALL).is_some() {
        f.status = Some("all");
    }
    // Overdue tasks are open ones, whatever "everything" said.
    if f.overdue && f.status != Some("completed") {
        f.status = Some("pending");
    }
    let past = f.status == Some("completed");
    f.range = take_range(words, now, tz, past);
    // "my shopping tasks": the word before "tasks" is a tag.
    if f.tags.is_empty()
        && let Some((i, _)) = words.find(&["tasks", "task", "items", "todos", "stuff", "jobs"])
        && let Some((k, word)) = words.before(i)
        && k + 1 == i
        && !NOT_TAGS.contains(&word)
        && !STARTS.contains(&word)
        && let Some(tag) = tag_word(word)
    {
        words.take(k, 1);
        f.tags.push(tag);
    }
    f
}

/// A span of days named in a question ("this week", "tomorrow", "the next 3 days").
fn take_range(
    words: &mut Words,
    now: DateTime<Utc>,
    tz: &TimeZone,
    past: bool,
) -> Option<(NaiveDate, NaiveDate, String)> {
    let cal = calendar(now, tz, past);
    let today = cal.today;
    let week = monday_of(today);
    let span = |from: NaiveDate, days: u64, label: &str| {
        from.checked_add_days(Days::new(days))
            .map(|until| (from, until, label.to_owned()))
    };
    const RANGES: &[&str] = &[
        "this week",
        "next week",
        "last week",
        "this month",
        "next month",
        "last month",
        "this weekend",
        "the weekend",
        "coming up",
        "upcoming",
        "soon",
        "the coming week",
        "the week",
    ];
    // The most specific range said wins ("coming up this week" is this week).
    let found = RANGES.iter().find(|p| words.has_phrase(p)).copied();
    if let Some(p) = found {
        words.take_phrase(&[p]);
        words.take_phrase(&["coming up", "upcoming"]);
        return match p {
            "this week" | "the week" => span(week, 7, "this week"),
            "next week" => span(week + Days::new(7), 7, "next week"),
            "last week" => span(week.checked_sub_days(Days::new(7))?, 7, "last week"),
            "this month" => {
                let from = first_of_month(today);
                Some((
                    from,
                    from.checked_add_months(Months::new(1))?,
                    "this month".into(),
                ))
            }
            "next month" => {
                let from = first_of_month(today).checked_add_months(Months::new(1))?;
                Some((
                    from,
                    from.checked_add_months(Months::new(1))?,
                    "next month".into(),
                ))
            }
            "last month" => {
                let until = first_of_month(today);
                Some((
                    until.checked_sub_months(Months::new(1))?,
                    until,
                    "last month".into(),
                ))
            }
            "this weekend" | "the weekend" => {
                let sat = on_or_after(today, chrono::Weekday::Sat);
                span(sat, 2, "this weekend")
            }
            _ => span(today, 7, "in the next 7 days"),
        };
    }
    // "the next 3 days", "in the next 2 weeks"
    if let Some((i, p)) = words.find(&["in the next", "the next", "next", "within the next"]) {
        let at = i + super::words::count(p);
        if let Some(n) = words.get(at).and_then(number) {
            let unit = words.get(at + 1).map(|u| u.trim_end_matches('s'));
            let days = match unit {
                Some("day") => Some(u64::from(n)),
                Some("week") => Some(u64::from(n) * 7),
                _ => None,
            };
            if let Some(days) = days {
                words.take(i, at + 2 - i);
                return span(today, days, &format!("in the next {n} days"));
            }
        }
    }
    for i in 0..words.len() {
        if let Some((Day::On(day), len)) = cal.day_at(words, i) {
            words.take(i, len);
            if let Some((k, w)) = words.before(i)
                && k + 1 == i
                && ["on", "for", "from", "due", "by"].contains(&w)
            {
                words.take(k, 1);
            }
            let label = if day == today {
                "today".to_owned()
            } else if Some(day) == today.succ_opt() {
                "tomorrow".to_owned()
            } else if Some(day) == today.pred_opt() {
                "yesterday".to_owned()
            } else {
                day.format("%a %-d %b").to_string()
            };
            return span(day, 1, &label);
        }
    }
    None
}

/// The list query for `f` (status defaulting to `default_status`).
pub(super) fn query(f: &Filters, default_status: &str, due_range: bool) -> Vec<(String, String)> {
    let mut query: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: &str| query.push((k.to_owned(), v.to_owned()));
    push("status", f.status.unwrap_or(default_status));
    if f.overdue {
        push("overdue", "true");
    }
    if let Some(priority) = f.priority {
        push("priority", priority);
    }
    if !f.tags.is_empty() {
        push("tags", &f.tags.join(","));
    }
    if let Some(category) = &f.category {
        push("category", category);
    }
    if due_range && let Some((from, until, _)) = &f.range {
        push("due_after", &from.to_string());
        push("due_before", &until.to_string());
    }
    query
}

/// What to call the tasks `f` picks.
pub(super) fn heading(f: &Filters, status: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    match status {
        "completed" => parts.push("completed".into()),
        "all" => parts.push("all".into()),
        _ => {}
    }
    if f.overdue {
        parts.push("overdue".into());
    }
    if let Some(p) = f.priority {
        parts.push(format!("{p} priority"));
    }
    parts.extend(f.tags.iter().map(|t| format!("#{t}")));
    if let Some(c) = &f.category {
        parts.push(format!("in {c}"));
    }
    if let Some((_, _, label)) = &f.range {
        let verb = if status == "completed" { "done" } else { "due" };
        parts.push(format!("{verb} {label}"));
    }
    if parts.is_empty() {
        "Your open tasks".to_owned()
    } else {
        format!("Tasks: {}", parts.join(", "))
    }
}

const STARTS: &[&str] = &[
    "what", "what's", "whats", "which", "show", "list", "display", "view", "see", "give", "tell",
    "any", "anything", "do", "did", "have", "how", "is", "are", "my", "tasks", "due", "overdue",
    "upcoming", "get",
];

/// Whether the message is a question about tasks.
pub(super) fn is_question(words: &Words) -> bool {
    words.get(0).is_some_and(|w| STARTS.contains(&w))
}

/// A list question ("find X" is read by [`search`]).
pub(super) fn list(mut words: Words, now: DateTime<Utc>, tz: &TimeZone) -> Intent {
    let f = filters(&mut words, now, tz);
    let status = f.status.unwrap_or("pending");
    let done = status == "completed";
    let done_between = if done {
        f.range.as_ref().map(|(a, b, _)| (*a, *b))
    } else {
        None
    };
    Intent::List {
        query: query(&f, "pending", !done),
        heading: heading(&f, status),
        done_between,
    }
}

/// "find milk", "search for dentist", "look for X".
pub(super) fn search(words: &mut Words) -> Option<Intent> {
    words.take_leading(&["search for", "search", "find", "look for", "look up"])?;
    let q = words
        .rest()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_owned();
    if q.is_empty() {
        return None;
    }
    Some(Intent::List {
        heading: format!("Tasks matching \"{q}\""),
        query: vec![("q".into(), q.to_lowercase())],
        done_between: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{tz, utc};

    fn list_of(message: &str) -> serde_json::Value {
        list(Words::new(message), utc("2026-03-04T10:00:00Z"), &tz("UTC")).to_json()
    }

    #[test]
    fn past_questions_filter_on_completion_future_ones_on_due() {
        assert_eq!(
            list_of("what did I do yesterday"),
            serde_json::json!({"list": {"status": "completed"}, "done_between": ["2026-03-03", "2026-03-04"]})
        );
        assert_eq!(
            list_of("what's due tomorrow"),
            serde_json::json!({"list": {"status": "pending", "due_after": "2026-03-05", "due_before": "2026-03-06"}})
        );
        assert_eq!(
            list_of("show everything overdue"),
            serde_json::json!({"list": {"status": "pending", "overdue": "true"}})
        );
    }
}
