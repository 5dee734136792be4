use chrono::{DateTime, Utc};

use crate::{Dapr, Incoming, Settings};

/// What every handler needs, built once per request by [`crate::serve`]
/// before it routes.
pub struct Ctx {
    /// The service's name, as its log lines and dead-letter reports give it.
    pub service: &'static str,
    /// This service's sidecar; its calls join the request's trace.
    pub dapr: Dapr,
    /// The request's clock reading: one "now" for everything it decides.
    pub now: DateTime<Utc>,
}

impl Ctx {
    /// The context for serving `request` as `service`.
    pub fn new(service: &'static str, settings: &Settings, request: &Incoming) -> Self {
        Self {
            service,
            dapr: settings.dapr_for(request),
            now: Utc::now(),
        }
    }
}
