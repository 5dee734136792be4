//! What the chat answers, in plain sentences that say what was understood.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::intent::{Action, BulkAction, Question};
use crate::due::Due;
use crate::error::ValidationErrors;
use crate::recurrence::Frequency;
use crate::reminder::ReminderSpec;
use crate::task::{Priority, Task};

/// The most tasks a list answer spells out.
const MAX_LISTED: usize = 20;

/// What handling a message came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A task was created, with the subtasks created under it.
    Added(Task, Vec<Task>),
    Listed {
        heading: String,
        tasks: Vec<Task>,
        total: usize,
    },
    Updated(Action, Task),
    Deleted(Task),
    /// A bulk change is waiting for "yes": these tasks would change.
    Confirm {
        action: BulkAction,
        heading: String,
        tasks: Vec<Task>,
    },
    /// A bulk change was carried out on these tasks.
    Bulk {
        action: BulkAction,
        tasks: Vec<Task>,
    },
    /// The last change was taken back (described).
    Undone(String),
    NothingToUndo,
    /// "no": what was waiting is dropped.
    Dropped,
    /// "yes" with nothing waiting for it.
    NothingPending,
    /// A question asked back instead of a guess.
    Asked(Question),
    /// Nothing matched the reference (described for the answer).
    NotFound(String),
    /// Several tasks matched; the user picks one.
    Ambiguous(Vec<Task>),
    /// The request the message became was refused.
    Invalid(ValidationErrors),
    Help,
    NotUnderstood(String),
}

/// The question's wording.
pub fn question(q: &Question) -> String {
    match q {
        Question::AmPm(h) => {
            format!("At {h} in the morning or in the evening? Say \"{h}am\" or \"{h}pm\".")
        }
        Question::Title => {
            "What should the task be called? For example \"add buy milk tomorrow\".".into()
        }
        Question::When => {
            "When? Say a day and time, for example \"tomorrow at 9am\" or \"friday\".".into()
        }
        Question::ConfirmAdd(title) => {
            format!("Shall I add \"{title}\" as a task? (yes/no)")
        }
        Question::InvalidDate(text) => {
            format!("\"{text}\" is not a date on the calendar. Which day do you mean?")
        }
        Question::TooOften => "Tasks repeat at most once a day (every day, every weekday, \
                               every monday, every 2 weeks, ...). How often should it repeat?"
            .into(),
        Question::NeedsDue => {
            "A reminder \"before\" needs a due date. When is the task due?".into()
        }
        Question::WhichTask => "Which task? Say its title or #number, or \"the second one\" \
                                after a list."
            .into(),
        Question::NoDueToShift => "That task has no due time to move by that much. \
                                   When should it be due? For example \"friday at 9am\"."
            .into(),
    }
}

fn verb(action: BulkAction, done: bool) -> &'static str {
    match (action, done) {
        (BulkAction::Complete, false) => "complete",
        (BulkAction::Complete, true) => "Completed",
        (BulkAction::Reopen, false) => "reopen",
        (BulkAction::Reopen, true) => "Reopened",
        (BulkAction::Delete, false) => "delete",
        (BulkAction::Delete, true) => "Deleted",
        (BulkAction::Update, false) => "change",
        (BulkAction::Update, true) => "Changed",
    }
}

fn numbered(out: &mut String, tasks: &[Task], now: DateTime<Utc>) {
    for (n, task) in tasks.iter().take(MAX_LISTED).enumerate() {
        let overdue = if task.is_overdue(now) {
            " (overdue)"
        } else {
            ""
        };
        let _ = write!(out, "\n{}. {}{overdue}", n + 1, describe(task));
    }
    if tasks.len() > MAX_LISTED {
        let _ = write!(out, "\n... and {} more.", tasks.len() - MAX_LISTED);
    }
}

/// The answer to `outcome` at `now`.
pub fn reply(outcome: &Outcome, now: DateTime<Utc>) -> String {
    match outcome {
        Outcome::Added(task, subtasks) if subtasks.is_empty() => {
            format!("Added {}.", describe(task))
        }
        Outcome::Added(task, subtasks) => {
            let mut out = format!("Added {} with {} subtasks:", describe(task), subtasks.len());
            numbered(&mut out, subtasks, now);
            out
        }
        Outcome::Listed { heading, tasks, .. } if tasks.is_empty() => {
            format!("{heading}: nothing here.")
        }
        Outcome::Listed {
            heading,
            tasks,
            total,
        } => {
            let mut out = format!("{heading} ({total}):");
            numbered(&mut out, tasks, now);
            if *total > tasks.len().min(MAX_LISTED) && tasks.len() <= MAX_LISTED {
                let _ = write!(out, "\n... and {} more.", total - tasks.len());
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
        Outcome::Confirm { tasks, .. } if tasks.is_empty() => {
            "No tasks match that, so there is nothing to change.".into()
        }
        Outcome::Confirm {
            action,
            heading,
            tasks,
        } => {
            let mut out = format!(
                "{heading}: this would {} {} task{}:",
                verb(*action, false),
                tasks.len(),
                if tasks.len() == 1 { "" } else { "s" }
            );
            numbered(&mut out, tasks, now);
            out.push_str("\nShall I go ahead? (yes/no)");
            out
        }
        Outcome::Bulk { action, tasks } => {
            let mut out = format!(
                "{} {} task{}:",
                verb(*action, true),
                tasks.len(),
                if tasks.len() == 1 { "" } else { "s" }
            );
            numbered(&mut out, tasks, now);
            out.push_str("\nSay \"undo\" to take it back.");
            out
        }
        Outcome::Undone(what) => format!("Undone: {what}."),
        Outcome::NothingToUndo => "There is nothing to undo in this conversation.".into(),
        Outcome::Dropped => "OK, I won't.".into(),
        Outcome::NothingPending => {
            "There is nothing waiting for a yes. What would you like to do?".into()
        }
        Outcome::Asked(q) => question(q),
        Outcome::NotFound(what) => format!("I couldn't find {what}."),
        Outcome::Ambiguous(tasks) => {
            let mut out = String::from("Which one do you mean?");
            numbered(&mut out, tasks, now);
            out.push_str("\nSay e.g. \"the first one\" or use its #number.");
            out
        }
        Outcome::Invalid(errors) => format!("I couldn't do that: {errors}."),
        Outcome::Help => HELP.to_owned(),
        Outcome::NotUnderstood(text) => format!("Sorry, I didn't understand \"{text}\". {HELP}"),
    }
}

const HELP: &str = "Try: \"add buy milk tomorrow at 5pm #shopping urgent\", \"remind me to call mom in 2 hours\", \"pay rent every month on the 1st at 9am remind me 1 day before\", \"add plan party with subtasks cake, invites\", \"what's due this week\", \"what did I do today\", \"complete the second one\", \"move it to friday at 9am\", \"complete all shopping tasks\", \"undo\".";

/// `#3 "Buy milk" (due Fri 6 Mar 2026 17:00 Europe/London, repeats every week on Fri, urgent, #shopping)`.
pub fn describe(task: &Task) -> String {
    let mut details: Vec<String> = Vec::new();
    if task.completed {
        details.push("done".into());
    }
    if let Some(due) = &task.due_date {
        details.push(format!("due {}", when(due, task)));
    }
    if let Some(rule) = &task.recurrence {
        details.push(format!("repeats {}", repeats(rule)));
    }
    if !task.reminders.is_empty() {
        let said: Vec<String> = task
            .reminders
            .iter()
            .map(|r| reminder(&r.spec, task))
            .collect();
        details.push(format!("reminders: {}", said.join(", ")));
    }
    if task.priority != Priority::Medium {
        details.push(task.priority.as_str().to_owned());
    }
    details.extend(task.tags.iter().map(|t| format!("#{t}")));
    if let Some(category) = &task.category {
        details.push(format!("@{category}"));
    }
    if let Some(parent) = task.parent_task_id {
        details.push(format!("subtask of #{parent}"));
    }
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

fn repeats(rule: &crate::recurrence::Recurrence) -> String {
    let unit = match rule.frequency {
        Frequency::Daily => "day",
        Frequency::Weekly => "week",
        Frequency::Monthly => "month",
        Frequency::Yearly => "year",
    };
    let mut out = if rule.interval > 1 {
        format!("every {} {unit}s", rule.interval)
    } else {
        format!("every {unit}")
    };
    if !rule.by_day.is_empty() {
        let days: Vec<String> = rule
            .by_day
            .iter()
            .map(|d| {
                let name = d.weekday.to_string();
                match d.ordinal {
                    Some(-1) => format!("the last {name}"),
                    Some(n) => format!("the {} {name}", ordinal(i32::from(n))),
                    None => name,
                }
            })
            .collect();
        let _ = write!(out, " on {}", days.join(", "));
    }
    if !rule.by_month_day.is_empty() {
        let days: Vec<String> = rule
            .by_month_day
            .iter()
            .map(|d| match d {
                -1 => "the last day".to_owned(),
                d => format!("the {}", ordinal(i32::from(*d))),
            })
            .collect();
        let _ = write!(out, " on {}", days.join(", "));
    }
    out
}

fn ordinal(n: i32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn reminder(spec: &ReminderSpec, task: &Task) -> String {
    match spec {
        ReminderSpec::BeforeDue(d) => {
            let s = d.total_seconds();
            if s == 0 {
                return "at the due time".into();
            }
            let (n, unit) = if s % 604_800 == 0 {
                (s / 604_800, "week")
            } else if s % 86_400 == 0 {
                (s / 86_400, "day")
            } else if s % 3_600 == 0 {
                (s / 3_600, "hour")
            } else {
                (s / 60, "minute")
            };
            format!("{n} {unit}{} before", if n == 1 { "" } else { "s" })
        }
        ReminderSpec::RemindAt(at) => {
            let local = task.timezone.local(at.to_utc());
            format!("at {}", local.format("%a %-d %b %H:%M"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
            reply(&Outcome::Added(task, vec![]), utc("2026-03-04T10:00:00Z")),
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
    }

    #[test]
    fn every_question_says_what_it_needs() {
        assert!(question(&Question::AmPm(7)).contains("7pm"));
        assert!(question(&Question::ConfirmAdd("buy milk".into())).contains("\"buy milk\""));
        assert!(question(&Question::Title).contains("called"));
    }
}
