//! Deliveries from `task-events` and `reminders`.

use dapr_http::{SubscriptionReply, TopicSubscription};
use service_kit::paged_log::Appended;
use service_kit::{Dapr, Incoming, Response, log, subscriber};

use todo_domain::Topic;
use todo_domain::names::PUBSUB;

use crate::entry::AuditEntry;
use crate::store;

const TOPICS: [Topic; 2] = [Topic::TaskEvents, Topic::Reminders];

/// `GET /dapr/subscribe`: both topics, each with its dead-letter topic.
pub fn subscriptions() -> Response {
    let list: Vec<TopicSubscription> = TOPICS
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

/// Records one delivered event. Invalid events are dropped to the
/// dead-letter topic with the reason logged; store failures are retried
/// (a bounded number of times, then dead-lettered: see dapr/components/resiliency.yaml).
pub async fn deliver(dapr: &Dapr, topic: &str, request: &Incoming) -> Response {
    let outcome = match subscriber::decode(request)
        .and_then(|event| AuditEntry::from_event(&event.data, chrono::Utc::now()))
    {
        Err(reason) => subscriber::poison("audit", topic, request, &reason),
        Ok(entry) => match store::record(dapr, &entry).await {
            Ok(Appended::Stored) => SubscriptionReply::Success,
            Ok(Appended::Duplicate) => {
                log::info(
                    "duplicate event ignored",
                    &[("service", &"audit"), ("event_id", &entry.id)],
                );
                SubscriptionReply::Success
            }
            Err(e) => {
                log::error(
                    "could not store event",
                    &[
                        ("service", &"audit"),
                        ("event_id", &entry.id),
                        ("error", &e),
                    ],
                );
                SubscriptionReply::Retry
            }
        },
    };
    subscriber::reply(outcome)
}
