//! The storage code against the in-memory sidecar: which calls each
//! operation makes, the index kept in step with the tasks, keyset paging,
//! the outbox when the broker is down, and the move from the old layout.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use todo_domain::{NewTask, Task, TaskEvent, TaskPatch, TaskQuery, Topic, UserId};

use crate::commit::{self, Change, Target};
use crate::fake_sidecar::{FakeSidecar, block_on};
use crate::records::{self, Meta};
use crate::{outbox, store};

const USER: &str = "alice";

fn now() -> DateTime<Utc> {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

fn new_task(title: &str) -> NewTask {
    NewTask::from_json(&json!({ "title": title, "due_date": "2026-03-20" })).unwrap()
}

/// Creates a task the way `tasks::create_task` does; returns its id.
fn create(sidecar: &FakeSidecar, title: &str) -> u64 {
    let dapr = sidecar.client();
    let new = new_task(title);
    let committed = block_on(commit::commit(&dapr, USER, Target::New, now(), |snap| {
        let task = Task::create(
            snap.meta.next_id,
            UserId::parse(USER).unwrap(),
            new.clone(),
            now(),
            None,
        );
        let event = TaskEvent::created("e".into(), snap.meta.seq + 1, &task, now());
        Ok::<_, ()>(Change::Put(task, event))
    }))
    .unwrap()
    .unwrap();
    match committed.change {
        Change::Put(task, event) => {
            if committed.publish_inline {
                block_on(outbox::publish_committed(&dapr, &event, now()));
            }
            task.id
        }
        _ => panic!("a create commits a task"),
    }
}

fn retitle(sidecar: &FakeSidecar, id: u64, title: &str) {
    let patch = TaskPatch::from_json(&json!({ "title": title })).unwrap();
    let dapr = sidecar.client();
    let committed = block_on(commit::commit(
        &dapr,
        USER,
        Target::Existing(id),
        now(),
        |snap| {
            let mut task = snap.task.expect("the task exists").clone();
            let changes = task.apply_patch(patch.clone(), now()).unwrap();
            let event = TaskEvent::changed("e".into(), snap.meta.seq + 1, &task, changes, now())
                .expect("a change");
            Ok::<_, ()>(Change::Put(task, event))
        },
    ))
    .unwrap()
    .unwrap();
    assert!(committed.publish_inline);
}

fn delete(sidecar: &FakeSidecar, id: u64) {
    let dapr = sidecar.client();
    block_on(commit::commit(
        &dapr,
        USER,
        Target::Existing(id),
        now(),
        |snap| {
            let task = snap.task.expect("the task exists");
            let event = TaskEvent::deleted("e".into(), snap.meta.seq + 1, task, now());
            Ok::<_, ()>(Change::Delete(event))
        },
    ))
    .unwrap()
    .unwrap();
}

/// Every id of a listing, following its cursors; asserts each page costs
/// the same 3 calls.
fn list_all(sidecar: &FakeSidecar, params: &str) -> Vec<u64> {
    let dapr = sidecar.client();
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut pairs: Vec<(String, String)> = params
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect();
        if let Some(c) = &cursor {
            pairs.push(("cursor".into(), c.clone()));
        }
        let query = TaskQuery::from_pairs(&pairs).unwrap();
        sidecar.take_calls();
        let listing = block_on(store::list(&dapr, USER, &query, now())).unwrap();
        assert_eq!(sidecar.take_calls(), ["get", "bulk", "bulk"], "one listing");
        let page = listing.page(now());
        ids.extend(page.items.iter().map(|v| v.task.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return ids,
        }
    }
}

fn meta(sidecar: &FakeSidecar) -> Meta {
    serde_json::from_value(sidecar.value(&records::meta_key(USER)).unwrap()).unwrap()
}

#[test]
fn a_create_is_one_bulk_read_one_transaction_two_parallel_publishes_and_the_outbox_delete() {
    let sidecar = FakeSidecar::default();
    create(&sidecar, "first"); // also arms the relay job
    sidecar.take_calls();
    create(&sidecar, "second");
    assert_eq!(
        sidecar.take_calls(),
        [
            "bulk",
            "tx",
            "publish task-events",
            "publish task-updates",
            "tx"
        ]
    );
    assert!(
        sidecar.keys("u:alice:out:").is_empty(),
        "published entries are deleted"
    );
    assert_eq!(sidecar.keys("u:alice:t:"), ["u:alice:t:1", "u:alice:t:2"]);
}

#[test]
fn the_index_follows_creates_edits_and_deletes_in_open_and_sealed_chunks() {
    let sidecar = FakeSidecar::default();
    for i in 1..=300 {
        create(&sidecar, &format!("task {i:03}"));
    }
    // Ids 1-128 and 129-256 are sealed; 257-300 are in the meta.
    assert_eq!(
        sidecar.keys("u:alice:ix:"),
        ["u:alice:ix:0", "u:alice:ix:1"]
    );
    assert_eq!(meta(&sidecar).open.len(), 44);

    retitle(&sidecar, 5, "aaa first by title");
    retitle(&sidecar, 290, "aab second by title");
    delete(&sidecar, 7);
    delete(&sidecar, 299);
    assert_eq!(sidecar.value("u:alice:t:7"), None);

    let by_title = list_all(&sidecar, "sort=title&limit=40");
    assert_eq!(by_title.len(), 298);
    assert_eq!(by_title[..3], [5, 290, 1]);
    assert!(!by_title.contains(&7) && !by_title.contains(&299));
    // Every task has the same created_at: ties go by id, in both directions.
    let by_created = list_all(&sidecar, "sort=-created_at&limit=100");
    let expected: Vec<u64> = (1..=300).filter(|id| ![7, 299].contains(id)).collect();
    assert_eq!(by_created, expected);
    assert_eq!(list_all(&sidecar, "q=second by"), [290]);
}

#[test]
fn a_get_by_id_reads_one_key() {
    let sidecar = FakeSidecar::default();
    create(&sidecar, "one");
    sidecar.take_calls();
    let task = block_on(store::task(&sidecar.client(), USER, 1))
        .unwrap()
        .unwrap();
    assert_eq!(task.title, "one");
    assert_eq!(sidecar.take_calls(), ["get"]);
}

#[test]
fn while_the_broker_is_down_events_wait_in_the_outbox_and_the_relay_publishes_them_in_order() {
    let sidecar = FakeSidecar::default();
    create(&sidecar, "before");
    sidecar.broker_down.set(true);
    create(&sidecar, "during 1"); // fails inline: broker marked down, user backed up
    create(&sidecar, "during 2"); // goes to the outbox without trying
    assert!(meta(&sidecar).backlog);
    assert_eq!(sidecar.keys("u:alice:out:").len(), 2);
    sidecar.broker_down.set(false);
    sidecar.published.borrow_mut().clear();
    let later = now() + TimeDelta::seconds(30);
    block_on(outbox::relay(&sidecar.client(), USER, later)).unwrap();
    let seqs: Vec<(String, u64)> = sidecar
        .published
        .borrow()
        .iter()
        .map(|(topic, data)| (topic.clone(), data["seq"].as_u64().unwrap_or(0)))
        .filter(|(topic, _)| topic == Topic::TaskEvents.name())
        .collect();
    let events = || Topic::TaskEvents.name().to_owned();
    assert_eq!(seqs, [(events(), 2), (events(), 3)]);
    assert!(sidecar.keys("u:alice:out:").is_empty());
    assert!(!meta(&sidecar).backlog);
}

#[test]
fn a_change_that_reached_one_topic_is_retried_on_the_other_alone() {
    let sidecar = FakeSidecar::default();
    create(&sidecar, "before");
    // task-events takes the change, task-updates refuses it.
    *sidecar.refused_topic.borrow_mut() = Some(Topic::TaskUpdates.name().into());
    create(&sidecar, "half published");
    assert!(meta(&sidecar).backlog);
    let later = now() + TimeDelta::seconds(30);
    // The relay's first retry still meets the refusal: nothing goes out twice.
    block_on(outbox::relay(&sidecar.client(), USER, later)).unwrap();
    *sidecar.refused_topic.borrow_mut() = None;
    block_on(outbox::relay(
        &sidecar.client(),
        USER,
        later + TimeDelta::seconds(30),
    ))
    .unwrap();
    let records = |topic: &str| -> Vec<u64> {
        sidecar
            .published
            .borrow()
            .iter()
            .filter(|(t, _)| t == topic)
            .map(|(_, data)| data["seq"].as_u64().unwrap_or(0))
            .collect()
    };
    assert_eq!(
        records(Topic::TaskEvents.name()),
        [1, 2],
        "one task-events record each"
    );
    assert_eq!(
        records(Topic::TaskUpdates.name()),
        [1, 2],
        "task-updates catches up"
    );
    assert!(sidecar.keys("u:alice:out:").is_empty());
    assert!(!meta(&sidecar).backlog);
}

/// A user as the old layout stored them: 300 tasks in 3 buckets.
fn seed_old_layout(sidecar: &FakeSidecar) {
    let mut buckets: BTreeMap<u64, BTreeMap<u64, Task>> = BTreeMap::new();
    for id in 1..=300u64 {
        let task = Task::create(
            id,
            UserId::parse(USER).unwrap(),
            new_task(&format!("old {id:03}")),
            now(),
            None,
        );
        buckets.entry((id - 1) / 128).or_default().insert(id, task);
    }
    for (n, bucket) in &buckets {
        sidecar.put(&records::old_bucket_key(USER, *n), bucket);
    }
    sidecar.put(
        &records::meta_key(USER),
        &json!({ "next_id": 301, "seq": 300, "relayed": 300, "backlog": false }),
    );
}

#[test]
fn the_old_layout_is_moved_over_by_the_first_listing() {
    let sidecar = FakeSidecar::default();
    seed_old_layout(&sidecar);
    let query = TaskQuery::from_pairs(&[("limit".into(), "500".into())]).unwrap();
    let listing = block_on(store::list(&sidecar.client(), USER, &query, now())).unwrap();
    assert_eq!(listing.page(now()).total, 300);
    assert!(sidecar.keys("u:alice:b:").is_empty(), "buckets are gone");
    assert_eq!(sidecar.keys("u:alice:t:").len(), 300);
    let meta = meta(&sidecar);
    assert_eq!((meta.layout, meta.open.len()), (records::LAYOUT, 44));
    assert_eq!(list_all(&sidecar, "limit=300").len(), 300);
}

#[test]
fn the_old_layout_is_moved_over_by_a_get_or_a_write() {
    let sidecar = FakeSidecar::default();
    seed_old_layout(&sidecar);
    let task = block_on(store::task(&sidecar.client(), USER, 200)).unwrap();
    assert_eq!(task.unwrap().title, "old 200");
    assert_eq!(meta(&sidecar).layout, records::LAYOUT);

    let sidecar = FakeSidecar::default();
    seed_old_layout(&sidecar);
    retitle(&sidecar, 3, "aaa renamed");
    assert_eq!(meta(&sidecar).layout, records::LAYOUT);
    assert_eq!(create(&sidecar, "new"), 301);
    assert_eq!(list_all(&sidecar, "sort=title&limit=2")[..1], [3]);
    assert_eq!(list_all(&sidecar, "limit=500").len(), 301);
}

#[test]
fn a_migration_cut_short_is_carried_on_by_the_next_request() {
    let sidecar = FakeSidecar::default();
    seed_old_layout(&sidecar);
    // The sidecar goes away after the first bucket moved.
    sidecar.transactions_before_crash.set(Some(1));
    assert!(block_on(store::task(&sidecar.client(), USER, 1)).is_err());
    let half = meta(&sidecar);
    assert_eq!((half.layout, half.migrated), (0, 1));
    assert_eq!(sidecar.keys("u:alice:b:").len(), 2);
    // Moved tasks are readable, unmoved ones still in buckets: nothing lost.
    assert_eq!(sidecar.keys("u:alice:t:").len(), 128);

    sidecar.transactions_before_crash.set(None);
    let query = TaskQuery::from_pairs(&[("limit".into(), "500".into())]).unwrap();
    let listing = block_on(store::list(&sidecar.client(), USER, &query, now())).unwrap();
    assert_eq!(listing.page(now()).total, 300);
    assert!(sidecar.keys("u:alice:b:").is_empty());
}
