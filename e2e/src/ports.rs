//! The stack's ports, read from the table `scripts/stack` reads too
//! (`scripts/lib/ports.txt`), moved by the stack's offset.

use anyhow::{Context, Result};

/// The table, as committed: the tests and the stack cannot disagree.
const TABLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../scripts/lib/ports.txt"
));

/// Which of a service's ports (the table's columns after the name).
#[derive(Clone, Copy, Debug)]
pub enum ServicePort {
    /// The app's own port (`/healthz`, the sidecar's routes).
    App = 0,
    /// Its daprd's HTTP API.
    DaprHttp = 1,
    /// Its daprd's Prometheus metrics.
    DaprMetrics = 4,
    /// realtime's public WebSocket port.
    Public = 5,
}

/// A service's port of `kind`, before any offset.
pub fn service_port(service: &str, kind: ServicePort) -> Result<u16> {
    let columns = rows("service")
        .find(|(name, _)| *name == service)
        .map(|(_, columns)| columns)
        .with_context(|| format!("no service '{service}' in scripts/lib/ports.txt"))?;
    let column = columns
        .get(kind as usize)
        .with_context(|| format!("no {kind:?} port for '{service}' in scripts/lib/ports.txt"))?;
    column
        .parse()
        .with_context(|| format!("'{service}' has no {kind:?} port ('{column}')"))
}

/// A port of the table's `port` rows (e.g. `kafka`), before any offset.
pub fn named_port(name: &str) -> Result<u16> {
    let columns = rows("port")
        .find(|(row, _)| *row == name)
        .map(|(_, columns)| columns)
        .with_context(|| format!("no port '{name}' in scripts/lib/ports.txt"))?;
    let number = columns.first().context("a port row has a number")?;
    number
        .parse()
        .with_context(|| format!("port '{name}' is not a number ('{number}')"))
}

/// The rows of one kind as (name, the columns after it).
fn rows(kind: &'static str) -> impl Iterator<Item = (&'static str, Vec<&'static str>)> {
    TABLE.lines().filter_map(move |line| {
        let mut words = line.split_whitespace();
        (words.next() == Some(kind))
            .then(|| words.next().map(|name| (name, words.collect())))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_port_the_tests_use() -> Result<()> {
        assert_eq!(service_port("todo-api", ServicePort::App)?, 8080);
        assert_eq!(service_port("audit", ServicePort::DaprHttp)?, 3503);
        assert_eq!(service_port("realtime", ServicePort::Public)?, 8081);
        assert_eq!(named_port("kafka")?, 9092);
        assert_eq!(named_port("chat-model-server")?, 8087);
        Ok(())
    }

    #[test]
    fn a_service_without_a_public_port_or_an_unknown_name_is_an_error() {
        assert!(service_port("audit", ServicePort::Public).is_err());
        assert!(service_port("nobody", ServicePort::App).is_err());
        assert!(named_port("nothing").is_err());
    }
}
