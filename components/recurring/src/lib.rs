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

use dapr_http::TopicSubscription;
use http::Method;
use service_kit::{Incoming, Problem, Response, Settings, subscriber};
use spin_sdk::http_component;

use todo_domain::Topic;
use todo_domain::names::PUBSUB;

const TOPIC: Topic = Topic::TaskEvents;

#[http_component]
async fn handle(request: http::Request<Vec<u8>>) -> Response {
    service_kit::serve(request, route).await
}

async fn route(request: &Incoming) -> Result<Response, Problem> {
    Ok(match (&request.method, request.path().as_slice()) {
        (&Method::GET, ["dapr", "subscribe"]) => subscriber::subscriptions(&[TopicSubscription {
            pubsubname: PUBSUB.into(),
            topic: TOPIC.name().into(),
            route: format!("/events/{TOPIC}"),
            dead_letter_topic: TOPIC.dead_letter().into(),
        }]),
        (&Method::POST, ["events", topic]) if *topic == TOPIC.name() => {
            let outcome =
                next::on_task_event(&Settings::from_env().dapr_for(request), request).await;
            subscriber::reply(outcome)
        }
        _ => return Err(Problem::no_route(request)),
    })
}
