//! Hostile WebSocket clients against the real realtime service: connection
//! churn, garbage, oversized and fragmented frames (RFC 6455 section 5.4,
//! sent raw), and a client that never reads. The
//! service stays up, other clients keep receiving, and its memory returns
//! to where it was.
//!
//! Disruptive (it measures the shared realtime process's memory, which
//! other tests' sockets would move), so it runs alone.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use e2e::{Stack, close_code, next_about};
use futures_util::{SinkExt, StreamExt, stream};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};

/// Connections opened and closed by the churn.
const CHURN: usize = 10_000;
/// Of them at once.
const CHURN_PARALLEL: usize = 50;

/// Resident memory of the first realtime replica, in KiB.
fn realtime_rss_kib(stack: &Stack) -> Result<u64> {
    let pid = std::fs::read_to_string(format!("{}/pids/realtime.pid", stack.dir))?;
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid.trim()))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("VmRSS in /proc/PID/status")
}

/// One raw frame: `opcode` with `payload`, the last of its message when `fin`.
fn frame(opcode: OpCode, payload: &[u8], fin: bool) -> Message {
    Message::Frame(Frame::message(payload.to_vec(), opcode, fin))
}

const TEXT: OpCode = OpCode::Data(Data::Text);
const CONTINUE: OpCode = OpCode::Data(Data::Continue);
const PING: OpCode = OpCode::Control(Control::Ping);

/// Sends `frames` on a new socket of `user`; returns the socket.
async fn sent(stack: &Stack, user: &str, frames: Vec<Message>) -> Result<e2e::Socket> {
    let mut socket = stack.connect(user, "").await?;
    for frame in frames {
        socket.send(frame).await?;
    }
    Ok(socket)
}

/// Fragmented messages: a well-formed one is put back together (even with a
/// ping between its fragments and a UTF-8 character cut in two), and each
/// way of breaking fragmentation closes only its own socket, with a code
/// that names the mistake.
async fn fragments_are_joined_or_refused(stack: &Stack) -> Result<()> {
    let user = stack.new_user("abuse-fragments");
    // `{"type":"ping","note":"café"}` in four fragments, the `é` (C3 A9)
    // split between the last two.
    let mut joined = sent(
        stack,
        &user,
        vec![
            frame(TEXT, br#"{"type":"#, false),
            frame(PING, b"between fragments", true),
            frame(CONTINUE, br#""ping","note":"caf"#, false),
            frame(CONTINUE, &[0xc3], false),
            frame(CONTINUE, &[0xa9, b'"', b'}'], true),
        ],
    )
    .await?;
    let reply = e2e::next_json(&mut joined, Duration::from_secs(10)).await?;
    ensure!(
        reply == json!({"type": "pong"}),
        "a fragmented ping got {reply}"
    );

    let quarter = vec![b' '; 20 * 1024];
    let mut over_limit = vec![frame(TEXT, b"[", false)];
    over_limit.extend((0..4).map(|_| frame(CONTINUE, &quarter, false)));
    over_limit.push(frame(CONTINUE, b"]", true));
    for (what, frames, code) in [
        ("80 KiB in fragments of 20 KiB", over_limit, 1009),
        (
            "a continuation with nothing to continue",
            vec![frame(CONTINUE, br#"{"type":"ping"}"#, true)],
            1002,
        ),
        (
            "a new message inside a fragmented one",
            vec![
                frame(TEXT, br#"{"type":"#, false),
                frame(TEXT, br#"{"type":"ping"}"#, true),
            ],
            1002,
        ),
        (
            "a fragmented ping",
            vec![frame(PING, b"a", false), frame(CONTINUE, b"b", true)],
            1002,
        ),
        (
            "text that is not UTF-8, in fragments",
            vec![
                frame(TEXT, b"{\"type\":\"", false),
                frame(CONTINUE, &[0xff, b'"', b'}'], true),
            ],
            1007,
        ),
    ] {
        let mut socket = sent(stack, &user, frames).await?;
        let closed = close_code(&mut socket, Duration::from_secs(10)).await?;
        ensure!(
            closed == Some(code),
            "{what}: expected close code {code}, got {closed:?}"
        );
    }
    // The socket that sent the well-formed message is still served.
    let task = stack
        .create_task(&user, json!({"title": "after the fragments"}))
        .await?;
    let id = task["id"].as_u64().context("an id")?;
    next_about(&mut joined, "task.created", id, Duration::from_secs(20)).await?;
    Ok(())
}

/// A client of `user` that must still receive a change made now.
async fn still_served(stack: &Stack, user: &str) -> Result<()> {
    let mut socket = stack.connect(user, "").await?;
    let task = stack
        .create_task(user, json!({"title": "still served"}))
        .await?;
    let id = task["id"].as_u64().context("an id")?;
    next_about(&mut socket, "task.created", id, Duration::from_secs(20)).await?;
    Ok(())
}

#[tokio::test]
async fn disruptive_websocket_abuse_leaves_the_service_up_and_its_memory_where_it_was() -> Result<()>
{
    let stack = Stack::from_env()?;
    let watcher = stack.new_user("abuse-watcher");
    // Read all along (answering the service's pings: a client that reads
    // nothing for two ping intervals is closed, and the abuse below takes
    // longer than that on a slow cluster).
    let mut watching = stack.connect(&watcher, "").await?;
    let (frames, mut watched) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(frame) = e2e::next_json(&mut watching, Duration::from_secs(3600)).await {
            if frames.send(frame).is_err() {
                break;
            }
        }
    });
    // Warm the service (buffers, allocator) before the baseline.
    still_served(&stack, &stack.new_user("abuse-warm")).await?;
    let baseline = realtime_rss_kib(&stack)?;

    // 1. Churn: 10,000 connects and closes, 50 at a time.
    let churner = stack.new_user("abuse-churn");
    let started = Instant::now();
    let failures = stream::iter(0..CHURN)
        .map(|_| {
            let (stack, user) = (stack.clone(), churner.clone());
            async move {
                let mut socket = stack.connect(&user, "").await?;
                socket.close(None).await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(CHURN_PARALLEL)
        .filter(|r| std::future::ready(r.is_err()))
        .count()
        .await;
    let churn_time = started.elapsed();
    println!("{CHURN} connects and closes in {churn_time:?}, {failures} failed");
    ensure!(failures == 0, "{failures} of {CHURN} connects failed");

    // 2. Garbage: binary, non-JSON text and oversized frames close only
    //    their own socket, with the documented codes.
    let vandal = stack.new_user("abuse-vandal");
    for (message, code) in [
        (Message::Binary(vec![0xde, 0xad, 0xbe, 0xef].into()), 1003),
        (Message::Text("{not json".into()), 1003),
        (Message::Text("x".repeat(70 * 1024).into()), 1009),
    ] {
        let mut socket = stack.connect(&vandal, "").await?;
        socket.send(message).await?;
        ensure!(
            close_code(&mut socket, Duration::from_secs(10)).await? == Some(code),
            "expected close code {code}"
        );
    }
    fragments_are_joined_or_refused(&stack).await?;

    // 3. A client that never reads while 300 changes of its user pile up:
    //    the per-socket queue bounds what the service holds for it (1013
    //    when full), and nobody else notices.
    let sleeper = stack.new_user("abuse-sleeper");
    let never_reads = stack.connect(&sleeper, "").await?;
    for n in 0..300 {
        stack
            .create_task(
                &sleeper,
                json!({"title": format!("unread {n}"), "description": "x".repeat(1500)}),
            )
            .await?;
    }
    drop(never_reads);

    // The watcher, connected all along, still receives; a new client too.
    let task = stack
        .create_task(&watcher, json!({"title": "after the abuse"}))
        .await?;
    let id = task["id"].as_u64().context("an id")?;
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(frame) = watched.recv().await {
            if frame["type"] == "task.created" && frame["task"]["id"] == id {
                return Ok(());
            }
        }
        anyhow::bail!("the watcher's WebSocket closed")
    })
    .await
    .context("the watcher got no task.created within 20 s")??;
    still_served(&stack, &stack.new_user("abuse-after")).await?;

    // Memory back near the baseline once the sockets are gone (the
    // allocator may keep a little; 10,000 leaked sockets would be ~100 MiB).
    let after = stack
        .eventually(
            "memory back near the baseline",
            Duration::from_secs(30),
            || async {
                let now = realtime_rss_kib(&stack)?;
                Ok((now <= baseline + baseline / 4 + 8 * 1024).then_some(now))
            },
        )
        .await
        .with_context(|| format!("baseline {baseline} KiB"))?;
    println!("realtime RSS: {baseline} KiB before, {after} KiB after");
    Ok(())
}
