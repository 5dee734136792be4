//! Writers of one user race on the same keys (ETag-guarded transactions);
//! the loser reads again and retries after a short random wait.

/// Waits a random 0..2^attempt ms (at most 64 ms) after a lost race, so
/// that writers of one user who keep colliding spread out. Each request
/// has its own instance, so sleeping blocks no one else.
pub fn back_off(attempt: usize) {
    let ceiling_ms = 1u128 << attempt.min(6);
    let jitter_ms = uuid::Uuid::new_v4().as_u128() % ceiling_ms;
    std::thread::sleep(std::time::Duration::from_millis(jitter_ms as u64));
}
