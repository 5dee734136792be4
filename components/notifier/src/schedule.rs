//! Keeping each task's reminder jobs in step with the task.

use chrono::{DateTime, Duration, Utc};
use dapr_http::{DaprError, Job, StateOp, SubscriptionReply};
use serde::{Deserialize, Serialize};
use service_kit::{Ctx, Dapr, Incoming, subscriber};
use todo_domain::{ReminderId, Task, TaskEvent, TaskEventType, Topic, reminder_job_name};

use crate::STORE;

/// How long after its time a reminder is still scheduled when the event
/// that sets it arrives late (a backlog after an outage, a slow consumer):
/// it then fires at once, late but not lost. Re-scheduling one that already
/// fired is harmless: delivery is once per reminder and time.
const LATE_GRACE_MINUTES: i64 = 15;

/// What notifier last applied for one task: the task at that version and
/// the jobs that stand for its reminders. A job that fires but is not listed
/// here is stale and does nothing. Kept (with no jobs) after a completion or
/// deletion, so a redelivered older event cannot bring reminders back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Scheduled {
    pub task: Task,
    /// The `task_version` of the event applied last (a delete's is one past
    /// the task's own version).
    #[serde(default)]
    pub version: u64,
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

/// The jobs a task needs at `now`: one per reminder not long past, none
/// once the task is completed or deleted. Named per task version, so a
/// changed task gets fresh jobs and the old ones become stale.
pub fn wanted_jobs(task: &Task, deleted: bool, now: DateTime<Utc>) -> Vec<ScheduledJob> {
    if deleted || task.completed {
        return Vec::new();
    }
    let oldest = now - Duration::minutes(LATE_GRACE_MINUTES);
    task.reminder_times()
        .into_iter()
        .filter(|(_, at)| *at > oldest)
        .map(|(reminder_id, remind_at)| ScheduledJob {
            name: reminder_job_name(&task.user_id, task.id, reminder_id, task.version),
            reminder_id,
            remind_at,
        })
        .collect()
}

pub async fn on_task_event(ctx: &Ctx, req: &Incoming) -> SubscriptionReply {
    let event = match subscriber::task_event(ctx.service, Topic::TaskEvents, req) {
        Ok(event) => event,
        Err(dropped) => return dropped,
    };
    if !concerns_reminders(&event) {
        return SubscriptionReply::Success;
    }
    match reconcile(&ctx.dapr, &event, ctx.now).await {
        Ok(()) => SubscriptionReply::Success,
        Err(e) => {
            tracing::error!(
                event_id = %event.event_id,
                error = %e,
                "could not reschedule reminders; will retry",
            );
            SubscriptionReply::Retry
        }
    }
}

/// Whether `event` can change any reminder job: the task has reminders, or
/// this change took them away. Most tasks have none, and their events need
/// no state read or write here: nothing of theirs is scheduled, and a stale
/// redelivered event that had reminders is still checked against the
/// version recorded by the event that removed them.
pub fn concerns_reminders(event: &TaskEvent) -> bool {
    !event.task.reminders.is_empty()
        || event
            .changes
            .as_ref()
            .is_some_and(|c| c.contains("reminders"))
}

/// Makes the task's scheduled jobs match its current reminders. Events for
/// an older version than the one applied are ignored, so redelivered or
/// reordered events cannot bring back stale reminders.
async fn reconcile(dapr: &Dapr, event: &TaskEvent, now: DateTime<Utc>) -> Result<(), DaprError> {
    let task = &event.task;
    let user = task.user_id.as_str();
    let key = key(user, task.id);
    let stored = dapr.get_state::<Scheduled>(STORE, &key).await?;
    if let Some(current) = &stored
        && current.value.version.max(current.value.task.version) > event.task_version
    {
        tracing::info!(event_id = %event.event_id, task_id = %task.id, "older task event ignored");
        return Ok(());
    }
    let deleted = event.event_type == TaskEventType::Deleted;
    let wanted = wanted_jobs(task, deleted, now);
    let previous = stored
        .as_ref()
        .map(|s| s.value.jobs.clone())
        .unwrap_or_default();
    // Record the new set first: a job can fire as soon as it is scheduled
    // (at once, if its time has just passed), and firing looks it up here;
    // an old job that fires after this finds itself unlisted and does nothing.
    let value = serde_json::to_value(Scheduled {
        task: task.clone(),
        version: event.task_version,
        jobs: wanted.clone(),
    })
    .map_err(|source| DaprError::Encode {
        operation: "schedule".into(),
        source,
    })?;
    let etag = stored.as_ref().and_then(|s| s.etag.clone());
    dapr.transact_state(STORE, &[StateOp::upsert(&key, value, etag)])
        .await?;
    // Every wanted job is (re)scheduled, also when the record already listed
    // it: after a failure between the two writes, the redelivered event must
    // still create it. Re-creating a job that already fired is harmless:
    // delivery is once per reminder and time.
    for job in &wanted {
        let data = serde_json::json!(JobData {
            user_id: user.to_owned(),
            task_id: task.id
        });
        dapr.schedule_job(&job.name, &Job::once_at(job.remind_at.to_rfc3339(), data))
            .await?;
        if !previous.contains(job) {
            tracing::info!(
                user_id = %user,
                task_id = %task.id,
                job = %job.name,
                remind_at = %job.remind_at,
                "reminder scheduled",
            );
        }
    }
    for job in previous.iter().filter(|p| !wanted.contains(p)) {
        dapr.delete_job(&job.name).await?;
        tracing::info!(user_id = %user, task_id = %task.id, job = %job.name, "reminder cancelled");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("an RFC 3339 time")
            .with_timezone(&Utc)
    }

    fn task(extra: serde_json::Value) -> Task {
        let mut task = json!({
            "id": 7, "user_id": "alice", "title": "Pay rent", "description": null,
            "completed": false, "completed_at": null, "priority": "medium",
            "tags": [], "category": null, "parent_task_id": null,
            "created_at": "2027-01-01T00:00:00Z", "updated_at": "2027-01-01T00:00:00Z",
            "due_date": null, "timezone": "UTC", "reminders": [],
            "recurrence": null, "series_id": null, "occurrence": 1, "version": 3,
        });
        for (k, v) in extra.as_object().expect("an object") {
            task[k] = v.clone();
        }
        serde_json::from_value(task).expect("a task")
    }

    fn event(event_type: &str, task: serde_json::Value, changes: serde_json::Value) -> TaskEvent {
        let mut event = json!({
            "event_id": "e1", "event_type": event_type, "schema_version": 1,
            "user_id": "alice", "task_id": 7, "task_version": 3, "seq": 1,
            "occurred_at": "2027-01-01T00:00:00Z", "task": task,
        });
        if !changes.is_null() {
            event["changes"] = changes;
        }
        serde_json::from_value(event).expect("an event")
    }

    fn stored(t: &Task) -> serde_json::Value {
        serde_json::to_value(t).expect("a task encodes")
    }

    #[test]
    fn only_events_with_reminders_or_that_removed_them_touch_state() {
        let plain = stored(&task(json!({})));
        let reminded = stored(&task(json!({
            "due_date": "2027-03-01", "reminders": [{"id": 1, "before_due": "PT15M"}],
        })));
        assert!(!concerns_reminders(&event(
            "task.created",
            plain.clone(),
            json!(null)
        )));
        assert!(!concerns_reminders(&event(
            "task.deleted",
            plain.clone(),
            json!(null)
        )));
        assert!(!concerns_reminders(&event(
            "task.updated",
            plain.clone(),
            json!({"title": ["a", "b"]})
        )));
        assert!(concerns_reminders(&event(
            "task.updated",
            plain,
            json!({"reminders": [[{"id": 1, "before_due": "PT15M"}], []]})
        )));
        assert!(concerns_reminders(&event(
            "task.created",
            reminded.clone(),
            json!(null)
        )));
        assert!(concerns_reminders(&event(
            "task.completed",
            reminded,
            json!({"completed": [false, true]})
        )));
    }

    #[test]
    fn an_all_day_task_reminds_relative_to_nine_in_its_zone() {
        // 2027-03-01 09:00 in New York is 14:00 UTC (EST, UTC-5).
        let t = task(json!({
            "due_date": "2027-03-01", "timezone": "America/New_York",
            "reminders": [{"id": 1, "before_due": "PT15M"}],
        }));
        let jobs = wanted_jobs(&t, false, utc("2027-02-01T00:00:00Z"));
        assert_eq!(
            jobs,
            vec![ScheduledJob {
                name: "reminder-alice-7-1-v3".into(),
                reminder_id: ReminderId(1),
                remind_at: utc("2027-03-01T13:45:00Z"),
            }]
        );
    }

    #[test]
    fn a_date_only_task_in_summer_uses_nine_local_across_dst() {
        // Europe/London in July is BST (UTC+1): 09:00 local is 08:00 UTC.
        let t = task(json!({
            "due_date": "2027-07-01", "timezone": "Europe/London",
            "reminders": [{"id": 2, "before_due": "PT1H"}],
        }));
        let jobs = wanted_jobs(&t, false, utc("2027-06-01T00:00:00Z"));
        assert_eq!(jobs[0].remind_at, utc("2027-07-01T07:00:00Z"));
    }

    #[test]
    fn completed_or_deleted_tasks_want_no_jobs() {
        let reminders = json!([{"id": 1, "remind_at": "2027-03-01T10:00:00Z"}]);
        let now = utc("2027-03-01T09:00:00Z");
        let done = task(
            json!({"completed": true, "completed_at": "2027-03-01T08:00:00Z",
                                "reminders": reminders}),
        );
        assert!(wanted_jobs(&done, false, now).is_empty());
        let pending = task(json!({"reminders": reminders}));
        assert_eq!(wanted_jobs(&pending, false, now).len(), 1);
        assert!(wanted_jobs(&pending, true, now).is_empty());
    }

    #[test]
    fn a_reminder_just_missed_is_still_scheduled_but_an_old_one_is_not() {
        let t = task(json!({"reminders": [
            {"id": 1, "remind_at": "2027-03-01T09:55:00Z"},
            {"id": 2, "remind_at": "2027-03-01T09:00:00Z"},
            {"id": 3, "remind_at": "2027-03-01T10:05:00Z"},
        ]}));
        let ids: Vec<u32> = wanted_jobs(&t, false, utc("2027-03-01T10:00:00Z"))
            .iter()
            .map(|j| j.reminder_id.0)
            .collect();
        assert_eq!(ids, vec![1, 3]);
    }

    #[test]
    fn job_names_change_with_the_task_version() {
        let mut t = task(json!({"reminders": [{"id": 1, "remind_at": "2027-03-01T10:00:00Z"}]}));
        let now = utc("2027-03-01T09:00:00Z");
        let before = wanted_jobs(&t, false, now);
        t.version += 1;
        let after = wanted_jobs(&t, false, now);
        assert_ne!(before[0].name, after[0].name);
        assert_eq!(before[0].remind_at, after[0].remind_at);
    }
}
