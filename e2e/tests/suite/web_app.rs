//! The web app as todo-api serves it on the real stack: the page and its
//! caching, gzip, the SPA fallback, the app's config, dev sign-in, the
//! quick-add preview, and the local date-times its forms send.

use anyhow::{Context, Result, ensure};
use e2e::Stack;
use e2e::api::Reply;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn get(stack: &Stack, path: &str, gzip: bool) -> Result<reqwest::Response> {
    let mut request = stack.raw(Method::GET, &format!("{}{path}", stack.api));
    if gzip {
        request = request.header("Accept-Encoding", "gzip, br");
    }
    Ok(request.send().await?)
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn the_page_is_never_cached_and_its_hashed_assets_are_cached_for_a_year() -> Result<()> {
    let stack = Stack::from_env()?;
    let page = get(&stack, "/", false).await?;
    ensure!(page.status() == StatusCode::OK, "GET /: {}", page.status());
    ensure!(header(&page, "content-type").starts_with("text/html"));
    ensure!(header(&page, "cache-control") == "no-store");
    let csp = header(&page, "content-security-policy").to_owned();
    ensure!(csp.contains("script-src 'self'"), "CSP: {csp}");
    let html = page.text().await?;
    ensure!(
        html.contains(r#"<div id="app">"#),
        "not the built app (is web/dist built?): {html}"
    );
    let script = html
        .split('"')
        .find(|s| s.starts_with("/assets/") && s.ends_with(".js"))
        .context("index.html names no /assets/*.js")?
        .to_owned();

    let plain = get(&stack, &script, false).await?;
    ensure!(plain.status() == StatusCode::OK);
    ensure!(header(&plain, "cache-control") == "public, max-age=31536000, immutable");
    ensure!(header(&plain, "content-type").starts_with("text/javascript"));
    ensure!(header(&plain, "content-encoding").is_empty());
    let plain_len = plain.bytes().await?.len();

    let zipped = get(&stack, &script, true).await?;
    ensure!(header(&zipped, "content-encoding") == "gzip");
    ensure!(header(&zipped, "vary").contains("Accept-Encoding"));
    let bytes = zipped.bytes().await?;
    ensure!(
        bytes.starts_with(&[0x1f, 0x8b]) && bytes.len() < plain_len,
        "gzip twin"
    );
    // The first load's JavaScript stays within its budget.
    ensure!(
        bytes.len() <= 150 * 1024,
        "{} bytes of gzip JS",
        bytes.len()
    );
    Ok(())
}

#[tokio::test]
async fn the_apps_own_paths_fall_back_to_the_page_and_others_stay_404() -> Result<()> {
    let stack = Stack::from_env()?;
    for path in ["/tasks", "/tasks/12", "/calendar", "/chat", "/sign-in"] {
        let r = get(&stack, path, false).await?;
        ensure!(r.status() == StatusCode::OK, "{path}: {}", r.status());
        ensure!(header(&r, "cache-control") == "no-store", "{path}");
    }
    for path in ["/nope", "/assets/missing.js", "/app/nothing"] {
        let reply = Reply::read(get(&stack, path, false).await?).await?;
        reply.expect_problem(StatusCode::NOT_FOUND, &[])?;
    }
    Ok(())
}

#[tokio::test]
async fn the_config_names_the_stacks_websocket_and_dev_sign_in_signs_in() -> Result<()> {
    let stack = Stack::from_env()?;
    let config = Reply::read(get(&stack, "/app/config.json", false).await?)
        .await?
        .expect(StatusCode::OK)?;
    ensure!(
        config["realtime_url"] == json!(format!("{}/ws", stack.realtime)),
        "{config}"
    );
    ensure!(config["dev_sign_in"] == json!(true), "{config}");

    let user = stack.new_user("web");
    let url = format!("{}/app/dev-sign-in", stack.api);
    let signed = Reply::read(
        stack
            .raw(Method::POST, &url)
            .json(&json!({"user": user}))
            .send()
            .await?,
    )
    .await?
    .expect(StatusCode::OK)?;
    let token = signed["token"].as_str().context("a token")?;
    let tasks = stack
        .checked(Method::GET, &format!("{}/api/{user}/tasks", stack.api))
        .bearer_auth(token)
        .send()
        .await?;
    ensure!(
        tasks.status == StatusCode::OK,
        "the dev token is refused: {}",
        tasks.status
    );
    let other = stack
        .checked(
            Method::GET,
            &format!("{}/api/someone-else/tasks", stack.api),
        )
        .bearer_auth(token)
        .send()
        .await?;
    ensure!(other.status == StatusCode::FORBIDDEN);

    Reply::read(
        stack
            .raw(Method::POST, &url)
            .json(&json!({"user": "no spaces"}))
            .send()
            .await?,
    )
    .await?
    .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["user"])?;
    Ok(())
}

#[tokio::test]
async fn the_quick_add_preview_shows_the_task_and_stores_nothing() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("preview");
    let client = stack.as_user(&user);
    let preview = client.post("/tasks/preview", json!({"text": "call mum tomorrow at 5pm #family !high remind me 1 hour before", "timezone": "Europe/London"})).await?.expect(StatusCode::OK)?;
    let task = &preview["task"];
    ensure!(task["title"] == "call mum", "{preview}");
    ensure!(task["priority"] == "high" && task["tags"] == json!(["family"]));
    ensure!(task["timezone"] == "Europe/London" && task["due_date"].is_string());
    ensure!(
        task["reminders"] == json!([{"before_due": "PT1H"}]),
        "{preview}"
    );
    ensure!(preview["errors"] == json!([]));
    ensure!(
        stack.all_tasks(&user).await?.is_empty(),
        "a preview stored a task"
    );
    // What the preview shows is what POST /tasks creates.
    let created = stack.create_task(&user, task.clone()).await?;
    ensure!(created["title"] == "call mum");

    client
        .post(
            "/tasks/preview",
            json!({"text": "", "timezone": "Mars/Base"}),
        )
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["text", "timezone"])?;
    Ok(())
}

#[tokio::test]
async fn a_local_due_time_is_read_in_the_bodys_zone() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("local");
    let winter = stack
        .create_task(
            &user,
            json!({"title": "w", "due_date": "2027-03-02T10:00:00", "timezone": "Europe/London",
                   "reminders": [{"remind_at": "2027-03-01T18:30"}]}),
        )
        .await?;
    ensure!(winter["due_date"] == "2027-03-02T10:00:00Z", "{winter}");
    ensure!(winter["reminders"][0]["remind_at"] == "2027-03-01T18:30:00Z");
    let summer = stack
        .create_task(
            &user,
            json!({"title": "s", "due_date": "2027-07-02T10:00", "timezone": "Europe/London"}),
        )
        .await?;
    ensure!(
        summer["due_date"] == "2027-07-02T10:00:00+01:00",
        "{summer}"
    );
    let id = summer["id"].as_u64().context("id")?;
    let moved = stack
        .as_user(&user)
        .patch(
            &format!("/tasks/{id}/due-date"),
            json!({"due_date": "2027-12-24T09:00:00", "timezone": "America/New_York"}),
        )
        .await?
        .expect(StatusCode::OK)?;
    ensure!(moved["due_date"] == "2027-12-24T09:00:00-05:00", "{moved}");
    Ok(())
}
