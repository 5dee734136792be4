//! Who a WebSocket is for: the HS256 JWT (see `todo-auth`) from the
//! `Authorization: Bearer` header or, for browsers, which cannot set
//! headers on a WebSocket, the `access_token` query parameter.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, header};
use todo_auth::Claims;

/// Checks the request's token; `Err` carries the detail for a 401.
/// The header wins when both are present.
pub fn authenticate(
    headers: &HeaderMap,
    access_token: Option<&str>,
    secret: &[u8],
    now_unix: i64,
) -> Result<Claims, String> {
    let token = match headers.get(header::AUTHORIZATION) {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(todo_auth::bearer)
            .ok_or("the Authorization header must be 'Bearer <token>'")?,
        None => access_token.filter(|t| !t.is_empty()).ok_or(
            "a token is required: send 'Authorization: Bearer <token>' or the access_token query parameter",
        )?,
    };
    todo_auth::verify(token, secret, now_unix).map_err(|e| e.to_string())
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const SECRET: &[u8] = b"s3cret";

    fn token(sub: &str, exp: i64) -> String {
        todo_auth::sign(
            &Claims {
                sub: sub.into(),
                exp,
                iat: 0,
            },
            SECRET,
        )
    }

    #[test]
    fn header_or_query() {
        let mut headers = HeaderMap::new();
        let t = token("alice", 100);
        assert_eq!(
            authenticate(&headers, Some(&t), SECRET, 50).unwrap().sub,
            "alice"
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {}", token("bob", 100))).unwrap(),
        );
        assert_eq!(
            authenticate(&headers, Some(&t), SECRET, 50).unwrap().sub,
            "bob"
        );
    }

    #[test]
    fn refusals_explain_themselves() {
        let mut headers = HeaderMap::new();
        assert!(
            authenticate(&headers, None, SECRET, 50)
                .unwrap_err()
                .contains("a token is required")
        );
        assert!(authenticate(&headers, Some(""), SECRET, 50).is_err());
        assert!(
            authenticate(&headers, Some(&token("a", 50)), SECRET, 50)
                .unwrap_err()
                .contains("expired")
        );
        assert!(
            authenticate(&headers, Some("x.y.z"), SECRET, 50)
                .unwrap_err()
                .contains("malformed")
        );
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(
            authenticate(&headers, Some(&token("a", 100)), SECRET, 50)
                .unwrap_err()
                .contains("Bearer")
        );
    }
}
