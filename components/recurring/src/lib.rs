//! recurring: creates the next instance of a recurring task when one is
//! completed.
//!
//! Consumes `task.completed` from `task-events` through its own sidecar,
//! computes the next occurrence with the domain's recurrence engine, and has
//! todo-api create it by Dapr service invocation (todo-api stays the only
//! writer of tasks). The request carries the idempotency key (series,
//! occurrence), so redeliveries, duplicate events and double completions
//! create exactly one next instance (`next`).

mod next;

use http::Method;
use service_kit::{Ctx, Incoming, Problem, Response, subscriber};
use spin_sdk::http_component;
use todo_domain::Topic;

/// The topic recurring consumes.
const TOPICS: [Topic; 1] = [Topic::TaskEvents];

#[http_component]
async fn handle(request: http::Request<Vec<u8>>) -> Response {
    service_kit::serve("recurring", request, route).await
}

async fn route(ctx: &Ctx, request: &Incoming) -> Result<Response, Problem> {
    match (&request.method, request.path().as_slice()) {
        (&Method::GET, ["dapr", "subscribe"]) => Ok(subscriber::subscriptions(&TOPICS)),
        (&Method::POST, ["events", _]) => match subscriber::delivered(request, &TOPICS) {
            Some(topic) => Ok(subscriber::reply(
                next::on_task_event(ctx, topic, request).await,
            )),
            None => Err(Problem::no_route(request)),
        },
        _ => Err(Problem::no_route(request)),
    }
}
