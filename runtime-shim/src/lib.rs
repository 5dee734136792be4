//! The realtime service: pushes each user's task updates and notifications
//! from Dapr pub/sub to that user's WebSockets.
//!
//! Two listeners: the public one (`/ws`, `/healthz`, `/metrics`) and the app
//! port its Dapr sidecar calls (`/dapr/subscribe`, `/events/task-updates`,
//! `/healthz`). [`run`] serves both until `shutdown` resolves, then closes
//! every socket with 1001 and returns.

pub mod config;
pub mod hub;
pub mod metrics;

mod auth;
mod dapr;
mod problem;
mod ws;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use anyhow::Context as _;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{Notify, watch};

pub use config::Config;
pub use ws::close;

use hub::{Hub, HubConfig};
use metrics::Metrics;

/// What every handler and session shares.
#[derive(Clone)]
pub(crate) struct AppState {
    config: Arc<Config>,
    hub: Arc<Hub>,
    metrics: Arc<Metrics>,
    /// The JWT secret, once fetched from the sidecar.
    secret: Arc<OnceLock<Vec<u8>>>,
    /// Becomes `true` when the service shuts down.
    shutdown: watch::Receiver<bool>,
    sessions: Arc<Sessions>,
}

/// Counts open sockets so shutdown can wait for them to close.
#[derive(Default)]
pub(crate) struct Sessions {
    open: AtomicUsize,
    idle: Notify,
}

/// One open socket; dropping it closes the count.
pub(crate) struct SessionGuard {
    sessions: Arc<Sessions>,
    metrics: Arc<Metrics>,
}

impl Sessions {
    fn enter(self: &Arc<Self>, metrics: &Arc<Metrics>) -> SessionGuard {
        self.open.fetch_add(1, Ordering::SeqCst);
        metrics.connections.fetch_add(1, Ordering::Relaxed);
        SessionGuard {
            sessions: Arc::clone(self),
            metrics: Arc::clone(metrics),
        }
    }

    async fn wait_idle(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.open.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.metrics.connections.fetch_sub(1, Ordering::Relaxed);
        if self.sessions.open.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.sessions.idle.notify_waiters();
        }
    }
}

/// The service with its listeners bound, not yet serving.
pub struct Server {
    config: Arc<Config>,
    public: TcpListener,
    app: TcpListener,
}

impl Server {
    /// Binds both listeners (port 0 picks a free port).
    pub async fn bind(config: Config) -> anyhow::Result<Self> {
        let public = listen(config.ws_addr, config.socket_send_buffer)
            .with_context(|| format!("cannot listen on {} (REALTIME_WS_ADDR)", config.ws_addr))?;
        let app = TcpListener::bind(config.app_addr)
            .await
            .with_context(|| format!("cannot listen on {} (APP_PORT)", config.app_addr))?;
        Ok(Self {
            config: Arc::new(config),
            public,
            app,
        })
    }

    /// Where the public listener (`/ws`) is.
    pub fn public_addr(&self) -> std::io::Result<SocketAddr> {
        self.public.local_addr()
    }

    /// Where the listener for the sidecar is.
    pub fn app_addr(&self) -> std::io::Result<SocketAddr> {
        self.app.local_addr()
    }

    /// Serves until `shutdown` resolves, then stops accepting, closes every
    /// socket with 1001 and returns within `shutdown_grace` (plus a second).
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let config = self.config;
        let metrics = Arc::new(Metrics::default());
        let hub = Arc::new(Hub::new(
            HubConfig {
                buffer_per_user: config.buffer_per_user,
                buffered_users: config.buffered_users,
                queue: config.queue,
                shards: 16,
            },
            Arc::clone(&metrics),
        ));
        let (stop, stopped) = watch::channel(false);
        let secret = Arc::new(OnceLock::new());
        let loader = match &config.jwt_secret {
            Some(preset) => {
                let _ = secret.set(preset.clone().into_bytes());
                None
            }
            None => Some(tokio::spawn(dapr::load_secret(
                Arc::clone(&config),
                Arc::clone(&secret),
            ))),
        };
        let state = AppState {
            config: Arc::clone(&config),
            hub,
            metrics,
            secret,
            shutdown: stopped.clone(),
            sessions: Arc::default(),
        };

        let public_addr = self.public.local_addr()?;
        let app_addr = self.app.local_addr()?;
        let public = self.public.tap_io(|tcp| {
            // Frames are small and latency matters more than packet count.
            let _ = tcp.set_nodelay(true);
        });
        let public = tokio::spawn(
            axum::serve(public, public_router(state.clone()))
                .with_graceful_shutdown(when_stopped(stopped.clone()))
                .into_future(),
        );
        let app = tokio::spawn(
            axum::serve(self.app, app_router(state.clone()))
                .with_graceful_shutdown(when_stopped(stopped.clone()))
                .into_future(),
        );
        tracing::info!(public = %public_addr, app = %app_addr, "realtime service listening");

        shutdown.await;
        tracing::info!(
            open_sockets = state.sessions.open.load(Ordering::SeqCst),
            "shutting down: closing every socket"
        );
        stop.send_replace(true);
        let deadline = tokio::time::Instant::now() + config.shutdown_grace;
        if tokio::time::timeout_at(deadline, state.sessions.wait_idle())
            .await
            .is_err()
        {
            tracing::warn!(
                open_sockets = state.sessions.open.load(Ordering::SeqCst),
                "sockets still open at the shutdown deadline are dropped"
            );
        }
        let servers = async {
            for (name, server) in [("public", public), ("app", app)] {
                match server.await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => tracing::error!(listener = name, %error, "listener failed"),
                    Err(error) => tracing::error!(listener = name, %error, "listener task failed"),
                }
            }
        };
        let grace_end = deadline + std::time::Duration::from_secs(1);
        if tokio::time::timeout_at(grace_end, servers).await.is_err() {
            tracing::warn!("HTTP connections still open at the shutdown deadline are dropped");
        }
        if let Some(loader) = loader {
            loader.abort();
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Binds and serves until `shutdown` resolves; see [`Server::serve`].
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    Server::bind(config).await?.serve(shutdown).await
}

fn listen(addr: SocketAddr, send_buffer: Option<u32>) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    if let Some(size) = send_buffer {
        // Accepted sockets inherit it.
        socket.set_send_buffer_size(size)?;
    }
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn when_stopped(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stopped| *stopped).await;
}

fn public_router(state: AppState) -> Router {
    Router::new()
        .route("/ws", get(ws::upgrade))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .fallback(problem::not_found)
        .with_state(state)
}

/// The sidecar's port: its routes need the sidecar's app token (checked by
/// a route layer, so `/healthz` and unknown paths stay as they are).
fn app_router(state: AppState) -> Router {
    Router::new()
        .route("/dapr/subscribe", get(dapr::subscribe))
        .route("/events/task-updates", post(dapr::task_updates))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_sidecar,
        ))
        .route("/healthz", get(healthz))
        .fallback(problem::not_found)
        .with_state(state)
}

/// 401 unless the request carries the sidecar's `dapr-api-token`.
async fn require_sidecar(
    axum::extract::State(app): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let presented = request
        .headers()
        .get(todo_auth::SIDECAR_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok());
    match &app.config.sidecar_token {
        Some(token) if token.matches(presented) => next.run(request).await,
        Some(_) => problem::problem(
            StatusCode::UNAUTHORIZED,
            "this route is for the service's Dapr sidecar only; it needs the sidecar's 'dapr-api-token'",
        ),
        None => {
            tracing::error!("APP_API_TOKEN is not set; refusing every call from the sidecar");
            problem::problem(
                StatusCode::UNAUTHORIZED,
                "this route is for the service's Dapr sidecar only",
            )
        }
    }
}

/// 200 once the JWT secret is loaded (sockets can be authenticated), 503
/// before that and while shutting down.
async fn healthz(axum::extract::State(app): axum::extract::State<AppState>) -> Response {
    if *app.shutdown.borrow() {
        return problem::problem(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    if app.secret.get().is_none() {
        return problem::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the JWT secret has not been read from the Dapr secret store yet",
        );
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"ok"}"#,
    )
        .into_response()
}

async fn metrics_text(axum::extract::State(app): axum::extract::State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(app.hub.buffer_stats()),
    )
        .into_response()
}
