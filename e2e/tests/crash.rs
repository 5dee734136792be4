//! Crash drills: a process is killed outright (SIGKILL, as a crash or the
//! OOM killer would) while writes are in flight, then started again; each
//! drill ends with exact counts: nothing acknowledged is lost, and no
//! effect happens twice.
//!
//! "Exactly once" is read after the outbox relay's safety net has had its
//! chance to republish (`SETTLE`): a duplicate effect would show by then.
//!
//! Disruptive: they kill parts of the shared stack, so `scripts/stack test`
//! runs them alone, one at a time (names start with `disruptive_`). Each
//! brings the killed processes back however it ends.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use e2e::Stack;
use e2e::api::Reply;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Longer than the outbox relay's safety-net delay (10 s) plus a run of it.
const SETTLE: Duration = Duration::from_secs(15);
/// How long effects may take to appear after the restart.
const CATCH_UP: Duration = Duration::from_secs(90);

/// Restarts what a drill killed when dropped, so a failing drill still
/// leaves the stack whole for the tests after it.
struct Killed<'a> {
    stack: &'a Stack,
    restart: &'static str,
    restarted: bool,
}

impl<'a> Killed<'a> {
    /// Kills `processes` (`scripts/stack kill`); `restart` names what
    /// `scripts/stack restart` brings back.
    fn kill(stack: &'a Stack, processes: &[&str], restart: &'static str) -> Result<Self> {
        let mut args = vec!["kill"];
        args.extend_from_slice(processes);
        stack.control(&args)?;
        Ok(Self {
            stack,
            restart,
            restarted: false,
        })
    }

    /// Starts the killed processes again (off the async runtime: the script
    /// waits until they are healthy).
    async fn restart(&mut self) -> Result<()> {
        self.restarted = true;
        let stack = self.stack.clone();
        let name = self.restart;
        tokio::task::spawn_blocking(move || stack.control(&["restart", name])).await?
    }
}

impl Drop for Killed<'_> {
    fn drop(&mut self) {
        if !self.restarted
            && let Err(e) = self.stack.control(&["restart", self.restart])
        {
            eprintln!("could not restart {}: {e:#}", self.restart);
        }
    }
}

/// What one create of the writer got back.
#[derive(Debug)]
enum Outcome {
    /// 201 with this id: the write is acknowledged.
    Acknowledged(u64),
    /// Anything else (refused connection, 5xx): the write may or may not
    /// have happened, but must then have happened whole.
    Unknown(String),
}

/// Creates tasks titled `{prefix} {n}` one after another, pausing `pace`
/// between them, until `count` are acknowledged (or a minute passes), and
/// returns each outcome in order.
async fn write(
    stack: Stack,
    user: String,
    prefix: &'static str,
    count: usize,
    pace: Duration,
) -> Vec<Outcome> {
    let started = Instant::now();
    let mut outcomes = Vec::with_capacity(count);
    let mut acknowledged = 0;
    for n in 0.. {
        if acknowledged == count || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        let body = json!({"title": format!("{prefix} {n}")});
        let outcome = match stack.call(Method::POST, &user, "/tasks", Some(body)).await {
            Ok(reply) if reply.status == StatusCode::CREATED => {
                acknowledged += 1;
                Outcome::Acknowledged(reply.body["id"].as_u64().unwrap_or_default())
            }
            Ok(reply) => Outcome::Unknown(format!("{}: {}", reply.status, reply.body)),
            Err(e) => Outcome::Unknown(format!("{e:#}")),
        };
        outcomes.push(outcome);
        tokio::time::sleep(pace).await;
    }
    outcomes
}

/// Every item of a paged list at `path` (relative to `/api/{user}`).
async fn every_page(stack: &Stack, user: &str, path: &str) -> Result<Vec<Value>> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let page_path = match &cursor {
            Some(c) => format!("{path}{sep}limit=500&cursor={c}"),
            None => format!("{path}{sep}limit=500"),
        };
        let page = stack.get_json(user, &page_path).await?;
        items.extend(
            page["items"]
                .as_array()
                .context("a page has items")?
                .iter()
                .cloned(),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(items),
        }
    }
}

/// How many `task.created` entries audit holds per task id.
async fn created_entries(stack: &Stack, user: &str) -> Result<BTreeMap<u64, usize>> {
    let mut counts = BTreeMap::new();
    for entry in every_page(stack, user, "/audit?type=task.created").await? {
        let id = entry["task_id"]
            .as_u64()
            .context("an entry has a task id")?;
        *counts.entry(id).or_default() += 1;
    }
    Ok(counts)
}

/// Waits until audit has an entry for each of `ids`, lets the relay's
/// safety net run, then checks each task has exactly one `task.created`
/// entry and no other task has any.
async fn exactly_one_created_each(stack: &Stack, user: &str, ids: &BTreeSet<u64>) -> Result<()> {
    stack
        .eventually("an audit entry for every task", CATCH_UP, || async {
            let counts = created_entries(stack, user).await?;
            Ok(ids.iter().all(|id| counts.contains_key(id)).then_some(()))
        })
        .await?;
    tokio::time::sleep(SETTLE).await;
    let counts = created_entries(stack, user).await?;
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    ensure!(
        twice.is_empty(),
        "task.created recorded more than once: {twice:?}"
    );
    let found: BTreeSet<u64> = counts.keys().copied().collect();
    ensure!(
        &found == ids,
        "audit's tasks {found:?} differ from the stored ones {ids:?}"
    );
    Ok(())
}

/// The ids of `user`'s stored tasks.
async fn stored_ids(stack: &Stack, user: &str) -> Result<BTreeSet<u64>> {
    Ok(every_page(stack, user, "/tasks")
        .await?
        .iter()
        .filter_map(|t| t["id"].as_u64())
        .collect())
}

/// Lets the writer get `after` writes in before the crash.
async fn after_writes(stack: &Stack, user: &str, after: usize) -> Result<()> {
    stack
        .eventually("the first writes", Duration::from_secs(30), || async {
            Ok((stack.get_json(user, "/tasks?limit=1").await?["total"]
                .as_u64()
                .unwrap_or(0)
                >= after as u64)
                .then_some(()))
        })
        .await
}

/// A consumer and its sidecar die mid-stream; after the restart every event
/// is recorded exactly once.
#[tokio::test]
async fn disruptive_crash_of_audit_and_its_sidecar_loses_and_repeats_nothing() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("crash-audit");
    let writer = tokio::spawn(write(
        stack.clone(),
        user.clone(),
        "audit drill",
        60,
        Duration::from_millis(50),
    ));
    after_writes(&stack, &user, 15).await?;
    let mut killed = Killed::kill(&stack, &["audit", "audit-dapr"], "audit")?;
    let down = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    killed.restart().await?;
    println!("audit was down for {:?}", down.elapsed());
    let outcomes = writer.await?;
    let acknowledged: BTreeSet<u64> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Acknowledged(id) => Ok(*id),
            Outcome::Unknown(why) => Err(anyhow::anyhow!("todo-api refused a write: {why}")),
        })
        .collect::<Result<_>>()?;
    ensure!(
        acknowledged.len() == 60,
        "60 acknowledged writes: {outcomes:?}"
    );
    exactly_one_created_each(&stack, &user, &acknowledged).await
}

/// The system of record and its sidecar die mid-stream: every acknowledged
/// write is stored and evented exactly once; a write whose answer was lost
/// is either wholly there (stored and evented once) or absent.
#[tokio::test]
async fn disruptive_crash_of_todo_api_and_its_sidecar_keeps_every_acknowledged_write() -> Result<()>
{
    let stack = Stack::from_env()?;
    let user = stack.new_user("crash-api");
    let writer = tokio::spawn(write(
        stack.clone(),
        user.clone(),
        "api drill",
        40,
        Duration::from_millis(100),
    ));
    after_writes(&stack, &user, 10).await?;
    let mut killed = Killed::kill(&stack, &["todo-api", "todo-api-dapr"], "todo-api")?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    killed.restart().await?;
    let outcomes = writer.await?;
    let acknowledged: BTreeSet<u64> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Acknowledged(id) => Some(*id),
            Outcome::Unknown(_) => None,
        })
        .collect();
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
    // Every stored task, acknowledged or not, is whole: evented exactly once.
    exactly_one_created_each(&stack, &user, &stored).await
}

/// The broker dies (not paused: killed) while writes go on: every write
/// still succeeds (the outbox holds the events), and once it is back every
/// event reaches its consumer exactly once.
#[tokio::test]
async fn disruptive_crash_of_the_broker_loses_no_event() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("crash-kafka");
    let writer = tokio::spawn(write(
        stack.clone(),
        user.clone(),
        "broker drill",
        40,
        Duration::from_millis(100),
    ));
    after_writes(&stack, &user, 10).await?;
    let mut killed = Killed::kill(&stack, &["kafka"], "kafka")?;
    let broker = format!(
        "127.0.0.1:{}",
        std::env::var("KAFKA_PORT").unwrap_or_else(|_| "9092".into())
    );
    ensure!(
        tokio::net::TcpStream::connect(&broker).await.is_err(),
        "the broker still accepts connections on {broker} after the kill"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    killed.restart().await?;
    let outcomes = writer.await?;
    let acknowledged: BTreeSet<u64> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Acknowledged(id) => Ok(*id),
            Outcome::Unknown(why) => Err(anyhow::anyhow!(
                "a write failed while the broker was down: {why}"
            )),
        })
        .collect::<Result<_>>()?;
    ensure!(acknowledged.len() == 40, "40 acknowledged writes");
    exactly_one_created_each(&stack, &user, &acknowledged).await
}

/// The scheduler dies with reminders pending; after it returns each fires
/// once, none early.
#[tokio::test]
async fn disruptive_crash_of_the_scheduler_keeps_pending_reminders() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("crash-scheduler");
    let at = chrono::Utc::now() + chrono::Duration::seconds(12);
    let at_text = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut ids = BTreeSet::new();
    for n in 0..5 {
        let task = stack
            .create_task(
                &user,
                json!({"title": format!("reminded {n}"), "reminders": [{"remind_at": at_text}]}),
            )
            .await?;
        ids.insert(task["id"].as_u64().context("an id")?);
    }
    // notifier schedules the jobs from the task events; give it the time.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut killed = Killed::kill(&stack, &["scheduler"], "scheduler")?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    killed.restart().await?;
    let delivered = stack
        .eventually("a notification per reminder", CATCH_UP, || async {
            let list = every_page(&stack, &user, "/notifications").await?;
            Ok((list.len() >= ids.len()).then_some(list))
        })
        .await?;
    tokio::time::sleep(SETTLE).await;
    let list = every_page(&stack, &user, "/notifications").await?;
    ensure!(
        list.len() == ids.len(),
        "one notification per reminder: {list:#?}"
    );
    let tasks: BTreeSet<u64> = list.iter().filter_map(|n| n["task_id"].as_u64()).collect();
    ensure!(tasks == ids, "each task reminded once: {delivered:#?}");
    for n in &list {
        let delivered_at = chrono::DateTime::parse_from_rfc3339(
            n["delivered_at"].as_str().context("delivered_at")?,
        )?;
        ensure!(delivered_at >= at, "delivered before its time: {n}");
    }
    Ok(())
}

/// The recurring service and its sidecar die while series are completed:
/// after the restart each completion has exactly one next instance.
#[tokio::test]
async fn disruptive_crash_of_recurring_creates_each_next_instance_once() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("crash-recurring");
    let mut series = Vec::new();
    for n in 0..5 {
        let task = Reply::read(
            stack
                .request(Method::POST, &user, "/tasks/recurring")
                .json(&json!({"title": format!("daily {n}"), "due_date": "2030-01-01", "recurrence": {"frequency": "daily"}}))
                .send()
                .await?,
        )
        .await?
        .expect(StatusCode::CREATED)?;
        series.push(task["id"].as_u64().context("an id")?);
    }
    let mut killed = Killed::kill(&stack, &["recurring", "recurring-dapr"], "recurring")?;
    for id in &series {
        stack.complete(&user, *id).await?;
    }
    killed.restart().await?;
    stack
        .eventually("a next instance per completion", CATCH_UP, || async {
            Ok((stored_ids(&stack, &user).await?.len() >= 10).then_some(()))
        })
        .await?;
    tokio::time::sleep(SETTLE).await;
    let tasks = every_page(&stack, &user, "/tasks").await?;
    ensure!(
        tasks.len() == 10,
        "5 series and exactly 5 next instances: {tasks:#?}"
    );
    let mut per_title: BTreeMap<String, usize> = BTreeMap::new();
    for t in &tasks {
        *per_title
            .entry(t["title"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    ensure!(
        per_title.values().all(|n| *n == 2),
        "two of each series: {per_title:?}"
    );
    Ok(())
}
