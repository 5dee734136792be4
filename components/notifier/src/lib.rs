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

use http::Method;
use service_kit::{Ctx, Incoming, Problem, Response, subscriber};
use spin_sdk::http_component;
use todo_domain::Topic;
use todo_domain::names::{PUBSUB, store::NOTIFIER as STORE};

/// The topics notifier consumes.
const TOPICS: [Topic; 2] = [Topic::TaskEvents, Topic::Reminders];

#[http_component]
async fn handle(request: http::Request<Vec<u8>>) -> Response {
    service_kit::serve("notifier", request, route).await
}

async fn route(ctx: &Ctx, req: &Incoming) -> Result<Response, Problem> {
    let dapr = &ctx.dapr;
    match (&req.method, req.path().as_slice()) {
        (&Method::GET, ["dapr", "subscribe"]) => Ok(subscriber::subscriptions(&TOPICS)),
        (&Method::POST, ["events", _]) => Ok(subscriber::reply(
            match subscriber::delivered(req, &TOPICS) {
                Some(Topic::TaskEvents) => schedule::on_task_event(ctx, req).await,
                Some(Topic::Reminders) => deliver::on_reminder(ctx, req).await,
                _ => return Err(Problem::no_route(req)),
            },
        )),
        (&Method::POST, ["job", name]) => fire::on_job(dapr, name, req, ctx.now).await,
        (&Method::GET, ["api", user, "notifications"]) => {
            let user =
                service_kit::auth::require_user(dapr, req, user, ctx.now.timestamp()).await?;
            deliver::list(dapr, req, &user).await
        }
        (&Method::POST, ["api", user, "notifications", id, "read"]) => {
            let user =
                service_kit::auth::require_user(dapr, req, user, ctx.now.timestamp()).await?;
            deliver::mark_read(dapr, &user, id).await
        }
        _ => Err(Problem::no_route(req)),
    }
}
