//! The service's settings, read once from the environment at startup.

use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use todo_domain::{Topic, names};

/// Everything the service can be told. [`Config::from_env`] fills it from
/// the environment; tests build it with [`Config::default`] and override.
#[derive(Clone, Debug)]
pub struct Config {
    /// Public listener: `/ws`, `/healthz`, `/metrics` (`REALTIME_WS_ADDR`).
    pub ws_addr: SocketAddr,
    /// Listener for the sidecar: `/dapr/subscribe`, `/events/task-updates`,
    /// `/healthz` (`127.0.0.1:APP_PORT`).
    pub app_addr: SocketAddr,
    /// Base URL of the sidecar's HTTP API (`http://127.0.0.1:DAPR_HTTP_PORT`).
    pub dapr_url: String,
    /// Secret store holding the JWT secret (`SECRET_STORE`).
    pub secret_store: String,
    /// Key of the JWT secret in that store.
    pub secret_key: String,
    /// The JWT secret itself, skipping the fetch from the sidecar. Only the
    /// tests set it; it is never read from the environment.
    pub jwt_secret: Option<String>,
    /// The app token the sidecar sends on every call to the app port
    /// (`APP_API_TOKEN`, the same variable daprd reads). Without it the app
    /// port refuses every Dapr route: failing closed.
    pub sidecar_token: Option<todo_auth::SidecarToken>,
    /// Pub/sub component the topic is consumed through (`REALTIME_PUBSUB`).
    pub pubsub: String,
    /// Topic of task updates and notifications.
    pub topic: String,
    /// Where Dapr sends the messages it gives up on.
    pub dead_letter_topic: String,
    /// Resume buffer: messages kept per user (`REALTIME_BUFFER`).
    pub buffer_per_user: usize,
    /// Resume buffer: users whose messages are kept, least recently used
    /// evicted first (`REALTIME_BUFFER_USERS`).
    pub buffered_users: usize,
    /// Frames queued per connection before it counts as slow and is
    /// disconnected (`REALTIME_QUEUE`).
    pub queue: usize,
    /// Server ping period; a peer silent for two periods is disconnected
    /// (`REALTIME_PING_INTERVAL_SECS`).
    pub ping_interval: Duration,
    /// A socket write taking longer than this disconnects the client
    /// (`REALTIME_WRITE_TIMEOUT_SECS`).
    pub write_timeout: Duration,
    /// `SO_SNDBUF` of public sockets, in bytes; the OS default when unset
    /// (`REALTIME_SOCKET_SEND_BUFFER`). Smaller detects slow clients sooner.
    pub socket_send_buffer: Option<u32>,
    /// Largest client message accepted; larger ones close the socket (1009).
    pub max_message_size: usize,
    /// How long shutdown waits for sockets to close.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            ws_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8081)),
            app_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 7081)),
            dapr_url: "http://127.0.0.1:3500".into(),
            secret_store: names::SECRET_STORE.into(),
            secret_key: names::JWT_SECRET_KEY.into(),
            jwt_secret: None,
            sidecar_token: None,
            pubsub: names::REALTIME_PUBSUB.into(),
            topic: Topic::TaskUpdates.name().into(),
            dead_letter_topic: Topic::TaskUpdates.dead_letter().into(),
            buffer_per_user: 256,
            buffered_users: 1024,
            queue: 256,
            ping_interval: Duration::from_secs(20),
            write_timeout: Duration::from_secs(10),
            socket_send_buffer: None,
            max_message_size: 64 * 1024,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// A setting that could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("environment variable {name}={value:?} is invalid: {expected}")]
pub struct ConfigError {
    name: &'static str,
    value: String,
    expected: &'static str,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    /// Unset and empty variables take their defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut config = Self::default();
        if let Some(v) = get("REALTIME_WS_ADDR") {
            config.ws_addr = parse("REALTIME_WS_ADDR", &v, "an address like 127.0.0.1:8081")?;
        }
        if let Some(v) = get("APP_PORT") {
            let port: u16 = parse("APP_PORT", &v, "a port number")?;
            config.app_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        }
        if let Some(v) = get("DAPR_HTTP_PORT") {
            let port: u16 = parse("DAPR_HTTP_PORT", &v, "a port number")?;
            config.dapr_url = format!("http://127.0.0.1:{port}");
        }
        config.sidecar_token =
            get(todo_auth::SIDECAR_TOKEN_ENV).and_then(todo_auth::SidecarToken::new);
        if let Some(v) = get("SECRET_STORE") {
            config.secret_store = v;
        }
        if let Some(v) = get("REALTIME_PUBSUB") {
            config.pubsub = v;
        }
        if let Some(v) = get("REALTIME_BUFFER") {
            config.buffer_per_user = parse("REALTIME_BUFFER", &v, "a number of messages")?;
        }
        if let Some(v) = get("REALTIME_BUFFER_USERS") {
            config.buffered_users =
                positive("REALTIME_BUFFER_USERS", &v, "a number of users >= 1")?;
        }
        if let Some(v) = get("REALTIME_QUEUE") {
            config.queue = positive("REALTIME_QUEUE", &v, "a number of frames >= 1")?;
        }
        if let Some(v) = get("REALTIME_PING_INTERVAL_SECS") {
            let secs = positive("REALTIME_PING_INTERVAL_SECS", &v, "seconds >= 1")?;
            config.ping_interval = Duration::from_secs(secs as u64);
        }
        if let Some(v) = get("REALTIME_WRITE_TIMEOUT_SECS") {
            let secs = positive("REALTIME_WRITE_TIMEOUT_SECS", &v, "seconds >= 1")?;
            config.write_timeout = Duration::from_secs(secs as u64);
        }
        if let Some(v) = get("REALTIME_SOCKET_SEND_BUFFER") {
            config.socket_send_buffer =
                Some(parse("REALTIME_SOCKET_SEND_BUFFER", &v, "a size in bytes")?);
        }
        Ok(config)
    }
}

fn parse<T: FromStr>(
    name: &'static str,
    value: &str,
    expected: &'static str,
) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError {
        name,
        value: value.to_owned(),
        expected,
    })
}

fn positive(name: &'static str, value: &str, expected: &'static str) -> Result<usize, ConfigError> {
    match parse::<usize>(name, value, expected)? {
        0 => Err(ConfigError {
            name,
            value: value.to_owned(),
            expected,
        }),
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = from(&[]).unwrap();
        assert_eq!(c.ws_addr.to_string(), "127.0.0.1:8081");
        assert_eq!(c.app_addr.to_string(), "127.0.0.1:7081");
        assert_eq!(c.dapr_url, "http://127.0.0.1:3500");
        assert_eq!(c.secret_store, "secretstore");
        assert_eq!(c.pubsub, "realtime-pubsub");
        assert_eq!(c.buffer_per_user, 256);
        assert_eq!(c.queue, 256);
        assert_eq!(c.ping_interval, Duration::from_secs(20));
        assert_eq!(c.jwt_secret, None);
    }

    #[test]
    fn overrides() {
        let c = from(&[
            ("REALTIME_WS_ADDR", "0.0.0.0:9000"),
            ("APP_PORT", "7999"),
            ("DAPR_HTTP_PORT", "3504"),
            ("SECRET_STORE", "kube"),
            ("REALTIME_PUBSUB", "ps"),
            ("REALTIME_BUFFER", "8"),
            ("REALTIME_BUFFER_USERS", "3"),
            ("REALTIME_QUEUE", "4"),
            ("REALTIME_PING_INTERVAL_SECS", "5"),
            ("REALTIME_WRITE_TIMEOUT_SECS", "2"),
            ("REALTIME_SOCKET_SEND_BUFFER", "65536"),
            ("JWT_SECRET", "ignored"),
            ("POD_NAME", "ignored"),
        ])
        .unwrap();
        assert_eq!(c.ws_addr.to_string(), "0.0.0.0:9000");
        assert_eq!(c.app_addr.to_string(), "127.0.0.1:7999");
        assert_eq!(c.dapr_url, "http://127.0.0.1:3504");
        assert_eq!(c.secret_store, "kube");
        assert_eq!(c.pubsub, "ps");
        assert_eq!(c.buffer_per_user, 8);
        assert_eq!(c.buffered_users, 3);
        assert_eq!(c.queue, 4);
        assert_eq!(c.ping_interval, Duration::from_secs(5));
        assert_eq!(c.write_timeout, Duration::from_secs(2));
        assert_eq!(c.socket_send_buffer, Some(65536));
        assert_eq!(
            c.jwt_secret, None,
            "the secret never comes from the environment"
        );
    }

    #[test]
    fn empty_means_default() {
        let c = from(&[("APP_PORT", ""), ("REALTIME_QUEUE", "  ")]).unwrap();
        assert_eq!(c.app_addr.port(), 7081);
        assert_eq!(c.queue, 256);
    }

    #[test]
    fn invalid_values_are_reported() {
        let e = from(&[("APP_PORT", "seventy")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"environment variable APP_PORT="seventy" is invalid: a port number"#
        );
        assert!(from(&[("REALTIME_QUEUE", "0")]).is_err());
        assert!(from(&[("REALTIME_WS_ADDR", "localhost")]).is_err());
    }
}
