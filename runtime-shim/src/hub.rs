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
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
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
    pub fn new(seq: Option<u64>, text: impl Into<Utf8Bytes>, occurred_at: Option<SystemTime>) -> Self {
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
    /// Users whose messages are kept (approximately: the bound is split
    /// evenly across shards).
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
    replayed: HashSet<u64>,
    registration: Registration,
}

impl Subscription {
    /// Whether a live frame should be sent: false when it was already sent
    /// as part of the replay (a guard; the shared lock already prevents it).
    pub fn is_new(&self, frame: &Frame) -> bool {
        frame.seq.is_none_or(|seq| !self.replayed.contains(&seq))
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
    users_per_shard: usize,
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

/// Marks `user` as just used in the LRU order (it has a buffer).
fn touch(shard: &mut Shard, user: &str) {
    let key = shard.tick();
    let Some(state) = shard.users.get_mut(user) else {
        return;
    };
    if state.buffer.is_empty() {
        return;
    }
    let name = match state.lru_key.replace(key).and_then(|old| shard.lru.remove(&old)) {
        Some(name) => name,
        None => user.to_owned(),
    };
    shard.lru.insert(key, name);
}

/// Evicts least recently used buffers until at most `limit` remain.
fn enforce_bound(shard: &mut Shard, limit: usize) {
    while shard.lru.len() > limit {
        let Some((_, user)) = shard.lru.pop_first() else {
            return;
        };
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

impl Hub {
    /// An empty hub.
    pub fn new(config: HubConfig, metrics: Arc<Metrics>) -> Self {
        let shards = config.shards.max(1);
        Self {
            shards: (0..shards).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            users_per_shard: config.buffered_users.div_ceil(shards).max(1),
            buffer_per_user: config.buffer_per_user,
            queue: config.queue.max(1),
            next_conn: AtomicU64::new(1),
            metrics,
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
            if state.buffer.is_empty() {
                // A zero-sized buffer keeps nothing; only `latest` is known.
                state.lru_key = None;
            } else {
                touch(shard, user);
                enforce_bound(shard, self.users_per_shard);
            }
        }
        let Some(state) = shard.users.get_mut(user) else {
            return Published::Delivered { sockets: 0, slow: 0 };
        };
        let (mut sockets, mut slow) = (0, 0);
        state.conns.retain_mut(|conn| match conn.tx.try_send(frame.clone()) {
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
        if state.conns.is_empty() && state.buffer.is_empty() && state.latest.is_none() {
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
            touch(shard, user);
            resumed
        };
        if resync {
            Metrics::inc(&self.metrics.resyncs);
        }
        let replayed = replay.iter().filter_map(|f| f.seq).collect();
        Subscription {
            conn_id,
            frames,
            kicked,
            resync,
            replay,
            replayed,
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
