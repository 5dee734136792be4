use chrono::{DateTime, Utc};
use service_kit::{Dapr, Incoming, Settings};

/// What every handler needs: the sidecar and the request's clock reading.
pub struct Ctx {
    pub dapr: Dapr,
    pub now: DateTime<Utc>,
}

impl Ctx {
    /// The context for serving `request`: its sidecar calls join the request's trace.
    pub fn for_request(request: &Incoming) -> Self {
        Self {
            dapr: Settings::from_env().dapr_for(request),
            now: Utc::now(),
        }
    }
}
