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
use dapr_http::{DaprError, StateOp};
use serde::{Deserialize, Serialize};
use service_kit::{Dapr, log};

use crate::store::STORE;

/// The state key of the mark (one for the whole app).
pub const KEY: &str = "broker:pubsub";
/// How long relays wait after a failed publish before probing again.
const DOWN_FOR: TimeDelta = TimeDelta::seconds(10);

/// The stored mark.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BrokerMark {
    /// Publishing is skipped until then.
    pub down_until: Option<DateTime<Utc>>,
}

impl BrokerMark {
    /// Writes leave publishing to the relay while the mark stands.
    pub fn is_marked(&self) -> bool {
        self.down_until.is_some()
    }

    /// Relays wait until then before they probe the broker again.
    pub fn wait_before_probe(&self, now: DateTime<Utc>) -> bool {
        self.down_until.is_some_and(|until| until > now)
    }
}

/// Marks the broker down for a while; best effort (a lost mark only costs
/// the next write one more failing publish).
pub async fn mark_down(dapr: &Dapr, now: DateTime<Utc>) {
    let mark = BrokerMark {
        down_until: Some(now + DOWN_FOR),
    };
    if let Err(e) = put(dapr, &mark).await {
        log::warn("could not mark the broker down", &[("error", &e)]);
    }
}

/// Clears the mark after a successful publish; best effort.
pub async fn mark_up(dapr: &Dapr) {
    if let Err(e) = put(dapr, &BrokerMark::default()).await {
        log::warn("could not mark the broker up", &[("error", &e)]);
    }
}

async fn put(dapr: &Dapr, mark: &BrokerMark) -> Result<(), DaprError> {
    let value = serde_json::to_value(mark).map_err(|source| DaprError::Encode {
        operation: "broker mark".into(),
        source,
    })?;
    dapr.transact_state(STORE, &[StateOp::upsert(KEY, value, None)])
        .await
}
