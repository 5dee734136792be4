//! Who is connected, what each user may have missed, and fan-out.
//!
//! The hub is plain data behind sharded mutexes; it never awaits and never
//! touches a socket, so it is tested without any. Per user it holds:
//! - the open connections, each a bounded queue (`mpsc`) drained by that
//!   socket's session task. Fan-out only `try_send`s: a full queue means a
//!   slow client, which is removed and told to close (1013); the publisher
//!   and other users never wait.
//! - a resume buffer: the last `buffer_per_user` messages that carry a `seq`,
//!   ordered by `seq`, duplicates dropped. At most `buffered_users` users
//!   keep one (least recently used evicted first), so memory is bounded by
//!   `buffered_users × buffer_per_user` messages plus the connection queues.
//!
//! Subscribing registers the connection and snapshots the buffer under the
//! same lock as fan-out, so every message is either in the snapshot or
//! queued live afterwards: never both, never neither.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::metrics::{BufferStats, Metrics};

/// Identifies one WebSocket connection in logs and in the registry.
pub type ConnId = u64;

/// One message, serialized once, shared by every socket it goes to.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The user's change sequence number; `None` for live-only messages
    /// (notifications), which are neither buffered nor replayed.
    pub seq: Option<u64>,
    /// The JSON text frame.
    pub text: Utf8Bytes,
    /// When the message arrived from Dapr.
    pub received_at: Instant,
    /// The payload's `occurred_at`, when it could be read.
    pub occurred_at: Option<SystemTime>,
}

impl Frame {
    /// A frame received now.
    pub fn new(
        seq: Option<u64>,
        text: impl Into<Utf8Bytes>,
        occurred_at: Option<SystemTime>,
    ) -> Self {
        Self {
            seq,
            text: text.into(),
            received_at: Instant::now(),
            occurred_at,
        }
    }
}

/// Why the hub dropped a connection from its registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kick {
    /// Its queue was full: the client does not keep up.
    Slow,
}

/// Sizes of the hub's bounded structures.
#[derive(Clone, Copy, Debug)]
pub struct HubConfig {
    /// Messages kept per user for resuming.
    pub buffer_per_user: usize,
    /// Users whose messages are kept, least recently used (within the
    /// shard of the user being added) evicted first.
    pub buffered_users: usize,
    /// Frames queued per connection.
    pub queue: usize,
    /// Independent locks; users are spread over them by hash.
    pub shards: usize,
}

/// What [`Hub::publish`] did with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Published {
    /// Queued to `sockets` connections; `slow` others were disconnected.
    Delivered {
        /// Connections the frame was queued to.
        sockets: usize,
        /// Connections dropped because their queue was full.
        slow: usize,
    },
    /// Its `seq` was already seen (or is older than the buffer): ignored.
    Duplicate,
}

/// What a new connection gets: its live queue and what it missed.
#[derive(Debug)]
pub struct Subscription {
    /// This connection's id.
    pub conn_id: ConnId,
    /// Live frames, in arrival order.
    pub frames: mpsc::Receiver<Frame>,
    /// Resolves when the hub drops the connection (slow consumer).
    pub kicked: oneshot::Receiver<Kick>,
    /// The client asked to resume from further back than the buffer holds:
    /// it must refetch (send `{"type":"resync"}`); `replay` is empty then.
    pub resync: bool,
    /// Buffered frames with `seq > since`, in `seq` order, to send first.
    pub replay: Vec<Frame>,
    sent: SentSeqs,
    registration: Registration,
}

/// The seqs a connection already has: everything up to `floor` (the
/// client's `since`, raised as the sent seqs become contiguous), and the
/// ones above it in `above` (a few, while frames arrive out of order; at
/// most [`SENT_ABOVE_FLOOR`], so a connection that started without `since`,
/// whose floor never meets its first seq, stays small).
#[derive(Debug, Default)]
struct SentSeqs {
    floor: u64,
    above: BTreeSet<u64>,
}

impl SentSeqs {
    /// Records `seq` as sent; false when the connection already has it.
    fn record(&mut self, seq: u64) -> bool {
        if seq <= self.floor || !self.above.insert(seq) {
            return false;
        }
        if self.above.len() > SENT_ABOVE_FLOOR
            && let Some(lowest) = self.above.pop_first()
        {
            // A gap this old is not going to be filled: give up on it.
            self.floor = lowest;
        }
        while self.above.remove(&(self.floor + 1)) {
            self.floor += 1;
        }
        true
    }
}

/// How many sent seqs above a gap a connection remembers.
const SENT_ABOVE_FLOOR: usize = 64;

impl Subscription {
    /// Whether a live frame should be sent, recording it when so: false for
    /// a seq the connection already has: sent in the replay, sent live
    /// before (a Kafka redelivery), or at or below the client's `since`
    /// (after a restart of this service the redeliveries of frames the
    /// client had come again, into an empty buffer).
    pub fn is_new(&mut self, frame: &Frame) -> bool {
        frame.seq.is_none_or(|seq| self.sent.record(seq))
    }

    /// The user this connection serves.
    pub fn user(&self) -> &str {
        &self.registration.user
    }
}

/// Unregisters the connection when dropped.
#[derive(Debug)]
struct Registration {
    hub: Arc<Hub>,
    user: String,
    conn_id: ConnId,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.unsubscribe(&self.user, self.conn_id);
    }
}

/// The registry of connections and the resume buffers.
#[derive(Debug)]
pub struct Hub {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    /// Users with a buffer, all shards together, and the bound on them.
    buffered: AtomicUsize,
    buffered_users: usize,
    buffer_per_user: usize,
    queue: usize,
    next_conn: AtomicU64,
    metrics: Arc<Metrics>,
}

#[derive(Debug, Default)]
struct Shard {
    users: HashMap<String, UserState>,
    /// Users with a non-empty buffer, by last use (oldest first).
    lru: BTreeMap<u64, String>,
    clock: u64,
    /// Some user's sequence state was dropped to stay within bounds, so an
    /// unknown user may be one we forgot.
    forgot_users: bool,
}

#[derive(Debug, Default)]
struct UserState {
    conns: Vec<Conn>,
    /// Ordered by seq, no duplicates.
    buffer: VecDeque<Frame>,
    /// Highest seq ever seen.
    latest: Option<u64>,
    /// Highest seq no longer buffered (evicted): older ones cannot be replayed.
    floor: Option<u64>,
    /// This user's key in `Shard::lru` while it has a buffer.
    lru_key: Option<u64>,
}

#[derive(Debug)]
struct Conn {
    id: ConnId,
    tx: mpsc::Sender<Frame>,
    kick: Option<oneshot::Sender<Kick>>,
}

impl UserState {
    /// Adds `frame` (which has `seq`) to the buffer; false for a duplicate.
    fn remember(&mut self, seq: u64, frame: &Frame, capacity: usize) -> bool {
        if self.floor.is_some_and(|floor| seq <= floor) {
            return false;
        }
        let position = match self.buffer.back() {
            Some(last) if last.seq < Some(seq) => self.buffer.len(),
            None => 0,
            Some(_) => match self
                .buffer
                .binary_search_by_key(&Some(seq), |buffered| buffered.seq)
            {
                Ok(_) => return false,
                Err(position) => position,
            },
        };
        self.buffer.insert(position, frame.clone());
        self.latest = self.latest.max(Some(seq));
        while self.buffer.len() > capacity {
            let evicted = self.buffer.pop_front().and_then(|f| f.seq);
            self.floor = self.floor.max(evicted);
        }
        true
    }

    /// Drops the buffer; what it held can no longer be replayed.
    fn forget_buffer(&mut self) {
        self.floor = self.floor.max(self.latest);
        self.buffer.clear();
        self.lru_key = None;
    }

    /// What a client that has seen everything up to `since` must be sent.
    fn resume(&self, since: u64, maybe_forgotten: bool) -> (bool, Vec<Frame>) {
        let Some(latest) = self.latest else {
            // Nothing with a seq seen for this user: no evidence of a gap,
            // unless we may have forgotten it.
            return (maybe_forgotten, Vec::new());
        };
        if since >= latest {
            return (false, Vec::new());
        }
        let evicted_needed = self.floor.is_some_and(|floor| floor > since);
        let oldest = self.buffer.front().and_then(|f| f.seq);
        let never_seen = oldest.is_none_or(|oldest| oldest > since.saturating_add(1));
        if evicted_needed || never_seen {
            return (true, Vec::new());
        }
        let start = self.buffer.partition_point(|f| f.seq <= Some(since));
        (false, self.buffer.range(start..).cloned().collect())
    }
}

impl Shard {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // Nothing panics while holding the lock; if something did, the data is
    // still consistent enough to keep serving.
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Marks `user` as just used in the LRU order if it has a buffer; true
/// when it was not in that order before.
fn touch(shard: &mut Shard, user: &str) -> bool {
    let key = shard.tick();
    let Some(state) = shard.users.get_mut(user) else {
        return false;
    };
    if state.buffer.is_empty() {
        return false;
    }
    match state
        .lru_key
        .replace(key)
        .and_then(|old| shard.lru.remove(&old))
    {
        Some(name) => {
            shard.lru.insert(key, name);
            false
        }
        None => {
            shard.lru.insert(key, user.to_owned());
            true
        }
    }
}

impl Hub {
    /// An empty hub.
    pub fn new(config: HubConfig, metrics: Arc<Metrics>) -> Self {
        let shards = config.shards.max(1);
        Self {
            shards: (0..shards).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            buffered: AtomicUsize::new(0),
            buffered_users: config.buffered_users.max(1),
            buffer_per_user: config.buffer_per_user,
            queue: config.queue.max(1),
            next_conn: AtomicU64::new(1),
            metrics,
        }
    }

    /// Evicts this shard's least recently used buffers while more users
    /// than the bound have one. The shard's newest user (the caller's) is
    /// kept, so the bound may be overshot by at most one user per shard.
    fn enforce_bound(&self, shard: &mut Shard) {
        while self.buffered.load(Ordering::Relaxed) > self.buffered_users && shard.lru.len() > 1 {
            let Some((_, user)) = shard.lru.pop_first() else {
                return;
            };
            self.buffered.fetch_sub(1, Ordering::Relaxed);
            let Some(state) = shard.users.get_mut(&user) else {
                continue;
            };
            state.forget_buffer();
            if state.conns.is_empty() {
                shard.users.remove(&user);
                shard.forgot_users = true;
            }
        }
    }

    fn shard(&self, user: &str) -> &Mutex<Shard> {
        let index = self.hasher.hash_one(user) as usize % self.shards.len();
        &self.shards[index]
    }

    /// Queues `frame` to every connection of `user` and, when it has a
    /// `seq`, keeps it for resuming. Never blocks on a connection.
    pub fn publish(&self, user: &str, frame: Frame) -> Published {
        let mut guard = lock(self.shard(user));
        let shard = &mut *guard;
        if let Some(seq) = frame.seq {
            let state = match shard.users.get_mut(user) {
                Some(state) => state,
                None => shard.users.entry(user.to_owned()).or_default(),
            };
            if !state.remember(seq, &frame, self.buffer_per_user) {
                Metrics::inc(&self.metrics.messages_duplicate);
                return Published::Duplicate;
            }
            if touch(shard, user) {
                self.buffered.fetch_add(1, Ordering::Relaxed);
                self.enforce_bound(shard);
            }
        }
        let Some(state) = shard.users.get_mut(user) else {
            return Published::Delivered {
                sockets: 0,
                slow: 0,
            };
        };
        let (mut sockets, mut slow) = (0, 0);
        state
            .conns
            .retain_mut(|conn| match conn.tx.try_send(frame.clone()) {
                Ok(()) => {
                    sockets += 1;
                    true
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    slow += 1;
                    if let Some(kick) = conn.kick.take() {
                        // The session may be gone already; nothing to tell then.
                        let _ = kick.send(Kick::Slow);
                    }
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
        if state.conns.is_empty() && state.buffer.is_empty() {
            // Nothing to keep (a notification nobody listens to, or a
            // zero-sized buffer): keeping `latest` alone would grow unbounded.
            if state.latest.is_some() {
                shard.forgot_users = true;
            }
            shard.users.remove(user);
        }
        Published::Delivered { sockets, slow }
    }

    /// Registers a connection of `user`. With `since`, also returns what the
    /// client missed after that `seq` (or asks it to resync). Dropping the
    /// subscription unregisters it.
    pub fn subscribe(self: &Arc<Self>, user: &str, since: Option<u64>) -> Subscription {
        let conn_id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let (tx, frames) = mpsc::channel(self.queue);
        let (kick, kicked) = oneshot::channel();
        let (resync, replay) = {
            let mut guard = lock(self.shard(user));
            let shard = &mut *guard;
            let known = shard.users.contains_key(user);
            let maybe_forgotten = !known && shard.forgot_users;
            let state = shard.users.entry(user.to_owned()).or_default();
            state.conns.push(Conn {
                id: conn_id,
                tx,
                kick: Some(kick),
            });
            let resumed = match since {
                Some(since) => state.resume(since, maybe_forgotten),
                None => (false, Vec::new()),
            };
            // Only a user that has a buffer already can be in the LRU order.
            let _ = touch(shard, user);
            resumed
        };
        if resync {
            Metrics::inc(&self.metrics.resyncs);
        }
        let mut sent = SentSeqs {
            floor: since.unwrap_or(0),
            above: BTreeSet::new(),
        };
        for seq in replay.iter().filter_map(|f| f.seq) {
            sent.record(seq);
        }
        Subscription {
            conn_id,
            frames,
            kicked,
            resync,
            replay,
            sent,
            registration: Registration {
                hub: Arc::clone(self),
                user: user.to_owned(),
                conn_id,
            },
        }
    }

    fn unsubscribe(&self, user: &str, conn_id: ConnId) {
        let mut guard = lock(self.shard(user));
        let shard = &mut *guard;
        let Some(state) = shard.users.get_mut(user) else {
            return;
        };
        state.conns.retain(|conn| conn.id != conn_id);
        if state.conns.is_empty() && state.buffer.is_empty() {
            if state.latest.is_some() {
                shard.forgot_users = true;
            }
            shard.users.remove(user);
        }
    }

    /// Sizes of the resume buffers, for the metrics.
    pub fn buffer_stats(&self) -> BufferStats {
        let mut stats = BufferStats::default();
        for shard in &self.shards {
            let shard = lock(shard);
            stats.users += shard.lru.len();
            stats.messages += shard.users.values().map(|u| u.buffer.len()).sum::<usize>();
        }
        stats
    }

    /// Open connections of `user` (for tests and logs).
    pub fn connections_of(&self, user: &str) -> usize {
        lock(self.shard(user))
            .users
            .get(user)
            .map_or(0, |state| state.conns.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(buffer_per_user: usize, buffered_users: usize, queue: usize) -> Arc<Hub> {
        Arc::new(Hub::new(
            HubConfig {
                buffer_per_user,
                buffered_users,
                queue,
                shards: 1,
            },
            Arc::default(),
        ))
    }

    fn task(seq: u64) -> Frame {
        Frame::new(
            Some(seq),
            format!(r#"{{"type":"task.updated","seq":{seq}}}"#),
            None,
        )
    }

    fn note(text: &str) -> Frame {
        Frame::new(None, text.to_owned(), None)
    }

    fn seqs(frames: &[Frame]) -> Vec<u64> {
        frames.iter().filter_map(|f| f.seq).collect()
    }

    fn drain(sub: &mut Subscription) -> Vec<Frame> {
        let mut out = Vec::new();
        while let Ok(frame) = sub.frames.try_recv() {
            out.push(frame);
        }
        out
    }

    #[test]
    fn fans_out_to_that_users_connections_only() {
        let hub = hub(16, 16, 16);
        let mut a1 = hub.subscribe("alice", None);
        let mut a2 = hub.subscribe("alice", None);
        let mut b = hub.subscribe("bob", None);
        assert_eq!(
            hub.publish("alice", task(1)),
            Published::Delivered {
                sockets: 2,
                slow: 0
            }
        );
        assert_eq!(seqs(&drain(&mut a1)), [1]);
        assert_eq!(seqs(&drain(&mut a2)), [1]);
        assert!(drain(&mut b).is_empty());
        hub.publish("bob", note("n"));
        assert_eq!(drain(&mut b)[0].text.as_str(), "n");
        assert!(drain(&mut a1).is_empty());
        assert_ne!(a1.conn_id, a2.conn_id);
    }

    #[test]
    fn dropping_a_subscription_unregisters_it() {
        let hub = hub(16, 16, 16);
        let a1 = hub.subscribe("alice", None);
        let _a2 = hub.subscribe("alice", None);
        assert_eq!(hub.connections_of("alice"), 2);
        drop(a1);
        assert_eq!(hub.connections_of("alice"), 1);
        assert_eq!(
            hub.publish("alice", task(1)),
            Published::Delivered {
                sockets: 1,
                slow: 0
            }
        );
    }

    #[test]
    fn resume_replays_what_was_missed_in_seq_order() {
        let hub = hub(16, 16, 16);
        // Out of order, as Kafka redeliveries can make it.
        for seq in [1, 2, 5, 3, 4] {
            hub.publish("alice", task(seq));
        }
        let sub = hub.subscribe("alice", Some(2));
        assert!(!sub.resync);
        assert_eq!(seqs(&sub.replay), [3, 4, 5]);

        let sub = hub.subscribe("alice", Some(0));
        assert!(!sub.resync);
        assert_eq!(seqs(&sub.replay), [1, 2, 3, 4, 5]);

        // Up to date, or ahead of what this replica saw: nothing to send.
        for since in [5, 9] {
            let sub = hub.subscribe("alice", Some(since));
            assert!(!sub.resync);
            assert!(sub.replay.is_empty());
        }
        // Without since: live only.
        let sub = hub.subscribe("alice", None);
        assert!(!sub.resync && sub.replay.is_empty());
    }

    #[test]
    fn replay_then_live_has_no_gap_or_duplicate() {
        let hub = hub(16, 16, 16);
        hub.publish("alice", task(1));
        hub.publish("alice", task(2));
        let mut sub = hub.subscribe("alice", Some(0));
        hub.publish("alice", task(3));
        hub.publish("alice", task(2)); // redelivered
        let live = drain(&mut sub);
        assert_eq!(seqs(&sub.replay), [1, 2]);
        assert_eq!(seqs(&live), [3]);
        assert!(live.iter().all(|f| sub.is_new(f)));
        assert!(
            !sub.is_new(&task(2)),
            "replayed seqs are filtered if they ever come live"
        );
    }

    /// After a restart of the service its buffer is empty and Kafka
    /// redelivers frames the resuming client already had: they are not sent
    /// again, nor are duplicates, but late out-of-order ones are.
    #[test]
    fn a_connection_never_gets_a_seq_it_has() {
        let hub = hub(16, 16, 16);
        let mut sub = hub.subscribe("alice", Some(3));
        for seq in [1, 2, 3, 5, 4, 5, 4, 6] {
            hub.publish("alice", task(seq));
        }
        let live = drain(&mut sub);
        let sent: Vec<u64> = live
            .iter()
            .filter(|f| sub.is_new(f))
            .filter_map(|f| f.seq)
            .collect();
        assert_eq!(sent, [5, 4, 6]);
    }

    #[test]
    fn without_since_the_memory_of_sent_seqs_stays_bounded() {
        let mut sent = SentSeqs::default();
        for seq in 1_000..2_000 {
            assert!(sent.record(seq));
        }
        assert!(
            sent.above.len() <= SENT_ABOVE_FLOOR + 1,
            "{}",
            sent.above.len()
        );
        assert!(!sent.record(1_999), "a recent seq is still known");
    }

    #[test]
    fn resume_and_fan_out_race_without_gaps() {
        const N: u64 = 2000;
        let hub = hub(N as usize, 16, N as usize);
        let publisher = {
            let hub = Arc::clone(&hub);
            std::thread::spawn(move || {
                for seq in 1..=N {
                    hub.publish("alice", task(seq));
                }
            })
        };
        let mut subs = Vec::new();
        for _ in 0..50 {
            subs.push(hub.subscribe("alice", Some(0)));
            std::thread::yield_now();
        }
        publisher.join().unwrap();
        for mut sub in subs {
            assert!(!sub.resync);
            let mut got = seqs(&sub.replay);
            got.extend(seqs(
                &drain(&mut sub)
                    .into_iter()
                    .filter(|f| sub.is_new(f))
                    .collect::<Vec<_>>(),
            ));
            assert_eq!(got, (1..=N).collect::<Vec<_>>());
        }
    }

    #[test]
    fn gap_older_than_the_buffer_asks_for_resync() {
        let hub = hub(4, 16, 16);
        for seq in 1..=10 {
            hub.publish("alice", task(seq));
        }
        // Buffer holds 7..=10.
        let sub = hub.subscribe("alice", Some(6));
        assert!(!sub.resync);
        assert_eq!(seqs(&sub.replay), [7, 8, 9, 10]);
        let sub = hub.subscribe("alice", Some(5));
        assert!(sub.resync);
        assert!(sub.replay.is_empty());
    }

    #[test]
    fn messages_this_replica_never_saw_ask_for_resync() {
        let hub = hub(16, 16, 16);
        // The replica started after seq 40 was published.
        hub.publish("alice", task(41));
        hub.publish("alice", task(42));
        assert!(hub.subscribe("alice", Some(39)).resync);
        let sub = hub.subscribe("alice", Some(40));
        assert!(!sub.resync);
        assert_eq!(seqs(&sub.replay), [41, 42]);
        // A user never heard of: no evidence of a gap.
        let sub = hub.subscribe("nobody", Some(7));
        assert!(!sub.resync && sub.replay.is_empty());
    }

    #[test]
    fn duplicates_are_dropped_and_not_fanned_out() {
        let hub = hub(3, 16, 16);
        let mut sub = hub.subscribe("alice", None);
        for seq in [1, 2, 3, 4] {
            hub.publish("alice", task(seq));
        }
        drain(&mut sub);
        assert_eq!(hub.publish("alice", task(3)), Published::Duplicate);
        // Older than the buffer: already evicted, so already seen.
        assert_eq!(hub.publish("alice", task(1)), Published::Duplicate);
        assert!(drain(&mut sub).is_empty());
        assert_eq!(hub.buffer_stats().messages, 3);
        assert_eq!(hub.metrics.messages_duplicate.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn notifications_are_live_only() {
        let hub = hub(16, 16, 16);
        hub.publish("alice", note("before anyone listens"));
        assert_eq!(hub.buffer_stats(), BufferStats::default());
        let mut sub = hub.subscribe("alice", Some(0));
        assert!(sub.replay.is_empty() && !sub.resync);
        hub.publish("alice", note("live"));
        hub.publish("alice", note("live")); // no seq: nothing to dedupe on
        assert_eq!(drain(&mut sub).len(), 2);
        assert_eq!(hub.buffer_stats().messages, 0);
    }

    #[test]
    fn slow_consumer_is_evicted_and_others_keep_receiving() {
        let hub = hub(16, 16, 2);
        let mut slow = hub.subscribe("alice", None);
        let mut fast = hub.subscribe("alice", None);
        for seq in 1..=2 {
            hub.publish("alice", task(seq));
            drain(&mut fast);
        }
        assert_eq!(
            hub.publish("alice", task(3)),
            Published::Delivered {
                sockets: 1,
                slow: 1
            }
        );
        assert_eq!(slow.kicked.try_recv(), Ok(Kick::Slow));
        assert_eq!(hub.connections_of("alice"), 1);
        assert_eq!(seqs(&drain(&mut fast)), [3]);
        for seq in 4..=10 {
            hub.publish("alice", task(seq));
            assert_eq!(seqs(&drain(&mut fast)), [seq]);
        }
        // The slow one got what fit in its queue, then nothing.
        assert_eq!(seqs(&drain(&mut slow)), [1, 2]);
        // A reconnect resumes where it left off.
        let sub = hub.subscribe("alice", Some(2));
        assert_eq!(seqs(&sub.replay), (3..=10).collect::<Vec<_>>());
    }

    #[test]
    fn memory_is_bounded() {
        let hub = hub(8, 3, 4);
        for user in 0..100 {
            for seq in 1..=50 {
                hub.publish(&format!("user-{user}"), task(seq));
            }
        }
        let stats = hub.buffer_stats();
        assert_eq!(stats.users, 3);
        assert_eq!(stats.messages, 3 * 8);
        // Users without sockets or buffers are forgotten entirely.
        assert_eq!(lock(&hub.shards[0]).users.len(), 3);
        // The most recent users keep their buffers.
        let sub = hub.subscribe("user-99", Some(45));
        assert_eq!(seqs(&sub.replay), [46, 47, 48, 49, 50]);
        // An evicted user cannot be resumed: resync, never a silent gap.
        assert!(hub.subscribe("user-0", Some(45)).resync);
    }

    #[test]
    fn evicting_a_connected_users_buffer_keeps_its_sockets() {
        let hub = hub(8, 1, 64);
        let mut alice = hub.subscribe("alice", None);
        hub.publish("alice", task(1));
        hub.publish("bob", task(1)); // evicts alice's buffer
        assert_eq!(hub.buffer_stats().users, 1);
        hub.publish("alice", task(2));
        assert_eq!(seqs(&drain(&mut alice)), [1, 2]);
        // Seq 1 was evicted: resuming from 0 must resync.
        assert!(hub.subscribe("alice", Some(0)).resync);
        let sub = hub.subscribe("alice", Some(1));
        assert_eq!(seqs(&sub.replay), [2]);
    }

    #[test]
    fn zero_sized_buffer_always_resyncs() {
        let hub = hub(0, 16, 16);
        let mut live = hub.subscribe("alice", None);
        hub.publish("alice", task(1));
        assert_eq!(seqs(&drain(&mut live)), [1]);
        assert_eq!(hub.publish("alice", task(1)), Published::Duplicate);
        assert!(hub.subscribe("alice", Some(0)).resync);
        assert!(!hub.subscribe("alice", Some(1)).resync);
    }

    #[test]
    fn bound_holds_across_shards_without_evicting_below_it() {
        let hub = Arc::new(Hub::new(
            HubConfig {
                buffer_per_user: 4,
                buffered_users: 100,
                queue: 4,
                shards: 16,
            },
            Arc::default(),
        ));
        for user in 0..100 {
            hub.publish(&format!("user-{user}"), task(1));
        }
        assert_eq!(
            hub.buffer_stats().users,
            100,
            "nothing evicted below the bound"
        );
        for user in 100..1000 {
            hub.publish(&format!("user-{user}"), task(1));
            assert!(hub.buffer_stats().users <= 100 + 16);
        }
        assert!(hub.buffer_stats().users >= 100);
        // The latest users are kept.
        assert!(!hub.subscribe("user-999", Some(0)).resync);
    }
}
