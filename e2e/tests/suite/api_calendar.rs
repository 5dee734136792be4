//! The calendar on the real stack: tasks due in a range, grouped by the
//! local day in each task's own zone, with projected future occurrences of
//! recurring tasks.

use anyhow::{Context, Result};
use e2e::Stack;
use e2e::api::id_of;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `(date, task_id, projected)` of every item, in order.
fn entries(calendar: &Value) -> Vec<(String, u64, bool)> {
    let mut out = Vec::new();
    for day in calendar["days"].as_array().into_iter().flatten() {
        let date = day["date"].as_str().unwrap_or("?").to_owned();
        for item in day["items"].as_array().into_iter().flatten() {
            out.push((
                date.clone(),
                item["task_id"].as_u64().unwrap_or(0),
                item["projected"].as_bool().unwrap_or(false),
            ));
        }
    }
    out
}

/// The calendar's entry for `date`.
fn day_of(calendar: &Value, date: &str) -> Result<Value> {
    calendar["days"]
        .as_array()
        .and_then(|days| days.iter().find(|d| d["date"] == date))
        .cloned()
        .with_context(|| format!("no {date} in {calendar}"))
}

/// A due moment as a UTC instant (`...Z`), whatever offset it was written with.
fn instant(due: &Value) -> Result<String> {
    let text = due.as_str().context("a due date is text")?;
    let moment = chrono::DateTime::parse_from_rfc3339(text)
        .with_context(|| format!("'{text}' is not an RFC 3339 moment"))?;
    Ok(moment
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[tokio::test]
async fn tasks_are_grouped_by_their_local_day_with_projected_occurrences() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("calendar");
    let client = stack.as_user(&user);
    // 23:30 on 2 March in New York is already 3 March in UTC: it belongs to the 2nd.
    let late = id_of(
        &stack
            .create_task(
                &user,
                json!({"title": "Late call", "due_date": "2030-03-02T23:30:00-05:00",
                       "timezone": "America/New_York"}),
            )
            .await?,
    );
    let all_day = id_of(
        &stack
            .create_task(&user, json!({"title": "Holiday", "due_date": "2030-03-02"}))
            .await?,
    );
    let weekly = id_of(
        &client
            .post(
                "/tasks/recurring",
                json!({"title": "Piano", "due_date": "2030-03-01T17:00:00+00:00",
                            "timezone": "Europe/London", "recurrence": {"frequency": "weekly"}}),
            )
            .await?
            .expect(StatusCode::CREATED)?,
    );
    let done = id_of(
        &stack
            .create_task(
                &user,
                json!({"title": "Paid", "due_date": "2030-03-03T08:00:00Z", "completed": true}),
            )
            .await?,
    );
    let outside = id_of(
        &stack
            .create_task(&user, json!({"title": "Later", "due_date": "2030-04-20"}))
            .await?,
    );
    stack
        .create_task(&user, json!({"title": "Undated"}))
        .await?;

    let calendar = stack
        .get_json(&user, "/tasks/calendar?from=2030-03-01&to=2030-03-15")
        .await?;
    assert_eq!(calendar["from"], "2030-03-01");
    assert_eq!(calendar["to"], "2030-03-15");
    assert_eq!(calendar["truncated"], false);
    assert_eq!(
        entries(&calendar),
        [
            ("2030-03-01".to_owned(), weekly, false),
            // All-day items come first on their day.
            ("2030-03-02".to_owned(), all_day, false),
            ("2030-03-02".to_owned(), late, false),
            ("2030-03-03".to_owned(), done, false),
            ("2030-03-08".to_owned(), weekly, true),
            ("2030-03-15".to_owned(), weekly, true),
        ],
        "{calendar}"
    );
    assert!(
        !entries(&calendar).iter().any(|(_, id, _)| *id == outside),
        "tasks due outside the range are left out"
    );
    let projection = &day_of(&calendar, "2030-03-08")?["items"][0];
    assert_eq!(projection["title"], "Piano");
    assert_eq!(instant(&projection["due_date"])?, "2030-03-08T17:00:00Z");
    assert_eq!(projection["completed"], false);
    assert_eq!(
        day_of(&calendar, "2030-03-03")?["items"][0]["completed"],
        true
    );

    // Projections keep the local time across the DST change (London, 30 March 2030).
    let spring = stack
        .get_json(&user, "/tasks/calendar?from=2030-03-29&to=2030-04-05")
        .await?;
    let items: Vec<&Value> = spring["days"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|d| d["items"].as_array().into_iter().flatten())
        .collect();
    let dues = items
        .iter()
        .map(|i| instant(&i["due_date"]))
        .collect::<Result<Vec<_>>>()?;
    assert_eq!(
        dues,
        ["2030-03-29T17:00:00Z", "2030-04-05T16:00:00Z"],
        "17:00 London time on both sides: {spring}"
    );

    // A completed task projects nothing: what follows it is the next
    // instance the recurring service creates, which projects on its own.
    client
        .patch(
            &format!("/tasks/{weekly}/complete"),
            json!({"completed": true}),
        )
        .await?
        .expect(StatusCode::OK)?;
    let after = stack
        .get_json(&user, "/tasks/calendar?from=2030-03-01&to=2030-03-15")
        .await?;
    let from_completed: Vec<_> = entries(&after)
        .into_iter()
        .filter(|(_, id, projected)| *id == weekly && *projected)
        .collect();
    assert!(
        from_completed.is_empty(),
        "a completed task projects nothing: {after}"
    );
    assert_eq!(day_of(&after, "2030-03-01")?["items"][0]["completed"], true);
    Ok(())
}

#[tokio::test]
async fn a_range_without_tasks_is_an_empty_calendar() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("calendar-empty");
    let calendar = stack
        .get_json(&user, "/tasks/calendar?from=2031-01-01&to=2031-12-31")
        .await?;
    assert_eq!(calendar["days"], json!([]));
    Ok(())
}
