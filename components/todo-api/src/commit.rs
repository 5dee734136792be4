//! The committed write: one change of one task, applied atomically with
//! its index entry, the user's meta and its outbox entry.
//!
//! Per attempt: one bulk read (meta, broker mark, and for an existing task
//! its key and, when it is in a sealed chunk, that chunk), then one state
//! transaction (task + index + meta + outbox entry), every key guarded by
//! the ETag it was read at (keys read as missing: written only if still
//! missing). A concurrent change of the same user fails the transaction and
//! the change is decided again on fresh state.

use chrono::{DateTime, Utc};
use dapr_http::{DaprClient, DaprError, StateOp, Transport};
use todo_domain::{Task, TaskEvent, TaskSummary};

use crate::contention::back_off;
use crate::migrate;
use crate::outbox;
use crate::records::{
    self, BROKER_KEY, BrokerMark, Fetched, Meta, OutboxEntry, STORE, chunk_key, chunk_of, json,
    meta_key, task_key,
};

/// Attempts at a change when other writes of the same user race it
/// (with `back_off` between them, about a second in all).
const ATTEMPTS: usize = 24;

/// What a change does to one task, decided on fresh state by the caller.
#[expect(
    clippy::large_enum_variant,
    reason = "one short-lived value per request; boxing would only add an allocation"
)]
pub enum Change {
    /// Store this task (created or modified) and record its event.
    Put(Task, TaskEvent),
    /// Remove the task and record its event.
    Delete(TaskEvent),
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

/// Which task a change targets.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// A new task: it gets the user's next id.
    New,
    /// An existing task.
    Existing(u64),
}

/// A committed change and how its events get out.
pub struct Committed {
    pub change: Change,
    /// Publish inline now; otherwise the relay publishes them, in order
    /// behind older ones (the user is backed up or the broker is down).
    pub publish_inline: bool,
}

/// Applies one change atomically with its index entry and outbox entry,
/// retrying on concurrent writes. `decide` runs on fresh state each attempt
/// and returns the change or an error for the client (not found, stale
/// version, invalid). Before committing, makes sure a relay job will publish
/// the entry should this process die before it does (`outbox::ensure_relay`);
/// when the events go to the relay (`Committed::publish_inline` false), the
/// user is marked backed up in the same transaction, so later changes queue
/// behind them.
pub async fn commit<T: Transport, E>(
    dapr: &DaprClient<T>,
    user: &str,
    target: Target,
    now: DateTime<Utc>,
    mut decide: impl FnMut(Snapshot<'_>) -> Result<Change, E>,
) -> Result<Result<Committed, E>, DaprError> {
    let mut migrated = false;
    for attempt in 0..ATTEMPTS {
        let mut keys = vec![meta_key(user), BROKER_KEY.to_owned()];
        if let Target::Existing(id) = target {
            keys.push(task_key(user, id));
            keys.push(chunk_key(user, chunk_of(id)));
        }
        let fetched = Fetched::read(dapr, &keys).await?;
        let (meta, meta_etag) = fetched
            .get::<Meta>(&keys[0])?
            .unwrap_or_else(|| (Meta::new(), None));
        if meta.needs_migration() && !migrated {
            migrate::run(dapr, user).await?;
            migrated = true;
            continue;
        }
        let broker = fetched
            .get::<BrokerMark>(BROKER_KEY)?
            .map(|(mark, _)| mark)
            .unwrap_or_default();
        let (id, stored) = match target {
            Target::New => (meta.next_id, None),
            Target::Existing(id) => (id, fetched.get::<Task>(&keys[2])?),
        };
        let (task, task_etag) = match stored {
            Some((task, etag)) => (Some(task), etag),
            None => (None, None),
        };
        let change = match decide(Snapshot {
            meta: &meta,
            task: task.as_ref(),
        }) {
            Ok(change) => change,
            Err(e) => return Ok(Err(e)),
        };
        let (event, summary) = match &change {
            Change::Nothing(_) | Change::AlreadyCreated(_) => {
                return Ok(Ok(Committed {
                    change,
                    publish_inline: false,
                }));
            }
            Change::Put(task, event) => (event, Some(TaskSummary::of(task))),
            Change::Delete(event) => (event, None),
        };

        let via_relay = meta.backlog || broker.is_marked();
        let mut next = meta.clone();
        next.seq = event.seq;
        next.backlog = via_relay;
        next.relay_armed_until = outbox::ensure_relay(dapr, user, &meta, now, via_relay).await;
        let mut ops = Vec::with_capacity(5);
        match &change {
            Change::Put(task, _) => {
                ops.push(StateOp::replace_read(
                    task_key(user, id),
                    json(task)?,
                    task_etag,
                ));
            }
            _ => ops.push(StateOp::delete(task_key(user, id), task_etag)),
        }
        // The index entry: in the meta's open chunk or in a sealed one.
        if chunk_of(id) == meta.open_chunk() {
            put_summary(&mut next.open, id, summary);
        } else {
            let chunk = chunk_key(user, chunk_of(id));
            let (mut summaries, etag) =
                fetched.get::<Vec<TaskSummary>>(&chunk)?.unwrap_or_default();
            put_summary(&mut summaries, id, summary);
            ops.push(StateOp::replace_read(chunk, json(&summaries)?, etag));
        }
        if let Target::New = target {
            next.next_id = meta.next_id + 1;
            // The id left the open chunk: seal it, start the next one.
            if next.open_chunk() != meta.open_chunk() {
                let sealed = std::mem::take(&mut next.open);
                ops.push(StateOp::create(
                    chunk_key(user, meta.open_chunk()),
                    json(&sealed)?,
                ));
            }
            if let Change::Put(task, _) = &change
                && let Some(key) = pending_idempotency_key(task)
            {
                next.remember(key, task.id);
            }
        }
        let entry = OutboxEntry {
            seq: event.seq,
            event: event.clone(),
            reached: Vec::new(),
        };
        ops.push(StateOp::replace_read(
            meta_key(user),
            json(&next)?,
            meta_etag,
        ));
        ops.push(StateOp::upsert(
            records::outbox_key(user, entry.seq),
            json(&entry)?,
            None,
        ));
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

/// Sets (or with `None` removes) the summary of `id` in a chunk kept by id.
pub fn put_summary(chunk: &mut Vec<TaskSummary>, id: u64, summary: Option<TaskSummary>) {
    match (chunk.binary_search_by_key(&id, |s| s.id), summary) {
        (Ok(at), Some(summary)) => chunk[at] = summary,
        (Ok(at), None) => {
            chunk.remove(at);
        }
        (Err(at), Some(summary)) => chunk.insert(at, summary),
        (Err(_), None) => {}
    }
}

/// Recurring instances carry the key they were created under, so a
/// duplicate request finds the task it already created.
fn pending_idempotency_key(task: &Task) -> Option<String> {
    task.series_id
        .as_ref()
        .filter(|_| task.occurrence > 1)
        .map(|series| todo_domain::idempotency_key(series, task.occurrence))
}
