//! The Conversation API (alpha2) and the sidecar metadata a caller needs to
//! find a conversation component. Requests and responses stay JSON: the
//! caller builds the messages and tools (the API's own camelCase form).

use http::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::client::{DaprClient, Transport, encode};
use crate::error::DaprError;

/// A component the sidecar loaded.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Component {
    pub name: String,
    /// e.g. `conversation.openai`, `state.redis`.
    #[serde(rename = "type")]
    pub kind: String,
}

impl<T: Transport> DaprClient<T> {
    /// The components the sidecar loaded (`GET /v1.0/metadata`).
    pub async fn components(&self) -> Result<Vec<Component>, DaprError> {
        #[derive(Deserialize)]
        struct Metadata {
            #[serde(default)]
            components: Vec<Component>,
        }
        let operation = "get metadata";
        let request = self.request(operation, Method::GET, "/v1.0/metadata", Vec::new())?;
        let response = self.call_ok(operation, request).await?;
        let metadata: Metadata =
            serde_json::from_slice(response.body()).map_err(|source| DaprError::Decode {
                operation: operation.to_owned(),
                source,
            })?;
        Ok(metadata.components)
    }

    /// One call of the Conversation API alpha2 on the component `name`:
    /// `request` is `{inputs, tools?, toolChoice?, ...}`; the answer is
    /// `{outputs: [{choices: [{finishReason, message: {content, toolCalls}}]}]}`.
    pub async fn converse_alpha2(&self, name: &str, request: &Value) -> Result<Value, DaprError> {
        let operation = format!("converse with {name}");
        let path = format!("/v1.0-alpha2/conversation/{}/converse", encode(name));
        let request = self.json_request(&operation, Method::POST, &path, request)?;
        let response = self.call_ok(&operation, request).await?;
        serde_json::from_slice(response.body())
            .map_err(|source| DaprError::Decode { operation, source })
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::future::Future;

    use http::{Request, Response};
    use serde_json::json;

    use super::*;
    use crate::client::TransportError;

    /// Answers every request with one canned body and keeps what was sent.
    struct Canned {
        body: &'static str,
        sent: RefCell<Vec<Request<Vec<u8>>>>,
    }

    impl Transport for &Canned {
        async fn send(
            &self,
            request: Request<Vec<u8>>,
        ) -> Result<Response<Vec<u8>>, TransportError> {
            self.sent.borrow_mut().push(request);
            Ok(Response::builder()
                .status(200)
                .body(self.body.as_bytes().to_vec())
                .unwrap())
        }
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(future).as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the canned transport never suspends"),
        }
    }

    #[test]
    fn components_come_from_the_metadata() {
        let canned = Canned {
            body: r#"{"id":"todo-api","components":[{"name":"chat-model","type":"conversation.openai","version":"v1"}]}"#,
            sent: RefCell::new(Vec::new()),
        };
        let client = DaprClient::new(3500, &canned);
        let found = block_on(client.components()).unwrap();
        assert_eq!(
            found,
            [Component {
                name: "chat-model".into(),
                kind: "conversation.openai".into()
            }]
        );
        assert_eq!(canned.sent.borrow()[0].uri().path(), "/v1.0/metadata");
    }

    #[test]
    fn a_conversation_call_posts_to_the_alpha2_endpoint() {
        let canned = Canned {
            body: r#"{"outputs":[{"choices":[{"finishReason":"stop","message":{"content":"hi"}}]}]}"#,
            sent: RefCell::new(Vec::new()),
        };
        let client = DaprClient::new(3500, &canned);
        let request =
            json!({"inputs": [{"messages": [{"ofUser": {"content": [{"text": "hi"}]}}]}]});
        let answer = block_on(client.converse_alpha2("chat-model", &request)).unwrap();
        assert_eq!(
            answer["outputs"][0]["choices"][0]["message"]["content"],
            "hi"
        );
        let sent = canned.sent.borrow();
        assert_eq!(sent[0].method(), Method::POST);
        assert_eq!(
            sent[0].uri().path(),
            "/v1.0-alpha2/conversation/chat-model/converse"
        );
        let body: Value = serde_json::from_slice(sent[0].body()).unwrap();
        assert_eq!(body, request);
    }
}
