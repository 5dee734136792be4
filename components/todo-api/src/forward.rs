//! Public paths served by other services, reached by Dapr service
//! invocation so that clients keep one origin. The caller's credentials go
//! along; the callee checks them again.

use service_kit::{Incoming, Problem, Response};

use crate::context::Ctx;

pub async fn to(ctx: &Ctx, app_id: &str, req: &Incoming) -> Result<Response, Problem> {
    let headers: Vec<_> = [http::header::AUTHORIZATION, http::header::CONTENT_TYPE]
        .into_iter()
        .filter_map(|name| req.headers.get(&name).map(|v| (name, v.clone())))
        .collect();
    let response = ctx
        .dapr
        .invoke(
            app_id,
            req.method.clone(),
            &req.path_and_query(),
            &headers,
            req.body.clone(),
        )
        .await
        .map_err(Problem::unavailable)?;
    if response.status().is_server_error()
        && response.status() != http::StatusCode::SERVICE_UNAVAILABLE
    {
        // Dapr answers 500 when the target app cannot be reached.
        return Err(Problem::unavailable(format!(
            "{app_id} answered {}: {}",
            response.status(),
            String::from_utf8_lossy(response.body())
        )));
    }
    Ok(response)
}
