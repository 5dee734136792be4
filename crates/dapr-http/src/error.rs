use thiserror::Error;

/// What went wrong talking to the sidecar, mapped once from HTTP status and
/// Dapr's error body (`{"errorCode": "...", "message": "..."}`).
#[derive(Debug, Error)]
pub enum DaprError {
    /// The request never got an answer (sidecar down, connection refused, timeout).
    #[error("the Dapr sidecar could not be reached: {0}")]
    Transport(String),
    /// A write was rejected because the stored ETag changed since it was read.
    #[error("the state changed since it was read (ETag mismatch)")]
    EtagMismatch,
    /// The sidecar answered with an error status.
    #[error("Dapr {operation} failed with HTTP {status} {code}: {message}")]
    Api {
        /// The building block call that failed, e.g. `publish task-events`.
        operation: String,
        /// HTTP status of the sidecar's answer.
        status: u16,
        /// Dapr's `errorCode`, e.g. `ERR_PUBSUB_PUBLISH_MESSAGE`.
        code: String,
        /// Dapr's human message.
        message: String,
    },
    /// The sidecar answered 2xx with a body we could not decode.
    #[error("could not decode the Dapr {operation} response: {source}")]
    Decode {
        /// The call whose response failed to decode.
        operation: String,
        /// The underlying JSON error.
        source: serde_json::Error,
    },
    /// The request could not be built (for example a path with characters a URI cannot hold).
    #[error("could not build the Dapr {operation} request: {message}")]
    InvalidRequest {
        /// The call that could not be built.
        operation: String,
        /// Why.
        message: String,
    },
    /// A request body could not be encoded (a bug in the caller's type).
    #[error("could not encode the Dapr {operation} request: {source}")]
    Encode {
        /// The call whose request failed to encode.
        operation: String,
        /// The underlying JSON error.
        source: serde_json::Error,
    },
}

impl DaprError {
    /// Maps a non-success response to an error. ETag conflicts get their own
    /// variant because callers retry them.
    pub(crate) fn from_response(operation: &str, response: &http::Response<Vec<u8>>) -> Self {
        #[derive(serde::Deserialize, Default)]
        struct Body {
            #[serde(rename = "errorCode", default)]
            error_code: String,
            #[serde(default)]
            message: String,
        }
        let body: Body = serde_json::from_slice(response.body()).unwrap_or_default();
        let status = response.status().as_u16();
        // State stores report a stale ETag as 409 on single writes and as a
        // 500 "possible etag mismatch" on transactions (Dapr 1.18). Redis
        // runs each transactional write as a Lua script whose ETag check
        // raises "failed to set key K" / "failed to delete K", which daprd
        // passes on as "ERR user_script:N: ..." (seen on the cluster).
        let state_call = body.error_code.starts_with("ERR_STATE");
        let redis_etag = body.message.contains("user_script")
            && (body.message.contains("failed to set key")
                || body.message.contains("failed to delete"));
        if state_call && (status == 409 || body.message.contains("etag mismatch") || redis_etag) {
            return DaprError::EtagMismatch;
        }
        let message = if body.message.is_empty() {
            String::from_utf8_lossy(response.body()).into_owned()
        } else {
            body.message
        };
        DaprError::Api {
            operation: operation.to_owned(),
            status,
            code: body.error_code,
            message,
        }
    }

    /// True when retrying later may succeed (sidecar or broker unavailable).
    pub fn is_transient(&self) -> bool {
        match self {
            DaprError::Transport(_) => true,
            DaprError::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }
}
