//! Adding a task: every field read from the words, the title from what is
//! left, subtasks ("with subtasks a, b and c") and a parent ("add the
//! subtask X to Y", "add X under #4").

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::intent::{Intent, Question, TaskRef};
use super::marks::{take_category, take_priority, take_tags};
use super::refs::task_ref;
use super::remind::{Remind, take_reminders};
use super::repeat::{Found, take_repeat};
use super::when::{due, take_when};
use super::words::{Words, count};
use crate::due::{Due, TimeZone};

/// How the message asked for the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Form {
    /// "add ...", "new task ...", "I need to ...".
    Verb,
    /// "remind me to ...": needs a time, and reminds at it.
    Remind,
    /// A bare phrase: a task only if something in it says so.
    Bare,
}

/// Words left in a title that say nothing.
const LEADING: &[&str] = &[
    "a task called",
    "a task named",
    "a task to",
    "a task for",
    "task called",
    "task named",
    "a new task",
    "new task",
    "an task",
    "a task",
    "the task",
    "a todo",
    "a reminder to",
    "reminder to",
    "task",
    "todo",
    "to do",
    "called",
    "named",
    "that i need to",
    "i need to",
    "to",
    "please",
    "-",
    "a",
    "an",
];
const ANYWHERE: &[&str] = &[
    "to my to-do list",
    "to my todo list",
    "to my to do list",
    "on my to-do list",
    "on my todo list",
    "to my list",
    "on my list",
    "to the list",
    "on the list",
    "to my tasks",
    "for me",
];
const TRAILING: &[&str] = &[
    "on", "at", "by", "for", "and", "with", "due", "to", "in", "please", "-", "also", "then",
];

/// The title the free words make.
pub(super) fn title(words: &Words) -> String {
    let mut words = Words::new(&words.rest());
    while words.take_phrase(ANYWHERE).is_some() {}
    while words.take_leading(LEADING).is_some() {}
    while let Some(last) = (0..words.len()).rev().find(|k| words.is_free(*k)) {
        if words
            .get(last)
            .is_some_and(|w| TRAILING.contains(&w) || w.is_empty())
        {
            words.take(last, 1);
        } else {
            break;
        }
    }
    words
        .rest()
        .trim_matches(|c: char| {
            c.is_whitespace() || matches!(c, ',' | '.' | ';' | ':' | '-' | '"' | '\'' | '‘' | '’')
        })
        .to_owned()
}

/// "buy cake, send invites and book venue" -> three titles.
fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .flat_map(|part| part.split(" and "))
        .map(|t| {
            t.trim()
                .trim_matches(|c: char| matches!(c, '.' | ';' | ':'))
                .trim()
        })
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// "add the subtask X to Y", "add a subtask to #4: X", "add X as a subtask
/// of Y", "add X under #4": the new task's words and the parent.
fn parent_form(words: &mut Words) -> Option<(Words, TaskRef)> {
    let text = words.rest();
    let lower = text.to_lowercase();
    // "a subtask to #4: call caterer"
    for lead in ["the subtask to ", "a subtask to ", "subtask to "] {
        if let Some(tail) = lower.strip_prefix(lead)
            && let Some((target, title)) = tail.split_once(':')
        {
            let target = task_ref(&text[lead.len()..lead.len() + target.len()])?;
            let title_at = lead.len() + target_len(tail, title);
            return Some((Words::new(&text[title_at..]), target));
        }
    }
    for lead in ["the subtask ", "a subtask ", "subtask ", "sub-task "] {
        if let Some(tail) = lower.strip_prefix(lead)
            && let Some(cut) = tail.find(" to ")
        {
            let body = &text[lead.len()..lead.len() + cut];
            let target = task_ref(&text[lead.len() + cut + 4..])?;
            return Some((Words::new(body), target));
        }
    }
    for marker in [
        " as a subtask of ",
        " as a subtask to ",
        " as subtask of ",
        " as a sub-task of ",
        " as a step of ",
    ] {
        if let Some(cut) = lower.find(marker) {
            let target = task_ref(&text[cut + marker.len()..])?;
            return Some((Words::new(&text[..cut]), target));
        }
    }
    if let Some(cut) = lower.rfind(" under ") {
        let tail = &lower[cut + 7..];
        if tail.starts_with('#') || tail.starts_with("task ") {
            let target = task_ref(&text[cut + 7..])?;
            return Some((Words::new(&text[..cut]), target));
        }
    }
    None
}

/// Where the title starts in `tail` (after "target:").
fn target_len(tail: &str, title: &str) -> usize {
    tail.len() - title.len()
}

/// The subtask list after "with subtasks", taken out of the words.
fn take_subtasks(words: &mut Words) -> Vec<String> {
    const LEADS: &[&str] = &[
        "with the subtasks",
        "with subtasks",
        "with sub-tasks",
        "with the steps",
        "with steps",
        "with the items",
        "subtasks",
        "steps",
    ];
    let Some((i, lead)) = words.find(LEADS) else {
        return Vec::new();
    };
    words.take(i, count(lead));
    let part = words.split_off(i);
    split_list(&part.rest())
}

/// Understands the words of an add request (its verb already taken).
pub(super) fn add(mut words: Words, form: Form, now: DateTime<Utc>, tz: &TimeZone) -> Intent {
    if form != Form::Bare
        && let Some((inner, parent)) = parent_form(&mut words)
    {
        return match add(inner, Form::Verb, now, tz) {
            Intent::Add { body, subtasks, .. } => Intent::Add {
                body,
                subtasks,
                parent: Some(parent),
            },
            other => other,
        };
    }
    let tags = take_tags(&mut words);
    let subtasks = take_subtasks(&mut words);
    let repeat = match take_repeat(&mut words) {
        Some(Found::TooOften) => return Intent::Ask(Question::TooOften),
        Some(Found::Repeat(rule)) => Some(rule),
        None => None,
    };
    let (reminders, bare_trigger) = take_reminders(&mut words, now, tz);
    let when = take_when(&mut words, now, tz);
    if !when.is_empty() {
        // "sometime next week": the vague word goes with the date.
        words.take_phrase(&["sometime", "some time", "anytime", "any time"]);
    }
    let priority = take_priority(&mut words, false);
    let category = take_category(&mut words);
    let title = title(&words);

    if let Some(text) = when.invalid {
        return Intent::Ask(Question::InvalidDate(text));
    }
    if let Some(hour) = when.bare_hour {
        return Intent::Ask(Question::AmPm(hour));
    }
    if title.is_empty() {
        return Intent::Ask(Question::Title);
    }
    let today = tz.local(now).date();
    let due_date = match &repeat {
        Some(rule) if when.day.is_none() && when.exact.is_none() => {
            let day = rule.first_day(today, when.time, now, tz);
            super::when::compose(Some(day), when.time, now, tz)
        }
        _ => due(&when, now, tz),
    };
    if form == Form::Remind && due_date.is_none() {
        return Intent::Ask(Question::When);
    }
    let mut specs: Vec<Value> = Vec::new();
    if form == Form::Remind || bare_trigger {
        specs.push(json!({"before_due": "PT0S"}));
    }
    for remind in &reminders {
        match remind {
            Remind::Before(duration) => {
                if due_date.is_none() {
                    return Intent::Ask(Question::NeedsDue);
                }
                specs.push(json!({"before_due": duration}));
            }
            Remind::At(day, time) => {
                let day = day
                    .or_else(|| due_date.as_ref().map(|d| d.local_date(tz)))
                    .unwrap_or(today);
                let at = Due::At(tz.resolve(day.and_time(*time)));
                // A repeating task is reminded every time: as a time before its due.
                if repeat.is_some()
                    && let Some(Due::At(due)) = &due_date
                    && let ahead = due.to_utc() - at.starts_at(tz)
                    && ahead >= chrono::Duration::zero()
                    && ahead < chrono::Duration::days(1)
                {
                    let minutes = ahead.num_minutes();
                    let iso = if minutes == 0 {
                        "PT0S".to_owned()
                    } else {
                        format!("PT{minutes}M")
                    };
                    specs.push(json!({"before_due": iso}));
                    continue;
                }
                specs.push(json!({"remind_at": at.to_string()}));
            }
        }
    }
    if bare_trigger && due_date.is_none() {
        return Intent::Ask(Question::When);
    }
    let recognised = due_date.is_some()
        || repeat.is_some()
        || priority.is_some()
        || !tags.is_empty()
        || category.is_some()
        || !specs.is_empty()
        || !subtasks.is_empty();
    if form == Form::Bare && !recognised {
        return Intent::Ask(Question::ConfirmAdd(title));
    }

    let mut body = Map::new();
    body.insert("title".into(), json!(title));
    if let Some(due) = &due_date {
        body.insert("due_date".into(), json!(due.to_string()));
        body.insert("timezone".into(), json!(tz.name()));
    }
    if let Some(rule) = &repeat {
        body.insert("recurrence".into(), rule.to_json());
    }
    if !specs.is_empty() {
        body.insert("reminders".into(), Value::Array(specs));
    }
    if let Some(priority) = priority {
        body.insert("priority".into(), json!(priority));
    }
    if !tags.is_empty() {
        body.insert("tags".into(), json!(tags));
    }
    if let Some(category) = category {
        body.insert("category".into(), json!(category));
    }
    Intent::Add {
        body: Value::Object(body),
        subtasks,
        parent: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_lose_the_words_that_say_nothing() {
        for (text, want) in [
            ("a task called plan the offsite", "plan the offsite"),
            ("'call the bank' to my list", "call the bank"),
            ("an task: call the lawyer", "call the lawyer"),
            ("to call the vet", "call the vet"),
            ("buy milk,", "buy milk"),
        ] {
            assert_eq!(title(&Words::new(text)), want, "{text}");
        }
    }

    #[test]
    fn lists_of_subtasks() {
        assert_eq!(
            split_list("buy cake, send invites and book venue"),
            ["buy cake", "send invites", "book venue"]
        );
    }
}
