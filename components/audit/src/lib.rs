//! audit: the immutable activity log.
//!
//! Consumes `task-events` and `reminders` through its own sidecar, stores
//! each event once (by `event_id`) in its own state store, and serves
//! `GET /api/{user_id}/audit` (reached through todo-api by service invocation).

mod entry;
mod ingest;
mod store;

use http::Method;
use service_kit::{Ctx, Incoming, Problem, Response, subscriber};
use spin_sdk::http_component;

#[http_component]
async fn handle(request: http::Request<Vec<u8>>) -> Response {
    service_kit::serve("audit", request, route).await
}

async fn route(ctx: &Ctx, request: &Incoming) -> Result<Response, Problem> {
    match (&request.method, request.path().as_slice()) {
        (&Method::GET, ["dapr", "subscribe"]) => Ok(subscriber::subscriptions(&ingest::TOPICS)),
        (&Method::POST, ["events", _]) => match subscriber::delivered(request, &ingest::TOPICS) {
            Some(topic) => Ok(ingest::deliver(ctx, topic, request).await),
            None => Err(Problem::no_route(request)),
        },
        (&Method::GET, ["api", user_id, "audit"]) => {
            let dapr = &ctx.dapr;
            let user = service_kit::auth::require_user(dapr, request, user_id, ctx.now.timestamp())
                .await?;
            let query = entry::AuditQuery::parse(&request.query)?;
            let page = store::list(dapr, &user, &query).await?;
            Ok(service_kit::json(http::StatusCode::OK, &page))
        }
        _ => Err(Problem::no_route(request)),
    }
}
