//! Bad input on the real stack: a 4xx problem+json whose message says what
//! to fix, never a 500, and nothing stored or published.

use std::time::Duration;

use anyhow::{Context, Result};
use e2e::Stack;
use e2e::api::{Reply, id_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use todo_domain::Topic;

/// A body over the 1 MiB limit (valid JSON, so only its size is wrong).
fn oversized_body() -> String {
    format!(
        r#"{{"title": "big", "description": "{}"}}"#,
        "x".repeat(1_100_000)
    )
}

/// Sends a raw body with a content type as `user`.
async fn raw(
    stack: &Stack,
    user: &str,
    method: Method,
    path: &str,
    content_type: &str,
    body: String,
) -> Result<Reply> {
    stack
        .request(method, user, path)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
}

/// JSON bodies that `POST /tasks` refuses with 422, with the words the
/// message must contain.
fn bad_task_bodies() -> Vec<(Value, Vec<&'static str>)> {
    vec![
        (json!({}), vec!["title", "required"]),
        (
            json!({"description": "no title"}),
            vec!["title", "required"],
        ),
        (json!({"title": "   "}), vec!["title"]),
        (json!({"title": "x".repeat(201)}), vec!["title", "200"]),
        (
            json!({"title": "x", "priority": "extreme"}),
            vec!["priority", "low, medium, high, urgent"],
        ),
        (
            json!({"title": "x", "due_date": "next tuesday"}),
            vec!["due_date", "RFC 3339"],
        ),
        (
            json!({"title": "x", "due_date": "2030-02-30"}),
            vec!["due_date"],
        ),
        (
            json!({"title": "x", "due_date": "2030-03-01T09:00:00"}),
            vec!["due_date", "offset"],
        ),
        // A local time is read in the body's zone; one the clocks repeat
        // or skip there is refused, naming the choices.
        (
            json!({"title": "x", "due_date": "2030-11-03T01:30:00", "timezone": "America/New_York"}),
            vec!["due_date", "happens twice", "-04:00", "-05:00"],
        ),
        (
            json!({"title": "x", "due_date": "2030-03-31T01:30", "timezone": "Europe/London",
                   "reminders": [{"remind_at": "2030-03-31T01:15"}]}),
            vec!["due_date", "does not exist", "reminders[0].remind_at"],
        ),
        (
            json!({"title": "x", "timezone": "Mars/Olympus_Mons"}),
            vec!["timezone", "IANA"],
        ),
        // Wrong types, every field named.
        (json!({"title": 42}), vec!["title", "string"]),
        (json!({"title": "x", "tags": "a,b"}), vec!["tags"]),
        (json!({"title": "x", "tags": [1]}), vec!["tags"]),
        (json!({"title": "x", "priority": 3}), vec!["priority"]),
        (json!({"title": "x", "completed": "yes"}), vec!["completed"]),
        (
            json!({"title": "x", "parent_task_id": "one"}),
            vec!["parent_task_id"],
        ),
        (
            json!({"title": "x", "reminders": {"before_due": "PT5M"}}),
            vec!["reminders"],
        ),
        (
            json!({"title": "x", "due_date": 20300301}),
            vec!["due_date"],
        ),
        (json!({"title": "x", "colour": "red"}), vec!["colour"]),
        (json!({"title": "x", "id": 7}), vec!["id"]),
        (
            json!({"title": "x", "description": "d".repeat(10_001)}),
            vec!["description", "10000"],
        ),
        (
            json!({"title": "x", "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
            vec!["tags", "20"],
        ),
        (
            json!({"title": "x", "tags": ["y".repeat(41)]}),
            vec!["tags", "40"],
        ),
        (
            json!({"title": "x", "reminders": [{"before_due": "PT15M"}]}),
            vec!["due"],
        ),
        (
            json!({"title": "x", "due_date": "2030-03-01", "reminders": [{"before_due": "15m"}]}),
            vec!["before_due"],
        ),
        (
            json!({"title": "x", "due_date": "2030-03-01", "recurrence": {"frequency": "fortnightly"}}),
            vec!["frequency"],
        ),
        (json!([{"title": "x"}]), vec!["object"]),
        (json!("title"), vec!["object"]),
    ]
}

#[tokio::test]
async fn bad_task_bodies_are_422_naming_the_field_and_store_nothing() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("bad-create");
    let client = stack.as_user(&user);
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    for (body, mentions) in bad_task_bodies() {
        let shown: String = body.to_string().chars().take(80).collect();
        client
            .post("/tasks", body.clone())
            .await
            .and_then(|reply| reply.expect_problem(status, &mentions))
            .with_context(|| format!("POST /tasks {shown}"))?;
        // PUT checks the whole body the same way (there is no task 1, but
        // the body is read first).
        let put = client.put("/tasks/1", body).await?;
        put.expect_problem(status, &mentions)
            .with_context(|| format!("PUT /tasks/1 {shown}"))?;
    }
    let page = stack.get_json(&user, "/tasks").await?;
    assert_eq!(page["total"], 0, "nothing was stored");
    Ok(())
}

#[tokio::test]
async fn unreadable_bodies_are_400_413_or_415_and_store_nothing() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("bad-body");
    let json_type = "application/json";
    let cases = [
        (
            json_type,
            r#"{"title": "x""#.to_owned(),
            StatusCode::BAD_REQUEST,
            vec!["JSON"],
        ),
        (
            json_type,
            "title=x".to_owned(),
            StatusCode::BAD_REQUEST,
            vec!["JSON"],
        ),
        (
            "text/plain",
            r#"{"title": "x"}"#.to_owned(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            vec!["application/json"],
        ),
        (
            "application/x-www-form-urlencoded",
            "title=x".to_owned(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            vec!["application/json"],
        ),
        (
            json_type,
            oversized_body(),
            StatusCode::PAYLOAD_TOO_LARGE,
            vec!["limit", "bytes"],
        ),
    ];
    for (content_type, body, status, mentions) in cases {
        for (method, path) in [
            (Method::POST, "/tasks"),
            (Method::POST, "/tasks/recurring"),
            (Method::PUT, "/tasks/1"),
            (Method::PATCH, "/tasks/1"),
        ] {
            raw(
                &stack,
                &user,
                method.clone(),
                path,
                content_type,
                body.clone(),
            )
            .await?
            .expect_problem(status, &mentions)
            .with_context(|| format!("{method} {path} as {content_type}"))?;
        }
    }
    let page = stack.get_json(&user, "/tasks").await?;
    assert_eq!(page["total"], 0, "nothing was stored");
    Ok(())
}

#[tokio::test]
async fn bad_changes_to_a_task_leave_it_as_it_was_and_publish_nothing() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("bad-change");
    let client = stack.as_user(&user);
    let task = stack
        .create_task(&user, json!({"title": "Keep me", "due_date": "2030-01-01"}))
        .await?;
    let id = id_of(&task);
    let path = format!("/tasks/{id}");
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let cases: Vec<(Method, String, Value, Vec<&str>)> = vec![
        (
            Method::PATCH,
            path.clone(),
            json!({"title": ""}),
            vec!["title"],
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"title": null}),
            vec!["title"],
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"title": "x".repeat(201)}),
            vec!["title", "200"],
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"priority": "soon"}),
            vec!["priority"],
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"due_date": "31/12/2030"}),
            vec!["due_date"],
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"timezone": "Europe/Atlantis"}),
            vec!["timezone"],
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"tags": [true]}),
            vec!["tags"],
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"owner": "someone"}),
            vec!["owner"],
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({"parent_task_id": id}),
            vec!["parent_task_id"],
        ),
        (
            Method::PUT,
            path.clone(),
            json!({"priority": "high"}),
            vec!["title", "required"],
        ),
        (
            Method::PATCH,
            format!("{path}/complete"),
            json!({"completed": 1}),
            vec!["completed"],
        ),
        (
            Method::PATCH,
            format!("{path}/complete"),
            json!({"done": true}),
            vec!["done"],
        ),
        (
            Method::PATCH,
            format!("{path}/due-date"),
            json!({"due_date": "soon"}),
            vec!["due_date"],
        ),
        (
            Method::PATCH,
            format!("{path}/due-date"),
            json!({"due_date": "2030-01-02", "timezone": "Nowhere"}),
            vec!["timezone"],
        ),
        (
            Method::POST,
            "/tasks/reminder".into(),
            json!({"task_id": id, "before_due": "-PT5M"}),
            vec!["before_due"],
        ),
        (
            Method::POST,
            "/tasks/reminder".into(),
            json!({"task_id": id, "remind_at": "tomorrow"}),
            vec!["remind_at"],
        ),
        (
            Method::POST,
            "/tasks/reminder".into(),
            json!({"task_id": "1", "before_due": "PT5M"}),
            vec!["task_id"],
        ),
    ];
    for (method, target, body, mentions) in cases {
        client
            .send(method.clone(), &target, Some(body.clone()))
            .await
            .and_then(|reply| reply.expect_problem(unprocessable, &mentions))
            .with_context(|| format!("{method} {target} {body}"))?;
    }
    for (content_type, body, status, mention) in [
        (
            "application/json",
            oversized_body(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "limit",
        ),
        (
            "text/csv",
            "title\nx".into(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
        ),
        (
            "application/json",
            "{title: x}".into(),
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
    ] {
        raw(&stack, &user, Method::PATCH, &path, content_type, body)
            .await?
            .expect_problem(status, &[mention])
            .with_context(|| format!("PATCH {path} as {content_type}"))?;
    }
    for query in [
        "from=2030-01-01",
        "from=2030-02-01&to=2030-01-01",
        "from=2030-01-01&to=2031-06-01",
        "from=jan&to=feb",
    ] {
        client
            .get(&format!("/tasks/calendar?{query}"))
            .await
            .and_then(|reply| reply.expect_problem(unprocessable, &[]))
            .with_context(|| format!("calendar ?{query}"))?;
    }

    let after = stack.get_json(&user, &path).await?;
    assert_eq!(after, stack.get_json(&user, &path).await?);
    assert_eq!(after["version"], 1, "no refused change landed");
    assert_eq!(after["title"], "Keep me");
    assert_eq!(after["due_date"], "2030-01-01");
    assert_eq!(stack.all_tasks(&user).await?.len(), 1);

    // No event either: the user's sequence still stands at the create.
    let events = stack
        .published(Topic::TaskEvents.name(), &user, 1, Duration::from_secs(40))
        .await?;
    let types: Vec<&Value> = events.iter().map(|e| &e["event_type"]).collect();
    assert_eq!(
        types,
        [&json!("task.created")],
        "only the create was published"
    );
    Ok(())
}

#[tokio::test]
async fn a_path_with_an_invalid_user_id_is_400_even_with_a_matching_token() -> Result<()> {
    let stack = Stack::from_env()?;
    for user in ["has space", "ümlaut", &"x".repeat(65)] {
        for (method, path, body) in [
            (Method::GET, "/tasks", None),
            (Method::POST, "/tasks", Some(json!({"title": "x"}))),
            (Method::GET, "/tasks/1", None),
        ] {
            stack
                .as_user(user)
                .send(method.clone(), path, body)
                .await
                .and_then(|reply| reply.expect_problem(StatusCode::BAD_REQUEST, &["user id"]))
                .with_context(|| format!("{method} /api/{user}{path}"))?;
        }
    }
    Ok(())
}
