//! Messages and what they are understood as.

use serde_json::json;

use super::*;
use crate::test_support::{tz, utc};

/// Wednesday 4 March 2026, 10:00 UTC.
fn hear(message: &str) -> Intent {
    understand(message, utc("2026-03-04T10:00:00Z"), &tz("UTC"))
}

fn added(message: &str) -> Value {
    match hear(message) {
        Intent::Add(body) => body,
        other => panic!("{message}: {other:?}"),
    }
}

fn listed(message: &str) -> Vec<(String, String)> {
    match hear(message) {
        Intent::List { query, .. } => query,
        other => panic!("{message}: {other:?}"),
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect()
}

#[test]
fn adding_fills_every_field_it_hears() {
    assert_eq!(
        added("add buy milk tomorrow at 5pm #shopping urgent @errands"),
        json!({
            "title": "buy milk",
            "due_date": "2026-03-05T17:00:00Z",
            "timezone": "UTC",
            "priority": "urgent",
            "tags": ["shopping"],
            "category": "errands"
        })
    );
    assert_eq!(
        added("remind me to water plants"),
        json!({"title": "water plants"})
    );
}

#[test]
fn repeating_tasks_and_relative_reminders() {
    assert_eq!(
        added("add stand-up every monday at 9:30am remind me 10 minutes before"),
        json!({
            "title": "stand-up",
            "recurrence": {"frequency": "weekly", "by_day": ["MO"]},
            "due_date": "2026-03-09T09:30:00Z",
            "timezone": "UTC",
            "reminders": [{"before_due": "PT10M"}]
        })
    );
    assert_eq!(
        added("add pay rent every 2 weeks"),
        json!({
            "title": "pay rent",
            "recurrence": {"frequency": "weekly", "interval": 2},
            "due_date": "2026-03-04",
            "timezone": "UTC"
        })
    );
}

#[test]
fn an_added_body_is_a_valid_rest_body() {
    for message in [
        "add buy milk tomorrow at 5pm #shopping urgent",
        "add stand-up every monday at 9:30am remind me 10 minutes before",
        "todo call the bank on friday high priority",
    ] {
        let body = added(message);
        crate::NewTask::from_json(&body).unwrap_or_else(|e| panic!("{message}: {body} -> {e}"));
    }
}

#[test]
fn lists_turn_into_query_parameters() {
    assert_eq!(
        listed("what's due today"),
        pairs(&[
            ("status", "pending"),
            ("due_after", "2026-03-04"),
            ("due_before", "2026-03-05"),
            ("sort", "due_date")
        ])
    );
    assert_eq!(
        listed("show overdue urgent tasks #work"),
        pairs(&[
            ("overdue", "true"),
            ("status", "pending"),
            ("priority", "urgent"),
            ("tags", "work"),
            ("sort", "due_date")
        ])
    );
    assert_eq!(
        listed("show completed tasks"),
        pairs(&[("status", "completed"), ("sort", "due_date")])
    );
    assert_eq!(listed("find milk"), pairs(&[("q", "milk")]));
    for query in [listed("what's due this week"), listed("list all tasks")] {
        crate::TaskQuery::from_pairs(&query).unwrap();
    }
}

#[test]
fn changes_point_at_tasks_in_several_ways() {
    let complete = |target| Intent::Update {
        target,
        patch: json!({"completed": true}),
        action: Action::Complete,
    };
    assert_eq!(hear("complete #12"), complete(TaskRef::Id(12)));
    assert_eq!(hear("done with task 4"), complete(TaskRef::Id(4)));
    assert_eq!(
        hear("mark the second one as done"),
        complete(TaskRef::Position(2))
    );
    assert_eq!(hear("finish it"), complete(TaskRef::Last));
    assert_eq!(
        hear("complete buy milk"),
        complete(TaskRef::Title("buy milk".into()))
    );
    assert_eq!(
        hear("mark the last one done"),
        complete(TaskRef::Position(usize::MAX))
    );
    assert_eq!(
        hear("mark 3 as not done"),
        Intent::Update {
            target: TaskRef::Id(3),
            patch: json!({"completed": false}),
            action: Action::Reopen
        }
    );
    assert_eq!(
        hear("delete the 3rd one"),
        Intent::Delete(TaskRef::Position(3))
    );
}

#[test]
fn rescheduling_and_priorities() {
    assert_eq!(
        hear("move it to friday at 9am"),
        Intent::Update {
            target: TaskRef::Last,
            patch: json!({"due_date": "2026-03-06T09:00:00Z", "timezone": "UTC"}),
            action: Action::Reschedule
        }
    );
    assert_eq!(
        hear("make #3 high priority"),
        Intent::Update {
            target: TaskRef::Id(3),
            patch: json!({"priority": "high"}),
            action: Action::Reprioritize
        }
    );
    assert!(matches!(hear("move it"), Intent::NotUnderstood(_)));
}

#[test]
fn help_and_the_rest() {
    assert_eq!(hear("help"), Intent::Help);
    assert_eq!(hear("   "), Intent::Help);
    assert_eq!(
        hear("the weather is nice"),
        Intent::NotUnderstood("the weather is nice".into())
    );
}

#[test]
fn quick_add_reads_an_add_message_without_the_verb() {
    let now = utc("2026-03-04T10:00:00Z");
    let london = tz("Europe/London");
    let body = quick_add("call mum tomorrow at 5pm #family !high", now, &london);
    assert_eq!(
        body,
        json!({"title": "call mum", "due_date": "2026-03-05T17:00:00Z", "timezone": "Europe/London",
               "priority": "high", "tags": ["family"]})
    );
    // The verb is optional, and the same text with it reads the same.
    assert_eq!(
        quick_add("add call mum tomorrow at 5pm #family !high", now, &london),
        body
    );
    let plain = quick_add("water the plants", now, &london);
    assert_eq!(plain, json!({"title": "water the plants"}));
}

#[test]
fn a_monthly_task_on_a_day_of_the_month_starts_on_its_next_one() {
    let body =
        added("add pay rent every month on the 1st at 9am #home !high remind me 1 day before");
    assert_eq!(
        body,
        json!({"title": "pay rent", "due_date": "2026-04-01T09:00:00Z", "timezone": "UTC",
               "recurrence": {"frequency": "monthly", "by_month_day": [1]},
               "reminders": [{"before_due": "P1D"}], "priority": "high", "tags": ["home"]})
    );
    // Today when it is that day; a day some months lack is found in the next that has it.
    assert_eq!(
        added("add standup monthly on the 4th")["due_date"],
        "2026-03-04"
    );
    assert_eq!(
        added("add audit every month on the 31st")["due_date"],
        "2026-03-31"
    );
    assert!(crate::NewTask::from_json(&body).is_ok());
}
