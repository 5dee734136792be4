//! The public API's contract, checked on every response the shared helpers
//! read ([`crate::api::ApiRequest`]): a request (`GET /api/u-1/tasks/7?x=y`)
//! is matched to its operation of todo-api's OpenAPI document
//! (`/api/{user_id}/tasks/{id}`), then the status must be documented for it,
//! the content type must be one it lists, the body must validate against its
//! schema (JSON Schema 2020-12, formats asserted) and required headers must
//! be there. The contract test (`tests/suite/contract_openapi.rs`) uses the
//! same checks and proves the served document is this committed one.

use std::fmt;
use std::sync::LazyLock;

use anyhow::{Context, Result, anyhow};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::schema::{SchemaDoc, pointer_token};

/// The document as committed (embedded at build time).
pub const COMMITTED: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../components/todo-api/openapi.json"
));

/// The methods an OpenAPI path item can declare.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Longest body quoted in a [`Breach`]: enough to see what went wrong.
const QUOTED_BODY: usize = 2_000;

/// Todo-api's OpenAPI document, ready to check responses against.
pub struct Contract {
    schemas: SchemaDoc,
    templates: Vec<Template>,
}

/// A path of the document, split for matching concrete paths.
struct Template {
    text: String,
    /// `None` for a `{parameter}` segment.
    segments: Vec<Option<String>>,
}

impl Template {
    fn new(text: &str) -> Template {
        let segments = text
            .split('/')
            .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
            .collect();
        Template {
            text: text.to_owned(),
            segments,
        }
    }

    /// How many literal segments match `path`'s (`None`: it does not match);
    /// the most literal match wins, as OpenAPI says (`/tasks/search` before
    /// `/tasks/{id}`).
    fn literal_matches(&self, path: &[&str]) -> Option<usize> {
        if path.len() != self.segments.len() {
            return None;
        }
        let mut literals = 0;
        for (segment, given) in self.segments.iter().zip(path) {
            match segment {
                Some(literal) if literal == given => literals += 1,
                Some(_) => return None,
                None if given.is_empty() => return None,
                None => {}
            }
        }
        Some(literals)
    }
}

static CONTRACT: LazyLock<Result<Contract, String>> =
    LazyLock::new(|| Contract::from_json(COMMITTED).map_err(|e| format!("{e:#}")));

/// The committed document, loaded once per test binary.
pub fn contract() -> Result<&'static Contract> {
    CONTRACT
        .as_ref()
        .map_err(|e| anyhow!("components/todo-api/openapi.json: {e}"))
}

/// A response that breaks the document, with everything a person needs to
/// act on it: the request, the status, each violation and the body.
#[derive(Debug)]
pub struct Breach {
    /// The request's method.
    pub method: Method,
    /// The request's path and query.
    pub path: String,
    /// The response's status.
    pub status: u16,
    /// What is wrong, one line each.
    pub violations: Vec<String>,
    /// The response's body as text (cut at 2,000 characters).
    pub body: String,
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} {} answered {}, which breaks the OpenAPI document (components/todo-api/openapi.json):",
            self.method, self.path, self.status
        )?;
        for violation in &self.violations {
            writeln!(f, "  - {violation}")?;
        }
        write!(f, "body: {}", self.body)
    }
}

impl std::error::Error for Breach {}

impl Contract {
    /// The document in `text` (OpenAPI 3.1, JSON Schema 2020-12).
    pub fn from_json(text: &str) -> Result<Contract> {
        let doc: Value = serde_json::from_str(text).context("not JSON")?;
        let templates = doc["paths"]
            .as_object()
            .context("the document has no paths")?
            .keys()
            .map(|t| Template::new(t))
            .collect();
        let schemas = SchemaDoc::new("urn:todo-api:openapi", doc, jsonschema::Draft::Draft202012)?;
        Ok(Contract { schemas, templates })
    }

    /// The document and its schemas.
    pub fn schemas(&self) -> &SchemaDoc {
        &self.schemas
    }

    /// The document.
    pub fn doc(&self) -> &Value {
        self.schemas.doc()
    }

    /// The JSON pointer of the operation `method template`.
    pub fn operation_pointer(method: &Method, template: &str) -> String {
        format!(
            "/paths/{}/{}",
            pointer_token(template),
            method.as_str().to_lowercase()
        )
    }

    /// Every operation of the document: (method, path template).
    pub fn operations(&self) -> Vec<(Method, String)> {
        let mut out = Vec::new();
        for template in &self.templates {
            let item = &self.doc()["paths"][&template.text];
            for method in METHODS {
                if item.get(method).is_some() {
                    let method =
                        Method::from_bytes(method.to_uppercase().as_bytes()).unwrap_or(Method::GET);
                    out.push((method, template.text.clone()));
                }
            }
        }
        out
    }

    /// The path template whose operation `method path` calls (`path` as
    /// sent, with or without its query), or why there is none.
    pub fn template(&self, method: &Method, path: &str) -> Result<&str, String> {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let segments: Vec<&str> = path.split('/').collect();
        let best = self
            .templates
            .iter()
            .filter_map(|t| t.literal_matches(&segments).map(|n| (n, t)))
            .max_by_key(|(n, _)| *n)
            .map(|(_, t)| t)
            .ok_or_else(|| format!("no path of the document matches {path}"))?;
        let item = &self.doc()["paths"][&best.text];
        if item.get(method.as_str().to_lowercase()).is_some() {
            return Ok(&best.text);
        }
        let declared: Vec<String> = METHODS
            .iter()
            .filter(|m| item.get(**m).is_some())
            .map(|m| m.to_uppercase())
            .collect();
        Err(format!(
            "{} declares {} but not {method}",
            best.text,
            declared.join(", ")
        ))
    }

    /// Checks the response of `method path` (the concrete path, as sent).
    pub fn check(
        &self,
        method: &Method,
        path: &str,
        status: u16,
        headers: &HeaderMap,
        bytes: &[u8],
    ) -> Result<(), Breach> {
        let violations = match self.template(method, path) {
            Ok(template) => self
                .check_operation(method, template, status, headers, bytes)
                .unwrap_or_else(|e| vec![format!("the document cannot be read: {e:#}")]),
            Err(unmatched) => vec![format!(
                "it is not an operation of the document ({unmatched}): send requests outside the public API with Stack::raw"
            )],
        };
        if violations.is_empty() {
            return Ok(());
        }
        let mut body = String::from_utf8_lossy(bytes).into_owned();
        if body.len() > QUOTED_BODY {
            let cut = (0..=QUOTED_BODY)
                .rev()
                .find(|i| body.is_char_boundary(*i))
                .unwrap_or(0);
            body = format!("{}… ({} bytes)", &body[..cut], bytes.len());
        }
        Err(Breach {
            method: method.clone(),
            path: path.to_owned(),
            status,
            violations,
            body,
        })
    }

    /// Every way the response (`status`, `headers`, `bytes`) of the
    /// operation `method template` differs from what the document says;
    /// empty when it conforms. Fails only when the document itself cannot
    /// be read there.
    pub fn check_operation(
        &self,
        method: &Method,
        template: &str,
        status: u16,
        headers: &HeaderMap,
        bytes: &[u8],
    ) -> Result<Vec<String>> {
        let op = Contract::operation_pointer(method, template);
        let Some(responses) = self.doc().pointer(&format!("{op}/responses")) else {
            return Ok(vec![format!("{method} {template} is not in the document")]);
        };
        let Some(key) = [
            status.to_string(),
            format!("{}XX", status / 100),
            "default".to_owned(),
        ]
        .into_iter()
        .find(|k| responses.get(k).is_some()) else {
            let documented: Vec<&String> = responses
                .as_object()
                .into_iter()
                .flatten()
                .map(|(s, _)| s)
                .collect();
            return Ok(vec![format!(
                "{status} is not documented for {method} {template} (documented: {documented:?})"
            )]);
        };
        let (response, documented) = self.schemas.resolve(&format!("{op}/responses/{key}"))?;
        let mut violations = Vec::new();
        for (name, _) in documented["headers"].as_object().into_iter().flatten() {
            let (header, spec) = self
                .schemas
                .resolve(&format!("{response}/headers/{}", pointer_token(name)))?;
            match headers.get(name.as_str()).map(|v| v.to_str()) {
                Some(Ok(value)) => {
                    for v in self
                        .schemas
                        .violations(&format!("{header}/schema"), &json!(value))?
                    {
                        violations.push(format!("header {name}: '{value}' {v}"));
                    }
                }
                Some(Err(_)) => violations.push(format!("header {name} is not text")),
                None if spec["required"] == true => {
                    violations.push(format!("the required header {name} is missing"));
                }
                None => {}
            }
        }
        let Some(content) = documented["content"].as_object() else {
            if !bytes.is_empty() {
                violations.push(format!(
                    "{status} is documented without a body, but one came ({} bytes)",
                    bytes.len()
                ));
            }
            return Ok(violations);
        };
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !content.contains_key(essence) {
            violations.push(format!(
                "the content type is '{content_type}', documented: {:?}",
                content.keys().collect::<Vec<_>>()
            ));
            return Ok(violations);
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(body) => {
                let schema = format!("{response}/content/{}/schema", pointer_token(essence));
                for v in self.schemas.violations(&schema, &body)? {
                    violations.push(format!("body {v} (schema {schema})"));
                }
            }
            Err(e) => violations.push(format!("the {essence} body is not JSON: {e}")),
        }
        Ok(violations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, reqwest::header::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn concrete_paths_find_their_operation_the_most_literal_first() -> Result<()> {
        let contract = contract()?;
        let found = |method: Method, path: &str| contract.template(&method, path);
        assert_eq!(
            found(Method::GET, "/api/u-1/tasks/7?x=y"),
            Ok("/api/{user_id}/tasks/{id}")
        );
        assert_eq!(
            found(Method::GET, "/api/u-1/tasks/search?q=a"),
            Ok("/api/{user_id}/tasks/search")
        );
        assert_eq!(
            found(Method::PATCH, "/api/u-1/tasks/7/complete"),
            Ok("/api/{user_id}/tasks/{id}/complete")
        );
        assert_eq!(
            found(Method::GET, "/api/openapi.json"),
            Ok("/api/openapi.json")
        );
        assert!(found(Method::GET, "/api/u-1/mcp").is_err_and(|e| e.contains("POST")));
        assert!(found(Method::GET, "/api/u-1/tasks/7/nothing").is_err());
        assert!(found(Method::GET, "/api//tasks").is_err());
        Ok(())
    }

    #[test]
    fn a_conforming_response_passes_and_each_breach_is_named() -> Result<()> {
        let contract = contract()?;
        let problem = headers(&[("content-type", "application/problem+json")]);
        let body = br#"{"type":"https://todo.example/problems/not-found","title":"Not Found","status":404,"detail":"no task 7"}"#;
        contract
            .check(&Method::GET, "/api/u-1/tasks/7", 404, &problem, body)
            .map_err(|b| anyhow!("{b}"))?;

        let undocumented = contract
            .check(&Method::GET, "/api/u-1/tasks/7", 418, &problem, body)
            .err()
            .context("418 is not documented")?;
        assert!(undocumented.to_string().contains("418 is not documented"));

        let text = headers(&[("content-type", "text/plain")]);
        let wrong_type = contract
            .check(&Method::GET, "/api/u-1/tasks/7", 404, &text, body)
            .err()
            .context("text/plain is not documented")?;
        assert!(wrong_type.to_string().contains("text/plain"));

        let no_etag = headers(&[("content-type", "application/json")]);
        let breach = contract
            .check(&Method::GET, "/api/u-1/tasks/7", 200, &no_etag, b"{}")
            .err()
            .context("a task without ETag or fields breaks the document")?;
        assert!(breach.violations.iter().any(|v| v.contains("ETag")));
        assert!(breach.violations.iter().any(|v| v.starts_with("body ")));
        assert!(
            breach
                .to_string()
                .starts_with("GET /api/u-1/tasks/7 answered 200")
        );

        let outside = contract
            .check(&Method::GET, "/healthz/deep", 200, &no_etag, b"{}")
            .err()
            .context("an unknown path is not checked silently")?;
        assert!(outside.to_string().contains("Stack::raw"));
        Ok(())
    }

    #[test]
    fn every_schema_compiles_once() -> Result<()> {
        let contract = contract()?;
        let names: Vec<String> = contract.doc()["components"]["schemas"]
            .as_object()
            .context("schemas")?
            .keys()
            .cloned()
            .collect();
        for name in &names {
            let pointer = format!("/components/schemas/{name}");
            let first = contract.schemas().validator(&pointer)?;
            let again = contract.schemas().validator(&pointer)?;
            assert!(
                std::sync::Arc::ptr_eq(&first, &again),
                "{pointer} compiled twice"
            );
        }
        Ok(())
    }
}
