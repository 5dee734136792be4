//! Cluster drills (`scripts/stack k8s test` runs them; `#[ignore]` keeps them
//! out of the local stack's runs, which has no pods to delete): a client
//! writes tasks without pause while the cluster is disturbed, and afterwards
//! no write has failed and every task has exactly one `task.created` entry
//! in the audit log (each event arrived once).
//!
//! The disturbance goes through `Stack::control`, i.e. `scripts/stack k8s
//! control ...` under `TODO_STACK_CONTROL`.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::Stack;
use e2e::api::id_of;
use serde_json::json;
use tokio::sync::watch;

/// How long writes go on after the disturbance has completed.
const AFTER: Duration = Duration::from_secs(5);
const WAIT: Duration = Duration::from_secs(120);

/// Writes tasks for `user` until told to stop; returns (created ids, failures).
async fn writer(
    stack: Stack,
    user: String,
    mut stop: watch::Receiver<bool>,
) -> (Vec<u64>, Vec<String>) {
    let (mut ids, mut failures) = (Vec::new(), Vec::new());
    let mut n = 0;
    while !*stop.borrow() {
        n += 1;
        match stack
            .create_task(&user, json!({"title": format!("drill {n}")}))
            .await
        {
            Ok(task) => ids.push(id_of(&task)),
            Err(e) => failures.push(format!("write {n}: {e:#}")),
        }
        tokio::select! {
            _ = stop.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
    (ids, failures)
}

/// Runs `control` while a client writes, then checks every write and event.
async fn drill(name: &str, control: &'static [&'static str]) -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user(name);
    let (stop_tx, stop_rx) = watch::channel(false);
    let writes = tokio::spawn(writer(stack.clone(), user.clone(), stop_rx));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let controller = stack.clone();
    tokio::task::spawn_blocking(move || controller.control(control)).await??;
    tokio::time::sleep(AFTER).await;
    stop_tx.send(true)?;
    let (ids, failures) = writes.await?;
    println!(
        "{name}: {} writes, {} failed",
        ids.len() + failures.len(),
        failures.len()
    );
    ensure!(
        failures.is_empty(),
        "writes failed during {control:?}: {failures:#?}"
    );
    ensure!(
        ids.len() > 10,
        "too few writes to mean anything: {}",
        ids.len()
    );

    let created = stack
        .eventually("a task.created entry for every write", WAIT, || async {
            // Just after an upgrade a read may meet a sidecar still starting
            // (503); what counts is that every write's event arrives.
            let Ok(items) = stack.audit(&user, "type=task.created&limit=500").await else {
                return Ok(None);
            };
            let mut per_task: HashMap<u64, usize> = HashMap::new();
            for item in &items {
                let id = item["task_id"]
                    .as_u64()
                    .context("an audit entry's task_id")?;
                *per_task.entry(id).or_default() += 1;
            }
            Ok((ids.iter().all(|id| per_task.contains_key(id))).then_some(per_task))
        })
        .await?;
    // A moment more: a late duplicate would show now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let items = stack.audit(&user, "type=task.created&limit=500").await?;
    ensure!(
        items.len() == ids.len(),
        "{} task.created entries for {} writes",
        items.len(),
        ids.len()
    );
    ensure!(
        created.values().all(|&n| n == 1),
        "an event arrived twice: {created:?}"
    );
    Ok(())
}

#[tokio::test]
#[ignore = "a cluster drill: run by scripts/stack k8s test"]
async fn drill_the_kafka_pod_deleted_while_a_client_writes() -> Result<()> {
    drill("kafka-drill", &["kafka", "delete-pod"]).await
}

#[tokio::test]
#[ignore = "a cluster drill: run by scripts/stack k8s test"]
async fn drill_helm_upgrade_to_a_new_image_tag_while_a_client_writes() -> Result<()> {
    drill("upgrade-drill", &["upgrade", "drill"]).await
}
