//! Subscriber side of Dapr pub/sub: decoding deliveries and answering them.

use dapr_http::{CloudEvent, SubscriptionReply};

use crate::{Incoming, Response};

/// Decodes a delivery. A body that is not a CloudEvent is a poison message.
pub fn decode(request: &Incoming) -> Result<CloudEvent, String> {
    serde_json::from_slice(&request.body).map_err(|e| format!("not a CloudEvent: {e}"))
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
    crate::log::warn(
        "dropping invalid event to the dead-letter topic",
        &[
            ("service", &service),
            ("topic", &topic),
            ("reason", &reason),
            ("cloudevent_id", &text(envelope.get("id"))),
            ("event_id", &text(envelope.pointer("/data/event_id"))),
        ],
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

/// The programmatic subscription list for `GET /dapr/subscribe`.
pub fn subscriptions(list: &[dapr_http::TopicSubscription]) -> Response {
    crate::json(http::StatusCode::OK, &list)
}
