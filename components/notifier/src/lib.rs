//! notifier: exact-time reminders.
//!
//! - On `task-events` it schedules each upcoming reminder of a pending task
//!   as a one-shot Dapr job named per (user, task, reminder, task version),
//!   deletes the jobs a change made obsolete, and all of a task's jobs when
//!   it is completed or deleted (`schedule`).
//! - When a job fires (`POST /job/{name}`) it checks that the job is still
//!   current and publishes `reminder.due` to `reminders` (`fire`).
//! - On `reminders` it delivers one notification per reminder per
//!   occurrence: a log line, a `task-updates` message for the user's devices
//!   and an entry in `GET /api/{user_id}/notifications` (`deliver`).

mod deliver;
mod fire;
mod schedule;

use dapr_http::TopicSubscription;
use http::Method;
use service_kit::{Incoming, Problem, Response, Settings, subscriber};
use spin_sdk::http_component;

use todo_domain::Topic;
use todo_domain::names::{PUBSUB, store::NOTIFIER as STORE};

#[http_component]
async fn handle(request: http::Request<Vec<u8>>) -> Response {
    service_kit::serve(request, route).await
}

async fn route(req: &Incoming) -> Result<Response, Problem> {
    let dapr = Settings::from_env().dapr_for(req);
    let now = chrono::Utc::now();
    match (&req.method, req.path().as_slice()) {
        (&Method::GET, ["dapr", "subscribe"]) => Ok(subscriptions()),
        (&Method::POST, ["events", topic]) if *topic == Topic::TaskEvents.name() => Ok(
            subscriber::reply(schedule::on_task_event(&dapr, req, now).await),
        ),
        (&Method::POST, ["events", topic]) if *topic == Topic::Reminders.name() => Ok(
            subscriber::reply(deliver::on_reminder(&dapr, req, now).await),
        ),
        (&Method::POST, ["job", name]) => fire::on_job(&dapr, name, req, now).await,
        (&Method::GET, ["api", user, "notifications"]) => {
            service_kit::auth::require_user(&dapr, req, user, now.timestamp()).await?;
            deliver::list(&dapr, req, user).await
        }
        (&Method::POST, ["api", user, "notifications", id, "read"]) => {
            service_kit::auth::require_user(&dapr, req, user, now.timestamp()).await?;
            deliver::mark_read(&dapr, user, id).await
        }
        _ => Err(Problem::no_route(req)),
    }
}

fn subscriptions() -> Response {
    let list: Vec<TopicSubscription> = [Topic::TaskEvents, Topic::Reminders]
        .iter()
        .map(|topic| TopicSubscription {
            pubsubname: PUBSUB.into(),
            topic: topic.name().into(),
            route: format!("/events/{topic}"),
            dead_letter_topic: topic.dead_letter().into(),
        })
        .collect();
    subscriber::subscriptions(&list)
}
