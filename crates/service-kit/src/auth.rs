//! Bearer-token checks for the public API. The HS256 secret lives in the
//! Dapr secret store (`secretstore`, key `jwt-secret`). A host that can hand
//! it to the component's environment (`JWT_SECRET`: `wasmtime serve --env`,
//! a Kubernetes Secret) saves the secret-store call on every request: a
//! wasi:http component gets a fresh instance per request, so nothing read
//! from the store can be kept between requests.

use todo_domain::UserId;

use crate::{Dapr, Incoming, Problem};

/// The Dapr secret store component and the JWT secret's key in it.
pub use todo_domain::names::{JWT_SECRET_KEY, SECRET_STORE};
/// The environment variable that may hold the same secret.
pub const JWT_SECRET_ENV: &str = "JWT_SECRET";

/// The user a path names (`/api/{user_id}/...`), parsed once here, at the
/// edge: 400 when it is not a user id (only valid ids own data).
pub fn user_in_path(segment: &str) -> Result<UserId, Problem> {
    UserId::parse(segment).map_err(|_| {
        Problem::bad_request(format!(
            "'{segment}' is not a valid user id: use 1-64 letters, digits or _ . @ -"
        ))
    })
}

/// Checks that the request carries a valid token whose subject is the
/// path's `user_id`, and returns that user: 401 when the token is missing,
/// malformed, badly signed or expired; 403 when it belongs to another user;
/// then 400 when the path's user is not a user id ([`user_in_path`]).
pub async fn require_user(
    dapr: &Dapr,
    request: &Incoming,
    user_id: &str,
    now_unix: i64,
) -> Result<UserId, Problem> {
    let header = request.header(http::header::AUTHORIZATION).ok_or_else(|| {
        Problem::unauthorized(
            "send 'Authorization: Bearer <token>'; see the README for getting a token",
        )
    })?;
    let token = todo_auth::bearer(header).ok_or_else(|| {
        Problem::unauthorized("the Authorization header must be 'Bearer <token>'")
    })?;
    let secret = match std::env::var(JWT_SECRET_ENV) {
        Ok(secret) if !secret.is_empty() => secret,
        _ => dapr
            .get_secret(SECRET_STORE, JWT_SECRET_KEY)
            .await
            .map_err(Problem::unavailable)?,
    };
    let claims = todo_auth::verify(token, secret.as_bytes(), now_unix)
        .map_err(|e| Problem::unauthorized(e.to_string()))?;
    if claims.sub != user_id {
        return Err(Problem::forbidden(format!(
            "this token is for user '{}', not '{user_id}'",
            claims.sub
        )));
    }
    user_in_path(user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_user_is_parsed_once_into_a_user_id_or_refused_with_400() {
        assert_eq!(
            user_in_path("alice@example.com").unwrap().as_str(),
            "alice@example.com"
        );
        for bad in ["", "al ice", "a/b", &"x".repeat(65)] {
            let problem = user_in_path(bad).unwrap_err();
            assert_eq!(problem.status(), 400, "{bad}");
            assert!(problem.detail().contains("not a valid user id"), "{bad}");
        }
    }
}
