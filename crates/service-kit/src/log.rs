//! Structured JSON log lines on stderr, one per event, with the fields an
//! operator filters on (`service`, `user_id`, `task_id`, `event_id`, ...).
//! Components have no tracing subscriber; the host collects stderr.

use serde_json::{Map, Value};

fn emit(level: &str, msg: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    let mut line = Map::new();
    line.insert("ts".into(), Value::String(chrono_now()));
    line.insert("level".into(), Value::String(level.into()));
    line.insert("msg".into(), Value::String(msg.into()));
    for (key, value) in fields {
        line.insert((*key).into(), Value::String(value.to_string()));
    }
    eprintln!("{}", Value::Object(line));
}

fn chrono_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:03}", now.as_secs(), now.subsec_millis())
}

/// An informational event.
pub fn info(msg: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    emit("info", msg, fields);
}

/// Something was wrong with input, handled.
pub fn warn(msg: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    emit("warn", msg, fields);
}

/// A failure an operator should look at.
pub fn error(msg: &str, fields: &[(&str, &dyn std::fmt::Display)]) {
    emit("error", msg, fields);
}
