use dapr_http::{DaprClient, Transport, TransportError};

use crate::Settings;

/// Sends Dapr requests with the host's `wasi:http/outgoing-handler`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpinTransport;

/// The Dapr client as components use it.
pub type Dapr = DaprClient<SpinTransport>;

impl Transport for SpinTransport {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        spin_sdk::http::send::<_, http::Response<Vec<u8>>>(request)
            .await
            .map_err(|e| TransportError(e.to_string()))
    }
}

impl Settings {
    /// A client for this component's sidecar.
    pub fn dapr(&self) -> Dapr {
        DaprClient::new(self.dapr_http_port, SpinTransport)
    }
}
