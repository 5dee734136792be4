//! The route table: every public and internal path of todo-api. `/healthz`
//! and the sidecar's credentials on `/dapr`, `/job` and `/internal` are
//! answered before it, by `service_kit::serve`.

use http::Method;
use service_kit::{Incoming, Problem, Response};

use crate::context::Ctx;
use crate::{chat, forward, mcp, outbox, tasks, web};

const OPENAPI: &str = include_str!("../openapi.json");

pub async fn route(ctx: &Ctx, req: &Incoming) -> Result<Response, Problem> {
    let path = req.path();
    match (&req.method, path.as_slice()) {
        (&Method::GET, ["api", "openapi.json"]) => Ok(openapi()),
        (&Method::GET, ["dapr", "subscribe"]) => Ok(service_kit::subscriber::subscriptions(&[])),
        (&Method::POST, ["job", job]) => match job.strip_prefix("relay-") {
            Some(user) => {
                outbox::relay(&ctx.dapr, user, ctx.now).await?;
                Ok(service_kit::empty(http::StatusCode::OK))
            }
            // Unknown jobs are acknowledged (404 counts as done for Dapr) so they stop.
            None => Err(Problem::not_found(format!("no job handler for '{job}'"))),
        },
        (&Method::POST, ["internal", "users", user, "instances"]) => {
            tasks::create_instance(ctx, req, user).await
        }
        (_, ["api", user, rest @ ..]) => {
            service_kit::auth::require_user(&ctx.dapr, req, user, ctx.now.timestamp()).await?;
            user_route(ctx, req, user, rest).await
        }
        _ if web::handles(req) => web::serve(ctx, req).await,
        _ => Err(Problem::no_route(req)),
    }
}

async fn user_route(
    ctx: &Ctx,
    req: &Incoming,
    user: &str,
    rest: &[&str],
) -> Result<Response, Problem> {
    // Only valid user ids own data; a token may name anything.
    tasks::user_id(user)?;
    let id = |s: &str| -> Result<u64, Problem> {
        s.parse().map_err(|_| {
            Problem::not_found(format!(
                "'{s}' is not a task id; task ids are positive integers"
            ))
        })
    };
    match (&req.method, rest) {
        (&Method::POST, ["tasks"]) => tasks::create(ctx, req, user, tasks::Kind::Any).await,
        (&Method::GET, ["tasks"]) => tasks::list(ctx, req, user).await,
        (&Method::GET, ["tasks", "search"]) => tasks::search(ctx, req, user).await,
        (&Method::GET, ["tasks", "calendar"]) => tasks::calendar(ctx, req, user).await,
        (&Method::POST, ["tasks", "recurring"]) => {
            tasks::create(ctx, req, user, tasks::Kind::Recurring).await
        }
        (&Method::POST, ["tasks", "reminder"]) => tasks::add_reminder(ctx, req, user).await,
        (&Method::POST, ["tasks", "preview"]) => web::preview(ctx, req, user),
        (&Method::GET, ["tasks", task]) => tasks::get(ctx, user, id(task)?).await,
        (&Method::PUT, ["tasks", task]) => tasks::replace(ctx, req, user, id(task)?).await,
        (&Method::PATCH, ["tasks", task]) => tasks::patch(ctx, req, user, id(task)?).await,
        (&Method::DELETE, ["tasks", task]) => tasks::delete(ctx, req, user, id(task)?).await,
        (&Method::PATCH, ["tasks", task, "complete"]) => {
            tasks::complete(ctx, req, user, id(task)?).await
        }
        (&Method::PATCH, ["tasks", task, "due-date"]) => {
            tasks::change_due(ctx, req, user, id(task)?).await
        }
        (&Method::POST, ["chat"]) => chat::chat(ctx, req, user).await,
        (&Method::POST, ["mcp"]) => mcp::mcp(ctx, req, user).await,
        (&Method::GET, ["mcp"]) => Err(mcp::no_event_stream()),
        (&Method::GET, ["audit"]) => forward::to(ctx, "audit", req).await,
        (&Method::GET, ["notifications"]) | (&Method::POST, ["notifications", _, "read"]) => {
            forward::to(ctx, "notifier", req).await
        }
        _ => Err(Problem::no_route(req)),
    }
}

fn openapi() -> Response {
    let mut response = http::Response::new(OPENAPI.as_bytes().to_vec());
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
