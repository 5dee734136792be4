//! Messages and what they are understood as (the phrasing corpus in
//! `tests/chat_corpus` covers the breadth; these pin a few rules).

use serde_json::json;

use super::*;
use crate::test_support::{tz, utc};

/// Wednesday 4 March 2026, 10:00 UTC.
fn hear(message: &str) -> Intent {
    understand(message, utc("2026-03-04T10:00:00Z"), &tz("UTC"))
}

#[test]
fn adding_fills_every_field_it_hears() {
    assert_eq!(
        hear("add buy milk tomorrow at 5pm #shopping urgent @errands").to_json(),
        json!({"add": {
            "title": "buy milk",
            "due_date": "2026-03-05T17:00:00Z",
            "timezone": "UTC",
            "priority": "urgent",
            "tags": ["shopping"],
            "category": "errands"
        }})
    );
}

#[test]
fn ambiguity_asks_instead_of_guessing() {
    assert_eq!(hear("add call bob at 7"), Intent::Ask(Question::AmPm(7)));
    assert_eq!(hear("add"), Intent::Ask(Question::Title));
    assert_eq!(
        hear("buy milk"),
        Intent::Ask(Question::ConfirmAdd("buy milk".into()))
    );
    assert_eq!(hear("remind me to call mom"), Intent::Ask(Question::When));
}

#[test]
fn a_title_word_that_looks_like_a_verb_is_still_a_new_task() {
    assert_eq!(
        hear("make dinner tomorrow").to_json(),
        json!({"add": {"title": "make dinner", "due_date": "2026-03-05", "timezone": "UTC"}})
    );
}

#[test]
fn a_priority_word_after_a_title_is_a_change() {
    assert_eq!(
        hear("make buy milk urgent").to_json(),
        json!({"update": {"target": {"title": "buy milk"}, "patch": {"priority": "urgent"}}})
    );
}

#[test]
fn quick_add_reads_an_add_message_without_the_verb() {
    let now = utc("2026-03-04T10:00:00Z");
    let london = tz("Europe/London");
    let body = quick_add("call mum tomorrow at 5pm #family !high", now, &london).unwrap();
    assert_eq!(body["title"], "call mum");
    assert_eq!(body["due_date"], "2026-03-05T17:00:00Z");
    assert_eq!(body["timezone"], "Europe/London");
    assert_eq!(body["priority"], "high");
    assert_eq!(body["tags"], json!(["family"]));
    // The verb is optional, and the same text with it reads the same.
    assert_eq!(
        quick_add("add call mum tomorrow at 5pm #family !high", now, &london),
        Ok(body)
    );
    assert_eq!(
        quick_add("water the plants", now, &london).unwrap()["title"],
        "water the plants"
    );
    // What the chat would ask back is the answer, not a guess.
    let asked = quick_add("call mum tomorrow at 5", now, &london).unwrap_err();
    assert!(asked.contains("5am") && asked.contains("5pm"), "{asked}");
}

#[test]
fn quick_add_reads_the_monthly_example_of_the_web_app() {
    let now = utc("2026-03-04T10:00:00Z");
    let body = quick_add(
        "pay rent every month on the 1st at 9am #home !high remind me 1 day before",
        now,
        &tz("UTC"),
    )
    .unwrap();
    assert_eq!(body["title"], "pay rent");
    assert_eq!(body["due_date"], "2026-04-01T09:00:00Z");
    assert_eq!(body["recurrence"]["frequency"], "monthly");
    assert_eq!(body["recurrence"]["by_month_day"], json!([1]));
    assert_eq!(body["reminders"], json!([{"before_due": "P1D"}]));
    assert_eq!(
        (body["priority"].as_str(), &body["tags"]),
        (Some("high"), &json!(["home"]))
    );
    assert!(crate::NewTask::from_json(&body).is_ok());
}
