//! The OpenAPI contract on the real stack: the document todo-api serves at
//! `/api/openapi.json` is the committed one every other suite's responses
//! are checked against (`e2e::openapi`), and every operation of it is called
//! for its success and its error statuses, each response checked by the same
//! code: the status must be documented for that operation, the content type
//! must be one it lists, the body must validate against its schema (JSON
//! Schema 2020-12, formats asserted, `$ref`s resolved in the document) and
//! required headers must be there. At the end, every documented status of
//! every operation must have been seen (except 503, which needs a dependency
//! down), so a status added to the document without a test, or an operation
//! added without a test, fails too.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, ensure};
use e2e::Stack;
use e2e::openapi::{COMMITTED, Contract, contract};
use e2e::schema::pointer_token;
use reqwest::Method;
use serde_json::{Value, json};

/// Statuses a healthy stack cannot produce on purpose.
const NOT_EXERCISED: &[u16] = &[503];

/// A body just over the 1 MiB limit.
fn oversized_body() -> Vec<u8> {
    let mut body = b"{\"title\": \"".to_vec();
    body.resize(1024 * 1024 + 16, b'x');
    body.extend_from_slice(b"\"}");
    body
}

/// Whose credentials a request carries.
#[derive(Clone, Copy)]
enum Auth {
    /// A valid token of the path's user.
    Owner,
    /// No `Authorization` header.
    Nobody,
    /// A valid token of another user.
    Stranger,
}

enum Body {
    Empty,
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

/// The API under test with its contract, and which statuses were seen.
struct Api {
    stack: Stack,
    contract: &'static Contract,
    seen: Mutex<BTreeSet<(String, String, u16)>>,
}

/// One request to an operation of the document.
struct Req<'a> {
    api: &'a Api,
    method: Method,
    template: String,
    user: String,
    id: Option<String>,
    query: String,
    auth: Auth,
    body: Body,
    if_match: Option<String>,
}

impl Api {
    async fn connect() -> Result<Api> {
        let stack = Stack::from_env()?;
        let response = stack
            .raw(Method::GET, &format!("{}/api/openapi.json", stack.api))
            .send()
            .await?;
        ensure!(
            response.status() == 200,
            "GET /api/openapi.json: {}",
            response.status()
        );
        let served: Value = response.json().await?;
        let committed: Value = serde_json::from_str(COMMITTED)?;
        ensure!(
            served == committed,
            "the served OpenAPI document differs from components/todo-api/openapi.json: rebuild todo-api (scripts/stack build) and restart the stack"
        );
        ensure!(served["openapi"] == "3.1.0", "not an OpenAPI 3.1 document");
        ensure!(
            served["jsonSchemaDialect"] == "https://json-schema.org/draft/2020-12/schema",
            "the document must declare the JSON Schema 2020-12 dialect"
        );
        let api = Api {
            stack,
            contract: contract()?,
            seen: Mutex::new(BTreeSet::new()),
        };
        // The document's own endpoint is an operation too.
        api.req(Method::GET, "/api/openapi.json", "")
            .expect(200)
            .await?;
        Ok(api)
    }

    fn req(&self, method: Method, template: &str, user: &str) -> Req<'_> {
        Req {
            api: self,
            method,
            template: template.to_owned(),
            user: user.to_owned(),
            id: None,
            query: String::new(),
            auth: Auth::Owner,
            body: Body::Empty,
            if_match: None,
        }
    }

    /// Whether the operation takes a request body.
    fn has_body(&self, method: &Method, template: &str) -> bool {
        let pointer = format!(
            "{}/requestBody",
            Contract::operation_pointer(method, template)
        );
        self.contract.doc().pointer(&pointer).is_some()
    }

    /// Checks the response to `method path` (as sent), a call of the
    /// operation `method template`, with the checks every suite's responses
    /// go through, and records its status as seen; returns the body.
    fn check_response(
        &self,
        method: &Method,
        template: &str,
        path: &str,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        bytes: &[u8],
    ) -> Result<Value> {
        // The other suites name no operation: theirs is found from the path.
        let matched = self
            .contract
            .template(method, path)
            .map_err(|e| anyhow!(e))?;
        ensure!(
            matched == template,
            "{method} {path} is taken for {matched}, not {template}"
        );
        self.contract
            .check(method, path, status, headers, bytes)
            .map_err(|breach| anyhow!("{breach}"))?;
        self.seen.lock().map_err(|_| anyhow!("poisoned"))?.insert((
            method.to_string(),
            template.to_owned(),
            status,
        ));
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Fails listing every documented (operation, status) no request produced.
    fn assert_every_status_seen(&self) -> Result<()> {
        let seen = self.seen.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let mut missing = Vec::new();
        for (method, template) in self.contract.operations() {
            let pointer = format!(
                "{}/responses",
                Contract::operation_pointer(&method, &template)
            );
            let statuses = self
                .contract
                .doc()
                .pointer(&pointer)
                .and_then(Value::as_object);
            for status in statuses.into_iter().flatten().map(|(s, _)| s) {
                let status: u16 = status.parse().context("a status code")?;
                if NOT_EXERCISED.contains(&status) {
                    continue;
                }
                if !seen.contains(&(method.to_string(), template.clone(), status)) {
                    missing.push(format!("{method} {template} {status}"));
                }
            }
        }
        ensure!(
            missing.is_empty(),
            "documented but never exercised:\n  {}",
            missing.join("\n  ")
        );
        Ok(())
    }
}

impl Req<'_> {
    /// Fills the path's second placeholder (`{id}`, `{notification_id}`).
    fn id(mut self, id: impl ToString) -> Self {
        self.id = Some(id.to_string());
        self
    }

    fn query(mut self, query: &str) -> Self {
        self.query = query.to_owned();
        self
    }

    fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    fn raw(mut self, content_type: &'static str, body: Vec<u8>) -> Self {
        self.body = Body::Raw(content_type, body);
        self
    }

    fn if_match(mut self, version: &str) -> Self {
        self.if_match = Some(version.to_owned());
        self
    }

    fn path(&self) -> String {
        let mut path = self.template.replace("{user_id}", &self.user);
        if let (Some(start), Some(id)) = (path.find('{'), &self.id) {
            let end = path[start..]
                .find('}')
                .map_or(path.len(), |e| start + e + 1);
            path.replace_range(start..end, id);
        }
        if !self.query.is_empty() {
            path = format!("{path}?{}", self.query);
        }
        path
    }

    /// For a request meant to succeed: its query parameters and body must be
    /// ones the document describes.
    fn check_request(&self) -> Result<()> {
        let api = self.api;
        let op = Contract::operation_pointer(&self.method, &self.template);
        let mut documented = BTreeSet::new();
        for level in [
            format!("/paths/{}", pointer_token(&self.template)),
            op.clone(),
        ] {
            let params = api.contract.doc().pointer(&format!("{level}/parameters"));
            for index in 0..params.and_then(Value::as_array).map_or(0, Vec::len) {
                let (_, param) = api
                    .contract
                    .schemas()
                    .resolve(&format!("{level}/parameters/{index}"))?;
                if param["in"] == "query" {
                    documented.insert(param["name"].as_str().unwrap_or("").to_owned());
                }
            }
        }
        for pair in self.query.split('&').filter(|p| !p.is_empty()) {
            let name = pair.split('=').next().unwrap_or("");
            ensure!(
                documented.contains(name),
                "query parameter '{name}' of {} {} is not documented",
                self.method,
                self.template
            );
        }
        if let Body::Json(body) = &self.body {
            api.contract.schemas().check(
                &format!("{op}/requestBody/content/application~1json/schema"),
                body,
                &format!("the request body of {} {}", self.method, self.template),
            )?;
        }
        Ok(())
    }

    /// Sends the request, checks the response against the contract and
    /// that its status is `expected`; returns the body (`Null` when empty).
    async fn expect(self, expected: u16) -> Result<Value> {
        if (200..300).contains(&expected) {
            self.check_request()?;
        }
        let stack = &self.api.stack;
        let mut request = stack.raw(
            self.method.clone(),
            &format!("{}{}", stack.api, self.path()),
        );
        request = match self.auth {
            Auth::Owner => request.bearer_auth(stack.token(&self.user)),
            Auth::Stranger => request.bearer_auth(stack.token(&stack.new_user("stranger"))),
            Auth::Nobody => request,
        };
        if let Some(version) = &self.if_match {
            request = request.header(reqwest::header::IF_MATCH, version);
        }
        request = match self.body {
            Body::Empty => request,
            Body::Json(ref body) => request.json(body),
            Body::Raw(content_type, ref bytes) => request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes.clone()),
        };
        let response = request.send().await?;
        let status = response.status().as_u16();
        let url = response.url();
        let sent = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        let body = self.api.check_response(
            &self.method,
            &self.template,
            &sent,
            status,
            &headers,
            &bytes,
        )?;
        ensure!(
            status == expected,
            "{} {} answered {status}, expected {expected}: {body}",
            self.method,
            self.path()
        );
        Ok(body)
    }
}

const TASKS: &str = "/api/{user_id}/tasks";
const TASK: &str = "/api/{user_id}/tasks/{id}";
const SEARCH: &str = "/api/{user_id}/tasks/search";
const CALENDAR: &str = "/api/{user_id}/tasks/calendar";
const RECURRING: &str = "/api/{user_id}/tasks/recurring";
const REMINDER: &str = "/api/{user_id}/tasks/reminder";
const COMPLETE: &str = "/api/{user_id}/tasks/{id}/complete";
const DUE_DATE: &str = "/api/{user_id}/tasks/{id}/due-date";
const AUDIT: &str = "/api/{user_id}/audit";
const NOTIFICATIONS: &str = "/api/{user_id}/notifications";
const READ: &str = "/api/{user_id}/notifications/{notification_id}/read";
const CHAT: &str = "/api/{user_id}/chat";
const PREVIEW: &str = "/api/{user_id}/tasks/preview";
const MCP: &str = "/api/{user_id}/mcp";

fn id_of(task: &Value) -> Result<u64> {
    task["id"]
        .as_u64()
        .with_context(|| format!("not a task: {task}"))
}

fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .date_naive()
        .to_string()
}

/// Every `$ref` string anywhere in `value`, with the pointer where it stands.
fn refs(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => out.push((at.to_owned(), target.clone())),
                    _ => refs(child, &format!("{at}/{}", pointer_token(key)), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                refs(child, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The committed document on its own (no stack): every `$ref` resolves,
/// every schema compiles, operation ids are unique and every path
/// parameter is declared.
#[test]
fn the_openapi_document_is_whole_and_its_schemas_compile() -> Result<()> {
    let doc: Value = serde_json::from_str(COMMITTED)?;
    let contract = contract()?.schemas();
    let mut found = Vec::new();
    refs(&doc, "", &mut found);
    for (at, target) in &found {
        let pointer = target
            .strip_prefix('#')
            .with_context(|| format!("{at}: only local $refs: {target}"))?;
        ensure!(
            doc.pointer(pointer).is_some(),
            "{at}: {target} resolves to nothing"
        );
    }
    for name in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(n, _)| n)
    {
        contract.validator(&format!("/components/schemas/{name}"))?;
    }
    let mut ids = BTreeSet::new();
    for (template, item) in doc["paths"].as_object().into_iter().flatten() {
        let mut declared: Vec<String> = Vec::new();
        let mut collect = |params: &Value, base: &str| -> Result<()> {
            for index in 0..params.as_array().map_or(0, Vec::len) {
                let (_, param) = contract.resolve(&format!("{base}/parameters/{index}"))?;
                if param["in"] == "path" {
                    declared.push(param["name"].as_str().unwrap_or("").to_owned());
                }
            }
            Ok(())
        };
        let path = format!("/paths/{}", pointer_token(template));
        collect(&item["parameters"], &path)?;
        for (method, op) in item.as_object().into_iter().flatten() {
            if method == "parameters" {
                continue;
            }
            collect(&op["parameters"], &format!("{path}/{method}"))?;
            let id = op["operationId"]
                .as_str()
                .context("every operation has an id")?;
            ensure!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        }
        for segment in template.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(|c| c == '{' || c == '}');
            ensure!(
                declared.iter().any(|d| d == name),
                "{template}: {{{name}}} is not declared"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn every_operation_answers_as_its_openapi_document_says() -> Result<()> {
    let api = Api::connect().await?;
    api.req(Method::GET, "/healthz", "").expect(200).await?;
    generic_errors(&api).await?;
    task_lifecycle(&api).await?;
    listing(&api).await?;
    calendar(&api).await?;
    audit(&api).await?;
    notifications(&api).await?;
    chat(&api).await?;
    preview(&api).await?;
    mcp(&api).await?;
    api.assert_every_status_seen()
}

/// What every user operation shares: 401 and 403 before anything else, 400
/// for an invalid user id, and for operations with a body, 400 (not JSON),
/// 413 and 415.
async fn generic_errors(api: &Api) -> Result<()> {
    let user = api.stack.new_user("contract");
    for (method, template) in api.contract.operations() {
        if !template.starts_with("/api/{user_id}") {
            continue;
        }
        let request = |auth| {
            api.req(method.clone(), &template, &user)
                .id(1)
                .auth(auth)
                .json(json!({}))
        };
        request(Auth::Nobody).expect(401).await?;
        request(Auth::Stranger).expect(403).await?;
        // A token may name anything, but only valid user ids own data.
        api.req(method.clone(), &template, "has space")
            .id(1)
            .json(json!({}))
            .expect(400)
            .await?;
        if api.has_body(&method, &template) {
            let request = || api.req(method.clone(), &template, &user).id(1);
            request()
                .raw("application/json", b"{\"title\": ".to_vec())
                .expect(400)
                .await?;
            request()
                .raw("application/json", oversized_body())
                .expect(413)
                .await?;
            request()
                .raw("text/plain", b"title=x".to_vec())
                .expect(415)
                .await?;
        }
    }
    Ok(())
}

/// Creating, reading, changing and deleting one task, with the errors of each step.
async fn task_lifecycle(api: &Api) -> Result<()> {
    let user = api.stack.new_user("contract");
    let full = json!({
        "title": "Pay rent",
        "description": "by transfer",
        "priority": "high",
        "tags": ["Money", "home"],
        "category": "Bills",
        "due_date": format!("{}T09:00:00+01:00", in_days(3)),
        "timezone": "Europe/Berlin",
        "reminders": [{"before_due": "PT15M"}, {"remind_at": format!("{}T08:00:00Z", in_days(2))}]
    });
    let task = api
        .req(Method::POST, TASKS, &user)
        .json(full)
        .expect(201)
        .await?;
    let id = id_of(&task)?;
    let parent = api
        .req(Method::POST, TASKS, &user)
        .json(json!({"title": "Flat", "due_date": in_days(1)}))
        .expect(201)
        .await?;
    api.req(Method::POST, TASKS, &user)
        .json(
            json!({"title": "", "priority": "critical", "due_date": "2026-02-30", "colour": "red"}),
        )
        .expect(422)
        .await?;
    api.req(Method::GET, TASK, &user).id(id).expect(200).await?;
    api.req(Method::GET, TASK, &user)
        .id(999_999)
        .expect(404)
        .await?;
    api.req(Method::GET, TASK, &user)
        .id("abc")
        .expect(404)
        .await?;

    // PUT
    let replaced = api
        .req(Method::PUT, TASK, &user)
        .id(id)
        .if_match("\"1\"")
        .json(json!({"title": "Pay the rent", "parent_task_id": id_of(&parent)?, "due_date": in_days(3), "reminders": [{"before_due": "P1D"}]}))
        .expect(200)
        .await?;
    ensure!(
        replaced["version"] == 2,
        "PUT bumps the version: {replaced}"
    );
    let put = |body: Value| api.req(Method::PUT, TASK, &user).id(id).json(body);
    put(json!({"title": "x"})).if_match("9").expect(412).await?;
    put(json!({"title": "x", "version": 9})).expect(409).await?;
    put(json!({"title": "x"}))
        .if_match("soon")
        .expect(400)
        .await?;
    put(json!({"title": "x".repeat(201)})).expect(422).await?;
    api.req(Method::PUT, TASK, &user)
        .id(999_999)
        .json(json!({"title": "x"}))
        .expect(404)
        .await?;

    // PATCH
    let patch = |body: Value| api.req(Method::PATCH, TASK, &user).id(id).json(body);
    let patched = patch(json!({"priority": "urgent", "tags": ["a", "b"], "recurrence": {"rrule": "FREQ=MONTHLY;BYDAY=3FR;COUNT=5"}}))
        .expect(200)
        .await?;
    ensure!(patched["recurrence"]["count"] == 5, "{patched}");
    patch(json!({})).expect(200).await?;
    patch(json!({"title": "y"}))
        .if_match("1")
        .expect(412)
        .await?;
    patch(json!({"title": "y", "version": 1}))
        .expect(409)
        .await?;
    patch(json!({"title": null, "timezone": "Mars/Olympus"}))
        .expect(422)
        .await?;
    api.req(Method::PATCH, TASK, &user)
        .id(999_999)
        .json(json!({"title": "y"}))
        .expect(404)
        .await?;

    // due-date
    let due = |body: Value| api.req(Method::PATCH, DUE_DATE, &user).id(id).json(body);
    due(json!({"due_date": format!("{}T18:30:00-05:00", in_days(5)), "timezone": "America/New_York", "reminders": [{"before_due": "PT1H"}]}))
        .expect(200)
        .await?;
    due(json!({"due_date": in_days(6)}))
        .if_match("1")
        .expect(412)
        .await?;
    due(json!({"due_date": "tomorrow"})).expect(422).await?;
    api.req(Method::PATCH, DUE_DATE, &user)
        .id(999_999)
        .json(json!({"due_date": null}))
        .expect(404)
        .await?;

    // reminder
    let remind = |body: Value| api.req(Method::POST, REMINDER, &user).json(body);
    let reminded = remind(json!({"task_id": id, "before_due": "PT5M"}))
        .expect(200)
        .await?;
    ensure!(
        reminded["reminders"].as_array().map(Vec::len) == Some(2),
        "{reminded}"
    );
    remind(json!({"task_id": id, "remind_at": "2030-01-01T00:00:00Z"}))
        .if_match("1")
        .expect(412)
        .await?;
    remind(json!({"task_id": 999_999, "before_due": "PT5M"}))
        .expect(404)
        .await?;
    remind(json!({"task_id": id, "before_due": "-PT5M", "remind_at": "x"}))
        .expect(422)
        .await?;

    // complete
    let complete = || api.req(Method::PATCH, COMPLETE, &user).id(id);
    let done = complete().expect(200).await?;
    ensure!(done["completed"] == true, "an empty body toggles: {done}");
    let reopened = complete()
        .json(json!({"completed": false}))
        .expect(200)
        .await?;
    ensure!(reopened["completed"] == false, "{reopened}");
    complete()
        .json(json!({"completed": true}))
        .if_match("1")
        .expect(412)
        .await?;
    complete()
        .json(json!({"completed": "yes"}))
        .expect(422)
        .await?;
    api.req(Method::PATCH, COMPLETE, &user)
        .id(999_999)
        .expect(404)
        .await?;

    // recurring
    let recurring = api
        .req(Method::POST, RECURRING, &user)
        .json(json!({"title": "Stand-up", "due_date": format!("{}T09:00:00Z", in_days(1)), "recurrence": {"frequency": "weekly", "by_day": ["MO", "WE"], "mode": "after_completion"}}))
        .expect(201)
        .await?;
    ensure!(recurring["series_id"].is_string(), "{recurring}");
    api.req(Method::POST, RECURRING, &user)
        .json(json!({"title": "Not recurring"}))
        .expect(422)
        .await?;

    // delete
    let delete = || api.req(Method::DELETE, TASK, &user).id(id);
    delete().if_match("1").expect(412).await?;
    delete().if_match("latest").expect(400).await?;
    delete().expect(204).await?;
    delete().expect(404).await?;
    Ok(())
}

/// Listing and searching 12 varied tasks with every parameter, paging, and bad queries.
async fn listing(api: &Api) -> Result<()> {
    let user = api.stack.new_user("contract");
    let priorities = ["low", "medium", "high", "urgent"];
    for i in 0..12usize {
        let mut body = json!({
            "title": format!("Task {i}"),
            "priority": priorities[i % 4],
            "tags": if i % 2 == 0 { json!(["home"]) } else { json!(["work", "home"]) },
            "category": if i % 3 == 0 { json!("Errands") } else { json!(null) },
        });
        if i % 4 != 3 {
            body["due_date"] = json!(in_days(i as i64 - 4));
        }
        api.req(Method::POST, TASKS, &user)
            .json(body)
            .expect(201)
            .await?;
    }
    let all = format!(
        "q=task&status=pending&priority=high,urgent&tags=home&category=errands&due_before={}&due_after=2020-01-01&overdue=false&sort=-due_date&limit=2",
        in_days(30)
    );
    for template in [TASKS, SEARCH] {
        api.req(Method::GET, template, &user)
            .query(&all)
            .expect(200)
            .await?;
    }
    let first = api
        .req(Method::GET, TASKS, &user)
        .query("sort=title&limit=5")
        .expect(200)
        .await?;
    ensure!(first["total"] == 12, "{first}");
    let cursor = first["next_cursor"]
        .as_str()
        .context("a first page of 5 of 12 has a next cursor")?;
    let second = api
        .req(Method::GET, TASKS, &user)
        .query(&format!("sort=title&limit=5&cursor={cursor}"))
        .expect(200)
        .await?;
    ensure!(
        second["items"].as_array().map(Vec::len) == Some(5),
        "{second}"
    );
    let overdue = api
        .req(Method::GET, SEARCH, &user)
        .query("q=TASK&overdue=true&sort=-priority")
        .expect(200)
        .await?;
    ensure!(
        overdue["total"].as_u64().is_some_and(|n| n > 0),
        "{overdue}"
    );
    for bad in [
        "sort=colour",
        "limit=501",
        "priority=critical",
        "colour=red",
        "cursor=abc",
    ] {
        api.req(Method::GET, TASKS, &user)
            .query(bad)
            .expect(422)
            .await?;
    }
    for bad in ["q=a&q=b", "status=all", "q=%20%20"] {
        api.req(Method::GET, SEARCH, &user)
            .query(bad)
            .expect(422)
            .await?;
    }
    Ok(())
}

/// The calendar with a dated task and projections of a recurring one.
async fn calendar(api: &Api) -> Result<()> {
    let user = api.stack.new_user("contract");
    api.req(Method::POST, TASKS, &user)
        .json(json!({"title": "Dentist", "due_date": format!("{}T15:00:00+02:00", in_days(2)), "timezone": "Europe/Athens"}))
        .expect(201)
        .await?;
    api.req(Method::POST, RECURRING, &user)
        .json(json!({"title": "Gym", "due_date": in_days(1), "recurrence": {"frequency": "daily", "interval": 2}}))
        .expect(201)
        .await?;
    let calendar = api
        .req(Method::GET, CALENDAR, &user)
        .query(&format!("from={}&to={}", in_days(0), in_days(14)))
        .expect(200)
        .await?;
    let projected = calendar["days"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|day| day["items"].as_array().into_iter().flatten())
        .filter(|item| item["projected"] == true)
        .count();
    ensure!(projected >= 5, "every other day for two weeks: {calendar}");
    for bad in [
        format!("from={}", in_days(0)),
        format!("from={}&to={}", in_days(3), in_days(1)),
        "from=2026-01-01&to=2027-06-01".to_owned(),
        "from=monday&to=friday".to_owned(),
    ] {
        api.req(Method::GET, CALENDAR, &user)
            .query(&bad)
            .expect(422)
            .await?;
    }
    Ok(())
}

/// The audit log (served by audit through todo-api) once the events arrived.
async fn audit(api: &Api) -> Result<()> {
    let user = api.stack.new_user("contract");
    let task = api
        .req(Method::POST, TASKS, &user)
        .json(json!({"title": "Audited"}))
        .expect(201)
        .await?;
    let id = id_of(&task)?;
    api.req(Method::PATCH, TASK, &user)
        .id(id)
        .json(json!({"title": "Audited twice"}))
        .expect(200)
        .await?;
    let query = format!("task_id={id}&limit=10");
    api.stack
        .eventually("both audit entries", Duration::from_secs(30), || async {
            let page = api
                .req(Method::GET, AUDIT, &user)
                .query(&query)
                .expect(200)
                .await?;
            Ok((page["total"] == 2).then_some(()))
        })
        .await?;
    api.req(Method::GET, AUDIT, &user)
        .query("type=task.updated&from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&limit=1")
        .expect(200)
        .await?;
    api.req(Method::GET, AUDIT, &user)
        .query("limit=0&from=yesterday")
        .expect(422)
        .await?;
    Ok(())
}

/// A reminder two seconds out is delivered, listed and marked read.
async fn notifications(api: &Api) -> Result<()> {
    let user = api.stack.new_user("contract");
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    api.req(Method::POST, TASKS, &user)
        .json(json!({"title": "Call mum", "reminders": [{"remind_at": at}]}))
        .expect(201)
        .await?;
    let notification = api
        .stack
        .eventually("the notification", Duration::from_secs(30), || async {
            let list = api
                .req(Method::GET, NOTIFICATIONS, &user)
                .expect(200)
                .await?;
            Ok(list["items"]
                .as_array()
                .and_then(|items| items.first().cloned()))
        })
        .await?;
    let id = notification["id"].as_str().context("a notification id")?;
    api.req(Method::POST, READ, &user)
        .id(id)
        .expect(204)
        .await?;
    api.req(Method::POST, READ, &user)
        .id("t0-r0-o0-0")
        .expect(404)
        .await?;
    let unread = api
        .req(Method::GET, NOTIFICATIONS, &user)
        .query("unread=true")
        .expect(200)
        .await?;
    ensure!(unread["items"] == json!([]), "{unread}");
    api.req(Method::GET, NOTIFICATIONS, &user)
        .query("unread=maybe")
        .expect(400)
        .await?;
    api.req(Method::GET, NOTIFICATIONS, &user)
        .query("colour=red")
        .expect(422)
        .await?;
    Ok(())
}

/// The quick-add preview: the task body, and field errors of the request.
async fn preview(api: &Api) -> Result<()> {
    let user = api.stack.new_user("contract");
    let shown = api
        .req(Method::POST, PREVIEW, &user)
        .json(json!({"text": "buy milk tomorrow at 5pm #shopping", "timezone": "Europe/London"}))
        .expect(200)
        .await?;
    ensure!(shown["task"]["title"] == "buy milk", "{shown}");
    api.req(Method::POST, PREVIEW, &user)
        .json(json!({"text": "  "}))
        .expect(422)
        .await?;
    Ok(())
}

/// The MCP endpoint: a tool call, a JSON-RPC error and a notification.
async fn mcp(api: &Api) -> Result<()> {
    let user = api.stack.new_user("contract");
    let added = api
        .req(Method::POST, MCP, &user)
        .json(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                     "params": {"name": "add_task", "arguments": {"title": "Call the bank"}}}))
        .expect(200)
        .await?;
    ensure!(added["result"]["isError"] == false, "{added}");
    api.req(Method::POST, MCP, &user)
        .json(json!({"jsonrpc": "2.0", "id": "x", "method": "tools/dance"}))
        .expect(200)
        .await?;
    api.req(Method::POST, MCP, &user)
        .json(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .expect(202)
        .await?;
    // GET (an event stream) is not an operation of the document: 405 with `Allow`.
    let get = api
        .stack
        .raw(Method::GET, &format!("{}/api/{user}/mcp", api.stack.api))
        .bearer_auth(api.stack.token(&user))
        .send()
        .await?;
    ensure!(get.status() == 405, "GET /mcp: {}", get.status());
    ensure!(
        get.headers().get("allow").and_then(|v| v.to_str().ok()) == Some("POST"),
        "GET /mcp names what it takes: {:?}",
        get.headers().get("allow")
    );
    Ok(())
}

async fn chat(api: &Api) -> Result<()> {
    let user = api.stack.new_user("contract");
    let reply = api
        .req(Method::POST, CHAT, &user)
        .json(json!({"message": "add buy milk tomorrow", "timezone": "Europe/London"}))
        .expect(200)
        .await?;
    let conversation = reply["conversation_id"]
        .as_str()
        .context("a conversation")?;
    api.req(Method::POST, CHAT, &user)
        .json(json!({"message": "show my tasks", "conversation_id": conversation}))
        .expect(200)
        .await?;
    api.req(Method::POST, CHAT, &user)
        .json(json!({"message": "", "conversation_id": "no spaces allowed"}))
        .expect(422)
        .await?;
    Ok(())
}
