use dapr_http::{DaprClient, Transport, TransportError};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::{Incoming, Settings};

/// The W3C trace-context headers a component passes on to its sidecar.
const TRACE_HEADERS: [HeaderName; 2] = [
    HeaderName::from_static("traceparent"),
    HeaderName::from_static("tracestate"),
];

/// Sends Dapr requests with the host's `wasi:http/outgoing-handler`.
///
/// It carries the trace context of the request being served (set by daprd
/// on every delivery and invocation, or by a client), so the state, pub/sub
/// and invocation calls made while serving it form one trace; a request
/// without one starts a trace of its own.
#[derive(Clone, Debug)]
pub struct SpinTransport {
    trace: Vec<(HeaderName, HeaderValue)>,
}

impl SpinTransport {
    /// A transport for serving a request with `headers`: it continues the
    /// request's trace, or starts a new one when the request has none.
    pub fn for_request(headers: &HeaderMap) -> Self {
        let mut trace: Vec<_> = TRACE_HEADERS
            .iter()
            .filter_map(|name| Some((name.clone(), headers.get(name)?.clone())))
            .collect();
        if !trace.iter().any(|(name, _)| name == TRACE_HEADERS[0]) {
            trace = vec![(TRACE_HEADERS[0].clone(), new_traceparent())];
        }
        Self { trace }
    }
}

/// A sampled root `traceparent` (version 00, random trace and span ids).
fn new_traceparent() -> HeaderValue {
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let span_id = &uuid::Uuid::new_v4().simple().to_string()[..16];
    HeaderValue::from_str(&format!("00-{trace_id}-{span_id}-01"))
        .expect("hex digits and dashes are a valid header value")
}

/// The Dapr client as components use it.
pub type Dapr = DaprClient<SpinTransport>;

impl Transport for SpinTransport {
    async fn send(
        &self,
        mut request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        for (name, value) in &self.trace {
            request
                .headers_mut()
                .entry(name)
                .or_insert_with(|| value.clone());
        }
        spin_sdk::http::send::<_, http::Response<Vec<u8>>>(request)
            .await
            .map_err(|e| TransportError(e.to_string()))
    }
}

impl Settings {
    /// A client for this component's sidecar whose calls join the trace of `request`.
    pub fn dapr_for(&self, request: &Incoming) -> Dapr {
        DaprClient::new(
            self.dapr_http_port,
            SpinTransport::for_request(&request.headers),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_trace_context_is_carried_on() {
        let mut headers = HeaderMap::new();
        let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        headers.insert("traceparent", HeaderValue::from_static(parent));
        headers.insert("tracestate", HeaderValue::from_static("congo=t61rcWkgMzE"));
        headers.insert("authorization", HeaderValue::from_static("Bearer secret"));
        let transport = SpinTransport::for_request(&headers);
        let carried: Vec<_> = transport
            .trace
            .iter()
            .map(|(name, value)| (name.as_str(), value.to_str().unwrap()))
            .collect();
        assert_eq!(
            carried,
            [("traceparent", parent), ("tracestate", "congo=t61rcWkgMzE")]
        );
    }

    #[test]
    fn a_request_without_trace_context_starts_a_trace() {
        let transport = SpinTransport::for_request(&HeaderMap::new());
        let [(name, value)] = transport.trace.as_slice() else {
            panic!("one header expected: {:?}", transport.trace);
        };
        assert_eq!(name, "traceparent");
        let parts: Vec<_> = value.to_str().unwrap().split('-').collect();
        assert_eq!(parts[0], "00");
        assert_eq!((parts[1].len(), parts[2].len()), (32, 16));
        assert!(
            parts[1..3]
                .iter()
                .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
        );
        assert_eq!(parts[3], "01", "sampled, so the sidecar records it");
    }

    #[test]
    fn a_tracestate_alone_is_not_a_trace() {
        let mut headers = HeaderMap::new();
        headers.insert("tracestate", HeaderValue::from_static("congo=t61rcWkgMzE"));
        let transport = SpinTransport::for_request(&headers);
        assert_eq!(transport.trace.len(), 1);
        assert_eq!(transport.trace[0].0, "traceparent");
    }
}
