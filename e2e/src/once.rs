//! The one rule on duplicates, for every test that says "exactly once":
//! of an event on a topic, or of its effect (an audit entry, a
//! notification, a next instance).
//!
//! - **When to count.** todo-api publishes a change inline after its
//!   commit; the outbox relay's safety net runs 10 s after the write
//!   (`SAFETY_NET_DELAY` in `components/todo-api/src/outbox.rs`) and would
//!   publish anything the inline publish left behind. A second copy, and
//!   so a second effect, can therefore show up to that long after the
//!   first: counts are read back once [`REPUBLISH_WINDOW`] has passed, never
//!   a moment after the expected number appeared.
//! - **What counts as a duplicate.** Two items with the same key: the
//!   event's `event_id` on a topic (every payload carries one), the entry's
//!   `id` in the audit log, the reminder's id among notifications, the
//!   occurrence in a recurring series.
//! - **What is allowed.** Nothing: each event is on its topic once and has
//!   its effect once. Delivery is at least once only when a process dies
//!   between publishing and recording it; the crash drills, which cause
//!   exactly that, still require every *effect* once (consumers dedupe on
//!   `event_id`) and do not count records on the topics.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Result, ensure};
use serde_json::Value;

use crate::Stack;

/// How long after an event first appears a republished copy of it, or its
/// effect, could still arrive: the relay's safety-net delay (10 s), a run
/// of the relay and a consumer's handling, with room to spare.
pub const REPUBLISH_WINDOW: Duration = Duration::from_secs(15);

/// Fails unless `items` are `expected` items with distinct `key`s (a JSON
/// pointer into each item, e.g. `/event_id`), naming every duplicate.
pub fn exactly_once(what: &str, items: &[Value], key: &str, expected: usize) -> Result<()> {
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for item in items {
        let id = item.pointer(key).map_or("(none)".into(), Value::to_string);
        *copies.entry(id).or_default() += 1;
    }
    let twice: Vec<String> = copies
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, n)| format!("{id} x{n}"))
        .collect();
    ensure!(
        twice.is_empty(),
        "{what}: {} more than once ({}): {items:#?}",
        key.trim_start_matches('/'),
        twice.join(", ")
    );
    ensure!(
        items.len() == expected,
        "{what}: expected {expected}, found {}: {items:#?}",
        items.len()
    );
    Ok(())
}

impl Stack {
    /// Reads back an "exactly once" by the rule above: polls `read` until
    /// it returns at least `expected` items (for at most `timeout`), waits
    /// out [`REPUBLISH_WINDOW`] from then, reads once more and checks
    /// [`exactly_once`] by `key`. Returns that last read.
    pub async fn settled<F, Fut>(
        &self,
        what: &str,
        expected: usize,
        key: &str,
        timeout: Duration,
        mut read: F,
    ) -> Result<Vec<Value>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Vec<Value>>>,
    {
        self.eventually(what, timeout, || {
            let items = read();
            async move { Ok((items.await?.len() >= expected).then_some(())) }
        })
        .await?;
        tokio::time::sleep(REPUBLISH_WINDOW).await;
        let items = read().await?;
        exactly_once(what, &items, key, expected)?;
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn distinct_keys_in_the_expected_number_pass() {
        let items = [json!({"event_id": "a"}), json!({"event_id": "b"})];
        assert!(exactly_once("events", &items, "/event_id", 2).is_ok());
    }

    #[test]
    fn a_duplicate_is_named_even_when_the_count_is_right() {
        let items = [json!({"event_id": "a"}), json!({"event_id": "a"})];
        let error = exactly_once("events", &items, "/event_id", 2)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(r#"event_id more than once ("a" x2)"#),
            "{error}"
        );
    }

    #[test]
    fn a_missing_or_extra_item_fails() {
        let items = [json!({"id": 1}), json!({"id": 2})];
        assert!(exactly_once("entries", &items, "/id", 3).is_err());
        assert!(exactly_once("entries", &items[..1], "/id", 0).is_err());
    }
}
