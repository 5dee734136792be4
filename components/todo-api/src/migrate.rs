//! Moving a user from the old layout (tasks in buckets of 128 ids at
//! `u:{user}:b:{n}`, no `layout` in the meta) to the one in `records`.
//!
//! Runs by itself on the first touch of such a user (a listing, a read of a
//! task, any write): one transaction per old bucket writes its tasks as task
//! keys and their summaries as index chunk `n` (or the meta's open chunk),
//! deletes the bucket and records the progress in the meta, guarded by the
//! meta's ETag. A crash half-way leaves a consistent user whose next request
//! carries on from the recorded bucket; two requests migrating at once
//! collide on the meta and one of them re-reads the progress.

use std::collections::BTreeMap;

use dapr_http::{DaprClient, DaprError, StateOp, Transport};
use todo_domain::{Task, TaskSummary};

use crate::contention::back_off;
use crate::records::{
    self, LAYOUT, STORE, chunk_key, chunk_of, json, meta_key, old_bucket_key, task_key,
};

/// Attempts at one step against concurrent migrators and writers.
const STEP_ATTEMPTS: usize = 16;

/// Moves every remaining old bucket of `user`; returns when the user is in
/// the current layout (at once when already).
pub async fn run<T: Transport>(dapr: &DaprClient<T>, user: &str) -> Result<(), DaprError> {
    let mut lost_races = 0;
    loop {
        match step(dapr, user).await? {
            Step::Done => return Ok(()),
            Step::Moved => {}
            Step::LostRace if lost_races < STEP_ATTEMPTS => {
                back_off(lost_races);
                lost_races += 1;
            }
            Step::LostRace => return Err(DaprError::EtagMismatch),
        }
    }
}

enum Step {
    Done,
    Moved,
    LostRace,
}

/// Moves the next old bucket (or records that none is left).
async fn step<T: Transport>(dapr: &DaprClient<T>, user: &str) -> Result<Step, DaprError> {
    let (meta, etag) = records::meta(dapr, user).await?;
    if !meta.needs_migration() {
        return Ok(Step::Done);
    }
    let mut next = meta.clone();
    let bucket = meta.migrated;
    let last = meta.next_id.checked_sub(1).map(chunk_of);
    let mut ops = Vec::new();
    if last.is_some_and(|last| bucket <= last) {
        let key = old_bucket_key(user, bucket);
        let stored = dapr.get_state::<BTreeMap<u64, Task>>(STORE, &key).await?;
        if let Some(stored) = stored {
            let mut summaries = Vec::with_capacity(stored.value.len());
            for (id, task) in &stored.value {
                ops.push(StateOp::upsert(task_key(user, *id), json(task)?, None));
                summaries.push(TaskSummary::of(task));
            }
            if bucket == meta.open_chunk() {
                next.open = summaries;
            } else {
                ops.push(StateOp::upsert(
                    chunk_key(user, bucket),
                    json(&summaries)?,
                    None,
                ));
            }
            ops.push(StateOp::delete(key, stored.etag));
        }
        next.migrated = bucket + 1;
    }
    if last.is_none_or(|last| next.migrated > last) {
        next.layout = LAYOUT;
        next.migrated = 0;
    }
    ops.push(StateOp::replace_read(meta_key(user), json(&next)?, etag));
    match dapr.transact_state(STORE, &ops).await {
        Ok(()) => Ok(Step::Moved),
        Err(DaprError::EtagMismatch) => Ok(Step::LostRace),
        Err(e) => Err(e),
    }
}
