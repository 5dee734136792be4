//! An in-memory stand-in for todo-api's sidecar, for unit tests of the
//! storage code through `dapr_http::Transport`: state with ETags,
//! first-write, atomic transactions, bulk reads (answered in reverse order,
//! as Dapr may), pub/sub that can be made to fail, jobs. No I/O.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use dapr_http::{DaprClient, Transport, TransportError};
use http::{Request, Response};
use serde_json::{Value, json};

#[derive(Default)]
pub struct FakeSidecar {
    /// key -> (JSON text, etag)
    state: RefCell<BTreeMap<String, (String, u64)>>,
    next_etag: Cell<u64>,
    /// One line per call: "get", "bulk", "tx", "publish {topic}", "job".
    pub calls: RefCell<Vec<String>>,
    /// (topic, data) in the order published.
    pub published: RefCell<Vec<(String, Value)>>,
    /// Publishes fail while set.
    pub broker_down: Cell<bool>,
    /// Publishes to this topic fail (one producer answering before the other).
    pub refused_topic: RefCell<Option<String>>,
    /// Transactions fail (as a lost sidecar would) once this many more succeeded.
    pub transactions_before_crash: Cell<Option<usize>>,
}

type Body = Vec<u8>;

fn reply(status: u16, body: Body) -> Response<Body> {
    Response::builder().status(status).body(body).unwrap()
}

fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&segment[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

impl FakeSidecar {
    pub fn client(&self) -> DaprClient<&FakeSidecar> {
        DaprClient::new(3500, self)
    }

    /// Stores `value` at `key` (seeding, bypassing the API).
    pub fn put(&self, key: &str, value: &impl serde::Serialize) {
        let etag = self.bump();
        self.state.borrow_mut().insert(
            key.to_owned(),
            (serde_json::to_string(value).unwrap(), etag),
        );
    }

    /// The stored value at `key`.
    pub fn value(&self, key: &str) -> Option<Value> {
        self.state
            .borrow()
            .get(key)
            .map(|(text, _)| serde_json::from_str(text).unwrap())
    }

    /// Every stored key starting with `prefix`.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.state
            .borrow()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Forgets the calls made so far.
    pub fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut self.calls.borrow_mut())
    }

    fn bump(&self) -> u64 {
        self.next_etag.set(self.next_etag.get() + 1);
        self.next_etag.get()
    }

    fn transaction(&self, body: &Value) -> Response<Body> {
        if let Some(left) = self.transactions_before_crash.get() {
            if left == 0 {
                return reply(
                    500,
                    br#"{"errorCode":"ERR_STATE_TRANSACTION","message":"sidecar lost"}"#.to_vec(),
                );
            }
            self.transactions_before_crash.set(Some(left - 1));
        }
        let ops = body["operations"].as_array().unwrap();
        let mut state = self.state.borrow_mut();
        for op in ops {
            let request = &op["request"];
            let key = request["key"].as_str().unwrap();
            let current = state.get(key).map(|(_, etag)| etag.to_string());
            let first_write = request["options"]["concurrency"] == "first-write";
            let ok = match request["etag"].as_str() {
                Some(etag) => current.as_deref() == Some(etag),
                None => !(first_write && op["operation"] == "upsert") || current.is_none(),
            };
            if !ok {
                return reply(
                    500,
                    br#"{"errorCode":"ERR_STATE_TRANSACTION","message":"possible etag mismatch"}"#
                        .to_vec(),
                );
            }
        }
        for op in ops {
            let request = &op["request"];
            let key = request["key"].as_str().unwrap().to_owned();
            if op["operation"] == "delete" {
                state.remove(&key);
            } else {
                let etag = self.bump();
                state.insert(key, (request["value"].to_string(), etag));
            }
        }
        reply(204, Vec::new())
    }
}

impl Transport for &FakeSidecar {
    async fn send(&self, request: Request<Body>) -> Result<Response<Body>, TransportError> {
        let path = request.uri().path().to_owned();
        let segments: Vec<String> = path.split('/').skip(2).map(decode).collect();
        let body: Value = if request.body().is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(request.body()).unwrap()
        };
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let response = match (request.method().as_str(), segments.as_slice()) {
            ("GET", ["state", _, key]) => {
                self.calls.borrow_mut().push("get".into());
                match self.state.borrow().get(*key) {
                    Some((text, etag)) => Response::builder()
                        .status(200)
                        .header("etag", etag.to_string())
                        .body(text.clone().into_bytes())
                        .unwrap(),
                    None => reply(204, Vec::new()),
                }
            }
            ("POST", ["state", _, "bulk"]) => {
                self.calls.borrow_mut().push("bulk".into());
                let state = self.state.borrow();
                let items: Vec<Value> = body["keys"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .rev()
                    .map(|key| {
                        let key = key.as_str().unwrap();
                        match state.get(key) {
                            Some((text, etag)) => json!({
                                "key": key,
                                "data": serde_json::from_str::<Value>(text).unwrap(),
                                "etag": etag.to_string(),
                            }),
                            None => json!({ "key": key }),
                        }
                    })
                    .collect();
                reply(200, serde_json::to_vec(&items).unwrap())
            }
            ("POST", ["state", _, "transaction"]) => {
                self.calls.borrow_mut().push("tx".into());
                self.transaction(&body)
            }
            ("POST", ["publish", _, topic]) => {
                self.calls.borrow_mut().push(format!("publish {topic}"));
                if self.broker_down.get() || self.refused_topic.borrow().as_deref() == Some(*topic)
                {
                    reply(
                        500,
                        br#"{"errorCode":"ERR_PUBSUB_PUBLISH_MESSAGE","message":"broker down"}"#
                            .to_vec(),
                    )
                } else {
                    self.published
                        .borrow_mut()
                        .push(((*topic).to_owned(), body));
                    reply(204, Vec::new())
                }
            }
            ("POST", ["jobs", _]) => {
                self.calls.borrow_mut().push("job".into());
                reply(204, Vec::new())
            }
            (method, other) => panic!("the fake sidecar does not serve {method} {other:?}"),
        };
        Ok(response)
    }
}

/// Runs a storage call against the fake sidecar, which never suspends.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the fake sidecar never suspends"),
    }
}
