//! Hostile credentials against every user-scoped route the public port
//! serves, including the ones forwarded to audit and notifier and the
//! realtime WebSocket: each is refused with 401 (or 403 for another user's
//! valid token), as problem+json, and nothing is stored.

use anyhow::{Context, Result};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use e2e::Stack;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Every user-scoped route, with a body where it takes one.
fn routes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/tasks", None),
        (Method::POST, "/tasks", Some(json!({"title": "x"}))),
        (Method::GET, "/tasks/search?q=x", None),
        (
            Method::GET,
            "/tasks/calendar?from=2030-01-01&to=2030-01-31",
            None,
        ),
        (Method::PATCH, "/tasks/1/complete", None),
        (Method::POST, "/chat", Some(json!({"message": "add x"}))),
        (
            Method::POST,
            "/mcp",
            Some(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})),
        ),
        (Method::GET, "/audit", None),
        (Method::GET, "/notifications", None),
    ]
}

/// A JWT with any header and claims, signed HS256 with `secret`.
fn token(header: &Value, claims: &Value, secret: &[u8]) -> Result<String> {
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret)?;
    mac.update(input.as_bytes());
    Ok(format!(
        "{input}.{}",
        B64.encode(mac.finalize().into_bytes())
    ))
}

/// Tokens an attacker might try for `user`, each named.
fn attacks(stack: &Stack, user: &str) -> Result<Vec<(&'static str, String)>> {
    // The stack's JWT secret, as the services read it from the secret store.
    let secret = stack.secret("jwt-secret")?.into_bytes();
    let now = chrono::Utc::now().timestamp();
    let valid = json!({"sub": user, "iat": now, "exp": now + 3600});
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let unsigned = format!(
        "{}.{}.",
        B64.encode(json!({"alg": "none"}).to_string()),
        B64.encode(valid.to_string())
    );
    // Another user's token with the subject swapped, signature kept.
    let other = stack.token("somebody-else");
    let mut parts = other.split('.');
    let (head, _, signature) = (parts.next(), parts.next(), parts.next());
    let swapped = format!(
        "{}.{}.{}",
        head.unwrap_or_default(),
        B64.encode(valid.to_string()),
        signature.unwrap_or_default()
    );
    Ok(vec![
        ("alg none", unsigned),
        (
            "RS256 label, HMAC with the secret",
            token(&json!({"alg": "RS256"}), &valid, &secret)?,
        ),
        (
            "kid naming another key",
            token(
                &json!({"alg": "HS256", "kid": "attacker"}),
                &valid,
                b"attacker-key",
            )?,
        ),
        (
            "jku pointing at the attacker's keys",
            token(
                &json!({"alg": "HS256", "jku": "http://127.0.0.1:9/jwks"}),
                &valid,
                b"attacker-key",
            )?,
        ),
        ("subject swapped", swapped),
        (
            "expired",
            token(
                &hs256,
                &json!({"sub": user, "iat": now - 7200, "exp": now - 3600}),
                &secret,
            )?,
        ),
        (
            "not valid yet",
            token(
                &hs256,
                &json!({"sub": user, "iat": now, "nbf": now + 3600, "exp": now + 7200}),
                &secret,
            )?,
        ),
        ("oversized", format!("{}.e30.x", "a".repeat(8000))),
        ("garbage", "%%%.%%%.%%%".into()),
    ])
}

#[tokio::test]
async fn hostile_tokens_are_refused_on_every_route() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("sec-hostile");
    for (attack, bad) in attacks(&stack, &user)? {
        for (method, path, body) in routes() {
            let url = format!("{}/api/{user}{path}", stack.api);
            let mut request = stack.checked(method.clone(), &url).bearer_auth(&bad);
            if let Some(body) = body {
                request = request.json(&body);
            }
            request
                .send()
                .await?
                .expect_problem(StatusCode::UNAUTHORIZED, &[])
                .with_context(|| format!("{attack}: {method} {path}"))?;
        }
        // The WebSocket refuses it before the upgrade.
        let ws = stack.realtime.replacen("ws://", "http://", 1);
        let response = stack
            .raw(Method::GET, &format!("{ws}/ws"))
            .bearer_auth(&bad)
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{attack}: /ws");
    }
    let page = stack.get_json(&user, "/tasks").await?;
    assert_eq!(page["total"], 0, "a refused request stored something");
    Ok(())
}

#[tokio::test]
async fn one_users_token_opens_nothing_of_another() -> Result<()> {
    let stack = Stack::from_env()?;
    let (alice, bob) = (stack.new_user("sec-alice"), stack.new_user("sec-bob"));
    let alices = stack.token(&alice);
    for (method, path, body) in routes() {
        let url = format!("{}/api/{bob}{path}", stack.api);
        let mut request = stack.checked(method.clone(), &url).bearer_auth(&alices);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request
            .send()
            .await?
            .expect_problem(StatusCode::FORBIDDEN, &[&alice])
            .with_context(|| format!("{method} {path}"))?;
    }
    let page = stack.get_json(&bob, "/tasks").await?;
    assert_eq!(page["total"], 0, "alice's token stored something for bob");
    Ok(())
}
