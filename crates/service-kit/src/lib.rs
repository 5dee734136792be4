//! The plumbing every service component shares, so that a component's own
//! code is its route table and its handlers.
//!
//! - [`SpinTransport`]: the Dapr client's transport over Spin/wasi outbound HTTP.
//! - [`Problem`]: one mapping of errors to `application/problem+json`.
//! - [`serve`]: the request skeleton (health, the sidecar's token, errors),
//!   handing each route a [`Ctx`] built once per request.
//! - [`Incoming`]: a parsed request (path segments, query pairs, JSON body).
//! - [`auth`]: bearer-token checks against the JWT secret in the Dapr secret store.
//! - [`subscriber`]: decoding Dapr deliveries and replying to them.
//! - [`paged_log`]: per-user append-only logs (paged by the domain's `LogPaging`).

pub mod auth;
mod config;
mod context;
pub mod log;
pub mod paged_log;
mod problem;
mod request;
mod serve;
pub mod subscriber;
mod transport;

pub use config::Settings;
pub use context::Ctx;
pub use problem::{FieldError, Problem};
pub use request::{Incoming, MAX_BODY_BYTES};
pub use serve::{SIDECAR_TOKEN_SECRET_KEY, serve};
pub use transport::{Dapr, SpinTransport};

/// The response type every handler returns.
pub type Response = http::Response<Vec<u8>>;

/// A JSON response with `status`.
pub fn json(status: http::StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => http::Response::builder()
            .status(status)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(bytes)
            .unwrap_or_else(|_| Problem::internal("could not build a response").into_response()),
        Err(e) => Problem::internal(format!("could not encode the response: {e}")).into_response(),
    }
}

/// An empty response with `status`.
pub fn empty(status: http::StatusCode) -> Response {
    let mut response = http::Response::new(Vec::new());
    *response.status_mut() = status;
    response
}
