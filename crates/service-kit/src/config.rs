/// Settings every component reads once per request from its environment
/// (`wasmtime serve --env`, Spin `environment`, or SpinKube variables).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Port of this component's own Dapr sidecar.
    pub dapr_http_port: u16,
}

impl Settings {
    /// Reads the environment; missing or malformed values fall back to Dapr's defaults.
    pub fn from_env() -> Self {
        let dapr_http_port = std::env::var("DAPR_HTTP_PORT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3500);
        Self { dapr_http_port }
    }
}
