//! Helpers for the event services' tests: publishing through a real
//! sidecar's pub/sub API, reading a service's structured log, and the
//! public paths of recurring tasks, reminders and the audit log.
//!
//! Publishing through a daprd is how the tests deliver an event twice or
//! deliver a poison event: the message goes through the real sidecar and
//! Kafka to every consumer, exactly like one todo-api published.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use reqwest::Method;
use serde_json::{Value, json};

use crate::Stack;

impl Stack {
    /// Publishes `body` to `topic` through `app`'s daprd, keyed `key` (the
    /// Kafka message key, so it lands on the partition of that user's
    /// events). A body with `specversion` is sent as a whole CloudEvent and
    /// kept as it is (same id): a redelivery of that very message.
    pub async fn publish_via(&self, app: &str, topic: &str, key: &str, body: &Value) -> Result<()> {
        let url = format!(
            "{}/v1.0/publish/pubsub/{topic}?metadata.partitionKey={key}",
            self.sidecar_url(app)?
        );
        let content_type = if body.get("specversion").is_some() {
            "application/cloudevents+json"
        } else {
            "application/json"
        };
        let response = self
            .raw(Method::POST, &url)
            .header("content-type", content_type)
            .body(serde_json::to_vec(body)?)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            bail!(
                "publishing to {topic} via {app} answered {status}: {}",
                response.text().await.unwrap_or_default()
            );
        }
        Ok(())
    }

    /// The structured (JSON) lines `service` has logged so far.
    pub fn log_lines(&self, service: &str) -> Result<Vec<Value>> {
        let path = format!("{}/logs/{service}.log", self.dir);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        // The wasi:http host prefixes each stderr line (`stderr [7] :: {...}`).
        Ok(text
            .lines()
            .filter_map(|line| line.find('{').map(|at| &line[at..]))
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect())
    }

    /// Waits until `service` has logged `count` lines with message `msg`
    /// whose field `field` is `value`; returns them.
    pub async fn logged(
        &self,
        service: &str,
        msg: &str,
        (field, value): (&str, &str),
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Value>> {
        let what = format!("{count} '{msg}' line(s) with {field}={value} in {service}'s log");
        self.eventually(&what, timeout, || async {
            let lines: Vec<Value> = self
                .log_lines(service)?
                .into_iter()
                .filter(|l| l["message"] == msg && l[field] == value)
                .collect();
            Ok((lines.len() >= count).then_some(lines))
        })
        .await
    }

    /// [`Stack::logged`] for one line, waiting the usual 30 s.
    pub async fn logged_once(
        &self,
        service: &str,
        msg: &str,
        field: (&str, &str),
    ) -> Result<Vec<Value>> {
        self.logged(service, msg, field, 1, Duration::from_secs(30))
            .await
    }

    /// `PATCH /tasks/{id}/complete` with `{"completed": true}`; the task after.
    pub async fn complete(&self, user: &str, id: u64) -> Result<Value> {
        self.call(
            Method::PATCH,
            user,
            &format!("/tasks/{id}/complete"),
            Some(json!({"completed": true})),
        )
        .await?
        .expect(reqwest::StatusCode::OK)
    }

    /// The items of `GET /api/{user}/audit?{query}`.
    pub async fn audit(&self, user: &str, query: &str) -> Result<Vec<Value>> {
        let page = self.get_json(user, &format!("/audit?{query}")).await?;
        Ok(page["items"]
            .as_array()
            .context("an audit page has items")?
            .clone())
    }

    /// The items of `GET /api/{user}/notifications`, newest first.
    pub async fn notifications(&self, user: &str) -> Result<Vec<Value>> {
        let page = self.get_json(user, "/notifications").await?;
        Ok(page["items"]
            .as_array()
            .context("a notification list has items")?
            .clone())
    }

    /// The ids of the `task.completed` events of task `id`, once audit has
    /// recorded `count` of them.
    pub async fn completion_events(
        &self,
        user: &str,
        id: u64,
        count: usize,
    ) -> Result<Vec<String>> {
        let query = format!("task_id={id}&type=task.completed");
        self.eventually(
            "the completion events in the audit log",
            Duration::from_secs(20),
            || async {
                let ids: Vec<String> = self
                    .audit(user, &query)
                    .await?
                    .iter()
                    .filter_map(|e| e["id"].as_str().map(str::to_owned))
                    .collect();
                Ok((ids.len() >= count).then_some(ids))
            },
        )
        .await
    }
}
