//! The routes only a service's own sidecar may call (`/dapr`, `/events`,
//! `/job`, `/internal`) refuse everyone else on every service's port, and
//! the caller identity a client could forge (`dapr-caller-app-id`) means
//! nothing without the sidecar's app token.

use anyhow::Result;
use e2e::Stack;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Every sidecar-only route of every service, as (service, method, path),
/// called on the service's own port (realtime's app port, not its public one).
const SIDECAR_ROUTES: [(&str, &str, &str); 10] = [
    ("todo-api", "GET", "/dapr/subscribe"),
    ("todo-api", "POST", "/job/relay-mallory"),
    ("todo-api", "POST", "/internal/users/mallory/instances"),
    ("recurring", "GET", "/dapr/subscribe"),
    ("recurring", "POST", "/events/task-events"),
    ("notifier", "POST", "/events/reminders"),
    ("notifier", "POST", "/job/reminder-mallory"),
    ("audit", "GET", "/dapr/subscribe"),
    ("audit", "POST", "/events/task-events"),
    ("realtime", "POST", "/events/task-updates"),
];

#[tokio::test]
async fn sidecar_routes_refuse_requests_without_the_sidecars_token() -> Result<()> {
    let stack = Stack::from_env()?;
    for (service, method, path) in SIDECAR_ROUTES {
        let app = stack.app_url(service)?;
        let url = format!("{app}{path}");
        for token in [None, Some("not-the-token"), Some("")] {
            let mut request = stack
                .raw(Method::from_bytes(method.as_bytes())?, &url)
                .header("dapr-caller-app-id", "recurring")
                .json(&json!({}));
            if let Some(token) = token {
                request = request.header("dapr-api-token", token);
            }
            let response = request.send().await?;
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {url} with token {token:?}"
            );
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json",
                "{method} {url}"
            );
        }
        // Health stays open for probes on the same port.
        let health = format!("{app}/healthz");
        assert_eq!(stack.raw(Method::GET, &health).send().await?.status(), 200);
    }
    Ok(())
}

/// The hole this closes: a client posting a next instance with a forged
/// `dapr-caller-app-id: recurring` got past the caller check to the body's
/// validation, so a well-formed body planted a task in any user's list. Now
/// the request is refused before its body is read.
#[tokio::test]
async fn a_forged_caller_header_plants_nothing() -> Result<()> {
    let stack = Stack::from_env()?;
    let victim = stack.new_user("victim");
    let instance = json!({
        "user_id": victim,
        "series_id": "00000000-0000-4000-8000-000000000000",
        "occurrence": "2030-01-01T09:00:00Z",
        "task": {"title": "planted"}
    });
    let url = format!("{}/internal/users/{victim}/instances", stack.api);
    let response = stack
        .raw(Method::POST, &url)
        .header("dapr-caller-app-id", "recurring")
        .json(&instance)
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let tasks = stack.get_json(&victim, "/tasks").await?;
    assert_eq!(tasks["items"], json!([]), "nothing was planted: {tasks}");

    // With the sidecar's token the header is believed, and only recurring
    // may create instances: another caller is refused before the body is read.
    let response = stack
        .raw(Method::POST, &url)
        .header("dapr-api-token", stack.secret("app-api-token")?)
        .header("dapr-caller-app-id", "audit")
        .json(&instance)
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let tasks = stack.get_json(&victim, "/tasks").await?;
    assert_eq!(tasks["items"], json!([]), "nothing was planted: {tasks}");
    Ok(())
}
