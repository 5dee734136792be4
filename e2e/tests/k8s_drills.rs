//! Cluster drills (`scripts/stack k8s test` runs them; `#[ignore]` keeps them
//! out of the local stack's runs, which has no pods to delete):
//! - a client writes tasks without pause while the cluster is disturbed
//!   (the Kafka pod deleted, `helm upgrade`), and afterwards no write has
//!   failed and every task has exactly one `task.created` entry in the audit
//!   log (each event arrived once);
//! - crash drills, the cluster form of `crash.rs`: a container is killed
//!   outright (SIGKILL through containerd, as a crash or the OOM killer
//!   would) with writes or reminders in flight, kubelet starts it again in
//!   the same pod, and each drill ends with exact counts.
//!
//! The disturbance goes through `Stack::control`, i.e. `scripts/stack k8s
//! control ...` under `TODO_STACK_CONTROL`.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use e2e::Stack;
use e2e::api::id_of;
use e2e::drills::{
    CATCH_UP, acknowledged, after_writes, all_acknowledged, exactly_one_created_each,
    one_next_instance_each, one_notification_each, stored_ids, tasks_reminding, write,
};
use reqwest::{Method, StatusCode};
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

/// Containers killed with SIGKILL (`k8s control kill NAME...`); kubelet
/// starts them again in the same pods. Waits for that (`k8s control
/// recover NAME...`) when dropped, so a failing drill still leaves the
/// cluster whole for the drills after it.
struct Crashed<'a> {
    stack: &'a Stack,
    names: &'static [&'static str],
    recovered: bool,
}

impl<'a> Crashed<'a> {
    fn kill(stack: &'a Stack, names: &'static [&'static str]) -> Result<Self> {
        let mut args = vec!["kill"];
        args.extend_from_slice(names);
        stack.control(&args)?;
        Ok(Self {
            stack,
            names,
            recovered: false,
        })
    }

    /// Until every killed container runs again and its pod is Ready (off
    /// the async runtime: the script waits).
    async fn recover(&mut self) -> Result<()> {
        self.recovered = true;
        let (stack, names) = (self.stack.clone(), self.names);
        tokio::task::spawn_blocking(move || {
            let mut args = vec!["recover"];
            args.extend_from_slice(names);
            stack.control(&args)
        })
        .await?
    }
}

impl Drop for Crashed<'_> {
    fn drop(&mut self) {
        if self.recovered {
            return;
        }
        let mut args = vec!["recover"];
        args.extend_from_slice(self.names);
        if let Err(e) = self.stack.control(&args) {
            eprintln!("could not wait for {:?} to run again: {e:#}", self.names);
        }
    }
}

/// Every todo-api pod loses its app and its daprd mid-stream: every
/// acknowledged write is stored and evented exactly once; a write whose
/// answer was lost is either wholly there (stored and evented once) or absent.
#[tokio::test]
#[ignore = "a cluster drill: run by scripts/stack k8s test"]
async fn drill_sigkill_of_todo_api_and_its_daprd_keeps_every_acknowledged_write() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("k8s-crash-api");
    let writer = tokio::spawn(write(
        stack.clone(),
        user.clone(),
        "api drill",
        40,
        Duration::from_millis(100),
    ));
    after_writes(&stack, &user, 10).await?;
    let mut crashed = Crashed::kill(&stack, &["todo-api", "todo-api-dapr"])?;
    let down = Instant::now();
    crashed.recover().await?;
    println!("todo-api ran again after {:?}", down.elapsed());
    let outcomes = writer.await?;
    let acknowledged = acknowledged(&outcomes);
    let unknown = outcomes.len() - acknowledged.len();
    println!(
        "{} acknowledged, {unknown} without an answer",
        acknowledged.len()
    );
    ensure!(
        unknown > 0,
        "the crash should have cost some writes their answer"
    );
    ensure!(
        acknowledged.len() == 40,
        "writes succeed again after the restart: {outcomes:?}"
    );
    let stored = stored_ids(&stack, &user).await?;
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    ensure!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    exactly_one_created_each(&stack, &user, &stored).await
}

/// A consumer (audit) loses its app and its daprd mid-stream: writes are
/// untouched, and after kubelet restarts them every event is recorded once.
#[tokio::test]
#[ignore = "a cluster drill: run by scripts/stack k8s test"]
async fn drill_sigkill_of_audit_and_its_daprd_loses_and_repeats_nothing() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("k8s-crash-audit");
    let writer = tokio::spawn(write(
        stack.clone(),
        user.clone(),
        "audit drill",
        60,
        Duration::from_millis(50),
    ));
    after_writes(&stack, &user, 15).await?;
    let mut crashed = Crashed::kill(&stack, &["audit", "audit-dapr"])?;
    let down = Instant::now();
    crashed.recover().await?;
    println!("audit ran again after {:?}", down.elapsed());
    let outcomes = writer.await?;
    let acknowledged = all_acknowledged(&outcomes, "while audit was down")?;
    ensure!(
        acknowledged.len() == 60,
        "60 acknowledged writes: {outcomes:?}"
    );
    exactly_one_created_each(&stack, &user, &acknowledged).await
}

/// The broker's container is killed while writes go on: every write still
/// succeeds (the outbox holds the events), and once kubelet has it running
/// again every event reaches its consumer exactly once.
#[tokio::test]
#[ignore = "a cluster drill: run by scripts/stack k8s test"]
async fn drill_sigkill_of_the_kafka_broker_loses_no_event() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("k8s-crash-kafka");
    let writer = tokio::spawn(write(
        stack.clone(),
        user.clone(),
        "broker drill",
        40,
        Duration::from_millis(100),
    ));
    after_writes(&stack, &user, 10).await?;
    let mut crashed = Crashed::kill(&stack, &["kafka"])?;
    crashed.recover().await?;
    let outcomes = writer.await?;
    let acknowledged = all_acknowledged(&outcomes, "while the broker was down")?;
    ensure!(acknowledged.len() == 40, "40 acknowledged writes");
    exactly_one_created_each(&stack, &user, &acknowledged).await
}

/// `count` reminders `lead_secs` ahead for a new user, each scheduled by
/// notifier already: what the reminder drills disrupt.
async fn pending_reminders(
    stack: &Stack,
    prefix: &str,
    count: usize,
    lead_secs: i64,
) -> Result<(String, chrono::DateTime<chrono::Utc>, BTreeSet<u64>)> {
    let user = stack.new_user(prefix);
    let (at, ids) = tasks_reminding(stack, &user, "reminded", count, lead_secs).await?;
    stack
        .logged(
            "notifier",
            "reminder scheduled",
            ("user_id", &user),
            count,
            CATCH_UP,
        )
        .await?;
    Ok((user, at, ids))
}

/// notifier loses its app and its daprd between scheduling reminders and
/// their time: after kubelet restarts them each fires exactly once, none early.
#[tokio::test]
#[ignore = "a cluster drill: run by scripts/stack k8s test"]
async fn drill_sigkill_of_notifier_and_its_daprd_fires_each_pending_reminder_once() -> Result<()> {
    let stack = Stack::from_env()?;
    let (user, at, ids) = pending_reminders(&stack, "k8s-crash-notifier", 3, 20).await?;
    Crashed::kill(&stack, &["notifier", "notifier-dapr"])?
        .recover()
        .await?;
    one_notification_each(&stack, &user, &ids, at).await
}

/// Dapr's scheduler is killed with reminders pending (its jobs are in the
/// pod's own storage, which a container crash keeps): after kubelet
/// restarts it each reminder fires once, none early.
#[tokio::test]
#[ignore = "a cluster drill: run by scripts/stack k8s test"]
async fn drill_sigkill_of_the_dapr_scheduler_keeps_pending_reminders() -> Result<()> {
    let stack = Stack::from_env()?;
    let (user, at, ids) = pending_reminders(&stack, "k8s-crash-scheduler", 5, 20).await?;
    Crashed::kill(&stack, &["scheduler"])?.recover().await?;
    one_notification_each(&stack, &user, &ids, at).await
}

/// Every pod of Dapr's scheduler is deleted with reminders pending: the new
/// pods read the jobs back from their volumes (static hostPath volumes on
/// this node, `scripts/k8s/scheduler-pv.yaml`), and each reminder fires
/// once, none early.
#[tokio::test]
#[ignore = "a cluster drill: run by scripts/stack k8s test"]
async fn drill_the_dapr_scheduler_pods_deleted_keep_pending_reminders() -> Result<()> {
    let stack = Stack::from_env()?;
    let (user, at, ids) = pending_reminders(&stack, "k8s-scheduler-pods", 5, 40).await?;
    let control = stack.clone();
    tokio::task::spawn_blocking(move || control.control(&["delete-pods", "scheduler"])).await??;
    one_notification_each(&stack, &user, &ids, at).await
}

/// recurring loses its app and its daprd while series are completed: after
/// kubelet restarts them each completion has exactly one next instance.
#[tokio::test]
#[ignore = "a cluster drill: run by scripts/stack k8s test"]
async fn drill_sigkill_of_recurring_and_its_daprd_creates_each_next_instance_once() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("k8s-crash-recurring");
    let mut series = Vec::new();
    for n in 0..5 {
        let task = stack
            .request(Method::POST, &user, "/tasks/recurring")
            .json(&json!({"title": format!("daily {n}"), "due_date": "2030-01-01", "recurrence": {"frequency": "daily"}}))
            .send()
            .await?
        .expect(StatusCode::CREATED)?;
        series.push(task["id"].as_u64().context("an id")?);
    }
    let mut crashed = Crashed::kill(&stack, &["recurring", "recurring-dapr"])?;
    for id in &series {
        stack.complete(&user, *id).await?;
    }
    crashed.recover().await?;
    // 5 series and exactly 5 next instances.
    one_next_instance_each(&stack, &user, &series).await
}
