//! Subscriber side of Dapr pub/sub: decoding deliveries and answering them.

use dapr_http::{CloudEvent, SubscriptionReply};

use crate::{Incoming, Response};

/// Decodes a delivery. A body that is not a CloudEvent is a poison message.
pub fn decode(request: &Incoming) -> Result<CloudEvent, String> {
    serde_json::from_slice(&request.body).map_err(|e| format!("not a CloudEvent: {e}"))
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
