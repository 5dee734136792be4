//! An append-only, per-user log in a Dapr state store, stored as fixed-size
//! pages so that appending rewrites one small page, never the whole log.
//!
//! Keys (the store prefixes them with the app id):
//! - `{log}:{user}` — the head: how many pages, how full the last one is;
//! - `{log}:{user}:{n}` — page `n`, oldest entry first;
//! - `seen:{log}:{user}:{id}` — written in the same transaction as the entry,
//!   so an id is appended at most once to a user's log however often its
//!   event is delivered (ids need only be unique per user: two users'
//!   notifications may well share one).
//!
//! Writers guard the head and the last page with ETags; a concurrent append
//! makes the transaction fail and the append is retried on fresh state.

use dapr_http::{DaprError, StateOp};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::Dapr;

/// Entries per page: small enough to rewrite on every append.
const PAGE_SIZE: usize = 100;
/// Appends retried on ETag conflicts before giving up (the caller retries later).
const ATTEMPTS: usize = 8;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Head {
    pages: usize,
    last_len: usize,
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
pub struct PagedLog<'a> {
    dapr: &'a Dapr,
    store: &'a str,
    name: &'a str,
}

impl<'a> PagedLog<'a> {
    /// The log `name` (e.g. `audit`) in `store`.
    pub fn new(dapr: &'a Dapr, store: &'a str, name: &'a str) -> Self {
        Self { dapr, store, name }
    }

    fn head_key(&self, user: &str) -> String {
        format!("{}:{user}", self.name)
    }

    fn page_key(&self, user: &str, page: usize) -> String {
        format!("{}:{user}:{page}", self.name)
    }

    /// Appends `entry` unless `id` was appended before.
    pub async fn append<T: Serialize + DeserializeOwned>(
        &self,
        user: &str,
        id: &str,
        entry: &T,
    ) -> Result<Appended, DaprError> {
        let seen_key = format!("seen:{}:{user}:{id}", self.name);
        let entry = serde_json::to_value(entry).map_err(|source| DaprError::Encode {
            operation: format!("append to {}", self.name),
            source,
        })?;
        for _ in 0..ATTEMPTS {
            if self
                .dapr
                .get_state::<serde_json::Value>(self.store, &seen_key)
                .await?
                .is_some()
            {
                return Ok(Appended::Duplicate);
            }
            let head = self
                .dapr
                .get_state::<Head>(self.store, &self.head_key(user))
                .await?;
            let (head_value, head_etag) = match head {
                Some(v) => (v.value, v.etag),
                None => (Head::default(), None),
            };
            let starts_page = head_value.pages == 0 || head_value.last_len >= PAGE_SIZE;
            let page_no = if starts_page {
                head_value.pages
            } else {
                head_value.pages - 1
            };
            let (mut page, page_etag) = if starts_page {
                (Vec::new(), None)
            } else {
                match self
                    .dapr
                    .get_state::<Vec<serde_json::Value>>(self.store, &self.page_key(user, page_no))
                    .await?
                {
                    Some(v) => (v.value, v.etag),
                    None => (Vec::new(), None),
                }
            };
            page.push(entry.clone());
            let new_head = Head {
                pages: page_no + 1,
                last_len: page.len(),
            };
            let ops = [
                StateOp::upsert(&seen_key, serde_json::json!(true), None),
                StateOp::upsert(
                    self.page_key(user, page_no),
                    serde_json::json!(page),
                    page_etag,
                ),
                StateOp::upsert(self.head_key(user), serde_json::json!(new_head), head_etag),
            ];
            match self.dapr.transact_state(self.store, &ops).await {
                Ok(()) => return Ok(Appended::Stored),
                Err(DaprError::EtagMismatch) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(DaprError::EtagMismatch)
    }

    /// Every entry of `user`'s log, oldest first.
    pub async fn read_all<T: DeserializeOwned>(&self, user: &str) -> Result<Vec<T>, DaprError> {
        let Some(head) = self
            .dapr
            .get_state::<Head>(self.store, &self.head_key(user))
            .await?
        else {
            return Ok(Vec::new());
        };
        let keys: Vec<String> = (0..head.value.pages)
            .map(|n| self.page_key(user, n))
            .collect();
        let pages = self
            .dapr
            .get_bulk_state::<Vec<T>>(self.store, &keys)
            .await?;
        // Bulk results may come back in any order: put the pages back in key order.
        let mut by_key: std::collections::HashMap<String, Vec<T>> = pages
            .into_iter()
            .filter_map(|item| item.value.map(|v| (item.key, v.value)))
            .collect();
        Ok(keys
            .iter()
            .filter_map(|k| by_key.remove(k))
            .flatten()
            .collect())
    }

    /// Rewrites the entries of `user`'s log for which `change` returns true
    /// (e.g. marking a notification read). Returns whether any entry changed.
    pub async fn update<T: Serialize + DeserializeOwned>(
        &self,
        user: &str,
        mut change: impl FnMut(&mut T) -> bool,
    ) -> Result<bool, DaprError> {
        let Some(head) = self
            .dapr
            .get_state::<Head>(self.store, &self.head_key(user))
            .await?
        else {
            return Ok(false);
        };
        for n in (0..head.value.pages).rev() {
            let key = self.page_key(user, n);
            let Some(page) = self.dapr.get_state::<Vec<T>>(self.store, &key).await? else {
                continue;
            };
            let mut entries = page.value;
            let mut changed = false;
            for entry in &mut entries {
                changed |= change(entry);
            }
            if changed {
                let value = serde_json::to_value(&entries).map_err(|source| DaprError::Encode {
                    operation: format!("update {}", self.name),
                    source,
                })?;
                self.dapr
                    .transact_state(self.store, &[StateOp::upsert(key, value, page.etag)])
                    .await?;
                return Ok(true);
            }
        }
        Ok(false)
    }
}
