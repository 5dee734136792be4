//! The request skeleton every component shares: health, the sidecar's
//! credentials, unknown routes and errors are answered the same way
//! everywhere, so a component's own code is its route table.

use crate::auth::SECRET_STORE;
use crate::{Ctx, Dapr, Incoming, Problem, Response, Settings};
use todo_auth::{SIDECAR_TOKEN_HEADER, SidecarToken};

/// The first path segments only a component's own sidecar may call:
/// the subscription list (`/dapr/subscribe`), deliveries (`/events/*`),
/// job callbacks (`/job/*`) and service invocations between services
/// (`/internal/*`).
const SIDECAR_ONLY: [&str; 4] = ["dapr", "events", "job", "internal"];

/// Key of the app token in the Dapr secret store, read when the host could
/// not put `APP_API_TOKEN` in the component's environment (a SpinApp cannot
/// hand a Kubernetes Secret to a component's environment).
pub const SIDECAR_TOKEN_SECRET_KEY: &str = "app-api-token";

/// Serves one request to `service`: `GET /healthz` answers at once; a
/// sidecar-only path needs the sidecar's app token (401 otherwise, before
/// the body is read); everything else goes to `routes` with the request's
/// [`Ctx`], and their errors become problem+json. Every component's entry
/// point is this call with its route table.
pub async fn serve(
    service: &'static str,
    request: http::Request<Vec<u8>>,
    routes: impl AsyncFnOnce(&Ctx, &Incoming) -> Result<Response, Problem>,
) -> Response {
    crate::log::init();
    let mut request = Incoming::new(request);
    let result = async {
        if request.path() == ["healthz"] {
            if request.method != http::Method::GET {
                return Err(Problem::method_not_allowed(&request, &[http::Method::GET]));
            }
            return Ok(crate::json(http::StatusCode::OK, &"ok"));
        }
        let settings = Settings::from_env();
        let ctx = Ctx::new(service, &settings, &request);
        if is_sidecar_only(&request) {
            check_sidecar(&settings, &ctx.dapr, &request).await?;
            request.from_sidecar = true;
        }
        routes(&ctx, &request).await
    }
    .await;
    result.unwrap_or_else(Problem::into_response)
}

fn is_sidecar_only(request: &Incoming) -> bool {
    request
        .segments
        .first()
        .is_some_and(|first| SIDECAR_ONLY.contains(&first.as_str()))
}

/// 401 unless the request carries the token this component's sidecar was
/// given. With no token configured every sidecar-only call is refused:
/// failing closed, with a log line naming the missing setting.
async fn check_sidecar(
    settings: &Settings,
    dapr: &Dapr,
    request: &Incoming,
) -> Result<(), Problem> {
    let expected = match settings.sidecar_token.clone() {
        Some(token) => Some(token),
        None => dapr
            .get_secret(SECRET_STORE, SIDECAR_TOKEN_SECRET_KEY)
            .await
            .ok()
            .and_then(SidecarToken::new),
    };
    let Some(expected) = expected else {
        tracing::error!(
            fix = "set APP_API_TOKEN for the component and its daprd, or 'app-api-token' in the secret store",
            "no sidecar token configured; refusing every call on the sidecar's routes",
        );
        return Err(Problem::unauthorized(
            "this route is for the service's Dapr sidecar only",
        ));
    };
    if expected.matches(request.header(SIDECAR_TOKEN_HEADER)) {
        Ok(())
    } else {
        Err(Problem::unauthorized(
            "this route is for the service's Dapr sidecar only; it needs the sidecar's 'dapr-api-token'",
        ))
    }
}
