//! Recurring tasks on the real stack: completing an instance makes the
//! recurring service (through its own sidecar, from Kafka) have todo-api
//! create exactly one next instance, whatever the redeliveries and races.
//!
//! Due dates lie in the future, so completing now skips no occurrence and
//! the next due date is the rule's next date after the current one.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use chrono::{DateTime, Duration as Days, Utc};
use e2e::Stack;
use e2e::api::id_of;
use e2e::once::{REPUBLISH_WINDOW, exactly_once};
use serde_json::{Value, json};
use todo_domain::Topic;

const WAIT: Duration = Duration::from_secs(30);

/// The instances of `series` among `user`'s tasks, by occurrence.
async fn series(stack: &Stack, user: &str, series: &str) -> Result<Vec<Value>> {
    let mut tasks: Vec<Value> = stack
        .all_tasks(user)
        .await?
        .into_iter()
        .filter(|t| t["series_id"] == series)
        .collect();
    tasks.sort_by_key(|t| t["occurrence"].as_u64());
    Ok(tasks)
}

/// Waits until recurring has handled every completion event of `task` so
/// far (`completions` of them), then returns the series' instances, read
/// back by the one rule of `e2e::once`: after the republish window, each
/// occurrence once, `instances` in all.
async fn settled_series(
    stack: &Stack,
    user: &str,
    task: &Value,
    completions: usize,
    instances: usize,
) -> Result<Vec<Value>> {
    let id = id_of(task);
    for event_id in stack.completion_events(user, id, completions).await? {
        let handled = |msg| stack.logged("recurring", msg, ("event_id", &event_id), 1, WAIT);
        // A redelivered event is handled once per delivery; one is enough here.
        if handled("next instance ensured").await.is_err() {
            handled("no next instance").await?;
        }
    }
    tokio::time::sleep(REPUBLISH_WINDOW).await;
    let series_id = task["series_id"].as_str().context("a series id")?;
    let all = series(stack, user, series_id).await?;
    exactly_once("the series' instances", &all, "/occurrence", instances)?;
    Ok(all)
}

/// Completes `task` and returns the one next instance it leads to, after
/// checking that the series then holds exactly the two of them.
async fn complete_once(stack: &Stack, user: &str, task: &Value) -> Result<Value> {
    let done = stack.complete(user, id_of(task)).await?;
    ensure!(done["completed"] == true, "not completed: {done}");
    let occurrence = task["occurrence"].as_u64().context("an occurrence")?;
    let all = settled_series(stack, user, task, 1, occurrence as usize + 1).await?;
    let next: Vec<&Value> = all
        .iter()
        .filter(|t| t["occurrence"] == occurrence + 1)
        .collect();
    ensure!(
        next.len() == 1,
        "expected exactly one instance {} of the series, got {all:#?}",
        occurrence + 1
    );
    Ok(next[0].clone())
}

fn instant(value: &Value) -> Result<DateTime<Utc>> {
    let text = value.as_str().context("a time")?;
    Ok(DateTime::parse_from_rfc3339(text)
        .with_context(|| format!("'{text}' is not RFC 3339"))?
        .with_timezone(&Utc))
}

/// Checks that `next` carries `first`'s fields and is a fresh pending instance.
fn check_kept(first: &Value, next: &Value) -> Result<()> {
    for field in [
        "title",
        "description",
        "priority",
        "tags",
        "category",
        "timezone",
        "series_id",
    ] {
        ensure!(
            next[field] == first[field],
            "{field} changed: {} -> {}",
            first[field],
            next[field]
        );
    }
    ensure!(next["completed"] == false && next["completed_at"].is_null());
    ensure!(next["version"] == 1, "a new instance starts at version 1");
    ensure!(next["id"] != first["id"], "a new instance has its own id");
    Ok(())
}

#[tokio::test]
async fn a_daily_task_comes_back_the_next_day_at_the_same_local_time_across_dst() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("daily");
    // 09:00 in London on the day before the clocks go forward (GMT, UTC+0).
    let first = stack
        .create_task(
            &user,
            json!({"title": "Stand-up", "description": "daily", "priority": "high",
                   "tags": ["team"], "category": "work", "timezone": "Europe/London",
                   "due_date": "2027-03-27T09:00:00+00:00",
                   "recurrence": {"frequency": "daily"}}),
        )
        .await?;
    let next = complete_once(&stack, &user, &first).await?;
    check_kept(&first, &next)?;
    // 09:00 BST (UTC+1) the next day.
    ensure!(instant(&next["due_date"])? == instant(&json!("2027-03-28T08:00:00Z"))?);
    ensure!(next["occurrence"] == 2);
    Ok(())
}

#[tokio::test]
async fn a_weekly_task_keeps_its_fields_and_moves_its_reminders() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("weekly");
    let first = stack
        .create_task(
            &user,
            json!({"title": "Bins out", "description": "green and blue", "priority": "low",
                   "tags": ["home", "chores"], "category": "house", "due_date": "2027-01-05",
                   "recurrence": {"frequency": "weekly"},
                   "reminders": [{"before_due": "PT30M"}, {"remind_at": "2027-01-04T18:00:00Z"}]}),
        )
        .await?;
    let next = complete_once(&stack, &user, &first).await?;
    check_kept(&first, &next)?;
    ensure!(next["due_date"] == "2027-01-12", "{next}");
    let reminders = next["reminders"].as_array().context("reminders")?;
    ensure!(reminders.len() == 2, "{next}");
    // The relative reminder is kept as it is (it follows the due date); the
    // absolute one moves by the week the due date moved.
    let relative = reminders.iter().find(|r| r["before_due"].is_string());
    ensure!(
        relative.is_some_and(|r| r["before_due"] == "PT30M"),
        "{next}"
    );
    let absolute = reminders
        .iter()
        .find(|r| r["remind_at"].is_string())
        .context("the absolute reminder")?;
    ensure!(instant(&absolute["remind_at"])? == instant(&json!("2027-01-11T18:00:00Z"))?);
    Ok(())
}

/// Jan 31 -> the end of February -> Mar 31, in `year`.
async fn monthly_from_january_31(year: i32, february_end: u32) -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("monthly");
    let first = stack
        .create_task(
            &user,
            json!({"title": "Invoice", "tags": ["billing"], "priority": "urgent",
                   "due_date": format!("{year}-01-31"),
                   "recurrence": {"frequency": "monthly"}}),
        )
        .await?;
    let february = complete_once(&stack, &user, &first).await?;
    check_kept(&first, &february)?;
    ensure!(february["due_date"] == format!("{year}-02-{february_end}"));
    let march = complete_once(&stack, &user, &february).await?;
    check_kept(&first, &march)?;
    ensure!(march["due_date"] == format!("{year}-03-31"), "{march}");
    ensure!(march["occurrence"] == 3);
    Ok(())
}

#[tokio::test]
async fn monthly_from_january_31_in_a_leap_year_goes_to_february_29_then_march_31() -> Result<()> {
    monthly_from_january_31(2028, 29).await
}

#[tokio::test]
async fn monthly_from_january_31_in_a_common_year_goes_to_february_28_then_march_31() -> Result<()>
{
    monthly_from_january_31(2027, 28).await
}

#[tokio::test]
async fn a_yearly_task_comes_back_a_year_later() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("yearly");
    let first = stack
        .create_task(
            &user,
            json!({"title": "Renew passport", "due_date": "2027-06-15",
                   "recurrence": {"frequency": "yearly"}}),
        )
        .await?;
    let next = complete_once(&stack, &user, &first).await?;
    check_kept(&first, &next)?;
    ensure!(next["due_date"] == "2028-06-15", "{next}");
    Ok(())
}

#[tokio::test]
async fn an_after_completion_task_counts_from_the_completion_day() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("after");
    // Due long ago: after_completion ignores the schedule and counts three
    // days from the day it is completed, at the due date's time of day.
    let first = stack
        .create_task(
            &user,
            json!({"title": "Water the cactus", "due_date": "2026-01-10T18:30:00Z",
                   "recurrence": {"frequency": "daily", "interval": 3, "mode": "after_completion"}}),
        )
        .await?;
    let done = stack.complete(&user, id_of(&first)).await?;
    let completed_on = instant(&done["completed_at"])?.date_naive();
    let all = settled_series(&stack, &user, &first, 1, 2).await?;
    let next = &all[1];
    check_kept(&first, next)?;
    let expected = (completed_on + Days::days(3))
        .and_hms_opt(18, 30, 0)
        .context("a time")?
        .and_utc();
    ensure!(
        instant(&next["due_date"])? == expected,
        "expected {expected}: {next}"
    );
    Ok(())
}

#[tokio::test]
async fn the_same_completion_event_delivered_twice_creates_one_instance() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("redeliver");
    let first = stack
        .create_task(
            &user,
            json!({"title": "Vitamins", "due_date": "2027-05-01",
                   "recurrence": {"frequency": "daily"}}),
        )
        .await?;
    complete_once(&stack, &user, &first).await?;

    // The completion exactly as it is on Kafka (created, completed, and the
    // next instance's creation are this user's task events), published again
    // as the same CloudEvent through recurring's own sidecar.
    let records = stack
        .first_records(Topic::TaskEvents.name(), &user, 3, WAIT)
        .await?;
    let completion = records
        .iter()
        .find(|r| r["data"]["event_type"] == "task.completed")
        .context("the completion on task-events")?;
    let event_id = completion["data"]["event_id"]
        .as_str()
        .context("an event id")?;
    stack
        .publish_via("recurring", Topic::TaskEvents.name(), &user, completion)
        .await?;

    let handled = stack
        .logged(
            "recurring",
            "next instance ensured",
            ("event_id", event_id),
            2,
            WAIT,
        )
        .await?;
    ensure!(
        handled.iter().filter(|l| l["created"] == "true").count() == 1,
        "only the first delivery may create the instance: {handled:#?}"
    );
    let all = series(
        &stack,
        &user,
        first["series_id"].as_str().context("series")?,
    )
    .await?;
    ensure!(all.len() == 2, "expected two instances, got {all:#?}");
    Ok(())
}

#[tokio::test]
async fn completing_from_two_clients_at_once_creates_one_instance() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("race");
    let first = stack
        .create_task(
            &user,
            json!({"title": "Backup", "due_date": "2027-04-01",
                   "recurrence": {"frequency": "weekly"}}),
        )
        .await?;
    let id = id_of(&first);
    // Two clients, each with its own connection and token.
    let other = Stack::from_env()?;
    let (a, b) = tokio::join!(stack.complete(&user, id), other.complete(&user, id));
    ensure!(a?["completed"] == true && b?["completed"] == true);

    let all = settled_series(&stack, &user, &first, 1, 2).await?;
    ensure!(all[1]["due_date"] == "2027-04-08");

    // Reopened and completed again: the same next occurrence, still one instance.
    stack
        .as_user(&user)
        .send(
            reqwest::Method::PATCH,
            &format!("/tasks/{id}/complete"),
            Some(json!({"completed": false})),
        )
        .await?
        .expect(reqwest::StatusCode::OK)?;
    stack.complete(&user, id).await?;
    // A second completion made no other instance.
    settled_series(&stack, &user, &first, 2, 2).await?;
    Ok(())
}

#[tokio::test]
async fn completing_a_task_that_does_not_repeat_creates_nothing() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("once");
    let task = stack
        .create_task(
            &user,
            json!({"title": "Post the letter", "due_date": "2027-02-01"}),
        )
        .await?;
    stack.complete(&user, id_of(&task)).await?;
    let event_id = stack
        .completion_events(&user, id_of(&task), 1)
        .await?
        .remove(0);
    stack
        .logged_once("recurring", "no next instance", ("event_id", &event_id))
        .await?;
    let all = stack.all_tasks(&user).await?;
    ensure!(all.len() == 1, "a plain task got an instance: {all:#?}");
    Ok(())
}
