//! A reminder job firing: publish `reminder.due` if it is still current.

use chrono::{DateTime, Utc};
use service_kit::{Dapr, Incoming, Problem, Response, log};
use todo_domain::ReminderDue;

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
        log::warn(
            "ignoring a job with an unreadable payload",
            &[("job", &name)],
        );
        return Ok(done());
    };
    let Some(scheduled) = dapr
        .get_state::<Scheduled>(STORE, &key(&data.user_id, data.task_id))
        .await?
    else {
        return Ok(done()); // the task was deleted
    };
    let Some(job) = scheduled.value.jobs.iter().find(|j| j.name == name) else {
        log::info("stale reminder job ignored", &[("job", &name)]);
        return Ok(done());
    };
    let task = &scheduled.value.task;
    if task.completed {
        return Ok(done());
    }
    // The event id is the job's identity: a job that fires twice yields the
    // same event, which consumers deduplicate.
    let Some(event) = ReminderDue::new(format!("reminder:{name}"), task, job.reminder_id, now)
    else {
        return Ok(done());
    };
    dapr.publish(PUBSUB, "reminders", &event, task.user_id.as_str())
        .await
        .map_err(Problem::unavailable)?;
    let late_ms = (now - job.remind_at).num_milliseconds();
    log::info(
        "reminder fired",
        &[
            ("user_id", &task.user_id.as_str()),
            ("task_id", &task.id),
            ("job", &name),
            ("late_ms", &late_ms),
        ],
    );
    Ok(done())
}
