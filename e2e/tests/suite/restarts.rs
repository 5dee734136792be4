//! Every service restarted again and again while a client writes: each
//! restart comes back (no port is ever taken by another process's outgoing
//! connection: the stack's ports lie below the ephemeral range), nothing
//! acknowledged is lost and nothing is evented twice.
//!
//! `TODO_RESTART_ROUNDS` rounds (default 1 in `scripts/stack test`; the
//! issue's 20 were run by hand, figures in docs/operations.md).

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use e2e::Stack;
use e2e::drills::{acknowledged, exactly_one_created_each, stored_ids};
use e2e::settings::setting;

const SERVICES: [&str; 5] = ["todo-api", "recurring", "notifier", "audit", "realtime"];

#[tokio::test]
async fn disruptive_every_service_restarts_again_and_again_under_load() -> Result<()> {
    let stack = Stack::from_env()?;
    let rounds = setting("TODO_RESTART_ROUNDS", 1)?;
    let user = stack.new_user("restarts");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stack, user, stop) = (stack.clone(), user.clone(), stop.clone());
        tokio::spawn(async move {
            let mut outcomes = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let batch = e2e::drills::write(
                    stack.clone(),
                    user.clone(),
                    "restart load",
                    1,
                    Duration::from_millis(100),
                )
                .await;
                outcomes.extend(batch);
                n += 1;
                if n > 100_000 {
                    break;
                }
            }
            outcomes
        })
    };
    let started = Instant::now();
    for round in 0..rounds {
        for service in SERVICES {
            let control = stack.clone();
            let t = Instant::now();
            tokio::task::spawn_blocking(move || control.control(&["restart", service])).await??;
            println!("round {round}: {service} back in {:?}", t.elapsed());
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let outcomes = writer.await?;
    let acknowledged = acknowledged(&outcomes);
    println!(
        "{} restarts in {:?}; {} writes acknowledged, {} unanswered (todo-api down)",
        rounds * SERVICES.len(),
        started.elapsed(),
        acknowledged.len(),
        outcomes.len() - acknowledged.len()
    );
    let stored = stored_ids(&stack, &user).await?;
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    ensure!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    exactly_one_created_each(&stack, &user, &stored).await
}
