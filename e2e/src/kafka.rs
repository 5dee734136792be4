//! What really reached Kafka: a topic read back with Kafka's own console
//! consumer (the broker's jars, `KAFKA_LIBS`), filtered by message key.
//!
//! Other tests share the topics, so records are filtered by key (the user
//! id every service publishes with). The consumer reads from the beginning,
//! so nothing published before the call is missed.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::Stack;

/// How long reading goes on after the expected number of records was seen,
/// so that an extra (duplicate) record right behind them is caught too.
const SETTLE: Duration = Duration::from_secs(3);

/// The console consumer's class in Kafka 4 (`kafka-tools` jar).
const CONSOLE_CONSUMER: &str = "org.apache.kafka.tools.consumer.ConsoleConsumer";

impl Stack {
    /// The values (Dapr's CloudEvent envelopes; the payload is `["data"]`) of
    /// every record of `topic` keyed `key`, in log order. Reads until
    /// `expected` records were seen and then [`SETTLE`] longer, or until
    /// `timeout`; it returns what it saw either way, so callers assert the
    /// exact count themselves.
    pub async fn topic_records(
        &self,
        topic: &str,
        key: &str,
        expected: usize,
        timeout: Duration,
    ) -> Result<Vec<Value>> {
        Ok(self
            .keyed_records(topic, &[key], expected, timeout)
            .await?
            .into_iter()
            .map(|(_, value)| value)
            .collect())
    }

    /// Like [`Stack::topic_records`] for several keys at once (one read of
    /// the topic): `(key, value)` pairs in log order, `expected` in all.
    pub async fn keyed_records(
        &self,
        topic: &str,
        keys: &[&str],
        expected: usize,
        timeout: Duration,
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
            .args(["--formatter-property", "print.key=true"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting Kafka's console consumer (is java on PATH?)")?;
        let stdout = child.stdout.take().context("the consumer has no stdout")?;
        let mut lines = BufReader::new(stdout).lines();

        let deadline = Instant::now() + timeout;
        let mut stop_at = deadline;
        let mut records = Vec::new();
        loop {
            let left = stop_at.saturating_duration_since(Instant::now());
            let Ok(line) = tokio::time::timeout(left, lines.next_line()).await else {
                break; // time is up
            };
            let Some(line) = line? else {
                break; // the consumer exited
            };
            let Some((record_key, value)) = line.split_once('\t') else {
                continue;
            };
            if !keys.contains(&record_key) {
                continue;
            }
            let value: Value = serde_json::from_str(value)
                .with_context(|| format!("a {topic} record is not JSON: {value}"))?;
            records.push((record_key.to_owned(), value));
            if records.len() == expected {
                stop_at = (Instant::now() + SETTLE).min(deadline);
            }
        }
        child.kill().await.ok();
        Ok(records)
    }

    /// The payloads (`data`) of `user`'s records on `topic`; see [`Stack::topic_records`].
    pub async fn published(
        &self,
        topic: &str,
        user: &str,
        expected: usize,
        timeout: Duration,
    ) -> Result<Vec<Value>> {
        Ok(self
            .topic_records(topic, user, expected, timeout)
            .await?
            .into_iter()
            .map(|mut envelope| envelope["data"].take())
            .collect())
    }
}
