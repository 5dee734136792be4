use chrono::{DateTime, Utc};
use service_kit::{Dapr, Settings};

/// What every handler needs: the sidecar and the request's clock reading.
pub struct Ctx {
    pub dapr: Dapr,
    pub now: DateTime<Utc>,
}

impl Ctx {
    pub fn from_env() -> Self {
        Self {
            dapr: Settings::from_env().dapr(),
            now: Utc::now(),
        }
    }
}
