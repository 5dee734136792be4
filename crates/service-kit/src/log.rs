//! Structured JSON log lines on stderr through `tracing`, the library the
//! realtime shim logs with, formatted the same way: one JSON object per
//! event with `timestamp`, `level`, `message`, `target` and the event's
//! fields (`user_id`, `task_id`, `event_id`, ...) at the top level. The host
//! collects stderr. Code logs with `tracing::info!(event_id = %id, "...")`.

/// Installs the JSON subscriber. [`crate::serve`] calls it for every
/// request: a wasi:http component gets a fresh instance per request, and in
/// an instance that already has one this does nothing.
pub fn init() {
    let _already_set = tracing::subscriber::set_global_default(subscriber(std::io::stderr));
}

/// The JSON formatter, configured as the realtime shim's (`runtime-shim/src/main.rs`).
fn subscriber<W>(writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(writer)
        .finish()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::Value;

    use super::*;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .expect("not poisoned")
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn lines_of(log: impl FnOnce()) -> Vec<Value> {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing::subscriber::with_default(subscriber(move || writer.clone()), log);
        let text =
            String::from_utf8(captured.0.lock().expect("not poisoned").clone()).expect("UTF-8");
        text.lines()
            .map(|line| serde_json::from_str(line).expect("one JSON object a line"))
            .collect()
    }

    #[test]
    fn an_event_is_one_json_line_with_its_fields_at_the_top_level() {
        let lines = lines_of(|| {
            tracing::warn!(event_id = %"e-1", task_id = %7, "dropping invalid event");
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "dropping invalid event");
        assert_eq!(line["event_id"], "e-1");
        assert_eq!(line["task_id"], "7");
        assert!(
            line["target"]
                .as_str()
                .is_some_and(|t| t.starts_with("service_kit"))
        );
        assert!(line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
}
