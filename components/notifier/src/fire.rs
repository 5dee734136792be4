//! A reminder job firing: publish `reminder.due` if it is still current.

use chrono::{DateTime, Utc};
use service_kit::{Dapr, Incoming, Problem, Response};
use todo_domain::{ReminderDue, Topic};

use crate::deliver::notification_id;
use crate::schedule::{JobData, Scheduled, key};
use crate::{PUBSUB, STORE};

/// Dapr treats 2xx (and 404) as done; anything else is retried per the
/// job's failure policy, so a publish failure answers 503.
pub async fn on_job(
    dapr: &Dapr,
    name: &str,
    req: &Incoming,
    now: DateTime<Utc>,
) -> Result<Response, Problem> {
    let done = || service_kit::empty(http::StatusCode::OK);
    let Ok(data) = serde_json::from_slice::<JobData>(&req.body) else {
        tracing::warn!(job = %name, "ignoring a job with an unreadable payload");
        return Ok(done());
    };
    let Some(scheduled) = dapr
        .get_state::<Scheduled>(STORE, &key(&data.user_id, data.task_id))
        .await?
    else {
        return Ok(done()); // never scheduled here (or its record is gone)
    };
    let Some(job) = scheduled.value.jobs.iter().find(|j| j.name == name) else {
        tracing::info!(job = %name, "stale reminder job ignored");
        return Ok(done());
    };
    if now < job.remind_at {
        // Never early: if the scheduler fires ahead of time, say "not yet"
        // and let the job's failure policy try again shortly.
        tracing::warn!(
            job = %name,
            early_ms = %((job.remind_at - now).num_milliseconds()),
            "reminder job fired early; retrying",
        );
        return Err(Problem::unavailable("the reminder is not due yet"));
    }
    let task = &scheduled.value.task;
    let user = task.user_id.as_str();
    // The event id is the reminder's identity at this time, not the job's:
    // a job that fires twice, or a re-created job for the same reminder,
    // yields the same event, which every consumer deduplicates.
    let event_id = format!(
        "reminder:{user}:{}",
        notification_id(task.id, job.reminder_id.0, task.occurrence, job.remind_at)
    );
    let Some(event) = ReminderDue::new(event_id, task, job.reminder_id, now) else {
        return Ok(done());
    };
    dapr.publish(PUBSUB, Topic::Reminders.name(), &event, user)
        .await
        .map_err(Problem::unavailable)?;
    tracing::info!(
        user_id = %user,
        task_id = %task.id,
        job = %name,
        late_ms = %((now - job.remind_at).num_milliseconds()),
        "reminder fired",
    );
    Ok(done())
}
