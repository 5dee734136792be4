use serde::{Deserialize, Serialize};

/// A message as Dapr delivers it to a subscriber: a CloudEvents 1.0 envelope
/// around the published JSON in `data`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct CloudEvent {
    /// Dapr's id for this delivery (not our `event_id`).
    #[serde(default)]
    pub id: String,
    /// The topic the message came from.
    #[serde(default)]
    pub topic: String,
    /// The pub/sub component it came through.
    #[serde(default)]
    pub pubsubname: String,
    /// W3C trace context of the publisher.
    #[serde(default)]
    pub traceparent: Option<String>,
    /// The published payload.
    #[serde(default)]
    pub data: serde_json::Value,
}

/// What a subscriber tells Dapr about a delivered message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionReply {
    /// Processed (or already processed): commit the offset.
    Success,
    /// A transient failure: deliver again, as the resiliency policy says.
    Retry,
    /// A poison message: never deliver again; Dapr moves it to the dead-letter topic.
    Drop,
}

impl SubscriptionReply {
    /// The JSON body Dapr expects, sent with HTTP 200.
    pub fn body(self) -> &'static str {
        match self {
            SubscriptionReply::Success => r#"{"status":"SUCCESS"}"#,
            SubscriptionReply::Retry => r#"{"status":"RETRY"}"#,
            SubscriptionReply::Drop => r#"{"status":"DROP"}"#,
        }
    }
}

/// One entry of a programmatic subscription list (`GET /dapr/subscribe`).
#[derive(Clone, Debug, Serialize)]
pub struct TopicSubscription {
    /// Pub/sub component name.
    pub pubsubname: String,
    /// Topic to consume.
    pub topic: String,
    /// App path the messages are posted to.
    pub route: String,
    /// Where dropped and exhausted messages go.
    #[serde(rename = "deadLetterTopic")]
    pub dead_letter_topic: String,
}
