use http::{Method, header};
use serde_json::Value;

use crate::Problem;

/// The largest request body a service accepts (1 MiB); larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// An incoming request, split into what handlers route and parse on.
#[derive(Debug)]
pub struct Incoming {
    /// HTTP method.
    pub method: Method,
    /// Percent-decoded path segments: `/api/alice/tasks` is `["api", "alice", "tasks"]`.
    pub segments: Vec<String>,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// The raw query string (for forwarding).
    pub raw_query: Option<String>,
    /// Request headers.
    pub headers: http::HeaderMap,
    /// The whole body.
    pub body: Vec<u8>,
    /// Set by [`crate::serve`] once the sidecar's app token was checked.
    pub(crate) from_sidecar: bool,
}

impl Incoming {
    /// Splits a request from the host.
    pub fn new(request: http::Request<Vec<u8>>) -> Self {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path();
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                url::form_urlencoded::parse(s.as_bytes())
                    .next()
                    .map(|(k, _)| k.into_owned())
                    .unwrap_or_default()
            })
            .collect();
        let raw_query = parts.uri.query().map(str::to_owned);
        let query = raw_query
            .as_deref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            method: parts.method,
            segments,
            query,
            raw_query,
            headers: parts.headers,
            body,
            from_sidecar: false,
        }
    }

    /// The path segments as `&str`, for `match`.
    pub fn path(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }

    /// The path and query, as received (for forwarding).
    pub fn path_and_query(&self) -> String {
        let path: String = self
            .segments
            .iter()
            .map(|s| {
                format!(
                    "/{}",
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                )
            })
            .collect();
        match &self.raw_query {
            Some(q) => format!("{path}?{q}"),
            None => path,
        }
    }

    /// A header as text.
    pub fn header(&self, name: impl header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as a JSON value, checked for size and content type.
    /// An empty body is `Value::Null`, so handlers decide whether it is allowed.
    pub fn json(&self) -> Result<Value, Problem> {
        if self.body.len() > MAX_BODY_BYTES {
            return Err(Problem::new(
                http::StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the body is {} bytes; the limit is {MAX_BODY_BYTES} bytes",
                    self.body.len()
                ),
            ));
        }
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        let content_type = self.header(header::CONTENT_TYPE).unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !(essence.eq_ignore_ascii_case("application/json")
            || essence.to_ascii_lowercase().ends_with("+json"))
        {
            return Err(Problem::new(
                http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "send the body as JSON with 'Content-Type: application/json' (got '{content_type}')"
                ),
            ));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| Problem::bad_request(format!("the body is not valid JSON: {e}")))
    }

    /// The Dapr app id of the service that invoked this one through its
    /// sidecar (`dapr-caller-app-id`). Only set for requests that carried the
    /// sidecar's app token: from anyone else the header means nothing.
    pub fn sidecar_caller(&self) -> Option<&str> {
        self.from_sidecar
            .then(|| self.header("dapr-caller-app-id"))
            .flatten()
    }

    /// The first value of query parameter `name`.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incoming(uri: &str, content_type: Option<&str>, body: &str) -> Incoming {
        let mut builder = http::Request::builder().uri(uri).method("POST");
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        Incoming::new(builder.body(body.as_bytes().to_vec()).unwrap())
    }

    #[test]
    fn segments_and_query_are_decoded() {
        let req = incoming("/api/al%20ice/tasks?q=buy%20milk&tags=a,b", None, "");
        assert_eq!(req.path(), ["api", "al ice", "tasks"]);
        assert_eq!(req.query_value("q"), Some("buy milk"));
        assert_eq!(
            req.path_and_query(),
            "/api/al+ice/tasks?q=buy%20milk&tags=a,b"
        );
    }

    #[test]
    fn a_json_body_needs_a_json_content_type() {
        let req = incoming("/", Some("text/plain"), "{}");
        assert_eq!(req.json().unwrap_err().status(), 415);
        let req = incoming("/", Some("application/json; charset=utf-8"), r#"{"a":1}"#);
        assert_eq!(req.json().unwrap()["a"], 1);
    }

    #[test]
    fn malformed_json_is_a_400_that_says_where() {
        let req = incoming("/", Some("application/json"), r#"{"a":"#);
        let problem = req.json().unwrap_err();
        assert_eq!(problem.status(), 400);
    }

    #[test]
    fn an_oversized_body_is_a_413() {
        let big = "x".repeat(MAX_BODY_BYTES + 1);
        let req = incoming("/", Some("application/json"), &big);
        assert_eq!(req.json().unwrap_err().status(), 413);
    }
}
