//! Bearer-token checks for the public API. The HS256 secret lives in the
//! Dapr secret store (`secretstore`, key `jwt-secret`).

use crate::{Dapr, Incoming, Problem};

/// Name of the Dapr secret store component.
pub const SECRET_STORE: &str = "secretstore";
/// Key of the JWT signing secret in that store.
pub const JWT_SECRET_KEY: &str = "jwt-secret";

/// Checks that the request carries a valid token whose subject is `user_id`:
/// 401 when the token is missing, malformed, badly signed or expired; 403
/// when it belongs to another user.
pub async fn require_user(
    dapr: &Dapr,
    request: &Incoming,
    user_id: &str,
    now_unix: i64,
) -> Result<(), Problem> {
    let header = request.header(http::header::AUTHORIZATION).ok_or_else(|| {
        Problem::unauthorized(
            "send 'Authorization: Bearer <token>'; see the README for getting a token",
        )
    })?;
    let token = todo_auth::bearer(header).ok_or_else(|| {
        Problem::unauthorized("the Authorization header must be 'Bearer <token>'")
    })?;
    let secret = dapr
        .get_secret(SECRET_STORE, JWT_SECRET_KEY)
        .await
        .map_err(Problem::unavailable)?;
    let claims = todo_auth::verify(token, secret.as_bytes(), now_unix)
        .map_err(|e| Problem::unauthorized(e.to_string()))?;
    if claims.sub != user_id {
        return Err(Problem::forbidden(format!(
            "this token is for user '{}', not '{user_id}'",
            claims.sub
        )));
    }
    Ok(())
}
