use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::value::RawValue;

use crate::error::DaprError;

/// A stored value with the ETag it was read at, for optimistic concurrency.
#[derive(Clone, Debug, PartialEq)]
pub struct Versioned<V> {
    /// The decoded value.
    pub value: V,
    /// The store's version token; pass it back on write to detect lost updates.
    pub etag: Option<String>,
}

/// One key of a bulk read.
#[derive(Clone, Debug, PartialEq)]
pub struct BulkItem<V> {
    /// The key asked for.
    pub key: String,
    /// Its value, or `None` when the key does not exist.
    pub value: Option<Versioned<V>>,
}

/// One operation of a state transaction.
#[derive(Clone, Debug, Serialize)]
pub struct StateOp {
    operation: &'static str,
    request: OpRequest,
}

#[derive(Clone, Debug, Serialize)]
struct OpRequest {
    key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<serde_json::Value>,
}

impl StateOp {
    /// Writes `value` at `key`. With `etag`, the write (and so the whole
    /// transaction) fails when the key changed since it was read; `Some("")`
    /// is not special: pass `None` for a key that did not exist.
    pub fn upsert(key: impl Into<String>, value: serde_json::Value, etag: Option<String>) -> Self {
        Self::new("upsert", key.into(), Some(value), etag)
    }

    /// Writes `value` at `key` only if `key` does not exist yet (Dapr's
    /// first-write concurrency without an ETag); otherwise the transaction
    /// fails as on a stale ETag. For keys read as missing.
    pub fn create(key: impl Into<String>, value: serde_json::Value) -> Self {
        let mut op = Self::new("upsert", key.into(), Some(value), None);
        op.request.options = Some(serde_json::json!({ "concurrency": "first-write" }));
        op
    }

    /// Writes `value` at `key` if it is unchanged since it was read: at
    /// ETag `etag`, or still missing when `etag` is `None`.
    pub fn replace_read(
        key: impl Into<String>,
        value: serde_json::Value,
        etag: Option<String>,
    ) -> Self {
        match etag {
            Some(etag) => Self::upsert(key, value, Some(etag)),
            None => Self::create(key, value),
        }
    }

    /// Deletes `key`, guarded by `etag` when given.
    pub fn delete(key: impl Into<String>, etag: Option<String>) -> Self {
        Self::new("delete", key.into(), None, etag)
    }

    fn new(
        operation: &'static str,
        key: String,
        value: Option<serde_json::Value>,
        etag: Option<String>,
    ) -> Self {
        let options = etag
            .as_ref()
            .map(|_| serde_json::json!({ "concurrency": "first-write" }));
        Self {
            operation,
            request: OpRequest {
                key,
                value,
                etag,
                options,
            },
        }
    }

    /// The key this operation writes.
    pub fn key(&self) -> &str {
        &self.request.key
    }
}

pub(crate) fn parse_get<V: DeserializeOwned>(
    operation: &str,
    response: &http::Response<Vec<u8>>,
) -> Result<Option<Versioned<V>>, DaprError> {
    if response.status() == http::StatusCode::NO_CONTENT || response.body().is_empty() {
        return Ok(None);
    }
    let value = serde_json::from_slice(response.body()).map_err(|source| DaprError::Decode {
        operation: operation.to_owned(),
        source,
    })?;
    let etag = response
        .headers()
        .get(http::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(Some(Versioned { value, etag }))
}

pub(crate) fn parse_bulk<V: DeserializeOwned>(
    operation: &str,
    response: &http::Response<Vec<u8>>,
) -> Result<Vec<BulkItem<V>>, DaprError> {
    // Each value is kept as raw JSON text and decoded once, straight into
    // `V`: going through a `serde_json::Value` tree first cost three times
    // as long for a 10,000-task listing (4.4 MB; 62-94 ms against 25 ms).
    #[derive(Deserialize)]
    struct Raw<'a> {
        key: String,
        #[serde(default, borrow)]
        data: Option<&'a RawValue>,
        #[serde(default)]
        etag: Option<String>,
        #[serde(default)]
        error: Option<String>,
    }
    let decode_error = |source| DaprError::Decode {
        operation: operation.to_owned(),
        source,
    };
    let raw: Vec<Raw> = serde_json::from_slice(response.body()).map_err(decode_error)?;
    raw.into_iter()
        .map(|item| {
            if let Some(error) = item.error.filter(|e| !e.is_empty()) {
                return Err(DaprError::Api {
                    operation: operation.to_owned(),
                    status: response.status().as_u16(),
                    code: "ERR_STATE_BULK_GET".into(),
                    message: format!("key '{}': {error}", item.key),
                });
            }
            let value = match item.data {
                None => None,
                Some(data) if data.get() == "null" => None,
                Some(data) => Some(Versioned {
                    value: serde_json::from_str(data.get()).map_err(decode_error)?,
                    etag: item.etag,
                }),
            };
            Ok(BulkItem {
                key: item.key,
                value,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upsert_with_an_etag_asks_for_first_write_concurrency() {
        let op = StateOp::upsert("k", serde_json::json!({"a": 1}), Some("3".into()));
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"operation": "upsert", "request": {"key": "k", "value": {"a": 1}, "etag": "3", "options": {"concurrency": "first-write"}}})
        );
    }

    #[test]
    fn a_create_is_a_first_write_upsert_without_an_etag() {
        let json = serde_json::to_value(StateOp::create("k", serde_json::json!(1))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"operation": "upsert", "request": {"key": "k", "value": 1, "options": {"concurrency": "first-write"}}})
        );
        let read_missing = StateOp::replace_read("k", serde_json::json!(1), None);
        assert_eq!(serde_json::to_value(read_missing).unwrap(), json);
        let read_at = StateOp::replace_read("k", serde_json::json!(1), Some("7".into()));
        assert_eq!(
            serde_json::to_value(read_at).unwrap()["request"]["etag"],
            "7"
        );
    }

    #[test]
    fn a_delete_without_an_etag_is_unconditional() {
        let json = serde_json::to_value(StateOp::delete("k", None)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"operation": "delete", "request": {"key": "k"}})
        );
    }

    #[test]
    fn bulk_results_mark_missing_keys_as_none() {
        let response = http::Response::builder()
            .status(200)
            .body(
                br#"[{"key":"a","data":{"n":1},"etag":"1"},{"key":"b"},{"key":"c","data":null}]"#
                    .to_vec(),
            )
            .unwrap();
        let items: Vec<BulkItem<serde_json::Value>> = parse_bulk("op", &response).unwrap();
        assert_eq!(items[0].value.as_ref().unwrap().value["n"], 1);
        assert_eq!(items[0].value.as_ref().unwrap().etag.as_deref(), Some("1"));
        assert!(items[1].value.is_none());
        assert!(items[2].value.is_none());
    }

    #[test]
    fn a_bulk_value_of_the_wrong_shape_is_a_decode_error() {
        let response = http::Response::builder()
            .status(200)
            .body(br#"[{"key":"a","data":{"n":"one"}}]"#.to_vec())
            .unwrap();
        #[derive(Debug, Deserialize)]
        struct Counter {
            #[allow(dead_code)]
            n: u32,
        }
        let error = parse_bulk::<Counter>("bulk get state s", &response).unwrap_err();
        assert!(matches!(error, DaprError::Decode { .. }), "{error:?}");
    }
}
