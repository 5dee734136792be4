//! Service invocation through the sidecars: todo-api serves the audit log
//! and the notifications by calling audit and notifier through daprd. A
//! request those services refuse is one call, not four: daprd retries only
//! answers that may pass (`matching` in dapr/components/resiliency.yaml).
//! Before that, every 404 or 422 of audit or notifier was retried three
//! times with backoff and took about 2 s.
//!
//! It counts the calls each service's daprd received, so no other test may
//! call them meanwhile: `scripts/stack test` runs it alone (its name starts
//! with `disruptive_`). Locally only: on a cluster the sidecars' metrics
//! ports are not bridged to the machine.

use anyhow::{Context, Result, ensure};
use e2e::Stack;
use e2e::ports::ServicePort;
use reqwest::{Method, StatusCode};

/// The calls from todo-api that `service`'s daprd has received so far.
async fn calls_from_todo_api(stack: &Stack, service: &str) -> Result<f64> {
    let port = stack.service_port(service, ServicePort::DaprMetrics)?;
    let text = stack
        .raw(Method::GET, &format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    text.lines()
        .filter(|l| l.starts_with("dapr_runtime_service_invocation_req_recv_total{"))
        .filter(|l| l.contains(r#"src_app_id="todo-api""#))
        .map(|l| {
            l.rsplit(' ')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .with_context(|| format!("a counter line: {l}"))
        })
        .sum()
}

#[tokio::test]
async fn disruptive_a_refused_read_is_one_call_to_the_service_behind_it() -> Result<()> {
    if std::env::var_os("TODO_STACK_CONTROL").is_some() {
        println!("skipped on a cluster: the sidecars' metrics ports are not bridged");
        return Ok(());
    }
    let stack = Stack::from_env()?;
    let user = stack.new_user("invoke");
    for (service, path, mention) in [
        ("audit", "/audit?limit=0", "limit"),
        ("notifier", "/notifications?cursor=zz", "cursor"),
    ] {
        let before = calls_from_todo_api(&stack, service).await?;
        stack
            .as_user(&user)
            .get(path)
            .await?
            .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &[mention])?;
        let calls = calls_from_todo_api(&stack, service).await? - before;
        ensure!(
            calls == 1.0,
            "GET {path}: {service} received {calls} calls for one refused request (daprd retried a final answer)"
        );
    }
    Ok(())
}
