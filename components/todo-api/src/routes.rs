//! The route table: every public and internal path of todo-api. `/healthz`
//! and the sidecar's credentials on `/dapr`, `/job` and `/internal` are
//! answered before it, by `service_kit::serve`.

use http::Method;
use service_kit::{Incoming, Problem, Response};
use todo_domain::UserId;

use crate::{chat, forward, mcp, outbox, tasks, web};
use service_kit::Ctx;

const OPENAPI: &str = include_str!("../openapi.json");

pub async fn route(ctx: &Ctx, req: &Incoming) -> Result<Response, Problem> {
    let path = req.path();
    match (&req.method, path.as_slice()) {
        (&Method::GET, ["api", "openapi.json"]) => Ok(openapi()),
        (_, ["api", "openapi.json"]) => Err(Problem::method_not_allowed(req, &[Method::GET])),
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
            let user = service_kit::auth::user_in_path(user)?;
            tasks::create_instance(ctx, req, &user).await
        }
        (_, ["api", user, rest @ ..]) => {
            let user =
                service_kit::auth::require_user(&ctx.dapr, req, user, ctx.now.timestamp()).await?;
            user_route(ctx, req, &user, rest).await
        }
        _ if web::handles(req) => web::serve(ctx, req).await,
        _ => Err(Problem::no_route(req)),
    }
}

async fn user_route(
    ctx: &Ctx,
    req: &Incoming,
    user: &UserId,
    rest: &[&str],
) -> Result<Response, Problem> {
    // A path that exists but does not take this method: 405 before anything
    // else reads it (`PUT /tasks/calendar` is not a task id).
    if let Some(allow) = allowed_methods(rest).filter(|allow| !allow.contains(&req.method)) {
        return Err(if rest == ["mcp"] && req.method == Method::GET {
            mcp::no_event_stream().with_allow(allow)
        } else {
            Problem::method_not_allowed(req, allow)
        });
    }
    let id = |s: &str| -> Result<u64, Problem> {
        s.parse().ok().filter(|id| *id > 0).ok_or_else(|| {
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
        (&Method::POST, ["tasks", "preview"]) => web::preview(ctx, req),
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
        (&Method::GET, ["audit"]) => forward::to(ctx, "audit", req).await,
        (&Method::GET, ["notifications"]) => forward::to(ctx, "notifier", req).await,
        (&Method::POST, ["notifications", id, "read"]) => {
            forward::notification_id(id)?;
            forward::to(ctx, "notifier", req).await
        }
        _ => Err(Problem::no_route(req)),
    }
}

/// The methods each path under `/api/{user_id}/` takes (`rest` is the path
/// after the user), as the OpenAPI document declares them; `None` for a
/// path that does not exist. A test keeps this table equal to the document,
/// so every other method gets 405 with an `Allow` header.
fn allowed_methods(rest: &[&str]) -> Option<&'static [Method]> {
    const GET: &[Method] = &[Method::GET];
    const POST: &[Method] = &[Method::POST];
    const PATCH: &[Method] = &[Method::PATCH];
    Some(match rest {
        ["tasks"] => &[Method::GET, Method::POST],
        ["tasks", "search" | "calendar"] | ["audit" | "notifications"] => GET,
        ["tasks", "recurring" | "reminder" | "preview"]
        | ["chat" | "mcp"]
        | ["notifications", _, "read"] => POST,
        ["tasks", _] => &[Method::GET, Method::PUT, Method::PATCH, Method::DELETE],
        ["tasks", _, "complete" | "due-date"] => PATCH,
        _ => return None,
    })
}

fn openapi() -> Response {
    let mut response = http::Response::new(OPENAPI.as_bytes().to_vec());
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every path of the OpenAPI document, with the methods it declares.
    fn documented() -> Vec<(String, BTreeSet<String>)> {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
        let paths = doc["paths"].as_object().expect("paths");
        paths
            .iter()
            .map(|(template, item)| {
                let methods = item
                    .as_object()
                    .expect("a path item")
                    .keys()
                    .filter(|k| !matches!(k.as_str(), "parameters" | "summary" | "description"))
                    .map(|k| k.to_uppercase())
                    .collect();
                (template.clone(), methods)
            })
            .collect()
    }

    #[test]
    fn allowed_methods_match_the_openapi_document() {
        let mut user_paths = 0;
        for (template, declared) in documented() {
            let Some(rest) = template.strip_prefix("/api/{user_id}/") else {
                // Served before the user routes: /healthz (service_kit::serve)
                // and /api/openapi.json, both GET only.
                assert_eq!(declared, BTreeSet::from(["GET".to_owned()]), "{template}");
                continue;
            };
            user_paths += 1;
            // A path parameter stands for any segment; "1" fits them all.
            let segments: Vec<&str> = rest
                .split('/')
                .map(|s| if s.starts_with('{') { "1" } else { s })
                .collect();
            let table: BTreeSet<String> = allowed_methods(&segments)
                .unwrap_or_else(|| panic!("{template} is missing from allowed_methods"))
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect();
            assert_eq!(table, declared, "{template}");
        }
        assert!(user_paths > 10, "the document lists the user paths");
    }

    #[test]
    fn paths_outside_the_document_have_no_methods() {
        for rest in [
            &["tasks", "1", "x"][..],
            &["task"],
            &[],
            &["notifications", "1"],
        ] {
            assert!(allowed_methods(rest).is_none(), "{rest:?}");
        }
    }
}

#[cfg(test)]
mod time_zones {
    /// The document's `TimeZone` enum is exactly the names the server
    /// parses, so a schema-valid zone is never refused and no other is taken.
    #[test]
    fn the_time_zone_enum_is_the_servers_list() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).expect("JSON");
        let documented: Vec<&str> = doc["components"]["schemas"]["TimeZone"]["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        let mut served: Vec<&str> = todo_domain::TimeZone::names().collect();
        served.sort_unstable();
        if documented != served {
            let _ = std::fs::write(
                std::env::temp_dir().join("iana-time-zones.json"),
                serde_json::to_string(&served).unwrap_or_default(),
            );
            panic!(
                "TimeZone differs from the server's zones; the server's list is in $TMPDIR/iana-time-zones.json"
            );
        }
    }
}
