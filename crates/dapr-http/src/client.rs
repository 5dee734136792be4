use std::future::Future;

use http::{Method, Request, Response, header};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::DaprError;
use crate::jobs::Job;
use crate::state::{BulkItem, StateOp, Versioned};

/// A failure to exchange a request with the sidecar at all.
#[derive(Debug)]
pub struct TransportError(pub String);

/// Sends one HTTP request to the sidecar. Implemented with Spin's outbound
/// HTTP inside components and with a native client elsewhere.
pub trait Transport {
    /// Sends `request` and returns the whole response.
    fn send(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>>;
}

/// The sidecar's HTTP API, typed. Cheap to clone and build per request.
#[derive(Clone, Debug)]
pub struct DaprClient<T> {
    base: String,
    transport: T,
}

type Body = Vec<u8>;

impl<T: Transport> DaprClient<T> {
    /// A client for the sidecar listening on `127.0.0.1:{port}`.
    pub fn new(port: u16, transport: T) -> Self {
        Self::with_base(format!("http://127.0.0.1:{port}"), transport)
    }

    /// A client for a sidecar at an explicit base URL (no trailing slash).
    pub fn with_base(base: impl Into<String>, transport: T) -> Self {
        Self {
            base: base.into(),
            transport,
        }
    }

    async fn exchange(
        &self,
        operation: &str,
        request: Request<Body>,
    ) -> Result<Response<Body>, DaprError> {
        self.transport
            .send(request)
            .await
            .map_err(|TransportError(e)| DaprError::Transport(format!("{operation}: {e}")))
    }

    pub(crate) async fn call_ok(
        &self,
        operation: &str,
        request: Request<Body>,
    ) -> Result<Response<Body>, DaprError> {
        let response = self.exchange(operation, request).await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(DaprError::from_response(operation, &response))
        }
    }

    pub(crate) fn request(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        body: Body,
    ) -> Result<Request<Body>, DaprError> {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if !body.is_empty() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        builder.body(body).map_err(|e| DaprError::InvalidRequest {
            operation: operation.to_owned(),
            message: e.to_string(),
        })
    }

    pub(crate) fn json_request(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        body: &impl Serialize,
    ) -> Result<Request<Body>, DaprError> {
        let bytes = serde_json::to_vec(body).map_err(|source| DaprError::Encode {
            operation: operation.to_owned(),
            source,
        })?;
        self.request(operation, method, path, bytes)
    }

    // ---- state -------------------------------------------------------------

    /// Reads one key. `None` when the key does not exist.
    pub async fn get_state<V: DeserializeOwned>(
        &self,
        store: &str,
        key: &str,
    ) -> Result<Option<Versioned<V>>, DaprError> {
        let operation = format!("get state {store}/{key}");
        let path = format!("/v1.0/state/{}/{}", encode(store), encode(key));
        let request = self.request(&operation, Method::GET, &path, Vec::new())?;
        let response = self.call_ok(&operation, request).await?;
        crate::state::parse_get(&operation, &response)
    }

    /// Reads many keys in one call; missing keys come back with `value: None`.
    pub async fn get_bulk_state<V: DeserializeOwned>(
        &self,
        store: &str,
        keys: &[String],
    ) -> Result<Vec<BulkItem<V>>, DaprError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let operation = format!("bulk get state {store}");
        let body = serde_json::json!({ "keys": keys, "parallelism": 16 });
        let path = format!("/v1.0/state/{}/bulk", encode(store));
        let request = self.json_request(&operation, Method::POST, &path, &body)?;
        let response = self.call_ok(&operation, request).await?;
        crate::state::parse_bulk(&operation, &response)
    }

    /// Applies all operations atomically. An ETag on any operation makes the
    /// whole transaction fail with [`DaprError::EtagMismatch`] when stale.
    pub async fn transact_state(&self, store: &str, ops: &[StateOp]) -> Result<(), DaprError> {
        let operation = format!("state transaction {store}");
        let body = serde_json::json!({ "operations": ops });
        let path = format!("/v1.0/state/{}/transaction", encode(store));
        let request = self.json_request(&operation, Method::POST, &path, &body)?;
        self.call_ok(&operation, request).await.map(drop)
    }

    // ---- pub/sub -----------------------------------------------------------

    /// Publishes `data` as JSON to `topic`. `partition_key` becomes the Kafka
    /// message key, which keeps one user's events in order on one partition.
    pub async fn publish(
        &self,
        pubsub: &str,
        topic: &str,
        data: &impl Serialize,
        partition_key: &str,
    ) -> Result<(), DaprError> {
        let operation = format!("publish {pubsub}/{topic}");
        let path = format!(
            "/v1.0/publish/{}/{}?metadata.partitionKey={}",
            encode(pubsub),
            encode(topic),
            encode(partition_key)
        );
        let request = self.json_request(&operation, Method::POST, &path, data)?;
        self.call_ok(&operation, request).await.map(drop)
    }

    // ---- jobs --------------------------------------------------------------

    /// Creates or replaces the job `name`. It fires as `POST /job/{name}` on
    /// the app whose sidecar scheduled it.
    pub async fn schedule_job(&self, name: &str, job: &Job) -> Result<(), DaprError> {
        let operation = format!("schedule job {name}");
        let path = format!("/v1.0/jobs/{}", encode(name));
        let request = self.json_request(&operation, Method::POST, &path, job)?;
        self.call_ok(&operation, request).await.map(drop)
    }

    /// Deletes the job `name`; deleting a job that does not exist succeeds.
    pub async fn delete_job(&self, name: &str) -> Result<(), DaprError> {
        let operation = format!("delete job {name}");
        let path = format!("/v1.0/jobs/{}", encode(name));
        let request = self.request(&operation, Method::DELETE, &path, Vec::new())?;
        let response = self.exchange(&operation, request).await?;
        match response.status().as_u16() {
            200..=299 | 404 => Ok(()),
            _ => match DaprError::from_response(&operation, &response) {
                // Dapr reports a missing job as an internal error with this code.
                DaprError::Api { ref message, .. } if message.contains("not found") => Ok(()),
                error => Err(error),
            },
        }
    }

    // ---- secrets -----------------------------------------------------------

    /// Reads one secret value from a secret store.
    pub async fn get_secret(&self, store: &str, key: &str) -> Result<String, DaprError> {
        let operation = format!("get secret {store}/{key}");
        let path = format!("/v1.0/secrets/{}/{}", encode(store), encode(key));
        let request = self.request(&operation, Method::GET, &path, Vec::new())?;
        let response = self.call_ok(&operation, request).await?;
        let mut map: std::collections::HashMap<String, String> =
            serde_json::from_slice(response.body()).map_err(|source| DaprError::Decode {
                operation: operation.clone(),
                source,
            })?;
        map.remove(key).ok_or_else(|| DaprError::Api {
            operation,
            status: response.status().as_u16(),
            code: "ERR_SECRET_MISSING".into(),
            message: format!("the secret store has no value for '{key}'"),
        })
    }

    // ---- service invocation ------------------------------------------------

    /// Calls `method_path` (with its query string) on the app `app_id` through
    /// the sidecars, forwarding `headers`. The callee's response is returned
    /// whatever its status, so callers can pass it through.
    pub async fn invoke(
        &self,
        app_id: &str,
        method: Method,
        method_path: &str,
        headers: &[(header::HeaderName, header::HeaderValue)],
        body: Vec<u8>,
    ) -> Result<Response<Body>, DaprError> {
        let operation = format!("invoke {app_id} {method} {method_path}");
        let path = format!(
            "/v1.0/invoke/{}/method/{}",
            encode(app_id),
            method_path.trim_start_matches('/')
        );
        let mut request = self.request(&operation, method, &path, body)?;
        for (name, value) in headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        self.exchange(&operation, request).await
    }
}

/// Percent-encodes one path segment or query value.
pub(crate) fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Records requests and answers with canned responses, to test the
    /// mapping to and from HTTP without a sidecar.
    struct Recorder {
        sent: RefCell<Vec<Request<Body>>>,
        reply: RefCell<Vec<Response<Body>>>,
    }

    impl Recorder {
        fn answering(status: u16, body: &str) -> Self {
            Self::answering_with(status, body, &[])
        }
        fn answering_with(status: u16, body: &str, headers: &[(&str, &str)]) -> Self {
            let mut response = Response::builder().status(status);
            for (k, v) in headers {
                response = response.header(*k, *v);
            }
            Self {
                sent: RefCell::new(Vec::new()),
                reply: RefCell::new(vec![response.body(body.as_bytes().to_vec()).unwrap()]),
            }
        }
    }

    impl Transport for &Recorder {
        async fn send(&self, request: Request<Body>) -> Result<Response<Body>, TransportError> {
            self.sent.borrow_mut().push(request);
            self.reply
                .borrow_mut()
                .pop()
                .ok_or_else(|| TransportError("no canned reply".into()))
        }
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        // The recorder never suspends, so one poll completes every call.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut future = std::pin::pin!(future);
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the recorder transport never suspends"),
        }
    }

    #[test]
    fn publish_sets_the_partition_key_as_kafka_message_key() {
        let recorder = Recorder::answering(204, "");
        let client = DaprClient::new(3500, &recorder);
        block_on(client.publish(
            "pubsub",
            "task-events",
            &serde_json::json!({"a": 1}),
            "alice b",
        ))
        .unwrap();
        let sent = recorder.sent.borrow();
        assert_eq!(
            sent[0].uri(),
            "http://127.0.0.1:3500/v1.0/publish/pubsub/task-events?metadata.partitionKey=alice%20b"
        );
        assert_eq!(sent[0].method(), Method::POST);
        assert_eq!(sent[0].body(), br#"{"a":1}"#);
    }

    #[test]
    fn get_state_returns_none_for_a_missing_key() {
        let recorder = Recorder::answering(204, "");
        let client = DaprClient::new(3500, &recorder);
        let got: Option<Versioned<serde_json::Value>> =
            block_on(client.get_state("store", "k")).unwrap();
        assert!(got.is_none());
    }

    #[test]
    fn get_state_reads_the_etag_header() {
        let recorder = Recorder::answering_with(200, r#"{"n":1}"#, &[("etag", "7")]);
        let client = DaprClient::new(3500, &recorder);
        let got: Versioned<serde_json::Value> =
            block_on(client.get_state("store", "k")).unwrap().unwrap();
        assert_eq!(got.etag.as_deref(), Some("7"));
        assert_eq!(got.value["n"], 1);
    }

    #[test]
    fn a_stale_etag_in_a_transaction_is_an_etag_mismatch() {
        // What daprd 1.18.3 with state.sqlite answers.
        let recorder = Recorder::answering(
            500,
            r#"{"errorCode":"ERR_STATE_TRANSACTION","message":"error while executing state transaction: possible etag mismatch. error from state store"}"#,
        );
        let client = DaprClient::new(3500, &recorder);
        let err =
            block_on(client.transact_state("store", &[StateOp::delete("k", None)])).unwrap_err();
        assert!(matches!(err, DaprError::EtagMismatch), "{err:?}");
    }

    #[test]
    fn a_stale_etag_in_a_redis_transaction_is_an_etag_mismatch() {
        // What daprd 1.18.3 with state.redis answers (Redis 7.0).
        let recorder = Recorder::answering(
            500,
            r#"{"errorCode":"ERR_STATE_TRANSACTION","message":"error while executing state transaction: ERR user_script:14: failed to set key todo-api||u:a:meta script: d908b9553add63a82e03589b5c6d01a7654ef0f2, on @user_script:14."}"#,
        );
        let client = DaprClient::new(3500, &recorder);
        let err =
            block_on(client.transact_state("store", &[StateOp::delete("k", None)])).unwrap_err();
        assert!(matches!(err, DaprError::EtagMismatch), "{err:?}");
    }

    #[test]
    fn an_existing_job_is_a_conflict_not_an_etag_mismatch() {
        let recorder = Recorder::answering(
            409,
            r#"{"errorCode":"DAPR_SCHEDULER_SCHEDULE_JOB","message":"failed to schedule job due to: rpc error: code = AlreadyExists desc = job already exists"}"#,
        );
        let client = DaprClient::new(3500, &recorder);
        let job = crate::Job::once_at("2026-01-01T00:00:00Z".into(), serde_json::json!({}));
        let err = block_on(client.schedule_job("j", &job)).unwrap_err();
        assert!(matches!(err, DaprError::Api { status: 409, .. }), "{err:?}");
    }

    #[test]
    fn a_server_error_keeps_the_dapr_code_and_message_and_is_transient() {
        let recorder = Recorder::answering(
            500,
            r#"{"errorCode":"ERR_PUBSUB_PUBLISH_MESSAGE","message":"kafka: client has run out of available brokers"}"#,
        );
        let client = DaprClient::new(3500, &recorder);
        let err = block_on(client.publish("p", "t", &1, "u")).unwrap_err();
        assert!(err.is_transient());
        let text = err.to_string();
        assert!(
            text.contains("ERR_PUBSUB_PUBLISH_MESSAGE")
                && text.contains("out of available brokers"),
            "{text}"
        );
    }

    #[test]
    fn deleting_a_missing_job_succeeds() {
        let recorder = Recorder::answering(404, "");
        let client = DaprClient::new(3500, &recorder);
        block_on(client.delete_job("reminder-1")).unwrap();
    }

    #[test]
    fn get_secret_picks_the_named_value() {
        let recorder = Recorder::answering(200, r#"{"jwt-secret":"s3cret"}"#);
        let client = DaprClient::new(3500, &recorder);
        assert_eq!(
            block_on(client.get_secret("secretstore", "jwt-secret")).unwrap(),
            "s3cret"
        );
    }

    #[test]
    fn invoke_builds_the_service_invocation_path_and_passes_errors_through() {
        let recorder = Recorder::answering(404, r#"{"title":"not found"}"#);
        let client = DaprClient::new(3501, &recorder);
        let response = block_on(client.invoke(
            "audit",
            Method::GET,
            "/api/alice/audit?limit=5",
            &[],
            Vec::new(),
        ))
        .unwrap();
        assert_eq!(response.status(), 404);
        assert_eq!(
            recorder.sent.borrow()[0].uri(),
            "http://127.0.0.1:3501/v1.0/invoke/audit/method/api/alice/audit?limit=5"
        );
    }
}
