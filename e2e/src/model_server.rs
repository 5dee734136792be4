//! A scripted OpenAI-compatible server on loopback, for the chat model's
//! contract test: daprd's real `conversation.openai` component is pointed at
//! it (its `endpoint`). `POST /v1/chat/completions` answers with the next
//! reply of a script, whatever was asked, and records every request (its
//! `Authorization` header and JSON body) so the test can check what reached
//! "the model". It proves the wiring, never a model's judgement.
//!
//! HTTP/1.1 by hand, one request per connection (`Connection: close`): the
//! only client is daprd's OpenAI client, which sends a `Content-Length` body.

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request the server received.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

type Shared = Arc<Mutex<(Vec<Value>, Vec<Received>)>>;

/// The running server; it stops when dropped.
pub struct ScriptedModel {
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedModel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A chat completion whose message calls one tool.
pub fn tool_call(id: &str, name: &str, arguments: &str) -> Value {
    completion(
        json!({"role": "assistant", "content": "", "tool_calls": [{
            "id": id, "type": "function",
            "function": {"name": name, "arguments": arguments},
        }]}),
        "tool_calls",
    )
}

/// A chat completion whose message is text.
pub fn text(content: &str) -> Value {
    completion(json!({"role": "assistant", "content": content}), "stop")
}

fn completion(message: Value, finish: &str) -> Value {
    json!({
        "id": "chatcmpl-scripted", "object": "chat.completion", "created": 0,
        "model": "scripted-contract-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    })
}

impl ScriptedModel {
    /// Listens on `127.0.0.1:port` and answers the `script`'s replies in
    /// order; a request beyond the script gets a 500 (and is recorded).
    pub async fn start(port: u16, script: Vec<Value>) -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("binding the scripted model server to 127.0.0.1:{port}"))?;
        let shared: Shared = Arc::new(Mutex::new((script.into_iter().rev().collect(), vec![])));
        let state = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve(stream, &state).await {
                        eprintln!("scripted model server: {e:#}");
                    }
                });
            }
        });
        Ok(Self { shared, task })
    }

    /// Every request received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().expect("not poisoned").1.clone()
    }

    /// How many scripted replies are still unsent.
    pub fn unsent(&self) -> usize {
        self.shared.lock().expect("not poisoned").0.len()
    }
}

async fn serve(mut stream: TcpStream, shared: &Shared) -> Result<()> {
    let mut buffer = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("the client closed before the end of the headers");
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let length: usize = header("content-length")
        .context("the request has no Content-Length")?
        .parse()?;
    while buffer.len() < head_end + length {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("the client closed before the end of the body");
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body: Value = serde_json::from_slice(&buffer[head_end..head_end + length])
        .context("the request body is not JSON")?;
    let reply = {
        let mut state = shared.lock().expect("not poisoned");
        state.1.push(Received {
            path: path.clone(),
            authorization: header("authorization"),
            body,
        });
        if path == "/v1/chat/completions" {
            state.0.pop()
        } else {
            None
        }
    };
    let (status, body) = match reply {
        Some(reply) => ("200 OK", reply),
        None => (
            "500 Internal Server Error",
            json!({"error": {"message": "the script has no reply for this request", "type": "server_error"}}),
        ),
    };
    let body = body.to_string();
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await?;
    Ok(())
}
