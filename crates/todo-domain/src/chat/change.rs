//! Changes to one task: complete, reopen, delete, move, rename, priority,
//! repeat, category, reminders, clearing the due date ("mark #5 as done",
//! "move dentist to friday at 3pm", "rename #3 to ...", "make it urgent").

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::intent::{Action, Intent, Question, TaskRef};
use super::marks::{take_category, take_priority};
use super::refs::task_ref;
use super::remind::{Remind, take_reminders};
use super::repeat::{Found, take_repeat};
use super::shift::take_shift;
use super::when::{due, take_when};
use super::words::{DONE_WORDS, Words, count};
use crate::due::{Due, TimeZone};

const COMPLETE: &[&str] = &[
    "i have finished",
    "i've finished",
    "i finished",
    "i have completed",
    "i've completed",
    "i completed",
    "i've done",
    "i did",
    "done with",
    "check off",
    "tick off",
    "cross off",
    "mark",
    "complete",
    "finish",
    "finished",
    "done",
    "close",
];
const REOPEN: &[&str] = &[
    "reopen",
    "re-open",
    "uncomplete",
    "unmark",
    "undo",
    "restore",
];
const DELETE: &[&str] = &[
    "get rid of",
    "delete",
    "remove",
    "cancel",
    "drop",
    "erase",
    "trash",
    "scrap",
];
const MOVE: &[&str] = &[
    "push back",
    "move",
    "reschedule",
    "postpone",
    "push",
    "defer",
    "delay",
    "shift",
    "bump",
];
const RENAME: &[&str] = &[
    "change the title of",
    "change the name of",
    "rename",
    "retitle",
];
const SET: &[&str] = &[
    "prioritize",
    "prioritise",
    "make",
    "set",
    "change",
    "update",
    "put",
];
const CLEAR_DUE: &[&str] = &[
    "remove the due date from",
    "remove the due date of",
    "remove the due date on",
    "clear the due date of",
    "clear the due date on",
    "clear the due date from",
    "delete the due date of",
    "delete the due date from",
];

fn update(target: TaskRef, patch: Value, action: Action) -> Intent {
    Intent::Update {
        target,
        patch,
        action,
    }
}

/// The task the free words point at, or the question to ask.
fn target(words: &Words) -> Result<TaskRef, Intent> {
    let mut rest = Words::new(&words.rest());
    // Link words that are left over around the reference.
    rest.take_leading(&["of", "for", "on", "from"]);
    while let Some(last) = (0..rest.len()).rev().find(|k| rest.is_free(*k)) {
        if rest.get(last).is_some_and(|w| {
            [
                "to", "as", "for", "until", "till", "on", "the", "priority", "due",
            ]
            .contains(&w)
        }) {
            rest.take(last, 1);
        } else {
            break;
        }
    }
    task_ref(&rest.rest()).ok_or(Intent::Ask(Question::WhichTask))
}

/// A change to one task, if the message is one.
pub(super) fn read(message: &str, now: DateTime<Utc>, tz: &TimeZone) -> Option<Intent> {
    let mut words = Words::new(message);
    if let Some(found) = is_done(&words) {
        return Some(found);
    }
    if words.take_leading(CLEAR_DUE).is_some() {
        return Some(match target(&words) {
            Ok(t) => update(t, json!({"due_date": null}), Action::Reschedule),
            Err(ask) => ask,
        });
    }
    if let Some(found) = remind_about(&words, now, tz) {
        return Some(found);
    }
    if words.take_leading(RENAME).is_some() {
        let text = words.rest();
        let lower = text.to_lowercase();
        return Some(match lower.find(" to ") {
            Some(cut) => {
                let title = text[cut + 4..].trim().trim_matches(['"', '\'']).to_owned();
                match (task_ref(&text[..cut]), title.is_empty()) {
                    (Some(t), false) => update(t, json!({"title": title}), Action::Edit),
                    (None, _) => Intent::Ask(Question::WhichTask),
                    (Some(_), true) => Intent::Ask(Question::Title),
                }
            }
            None if task_ref(&text).is_some() => Intent::Ask(Question::Title),
            None => Intent::Ask(Question::WhichTask),
        });
    }
    if words.take_leading(DELETE).is_some() {
        return Some(match target(&words) {
            Ok(t) => Intent::Delete(t),
            Err(ask) => ask,
        });
    }
    if words.take_leading(REOPEN).is_some() {
        return Some(match target(&words) {
            Ok(t) => update(t, json!({"completed": false}), Action::Reopen),
            Err(ask) => ask,
        });
    }
    if words.take_leading(MOVE).is_some() {
        if let Some(category) = take_category(&mut words) {
            return Some(match target(&words) {
                Ok(t) => update(t, json!({"category": category}), Action::Edit),
                Err(ask) => ask,
            });
        }
        return Some(reschedule(words, now, tz));
    }
    if let Some(verb) = words.take_leading(COMPLETE) {
        if verb == "mark"
            && let Some(priority) = take_priority(&mut words, false)
        {
            words.take_phrase(&["as"]);
            return Some(match target(&words) {
                Ok(t) => update(t, json!({"priority": priority}), Action::Reprioritize),
                Err(ask) => ask,
            });
        }
        let reopen = words
            .take_phrase(&[
                "as not done",
                "not done",
                "as incomplete",
                "as undone",
                "as pending",
                "as open",
            ])
            .is_some();
        words.take_phrase(DONE_WORDS);
        return Some(match (target(&words), reopen) {
            (Ok(t), true) => update(t, json!({"completed": false}), Action::Reopen),
            (Ok(t), false) => update(t, json!({"completed": true}), Action::Complete),
            (Err(ask), _) => ask,
        });
    }
    let new_reminder = ["set a reminder", "create a reminder"]
        .iter()
        .any(|p| message.to_lowercase().starts_with(p));
    if !new_reminder && words.take_leading(SET).is_some() {
        // "make dinner tomorrow" is a new task, not a change: a new date for
        // a task named by title says so ("to", "due", ...).
        let lower = message.to_lowercase();
        let explicit = [" to ", "priority", " due", "category", "repeat", "recur"]
            .iter()
            .any(|w| lower.contains(w));
        let found = set(words, now, tz)?;
        if let Intent::Update {
            target: TaskRef::Title(_),
            patch,
            ..
        } = &found
            && patch.get("due_date").is_some()
            && !explicit
        {
            return None;
        }
        return Some(found);
    }
    None
}

/// "move X to friday at 3pm": a new due date; "postpone X by a day": a
/// shift from the current one; or a question.
fn reschedule(mut words: Words, now: DateTime<Utc>, tz: &TimeZone) -> Intent {
    let shift = take_shift(&mut words);
    let when = take_when(&mut words, now, tz);
    // "push the report back to monday"
    if let Some((i, _)) = words.find(&["back to", "back until", "back"]) {
        let last = (0..words.len()).rev().find(|k| words.is_free(*k));
        if words.get(i + 1).is_some() || last == Some(i) {
            words.take(i, 1);
        }
    }
    let target = match target(&words) {
        Ok(t) => t,
        Err(ask) => return ask,
    };
    if let Some(text) = when.invalid {
        return Intent::Ask(Question::InvalidDate(text));
    }
    // "postpone it by a day": moved from wherever it is due now.
    if let Some(by) = shift
        && when.is_empty()
    {
        return Intent::Shift { target, by };
    }
    if let Some(hour) = when.bare_hour {
        return Intent::Ask(Question::AmPm(hour));
    }
    match due(&when, now, tz) {
        Some(due) => update(
            target,
            json!({"due_date": due.to_string(), "timezone": tz.name()}),
            Action::Reschedule,
        ),
        None => Intent::Ask(Question::When),
    }
}

/// "make it urgent", "set #3 priority to low", "make #3 repeat every week",
/// "put #4 in category work", "set #2 due tomorrow".
fn set(mut words: Words, now: DateTime<Utc>, tz: &TimeZone) -> Option<Intent> {
    if let Some(priority) = take_priority(&mut words, true) {
        words.take_phrase(&["the priority of", "priority of", "priority"]);
        return Some(match target(&words) {
            Ok(t) => update(t, json!({"priority": priority}), Action::Reprioritize),
            Err(ask) => ask,
        });
    }
    if let Some((i, p)) = words.find(&["repeat", "recur", "repeating", "recurring"]) {
        words.take(i, count(p));
        return Some(match take_repeat(&mut words) {
            Some(Found::Repeat(rule)) => match target(&words) {
                Ok(t) => update(t, json!({"recurrence": rule.to_json()}), Action::Edit),
                Err(ask) => ask,
            },
            Some(Found::TooOften) => Intent::Ask(Question::TooOften),
            None => Intent::Ask(Question::When),
        });
    }
    if let Some(category) = take_category(&mut words) {
        return Some(match target(&words) {
            Ok(t) => update(t, json!({"category": category}), Action::Edit),
            Err(ask) => ask,
        });
    }
    let has_due = words.take_phrase(&[
        "the due date of",
        "due date of",
        "the due date",
        "due date",
        "due",
    ]);
    let when = take_when(&mut words, now, tz);
    if has_due.is_some() || !when.is_empty() {
        let due = due(&when, now, tz)?;
        return Some(match target(&words) {
            Ok(t) => update(
                t,
                json!({"due_date": due.to_string(), "timezone": tz.name()}),
                Action::Reschedule,
            ),
            Err(ask) => ask,
        });
    }
    None
}

/// "#3 is done", "#3 done", "it's done", "that one is finished".
fn is_done(words: &Words) -> Option<Intent> {
    let text = words.rest().to_lowercase();
    let text = text.trim_end_matches(['.', '!']);
    for tail in [
        " is done",
        " is complete",
        " is completed",
        " is finished",
        " done",
        "'s done",
    ] {
        if let Some(head) = text.strip_suffix(tail) {
            let target = task_ref(head)?;
            if matches!(target, TaskRef::Title(_)) {
                return None;
            }
            return Some(update(target, json!({"completed": true}), Action::Complete));
        }
    }
    None
}

/// "remind me about #3 an hour before": new reminders for a task.
fn remind_about(words: &Words, now: DateTime<Utc>, tz: &TimeZone) -> Option<Intent> {
    let text = words.rest();
    let lower = text.to_lowercase();
    let rest = [
        "remind me about ",
        "remind me of ",
        "add a reminder to ",
        "add a reminder for ",
    ]
    .iter()
    .find_map(|p| lower.strip_prefix(p).map(|_| &text[p.len()..]))?;
    let mut inner = Words::new(rest);
    let first = inner.get(0)?.to_owned();
    let refers = first.starts_with('#') || matches!(first.as_str(), "it" | "that" | "task");
    if !refers {
        return None;
    }
    // Read the reminders as if "remind me" came right before them.
    let mut reminder_words = Words::new(&format!("remind me {}", inner.rest()));
    let (found, _) = take_reminders(&mut reminder_words, now, tz);
    inner = Words::new(&reminder_words.rest());
    if found.is_empty() {
        return Some(Intent::Ask(Question::When));
    }
    let specs: Vec<Value> = found
        .iter()
        .map(|r| match r {
            Remind::Before(d) => json!({"before_due": d}),
            Remind::At(day, time) => {
                let day = day.unwrap_or_else(|| tz.local(now).date());
                json!({"remind_at": Due::At(tz.resolve(day.and_time(*time))).to_string()})
            }
        })
        .collect();
    Some(match target(&inner) {
        Ok(t) => update(t, json!({"reminders": specs}), Action::Edit),
        Err(ask) => ask,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{tz, utc};

    fn change(message: &str) -> Option<Value> {
        read(message, utc("2026-03-04T10:00:00Z"), &tz("UTC")).map(|i| i.to_json())
    }

    #[test]
    fn changes_name_their_task_or_ask() {
        assert_eq!(
            change("move it to friday at 3pm"),
            Some(
                json!({"update": {"target": "it", "patch": {"due_date": "2026-03-06T15:00:00Z", "timezone": "UTC"}}})
            )
        );
        assert_eq!(change("delete"), Some(json!({"ask": "which_task"})));
        assert_eq!(change("move dentist"), Some(json!({"ask": "when"})));
        assert_eq!(
            change("move dentist to tomorrow at 7"),
            Some(json!({"ask": "am_pm"}))
        );
        // Not changes: new tasks that start with a verb-like word.
        assert_eq!(change("make dinner tomorrow"), None);
        assert_eq!(change("buy milk"), None);
    }
}
