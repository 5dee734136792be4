//! Listing on the real stack: every filter, every sort in both directions
//! (undated tasks last, ties by id), cursor paging with `total`, and
//! `/tasks/search` running the same engine.

use std::time::Duration;

use anyhow::{Context, Result};
use e2e::Stack;
use e2e::api::ids;
use reqwest::StatusCode;
use serde_json::json;

/// Eight tasks, created in id order, then task 2 edited last (so it is the
/// most recently updated). Task 3 is completed; tasks 3 and 7 are due in the
/// past; 4 and 6 have no due date; 1 and 8 are due on the same day.
async fn sample(stack: &Stack) -> Result<String> {
    let user = stack.new_user("query");
    let bodies = [
        json!({"title": "Buy milk", "tags": ["shopping", "home"], "priority": "low",
               "due_date": "2030-03-05", "category": "Errands"}),
        json!({"title": "write report", "description": "Quarterly NUMBERS", "tags": ["work"],
               "priority": "urgent", "due_date": "2030-03-20T09:00:00+01:00"}),
        json!({"title": "Call mum", "priority": "high", "due_date": "2020-03-01T18:00:00Z",
               "completed": true}),
        json!({"title": "Archive mail", "tags": ["work", "home"]}),
        json!({"title": "Renew passport", "priority": "high", "due_date": "2030-03-05",
               "timezone": "America/New_York"}),
        json!({"title": "Plan trip"}),
        json!({"title": "Pay fine", "priority": "low", "due_date": "2020-01-01"}),
        json!({"title": "Water plants", "due_date": "2030-03-05", "category": "errands"}),
    ];
    for (n, body) in bodies.into_iter().enumerate() {
        let task = stack.create_task(&user, body).await?;
        assert_eq!(task["id"], n as u64 + 1);
    }
    stack
        .as_user(&user)
        .patch(
            "/tasks/2",
            json!({"description": "Quarterly NUMBERS, final"}),
        )
        .await?
        .expect(StatusCode::OK)?;
    Ok(user)
}

async fn list(stack: &Stack, user: &str, query: &str) -> Result<Vec<u64>> {
    let page = stack
        .get_json(user, &format!("/tasks?{query}"))
        .await
        .with_context(|| format!("GET /tasks?{query}"))?;
    Ok(ids(&page))
}

#[tokio::test]
async fn every_filter_selects_what_it_names() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = sample(&stack).await?;
    let cases: &[(&str, &[u64])] = &[
        ("", &[1, 2, 3, 4, 5, 6, 7, 8]),
        // q: case-insensitive substring of title, description or a tag.
        ("q=REPORT", &[2]),
        ("q=numbers", &[2]),
        ("q=shop", &[1]),
        ("q=MiLk", &[1]),
        ("q=nothing-like-this", &[]),
        ("status=completed", &[3]),
        ("status=pending", &[1, 2, 4, 5, 6, 7, 8]),
        ("status=all", &[1, 2, 3, 4, 5, 6, 7, 8]),
        ("priority=high,urgent", &[2, 3, 5]),
        ("priority=low", &[1, 7]),
        // tags: every listed tag must match.
        ("tags=home", &[1, 4]),
        ("tags=Home,work", &[4]),
        ("category=ERRANDS", &[1, 8]),
        // Date bounds are midnight in each task's own zone; after is
        // inclusive, before exclusive; undated tasks never match.
        ("due_before=2025-01-01", &[3, 7]),
        ("due_after=2030-03-05", &[1, 2, 5, 8]),
        ("due_after=2030-03-05&due_before=2030-03-06", &[1, 5, 8]),
        (
            "due_after=2030-03-05T02:00:00Z&due_before=2030-03-05T06:00:00Z",
            &[5],
        ),
        ("overdue=true", &[7]),
        ("overdue=false", &[1, 2, 3, 4, 5, 6, 8]),
        ("status=pending&tags=work&sort=-priority", &[2, 4]),
        ("q=a&priority=low&overdue=true", &[7]),
    ];
    for (query, expected) in cases {
        assert_eq!(&list(&stack, &user, query).await?, expected, "?{query}");
    }
    Ok(())
}

#[tokio::test]
async fn every_sort_works_both_ways_with_undated_tasks_last_and_ties_by_id() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = sample(&stack).await?;
    let cases: &[(&str, &[u64])] = &[
        // 1 and 8 share a start; 5 is the same date in New York, 5 hours later.
        ("sort=due_date", &[7, 3, 1, 8, 5, 2, 4, 6]),
        ("sort=-due_date", &[2, 5, 1, 8, 3, 7, 4, 6]),
        ("sort=priority", &[1, 7, 4, 6, 8, 3, 5, 2]),
        ("sort=-priority", &[2, 3, 5, 4, 6, 8, 1, 7]),
        ("sort=created_at", &[1, 2, 3, 4, 5, 6, 7, 8]),
        ("sort=-created_at", &[8, 7, 6, 5, 4, 3, 2, 1]),
        ("sort=updated_at", &[1, 3, 4, 5, 6, 7, 8, 2]),
        ("sort=-updated_at", &[2, 8, 7, 6, 5, 4, 3, 1]),
        // Titles compare case-insensitively ("write report" is last).
        ("sort=title", &[4, 1, 3, 7, 6, 5, 8, 2]),
        ("sort=-title", &[2, 8, 5, 6, 7, 3, 1, 4]),
    ];
    for (query, expected) in cases {
        assert_eq!(&list(&stack, &user, query).await?, expected, "?{query}");
    }
    Ok(())
}

#[tokio::test]
async fn cursors_page_through_every_match_and_total_counts_them_all() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = sample(&stack).await?;
    let mut seen = Vec::new();
    let mut query = "sort=title&limit=3".to_owned();
    let mut pages = 0;
    loop {
        let page = stack.get_json(&user, &format!("/tasks?{query}")).await?;
        assert_eq!(page["total"], 8, "total counts every match on every page");
        let items = ids(&page);
        assert!(items.len() <= 3);
        seen.extend(items);
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("sort=title&limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, [4, 1, 3, 7, 6, 5, 8, 2]);

    let filtered = stack
        .get_json(&user, "/tasks?status=pending&limit=2")
        .await?;
    assert_eq!(filtered["total"], 7);
    assert_eq!(ids(&filtered), [1, 2]);
    let everything = stack.get_json(&user, "/tasks").await?;
    assert_eq!(everything["next_cursor"], serde_json::Value::Null);
    assert_eq!(everything["total"], 8);

    // A cursor belongs to its query.
    let cursor = filtered["next_cursor"]
        .as_str()
        .context("a further page")?
        .to_owned();
    stack
        .as_user(&user)
        .get(&format!("/tasks?status=completed&limit=2&cursor={cursor}"))
        .await?
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &["cursor"])?;
    for (query, mention) in [
        ("cursor=nonsense", "cursor"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("sort=size", "sort"),
        ("status=done", "status"),
        ("priority=extreme", "priority"),
        ("overdue=maybe", "overdue"),
        ("due_before=tomorrow", "due_before"),
        ("colour=red", "colour"),
    ] {
        stack
            .as_user(&user)
            .get(&format!("/tasks?{query}"))
            .await
            .and_then(|reply| reply.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, &[mention]))
            .with_context(|| format!("?{query}"))?;
    }
    let max = stack.get_json(&user, "/tasks?limit=500").await?;
    assert_eq!(ids(&max).len(), 8);
    Ok(())
}

#[tokio::test]
async fn search_runs_the_same_engine_as_the_list() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = sample(&stack).await?;
    for query in [
        "q=report",
        "q=HOME",
        "q=a&sort=-title&limit=2",
        "q=a&status=pending&priority=low,high",
    ] {
        let listed = stack.get_json(&user, &format!("/tasks?{query}")).await?;
        let searched = stack
            .get_json(&user, &format!("/tasks/search?{query}"))
            .await?;
        assert_eq!(searched["items"], listed["items"], "?{query}");
        assert_eq!(searched["total"], listed["total"], "?{query}");
    }
    assert_eq!(
        ids(&stack.get_json(&user, "/tasks/search?q=Numbers").await?),
        [2]
    );
    assert_eq!(
        ids(&stack.get_json(&user, "/tasks/search?q=home").await?),
        [1, 4]
    );
    // Another user's tasks never show up.
    let other = stack.new_user("query-other");
    let page = stack.get_json(&other, "/tasks/search?q=milk").await?;
    assert_eq!(page["total"], 0);
    Ok(())
}

/// Every page of `path` (relative to `/api/{user}`) at `limit` a page,
/// following `next_cursor`: the ids in the order served.
async fn ids_paged(
    stack: &Stack,
    user: &str,
    path: &str,
    limit: usize,
    id: &str,
) -> Result<Vec<u64>> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let sep = if path.contains('?') { '&' } else { '?' };
    loop {
        let page_path = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let page = stack.get_json(user, &page_path).await?;
        let items = page["items"].as_array().context("a page has items")?;
        anyhow::ensure!(
            items.len() <= limit,
            "{} items on a page of {limit}",
            items.len()
        );
        seen.extend(items.iter().filter_map(|item| item[id].as_u64()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(seen),
        }
    }
}

/// A user past the first chunk of the task index (128 tasks) and past the
/// first pages of the audit log: paging by cursor serves each task and
/// each `task.created` entry exactly once, in order, across the boundaries.
#[tokio::test]
async fn a_user_past_one_index_chunk_and_many_audit_pages_pages_exactly() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("boundary");
    const TASKS: u64 = 131;
    for n in 1..=TASKS {
        let task = stack
            .create_task(&user, json!({"title": format!("task {n}")}))
            .await?;
        assert_eq!(task["id"], n);
    }
    let expected: Vec<u64> = (1..=TASKS).collect();
    let listed = ids_paged(&stack, &user, "/tasks?sort=created_at", 50, "id").await?;
    assert_eq!(listed, expected, "tasks by created_at, 50 a page");
    let newest_first = ids_paged(&stack, &user, "/tasks?sort=-created_at", 40, "id").await?;
    assert_eq!(
        newest_first,
        expected.iter().rev().copied().collect::<Vec<_>>()
    );
    // audit receives the events asynchronously: wait for all, then page.
    let audited = stack
        .eventually(
            "every task.created in audit",
            Duration::from_secs(60),
            || async {
                let ids =
                    ids_paged(&stack, &user, "/audit?type=task.created", 50, "task_id").await?;
                Ok((ids.len() >= TASKS as usize).then_some(ids))
            },
        )
        .await?;
    let mut sorted = audited.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted, expected,
        "each task.created entry once, across pages: {audited:?}"
    );
    Ok(())
}
