//! Whether the broker was found unreachable a moment ago, shared by every
//! todo-api instance through the state store.
//!
//! While Kafka is down a publish fails only after Dapr's retries or its
//! publish timeout (about a second, up to 3 s). The first write that meets
//! such a failure marks the broker down. While the mark stands, writes of
//! every user skip the inline publish and leave their events to the relay,
//! so requests stay fast: no request waits for a failing publish again.
//! Relays wait `DOWN_FOR` after the last failure before probing the broker
//! (so they do not hammer it), and the first relay that publishes clears
//! the mark; then writes publish inline again.

use chrono::{DateTime, TimeDelta, Utc};
use dapr_http::{DaprClient, DaprError, StateOp, Transport};

use crate::records::{self, BROKER_KEY, BrokerMark, STORE};

/// How long relays wait after a failed publish before probing again.
const DOWN_FOR: TimeDelta = TimeDelta::seconds(10);

/// Marks the broker down for a while; best effort (a lost mark only costs
/// the next write one more failing publish).
pub async fn mark_down<T: Transport>(dapr: &DaprClient<T>, now: DateTime<Utc>) {
    let mark = BrokerMark {
        down_until: Some(now + DOWN_FOR),
    };
    if let Err(e) = put(dapr, &mark).await {
        tracing::warn!(error = %e, "could not mark the broker down");
    }
}

/// Clears the mark after a successful publish; best effort.
pub async fn mark_up<T: Transport>(dapr: &DaprClient<T>) {
    if let Err(e) = put(dapr, &BrokerMark::default()).await {
        tracing::warn!(error = %e, "could not mark the broker up");
    }
}

async fn put<T: Transport>(dapr: &DaprClient<T>, mark: &BrokerMark) -> Result<(), DaprError> {
    dapr.transact_state(
        STORE,
        &[StateOp::upsert(BROKER_KEY, records::json(mark)?, None)],
    )
    .await
}
