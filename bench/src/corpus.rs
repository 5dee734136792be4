//! A deterministic, varied set of tasks for one user: every priority, a few
//! tags each from a small pool, some categories, due dates spread over past
//! and future (dates and date-times, several zones) and some without one,
//! so that every filter and sort of the list API has real work to do.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// Words titles are made of; `SEARCH_WORD` is in about one title in fifty.
const WORDS: [&str; 12] = [
    "invoice",
    "garden",
    "report",
    "call",
    "groceries",
    "review",
    "plan",
    "fix",
    "email",
    "book",
    "clean",
    "renew",
];

/// The word the search benchmark looks for (rare: about 2% of titles).
pub const SEARCH_WORD: &str = "passport";

/// The tag pool; each task has 0-3 of them.
pub const TAGS: [&str; 8] = [
    "work",
    "home",
    "money",
    "health",
    "family",
    "errand",
    "urgent-ish",
    "someday",
];

const CATEGORIES: [&str; 4] = ["Personal", "Office", "Errands", "Projects"];
const PRIORITIES: [&str; 4] = ["low", "medium", "high", "urgent"];
const ZONES: [&str; 4] = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];

/// A small deterministic mixer, so the corpus is the same on every run.
fn mix(i: u64, salt: u64) -> u64 {
    let mut x = i
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 29)
}

/// The `POST /tasks` body of task number `i`, with due dates around `now`.
pub fn task_body(i: u64, now: DateTime<Utc>) -> Value {
    let pick = |salt: u64, n: usize| (mix(i, salt) % n as u64) as usize;
    let mut title = format!(
        "{} {} #{i}",
        WORDS[pick(1, WORDS.len())],
        WORDS[pick(2, WORDS.len())]
    );
    if mix(i, 3).is_multiple_of(50) {
        title = format!("renew {SEARCH_WORD} #{i}");
    }
    let tags: Vec<&str> = (0..pick(4, 4))
        .map(|k| TAGS[pick(10 + k as u64, TAGS.len())])
        .collect();
    let mut body = json!({
        "title": title,
        "priority": PRIORITIES[pick(5, PRIORITIES.len())],
        "tags": tags,
    });
    if pick(6, 3) == 0 {
        body["category"] = json!(CATEGORIES[pick(7, CATEGORIES.len())]);
    }
    if pick(8, 4) == 0 {
        body["description"] = json!(format!(
            "Notes for task {i}: {}",
            WORDS[pick(9, WORDS.len())]
        ));
    }
    // 80% have a due date, from 60 days ago to 120 days ahead.
    if pick(20, 5) != 0 {
        let day = now + Duration::days(pick(21, 180) as i64 - 60);
        let zone = ZONES[pick(22, ZONES.len())];
        body["timezone"] = json!(zone);
        body["due_date"] = if pick(23, 2) == 0 {
            json!(day.date_naive().to_string())
        } else {
            json!(format!(
                "{}T{:02}:30:00+00:00",
                day.date_naive(),
                pick(24, 24)
            ))
        };
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(n: u64) -> Vec<Value> {
        let now = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        (1..=n).map(|i| task_body(i, now)).collect()
    }

    #[test]
    fn the_corpus_is_deterministic() {
        assert_eq!(corpus(50), corpus(50));
    }

    #[test]
    fn the_corpus_covers_every_priority_and_both_due_forms() {
        let tasks = corpus(1000);
        for priority in PRIORITIES {
            assert!(
                tasks.iter().any(|t| t["priority"] == priority),
                "{priority}"
            );
        }
        let dated = tasks.iter().filter(|t| t["due_date"].is_string()).count();
        assert!((700..=900).contains(&dated), "about 80% dated: {dated}");
        let all_day = tasks
            .iter()
            .filter(|t| t["due_date"].as_str().is_some_and(|d| d.len() == 10))
            .count();
        assert!(all_day > 200 && all_day < dated, "{all_day} of {dated}");
        let searched = tasks
            .iter()
            .filter(|t| t["title"].as_str().is_some_and(|s| s.contains(SEARCH_WORD)))
            .count();
        assert!((5..=40).contains(&searched), "rare search word: {searched}");
    }

    #[test]
    fn tags_are_at_most_three_and_from_the_pool() {
        for task in corpus(500) {
            let tags = task["tags"].as_array().cloned().unwrap_or_default();
            assert!(tags.len() <= 3);
            assert!(tags.iter().all(|t| TAGS.iter().any(|p| t == p)));
        }
    }
}
