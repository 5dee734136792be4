//! Keeping each task's reminder jobs in step with the task.

use chrono::{DateTime, Utc};
use dapr_http::{DaprError, Job, StateOp, SubscriptionReply};
use serde::{Deserialize, Serialize};
use service_kit::{Dapr, Incoming, log, subscriber};
use todo_domain::{
    IncomingEvent, ReminderId, Task, TaskEventType, reminder_job_name, validate_incoming,
};

use crate::STORE;

/// What notifier last scheduled for one task: the task at that version and
/// the jobs that stand for its reminders. A job that fires but is not listed
/// here is stale and does nothing.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Scheduled {
    pub task: Task,
    pub jobs: Vec<ScheduledJob>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduledJob {
    pub name: String,
    pub reminder_id: ReminderId,
    pub remind_at: DateTime<Utc>,
}

/// What a job carries back to `POST /job/{name}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct JobData {
    pub user_id: String,
    pub task_id: u64,
}

pub fn key(user: &str, task_id: u64) -> String {
    format!("sched:{user}:{task_id}")
}

pub async fn on_task_event(dapr: &Dapr, req: &Incoming, now: DateTime<Utc>) -> SubscriptionReply {
    let event = match subscriber::decode(req)
        .and_then(|e| validate_incoming(&e.data).map_err(|e| e.to_string()))
    {
        Ok(IncomingEvent::Task(event)) => event,
        Ok(IncomingEvent::Reminder(_)) => return SubscriptionReply::Success,
        Err(reason) => {
            log::warn(
                "dropping invalid event",
                &[("service", &"notifier"), ("reason", &reason)],
            );
            return SubscriptionReply::Drop;
        }
    };
    let deleted = event.event_type == TaskEventType::Deleted;
    match reconcile(dapr, &event.task, deleted, now).await {
        Ok(()) => SubscriptionReply::Success,
        Err(e) => {
            log::error(
                "could not reschedule reminders; will retry",
                &[("event_id", &event.event_id), ("error", &e)],
            );
            SubscriptionReply::Retry
        }
    }
}

/// Makes the task's scheduled jobs match its current reminders. Events for
/// an older version than the one already scheduled are ignored, so
/// redelivered or reordered events cannot bring back stale reminders.
async fn reconcile(
    dapr: &Dapr,
    task: &Task,
    deleted: bool,
    now: DateTime<Utc>,
) -> Result<(), DaprError> {
    let user = task.user_id.as_str();
    let key = key(user, task.id);
    let stored = dapr.get_state::<Scheduled>(STORE, &key).await?;
    if let Some(current) = &stored
        && current.value.task.version > task.version
    {
        return Ok(());
    }
    let wanted: Vec<ScheduledJob> = if deleted {
        Vec::new()
    } else {
        task.upcoming_reminders(now)
            .into_iter()
            .map(|(reminder_id, remind_at)| ScheduledJob {
                name: reminder_job_name(&task.user_id, task.id, reminder_id, task.version),
                reminder_id,
                remind_at,
            })
            .collect()
    };
    let previous = stored
        .as_ref()
        .map(|s| s.value.jobs.clone())
        .unwrap_or_default();
    for job in &wanted {
        if previous.iter().any(|p| p == job) {
            continue;
        }
        let data = serde_json::json!(JobData {
            user_id: user.to_owned(),
            task_id: task.id
        });
        dapr.schedule_job(&job.name, &Job::once_at(job.remind_at.to_rfc3339(), data))
            .await?;
        log::info(
            "reminder scheduled",
            &[
                ("user_id", &user),
                ("task_id", &task.id),
                ("job", &job.name),
                ("remind_at", &job.remind_at),
            ],
        );
    }
    // Record the new set before deleting old jobs: a stale job that fires in
    // between finds itself unlisted and does nothing.
    let op = if deleted {
        StateOp::delete(&key, stored.as_ref().and_then(|s| s.etag.clone()))
    } else {
        let value = serde_json::to_value(Scheduled {
            task: task.clone(),
            jobs: wanted.clone(),
        })
        .map_err(|source| DaprError::Encode {
            operation: "schedule".into(),
            source,
        })?;
        StateOp::upsert(&key, value, stored.as_ref().and_then(|s| s.etag.clone()))
    };
    dapr.transact_state(STORE, &[op]).await?;
    for job in previous.iter().filter(|p| !wanted.contains(p)) {
        dapr.delete_job(&job.name).await?;
        log::info(
            "reminder cancelled",
            &[
                ("user_id", &user),
                ("task_id", &task.id),
                ("job", &job.name),
            ],
        );
    }
    Ok(())
}
