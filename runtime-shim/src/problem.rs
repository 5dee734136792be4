//! Error responses: RFC 9457 problem documents.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A `application/problem+json` response `{"title","status","detail"}`.
pub fn problem(status: StatusCode, detail: impl Into<String>) -> Response {
    let body = serde_json::json!({
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail.into(),
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// 404 for any path this service does not serve.
pub async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "no such path on this service")
}
