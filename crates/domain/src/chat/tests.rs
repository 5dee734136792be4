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
