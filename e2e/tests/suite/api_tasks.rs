//! One task's life through the public API on the real stack: create, read,
//! replace, patch, complete, the recurring/reminder/due-date endpoints,
//! delete, optimistic concurrency (`If-Match`), subtasks and `overdue`.

use anyhow::Result;
use e2e::Stack;
use e2e::api::id_of;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn creating_a_task_answers_201_with_every_field_its_defaults_and_an_etag() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("create");
    let reply = stack
        .as_user(&user)
        .post(
            "/tasks",
            json!({
                "title": "  Pay rent  ",
                "description": "before the 1st",
                "tags": ["Home", "bills", "home"],
                "category": "Money",
                "due_date": "2030-12-01",
                "timezone": "Europe/London",
            }),
        )
        .await?;
    assert_eq!(reply.header("etag"), Some("\"1\""));
    let task = reply.expect(StatusCode::CREATED)?;
    assert_eq!(task["id"], 1, "the user's first task has id 1");
    assert_eq!(task["user_id"], user.as_str());
    assert_eq!(task["title"], "Pay rent", "titles are trimmed");
    assert_eq!(task["description"], "before the 1st");
    assert_eq!(task["priority"], "medium", "the default priority");
    assert_eq!(
        task["tags"],
        json!(["home", "bills"]),
        "tags are lowercased and unique"
    );
    assert_eq!(task["category"], "Money");
    assert_eq!(task["due_date"], "2030-12-01");
    assert_eq!(task["timezone"], "Europe/London");
    assert_eq!(task["completed"], false);
    assert_eq!(task["completed_at"], Value::Null);
    assert_eq!(task["parent_task_id"], Value::Null);
    assert_eq!(task["recurrence"], Value::Null);
    assert_eq!(task["series_id"], Value::Null);
    assert_eq!(task["reminders"], json!([]));
    assert_eq!(task["version"], 1);
    assert_eq!(task["overdue"], false);
    assert_eq!(task["created_at"], task["updated_at"]);

    let plain = stack.create_task(&user, json!({"title": "Second"})).await?;
    assert_eq!(plain["id"], 2, "ids increase per user");
    assert_eq!(plain["timezone"], "UTC", "the default zone");
    assert_eq!(plain["due_date"], Value::Null);

    let other = stack.new_user("create-other");
    let theirs = stack.create_task(&other, json!({"title": "Mine"})).await?;
    assert_eq!(theirs["id"], 1, "ids are per user");
    Ok(())
}

#[tokio::test]
async fn a_task_is_read_replaced_patched_and_deleted_and_every_change_bumps_its_version()
-> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("crud");
    let client = stack.as_user(&user);
    let created = stack
        .create_task(
            &user,
            json!({"title": "Draft", "priority": "high", "tags": ["a"], "category": "Work"}),
        )
        .await?;
    let id = id_of(&created);
    let path = format!("/tasks/{id}");

    let read = client.get(&path).await?;
    assert_eq!(read.header("etag"), Some("\"1\""));
    let read = read.expect(StatusCode::OK)?;
    assert_eq!(read, created, "GET shows what POST returned");

    // PUT replaces every writable field: what the body leaves out resets.
    let replaced = client
        .put(&path, json!({"title": "Final", "description": "all of it"}))
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(replaced["title"], "Final");
    assert_eq!(replaced["description"], "all of it");
    assert_eq!(replaced["priority"], "medium");
    assert_eq!(replaced["tags"], json!([]));
    assert_eq!(replaced["category"], Value::Null);
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["created_at"], created["created_at"]);
    assert_ne!(replaced["updated_at"], created["updated_at"]);

    // PATCH changes only what it names; null clears an optional field.
    let patched = client
        .patch(&path, json!({"priority": "urgent", "description": null}))
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(patched["title"], "Final");
    assert_eq!(patched["priority"], "urgent");
    assert_eq!(patched["description"], Value::Null);
    assert_eq!(patched["version"], 3);

    // A PATCH that changes nothing is not a change.
    let same = client
        .patch(&path, json!({"priority": "urgent"}))
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(same["version"], 3);
    assert_eq!(same["updated_at"], patched["updated_at"]);

    let deleted = client.delete(&path).await?;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    client
        .get(&path)
        .await?
        .expect_problem(StatusCode::NOT_FOUND, &[&format!("task {id}")])?;
    client
        .delete(&path)
        .await?
        .expect_problem(StatusCode::NOT_FOUND, &["does not exist"])?;
    assert!(stack.all_tasks(&user).await?.is_empty());

    // A deleted id is never reused.
    let next = stack.create_task(&user, json!({"title": "Next"})).await?;
    assert_eq!(next["id"], id + 1);
    Ok(())
}

#[tokio::test]
async fn unknown_task_ids_are_404_with_a_problem() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("missing");
    let client = stack.as_user(&user);
    for (method, path, body) in [
        (Method::GET, "/tasks/41", None),
        (Method::PUT, "/tasks/41", Some(json!({"title": "x"}))),
        (Method::PATCH, "/tasks/41", Some(json!({"title": "x"}))),
        (Method::DELETE, "/tasks/41", None),
        (Method::PATCH, "/tasks/41/complete", None),
        (
            Method::PATCH,
            "/tasks/41/due-date",
            Some(json!({"due_date": "2030-01-01"})),
        ),
        (
            Method::POST,
            "/tasks/reminder",
            Some(json!({"task_id": 41, "before_due": "PT5M"})),
        ),
    ] {
        client
            .send(method.clone(), path, body)
            .await
            .and_then(|reply| reply.expect_problem(StatusCode::NOT_FOUND, &["41"]))
            .map_err(|e| e.context(format!("{method} {path}")))?;
    }
    client
        .get("/tasks/first")
        .await?
        .expect_problem(StatusCode::NOT_FOUND, &["positive integer"])?;
    Ok(())
}

#[tokio::test]
async fn complete_toggles_without_a_body_and_sets_with_one() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("complete");
    let client = stack.as_user(&user);
    let id = id_of(&stack.create_task(&user, json!({"title": "Done?"})).await?);
    let path = format!("/tasks/{id}/complete");

    let done = client
        .send(Method::PATCH, &path, None)
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(done["completed"], true);
    assert!(
        done["completed_at"].is_string(),
        "completing stamps the time"
    );
    assert_eq!(done["version"], 2);

    let reopened = client
        .patch(&path, json!({}))
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(reopened["completed"], false, "an empty object toggles");
    assert_eq!(reopened["completed_at"], Value::Null);
    assert_eq!(reopened["version"], 3);

    let set = client
        .patch(&path, json!({"completed": true}))
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(set["completed"], true);
    assert_eq!(set["version"], 4);
    let again = client
        .patch(&path, json!({"completed": true}))
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(again["completed"], true, "setting what it is stays");
    assert_eq!(again["version"], 4, "and is not a change");
    assert_eq!(again["completed_at"], set["completed_at"]);

    let cleared = client
        .patch(&path, json!({"completed": false}))
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(cleared["completed"], false);
    assert_eq!(cleared["version"], 5);

    client
        .patch(&path, json!({"completed": "yes"}))
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["completed"])?;
    Ok(())
}

/// Sends `method path` with `If-Match: if_match`.
async fn with_if_match(
    stack: &Stack,
    user: &str,
    method: Method,
    path: &str,
    if_match: &str,
    body: Option<Value>,
) -> Result<e2e::api::Reply> {
    let mut request = stack
        .request(method, user, path)
        .header("If-Match", if_match);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await
}

#[tokio::test]
async fn a_write_with_a_stale_if_match_is_412_and_changes_nothing() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("ifmatch");
    let id = id_of(&stack.create_task(&user, json!({"title": "v1"})).await?);
    let path = format!("/tasks/{id}");

    // The current version (quoted as in the ETag, or bare) is accepted.
    let v2 = with_if_match(
        &stack,
        &user,
        Method::PATCH,
        &path,
        "\"1\"",
        Some(json!({"title": "v2"})),
    )
    .await?
    .expect(StatusCode::OK)?;
    assert_eq!(v2["version"], 2);
    let v3 = with_if_match(
        &stack,
        &user,
        Method::PUT,
        &path,
        "2",
        Some(json!({"title": "v3"})),
    )
    .await?
    .expect(StatusCode::OK)?;
    assert_eq!(v3["version"], 3);

    // Every write with version 1 now fails, whatever it is.
    for (method, suffix, body) in [
        (Method::PATCH, "", Some(json!({"title": "lost"}))),
        (Method::PUT, "", Some(json!({"title": "lost"}))),
        (Method::PATCH, "/complete", None),
        (
            Method::PATCH,
            "/due-date",
            Some(json!({"due_date": "2030-01-01"})),
        ),
        (Method::DELETE, "", None),
    ] {
        let target = format!("{path}{suffix}");
        with_if_match(&stack, &user, method.clone(), &target, "\"1\"", body)
            .await?
            .expect_problem(StatusCode::PRECONDITION_FAILED, &["version 3", "reload"])
            .map_err(|e| e.context(format!("{method} {target}")))?;
    }
    // A stale `version` in a PUT or PATCH body is a conflict.
    for method in [Method::PUT, Method::PATCH] {
        stack
            .as_user(&user)
            .send(method, &path, Some(json!({"title": "lost", "version": 2})))
            .await?
            .expect_problem(StatusCode::CONFLICT, &["version 3"])?;
    }
    with_if_match(
        &stack,
        &user,
        Method::PATCH,
        &path,
        "3",
        Some(json!({"title": "lost", "version": 2})),
    )
    .await?
    .expect_problem(StatusCode::PRECONDITION_FAILED, &["If-Match", "version 2"])?;
    with_if_match(
        &stack,
        &user,
        Method::PATCH,
        &path,
        "three",
        Some(json!({"title": "lost"})),
    )
    .await?
    .expect_problem(StatusCode::BAD_REQUEST, &["If-Match"])?;

    let task = stack.get_json(&user, &path).await?;
    assert_eq!(task["title"], "v3", "no stale write landed");
    assert_eq!(task["version"], 3);
    assert_eq!(task["completed"], false);
    assert_eq!(task["due_date"], Value::Null);

    let gone = with_if_match(&stack, &user, Method::DELETE, &path, "3", None).await?;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    Ok(())
}

#[tokio::test]
async fn subtasks_need_an_existing_parent_of_the_same_user_and_never_form_a_cycle() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("subtasks");
    let client = stack.as_user(&user);
    let parent = id_of(
        &stack
            .create_task(&user, json!({"title": "Move house"}))
            .await?,
    );
    let child = stack
        .create_task(
            &user,
            json!({"title": "Pack books", "parent_task_id": parent}),
        )
        .await?;
    assert_eq!(child["parent_task_id"], parent);
    let child = id_of(&child);
    let grandchild = id_of(
        &stack
            .create_task(
                &user,
                json!({"title": "Buy boxes", "parent_task_id": child}),
            )
            .await?,
    );

    client
        .post("/tasks", json!({"title": "Orphan", "parent_task_id": 999}))
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["parent_task_id", "999"])?;
    // Another user's task ids mean nothing here.
    let other = stack.new_user("subtasks-other");
    stack
        .as_user(&other)
        .post(
            "/tasks",
            json!({"title": "Borrowed", "parent_task_id": parent}),
        )
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["parent_task_id"])?;

    // Cycles: itself, its child, its grandchild.
    for new_parent in [parent, child, grandchild] {
        client
            .patch(
                &format!("/tasks/{parent}"),
                json!({"parent_task_id": new_parent}),
            )
            .await
            .and_then(|reply| {
                reply.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["parent_task_id"])
            })
            .map_err(|e| e.context(format!("parent {new_parent}")))?;
    }
    client
        .put(
            &format!("/tasks/{child}"),
            json!({"title": "Pack books", "parent_task_id": grandchild}),
        )
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["parent_task_id"])?;

    // Moving a subtask under another task and detaching it work.
    let moved = client
        .patch(
            &format!("/tasks/{grandchild}"),
            json!({"parent_task_id": parent}),
        )
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(moved["parent_task_id"], parent);
    let detached = client
        .patch(
            &format!("/tasks/{grandchild}"),
            json!({"parent_task_id": null}),
        )
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(detached["parent_task_id"], Value::Null);

    let tasks = stack.all_tasks(&user).await?;
    assert_eq!(tasks.len(), 3, "no refused task was stored");
    assert_eq!(tasks[0]["parent_task_id"], Value::Null);
    assert_eq!(tasks[0]["version"], 1, "refused changes changed nothing");
    assert!(stack.all_tasks(&other).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn recurring_tasks_need_a_rule_and_get_a_series() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("recurring");
    let client = stack.as_user(&user);
    let task = client
        .post(
            "/tasks/recurring",
            json!({
                "title": "Stand-up",
                "due_date": "2030-03-04T09:30:00+01:00",
                "timezone": "Europe/Paris",
                "recurrence": {"frequency": "weekly", "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"},
            }),
        )
        .await?
        .expect(StatusCode::CREATED)?;
    assert_eq!(task["recurrence"]["frequency"], "weekly");
    assert_eq!(task["recurrence"]["interval"], 2);
    assert!(
        task["series_id"].as_str().is_some_and(|s| !s.is_empty()),
        "a recurring task starts a series: {task}"
    );

    client
        .post(
            "/tasks/recurring",
            json!({"title": "No rule", "due_date": "2030-03-04"}),
        )
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["recurrence"])?;
    client
        .post(
            "/tasks/recurring",
            json!({"title": "No due date", "recurrence": {"frequency": "daily"}}),
        )
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["due"])?;
    client.post("/tasks/recurring", json!({"title": "Bad rule", "due_date": "2030-03-04", "recurrence": {"frequency": "hourly"}})).await?.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["frequency"])?;
    assert_eq!(stack.all_tasks(&user).await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn reminders_are_added_by_task_id_absolute_or_before_the_due_date() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("reminder");
    let client = stack.as_user(&user);
    let id = id_of(
        &stack
            .create_task(
                &user,
                json!({"title": "Dentist", "due_date": "2030-05-01T10:00:00+02:00"}),
            )
            .await?,
    );
    let relative = client
        .post(
            "/tasks/reminder",
            json!({"task_id": id, "before_due": "PT15M"}),
        )
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(relative["reminders"].as_array().map(Vec::len), Some(1));
    assert_eq!(relative["reminders"][0]["before_due"], "PT15M");
    assert_eq!(relative["version"], 2);

    let absolute = client
        .post(
            "/tasks/reminder",
            json!({"task_id": id, "remind_at": "2030-04-30T18:00:00Z"}),
        )
        .await?
        .expect(StatusCode::OK)?;
    let reminders = absolute["reminders"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(reminders.len(), 2);
    assert_ne!(
        reminders[0]["id"], reminders[1]["id"],
        "each reminder has its own id"
    );
    assert_eq!(absolute["version"], 3);

    for (body, mention) in [
        (json!({"task_id": id}), "remind_at"),
        (
            json!({"task_id": id, "before_due": "15 minutes"}),
            "before_due",
        ),
        (
            json!({"task_id": id, "remind_at": "2030-04-30T18:00:00Z", "before_due": "PT1H"}),
            "remind_at",
        ),
        (json!({"before_due": "PT1H"}), "task_id"),
    ] {
        client
            .post("/tasks/reminder", body.clone())
            .await
            .and_then(|reply| reply.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &[mention]))
            .map_err(|e| e.context(body.to_string()))?;
    }
    // A relative reminder needs a due date.
    let undated = id_of(
        &stack
            .create_task(&user, json!({"title": "Someday"}))
            .await?,
    );
    client
        .post(
            "/tasks/reminder",
            json!({"task_id": undated, "before_due": "PT15M"}),
        )
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["due"])?;
    assert_eq!(
        stack.get_json(&user, &format!("/tasks/{id}")).await?["version"],
        3
    );
    Ok(())
}

#[tokio::test]
async fn the_due_date_endpoint_moves_the_due_date_with_its_zone_and_reminders() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("due");
    let client = stack.as_user(&user);
    let id = id_of(
        &stack
            .create_task(
                &user,
                json!({"title": "Flight", "due_date": "2030-06-01", "reminders": [{"before_due": "PT1H"}]}),
            )
            .await?,
    );
    let path = format!("/tasks/{id}/due-date");
    let moved = client
        .patch(
            &path,
            json!({"due_date": "2030-06-02T07:15:00-04:00", "timezone": "America/New_York"}),
        )
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(moved["due_date"], "2030-06-02T07:15:00-04:00");
    assert_eq!(moved["timezone"], "America/New_York");
    assert_eq!(
        moved["reminders"][0]["before_due"], "PT1H",
        "reminders stay unless given"
    );
    assert_eq!(moved["version"], 2);

    let with_reminders = client.patch(&path, json!({"due_date": "2030-06-03", "reminders": [{"before_due": "P1D"}, {"remind_at": "2030-06-01T12:00:00Z"}]})).await?.expect(StatusCode::OK)?;
    assert_eq!(with_reminders["due_date"], "2030-06-03");
    assert_eq!(with_reminders["timezone"], "America/New_York");
    assert_eq!(
        with_reminders["reminders"].as_array().map(Vec::len),
        Some(2)
    );

    client
        .patch(&path, json!({"timezone": "UTC"}))
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["due_date", "required"])?;
    client
        .patch(&path, json!({"due_date": "June 3rd"}))
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["due_date"])?;
    // Clearing the due date while a relative reminder needs it is refused.
    client
        .patch(&path, json!({"due_date": null}))
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["due"])?;
    let cleared = client
        .patch(&path, json!({"due_date": null, "reminders": []}))
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(cleared["due_date"], Value::Null);
    assert_eq!(cleared["version"], 4);
    Ok(())
}

#[tokio::test]
async fn overdue_is_derived_from_the_due_date_the_zone_and_completion() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("overdue");
    let client = stack.as_user(&user);
    let past = stack
        .create_task(&user, json!({"title": "Late", "due_date": "2020-01-01"}))
        .await?;
    assert_eq!(past["overdue"], true);
    let future = stack
        .create_task(
            &user,
            json!({"title": "Early", "due_date": "2099-01-01T00:00:00Z"}),
        )
        .await?;
    assert_eq!(future["overdue"], false);
    let undated = stack
        .create_task(&user, json!({"title": "Whenever"}))
        .await?;
    assert_eq!(undated["overdue"], false);

    let done = client
        .send(
            Method::PATCH,
            &format!("/tasks/{}/complete", id_of(&past)),
            None,
        )
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(done["overdue"], false, "a completed task is never overdue");

    let moved = client
        .patch(
            &format!("/tasks/{}", id_of(&future)),
            json!({"due_date": "2021-06-01T12:00:00+09:00"}),
        )
        .await?
        .expect(StatusCode::OK)?;
    assert_eq!(moved["overdue"], true, "derived on every read");
    Ok(())
}

#[tokio::test]
async fn concurrent_writes_of_one_user_never_lose_a_change() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("concurrent");
    // A brand-new user: the very first writes race to create the user's records.
    let creates = (0..12).map(|n| {
        let (stack, user) = (stack.clone(), user.clone());
        tokio::spawn(async move {
            let client = stack.as_user(&user);
            client
                .post("/tasks", json!({"title": format!("racer {n}")}))
                .await
        })
    });
    let mut ids = Vec::new();
    for create in creates {
        let task = create.await??.expect(StatusCode::CREATED)?;
        ids.push(id_of(&task));
    }
    ids.sort_unstable();
    assert_eq!(ids, (1..=12).collect::<Vec<u64>>(), "one id per create");
    let stored: Vec<u64> = stack.all_tasks(&user).await?.iter().map(id_of).collect();
    assert_eq!(stored, ids, "every acknowledged create is stored");

    // Racing toggles of one task: each acknowledged one is one version.
    let toggles = (0..8).map(|_| {
        let (stack, user) = (stack.clone(), user.clone());
        tokio::spawn(async move {
            let client = stack.as_user(&user);
            client.send(Method::PATCH, "/tasks/1/complete", None).await
        })
    });
    let mut acknowledged = 0u64;
    for toggle in toggles {
        let reply = toggle.await??;
        if reply.status == StatusCode::OK {
            acknowledged += 1;
        } else {
            // The only acceptable refusal: too busy, nothing changed.
            reply.expect_problem(StatusCode::SERVICE_UNAVAILABLE, &["try again"])?;
        }
    }
    assert!(acknowledged > 0);
    let task = stack.get_json(&user, "/tasks/1").await?;
    assert_eq!(task["version"], 1 + acknowledged);
    assert_eq!(task["completed"], acknowledged % 2 == 1);
    Ok(())
}
