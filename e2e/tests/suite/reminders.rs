//! Exact-time reminders on the real stack: notifier schedules a Dapr job
//! per reminder (the real scheduler), the job fires back through its
//! sidecar, `reminder.due` crosses Kafka, and the notification is stored,
//! listed and pushed to the user's WebSocket.
//!
//! Each test prints the lateness it saw (delivered_at - remind_at); the
//! lateness figures of record come from `bench/benches/events.rs` (see docs/benchmarks.md).

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use chrono::{DateTime, SecondsFormat, Utc};
use e2e::api::id_of;
use e2e::{Stack, next_json};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

/// A reminder time `ms` milliseconds from now, as RFC 3339.
fn in_ms(ms: i64) -> (DateTime<Utc>, String) {
    let at = Utc::now() + chrono::Duration::milliseconds(ms);
    (at, at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn instant(value: &Value) -> Result<DateTime<Utc>> {
    let text = value.as_str().context("a time")?;
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

/// The notifications of `task` in `user`'s list, newest first.
async fn notifications_of(stack: &Stack, user: &str, task: u64) -> Result<Vec<Value>> {
    Ok(stack
        .notifications(user)
        .await?
        .into_iter()
        .filter(|n| n["task_id"] == task)
        .collect())
}

/// The `count` notifications of `task`, one per reminder, read back by the
/// one rule of `e2e::once` (after the republish window, each reminder once).
async fn delivered(stack: &Stack, user: &str, task: u64, count: usize) -> Result<Vec<Value>> {
    stack
        .settled("the notifications", count, "/reminder_id", WAIT, || {
            notifications_of(stack, user, task)
        })
        .await
}

/// Creates a task of `user` with one reminder at `at`; returns its id.
async fn task_reminding(stack: &Stack, user: &str, title: &str, at: &str) -> Result<u64> {
    let task = stack
        .create_task(
            user,
            json!({"title": title, "reminders": [{"remind_at": at}]}),
        )
        .await?;
    Ok(id_of(&task))
}

/// Checks one notification was not early and returns its lateness.
fn lateness(notification: &Value) -> Result<chrono::Duration> {
    let remind_at = instant(&notification["remind_at"])?;
    let delivered_at = instant(&notification["delivered_at"])?;
    ensure!(
        delivered_at >= remind_at,
        "delivered before its time: {notification}"
    );
    Ok(delivered_at - remind_at)
}

#[tokio::test]
async fn a_reminder_three_seconds_ahead_fires_once_not_early_and_reaches_list_and_socket()
-> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("remind");
    let client = stack.as_user(&user);
    let mut socket = stack.connect(&user, "").await?;
    let (first_at, first) = in_ms(3_000);
    let (second_at, second) = in_ms(4_000);
    let task = stack
        .create_task(
            &user,
            json!({"title": "Take the cake out",
                   "reminders": [{"remind_at": first}, {"remind_at": second}]}),
        )
        .await?;
    let id = id_of(&task);

    // The user's socket gets each notification as it is delivered.
    let mut pushed = Vec::new();
    while pushed.len() < 2 {
        let frame = next_json(&mut socket, WAIT).await?;
        if frame["type"] == "notification" {
            ensure!(frame["notification"]["task_id"] == id, "{frame}");
            ensure!(frame["notification"]["title"] == "Take the cake out");
            pushed.push(instant(&frame["notification"]["remind_at"])?);
        }
    }
    pushed.sort();
    ensure!(pushed == vec![first_at.trunc_subsecs_ms(), second_at.trunc_subsecs_ms()]);

    let list = delivered(&stack, &user, id, 2).await?;
    // Newest first.
    ensure!(instant(&list[0]["remind_at"])? == second_at.trunc_subsecs_ms());
    ensure!(instant(&list[1]["remind_at"])? == first_at.trunc_subsecs_ms());
    for n in &list {
        println!("reminder lateness: {} ms", lateness(n)?.num_milliseconds());
        ensure!(n["read"] == false);
    }

    // Marking one read shows in the list and drops it from the unread view.
    let read_id = list[1]["id"].as_str().context("an id")?;
    client
        .send(
            Method::POST,
            &format!("/notifications/{read_id}/read"),
            None,
        )
        .await?
        .expect(StatusCode::NO_CONTENT)?;
    let after = notifications_of(&stack, &user, id).await?;
    ensure!(
        after
            .iter()
            .any(|n| n["id"] == read_id && n["read"] == true)
    );
    let unread = stack.get_json(&user, "/notifications?unread=true").await?;
    ensure!(
        unread["items"]
            .as_array()
            .is_some_and(|items| items.len() == 1 && items[0]["id"] != read_id),
        "{unread}"
    );
    // Pages: one at a time, newest first, then the cursor to the next.
    let first_page = stack.get_json(&user, "/notifications?limit=1").await?;
    ensure!(first_page["total"] == 2 && first_page["items"][0]["id"] == list[0]["id"]);
    let cursor = first_page["next_cursor"]
        .as_str()
        .context("a next cursor")?;
    let second_page = stack
        .get_json(&user, &format!("/notifications?limit=1&cursor={cursor}"))
        .await?;
    ensure!(second_page["items"][0]["id"] == read_id, "{second_page}");
    ensure!(second_page["next_cursor"].is_null(), "{second_page}");
    client
        .send(Method::POST, "/notifications/t999-r1-o1-0/read", None)
        .await?
        .expect_problem(StatusCode::NOT_FOUND, &["t999-r1-o1-0"])?;
    client
        .get("/notifications?colour=red")
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["colour"])?;
    // Another user cannot read this user's notifications.
    let mallory = stack.new_user("mallory");
    let foreign = stack
        .checked(
            Method::GET,
            &format!("{}/api/{user}/notifications", stack.api),
        )
        .bearer_auth(stack.token(&mallory))
        .send()
        .await?;
    ensure!(foreign.status == StatusCode::FORBIDDEN);
    Ok(())
}

/// Trims to whole milliseconds (the precision the test wrote the time with).
trait Millis {
    fn trunc_subsecs_ms(self) -> Self;
}

impl Millis for DateTime<Utc> {
    fn trunc_subsecs_ms(self) -> Self {
        chrono::SubsecRound::trunc_subsecs(self, 3)
    }
}

#[tokio::test]
async fn a_reminder_moved_before_it_fires_fires_only_at_the_new_time() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("moved");
    let (old_at, old) = in_ms(5_000);
    let id = task_reminding(&stack, &user, "Call the bank", &old).await?;
    let (new_at, new) = in_ms(10_000);
    stack
        .as_user(&user)
        .patch(
            &format!("/tasks/{id}"),
            json!({"reminders": [{"remind_at": new}]}),
        )
        .await?
        .expect(StatusCode::OK)?;

    // Well past the old time: nothing.
    let quiet_until = old_at + chrono::Duration::seconds(3);
    tokio::time::sleep((quiet_until - Utc::now()).to_std().unwrap_or_default()).await;
    let early = notifications_of(&stack, &user, id).await?;
    ensure!(early.is_empty(), "the old time fired: {early:#?}");

    let list = delivered(&stack, &user, id, 1).await?;
    ensure!(instant(&list[0]["remind_at"])? == new_at.trunc_subsecs_ms());
    println!(
        "moved reminder lateness: {} ms",
        lateness(&list[0])?.num_milliseconds()
    );
    Ok(())
}

#[tokio::test]
async fn completing_the_task_cancels_its_reminder() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("cancel");
    let (at, text) = in_ms(5_000);
    let id = task_reminding(&stack, &user, "Renew the lease", &text).await?;
    stack.complete(&user, id).await?;
    stack
        .logged_once("notifier", "reminder cancelled", ("user_id", &user))
        .await?;
    let after = at + chrono::Duration::seconds(4);
    tokio::time::sleep((after - Utc::now()).to_std().unwrap_or_default()).await;
    let list = notifications_of(&stack, &user, id).await?;
    ensure!(list.is_empty(), "a completed task reminded: {list:#?}");
    let fired = stack.audit(&user, "type=reminder.due").await?;
    ensure!(fired.is_empty(), "a reminder.due was published: {fired:#?}");
    Ok(())
}

#[tokio::test]
async fn a_relative_reminder_of_an_all_day_task_counts_from_nine_in_its_zone() -> Result<()> {
    // The firing itself is the unit test in notifier's schedule; here the
    // job notifier scheduled on the real stack shows the same time.
    let stack = Stack::from_env()?;
    let user = stack.new_user("allday");
    stack
        .create_task(
            &user,
            json!({"title": "Dentist", "due_date": "2027-03-01", "timezone": "America/New_York",
                   "reminders": [{"before_due": "PT15M"}]}),
        )
        .await?;
    let lines = stack
        .logged_once("notifier", "reminder scheduled", ("user_id", &user))
        .await?;
    // 08:45 in New York (EST, UTC-5) is 13:45 UTC.
    ensure!(
        lines[0]["remind_at"] == "2027-03-01 13:45:00 UTC",
        "{:#?}",
        lines
    );
    Ok(())
}

#[tokio::test]
async fn disruptive_a_reminder_survives_a_notifier_restart_and_fires_exactly_once() -> Result<()> {
    let stack = Stack::from_env()?;
    // The reminder should fall due while notifier is down (a restart takes
    // longer than the lead). A stack slow to schedule gets a longer lead.
    for lead_ms in [2_500, 5_000, 10_000] {
        let user = stack.new_user("restart");
        let (due, at) = in_ms(lead_ms);
        let id = task_reminding(&stack, &user, "Feed the cat", &at).await?;
        stack
            .logged_once("notifier", "reminder scheduled", ("user_id", &user))
            .await?;
        let down = Utc::now();
        if down + chrono::Duration::milliseconds(300) >= due {
            continue; // scheduled too late to restart before it is due
        }
        // notifier and its daprd stop and start again; scripts/stack waits
        // until both are healthy.
        let control = stack.clone();
        tokio::task::spawn_blocking(move || control.control(&["restart", "notifier"])).await??;
        println!(
            "notifier restarted from {down} to {}; the reminder was due at {due}",
            Utc::now()
        );
        let list = delivered(&stack, &user, id, 1).await?;
        println!(
            "lateness across the restart: {} ms",
            lateness(&list[0])?.num_milliseconds()
        );
        return Ok(());
    }
    anyhow::bail!("notifier never scheduled a reminder early enough to restart before it")
}

/// Kafka may deliver a `reminder.due` twice (after a consumer crash): the
/// second delivery is recognised and the person is told once.
#[tokio::test]
async fn the_same_reminder_due_delivered_twice_is_told_once() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("twice");
    let task = stack
        .create_task(&user, json!({"title": "Told once"}))
        .await?;
    let due = json!({
        "event_id": format!("twice-{}", uuid::Uuid::new_v4()), "event_type": "reminder.due",
        "schema_version": 1, "user_id": user, "task_id": task["id"], "task_version": 1,
        "reminder_id": 1, "remind_at": "2027-01-01T09:00:00Z", "occurrence": 1,
        "title": "Told once", "due_date": null, "occurred_at": "2027-01-01T09:00:00Z"
    });
    for _ in 0..2 {
        stack
            .publish_via("notifier", "reminders", &user, &due)
            .await?;
    }
    stack
        .logged_once("notifier", "duplicate reminder ignored", ("user_id", &user))
        .await?;
    let notifications = stack.notifications(&user).await?;
    assert_eq!(notifications.len(), 1, "{notifications:#?}");
    Ok(())
}
