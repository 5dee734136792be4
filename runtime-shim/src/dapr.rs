//! Everything between this service and its Dapr sidecar: the programmatic
//! subscription, the CloudEvent handler, and fetching the JWT secret.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use dapr_http::{CloudEvent, DaprClient, SubscriptionReply, Transport, TransportError};
use serde::Serialize;
use serde_json::Value;
use todo_domain::{DeviceUpdate, DeviceUpdateType};

use crate::AppState;
use crate::config::Config;
use crate::hub::{Frame, Published};
use crate::metrics::Metrics;

/// `GET /dapr/subscribe`: the topic this app consumes, and where.
pub async fn subscribe(State(app): State<AppState>) -> Json<Value> {
    Json(subscriptions(&app.config))
}

/// The programmatic subscription list.
pub fn subscriptions(config: &Config) -> Value {
    serde_json::json!([{
        "pubsubname": config.pubsub,
        "topic": config.topic,
        "routes": { "default": "/events/task-updates" },
        "deadLetterTopic": config.dead_letter_topic,
    }])
}

/// `POST /events/task-updates`: one CloudEvent from the sidecar. Valid
/// messages are pushed to the user's sockets (SUCCESS); invalid ones are
/// logged and answered DROP, so Dapr dead-letters them instead of retrying.
pub async fn task_updates(State(app): State<AppState>, body: Bytes) -> Response {
    Metrics::inc(&app.metrics.messages_received);
    let reply = match parse_delivery(&body) {
        Err(invalid) => {
            Metrics::inc(&app.metrics.messages_invalid);
            tracing::warn!(
                cloudevent_id = invalid.cloudevent_id.as_deref().unwrap_or(""),
                user_id = invalid.user_id.as_deref().unwrap_or(""),
                reason = %invalid.reason,
                "dropping an invalid task update; Dapr sends it to the dead-letter topic"
            );
            SubscriptionReply::Drop
        }
        Ok(update) => {
            let frame = Frame::new(update.seq, update.text, update.occurred_at);
            match app.hub.publish(&update.user_id, frame) {
                Published::Duplicate => tracing::debug!(
                    user_id = %update.user_id,
                    seq = update.seq,
                    event_type = update.kind.as_str(),
                    "ignoring a duplicate update"
                ),
                Published::Delivered { sockets, slow } => tracing::debug!(
                    user_id = %update.user_id,
                    seq = update.seq,
                    event_type = update.kind.as_str(),
                    sockets,
                    slow,
                    "update fanned out"
                ),
            }
            SubscriptionReply::Success
        }
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        reply.body(),
    )
        .into_response()
}

/// A message ready to fan out.
#[derive(Debug, PartialEq)]
pub struct Update {
    /// The user whose sockets get it.
    pub user_id: String,
    /// The payload's `type`.
    pub kind: DeviceUpdateType,
    /// The user's change sequence number (task events only).
    pub seq: Option<u64>,
    /// The frame sent to clients.
    pub text: String,
    /// The payload's `occurred_at`, parsed.
    pub occurred_at: Option<SystemTime>,
}

/// Why a delivery was refused, with what could be read of it for the log.
#[derive(Debug, PartialEq)]
pub struct Invalid {
    /// What is wrong.
    pub reason: String,
    /// Dapr's id of the delivery, when the envelope could be read.
    pub cloudevent_id: Option<String>,
    /// The payload's user, when it could be read.
    pub user_id: Option<String>,
}

/// The published payload (`data`): the domain's device update. The shim
/// relays its `task` to clients as it came, so it reads it as JSON rather
/// than decoding and re-encoding a `Task` per message (the fan-out hot path).
type Payload = DeviceUpdate<Value>;

/// The frame pushed to clients; absent fields are omitted.
#[derive(Serialize)]
struct OutFrame<'a> {
    #[serde(rename = "type")]
    kind: DeviceUpdateType,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notification: Option<&'a Value>,
    occurred_at: DateTime<Utc>,
}

/// Reads one delivery: a CloudEvent whose `data` is a task event or a
/// notification for one user.
pub fn parse_delivery(body: &[u8]) -> Result<Update, Invalid> {
    let invalid = |reason: String, id: Option<&str>, user: Option<&str>| Invalid {
        reason,
        cloudevent_id: id.map(str::to_owned),
        user_id: user.map(str::to_owned),
    };
    let event: CloudEvent = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("the body is not a CloudEvent: {e}"), None, None))?;
    let id = Some(event.id.as_str()).filter(|id| !id.is_empty());
    // Publishers send JSON; tolerate it arriving as a JSON string.
    let data = match event.data {
        Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        data => data,
    };
    let user_hint = data.get("user_id").and_then(Value::as_str);
    let user_hint = user_hint.map(str::to_owned);
    let payload: Payload = serde_json::from_value(data).map_err(|e| {
        invalid(
            format!("data is not a task update or notification: {e}"),
            id,
            user_hint.as_deref(),
        )
    })?;
    let user_id = payload.user_id.to_string();
    let fail = |reason: &str| invalid(reason.to_owned(), id, Some(&user_id));
    let (seq, task, notification) = match payload.kind {
        DeviceUpdateType::Notification => {
            let Some(notification) = payload.notification.as_ref().filter(|n| !n.is_null()) else {
                return Err(fail("a notification needs a notification object"));
            };
            // Notifications are live only: any seq is not the task sequence.
            (None, None, Some(notification))
        }
        _task_event => {
            let Some(seq) = payload.seq else {
                return Err(fail("a task event needs a seq"));
            };
            let Some(task) = payload.task.as_ref().filter(|t| t.is_object()) else {
                return Err(fail("a task event needs a task object"));
            };
            (Some(seq), Some(task), None)
        }
    };
    let frame = OutFrame {
        kind: payload.kind,
        seq,
        task,
        notification,
        occurred_at: payload.occurred_at,
    };
    let text = serde_json::to_string(&frame)
        .map_err(|e| fail(&format!("the frame could not be encoded: {e}")))?;
    Ok(Update {
        kind: payload.kind,
        user_id,
        seq,
        text,
        occurred_at: Some(SystemTime::from(payload.occurred_at)),
    })
}

/// Sends the Dapr client's requests with reqwest.
#[derive(Clone, Debug)]
pub struct HttpTransport(reqwest::Client);

impl HttpTransport {
    /// A client with short timeouts: the sidecar is on the same host.
    pub fn new() -> Result<Self, reqwest::Error> {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .no_proxy()
            .build()
            .map(Self)
    }
}

impl Transport for HttpTransport {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let request =
            reqwest::Request::try_from(request).map_err(|e| TransportError(e.to_string()))?;
        let response = self
            .0
            .execute(request)
            .await
            .map_err(|e| TransportError(e.to_string()))?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| TransportError(e.to_string()))?;
        builder
            .body(body.to_vec())
            .map_err(|e| TransportError(e.to_string()))
    }
}

/// Fetches the JWT secret from the sidecar's secret store into `slot`,
/// retrying with backoff (up to 5 s apart) until it succeeds: the sidecar
/// may start after us.
pub async fn load_secret(config: Arc<crate::config::Config>, slot: Arc<OnceLock<Vec<u8>>>) {
    let transport = match HttpTransport::new() {
        Ok(transport) => transport,
        Err(e) => {
            tracing::error!(error = %e, "cannot build an HTTP client; the JWT secret will never load");
            return;
        }
    };
    let dapr = DaprClient::with_base(config.dapr_url.clone(), transport);
    let mut delay = Duration::from_millis(100);
    for attempt in 1u32.. {
        match dapr
            .get_secret(&config.secret_store, &config.secret_key)
            .await
        {
            Ok(secret) if !secret.is_empty() => {
                let _ = slot.set(secret.into_bytes());
                tracing::info!(
                    store = %config.secret_store,
                    key = %config.secret_key,
                    attempt,
                    "JWT secret loaded"
                );
                return;
            }
            Ok(_) => tracing::warn!(
                store = %config.secret_store,
                key = %config.secret_key,
                attempt,
                "the JWT secret is empty; retrying"
            ),
            Err(e) => tracing::warn!(
                store = %config.secret_store,
                key = %config.secret_key,
                attempt,
                retry_in_ms = delay.as_millis() as u64,
                error = %e,
                "cannot read the JWT secret from the sidecar yet; retrying"
            ),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use todo_domain::{Topic, names};

    fn event(data: Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "id": "ce-1",
            "source": "todo-api",
            "type": "com.dapr.event.sent",
            "specversion": "1.0",
            "datacontenttype": "application/json",
            "topic": Topic::TaskUpdates.name(),
            "pubsubname": names::REALTIME_PUBSUB,
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "data": data,
        }))
        .unwrap()
    }

    #[test]
    fn subscription_list_matches_the_contract() {
        let list = subscriptions(&Config::default());
        assert_eq!(
            list,
            serde_json::json!([{
                "pubsubname": "realtime-pubsub",
                "topic": "task-updates",
                "routes": {"default": "/events/task-updates"},
                "deadLetterTopic": "task-updates-dlq"
            }])
        );
    }

    #[test]
    fn task_event_becomes_a_frame() {
        let update = parse_delivery(&event(serde_json::json!({
            "type": "task.updated",
            "event_id": "0b6f0c1e-1111-4c1e-9d1e-111111111111",
            "user_id": "alice",
            "seq": 12,
            "occurred_at": "2025-01-02T03:04:05Z",
            "task": {"id": 7, "title": "milk"}
        })))
        .unwrap();
        assert_eq!(update.user_id, "alice");
        assert_eq!(update.seq, Some(12));
        assert_eq!(
            update.occurred_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_735_787_045))
        );
        assert_eq!(
            update.text,
            r#"{"type":"task.updated","seq":12,"task":{"id":7,"title":"milk"},"occurred_at":"2025-01-02T03:04:05Z"}"#
        );
    }

    #[test]
    fn notification_is_live_only() {
        let update = parse_delivery(&event(serde_json::json!({
            "type": "notification",
            "event_id": "e",
            "user_id": "bob",
            "occurred_at": "2025-01-02T03:04:05+01:00",
            "notification": {"task_id": 7, "message": "due soon"}
        })))
        .unwrap();
        assert_eq!(update.seq, None);
        // The time reaches clients in UTC, as every publisher writes it.
        assert_eq!(
            update.text,
            r#"{"type":"notification","notification":{"message":"due soon","task_id":7},"occurred_at":"2025-01-02T02:04:05Z"}"#
        );
    }

    #[test]
    fn data_as_a_json_string_is_accepted() {
        let data = r#"{"type":"task.deleted","event_id":"e","user_id":"a","seq":1,"task":{"id":1},"occurred_at":"2025-01-02T03:04:05Z"}"#;
        let update = parse_delivery(&event(Value::String(data.into()))).unwrap();
        assert_eq!(
            update.text,
            r#"{"type":"task.deleted","seq":1,"task":{"id":1},"occurred_at":"2025-01-02T03:04:05Z"}"#
        );
    }

    #[test]
    fn invalid_payloads_are_refused_with_a_reason() {
        // A valid task update with `changes` applied.
        let update = |changes: Value| {
            let mut data = serde_json::json!({
                "type": "task.created", "event_id": "e", "user_id": "a", "seq": 1,
                "occurred_at": "2025-01-02T03:04:05Z", "task": {},
            });
            for (key, value) in changes.as_object().expect("an object") {
                match value {
                    Value::Null => data.as_object_mut().expect("an object").remove(key),
                    value => data
                        .as_object_mut()
                        .expect("an object")
                        .insert(key.clone(), value.clone()),
                };
            }
            data
        };
        assert!(parse_delivery(&event(update(serde_json::json!({})))).is_ok());
        let cases = [
            (serde_json::json!(null), "data is not"),
            (update(serde_json::json!({"seq": null})), "needs a seq"),
            (update(serde_json::json!({"task": null})), "needs a task"),
            (
                update(serde_json::json!({"user_id": ""})),
                "user id must be",
            ),
            (
                update(serde_json::json!({"type": "task.exploded"})),
                "unknown variant `task.exploded`",
            ),
            (
                update(serde_json::json!({"type": "notification"})),
                "needs a notification",
            ),
            (update(serde_json::json!({"seq": -1})), "data is not"),
            (
                update(serde_json::json!({"event_id": null})),
                "missing field `event_id`",
            ),
            (
                update(serde_json::json!({"occurred_at": "yesterday"})),
                "data is not",
            ),
        ];
        for (data, expected) in cases {
            let invalid = parse_delivery(&event(data.clone())).unwrap_err();
            assert!(
                invalid.reason.contains(expected),
                "{data}: {}",
                invalid.reason
            );
            assert_eq!(invalid.cloudevent_id.as_deref(), Some("ce-1"));
        }
        let invalid = parse_delivery(b"not json").unwrap_err();
        assert!(invalid.reason.starts_with("the body is not a CloudEvent"));
        let invalid = parse_delivery(&event(serde_json::json!({"type": "x", "user_id": "carol"})))
            .unwrap_err();
        assert_eq!(invalid.user_id.as_deref(), Some("carol"));
    }
}
