//! Checking JSON against the schemas inside an API document (todo-api's
//! OpenAPI document, docs/asyncapi.yaml). Schemas are addressed by a JSON
//! pointer into the document, so their `$ref`s resolve against the whole
//! document as they would for a client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, anyhow, bail};
use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

/// One API document, ready to validate instances against any schema in it.
pub struct SchemaDoc {
    uri: &'static str,
    doc: Value,
    draft: Draft,
    registry: Registry<'static>,
    /// Compiled validators by pointer: every e2e response is checked, and
    /// compiling a schema costs far more than validating against it.
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

impl SchemaDoc {
    /// `doc`, known as `uri` (e.g. `urn:todo-api:openapi`), whose schemas use `draft`.
    pub fn new(uri: &'static str, doc: Value, draft: Draft) -> Result<SchemaDoc> {
        let registry = Registry::new()
            .draft(draft)
            .add(uri, doc.clone())
            .map_err(|e| anyhow!("registering {uri}: {e}"))?
            .prepare()
            .map_err(|e| anyhow!("preparing {uri}: {e}"))?;
        Ok(SchemaDoc {
            uri,
            doc,
            draft,
            registry,
            validators: Mutex::new(HashMap::new()),
        })
    }

    /// The document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// The value at `pointer`, following a `$ref` there (within the document).
    pub fn resolve(&self, pointer: &str) -> Result<(String, &Value)> {
        let mut pointer = pointer.to_owned();
        for _ in 0..8 {
            let value = self
                .doc
                .pointer(&pointer)
                .with_context(|| format!("{} has nothing at {pointer}", self.uri))?;
            match value.get("$ref").and_then(Value::as_str) {
                Some(target) => {
                    pointer = target
                        .strip_prefix('#')
                        .with_context(|| format!("only local $refs are followed: {target}"))?
                        .to_owned();
                }
                None => return Ok((pointer, value)),
            }
        }
        bail!("too many $refs from {pointer}")
    }

    /// The validator for the schema at `pointer` (formats asserted),
    /// compiled on first use and kept.
    pub fn validator(&self, pointer: &str) -> Result<Arc<Validator>> {
        let mut cache = self
            .validators
            .lock()
            .map_err(|_| anyhow!("the validator cache is poisoned"))?;
        if let Some(validator) = cache.get(pointer) {
            return Ok(Arc::clone(validator));
        }
        let validator = Arc::new(self.compile(pointer)?);
        cache.insert(pointer.to_owned(), Arc::clone(&validator));
        Ok(validator)
    }

    fn compile(&self, pointer: &str) -> Result<Validator> {
        let fragment: String = pointer
            .chars()
            .map(|c| match c {
                '{' => "%7B".to_owned(),
                '}' => "%7D".to_owned(),
                c => c.to_string(),
            })
            .collect();
        jsonschema::options()
            .with_draft(self.draft)
            .should_validate_formats(true)
            .with_registry(&self.registry)
            .build(&serde_json::json!({ "$ref": format!("{}#{fragment}", self.uri) }))
            .map_err(|e| anyhow!("the schema at {pointer} does not compile: {e}"))
    }

    /// Every violation of the schema at `pointer` by `instance`, one line
    /// each (`at '/path': what`); empty when it is valid.
    pub fn violations(&self, pointer: &str, instance: &Value) -> Result<Vec<String>> {
        Ok(self
            .validator(pointer)?
            .iter_errors(instance)
            .map(|e| format!("at '{}': {e}", e.instance_path()))
            .collect())
    }

    /// Fails, listing every violation, unless `instance` is valid against the
    /// schema at `pointer`; `what` names the instance in the message.
    pub fn check(&self, pointer: &str, instance: &Value, what: &str) -> Result<()> {
        let errors = self.violations(pointer, instance)?;
        if errors.is_empty() {
            return Ok(());
        }
        bail!(
            "{what} does not match {pointer}:\n  {}\ninstance: {instance}",
            errors.join("\n  ")
        )
    }
}

/// Escapes one JSON-pointer token (`/` and `~`).
pub fn pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
