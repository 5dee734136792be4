//! Methods a path does not take: every path of the served OpenAPI document
//! answers every method it does not declare with 405 and an `Allow` header
//! listing exactly the methods it declares (RFC 9110), `/healthz` included;
//! an unknown path stays 404.

use std::collections::BTreeSet;

use anyhow::{Context, Result, ensure};
use e2e::Stack;
use reqwest::Method;
use serde_json::Value;

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"];

#[tokio::test]
async fn undeclared_methods_are_405_with_the_declared_ones_in_allow() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("methods");
    let doc: Value = stack
        .checked(Method::GET, &format!("{}/api/openapi.json", stack.api))
        .send()
        .await?
        .expect(reqwest::StatusCode::OK)?;
    let paths = doc["paths"].as_object().context("paths")?;
    let mut checked = 0;
    for (template, item) in paths {
        let declared: BTreeSet<String> = item
            .as_object()
            .context("a path item")?
            .keys()
            .filter(|k| k.as_str() != "parameters")
            .map(|k| k.to_uppercase())
            .collect();
        let path = template
            .replace("{user_id}", &user)
            .replace("{id}", "1")
            .replace("{notification_id}", "t1-r1-o1-0");
        for method in METHODS.iter().filter(|m| !declared.contains(**m)) {
            let response = stack
                .raw(
                    Method::from_bytes(method.as_bytes())?,
                    &format!("{}{path}", stack.api),
                )
                .bearer_auth(stack.token(&user))
                .send()
                .await?;
            ensure!(
                response.status() == 405,
                "{method} {template}: expected 405, got {}",
                response.status()
            );
            let allow: BTreeSet<String> = response
                .headers()
                .get("allow")
                .with_context(|| format!("{method} {template}: a 405 needs Allow"))?
                .to_str()?
                .split(',')
                .map(|m| m.trim().to_owned())
                .collect();
            ensure!(
                allow == declared,
                "{method} {template}: Allow {allow:?}, declared {declared:?}"
            );
            checked += 1;
        }
    }
    ensure!(checked > 50, "only {checked} undeclared methods were tried");
    let unknown = stack
        .raw(
            Method::TRACE,
            &format!("{}/api/{user}/no-such-thing", stack.api),
        )
        .bearer_auth(stack.token(&user))
        .send()
        .await?;
    ensure!(
        unknown.status() == 404,
        "unknown path: {}",
        unknown.status()
    );
    Ok(())
}
