//! What the load benches (soak, users) share: one user's requests of the
//! soak's mix, and the stack processes' memory.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bench::soak::Op;
use bench::stats::vm_rss_kib;
use e2e::Stack;
use reqwest::Method;
use serde_json::{Value, json};

/// Every stack process's resident memory in KiB, by the name of its pid file.
pub fn resident_memory(stack_dir: &str) -> Result<BTreeMap<String, u64>> {
    let mut memory = BTreeMap::new();
    let pids = format!("{stack_dir}/pids");
    for entry in std::fs::read_dir(&pids)
        .with_context(|| format!("reading {pids}: is the stack running?"))?
    {
        let path = entry?.path();
        let Some(name) = path.file_stem().and_then(|n| n.to_str()) else {
            continue;
        };
        let pid = std::fs::read_to_string(&path)?.trim().to_owned();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .with_context(|| format!("{name} (pid {pid}) is not running"))?;
        let kib = vm_rss_kib(&status).with_context(|| format!("no VmRSS for {name}"))?;
        memory.insert(name.to_owned(), kib);
    }
    Ok(memory)
}

/// What a client knows of one user's tasks.
#[derive(Default)]
pub struct Tasks {
    /// Tasks without reminders, oldest first: these may be completed or deleted.
    pub plain: Vec<u64>,
    /// Tasks with a reminder still to fire: left alone so each fires.
    pub reminding: Vec<u64>,
}

/// Sends operation `op` for `user`: its latency, status and label, or
/// `Ok(None)` when the user has no task it applies to (nothing was sent).
/// A reminder is set only before `reminders_until`, a minute or two ahead.
pub async fn send(
    stack: &Stack,
    user: &str,
    tasks: &mut Tasks,
    op: Op,
    reminders_until: Instant,
) -> Result<Option<(Duration, u16, String)>> {
    let now = chrono::Utc::now();
    let (method, path, body, label) = match op {
        Op::List => (Method::GET, "/tasks?limit=20".to_owned(), None, "list"),
        Op::Get => {
            let Some(id) = tasks.plain.last().or(tasks.reminding.last()) else {
                return Ok(None);
            };
            (Method::GET, format!("/tasks/{id}"), None, "get")
        }
        Op::Create => (
            Method::POST,
            "/tasks".to_owned(),
            Some(json!({"title": "soak task", "priority": "medium", "tags": ["soak"]})),
            "create",
        ),
        Op::CreateReminding if Instant::now() < reminders_until => {
            let at = now + chrono::Duration::seconds(60 + (now.timestamp() % 60));
            (
                Method::POST,
                "/tasks".to_owned(),
                Some(json!({"title": "soak reminder", "reminders": [
                    {"remind_at": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)}
                ]})),
                "create+reminder",
            )
        }
        Op::CreateReminding => return Ok(None),
        Op::Complete => {
            let Some(id) = tasks.plain.first() else {
                return Ok(None);
            };
            (
                Method::PATCH,
                format!("/tasks/{id}/complete"),
                None,
                "complete",
            )
        }
        Op::Delete => {
            if tasks.plain.is_empty() {
                return Ok(None);
            }
            let id = tasks.plain.remove(0);
            (Method::DELETE, format!("/tasks/{id}"), None, "delete")
        }
    };
    let mut request = stack.request_unchecked(method, user, &path);
    if let Some(body) = &body {
        request = request.json(body);
    }
    let started = Instant::now();
    let response = request
        .send()
        .await
        .with_context(|| format!("{label} {path}"))?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    let elapsed = started.elapsed();
    if status == 201 {
        let created: Value = serde_json::from_slice(&bytes)?;
        let id = created["id"].as_u64().context("a created task has an id")?;
        match op {
            Op::CreateReminding => tasks.reminding.push(id),
            _ => tasks.plain.push(id),
        }
    }
    Ok(Some((elapsed, status, label.to_owned())))
}
