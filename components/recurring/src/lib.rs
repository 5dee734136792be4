//! recurring: creates the next instance of a recurring task when one is
//! completed.
//!
//! Consumes `task.completed` from `task-events` through its own sidecar,
//! computes the next occurrence with the domain's recurrence engine, and has
//! todo-api create it by Dapr service invocation (todo-api stays the only
//! writer of tasks). The request carries the idempotency key (series,
//! occurrence), so redeliveries, duplicate events and double completions
//! create exactly one next instance.

use dapr_http::{SubscriptionReply, TopicSubscription};
use http::Method;
use service_kit::{Dapr, Incoming, Problem, Response, Settings, log, subscriber};
use spin_sdk::http_component;
use todo_domain::{IncomingEvent, TaskEventType, validate_incoming};

const PUBSUB: &str = "pubsub";
const TOPIC: &str = "task-events";

#[http_component]
async fn handle(request: http::Request<Vec<u8>>) -> Response {
    let request = Incoming::new(request);
    match (&request.method, request.path().as_slice()) {
        (&Method::GET, ["healthz"]) => service_kit::json(http::StatusCode::OK, &"ok"),
        (&Method::GET, ["dapr", "subscribe"]) => subscriber::subscriptions(&[TopicSubscription {
            pubsubname: PUBSUB.into(),
            topic: TOPIC.into(),
            route: format!("/events/{TOPIC}"),
            dead_letter_topic: format!("{TOPIC}-dlq"),
        }]),
        (&Method::POST, ["events", "task-events"]) => {
            let outcome = deliver(&Settings::from_env().dapr(), &request).await;
            subscriber::reply(outcome)
        }
        _ => Problem::not_found(format!(
            "no route for {} /{}",
            request.method,
            request.segments.join("/")
        ))
        .into_response(),
    }
}

async fn deliver(dapr: &Dapr, request: &Incoming) -> SubscriptionReply {
    let event = match subscriber::decode(request)
        .and_then(|e| validate_incoming(&e.data).map_err(|e| e.to_string()))
    {
        Ok(IncomingEvent::Task(event)) => event,
        Ok(IncomingEvent::Reminder(_)) => return SubscriptionReply::Success,
        Err(reason) => {
            log::warn(
                "dropping invalid event",
                &[("service", &"recurring"), ("reason", &reason)],
            );
            return SubscriptionReply::Drop;
        }
    };
    if event.event_type != TaskEventType::Completed {
        return SubscriptionReply::Success;
    }
    let completed_at = event.task.completed_at.unwrap_or(event.occurred_at);
    let Some(instance) = event.task.next_instance(completed_at) else {
        return SubscriptionReply::Success; // not recurring, or the series has ended
    };
    let body = match serde_json::to_vec(&instance) {
        Ok(body) => body,
        Err(e) => {
            log::error(
                "could not encode the next instance",
                &[("event_id", &event.event_id), ("error", &e)],
            );
            return SubscriptionReply::Drop;
        }
    };
    let path = format!("/internal/users/{}/instances", event.user_id.as_str());
    let headers = [(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    )];
    match dapr
        .invoke("todo-api", Method::POST, &path, &headers, body)
        .await
    {
        Ok(response) if response.status().is_success() => {
            log::info(
                "next instance ensured",
                &[
                    ("user_id", &event.user_id.as_str()),
                    ("task_id", &event.task_id),
                    ("occurrence", &instance.occurrence),
                    ("status", &response.status()),
                ],
            );
            SubscriptionReply::Success
        }
        Ok(response) if response.status().is_client_error() => {
            log::warn(
                "todo-api refused the next instance",
                &[
                    ("event_id", &event.event_id),
                    ("status", &response.status()),
                    ("body", &String::from_utf8_lossy(response.body())),
                ],
            );
            SubscriptionReply::Drop
        }
        Ok(response) => {
            log::warn(
                "todo-api failed; will retry",
                &[
                    ("event_id", &event.event_id),
                    ("status", &response.status()),
                ],
            );
            SubscriptionReply::Retry
        }
        Err(e) => {
            log::warn(
                "todo-api unreachable; will retry",
                &[("event_id", &event.event_id), ("error", &e)],
            );
            SubscriptionReply::Retry
        }
    }
}
