//! Getting committed changes onto Kafka, in per-user order, even when Kafka
//! is down or the process dies between commit and publish.
//!
//! A change commits its events to the outbox in the same transaction as the
//! change itself (`commit`). Then:
//! 1. Before committing, the write makes sure a one-shot Dapr job
//!    `relay-{user}` is scheduled (`ensure_relay`): the user's meta records
//!    until when one is armed, so most writes skip the scheduler. Every relay
//!    run rewrites that record in a transaction guarded by the meta's ETag, so
//!    a write that read the meta before a relay run retries and arms again:
//!    a committed entry always has a relay job coming after it.
//! 2. After committing, the handler publishes the events inline and deletes
//!    the outbox entry — unless the user's outbox is backed up or the broker
//!    is marked down (`broker`); then the write marks the user backed up in
//!    the same transaction and the relay publishes its events, in order
//!    behind the older ones, within `RETRY_DELAY`.
//! 3. When an inline publish fails, the broker is marked down, the user
//!    marked backed up and the relay re-armed every `RETRY_DELAY` until the
//!    broker is back and the outbox is empty. Only the write that meets the
//!    failure waits for it (Dapr's publish timeout, `dapr/components/
//!    resiliency.yaml`); every other write only commits, so requests stay fast.
//!
//! Delivery is at least once (a crash after publishing and before deleting
//! republishes): consumers dedupe on `event_id`. The relay publishes in
//! `seq` order; two requests of one user in flight at once publish inline
//! side by side and may land in either order (their `seq` tells).

use chrono::{DateTime, TimeDelta, Utc};
use dapr_http::{DaprClient, DaprError, Job, StateOp, Transport};
use todo_domain::TaskEvent;

use crate::broker;
use crate::records::{self, Meta, OutboxEntry, STORE};

/// The pub/sub component and topics.
const PUBSUB: &str = todo_domain::names::PUBSUB;
const TASK_EVENTS: &str = todo_domain::Topic::TaskEvents.name();
const TASK_UPDATES: &str = todo_domain::Topic::TaskUpdates.name();
/// The relay publishes at most this many entries per run, then re-arms.
const RELAY_BATCH: u64 = 500;
/// When the safety-net relay fires after a write arms it.
const SAFETY_NET_DELAY: TimeDelta = TimeDelta::seconds(10);
/// How soon the relay runs again while entries are pending.
const RETRY_DELAY: TimeDelta = TimeDelta::seconds(2);
/// An entry this young belongs to the request that committed it (its
/// inline publish, bounded by the 3 s publish timeout, may be in flight),
/// unless the user is backed up: the relay leaves it alone so the event is
/// not published twice.
const INLINE_GRACE: TimeDelta = TimeDelta::seconds(5);

/// Attempts at recording a relay run's progress against concurrent writes.
const SETTLE_ATTEMPTS: usize = 10;

/// The job name for `user`'s relay.
pub fn job_name(user: &str) -> String {
    format!("relay-{user}")
}

/// Schedules `user`'s relay job at `at`, replacing any earlier one (a
/// replaced job that is firing right now survives as the new one).
async fn arm<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
    at: DateTime<Utc>,
) -> Result<(), DaprError> {
    let job = Job::once_at(at.to_rfc3339(), serde_json::json!({ "user_id": user }));
    dapr.schedule_job(&job_name(user), &job).await
}

/// Makes sure a relay job will fire after a write that reads `meta` now
/// (within `RETRY_DELAY` when the write's events go to the relay, so they
/// are not held up); returns the time to record in the meta the write
/// commits. Not fatal when the scheduler is unreachable: the change still
/// commits and is published inline, and the next write arms again.
pub async fn ensure_relay<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
    meta: &Meta,
    now: DateTime<Utc>,
    soon: bool,
) -> Option<DateTime<Utc>> {
    let latest = now + if soon { RETRY_DELAY } else { SAFETY_NET_DELAY };
    // Keep an armed job unless the events need it sooner; moving a job
    // earlier is safe, later could starve a backed-up user's relay.
    if let Some(armed) = meta.relay_armed_until
        && armed > now
        && (!soon || armed <= latest)
    {
        return Some(armed);
    }
    match arm(dapr, user, latest).await {
        Ok(()) => Some(latest),
        Err(e) => {
            tracing::warn!(user_id = %user, error = %e, "could not arm the outbox relay");
            None
        }
    }
}

/// A publish of one change that failed part-way.
struct PublishFailure {
    /// Every topic the change has reached so far (to record in its outbox
    /// entry, so a retry skips them).
    reached: Vec<String>,
    /// Whether this attempt reached a topic not recorded before.
    progressed: bool,
    error: DaprError,
}

/// Publishes one change's events to the topics it has not `reached` yet:
/// the two side by side (each keeps the user's order on its own; nothing
/// orders one topic against the other).
async fn publish<T: Transport>(
    dapr: &DaprClient<T>,
    event: &TaskEvent,
    reached: &[String],
) -> Result<(), PublishFailure> {
    let user = event.user_id.as_str();
    let update = event.device_update();
    let done = |topic: &str| reached.iter().any(|t| t == topic);
    let (events, updates) = futures_util::future::join(
        async {
            if done(TASK_EVENTS) {
                return Ok(());
            }
            dapr.publish(PUBSUB, TASK_EVENTS, event, user).await
        },
        async {
            if done(TASK_UPDATES) {
                return Ok(());
            }
            dapr.publish(PUBSUB, TASK_UPDATES, &update, user).await
        },
    )
    .await;
    let mut now_reached = reached.to_vec();
    for (topic, result) in [(TASK_EVENTS, &events), (TASK_UPDATES, &updates)] {
        if result.is_ok() && !done(topic) {
            now_reached.push(topic.to_owned());
        }
    }
    match events.and(updates) {
        Ok(()) => Ok(()),
        Err(error) => Err(PublishFailure {
            progressed: now_reached.len() > reached.len(),
            reached: now_reached,
            error,
        }),
    }
}

/// The outbox entry of `event` recording the topics it has `reached`.
fn entry_op(event: &TaskEvent, reached: Vec<String>) -> Result<StateOp, DaprError> {
    let entry = OutboxEntry {
        seq: event.seq,
        event: event.clone(),
        reached,
    };
    Ok(StateOp::upsert(
        records::outbox_key(event.user_id.as_str(), event.seq),
        records::json(&entry)?,
        None,
    ))
}

/// Publishes a just-committed change inline (`Committed::publish_inline`).
/// Never fails the request: the change is committed either way; when the
/// publish fails the user is marked backed up, the broker marked down and
/// the relay armed to retry shortly.
pub async fn publish_committed<T: Transport>(
    dapr: &DaprClient<T>,
    event: &TaskEvent,
    now: DateTime<Utc>,
) {
    let user = event.user_id.as_str();
    match publish(dapr, event, &[]).await {
        Ok(()) => {
            let delete = [StateOp::delete(records::outbox_key(user, event.seq), None)];
            if let Err(e) = dapr.transact_state(STORE, &delete).await {
                // Harmless: the relay finds it and publishes it again; consumers dedupe.
                tracing::warn!(user_id = %user, error = %e, "could not clear a published outbox entry");
            }
        }
        Err(failure) => {
            tracing::warn!(user_id = %user, seq = %event.seq, error = %failure.error, "publish failed; the outbox relay will retry");
            // Before the user is marked backed up: until then the relay
            // leaves this young entry alone.
            if failure.progressed {
                record_reached(dapr, event, failure.reached).await;
            }
            broker::mark_down(dapr, now).await;
            mark_backed_up(dapr, user).await;
            if let Err(e) = arm(dapr, user, Utc::now() + RETRY_DELAY).await {
                tracing::warn!(user_id = %user, error = %e, "could not re-arm the outbox relay");
            }
        }
    }
}

/// Records in `event`'s outbox entry the topics it reached; best effort (a
/// lost record costs those topics a duplicate record, which consumers dedupe).
async fn record_reached<T: Transport>(
    dapr: &DaprClient<T>,
    event: &TaskEvent,
    reached: Vec<String>,
) {
    let result = match entry_op(event, reached) {
        Ok(op) => dapr.transact_state(STORE, &[op]).await,
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        tracing::warn!(user_id = %event.user_id.as_str(), error = %e, "could not record the topics a change reached");
    }
}

async fn mark_backed_up<T: Transport>(dapr: &DaprClient<T>, user: &str) {
    for _ in 0..5 {
        let Ok((mut meta, etag)) = records::meta(dapr, user).await else {
            return;
        };
        if meta.backlog {
            return;
        }
        meta.backlog = true;
        let Ok(value) = serde_json::to_value(&meta) else {
            return;
        };
        let op = [StateOp::replace_read(records::meta_key(user), value, etag)];
        match dapr.transact_state(STORE, &op).await {
            Err(DaprError::EtagMismatch) => continue,
            _ => return,
        }
    }
}

/// `POST /job/relay-{user}`: publishes `user`'s pending outbox in order.
/// An error makes Dapr retry the job.
pub async fn relay<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), DaprError> {
    let (meta, _, mark) = records::meta_and_broker(dapr, user).await?;
    // Right after a failed publish, wait; then probe the broker with the
    // first pending entry.
    let last = if mark.wait_before_probe(now) {
        meta.relayed
    } else {
        meta.seq.min(meta.relayed + RELAY_BATCH)
    };
    let keys: Vec<String> = (meta.relayed + 1..=last)
        .map(|s| records::outbox_key(user, s))
        .collect();
    let mut pending: Vec<OutboxEntry> = dapr
        .get_bulk_state::<OutboxEntry>(STORE, &keys)
        .await?
        .into_iter()
        .filter_map(|item| item.value.map(|v| v.value))
        .collect();
    pending.sort_by_key(|e| e.seq);

    let mut progress = Progress {
        through: last,
        published: Vec::new(),
        failed: false,
        reached: None,
    };
    for entry in &pending {
        if !meta.backlog && entry.event.occurred_at > now - INLINE_GRACE {
            progress.through = entry.seq - 1;
            break;
        }
        if let Err(failure) = publish(dapr, &entry.event, &entry.reached).await {
            tracing::warn!(user_id = %user, seq = %entry.seq, error = %failure.error, "relay could not publish; retrying in 2s");
            broker::mark_down(dapr, now).await;
            progress.through = entry.seq - 1;
            progress.failed = true;
            if failure.progressed {
                progress.reached = Some(entry_op(&entry.event, failure.reached)?);
            }
            break;
        }
        progress.published.push(entry.seq);
    }
    if mark.is_marked() && !progress.published.is_empty() {
        broker::mark_up(dapr).await;
    }
    if !progress.published.is_empty() {
        tracing::info!(user_id = %user, count = %progress.published.len(), "relay published pending events");
    }
    match settle(dapr, user, &progress, now).await? {
        Some(at) => arm(dapr, user, at).await,
        None => Ok(()),
    }
}

/// What one relay run did.
struct Progress {
    /// Every change up to this sequence number is published.
    through: u64,
    /// The entries it published (to delete).
    published: Vec<u64>,
    /// A publish failed: the user is backed up until the relay catches up.
    failed: bool,
    /// The failed entry with the topics it did reach, to record.
    reached: Option<StateOp>,
}

/// Records the relay's progress and when it runs again (`None`: the outbox
/// is empty and the next write arms it). The write is guarded by the meta's
/// ETag: a change committed meanwhile is seen here, and a write that read the
/// meta before this retries and sees the new `relay_armed_until`.
async fn settle<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
    progress: &Progress,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DaprError> {
    // Bounded: under a stream of writes, give up and let Dapr retry the job.
    for _ in 0..SETTLE_ATTEMPTS {
        let (mut meta, etag) = records::meta(dapr, user).await?;
        meta.relayed = meta.relayed.max(progress.through);
        let done = meta.relayed >= meta.seq;
        meta.backlog = !done && (meta.backlog || progress.failed);
        let again = (!done).then(|| now + RETRY_DELAY);
        meta.relay_armed_until = again;
        let mut ops: Vec<StateOp> = progress
            .published
            .iter()
            .map(|seq| StateOp::delete(records::outbox_key(user, *seq), None))
            .chain(progress.reached.clone())
            .collect();
        let value = serde_json::to_value(&meta).map_err(|source| DaprError::Encode {
            operation: "relay progress".into(),
            source,
        })?;
        ops.push(StateOp::replace_read(records::meta_key(user), value, etag));
        match dapr.transact_state(STORE, &ops).await {
            Ok(()) => return Ok(again),
            Err(DaprError::EtagMismatch) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(DaprError::EtagMismatch)
}
