//! Bulk requests: "complete all shopping tasks", "delete all completed
//! tasks", "move all overdue tasks to tomorrow", "make all work tasks high
//! priority". They only become changes once the user confirms the list.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ask::{filters, heading, query};
use super::intent::{BulkAction, Intent};
use super::marks::take_priority;
use super::when::{due, take_when};
use super::words::{DONE_WORDS, Words};
use crate::due::TimeZone;

const VERBS: &[(&str, BulkAction)] = &[
    ("mark", BulkAction::Complete),
    ("complete", BulkAction::Complete),
    ("finish", BulkAction::Complete),
    ("tick off", BulkAction::Complete),
    ("check off", BulkAction::Complete),
    ("close", BulkAction::Complete),
    ("delete", BulkAction::Delete),
    ("remove", BulkAction::Delete),
    ("clear", BulkAction::Delete),
    ("erase", BulkAction::Delete),
    ("drop", BulkAction::Delete),
    ("reopen", BulkAction::Reopen),
    ("uncomplete", BulkAction::Reopen),
    ("move", BulkAction::Update),
    ("push", BulkAction::Update),
    ("postpone", BulkAction::Update),
    ("reschedule", BulkAction::Update),
    ("shift", BulkAction::Update),
    ("make", BulkAction::Update),
    ("set", BulkAction::Update),
    ("change", BulkAction::Update),
];

const ALL: &[&str] = &[
    "all of my",
    "all of the",
    "all of",
    "all my",
    "all the",
    "all",
    "every",
    "everything",
    "each",
];

/// A bulk request, if the message is one.
pub(super) fn read(message: &str, now: DateTime<Utc>, tz: &TimeZone) -> Option<Intent> {
    let mut words = Words::new(message);
    let (verb, mut action) = VERBS
        .iter()
        .find(|(v, _)| words.matches(0, v))
        .map(|(v, a)| (*v, *a))?;
    let quantified = words.find(ALL).is_some();
    // "clear completed tasks" needs no "all".
    let clear_done = verb == "clear" && words.has("completed");
    if !quantified && !clear_done {
        return None;
    }
    words.take(0, super::words::count(verb));
    let everything = words.has("everything");
    while words.take_phrase(ALL).is_some() {}
    if verb == "mark" {
        if words
            .take_phrase(&["as not done", "as incomplete", "as undone", "as open"])
            .is_some()
        {
            action = BulkAction::Reopen;
        } else if words.take_phrase(DONE_WORDS).is_none() {
            return None;
        }
    } else if action == BulkAction::Complete {
        words.take_phrase(&["as done", "as complete", "as completed"]);
    }
    let mut patch = None;
    if action == BulkAction::Update {
        // The change is what follows the last "to"; the rest picks the tasks.
        let to = (0..words.len()).rev().find(|i| words.get(*i) == Some("to"));
        let mut target = match to {
            Some(i) => words.split_off(i),
            None => Words::new(""),
        };
        target.take_leading(&["to"]);
        if let Some(priority) =
            take_priority(&mut target, true).or_else(|| take_priority(&mut words, true))
        {
            patch = Some(json!({"priority": priority}));
        } else {
            let when = take_when(&mut target, now, tz);
            let due = due(&when, now, tz)?;
            patch = Some(json!({"due_date": due.to_string(), "timezone": tz.name()}));
        }
    }
    let f = filters(&mut words, now, tz);
    let default = match action {
        BulkAction::Complete | BulkAction::Update => "pending",
        BulkAction::Reopen => "completed",
        BulkAction::Delete => "all",
    };
    let status = if everything && action == BulkAction::Delete {
        "all"
    } else {
        f.status.unwrap_or(default)
    };
    let mut f = f;
    f.status = Some(status);
    Some(Intent::Bulk {
        action,
        query: query(&f, default, true),
        patch,
        heading: heading(&f, status),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{tz, utc};

    fn bulk(message: &str) -> Option<serde_json::Value> {
        read(message, utc("2026-03-04T10:00:00Z"), &tz("UTC")).map(|i| i.to_json())
    }

    #[test]
    fn only_quantified_requests_are_bulk() {
        assert_eq!(bulk("complete buy milk"), None);
        assert_eq!(bulk("mark all shopping tasks"), None, "mark what?");
        assert_eq!(
            bulk("delete all completed tasks"),
            Some(json!({"bulk": {"action": "delete", "query": {"status": "completed"}}}))
        );
        assert_eq!(
            bulk("make all work tasks high priority"),
            Some(
                json!({"bulk": {"action": "update", "query": {"status": "pending", "tags": "work"}, "patch": {"priority": "high"}}})
            )
        );
    }
}
