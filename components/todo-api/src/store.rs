//! Tasks in todo-api's state store, written together with their events.
//!
//! Layout per user (keys are prefixed with the app id by Dapr):
//! - `u:{user}:meta`: next task id, the per-user change sequence, the relay
//!   position, whether publishing is backed up and until when a relay job
//!   is armed;
//! - `u:{user}:b:{n}`: bucket `n` of tasks, `BUCKET` ids each, so a write
//!   rewrites one bucket and a listing reads `tasks / BUCKET` keys in one bulk call;
//! - `u:{user}:out:{seq}`: the outbox entry of change `seq`: its events,
//!   written in the same transaction as the change (see `outbox`).
//!
//! Every write carries the meta key's ETag (or, on a user's first write,
//! creates the meta only if it is still missing), so one user's changes are
//! serialized: a concurrent change fails the transaction and is retried on
//! fresh state. Different users never contend.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use dapr_http::{DaprError, StateOp};
use serde::{Deserialize, Serialize};
use service_kit::Dapr;
use todo_domain::{Task, TaskEvent};

use crate::broker::{self, BrokerMark};
use crate::outbox;

/// todo-api's state store component.
pub const STORE: &str = "todo-state";
/// Task ids per bucket.
const BUCKET: u64 = 128;
/// Attempts at a change when other writes of the same user race it
/// (with `back_off` between them, about a second in all).
const ATTEMPTS: usize = 24;

/// Per-user bookkeeping, guarded by its ETag.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Meta {
    /// The id the next created task gets.
    pub next_id: u64,
    /// The sequence number of the user's last change.
    pub seq: u64,
    /// Every change up to this sequence number has been published.
    pub relayed: u64,
    /// Publishing failed and the relay has not caught up: new changes wait
    /// for it, so the user's events stay in order.
    pub backlog: bool,
    /// A relay job is scheduled to fire by this time (see `outbox`); `None`
    /// when none is known to be. Every relay run rewrites it.
    #[serde(default)]
    pub relay_armed_until: Option<DateTime<Utc>>,
    /// Idempotency keys of the latest created recurring instances, with
    /// their task ids, newest last (bounded: see `IDEMPOTENCY_KEYS`).
    #[serde(default)]
    pub idempotency: Vec<(String, u64)>,
}

/// The events of one change, kept until published.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub seq: u64,
    pub event: TaskEvent,
}

pub fn meta_key(user: &str) -> String {
    format!("u:{user}:meta")
}

fn bucket_key(user: &str, bucket: u64) -> String {
    format!("u:{user}:b:{bucket}")
}

pub fn outbox_key(user: &str, seq: u64) -> String {
    format!("u:{user}:out:{seq}")
}

/// Idempotency keys remembered per user. A duplicate request for an
/// instance arrives within seconds of the first; 512 covers any burst.
const IDEMPOTENCY_KEYS: usize = 512;

impl Meta {
    /// The meta of a user who never wrote.
    fn new() -> Meta {
        Meta {
            next_id: 1,
            ..Meta::default()
        }
    }

    /// The task created earlier under `key`, if any.
    pub fn created_under(&self, key: &str) -> Option<u64> {
        self.idempotency
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, id)| *id)
    }

    fn remember(&mut self, key: String, id: u64) {
        self.idempotency.push((key, id));
        let excess = self.idempotency.len().saturating_sub(IDEMPOTENCY_KEYS);
        self.idempotency.drain(..excess);
    }
}

fn bucket_of(id: u64) -> u64 {
    id.saturating_sub(1) / BUCKET
}

type Bucket = BTreeMap<u64, Task>;

/// Reads a user's meta; a user who never wrote has the default.
pub async fn meta(dapr: &Dapr, user: &str) -> Result<(Meta, Option<String>), DaprError> {
    Ok(
        match dapr.get_state::<Meta>(STORE, &meta_key(user)).await? {
            Some(v) => (v.value, v.etag),
            None => (Meta::new(), None),
        },
    )
}

/// Every task of `user`, by id.
pub async fn all_tasks(dapr: &Dapr, user: &str) -> Result<Vec<Task>, DaprError> {
    let (meta, _) = meta(dapr, user).await?;
    if meta.next_id <= 1 {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = (0..=bucket_of(meta.next_id - 1))
        .map(|b| bucket_key(user, b))
        .collect();
    let buckets = dapr.get_bulk_state::<Bucket>(STORE, &keys).await?;
    let mut tasks: Vec<Task> = buckets
        .into_iter()
        .filter_map(|item| item.value)
        .flat_map(|bucket| bucket.value.into_values())
        .collect();
    tasks.sort_by_key(|t| t.id);
    Ok(tasks)
}

/// One task, if it exists.
pub async fn task(dapr: &Dapr, user: &str, id: u64) -> Result<Option<Task>, DaprError> {
    let bucket = dapr
        .get_state::<Bucket>(STORE, &bucket_key(user, bucket_of(id)))
        .await?;
    Ok(bucket.and_then(|mut b| b.value.remove(&id)))
}

/// The parent links (`id -> parent_task_id`) met following parents up from
/// task `start`, at most `max_depth + 1` of them, reading each bucket once:
/// what `todo_domain::check_parent` needs. A missing task ends the walk
/// (it has no entry).
pub async fn parent_links(
    dapr: &Dapr,
    user: &str,
    start: u64,
    max_depth: usize,
) -> Result<HashMap<u64, Option<u64>>, DaprError> {
    let mut buckets: HashMap<u64, Bucket> = HashMap::new();
    let mut links = HashMap::new();
    let mut next = Some(start);
    while let Some(id) = next {
        if links.contains_key(&id) || links.len() > max_depth {
            break; // a loop among other tasks, or deeper than anyone checks
        }
        let bucket = match buckets.entry(bucket_of(id)) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let stored = dapr
                    .get_state::<Bucket>(STORE, &bucket_key(user, bucket_of(id)))
                    .await?;
                entry.insert(stored.map(|v| v.value).unwrap_or_default())
            }
        };
        let Some(task) = bucket.get(&id) else { break };
        links.insert(id, task.parent_task_id);
        next = task.parent_task_id;
    }
    Ok(links)
}

/// What a change does to one task, decided on fresh state by the caller.
#[expect(
    clippy::large_enum_variant,
    reason = "one short-lived value per request; boxing would only add an allocation"
)]
pub enum Change {
    /// Store this task (created or modified) and record its event.
    Put(Task, TaskEvent),
    /// Remove the task and record its event.
    Delete(u64, TaskEvent),
    /// Nothing to write (e.g. a PATCH that changes nothing).
    Nothing(Task),
    /// The task this idempotency key names was created before: this id.
    AlreadyCreated(u64),
}

/// The state a change is decided on.
pub struct Snapshot<'a> {
    pub meta: &'a Meta,
    /// The task the change targets, if any (None when creating).
    pub task: Option<&'a Task>,
}

/// Reads a user's meta (as [`meta`]) and the broker mark in one call.
pub async fn meta_and_broker(
    dapr: &Dapr,
    user: &str,
) -> Result<(Meta, Option<String>, BrokerMark), DaprError> {
    let keys = [meta_key(user), broker::KEY.to_owned()];
    let items = dapr
        .get_bulk_state::<serde_json::Value>(STORE, &keys)
        .await?;
    // Bulk reads answer in any order.
    let stored = |key: &str| {
        items
            .iter()
            .find(|item| item.key == key)
            .and_then(|item| item.value.clone())
    };
    let (meta, etag) = match stored(&keys[0]) {
        Some(found) => (decode("read user meta", found.value)?, found.etag),
        None => (Meta::new(), None),
    };
    let mark = match stored(broker::KEY) {
        Some(found) => decode("read broker mark", found.value)?,
        None => BrokerMark::default(),
    };
    Ok((meta, etag, mark))
}

fn decode<T: serde::de::DeserializeOwned>(
    operation: &str,
    value: serde_json::Value,
) -> Result<T, DaprError> {
    serde_json::from_value(value).map_err(|source| DaprError::Decode {
        operation: operation.into(),
        source,
    })
}

/// A committed change and how its events get out.
pub struct Committed {
    pub change: Change,
    /// Publish inline now; otherwise the relay publishes them, in order
    /// behind older ones (the user is backed up or the broker is down).
    pub publish_inline: bool,
}

/// Applies one change atomically with its outbox entry, retrying on
/// concurrent writes. `decide` runs on fresh state each attempt and returns
/// the change or an error for the client (not found, stale version, invalid).
/// Before committing, makes sure a relay job will publish the entry should
/// this process die before it does (`outbox::ensure_relay`); when the events
/// go to the relay (`Committed::publish_inline` false), the user is marked
/// backed up in the same transaction, so later changes queue behind them.
pub async fn commit<E>(
    dapr: &Dapr,
    user: &str,
    target: Target,
    now: DateTime<Utc>,
    mut decide: impl FnMut(Snapshot<'_>) -> Result<Change, E>,
) -> Result<Result<Committed, E>, DaprError> {
    for attempt in 0..ATTEMPTS {
        let (meta, meta_etag, broker) = meta_and_broker(dapr, user).await?;
        let id = match target {
            Target::New => meta.next_id,
            Target::Existing(id) => id,
        };
        let bucket_key = bucket_key(user, bucket_of(id));
        let (mut bucket, bucket_etag) = match dapr.get_state::<Bucket>(STORE, &bucket_key).await? {
            Some(v) => (v.value, v.etag),
            None => (Bucket::new(), None),
        };
        let change = match decide(Snapshot {
            meta: &meta,
            task: bucket.get(&id),
        }) {
            Ok(change) => change,
            Err(e) => return Ok(Err(e)),
        };
        let event = match &change {
            Change::Nothing(_) | Change::AlreadyCreated(_) => {
                return Ok(Ok(Committed {
                    change,
                    publish_inline: false,
                }));
            }
            Change::Put(task, event) => {
                bucket.insert(task.id, task.clone());
                event
            }
            Change::Delete(id, event) => {
                bucket.remove(id);
                event
            }
        };
        let via_relay = meta.backlog || broker.is_marked();
        let mut next = meta.clone();
        next.seq = event.seq;
        next.backlog = via_relay;
        next.relay_armed_until = outbox::ensure_relay(dapr, user, &meta, now, via_relay).await;
        if matches!(target, Target::New) {
            next.next_id = meta.next_id + 1;
        }
        if let (Change::Put(task, _), Target::New) = (&change, target)
            && let Some(key) = pending_idempotency_key(task)
        {
            next.remember(key, task.id);
        }
        let entry = OutboxEntry {
            seq: event.seq,
            event: event.clone(),
        };
        let ops = [
            StateOp::replace_read(&bucket_key, json(&bucket)?, bucket_etag),
            StateOp::replace_read(meta_key(user), json(&next)?, meta_etag),
            StateOp::upsert(outbox_key(user, entry.seq), json(&entry)?, None),
        ];
        match dapr.transact_state(STORE, &ops).await {
            Ok(()) => {
                return Ok(Ok(Committed {
                    change,
                    publish_inline: !via_relay,
                }));
            }
            Err(DaprError::EtagMismatch) => back_off(attempt),
            Err(e) => return Err(e),
        }
    }
    Err(DaprError::EtagMismatch)
}

/// Waits a random 0..2^attempt ms (at most 64 ms) after a lost race, so
/// that writers of one user who keep colliding spread out. Each request
/// has its own instance, so sleeping blocks no one else.
fn back_off(attempt: usize) {
    let ceiling_ms = 1u128 << attempt.min(6);
    let jitter_ms = uuid::Uuid::new_v4().as_u128() % ceiling_ms;
    std::thread::sleep(std::time::Duration::from_millis(jitter_ms as u64));
}

/// Which task a change targets.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// A new task: it gets the user's next id.
    New,
    /// An existing task.
    Existing(u64),
}

/// Recurring instances carry the key they were created under, so a
/// duplicate request finds the task it already created.
fn pending_idempotency_key(task: &Task) -> Option<String> {
    task.series_id
        .as_ref()
        .filter(|_| task.occurrence > 1)
        .map(|series| todo_domain::idempotency_key(series, task.occurrence))
}

fn json(value: &impl Serialize) -> Result<serde_json::Value, DaprError> {
    serde_json::to_value(value).map_err(|source| DaprError::Encode {
        operation: "state write".into(),
        source,
    })
}
