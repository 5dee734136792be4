//! Subscriber side of Dapr pub/sub: the subscription list, decoding
//! deliveries (or dead-lettering them) and answering them.

use dapr_http::{CloudEvent, SubscriptionReply, TopicSubscription};
use todo_domain::names::PUBSUB;
use todo_domain::{IncomingEvent, TaskEvent, Topic, validate_incoming};

use crate::{Incoming, Response};

/// Decodes a delivery. A body that is not a CloudEvent is a poison message.
pub fn decode(request: &Incoming) -> Result<CloudEvent, String> {
    serde_json::from_slice(&request.body).map_err(|e| format!("not a CloudEvent: {e}"))
}

/// Reads a delivery from `topic` with `read` (given the CloudEvent's `data`);
/// a delivery that is not a CloudEvent or that `read` refuses is a poison
/// message, dead-lettered through [`poison`].
pub fn accept<T>(
    service: &str,
    topic: Topic,
    request: &Incoming,
    read: impl FnOnce(&serde_json::Value) -> Result<T, String>,
) -> Result<T, SubscriptionReply> {
    decode(request)
        .and_then(|event| read(&event.data))
        .map_err(|reason| poison(service, topic.name(), request, &reason))
}

/// A valid task event delivered from `topic` (`task-events`), or the reply
/// that dead-letters the delivery: not a CloudEvent, an invalid event, or a
/// reminder event on the wrong topic.
pub fn task_event(
    service: &str,
    topic: Topic,
    request: &Incoming,
) -> Result<TaskEvent, SubscriptionReply> {
    accept(service, topic, request, |data| {
        match validate_incoming(data) {
            Ok(IncomingEvent::Task(event)) => Ok(*event),
            Ok(IncomingEvent::Reminder(_)) => Err(format!("a reminder event on {topic}")),
            Err(e) => Err(e.to_string()),
        }
    })
}

/// Refuses a poison delivery: logs why, naming the delivery (Dapr's
/// CloudEvent id and the event's own `event_id` when readable) so an
/// operator can find it in the dead-letter topic, and answers `Drop`, which
/// sends it there without retries.
pub fn poison(service: &str, topic: &str, request: &Incoming, reason: &str) -> SubscriptionReply {
    let envelope: serde_json::Value =
        serde_json::from_slice(&request.body).unwrap_or(serde_json::Value::Null);
    let text = |v: Option<&serde_json::Value>| {
        v.and_then(serde_json::Value::as_str)
            .unwrap_or("-")
            .to_owned()
    };
    tracing::warn!(
        service = %service,
        topic = %topic,
        reason = %reason,
        cloudevent_id = %(text(envelope.get("id"))),
        event_id = %(text(envelope.pointer("/data/event_id"))),
        "dropping invalid event to the dead-letter topic",
    );
    SubscriptionReply::Drop
}

/// The answer Dapr expects: HTTP 200 with the status in the body.
pub fn reply(outcome: SubscriptionReply) -> Response {
    let mut response = http::Response::new(outcome.body().as_bytes().to_vec());
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// The app path Dapr posts `topic`'s messages to (`POST /events/{topic}`,
/// a sidecar-only path of [`crate::serve`]).
pub fn route(topic: Topic) -> String {
    format!("/events/{topic}")
}

/// The topic a delivery came from: `Some` for `POST /events/{topic}` when
/// `topic` is one this service consumes.
pub fn delivered(request: &Incoming, consumed: &[Topic]) -> Option<Topic> {
    match (&request.method, request.path().as_slice()) {
        (&http::Method::POST, ["events", name]) => {
            Topic::from_name(name).filter(|topic| consumed.contains(topic))
        }
        _ => None,
    }
}

/// `GET /dapr/subscribe`: each of `topics` through the services' pub/sub,
/// posted to its [`route`] and dead-lettered to its own dead-letter topic.
pub fn subscriptions(topics: &[Topic]) -> Response {
    crate::json(http::StatusCode::OK, &subscription_list(topics))
}

fn subscription_list(topics: &[Topic]) -> Vec<TopicSubscription> {
    topics
        .iter()
        .map(|&topic| TopicSubscription {
            pubsubname: PUBSUB.into(),
            topic: topic.name().into(),
            route: route(topic),
            dead_letter_topic: topic.dead_letter().into(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn delivery(path: &str, data: Value) -> Incoming {
        let body =
            json!({"id": "ce-1", "topic": "task-events", "pubsubname": "pubsub", "data": data});
        Incoming::new(
            http::Request::post(path)
                .body(serde_json::to_vec(&body).expect("JSON"))
                .expect("a request"),
        )
    }

    fn task_event_json() -> Value {
        json!({
            "event_id": "e-1", "event_type": "task.created", "schema_version": 1,
            "user_id": "alice", "task_id": 3, "task_version": 1, "seq": 1,
            "occurred_at": "2027-01-31T10:00:00Z",
            "task": {
                "id": 3, "user_id": "alice", "title": "Invoice", "description": null,
                "completed": false, "completed_at": null, "priority": "high",
                "tags": [], "category": null, "parent_task_id": null,
                "created_at": "2027-01-31T10:00:00Z", "updated_at": "2027-01-31T10:00:00Z",
                "due_date": null, "timezone": "UTC", "reminders": [], "recurrence": null,
                "series_id": null, "occurrence": 1, "version": 1,
            },
        })
    }

    #[test]
    fn the_subscription_list_names_each_topic_its_route_and_dead_letter_topic() {
        let list = serde_json::to_value(subscription_list(&[Topic::TaskEvents, Topic::Reminders]))
            .expect("JSON");
        assert_eq!(
            list,
            json!([
                {"pubsubname": "pubsub", "topic": "task-events",
                 "route": "/events/task-events", "deadLetterTopic": "task-events-dlq"},
                {"pubsubname": "pubsub", "topic": "reminders",
                 "route": "/events/reminders", "deadLetterTopic": "reminders-dlq"},
            ])
        );
    }

    #[test]
    fn a_delivery_names_only_a_consumed_topic() {
        let consumed = [Topic::TaskEvents];
        let topic_of = |path| delivered(&delivery(path, Value::Null), &consumed);
        assert_eq!(topic_of("/events/task-events"), Some(Topic::TaskEvents));
        assert_eq!(topic_of("/events/reminders"), None);
        assert_eq!(topic_of("/events/task-events-dlq"), None);
        assert_eq!(topic_of("/events"), None);
        let get = Incoming::new(
            http::Request::get("/events/task-events")
                .body(Vec::new())
                .expect("a request"),
        );
        assert_eq!(delivered(&get, &consumed), None);
    }

    #[test]
    fn a_valid_task_event_is_accepted() {
        let request = delivery("/events/task-events", task_event_json());
        let event = task_event("test", Topic::TaskEvents, &request).expect("a task event");
        assert_eq!((event.event_id.as_str(), event.task_id), ("e-1", 3));
    }

    #[test]
    fn anything_else_is_dropped_to_the_dead_letter_topic() {
        let mut missing_task = task_event_json();
        missing_task["task"] = Value::Null;
        let reminder = json!({
            "event_id": "r-1", "event_type": "reminder.due", "schema_version": 1,
            "user_id": "alice", "task_id": 3, "task_version": 1, "reminder_id": 1,
            "remind_at": "2027-01-31T10:00:00Z", "occurrence": 1, "title": "Invoice",
            "due_date": null, "occurred_at": "2027-01-31T10:00:00Z",
        });
        for data in [missing_task, reminder, json!("text"), Value::Null] {
            let request = delivery("/events/task-events", data.clone());
            assert_eq!(
                task_event("test", Topic::TaskEvents, &request).err(),
                Some(SubscriptionReply::Drop),
                "{data}"
            );
        }
        let not_a_cloud_event = Incoming::new(
            http::Request::post("/events/task-events")
                .body(b"{".to_vec())
                .expect("a request"),
        );
        assert_eq!(
            task_event("test", Topic::TaskEvents, &not_a_cloud_event).err(),
            Some(SubscriptionReply::Drop)
        );
    }
}
