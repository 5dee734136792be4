//! Structured JSON log lines on stderr through `tracing`, the library the
//! realtime shim logs with, formatted the same way: one JSON object per
//! event with `timestamp`, `level`, `message`, `target` and the event's
//! fields (`user_id`, `task_id`, `event_id`, ...) at the top level. The host
//! collects stderr. Code logs with `tracing::info!(event_id = %id, "...")`.

use std::fmt::Display;

/// Installs the JSON subscriber. [`crate::serve`] calls it for every
/// request: a wasi:http component gets a fresh instance per request, and in
/// an instance that already has one this does nothing.
pub fn init() {
    let _already_set = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The fields [`info`], [`warn`] and [`error`] can carry.
const BRIDGED: [&str; 4] = ["user_id", "seq", "count", "error"];

// The older call shape, `log::warn(msg, &[("user_id", &user)])`, kept only
// for todo-api's storage modules (outbox, broker) until the storage work
// moves them to `tracing`'s macros: a `tracing` event needs its field names
// at compile time, so these record the fields in `BRIDGED` and no others.
macro_rules! bridge {
    ($level:expr, $msg:expr, $fields:expr) => {{
        let field = |name: &str| {
            $fields
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| tracing::field::display(value))
        };
        debug_assert!(
            $fields.iter().all(|(key, _)| BRIDGED.contains(key)),
            "a field outside {BRIDGED:?}: use tracing's macros"
        );
        tracing::event!(
            $level,
            user_id = field("user_id"),
            seq = field("seq"),
            count = field("count"),
            error = field("error"),
            "{}",
            $msg
        )
    }};
}

/// An informational event (storage modules only; elsewhere `tracing::info!`).
pub fn info(msg: &str, fields: &[(&str, &dyn Display)]) {
    bridge!(tracing::Level::INFO, msg, fields);
}

/// Something was wrong with input, handled (storage modules only).
pub fn warn(msg: &str, fields: &[(&str, &dyn Display)]) {
    bridge!(tracing::Level::WARN, msg, fields);
}

/// A failure an operator should look at (storage modules only).
pub fn error(msg: &str, fields: &[(&str, &dyn Display)]) {
    bridge!(tracing::Level::ERROR, msg, fields);
}
