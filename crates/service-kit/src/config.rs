/// Settings every component reads once per request from its environment
/// (`wasmtime serve --env`, Spin `environment`, or SpinKube variables).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Port of this component's own Dapr sidecar.
    pub dapr_http_port: u16,
    /// The app token this component's sidecar sends (`APP_API_TOKEN`), when
    /// the host put it in the environment.
    pub sidecar_token: Option<todo_auth::SidecarToken>,
}

impl Settings {
    /// Reads the environment; missing or malformed values fall back to Dapr's defaults.
    pub fn from_env() -> Self {
        let dapr_http_port = std::env::var("DAPR_HTTP_PORT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3500);
        let sidecar_token = std::env::var(todo_auth::SIDECAR_TOKEN_ENV)
            .ok()
            .and_then(todo_auth::SidecarToken::new);
        Self {
            dapr_http_port,
            sidecar_token,
        }
    }
}
