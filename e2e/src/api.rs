//! Calls to the public task API with everything a test checks: status,
//! headers and body, and the problem+json shape of errors. Every response
//! read through these helpers is checked against the OpenAPI document first
//! ([`crate::openapi`]); [`Stack::raw`] is the only way around it, for
//! requests outside the document.

use anyhow::{Context, Result, ensure};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::Stack;
use crate::openapi::contract;

/// A request to todo-api's public API ([`Stack::request`], [`Stack::checked`]),
/// built like reqwest's; [`ApiRequest::send`] checks the response against
/// the OpenAPI document before the test sees it.
pub struct ApiRequest {
    builder: reqwest::RequestBuilder,
    token: Option<String>,
}

impl ApiRequest {
    pub(crate) fn new(builder: reqwest::RequestBuilder) -> ApiRequest {
        ApiRequest {
            builder,
            token: None,
        }
    }

    /// Sends `token` as the bearer credential (instead of any set before).
    pub fn bearer_auth(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.builder = self.builder.header(name.as_ref(), value.as_ref());
        self
    }

    /// A JSON body.
    pub fn json(mut self, body: &Value) -> Self {
        self.builder = self.builder.json(body);
        self
    }

    /// A body as it is (set its content type with [`ApiRequest::header`]).
    pub fn body(mut self, body: impl Into<reqwest::Body>) -> Self {
        self.builder = self.builder.body(body);
        self
    }

    /// Sends the request and reads the response whole; fails, naming the
    /// request, the status, each violation and the body, when the response
    /// is not what the OpenAPI document says this operation answers.
    pub async fn send(self) -> Result<Reply> {
        let mut builder = self.builder;
        if let Some(token) = &self.token {
            builder = builder.bearer_auth(token);
        }
        let (client, request) = builder.build_split();
        let request = request?;
        let method = request.method().clone();
        let url = request.url();
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let response = client
            .execute(request)
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        contract()?.check(&method, &path, status.as_u16(), &headers, &bytes)?;
        Ok(Reply::from_parts(status, headers, &bytes))
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as JSON (`Null` when empty, a string when not JSON).
    pub body: Value,
}

impl Reply {
    /// Reads a response as it is, unchecked (for [`Stack::raw`]'s requests;
    /// [`ApiRequest::send`] checks the public API's).
    pub async fn read(response: reqwest::Response) -> Result<Reply> {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        Ok(Reply::from_parts(status, headers, &bytes))
    }

    fn from_parts(status: StatusCode, headers: HeaderMap, bytes: &[u8]) -> Reply {
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Fails unless the status is `expected`; returns the body.
    pub fn expect(self, expected: StatusCode) -> Result<Value> {
        ensure!(
            self.status == expected,
            "expected {expected}, got {}: {}",
            self.status,
            self.body
        );
        Ok(self.body)
    }

    /// Fails unless this is an `application/problem+json` error with
    /// `status` whose `detail` mentions every one of `mentions`
    /// (case-insensitively): the message a person acts on.
    pub fn expect_problem(&self, status: StatusCode, mentions: &[&str]) -> Result<()> {
        ensure!(
            self.status == status,
            "expected {status}, got {}: {}",
            self.status,
            self.body
        );
        let content_type = self.header("content-type").unwrap_or("");
        ensure!(
            content_type.starts_with("application/problem+json"),
            "a {status} error must be application/problem+json, got '{content_type}'"
        );
        ensure!(
            self.body["status"] == status.as_u16(),
            "the problem's status field must be {status}: {}",
            self.body
        );
        ensure!(
            self.body["title"].as_str().is_some_and(|t| !t.is_empty()),
            "the problem has no title: {}",
            self.body
        );
        let detail = self.body["detail"]
            .as_str()
            .context("the problem has no detail")?
            .to_lowercase();
        for mention in mentions {
            ensure!(
                detail.contains(&mention.to_lowercase()),
                "the problem's detail should mention '{mention}': {detail}"
            );
        }
        Ok(())
    }
}

impl Stack {
    /// A request to the public API as `user` (path relative to `/api/{user}`),
    /// its response checked against the OpenAPI document when sent.
    pub fn request(&self, method: Method, user: &str, path: &str) -> ApiRequest {
        self.checked(method, &format!("{}/api/{user}{path}", self.api))
            .bearer_auth(self.token(user))
    }

    /// A request to `url` of todo-api's public API (this stack's or another
    /// replica's), without credentials; like [`Stack::raw`], but its response
    /// is checked against the OpenAPI document when sent.
    pub fn checked(&self, method: Method, url: &str) -> ApiRequest {
        ApiRequest::new(self.http.request(method, url))
    }

    /// Sends `method path` (relative to `/api/{user}`) as `user`, with a JSON body if given.
    pub async fn call(
        &self,
        method: Method,
        user: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Reply> {
        let mut request = self.request(method, user, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await
    }

    /// `user`'s side of the public API: short calls whose replies the test
    /// then checks, e.g. `stack.as_user(&user).patch(&path, body).await?.expect(StatusCode::OK)?`.
    pub fn as_user<'a>(&'a self, user: &'a str) -> UserApi<'a> {
        UserApi { stack: self, user }
    }

    /// Every task of `user` (one page of up to 500), by id.
    pub async fn all_tasks(&self, user: &str) -> Result<Vec<Value>> {
        let page = self.get_json(user, "/tasks?limit=500").await?;
        let mut items = page["items"]
            .as_array()
            .context("a task list has items")?
            .clone();
        items.sort_by_key(|t| t["id"].as_u64());
        Ok(items)
    }
}

/// The ids of a list page's items, in order.
pub fn ids(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|t| t["id"].as_u64()).collect())
        .unwrap_or_default()
}

/// A task's id; panics with the task when it has none (a test bug).
pub fn id_of(task: &Value) -> u64 {
    task["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("not a task: {task}"))
}

/// One user's calls to the public API (paths relative to `/api/{user}`),
/// each read whole into a [`Reply`]; see [`Stack::as_user`].
pub struct UserApi<'a> {
    stack: &'a Stack,
    user: &'a str,
}

impl UserApi<'_> {
    /// `method path`, with a JSON body if given.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Result<Reply> {
        self.stack.call(method, self.user, path, body).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<Reply> {
        self.send(Method::GET, path, None).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<Reply> {
        self.send(Method::DELETE, path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Result<Reply> {
        self.send(Method::POST, path, Some(body)).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> Result<Reply> {
        self.send(Method::PUT, path, Some(body)).await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> Result<Reply> {
        self.send(Method::PATCH, path, Some(body)).await
    }
}
