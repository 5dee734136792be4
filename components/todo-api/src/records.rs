//! What todo-api keeps in its state store: the stored records, their keys,
//! and the small reads every other storage module shares.
//!
//! Layout per user (keys are prefixed with the app id by Dapr):
//! - `u:{user}:meta` ([`Meta`]): next task id, the per-user change sequence,
//!   the relay position, whether publishing is backed up, until when a relay
//!   job is armed, and the *open index chunk*: the summaries
//!   ([`TaskSummary`]) of the tasks whose ids fall in the chunk new ids go to;
//! - `u:{user}:t:{id}`: one task;
//! - `u:{user}:ix:{n}`: a sealed index chunk, the summaries of ids
//!   `n * CHUNK + 1 ..= (n + 1) * CHUNK` (sealed when the next id leaves it);
//! - `u:{user}:out:{seq}` ([`OutboxEntry`]): the events of change `seq`,
//!   written in the same transaction as the change (see `outbox`).
//!
//! A create reads meta and broker mark (one bulk call) and writes the task,
//! the meta (with the open chunk) and the outbox entry in one transaction;
//! a change of an older task also reads and rewrites its sealed chunk. A
//! listing reads the meta, the sealed chunks (one bulk call), then only its
//! page's tasks. Every write carries the meta's ETag (on a user's first
//! write: creates it only if still missing), so one user's changes are
//! serialized; different users never contend.
//!
//! Users written before this layout (`layout` missing: tasks in buckets of
//! 128 at `u:{user}:b:{n}`) are moved over on first touch (see `migrate`).

use chrono::{DateTime, Utc};
use dapr_http::{DaprClient, DaprError, Transport};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use todo_domain::{TaskEvent, TaskSummary};

/// todo-api's state store component.
pub const STORE: &str = todo_domain::names::store::TODO_API;
/// Task ids per index chunk (and per bucket of the old layout).
pub const CHUNK: u64 = 128;
/// The layout [`Meta::layout`] names when a user's tasks are stored as above.
pub const LAYOUT: u32 = 2;
/// The state key of the broker mark (one for the whole app, see `broker`).
pub const BROKER_KEY: &str = "broker:pubsub";
/// Idempotency keys remembered per user. A duplicate request for an
/// instance arrives within seconds of the first; 512 covers any burst.
const IDEMPOTENCY_KEYS: usize = 512;

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
    /// How the user's tasks are stored: 0 (missing) for the old buckets,
    /// [`LAYOUT`] for the layout above.
    #[serde(default)]
    pub layout: u32,
    /// While moving from the old layout: buckets `0..migrated` are moved.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub migrated: u64,
    /// The open index chunk (the one [`Meta::next_id`] falls in), by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open: Vec<TaskSummary>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The events of one change, kept until published.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub seq: u64,
    pub event: TaskEvent,
    /// The topics this change already reached when a publish to the other
    /// failed (after a broker outage one topic's producer may answer before
    /// the other's): a retry publishes only the rest, so no topic gets the
    /// change's record twice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reached: Vec<String>,
}

/// Whether the broker was found unreachable a moment ago (see `broker`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BrokerMark {
    /// Publishing is skipped until then.
    pub down_until: Option<DateTime<Utc>>,
}

impl BrokerMark {
    /// Writes leave publishing to the relay while the mark stands.
    pub fn is_marked(&self) -> bool {
        self.down_until.is_some()
    }

    /// Relays wait until then before they probe the broker again.
    pub fn wait_before_probe(&self, now: DateTime<Utc>) -> bool {
        self.down_until.is_some_and(|until| until > now)
    }
}

impl Meta {
    /// The meta of a user who never wrote.
    pub fn new() -> Meta {
        Meta {
            next_id: 1,
            layout: LAYOUT,
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

    pub fn remember(&mut self, key: String, id: u64) {
        self.idempotency.push((key, id));
        let excess = self.idempotency.len().saturating_sub(IDEMPOTENCY_KEYS);
        self.idempotency.drain(..excess);
    }

    /// The chunk new ids go to, kept in the meta itself.
    pub fn open_chunk(&self) -> u64 {
        chunk_of(self.next_id)
    }

    /// The sealed chunks that hold summaries (all before the open one).
    pub fn sealed_chunks(&self) -> std::ops::Range<u64> {
        0..self.open_chunk()
    }

    /// Whether the user's tasks are still in the old layout.
    pub fn needs_migration(&self) -> bool {
        self.layout < LAYOUT
    }
}

/// The chunk (and old bucket) id `id` belongs to.
pub fn chunk_of(id: u64) -> u64 {
    id.saturating_sub(1) / CHUNK
}

pub fn meta_key(user: &str) -> String {
    format!("u:{user}:meta")
}

pub fn task_key(user: &str, id: u64) -> String {
    format!("u:{user}:t:{id}")
}

pub fn chunk_key(user: &str, chunk: u64) -> String {
    format!("u:{user}:ix:{chunk}")
}

pub fn outbox_key(user: &str, seq: u64) -> String {
    format!("u:{user}:out:{seq}")
}

/// A bucket of the old layout (see `migrate`).
pub fn old_bucket_key(user: &str, bucket: u64) -> String {
    format!("u:{user}:b:{bucket}")
}

/// Reads a user's meta; a user who never wrote has [`Meta::new`].
pub async fn meta<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
) -> Result<(Meta, Option<String>), DaprError> {
    Ok(
        match dapr.get_state::<Meta>(STORE, &meta_key(user)).await? {
            Some(v) => (v.value, v.etag),
            None => (Meta::new(), None),
        },
    )
}

/// Values of one bulk read of keys of different types, decoded on demand.
pub struct Fetched {
    items: Vec<dapr_http::BulkItem<Box<RawValue>>>,
}

impl Fetched {
    /// Reads `keys` in one call.
    pub async fn read<T: Transport>(
        dapr: &DaprClient<T>,
        keys: &[String],
    ) -> Result<Fetched, DaprError> {
        Ok(Fetched {
            items: dapr.get_bulk_state(STORE, keys).await?,
        })
    }

    /// The value at `key` with its ETag; `None` when missing. Bulk reads
    /// answer in any order.
    pub fn get<V: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<(V, Option<String>)>, DaprError> {
        let Some(found) = self
            .items
            .iter()
            .find(|item| item.key == key)
            .and_then(|item| item.value.as_ref())
        else {
            return Ok(None);
        };
        let value =
            serde_json::from_str(found.value.get()).map_err(|source| DaprError::Decode {
                operation: format!("read {key}"),
                source,
            })?;
        Ok(Some((value, found.etag.clone())))
    }
}

/// Reads a user's meta (as [`meta`]) and the broker mark in one call.
pub async fn meta_and_broker<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
) -> Result<(Meta, Option<String>, BrokerMark), DaprError> {
    let fetched = Fetched::read(dapr, &[meta_key(user), BROKER_KEY.to_owned()]).await?;
    let (meta, etag) = match fetched.get::<Meta>(&meta_key(user))? {
        Some((meta, etag)) => (meta, etag),
        None => (Meta::new(), None),
    };
    let mark = fetched
        .get::<BrokerMark>(BROKER_KEY)?
        .map(|(mark, _)| mark)
        .unwrap_or_default();
    Ok((meta, etag, mark))
}

/// A record as the JSON a state write carries.
pub fn json(value: &impl Serialize) -> Result<serde_json::Value, DaprError> {
    serde_json::to_value(value).map_err(|source| DaprError::Encode {
        operation: "state write".into(),
        source,
    })
}
