//! audit: the immutable activity log.
//!
//! Consumes `task-events` and `reminders` through its own sidecar, stores
//! each event once (by `event_id`) in its own state store, and serves
//! `GET /api/{user_id}/audit` (reached through todo-api by service invocation).

mod entry;
mod ingest;
mod store;

use http::Method;
use service_kit::{Incoming, Problem, Response, Settings};
use spin_sdk::http_component;

#[http_component]
async fn handle(request: http::Request<Vec<u8>>) -> Response {
    service_kit::serve(request, route).await
}

async fn route(request: &Incoming) -> Result<Response, Problem> {
    let dapr = Settings::from_env().dapr_for(request);
    match (&request.method, request.path().as_slice()) {
        (&Method::GET, ["dapr", "subscribe"]) => Ok(ingest::subscriptions()),
        (&Method::POST, ["events", topic]) => Ok(ingest::deliver(&dapr, topic, request).await),
        (&Method::GET, ["api", user_id, "audit"]) => {
            let now = chrono::Utc::now();
            service_kit::auth::require_user(&dapr, request, user_id, now.timestamp()).await?;
            let query = entry::AuditQuery::parse(&request.query)?;
            let page = store::list(&dapr, user_id, &query).await?;
            Ok(service_kit::json(http::StatusCode::OK, &page))
        }
        _ => Err(Problem::no_route(request)),
    }
}
