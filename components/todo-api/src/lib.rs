//! todo-api: the system of record for tasks and the public HTTP face.
//!
//! Stores tasks through its sidecar's state API only, commits every change
//! together with its events (see `outbox`), and serves the public paths of
//! audit and notifier by service invocation so clients keep one origin.
//! `POST /api/{user}/chat` manages tasks in everyday English (see `chat`).
//! It also serves the web app from the same origin (see `web`).

mod broker;
mod chat;
mod commit;
mod contention;
#[cfg(test)]
mod fake_sidecar;
mod forward;
mod mcp;
mod migrate;
mod outbox;
mod records;
mod routes;
#[cfg(test)]
mod storage_tests;
mod store;
mod tasks;
mod web;

use service_kit::Response;
use spin_sdk::http_component;

#[http_component]
async fn handle(request: http::Request<Vec<u8>>) -> Response {
    service_kit::serve("todo-api", request, routes::route).await
}
