//! Getting committed changes onto Kafka, in per-user order, even when Kafka
//! is down or the process dies between commit and publish.
//!
//! A change commits its events to the outbox in the same transaction as the
//! change itself (`store::commit`). Then:
//! 1. Before committing, the handler arms a one-shot Dapr job `relay-{user}`
//!    ten seconds out (kept if already armed). If the process dies after the
//!    commit, that job publishes what it left behind.
//! 2. After committing, the handler publishes the events inline and deletes
//!    the outbox entry — unless the user's outbox is backed up, in which case
//!    the relay publishes them in order behind the older ones.
//! 3. When an inline publish fails, the user is marked backed up and the
//!    relay job is re-armed every two seconds until Kafka is back and the
//!    outbox is empty.
//!
//! Delivery is at least once: consumers dedupe on `event_id`.

use dapr_http::{DaprError, Job, StateOp};
use service_kit::{Dapr, log};
use todo_domain::TaskEvent;

use crate::store::{self, OutboxEntry};

/// The pub/sub component and topics.
const PUBSUB: &str = "pubsub";
const TASK_EVENTS: &str = "task-events";
const TASK_UPDATES: &str = "task-updates";
/// The relay publishes at most this many entries per run, then re-arms.
const RELAY_BATCH: u64 = 500;

/// The job name for `user`'s relay.
pub fn job_name(user: &str) -> String {
    format!("relay-{user}")
}

fn seconds_from_now(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds)).to_rfc3339()
}

/// Arms the safety-net relay for `user` unless it is armed already.
pub async fn arm(dapr: &Dapr, user: &str) -> Result<(), DaprError> {
    let mut job = Job::once_at(seconds_from_now(10), serde_json::json!({ "user_id": user }));
    job.overwrite = false;
    match dapr.schedule_job(&job_name(user), &job).await {
        // An armed job answers "already exists": it will fire, which is all we need.
        Err(DaprError::Api { message, .. }) if message.contains("already exists") => Ok(()),
        other => other,
    }
}

async fn rearm(dapr: &Dapr, user: &str, seconds: i64) {
    let job = Job::once_at(
        seconds_from_now(seconds),
        serde_json::json!({ "user_id": user }),
    );
    if let Err(e) = dapr.schedule_job(&job_name(user), &job).await {
        log::error(
            "could not arm the outbox relay",
            &[("user_id", &user), ("error", &e)],
        );
    }
}

async fn publish(dapr: &Dapr, event: &TaskEvent) -> Result<(), DaprError> {
    let user = event.user_id.as_str();
    dapr.publish(PUBSUB, TASK_EVENTS, event, user).await?;
    dapr.publish(PUBSUB, TASK_UPDATES, &event.device_update(), user)
        .await
}

/// Publishes a just-committed change, or leaves it to the relay.
/// Never fails the request: the change is committed either way.
pub async fn after_commit(dapr: &Dapr, event: &TaskEvent, backed_up: bool) {
    let user = event.user_id.as_str();
    if backed_up {
        return; // the relay is armed and publishes in order
    }
    match publish(dapr, event).await {
        Ok(()) => {
            let delete = [StateOp::delete(store::outbox_key(user, event.seq), None)];
            if let Err(e) = dapr.transact_state(store::STORE, &delete).await {
                // Harmless: the relay finds it and publishes it again; consumers dedupe.
                log::warn(
                    "could not clear a published outbox entry",
                    &[("user_id", &user), ("error", &e)],
                );
            }
        }
        Err(e) => {
            log::warn(
                "publish failed; the outbox relay will retry",
                &[("user_id", &user), ("seq", &event.seq), ("error", &e)],
            );
            mark_backed_up(dapr, user).await;
            rearm(dapr, user, 2).await;
        }
    }
}

async fn mark_backed_up(dapr: &Dapr, user: &str) {
    for _ in 0..5 {
        let Ok((mut meta, etag)) = store::meta(dapr, user).await else {
            return;
        };
        if meta.backlog {
            return;
        }
        meta.backlog = true;
        let Ok(value) = serde_json::to_value(&meta) else {
            return;
        };
        let op = [StateOp::upsert(store::meta_key(user), value, etag)];
        match dapr.transact_state(store::STORE, &op).await {
            Err(DaprError::EtagMismatch) => continue,
            _ => return,
        }
    }
}

/// `POST /job/relay-{user}`: publishes `user`'s pending outbox in order.
pub async fn relay(dapr: &Dapr, user: &str) -> Result<(), DaprError> {
    let (meta, _) = store::meta(dapr, user).await?;
    let last = meta.seq.min(meta.relayed + RELAY_BATCH);
    let keys: Vec<String> = (meta.relayed + 1..=last)
        .map(|s| store::outbox_key(user, s))
        .collect();
    let mut pending: Vec<OutboxEntry> = dapr
        .get_bulk_state::<OutboxEntry>(store::STORE, &keys)
        .await?
        .into_iter()
        .filter_map(|item| item.value.map(|v| v.value))
        .collect();
    pending.sort_by_key(|e| e.seq);

    let mut through = last;
    let mut published = Vec::new();
    for entry in &pending {
        if let Err(e) = publish(dapr, &entry.event).await {
            log::warn(
                "relay could not publish; retrying in 2s",
                &[("user_id", &user), ("seq", &entry.seq), ("error", &e)],
            );
            through = entry.seq - 1;
            break;
        }
        published.push(entry.seq);
    }
    if !published.is_empty() {
        log::info(
            "relay published pending events",
            &[("user_id", &user), ("count", &published.len())],
        );
    }
    let done = settle(dapr, user, through, &published).await?;
    if !done {
        rearm(dapr, user, 2).await;
    }
    Ok(())
}

/// Records the relay's progress; returns whether the outbox is now empty.
async fn settle(
    dapr: &Dapr,
    user: &str,
    through: u64,
    published: &[u64],
) -> Result<bool, DaprError> {
    for _ in 0..10 {
        let (mut meta, etag) = store::meta(dapr, user).await?;
        meta.relayed = meta.relayed.max(through);
        let done = meta.relayed >= meta.seq;
        meta.backlog = !done && (meta.backlog || through < meta.seq);
        let mut ops: Vec<StateOp> = published
            .iter()
            .map(|seq| StateOp::delete(store::outbox_key(user, *seq), None))
            .collect();
        let value = serde_json::to_value(&meta).map_err(|source| DaprError::Encode {
            operation: "relay progress".into(),
            source,
        })?;
        ops.push(StateOp::upsert(store::meta_key(user), value, etag));
        match dapr.transact_state(store::STORE, &ops).await {
            Ok(()) => return Ok(done),
            Err(DaprError::EtagMismatch) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}
