//! The chat's phrasing corpus: every case in `tests/chat_corpus/*.json` is
//! understood at a fixed moment (Wednesday 4 March 2026, 10:00 UTC, in
//! Europe/London unless the case sets `tz`) and the whole result is compared
//! with the case's expectation; the REST API's own validation (`NewTask`,
//! `TaskPatch`, `TaskQuery`) must also accept what was understood.
//!
//! A case is `{"say": ..., "tz"?: ..., <expected>}` where `<expected>` is the
//! JSON form of the intent (`Intent::to_json`): `add` (+ `subtasks`,
//! `parent`), `list` (+ `done_between`), `update`, `delete`, `bulk`, `undo`,
//! `yes`, `no`, `help` or `ask` (the kind of question asked back). One
//! shorthand: an expected body or patch with a `due_date` and no `timezone`
//! expects the case's zone, since every dated request carries it.
//!
//! The share understood is printed per group (`--nocapture`); the test fails
//! below 95% overall or 85% in any group. `CHAT_CORPUS_MISSES=1` prints each
//! miss with what was understood instead.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use todo_domain::chat::{Intent, understand};
use todo_domain::{NewTask, TaskPatch, TaskQuery, TimeZone};

const NOW: &str = "2026-03-04T10:00:00Z";
const DEFAULT_TZ: &str = "Europe/London";
const OVERALL: f64 = 0.95;
const PER_GROUP: f64 = 0.85;

struct Case {
    group: String,
    say: String,
    tz: String,
    expected: Value,
}

fn load() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/chat_corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("corpus file");
        let data: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let group = data["group"].as_str().expect("group name").to_owned();
        for case in data["cases"].as_array().expect("cases") {
            let mut expected = case.as_object().expect("case object").clone();
            let say = expected
                .remove("say")
                .and_then(|s| s.as_str().map(str::to_owned))
                .expect("say");
            let tz = expected
                .remove("tz")
                .and_then(|s| s.as_str().map(str::to_owned))
                .unwrap_or_else(|| DEFAULT_TZ.to_owned());
            expected.remove("note");
            let mut expected = Value::Object(expected);
            for pointer in ["/add", "/update/patch", "/bulk/patch"] {
                if let Some(Value::Object(body)) = expected.pointer_mut(pointer)
                    && body.get("due_date").is_some_and(Value::is_string)
                    && !body.contains_key("timezone")
                {
                    body.insert("timezone".into(), json!(tz));
                }
            }
            cases.push(Case {
                group: group.clone(),
                say,
                tz,
                expected,
            });
        }
    }
    cases
}

/// Whether the REST API's validation accepts every request the intent makes.
fn valid(intent: &Intent) -> Result<(), String> {
    let query = |pairs: &[(String, String)]| {
        TaskQuery::from_pairs(pairs)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let patch = |p: &Value| {
        TaskPatch::from_json(p)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    match intent {
        Intent::Add { body, subtasks, .. } => {
            NewTask::from_json(body).map_err(|e| e.to_string())?;
            for title in subtasks {
                NewTask::from_json(&json!({"title": title})).map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        Intent::List { query: q, .. } => query(q),
        Intent::Update { patch: p, .. } => patch(p),
        Intent::Bulk {
            query: q, patch: p, ..
        } => {
            query(q)?;
            p.as_ref().map_or(Ok(()), patch)
        }
        _ => Ok(()),
    }
}

#[test]
fn the_chat_understands_the_corpus() {
    let now: DateTime<Utc> = NOW.parse().unwrap();
    let show_misses = std::env::var_os("CHAT_CORPUS_MISSES").is_some();
    let mut groups: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let cases = load();
    assert!(cases.len() >= 300, "the corpus has {} cases", cases.len());
    for (order, case) in cases.iter().enumerate() {
        let tz = TimeZone::parse(&case.tz).expect("case zone");
        let intent = understand(&case.say, now, &tz);
        let got = intent.to_json();
        let verdict = if got != case.expected {
            Err(format!("understood {got}"))
        } else {
            valid(&intent).map_err(|e| format!("refused by validation: {e}"))
        };
        let entry = groups.entry(case.group.clone()).or_insert((order, 0, 0));
        entry.2 += 1;
        match verdict {
            Ok(()) => entry.1 += 1,
            Err(why) if show_misses => println!(
                "MISS [{}] {:?}\n  expected {}\n  {why}",
                case.group, case.say, case.expected
            ),
            Err(_) => {}
        }
    }
    let mut rows: Vec<_> = groups.into_iter().collect();
    rows.sort_by_key(|(_, (order, _, _))| *order);
    let (mut ok, mut all) = (0, 0);
    let mut low = Vec::new();
    println!("| group | understood |\n| --- | --- |");
    for (group, (_, good, total)) in &rows {
        let share = *good as f64 / *total as f64;
        println!("| {group} | {good}/{total} {:.1}% |", share * 100.0);
        if share < PER_GROUP {
            low.push(group.clone());
        }
        ok += good;
        all += total;
    }
    let overall = ok as f64 / all as f64;
    println!("| **overall** | **{ok}/{all} {:.1}%** |", overall * 100.0);
    assert!(
        overall >= OVERALL && low.is_empty(),
        "below target: overall {:.1}% (needs {:.0}%), groups under {:.0}%: {low:?}",
        overall * 100.0,
        OVERALL * 100.0,
        PER_GROUP * 100.0
    );
}
