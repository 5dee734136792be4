//! What the chat answers, in plain sentences.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::Action;
use crate::due::Due;
use crate::error::ValidationErrors;
use crate::task::Task;

/// The most tasks a list answer spells out.
const MAX_LISTED: usize = 20;

/// What handling a message came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Added(Task),
    Listed {
        heading: String,
        tasks: Vec<Task>,
        total: usize,
    },
    Updated(Action, Task),
    Deleted(Task),
    /// Nothing matched the reference (described for the answer).
    NotFound(String),
    /// Several tasks matched; the user picks one.
    Ambiguous(Vec<Task>),
    /// The request the message became was refused.
    Invalid(ValidationErrors),
    Help,
    NotUnderstood(String),
}

/// The answer to `outcome` at `now`.
pub fn reply(outcome: &Outcome, now: DateTime<Utc>) -> String {
    match outcome {
        Outcome::Added(task) => format!("Added {}.", describe(task)),
        Outcome::Listed { heading, tasks, .. } if tasks.is_empty() => {
            format!("{heading}: nothing here.")
        }
        Outcome::Listed {
            heading,
            tasks,
            total,
        } => {
            let mut out = format!("{heading} ({total}):");
            for (n, task) in tasks.iter().take(MAX_LISTED).enumerate() {
                let overdue = if task.is_overdue(now) {
                    " (overdue)"
                } else {
                    ""
                };
                let _ = write!(out, "\n{}. {}{overdue}", n + 1, describe(task));
            }
            if *total > MAX_LISTED.min(tasks.len()) {
                let _ = write!(
                    out,
                    "\n... and {} more.",
                    total - MAX_LISTED.min(tasks.len())
                );
            }
            out
        }
        Outcome::Updated(Action::Complete, task) => format!("Done: {}. Nice work!", describe(task)),
        Outcome::Updated(Action::Reopen, task) => format!("Reopened {}.", describe(task)),
        Outcome::Updated(Action::Reschedule, task) => format!("Moved {}.", describe(task)),
        Outcome::Updated(Action::Reprioritize | Action::Edit, task) => {
            format!("Updated {}.", describe(task))
        }
        Outcome::Deleted(task) => format!("Deleted #{} \"{}\".", task.id, task.title),
        Outcome::NotFound(what) => format!("I couldn't find {what}."),
        Outcome::Ambiguous(tasks) => {
            let mut out = String::from("Which one do you mean?");
            for (n, task) in tasks.iter().take(MAX_LISTED).enumerate() {
                let _ = write!(out, "\n{}. {}", n + 1, describe(task));
            }
            out.push_str("\nSay e.g. \"the first one\" or use its #number.");
            out
        }
        Outcome::Invalid(errors) => format!("I couldn't do that: {errors}."),
        Outcome::Help => HELP.to_owned(),
        Outcome::NotUnderstood(text) => format!("Sorry, I didn't understand \"{text}\". {HELP}"),
    }
}

const HELP: &str = "Try: \"add buy milk tomorrow at 5pm #shopping urgent\", \"remind me to pay rent every month on 2026-12-01\", \"what's due this week\", \"show overdue tasks\", \"find milk\", \"complete the second one\", \"move it to friday at 9am\", \"make #3 high priority\", \"delete buy milk\".";

/// `#3 "Buy milk" (due Fri 6 Mar 17:00, urgent, #shopping)`.
fn describe(task: &Task) -> String {
    let mut details: Vec<String> = Vec::new();
    if task.completed {
        details.push("done".into());
    }
    if let Some(due) = &task.due_date {
        details.push(format!("due {}", when(due, task)));
    }
    if let Some(rule) = &task.recurrence {
        details.push(format!("repeats {:?}", rule.frequency).to_lowercase());
    }
    if task.priority != crate::task::Priority::Medium {
        details.push(task.priority.as_str().to_owned());
    }
    details.extend(task.tags.iter().map(|t| format!("#{t}")));
    if details.is_empty() {
        format!("#{} \"{}\"", task.id, task.title)
    } else {
        format!("#{} \"{}\" ({})", task.id, task.title, details.join(", "))
    }
}

fn when(due: &Due, task: &Task) -> String {
    match due {
        Due::AllDay(day) => day.format("%a %-d %b %Y").to_string(),
        Due::At(at) => {
            let local = task.timezone.local(at.to_utc());
            format!("{} {}", local.format("%a %-d %b %Y %H:%M"), task.timezone)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::Priority;
    use crate::test_support::{due, task_with, tz, utc};

    #[test]
    fn a_task_is_described_by_what_matters() {
        let task = task_with(|t| {
            t.id = 3;
            t.title = "Buy milk".into();
            t.due_date = Some(due("2026-03-06T17:00:00Z"));
            t.timezone = tz("Europe/London");
            t.priority = Priority::Urgent;
            t.tags = vec!["shopping".into()];
        });
        assert_eq!(
            reply(&Outcome::Added(task), utc("2026-03-04T10:00:00Z")),
            "Added #3 \"Buy milk\" (due Fri 6 Mar 2026 17:00 Europe/London, urgent, #shopping)."
        );
    }

    #[test]
    fn lists_are_numbered_and_flag_overdue_tasks() {
        let late = task_with(|t| {
            t.id = 7;
            t.title = "Taxes".into();
            t.due_date = Some(due("2026-03-01"));
        });
        let text = reply(
            &Outcome::Listed {
                heading: "Your tasks".into(),
                tasks: vec![late],
                total: 1,
            },
            utc("2026-03-04T10:00:00Z"),
        );
        assert_eq!(
            text,
            "Your tasks (1):\n1. #7 \"Taxes\" (due Sun 1 Mar 2026) (overdue)"
        );
        let empty = Outcome::Listed {
            heading: "Your tasks".into(),
            tasks: vec![],
            total: 0,
        };
        assert_eq!(
            reply(&empty, utc("2026-03-04T10:00:00Z")),
            "Your tasks: nothing here."
        );
    }
}
