//! Realtime sync on the real stack: todo-api -> Kafka (`task-updates`) ->
//! each realtime replica's daprd -> realtime -> the user's WebSockets.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use e2e::api::id_of;
use e2e::{Socket, Stack, close_code, next_about, next_json};
use futures_util::SinkExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{self, Message};

/// Long enough for a change to cross Kafka on a busy 2-core machine.
const DELIVERY: Duration = Duration::from_secs(20);
/// How long a socket must stay quiet to count as "received nothing".
const QUIET: Duration = Duration::from_secs(2);

/// The next `n` task frames (skipping anything without a `seq`).
async fn task_frames(socket: &mut Socket, n: usize) -> Result<Vec<Value>> {
    let mut frames = Vec::with_capacity(n);
    while frames.len() < n {
        let frame = next_json(socket, DELIVERY)
            .await
            .with_context(|| format!("waiting for task frame {} of {n}", frames.len() + 1))?;
        if frame["seq"].is_u64() {
            frames.push(frame);
        }
    }
    Ok(frames)
}

fn seqs(frames: &[Value]) -> Vec<u64> {
    frames.iter().filter_map(|f| f["seq"].as_u64()).collect()
}

fn kinds(frames: &[Value]) -> Vec<&str> {
    frames.iter().filter_map(|f| f["type"].as_str()).collect()
}

async fn assert_quiet(socket: &mut Socket, who: &str) {
    let leaked = next_json(socket, QUIET).await;
    assert!(leaked.is_err(), "{who} received a frame: {leaked:?}");
}

#[tokio::test]
async fn every_device_of_the_user_gets_each_change_in_order_and_no_one_else() -> Result<()> {
    let stack = Stack::from_env()?;
    let (alice, bob) = (stack.new_user("devices-a"), stack.new_user("devices-b"));
    let mut phone = stack.connect(&alice, "").await?;
    let mut laptop = stack.connect(&alice, "").await?;
    let mut bob_socket = stack.connect(&bob, "").await?;

    let id = id_of(
        &stack
            .create_task(&alice, json!({"title": "sync me"}))
            .await?,
    );
    let path = format!("/tasks/{id}");
    stack
        .as_user(&alice)
        .patch(&path, json!({"priority": "urgent"}))
        .await?
        .expect(StatusCode::OK)?;
    stack
        .as_user(&alice)
        .send(Method::PATCH, &format!("{path}/complete"), None)
        .await?
        .expect(StatusCode::OK)?;
    stack
        .as_user(&alice)
        .delete(&path)
        .await?
        .expect(StatusCode::NO_CONTENT)?;

    let expected = [
        "task.created",
        "task.updated",
        "task.completed",
        "task.deleted",
    ];
    let mut seen_by_phone = Vec::new();
    for (device, socket) in [("phone", &mut phone), ("laptop", &mut laptop)] {
        let frames = task_frames(socket, 4).await?;
        assert_eq!(kinds(&frames), expected, "{device}: {frames:?}");
        let seqs = seqs(&frames);
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "{device}: seq must increase: {seqs:?}"
        );
        assert!(frames.iter().all(|f| f["task"]["id"] == id));
        assert_eq!(frames[1]["task"]["priority"], "urgent");
        assert!(frames.iter().all(|f| f["occurred_at"].is_string()));
        if seen_by_phone.is_empty() {
            seen_by_phone = seqs;
        } else {
            assert_eq!(seqs, seen_by_phone, "both devices see the same sequence");
        }
    }
    assert_quiet(&mut bob_socket, "bob").await;
    Ok(())
}

#[tokio::test]
async fn a_reconnecting_device_gets_what_it_missed_in_order_then_live_changes() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("resume");
    // The witness stays connected: it shows when the replica has the changes.
    let mut witness = stack.connect(&user, "").await?;
    let mut device = stack.connect(&user, "").await?;

    let first = id_of(&stack.create_task(&user, json!({"title": "seen"})).await?);
    let seen = next_about(&mut device, "task.created", first, DELIVERY).await?;
    let since = seen["seq"].as_u64().context("a task frame has a seq")?;
    device.close(None).await?;
    drop(device);

    // Three changes while the device is offline.
    let second = id_of(
        &stack
            .create_task(&user, json!({"title": "missed 1"}))
            .await?,
    );
    stack
        .as_user(&user)
        .patch(&format!("/tasks/{second}"), json!({"title": "missed 2"}))
        .await?
        .expect(StatusCode::OK)?;
    let third = id_of(
        &stack
            .create_task(&user, json!({"title": "missed 3"}))
            .await?,
    );
    let live = task_frames(&mut witness, 4).await?;
    let missed = &live[1..];
    assert_eq!(
        missed.last().map(|f| f["task"]["id"].clone()),
        Some(third.into())
    );

    let mut device = stack.connect(&user, &format!("since={since}")).await?;
    let replayed = task_frames(&mut device, 3).await?;
    assert_eq!(
        seqs(&replayed),
        seqs(missed),
        "the missed changes, in order, none twice"
    );
    assert_eq!(
        kinds(&replayed),
        ["task.created", "task.updated", "task.created"]
    );
    assert_eq!(replayed[1]["task"]["title"], "missed 2");

    // Live frames follow the replay without a gap.
    let fourth = id_of(&stack.create_task(&user, json!({"title": "live"})).await?);
    let frame = task_frames(&mut device, 1).await?.remove(0);
    assert_eq!(
        frame["task"]["id"], fourth,
        "no duplicate before the live frame"
    );
    assert_eq!(frame["seq"].as_u64(), seqs(missed).last().map(|s| s + 1));
    Ok(())
}

#[tokio::test]
async fn a_gap_older_than_the_resume_buffer_asks_the_device_to_resync() -> Result<()> {
    let stack = Stack::from_env()?;
    // scripts/stack test runs realtime with a small buffer; 256 is the default.
    let buffer: usize = std::env::var("REALTIME_BUFFER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let user = stack.new_user("resync");
    let mut witness = stack.connect(&user, "").await?;

    let first = id_of(&stack.create_task(&user, json!({"title": "old"})).await?);
    let since = next_about(&mut witness, "task.created", first, DELIVERY).await?["seq"]
        .as_u64()
        .context("seq")?;
    let mut last = first;
    for n in 0..buffer + 2 {
        last = id_of(
            &stack
                .create_task(&user, json!({"title": format!("flood {n}")}))
                .await?,
        );
    }
    next_about(&mut witness, "task.created", last, DELIVERY).await?;

    let mut device = stack.connect(&user, &format!("since={since}")).await?;
    let frame = next_json(&mut device, DELIVERY).await?;
    assert_eq!(frame, json!({"type": "resync"}));
    let live = id_of(&stack.create_task(&user, json!({"title": "after"})).await?);
    next_about(&mut device, "task.created", live, DELIVERY).await?;
    Ok(())
}

/// The problem+json refusal of a WebSocket handshake.
async fn refused(url: &str) -> Result<(u16, Value)> {
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => bail!("{url}: the upgrade was accepted"),
        Err(tungstenite::Error::Http(response)) => {
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            ensure!(
                content_type.starts_with("application/problem+json"),
                "refusal content type: {content_type}"
            );
            let body = serde_json::from_slice(response.body().as_deref().unwrap_or_default())?;
            Ok((response.status().as_u16(), body))
        }
        Err(other) => bail!("{url}: expected an HTTP refusal, got {other}"),
    }
}

#[tokio::test]
async fn bad_tokens_are_refused_before_the_upgrade() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("ws-auth");
    let ws = format!("{}/ws", stack.realtime);
    let forged = {
        let good = stack.token(&user);
        let (unsigned, _) = good.rsplit_once('.').context("a JWT has three parts")?;
        format!("{unsigned}.c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ")
    };
    for (case, url) in [
        ("no token", ws.clone()),
        ("not a JWT", format!("{ws}?access_token=hello")),
        ("bad signature", format!("{ws}?access_token={forged}")),
        (
            "expired",
            format!("{ws}?access_token={}", stack.token_with_ttl(&user, -60)),
        ),
    ] {
        let (status, body) = refused(&url).await.context(case)?;
        assert_eq!(status, 401, "{case}: {body}");
        assert_eq!(body["status"], 401, "{case}: {body}");
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let (status, body) = refused(&format!(
        "{ws}?access_token={}&since=yesterday",
        stack.token(&user)
    ))
    .await?;
    assert_eq!(status, 400, "{body}");
    Ok(())
}

#[tokio::test]
async fn bad_client_messages_close_only_that_socket() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("ws-bad");
    let mut bystander = stack.connect(&user, "").await?;

    // Unknown JSON: an error frame, the socket stays open and answers pings.
    let mut chatty = stack.connect(&user, "").await?;
    chatty
        .send(Message::text(r#"{"type":"dance"}"#.to_owned()))
        .await?;
    let error = next_json(&mut chatty, DELIVERY).await?;
    assert_eq!(error["type"], "error");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("dance"))
    );
    chatty
        .send(Message::text(r#"{"type":"ping"}"#.to_owned()))
        .await?;
    assert_eq!(next_json(&mut chatty, DELIVERY).await?["type"], "pong");

    let mut garbled = stack.connect(&user, "").await?;
    garbled.send(Message::text("not json".to_owned())).await?;
    assert_eq!(close_code(&mut garbled, DELIVERY).await?, Some(1003));

    let mut binary = stack.connect(&user, "").await?;
    binary.send(Message::binary(vec![1, 2, 3])).await?;
    assert_eq!(close_code(&mut binary, DELIVERY).await?, Some(1003));

    let mut oversized = stack.connect(&user, "").await?;
    let big = format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(70 * 1024));
    // The server may close while the frame is still being written.
    let _ = oversized.send(Message::text(big)).await;
    assert_eq!(close_code(&mut oversized, DELIVERY).await?, Some(1009));

    let url = format!(
        "{}/ws?access_token={}",
        stack.realtime,
        stack.token_with_ttl(&user, 2)
    );
    let (mut expiring, _) = tokio_tungstenite::connect_async(url).await?;
    assert_eq!(
        close_code(&mut expiring, Duration::from_secs(10)).await?,
        Some(4001),
        "the socket closes when its token expires"
    );

    // The service kept serving everyone else.
    let id = id_of(
        &stack
            .create_task(&user, json!({"title": "still here"}))
            .await?,
    );
    next_about(&mut bystander, "task.created", id, DELIVERY).await?;
    next_about(&mut chatty, "task.created", id, DELIVERY).await?;
    Ok(())
}

#[tokio::test]
async fn every_replica_delivers_every_update_to_its_own_clients() -> Result<()> {
    let stack = Stack::from_env()?;
    ensure!(
        stack.realtime_replicas.len() >= 2,
        "this test needs two realtime replicas: run it with REALTIME_REPLICAS=2 (scripts/stack test does); \
         REALTIME_URLS is {:?}",
        stack.realtime_replicas
    );
    let (alice, bob) = (stack.new_user("replicas-a"), stack.new_user("replicas-b"));
    let mut alice_sockets = Vec::new();
    let mut bob_sockets = Vec::new();
    for replica in &stack.realtime_replicas {
        alice_sockets.push(stack.connect_to(replica, &alice, "").await?);
        bob_sockets.push(stack.connect_to(replica, &bob, "").await?);
    }

    let id = id_of(
        &stack
            .create_task(&alice, json!({"title": "everywhere"}))
            .await?,
    );
    for (replica, socket) in stack.realtime_replicas.iter().zip(&mut alice_sockets) {
        next_about(socket, "task.created", id, DELIVERY)
            .await
            .with_context(|| format!("alice's socket on {replica}"))?;
    }
    let bobs = id_of(&stack.create_task(&bob, json!({"title": "bob's"})).await?);
    for (replica, socket) in stack.realtime_replicas.iter().zip(&mut bob_sockets) {
        // Bob's first frame is his own task: alice's never reached him.
        let frame = task_frames(socket, 1).await?.remove(0);
        assert_eq!(
            frame["task"]["id"], bobs,
            "bob's socket on {replica}: {frame}"
        );
        assert_eq!(frame["task"]["user_id"], bob.as_str(), "on {replica}");
        assert_eq!(frame["task"]["title"], "bob's", "on {replica}");
    }
    Ok(())
}
