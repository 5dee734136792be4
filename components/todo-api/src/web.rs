//! The web app, served from the API's own origin (so no CORS): the built
//! files of `web/` embedded by `build.rs`, the app's settings, the stack's
//! dev sign-in and the quick-add preview.
//!
//! Hashed `/assets/*` are cached for a year (their names change with their
//! content); `index.html` is never cached, so a new build is picked up on
//! the next load. The app's own paths (`/tasks`, `/calendar`, ...) answer
//! with `index.html` (the app routes them); any other path stays a 404.

use http::{HeaderValue, Method, StatusCode, header};
use serde_json::{Value, json};
use service_kit::{Incoming, Problem, Response};
use todo_domain::{NewTask, TimeZone, UserId, chat};

use service_kit::Ctx;

/// One embedded file of the built app.
pub struct Asset {
    /// Its path under `web/dist`, `/`-separated.
    name: &'static str,
    body: &'static [u8],
    /// The `.gz` twin `npm run build` wrote beside it, if any.
    gzip: Option<&'static [u8]>,
}

mod assets {
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

/// First path segments the app routes itself (answered with `index.html`).
const APP_PATHS: &[&str] = &[
    "tasks",
    "calendar",
    "chat",
    "notifications",
    "activity",
    "sign-in",
];

/// The environment variable with the realtime WebSocket URL the app should
/// use (`ws://127.0.0.1:8081/ws` on the local stack). Unset: the app uses
/// `/ws` on its own origin, which the Kubernetes Ingress routes to realtime.
const REALTIME_URL_VAR: &str = "TODO_WEB_REALTIME_URL";
/// `1` enables `POST /app/dev-sign-in` (scripts/stack sets it; Helm never does).
const DEV_SIGN_IN_VAR: &str = "TODO_DEV_SIGN_IN";
/// How long a dev sign-in token lasts.
const DEV_TOKEN_SECS: i64 = 12 * 3600;

/// Whether this request is for the web app (and not the API).
pub fn handles(req: &Incoming) -> bool {
    let path = req.path();
    match (&req.method, path.as_slice()) {
        (_, ["app", ..]) => true,
        (&Method::GET, [] | ["assets", _] | ["index.html"]) => true,
        (&Method::GET, [first, ..]) => APP_PATHS.contains(first),
        _ => false,
    }
}

/// Serves a request [`handles`] accepted.
pub async fn serve(ctx: &Ctx, req: &Incoming) -> Result<Response, Problem> {
    let path = req.path();
    match (&req.method, path.as_slice()) {
        (&Method::GET, ["app", "config.json"]) => Ok(config()),
        (&Method::POST, ["app", "dev-sign-in"]) => dev_sign_in(ctx, req).await,
        (&Method::GET, ["assets", file]) => {
            let name = format!("assets/{file}");
            file_response(req, &name, "public, max-age=31536000, immutable")
                .ok_or_else(|| Problem::not_found(format!("no asset /{name}; reload the app")))
        }
        (&Method::GET, _) if path.first() != Some(&"app") => {
            file_response(req, "index.html", "no-store")
                .ok_or_else(|| Problem::internal("the web app has no index.html"))
        }
        _ => Err(Problem::not_found(format!(
            "no route for {} /{}; the app's endpoints are GET /app/config.json and POST /app/dev-sign-in",
            req.method,
            req.segments.join("/")
        ))),
    }
}

/// An embedded file with its caching, gzip when the client accepts it.
fn file_response(req: &Incoming, name: &str, cache: &'static str) -> Option<Response> {
    let asset = assets::FILES.iter().find(|a| a.name == name)?;
    let gzip = asset
        .gzip
        .filter(|_| accepts_gzip(req.header(header::ACCEPT_ENCODING).unwrap_or("")));
    let mut response = http::Response::new(gzip.unwrap_or(asset.body).to_vec());
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if gzip.is_some() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if name.ends_with(".html") {
        let csp = content_security_policy(realtime_url().as_deref());
        if let Ok(value) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    Some(response)
}

/// Whether an `Accept-Encoding` value allows gzip (and does not refuse it with `q=0`).
fn accepts_gzip(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let mut bits = part.split(';').map(str::trim);
        let coding = bits.next().unwrap_or("");
        let refused = bits.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/json",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// Scripts, styles and connections only from this origin, plus the realtime
/// WebSocket's origin when it is elsewhere (the local stack's own port).
fn content_security_policy(realtime: Option<&str>) -> String {
    let ws = realtime
        .and_then(|url| {
            let scheme_end = url.find("://")? + 3;
            let host_end = url[scheme_end..]
                .find('/')
                .map_or(url.len(), |i| scheme_end + i);
            Some(format!(" {}", &url[..host_end]))
        })
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{ws}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
    )
}

fn realtime_url() -> Option<String> {
    std::env::var(REALTIME_URL_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

fn dev_sign_in_enabled() -> bool {
    std::env::var(DEV_SIGN_IN_VAR).is_ok_and(|v| v.trim() == "1")
}

/// `GET /app/config.json`: what the app needs to know about this deployment.
fn config() -> Response {
    let mut response = service_kit::json(
        StatusCode::OK,
        &json!({"realtime_url": realtime_url(), "dev_sign_in": dev_sign_in_enabled()}),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST /app/dev-sign-in` `{"user": "alice"}`: a token for any user name,
/// signed with the stack's secret. Only where the stack enables it: it lets
/// anyone be anyone, which is what a local stack is for and nothing else.
async fn dev_sign_in(ctx: &Ctx, req: &Incoming) -> Result<Response, Problem> {
    if !dev_sign_in_enabled() {
        return Err(Problem::not_found(format!(
            "dev sign-in is off here ({DEV_SIGN_IN_VAR} is not 1): sign in with a token from your identity provider"
        )));
    }
    let body = req.json()?;
    let name = body
        .get("user")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    let user = UserId::parse(name)
        .map_err(|_| Problem::invalid_field("user", "must be 1-64 letters, digits or _ . @ -"))?;
    let secret = ctx
        .dapr
        .get_secret(
            service_kit::auth::SECRET_STORE,
            service_kit::auth::JWT_SECRET_KEY,
        )
        .await
        .map_err(Problem::unavailable)?;
    let now = ctx.now.timestamp();
    let claims = todo_auth::Claims {
        sub: user.as_str().to_owned(),
        iat: now,
        exp: now + DEV_TOKEN_SECS,
    };
    let token = todo_auth::sign(&claims, secret.as_bytes());
    Ok(service_kit::json(
        StatusCode::OK,
        &json!({"user": claims.sub, "token": token, "expires_at": claims.exp}),
    ))
}

/// `POST /api/{user}/tasks/preview` `{"text", "timezone"?}`: the task that
/// quick-add text would create (the chat's grammar) and what the API would
/// refuse in it, or the question the chat would ask back; nothing is stored.
pub fn preview(ctx: &Ctx, req: &Incoming) -> Result<Response, Problem> {
    let body = req.json()?;
    let mut errors = Vec::new();
    let text = match body.get("text").and_then(Value::as_str).map(str::trim) {
        Some(t) if !t.is_empty() && t.chars().count() <= chat::MAX_MESSAGE_CHARS => t,
        _ => {
            errors.push(service_kit::FieldError::new(
                "text",
                format!(
                    "must be text of 1 to {} characters",
                    chat::MAX_MESSAGE_CHARS
                ),
            ));
            ""
        }
    };
    let zone = match body.get("timezone") {
        None | Some(Value::Null) => Ok(TimeZone::default()),
        Some(v) => TimeZone::parse(v.as_str().unwrap_or("")).map_err(|e| e.to_string()),
    };
    let zone = zone.unwrap_or_else(|message| {
        errors.push(service_kit::FieldError::new("timezone", message));
        TimeZone::default()
    });
    if let Some(key) = body.as_object().and_then(|o| {
        o.keys()
            .find(|k| !matches!(k.as_str(), "text" | "timezone"))
    }) {
        errors.push(service_kit::FieldError::new(
            key.clone(),
            "unknown field; the fields are text, timezone",
        ));
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    let answer = match chat::quick_add(text, ctx.now, &zone) {
        Ok(task) => {
            let problems = match NewTask::from_json(&task) {
                Ok(_) => Vec::new(),
                Err(e) => e.into_vec(),
            };
            json!({"task": task, "errors": problems, "question": null})
        }
        // What the chat would ask back ("5 in the morning or the evening?").
        Err(question) => json!({"task": null, "errors": [], "question": question}),
    };
    Ok(service_kit::json(StatusCode::OK, &answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_used_only_when_accepted() {
        assert!(accepts_gzip("gzip, deflate, br"));
        assert!(accepts_gzip("br;q=1.0, gzip;q=0.8"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip(""));
        assert!(!accepts_gzip("br"));
        assert!(!accepts_gzip("gzip;q=0"));
    }

    #[test]
    fn the_csp_admits_the_realtime_origin_only() {
        let csp = content_security_policy(Some("ws://127.0.0.1:9081/ws"));
        assert!(
            csp.contains("connect-src 'self' ws://127.0.0.1:9081;"),
            "{csp}"
        );
        let csp = content_security_policy(None);
        assert!(csp.contains("connect-src 'self';"), "{csp}");
        assert!(csp.contains("script-src 'self';"));
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(
            content_type("assets/index-abc.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("assets/x.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("blob"), "application/octet-stream");
    }

    #[test]
    fn an_index_html_is_always_embedded() {
        assert!(assets::FILES.iter().any(|a| a.name == "index.html"));
        assert!(assets::FILES.iter().all(|a| !a.name.ends_with(".gz")));
    }
}
