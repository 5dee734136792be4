//! Authentication on every public task path: no token, a malformed one, a
//! bad signature or an expired token -> 401; another user's path -> 403;
//! always problem+json, and nothing is stored.

use anyhow::{Context, Result};
use e2e::Stack;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Every public task route, with a body where it takes one.
fn routes() -> Vec<(Method, &'static str, Option<serde_json::Value>)> {
    vec![
        (Method::POST, "/tasks", Some(json!({"title": "x"}))),
        (Method::GET, "/tasks", None),
        (Method::GET, "/tasks/search?q=x", None),
        (
            Method::GET,
            "/tasks/calendar?from=2030-01-01&to=2030-01-31",
            None,
        ),
        (Method::GET, "/tasks/1", None),
        (Method::PUT, "/tasks/1", Some(json!({"title": "x"}))),
        (Method::PATCH, "/tasks/1", Some(json!({"title": "x"}))),
        (Method::DELETE, "/tasks/1", None),
        (Method::PATCH, "/tasks/1/complete", None),
        (
            Method::PATCH,
            "/tasks/1/due-date",
            Some(json!({"due_date": "2030-01-01"})),
        ),
        (
            Method::POST,
            "/tasks/recurring",
            Some(
                json!({"title": "x", "due_date": "2030-01-01", "recurrence": {"frequency": "daily"}}),
            ),
        ),
        (
            Method::POST,
            "/tasks/reminder",
            Some(json!({"task_id": 1, "before_due": "PT5M"})),
        ),
    ]
}

/// Sends every route for `path_user` with `authorization` (or none) and
/// checks the answer is `status` naming `mention`.
async fn every_route(
    stack: &Stack,
    path_user: &str,
    authorization: Option<&str>,
    status: StatusCode,
    mention: &str,
) -> Result<()> {
    for (method, path, body) in routes() {
        let url = format!("{}/api/{path_user}{path}", stack.api);
        let mut request = stack.checked(method.clone(), &url);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request
            .send()
            .await?
            .expect_problem(status, &[mention])
            .with_context(|| format!("{method} {path} with {authorization:?}"))?;
    }
    Ok(())
}

/// `user`'s tasks, read with a valid token: must be none.
async fn nothing_stored(stack: &Stack, user: &str) -> Result<()> {
    let page = stack.get_json(user, "/tasks").await?;
    assert_eq!(page["total"], 0, "a refused request stored something");
    Ok(())
}

#[tokio::test]
async fn a_missing_or_malformed_token_is_401() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("auth-missing");
    every_route(
        &stack,
        &user,
        None,
        StatusCode::UNAUTHORIZED,
        "Authorization",
    )
    .await?;
    every_route(
        &stack,
        &user,
        Some("Basic YWxpY2U6c2VjcmV0"),
        StatusCode::UNAUTHORIZED,
        "Bearer",
    )
    .await?;
    every_route(
        &stack,
        &user,
        Some("Bearer not-a-jwt"),
        StatusCode::UNAUTHORIZED,
        "token",
    )
    .await?;
    every_route(&stack, &user, Some("Bearer "), StatusCode::UNAUTHORIZED, "").await?;
    nothing_stored(&stack, &user).await
}

#[tokio::test]
async fn a_badly_signed_or_expired_token_is_401() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("auth-bad");
    let now = chrono::Utc::now().timestamp();
    let forged = todo_auth::sign(
        &todo_auth::Claims {
            sub: user.clone(),
            iat: now,
            exp: now + 3600,
        },
        b"not the stack's secret, but long enough",
    );
    every_route(
        &stack,
        &user,
        Some(&format!("Bearer {forged}")),
        StatusCode::UNAUTHORIZED,
        "signature",
    )
    .await?;

    // A valid token with one character of its signature changed.
    let good = stack.token(&user);
    let (rest, signature) = good.rsplit_once('.').context("a JWT has three parts")?;
    let flipped: String = signature
        .chars()
        .enumerate()
        .map(|(i, c)| match (i, c) {
            (0, 'A') => 'B',
            (0, _) => 'A',
            _ => c,
        })
        .collect();
    every_route(
        &stack,
        &user,
        Some(&format!("Bearer {rest}.{flipped}")),
        StatusCode::UNAUTHORIZED,
        "",
    )
    .await?;

    let expired = stack.token_with_ttl(&user, -60);
    every_route(
        &stack,
        &user,
        Some(&format!("Bearer {expired}")),
        StatusCode::UNAUTHORIZED,
        "expired",
    )
    .await?;
    nothing_stored(&stack, &user).await
}

#[tokio::test]
async fn another_users_path_is_403_and_their_tasks_stay_untouched() -> Result<()> {
    let stack = Stack::from_env()?;
    let (owner, intruder) = (
        stack.new_user("auth-owner"),
        stack.new_user("auth-intruder"),
    );
    let task = stack
        .create_task(&owner, json!({"title": "Private"}))
        .await?;
    let intruders_token = format!("Bearer {}", stack.token(&intruder));
    every_route(
        &stack,
        &owner,
        Some(&intruders_token),
        StatusCode::FORBIDDEN,
        &owner,
    )
    .await?;
    let tasks = stack.all_tasks(&owner).await?;
    assert_eq!(tasks.len(), 1, "nothing was created or deleted");
    assert_eq!(tasks[0]["title"], "Private");
    assert_eq!(tasks[0]["version"], task["version"], "nothing was changed");
    assert_eq!(tasks[0]["completed"], false);
    nothing_stored(&stack, &intruder).await
}
