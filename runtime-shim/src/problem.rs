//! Error responses: RFC 9457 problem documents.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A `application/problem+json` response `{"type","title","status","detail"}`:
/// the shape every service component answers with (`service_kit::Problem`),
/// `type` named after the status's reason phrase.
pub fn problem(status: StatusCode, detail: impl Into<String>) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = serde_json::json!({
        "type": format!("https://todo.example/problems/{}", title.to_lowercase().replace(' ', "-")),
        "title": title,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The shim's problems have exactly the components' shape.
    #[tokio::test]
    async fn a_problem_is_the_components_problem() {
        for (status, detail) in [
            (StatusCode::UNAUTHORIZED, "no token"),
            (StatusCode::NOT_FOUND, "no such path on this service"),
            (StatusCode::SERVICE_UNAVAILABLE, "shutting down"),
        ] {
            let response = problem(status, detail);
            assert_eq!(response.status(), status);
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "application/problem+json"
            );
            let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .expect("a body");
            let shim: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
            let component =
                serde_json::to_value(service_kit::Problem::new(status, detail)).expect("JSON");
            assert_eq!(shim, component);
        }
    }
}
