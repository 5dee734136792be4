//! An append-only, per-user log in a Dapr state store: an append writes
//! only its own entry and the head, never a page; every `PAGE_SIZE`-th
//! append gathers the loose entries into one page.
//!
//! Keys (the store prefixes them with the app id):
//! - `{log}:{user}` — the head: how many pages, how many loose entries;
//! - `{log}:{user}:{n}` — page `n`, oldest entry first;
//! - `{log}:{user}:x:{k}` — loose entry `k`, after every page;
//! - `seen:{log}:{user}:{id}` — written in the same transaction as the entry,
//!   so an id is appended at most once to a user's log however often its
//!   event is delivered (ids need only be unique per user: two users'
//!   notifications may well share one).
//!
//! An append is one bulk read (seen marker and head) and one transaction,
//! guarded by the head's ETag: a concurrent append fails it and is retried
//! on fresh state. Gathering deletes the loose entries at the ETags they
//! were read at, so an entry rewritten meanwhile (marked read) is not lost.
//! Logs written before loose entries existed (no `loose` in the head) read
//! the same; their last page may be short, which no reader minds.

use std::collections::HashMap;

use dapr_http::{DaprClient, DaprError, StateOp, Transport, Versioned};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::value::RawValue;

use crate::SpinTransport;

/// Entries per page: every this many appends, one page is written.
const PAGE_SIZE: usize = 100;
/// Appends retried on ETag conflicts before giving up (the caller retries later).
const ATTEMPTS: usize = 8;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Head {
    pages: usize,
    last_len: usize,
    /// Entries appended since the last page, at `{log}:{user}:x:{k}`.
    #[serde(default)]
    loose: usize,
}

/// What an append did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Appended {
    /// The entry is new and now stored.
    Stored,
    /// An entry with this id was stored before; nothing changed.
    Duplicate,
}

/// A named per-user log in one state store.
pub struct PagedLog<'a, T: Transport = SpinTransport> {
    dapr: &'a DaprClient<T>,
    store: &'a str,
    name: &'a str,
}

impl<'a, T: Transport> PagedLog<'a, T> {
    /// The log `name` (e.g. `audit`) in `store`.
    pub fn new(dapr: &'a DaprClient<T>, store: &'a str, name: &'a str) -> Self {
        Self { dapr, store, name }
    }

    fn head_key(&self, user: &str) -> String {
        format!("{}:{user}", self.name)
    }

    fn page_key(&self, user: &str, page: usize) -> String {
        format!("{}:{user}:{page}", self.name)
    }

    fn loose_key(&self, user: &str, k: usize) -> String {
        format!("{}:{user}:x:{k}", self.name)
    }

    fn encode(&self, value: &impl Serialize) -> Result<serde_json::Value, DaprError> {
        serde_json::to_value(value).map_err(|source| DaprError::Encode {
            operation: format!("write {}", self.name),
            source,
        })
    }

    /// Appends `entry` unless `id` was appended before.
    pub async fn append<V: Serialize>(
        &self,
        user: &str,
        id: &str,
        entry: &V,
    ) -> Result<Appended, DaprError> {
        let seen_key = format!("seen:{}:{user}:{id}", self.name);
        let head_key = self.head_key(user);
        let entry = self.encode(entry)?;
        for _ in 0..ATTEMPTS {
            let read = self
                .dapr
                .get_bulk_state::<Box<RawValue>>(self.store, &[seen_key.clone(), head_key.clone()])
                .await?;
            let found = |key: &str| {
                read.iter()
                    .find(|item| item.key == key)
                    .and_then(|item| item.value.as_ref())
            };
            if found(&seen_key).is_some() {
                return Ok(Appended::Duplicate);
            }
            let (head, head_etag) = match found(&head_key) {
                Some(v) => (
                    serde_json::from_str::<Head>(v.value.get()).map_err(|source| {
                        DaprError::Decode {
                            operation: format!("read {head_key}"),
                            source,
                        }
                    })?,
                    v.etag.clone(),
                ),
                None => (Head::default(), None),
            };
            let mut ops = vec![StateOp::upsert(&seen_key, serde_json::json!(true), None)];
            let next = if head.loose + 1 >= PAGE_SIZE {
                // Gather the loose entries and this one into a new page.
                let keys: Vec<String> = (0..head.loose).map(|k| self.loose_key(user, k)).collect();
                let loose = self
                    .dapr
                    .get_bulk_state::<Box<RawValue>>(self.store, &keys)
                    .await?;
                let mut page = Vec::with_capacity(PAGE_SIZE);
                for key in &keys {
                    let Some(item) = loose.iter().find(|item| &item.key == key) else {
                        continue;
                    };
                    if let Some(v) = &item.value {
                        page.push(v.value.clone());
                        ops.push(StateOp::delete(key, v.etag.clone()));
                    }
                }
                page.push(RawValue::from_string(entry.to_string()).map_err(|source| {
                    DaprError::Encode {
                        operation: format!("append to {}", self.name),
                        source,
                    }
                })?);
                ops.push(StateOp::create(
                    self.page_key(user, head.pages),
                    self.encode(&page)?,
                ));
                Head {
                    pages: head.pages + 1,
                    last_len: page.len(),
                    loose: 0,
                }
            } else {
                ops.push(StateOp::create(
                    self.loose_key(user, head.loose),
                    entry.clone(),
                ));
                Head {
                    loose: head.loose + 1,
                    ..head
                }
            };
            ops.push(StateOp::replace_read(
                head_key.clone(),
                self.encode(&next)?,
                head_etag,
            ));
            match self.dapr.transact_state(self.store, &ops).await {
                Ok(()) => return Ok(Appended::Stored),
                Err(DaprError::EtagMismatch) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(DaprError::EtagMismatch)
    }

    /// The head and the keys of every page and loose entry, oldest first.
    async fn layout(&self, user: &str) -> Result<Option<(Vec<String>, usize)>, DaprError> {
        let Some(head) = self
            .dapr
            .get_state::<Head>(self.store, &self.head_key(user))
            .await?
        else {
            return Ok(None);
        };
        let head = head.value;
        let keys = (0..head.pages)
            .map(|n| self.page_key(user, n))
            .chain((0..head.loose).map(|k| self.loose_key(user, k)))
            .collect();
        Ok(Some((keys, head.pages)))
    }

    /// Every entry of `user`'s log, oldest first.
    pub async fn read_all<V: DeserializeOwned>(&self, user: &str) -> Result<Vec<V>, DaprError> {
        let Some((keys, pages)) = self.layout(user).await? else {
            return Ok(Vec::new());
        };
        let items = self
            .dapr
            .get_bulk_state::<Box<RawValue>>(self.store, &keys)
            .await?;
        // Bulk results may come back in any order: put them back in key order.
        let mut by_key: HashMap<String, Box<RawValue>> = items
            .into_iter()
            .filter_map(|item| item.value.map(|v| (item.key, v.value)))
            .collect();
        let mut entries = Vec::new();
        for (n, key) in keys.iter().enumerate() {
            let Some(raw) = by_key.remove(key) else {
                continue;
            };
            let decode_error = |source| DaprError::Decode {
                operation: format!("read {key}"),
                source,
            };
            if n < pages {
                entries.extend(serde_json::from_str::<Vec<V>>(raw.get()).map_err(decode_error)?);
            } else {
                entries.push(serde_json::from_str::<V>(raw.get()).map_err(decode_error)?);
            }
        }
        Ok(entries)
    }

    /// Rewrites the entries of `user`'s log for which `change` returns true
    /// (e.g. marking a notification read), newest first, stopping after the
    /// first loose entry or page that changed. Returns whether any changed.
    pub async fn update<V: Serialize + DeserializeOwned>(
        &self,
        user: &str,
        mut change: impl FnMut(&mut V) -> bool,
    ) -> Result<bool, DaprError> {
        let Some((keys, pages)) = self.layout(user).await? else {
            return Ok(false);
        };
        let loose_keys = &keys[pages..];
        let mut loose: HashMap<String, Versioned<V>> = self
            .dapr
            .get_bulk_state::<V>(self.store, loose_keys)
            .await?
            .into_iter()
            .filter_map(|item| item.value.map(|v| (item.key, v)))
            .collect();
        for key in loose_keys.iter().rev() {
            let Some(mut stored) = loose.remove(key) else {
                continue;
            };
            if change(&mut stored.value) {
                let op = StateOp::upsert(key, self.encode(&stored.value)?, stored.etag);
                self.dapr.transact_state(self.store, &[op]).await?;
                return Ok(true);
            }
        }
        for key in keys[..pages].iter().rev() {
            let Some(page) = self.dapr.get_state::<Vec<V>>(self.store, key).await? else {
                continue;
            };
            let mut entries = page.value;
            let mut changed = false;
            for entry in &mut entries {
                changed |= change(entry);
            }
            if changed {
                let op = StateOp::upsert(key, self.encode(&entries)?, page.etag);
                self.dapr.transact_state(self.store, &[op]).await?;
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    //! The log against an in-memory state store behind `Transport`: what an
    //! append writes, gathering into pages, and reading and updating across
    //! pages and loose entries.

    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use dapr_http::TransportError;
    use http::{Request, Response};
    use serde_json::{Value, json};

    use super::*;

    /// State with ETags and atomic, ETag-checked transactions; counts calls.
    #[derive(Default)]
    struct Store {
        state: RefCell<BTreeMap<String, (Value, u64)>>,
        version: RefCell<u64>,
        calls: RefCell<Vec<&'static str>>,
    }

    fn reply(status: u16, body: Vec<u8>) -> Response<Vec<u8>> {
        Response::builder().status(status).body(body).unwrap()
    }

    impl Transport for &Store {
        async fn send(&self, req: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
            let path = req.uri().path().to_owned();
            let key = path.rsplit('/').next().unwrap().replace("%3A", ":");
            let body: Value = serde_json::from_slice(req.body()).unwrap_or(Value::Null);
            let mut state = self.state.borrow_mut();
            Ok(if req.method() == http::Method::GET {
                self.calls.borrow_mut().push("get");
                match state.get(&key) {
                    Some((v, etag)) => Response::builder()
                        .status(200)
                        .header("etag", etag.to_string())
                        .body(v.to_string().into_bytes())
                        .unwrap(),
                    None => reply(204, Vec::new()),
                }
            } else if key == "bulk" {
                self.calls.borrow_mut().push("bulk");
                let items: Vec<Value> = body["keys"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .rev()
                    .map(|k| match state.get(k.as_str().unwrap()) {
                        Some((v, etag)) => json!({"key": k, "data": v, "etag": etag.to_string()}),
                        None => json!({"key": k}),
                    })
                    .collect();
                reply(200, serde_json::to_vec(&items).unwrap())
            } else {
                self.calls.borrow_mut().push("tx");
                let ops = body["operations"].as_array().unwrap();
                for op in ops {
                    let r = &op["request"];
                    let current = state
                        .get(r["key"].as_str().unwrap())
                        .map(|(_, e)| e.to_string());
                    let ok = match r["etag"].as_str() {
                        Some(etag) => current.as_deref() == Some(etag),
                        None => r["options"]["concurrency"] != "first-write" || current.is_none(),
                    };
                    if !ok {
                        let err = br#"{"errorCode":"ERR_STATE_TRANSACTION","message":"possible etag mismatch"}"#;
                        return Ok(reply(500, err.to_vec()));
                    }
                }
                for op in ops {
                    let r = &op["request"];
                    let key = r["key"].as_str().unwrap().to_owned();
                    if op["operation"] == "delete" {
                        state.remove(&key);
                    } else {
                        *self.version.borrow_mut() += 1;
                        state.insert(key, (r["value"].clone(), *self.version.borrow()));
                    }
                }
                reply(204, Vec::new())
            })
        }
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(future).poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the in-memory store never suspends"),
        }
    }

    #[test]
    fn an_append_is_one_bulk_read_and_one_transaction_and_rewrites_no_page() {
        let store = Store::default();
        let dapr = DaprClient::new(3500, &store);
        let log = PagedLog::new(&dapr, "s", "audit");
        for i in 0..250 {
            let appended = block_on(log.append("bob", &format!("e{i}"), &json!({"n": i})));
            assert_eq!(appended.unwrap(), Appended::Stored);
        }
        let calls = store.calls.borrow().clone();
        // 250 appends: 2 calls each, plus one more bulk read per gathered page.
        assert_eq!(calls.len(), 2 * 250 + 2);
        let keys: Vec<String> = store
            .state
            .borrow()
            .keys()
            .filter(|k| k.starts_with("audit"))
            .cloned()
            .collect();
        assert!(
            keys.contains(&"audit:bob:0".to_owned()) && keys.contains(&"audit:bob:1".to_owned())
        );
        assert_eq!(keys.iter().filter(|k| k.contains(":x:")).count(), 50);

        assert_eq!(
            block_on(log.append("bob", "e7", &json!({"n": 7}))).unwrap(),
            Appended::Duplicate
        );
        let all: Vec<Value> = block_on(log.read_all("bob")).unwrap();
        let ns: Vec<u64> = all.iter().map(|v| v["n"].as_u64().unwrap()).collect();
        assert_eq!(ns, (0..250).collect::<Vec<_>>());
    }

    #[test]
    fn updates_reach_loose_entries_and_pages_and_logs_without_loose_entries_still_read() {
        let store = Store::default();
        let dapr = DaprClient::new(3500, &store);
        // A log as written before loose entries: one short page.
        store
            .state
            .borrow_mut()
            .insert("n:bob".into(), (json!({"pages": 1, "last_len": 2}), 1));
        store
            .state
            .borrow_mut()
            .insert("n:bob:0".into(), (json!([{"n": 0}, {"n": 1}]), 2));
        let log = PagedLog::new(&dapr, "s", "n");
        block_on(log.append("bob", "e2", &json!({"n": 2}))).unwrap();
        let mark = |target: u64| {
            block_on(log.update("bob", |v: &mut Value| {
                let hit = v["n"] == target && v.get("read").is_none();
                if hit {
                    v["read"] = json!(true);
                }
                hit
            }))
            .unwrap()
        };
        assert!(mark(2) && mark(0));
        assert!(!mark(9));
        let all: Vec<Value> = block_on(log.read_all("bob")).unwrap();
        assert_eq!(
            all,
            [
                json!({"n": 0, "read": true}),
                json!({"n": 1}),
                json!({"n": 2, "read": true})
            ]
        );
    }
}
