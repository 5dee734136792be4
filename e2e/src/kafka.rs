//! What really reached Kafka: a topic read back with Kafka's own console
//! consumer (the broker's jars, `KAFKA_LIBS`), filtered by message key.
//!
//! Other tests share the topics, so records are filtered by key (the user
//! id every service publishes with). The consumer reads from the beginning,
//! so nothing published before the call is missed.

use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::Stack;
use crate::once::{REPUBLISH_WINDOW, exactly_once};

/// How long reading goes on after the expected number of records was seen,
/// so that a record right behind them in the log is read too.
const TAIL: Duration = Duration::from_secs(2);

/// The console consumer's class in Kafka 4 (`kafka-tools` jar).
const CONSOLE_CONSUMER: &str = "org.apache.kafka.tools.consumer.ConsoleConsumer";

/// When a read of a topic stops, once the expected records were seen.
#[derive(Clone, Copy)]
enum Until {
    /// At once: the caller needs the records, it does not count them.
    Seen,
    /// [`REPUBLISH_WINDOW`] after the newest of them was published (its
    /// Kafka timestamp), so a republished copy would be read too.
    Settled,
}

impl Stack {
    /// The first `expected` records (Dapr's CloudEvent envelopes; the
    /// payload is `["data"]`) of `topic` keyed `key`, in log order, or fewer
    /// if `timeout` passes: for a test that needs a record (to deliver it
    /// again, to read its trace), not one that counts them.
    pub async fn first_records(
        &self,
        topic: &str,
        key: &str,
        expected: usize,
        timeout: Duration,
    ) -> Result<Vec<Value>> {
        Ok(self
            .read_topic(topic, &[key], expected, timeout, Until::Seen)
            .await?
            .into_iter()
            .map(|(_, value)| value)
            .collect())
    }

    /// Every record of `topic` keyed by one of `keys`, as `(key, envelope)`
    /// pairs in log order, read by the rule of [`crate::once`]: until
    /// `expected` were seen (or `timeout` passed) and [`REPUBLISH_WINDOW`]
    /// after the newest of them was published. The caller counts them.
    pub async fn settled_records(
        &self,
        topic: &str,
        keys: &[&str],
        expected: usize,
        timeout: Duration,
    ) -> Result<Vec<(String, Value)>> {
        self.read_topic(topic, keys, expected, timeout, Until::Settled)
            .await
    }

    /// [`Stack::settled_records`], held to exactly once: `expected`
    /// records, no two with the same `data.event_id`.
    pub async fn events_once(
        &self,
        topic: &str,
        keys: &[&str],
        expected: usize,
        timeout: Duration,
    ) -> Result<Vec<(String, Value)>> {
        let records = self.settled_records(topic, keys, expected, timeout).await?;
        let envelopes: Vec<Value> = records.iter().map(|(_, value)| value.clone()).collect();
        exactly_once(
            &format!("{topic} records of {keys:?}"),
            &envelopes,
            "/data/event_id",
            expected,
        )?;
        Ok(records)
    }

    /// The payloads (`data`) of `user`'s `expected` events on `topic`, each
    /// once (see [`Stack::events_once`]).
    pub async fn published(
        &self,
        topic: &str,
        user: &str,
        expected: usize,
        timeout: Duration,
    ) -> Result<Vec<Value>> {
        Ok(self
            .events_once(topic, &[user], expected, timeout)
            .await?
            .into_iter()
            .map(|(_, mut envelope)| envelope["data"].take())
            .collect())
    }

    /// Reads `topic` from the beginning with Kafka's console consumer,
    /// keeping the records keyed by one of `keys`, until `expected` were
    /// seen and then as `until` says, or until `timeout`; returns what it
    /// saw either way.
    async fn read_topic(
        &self,
        topic: &str,
        keys: &[&str],
        expected: usize,
        timeout: Duration,
        until: Until,
    ) -> Result<Vec<(String, Value)>> {
        let libs = std::env::var("KAFKA_LIBS")
            .context("KAFKA_LIBS is not set: run the tests with 'scripts/stack test'")?;
        let log_config = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/kafka/log4j2.yaml");
        let mut child = tokio::process::Command::new("java")
            .arg("-Xmx256m")
            .arg(format!("-Dlog4j2.configurationFile={log_config}"))
            .args(["-cp", &format!("{libs}/*"), CONSOLE_CONSUMER])
            .args([
                "--bootstrap-server",
                &format!("127.0.0.1:{}", self.named_port("kafka")?),
            ])
            .args(["--topic", topic, "--from-beginning"])
            .args(["--formatter-property", "print.timestamp=true"])
            .args(["--formatter-property", "print.key=true"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting Kafka's console consumer (is java on PATH?)")?;
        let stdout = child.stdout.take().context("the consumer has no stdout")?;
        let mut lines = BufReader::new(stdout).lines();

        let mut stop_at = Instant::now() + timeout;
        let mut newest_ms = 0;
        let mut records = Vec::new();
        loop {
            let left = stop_at.saturating_duration_since(Instant::now());
            let Ok(line) = tokio::time::timeout(left, lines.next_line()).await else {
                break; // time is up
            };
            let Some(line) = line? else {
                break; // the consumer exited
            };
            // `CreateTime:<ms>\t<key>\t<value>`
            let Some((published_ms, record_key, value)) = parse_line(&line) else {
                continue;
            };
            if !keys.contains(&record_key) {
                continue;
            }
            let value: Value = serde_json::from_str(value)
                .with_context(|| format!("a {topic} record is not JSON: {value}"))?;
            records.push((record_key.to_owned(), value));
            newest_ms = newest_ms.max(published_ms);
            if records.len() == expected {
                match until {
                    Until::Seen => break,
                    Until::Settled => {
                        stop_at = Instant::now() + TAIL.max(left_of_window(newest_ms));
                    }
                }
            }
        }
        child.kill().await.ok();
        Ok(records)
    }
}

/// Splits a console-consumer line into the record's timestamp (ms since
/// the epoch), key and value.
fn parse_line(line: &str) -> Option<(u64, &str, &str)> {
    let (timestamp, rest) = line.split_once('\t')?;
    let (key, value) = rest.split_once('\t')?;
    let ms = timestamp.rsplit(':').next()?.parse().ok()?;
    Some((ms, key, value))
}

/// What is left of [`REPUBLISH_WINDOW`] after a record published at
/// `published_ms` (zero when it has passed).
fn left_of_window(published_ms: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (Duration::from_millis(published_ms) + REPUBLISH_WINDOW).saturating_sub(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_gives_timestamp_key_and_value() {
        assert_eq!(
            parse_line("CreateTime:1764755400123\tu-1\t{\"a\":1}"),
            Some((1_764_755_400_123, "u-1", "{\"a\":1}"))
        );
        assert_eq!(parse_line("u-1\t{}"), None);
    }

    #[test]
    fn the_window_runs_from_the_publish() {
        assert_eq!(left_of_window(0), Duration::ZERO);
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let left = left_of_window(now_ms - 5_000);
        assert!(
            left <= REPUBLISH_WINDOW - Duration::from_secs(5),
            "{left:?}"
        );
        assert!(left > Duration::from_secs(5), "{left:?}");
    }
}
