//! notifier: schedules each reminder as a one-shot Dapr job and delivers it
//! exactly once when it fires.

use http::Method;
use service_kit::{Incoming, Problem, Response};
use spin_sdk::http_component;

#[http_component]
async fn handle(request: http::Request<Vec<u8>>) -> Response {
    let request = Incoming::new(request);
    match (&request.method, request.path().as_slice()) {
        (&Method::GET, ["healthz"]) => service_kit::json(http::StatusCode::OK, &"ok"),
        (&Method::GET, ["dapr", "subscribe"]) => service_kit::subscriber::subscriptions(&[]),
        _ => Problem::not_found(format!("no route for {} /{}", request.method, request.segments.join("/")))
            .into_response(),
    }
}
