//! Deliveries from `task-events` and `reminders`.

use dapr_http::SubscriptionReply;
use service_kit::paged_log::Appended;
use service_kit::{Ctx, Incoming, Response, subscriber};
use todo_domain::Topic;

use crate::entry::AuditEntry;
use crate::store;

/// The topics audit consumes.
pub const TOPICS: [Topic; 2] = [Topic::TaskEvents, Topic::Reminders];

/// Records one delivered event. Invalid events are dropped to the
/// dead-letter topic with the reason logged; store failures are retried
/// (a bounded number of times, then dead-lettered: see dapr/components/resiliency.yaml).
pub async fn deliver(ctx: &Ctx, topic: Topic, request: &Incoming) -> Response {
    let outcome = match subscriber::accept(ctx.service, topic, request, |data| {
        AuditEntry::from_event(data, ctx.now)
    }) {
        Err(dropped) => dropped,
        Ok(entry) => match store::record(&ctx.dapr, &entry).await {
            Ok(Appended::Stored) => SubscriptionReply::Success,
            Ok(Appended::Duplicate) => {
                tracing::info!(
                    service = %ctx.service,
                    event_id = %entry.id,
                    "duplicate event ignored",
                );
                SubscriptionReply::Success
            }
            Err(e) => {
                tracing::error!(
                    service = %ctx.service,
                    event_id = %entry.id,
                    error = %e,
                    "could not store event",
                );
                SubscriptionReply::Retry
            }
        },
    };
    subscriber::reply(outcome)
}
