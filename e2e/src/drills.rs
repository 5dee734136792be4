//! What the failure drills share: a writer that records each outcome, the
//! processes killed and brought back however a drill ends, and exact counts
//! of stored tasks and audit entries.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::Stack;
use crate::openapi::Breach;

/// How long effects may take to appear after the restart.
pub const CATCH_UP: Duration = Duration::from_secs(90);

/// Restarts what a drill killed when dropped, so a failing drill still
/// leaves the stack whole for the tests after it.
pub struct Killed<'a> {
    stack: &'a Stack,
    restart: &'static str,
    restarted: bool,
}

impl<'a> Killed<'a> {
    /// Kills `processes` (`scripts/stack kill`); `restart` names what
    /// `scripts/stack restart` brings back.
    pub fn kill(stack: &'a Stack, processes: &[&str], restart: &'static str) -> Result<Self> {
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
    pub async fn restart(&mut self) -> Result<()> {
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
pub enum Outcome {
    /// 201 with this id: the write is acknowledged.
    Acknowledged(u64),
    /// Anything else (refused connection, 5xx): the write may or may not
    /// have happened, but must then have happened whole.
    Unknown(String),
}

/// The ids of the acknowledged writes among `outcomes`.
pub fn acknowledged(outcomes: &[Outcome]) -> BTreeSet<u64> {
    outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Acknowledged(id) => Some(*id),
            Outcome::Unknown(_) => None,
        })
        .collect()
}

/// The ids of `outcomes`, which must all be acknowledged (`what` names
/// the disruption in the error when one is not).
pub fn all_acknowledged(outcomes: &[Outcome], what: &str) -> Result<BTreeSet<u64>> {
    outcomes
        .iter()
        .map(|o| match o {
            Outcome::Acknowledged(id) => Ok(*id),
            Outcome::Unknown(why) => Err(anyhow::anyhow!("a write failed {what}: {why}")),
        })
        .collect()
}

/// Creates tasks titled `{prefix} {n}` one after another, pausing `pace`
/// between them, until `count` are acknowledged (or a minute passes), and
/// returns each outcome in order.
pub async fn write(
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
            // A disruption may refuse or cut a write, never answer one
            // outside the contract (a 500, a body the document forbids).
            Err(e) if e.downcast_ref::<Breach>().is_some() => {
                panic!("a write during the drill broke the API contract: {e:#}")
            }
            Err(e) => Outcome::Unknown(format!("{e:#}")),
        };
        outcomes.push(outcome);
        tokio::time::sleep(pace).await;
    }
    outcomes
}

/// Every item of a paged list at `path` (relative to `/api/{user}`).
pub async fn every_page(stack: &Stack, user: &str, path: &str) -> Result<Vec<Value>> {
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

/// Checks, by the one rule of [`crate::once`], that audit holds one
/// `task.created` entry for each of `ids` and none for any other task.
pub async fn exactly_one_created_each(
    stack: &Stack,
    user: &str,
    ids: &BTreeSet<u64>,
) -> Result<()> {
    let entries = stack
        .settled(
            "task.created entries",
            ids.len(),
            "/task_id",
            CATCH_UP,
            || every_page(stack, user, "/audit?type=task.created"),
        )
        .await?;
    let found: BTreeSet<u64> = entries
        .iter()
        .filter_map(|e| e["task_id"].as_u64())
        .collect();
    ensure!(
        &found == ids,
        "audit's tasks {found:?} differ from the stored ones {ids:?}"
    );
    Ok(())
}

/// Checks, by the one rule of [`crate::once`], that each of `series` (the
/// first instances of daily series, all completed) has exactly one next
/// instance, and nothing else was created.
pub async fn one_next_instance_each(stack: &Stack, user: &str, series: &[u64]) -> Result<()> {
    // An instance is its series and occurrence.
    let instances = || async {
        Ok(every_page(stack, user, "/tasks")
            .await?
            .iter()
            .map(|t| json!({"series": t["series_id"], "instance": format!("{}/{}", t["series_id"], t["occurrence"])}))
            .collect())
    };
    let all = stack
        .settled(
            "the series' instances",
            2 * series.len(),
            "/instance",
            CATCH_UP,
            instances,
        )
        .await?;
    // Two of each series: its first instance and one next.
    let mut per_series: BTreeMap<String, usize> = BTreeMap::new();
    for instance in &all {
        *per_series
            .entry(instance["series"].to_string())
            .or_default() += 1;
    }
    ensure!(
        per_series.len() == series.len() && per_series.values().all(|n| *n == 2),
        "two of each series: {per_series:?}"
    );
    Ok(())
}

/// The ids of `user`'s stored tasks.
pub async fn stored_ids(stack: &Stack, user: &str) -> Result<BTreeSet<u64>> {
    Ok(every_page(stack, user, "/tasks")
        .await?
        .iter()
        .filter_map(|t| t["id"].as_u64())
        .collect())
}

/// Lets the writer get `after` writes in before the crash.
pub async fn after_writes(stack: &Stack, user: &str, after: usize) -> Result<()> {
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

/// Creates `count` tasks titled `{prefix} {n}`, each with one reminder
/// `lead_secs` from now; returns that instant and the tasks' ids.
pub async fn tasks_reminding(
    stack: &Stack,
    user: &str,
    prefix: &str,
    count: usize,
    lead_secs: i64,
) -> Result<(chrono::DateTime<chrono::Utc>, BTreeSet<u64>)> {
    let at = chrono::Utc::now() + chrono::Duration::seconds(lead_secs);
    let at_text = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut ids = BTreeSet::new();
    for n in 0..count {
        let task = stack
            .create_task(
                user,
                json!({"title": format!("{prefix} {n}"), "reminders": [{"remind_at": at_text}]}),
            )
            .await?;
        ids.insert(task["id"].as_u64().context("an id")?);
    }
    Ok((at, ids))
}

/// Checks, by the one rule of [`crate::once`], that there is one
/// notification per task of `ids` (each has one reminder), none before `at`.
pub async fn one_notification_each(
    stack: &Stack,
    user: &str,
    ids: &BTreeSet<u64>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let list = stack
        .settled("notifications", ids.len(), "/task_id", CATCH_UP, || {
            every_page(stack, user, "/notifications")
        })
        .await?;
    let tasks: BTreeSet<u64> = list.iter().filter_map(|n| n["task_id"].as_u64()).collect();
    ensure!(&tasks == ids, "one notification per reminder: {list:#?}");
    for n in &list {
        let delivered_at = chrono::DateTime::parse_from_rfc3339(
            n["delivered_at"].as_str().context("delivered_at")?,
        )?;
        ensure!(delivered_at >= at, "delivered before its time: {n}");
    }
    Ok(())
}
