//! The audit log on the real stack: every task event reaches audit through
//! its own sidecar from Kafka and is stored once; `GET /api/{user}/audit`
//! (through todo-api by service invocation) filters and pages it, newest first.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use e2e::Stack;
use e2e::api::id_of;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_domain::Topic;

const WAIT: Duration = Duration::from_secs(30);

/// `user`'s `count` audit entries, each once (by `id`, the event's id),
/// read back by the one rule of `e2e::once`.
async fn settled_log(stack: &Stack, user: &str, count: usize) -> Result<Vec<Value>> {
    stack
        .settled("the audit entries", count, "/id", WAIT, || {
            stack.audit(user, "limit=500")
        })
        .await
}

fn ids(items: &[Value]) -> Vec<&str> {
    items.iter().filter_map(|e| e["id"].as_str()).collect()
}

#[tokio::test]
async fn n_operations_give_n_entries_newest_first_filtered_and_paged() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("audit");
    let a = id_of(&stack.create_task(&user, json!({"title": "A"})).await?);
    let b = id_of(&stack.create_task(&user, json!({"title": "B"})).await?);
    let patch = |id: u64, body: Value| {
        let stack = &stack;
        let user = &user;
        async move {
            stack
                .as_user(user)
                .patch(&format!("/tasks/{id}"), body)
                .await?
                .expect(StatusCode::OK)
        }
    };
    patch(a, json!({"title": "A, renamed"})).await?;
    stack.complete(&user, a).await?;
    patch(a, json!({"completed": false})).await?;
    patch(b, json!({"priority": "urgent"})).await?;
    stack
        .as_user(&user)
        .delete(&format!("/tasks/{b}"))
        .await?
        .expect(StatusCode::NO_CONTENT)?;

    // Seven operations, seven entries, each event once.
    let all = settled_log(&stack, &user, 7).await?;
    let kinds: Vec<&str> = all.iter().filter_map(|e| e["type"].as_str()).collect();
    ensure!(
        kinds
            == [
                "task.deleted",
                "task.updated",
                "task.updated",
                "task.completed",
                "task.updated",
                "task.created",
                "task.created"
            ],
        "newest first: {kinds:?}"
    );
    let times = all
        .iter()
        .map(|e| {
            let text = e["occurred_at"].as_str().context("a time")?;
            Ok(chrono::DateTime::parse_from_rfc3339(text)?)
        })
        .collect::<Result<Vec<_>>>()?;
    ensure!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );
    ensure!(all.iter().all(|e| e["user_id"] == user.as_str()));
    let rename = &all[4];
    ensure!(
        rename["changes"]["title"].is_array(),
        "changes recorded: {rename}"
    );

    // Filters.
    let of_b = stack.audit(&user, &format!("task_id={b}")).await?;
    ensure!(
        of_b.len() == 3 && of_b.iter().all(|e| e["task_id"] == b),
        "{of_b:#?}"
    );
    let created = stack.audit(&user, "type=task.created").await?;
    ensure!(ids(&created) == [ids(&all)[5], ids(&all)[6]]);
    // from is inclusive, to exclusive.
    let from = all[4]["occurred_at"].as_str().context("a time")?;
    let to = all[1]["occurred_at"].as_str().context("a time")?;
    let window = stack
        .audit(&user, &format!("from={}&to={}", enc(from), enc(to)))
        .await?;
    ensure!(ids(&window) == ids(&all)[2..=4], "{window:#?}");

    // Pages of three, following next_cursor, give the whole log in order.
    let mut paged = Vec::new();
    let mut query = "limit=3".to_owned();
    loop {
        let page = stack.get_json(&user, &format!("/audit?{query}")).await?;
        let items = page["items"].as_array().context("items")?;
        ensure!(items.len() <= 3 && page["total"] == 7);
        paged.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("limit=3&cursor={cursor}"),
            None => break,
        }
    }
    ensure!(ids(&paged) == ids(&all), "paging lost or repeated entries");

    // Bad parameters are the client's error, named.
    stack
        .as_user(&user)
        .get("/audit?limit=0")
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &[])?;
    stack
        .as_user(&user)
        .get("/audit?from=yesterday")
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &[])?;
    stack
        .as_user(&user)
        .get(&format!("/audit?from={}&to={}", enc(to), enc(from)))
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &[])?;
    Ok(())
}

/// Percent-encodes a time for a query string (`+` in an offset).
fn enc(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn a_redelivered_event_adds_no_entry() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("redelivery");
    stack
        .create_task(&user, json!({"title": "Once only"}))
        .await?;
    let before = settled_log(&stack, &user, 1).await?;
    ensure!(before.len() == 1);

    // The very message on Kafka, published again through audit's sidecar.
    let records = stack
        .first_records(Topic::TaskEvents.name(), &user, 1, WAIT)
        .await?;
    let record = records.first().context("the event on task-events")?;
    let event_id = record["data"]["event_id"].as_str().context("an event id")?;
    ensure!(ids(&before) == [event_id]);
    stack
        .publish_via("audit", Topic::TaskEvents.name(), &user, record)
        .await?;
    stack
        .logged_once("audit", "duplicate event ignored", ("event_id", event_id))
        .await?;
    let after = stack.audit(&user, "").await?;
    ensure!(after == before, "a redelivery changed the log: {after:#?}");
    Ok(())
}

#[tokio::test]
async fn another_users_log_is_forbidden() -> Result<()> {
    let stack = Stack::from_env()?;
    let (owner, other) = (stack.new_user("owner"), stack.new_user("other"));
    let response = stack
        .checked(Method::GET, &format!("{}/api/{owner}/audit", stack.api))
        .bearer_auth(stack.token(&other))
        .send()
        .await?;
    ensure!(response.status == StatusCode::FORBIDDEN);
    Ok(())
}
