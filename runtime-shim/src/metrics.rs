//! Counters, gauges and histograms, exposed in the Prometheus text format
//! (written by hand: a handful of atomics need no metrics library).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds of the latency histograms' buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram with fixed buckets.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Non-cumulative counts per bucket; the last one is +Inf.
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, value: Duration) {
        let secs = value.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| secs <= *bound)
            .unwrap_or(BUCKETS.len());
        self.counts[bucket].fetch_add(1, Relaxed);
        let micros = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    /// How many observations were recorded.
    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.counts[BUCKETS.len()].load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}");
        // Reads of the buckets and the count are not atomic together; the
        // +Inf bucket is what scrapers check against, so report it as count.
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

/// The service's metrics. Shared by every task, updated with relaxed atomics.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Open WebSockets.
    pub connections: AtomicI64,
    /// Messages Dapr delivered to `/events/task-updates`.
    pub messages_received: AtomicU64,
    /// Of those, dropped as invalid (answered DROP, dead-lettered).
    pub messages_invalid: AtomicU64,
    /// Of those, ignored as a sequence number already seen.
    pub messages_duplicate: AtomicU64,
    /// Frames written to sockets (live, replayed and control frames).
    pub frames_sent: AtomicU64,
    /// Frames written from a resume buffer.
    pub frames_replayed: AtomicU64,
    /// `resync` frames sent: a resume asked for more than the buffer held.
    pub resyncs: AtomicU64,
    /// Clients disconnected for not keeping up (close 1013 or write timeout).
    pub slow_disconnects: AtomicU64,
    /// Upgrades refused for a missing, invalid or expired token.
    pub auth_failures: AtomicU64,
    /// From a message's arrival at the app port to its frame being written
    /// to a socket: this process's own delivery latency.
    pub fanout_seconds: Histogram,
    /// From the payload's `occurred_at` to the frame being written to a
    /// socket: the end-to-end latency through Dapr and Kafka (clocks of
    /// different hosts are compared; negative differences count as zero).
    pub event_to_socket_seconds: Histogram,
}

/// Gauges read from the hub when the metrics are scraped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BufferStats {
    /// Users with a resume buffer.
    pub users: usize,
    /// Messages held in all resume buffers.
    pub messages: usize,
}

impl Metrics {
    /// Adds one to `counter`.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self, buffers: BufferStats) -> String {
        let mut out = String::with_capacity(4096);
        gauge(
            &mut out,
            "realtime_connections",
            "Open WebSocket connections.",
            self.connections.load(Relaxed),
        );
        counter(
            &mut out,
            "realtime_messages_received_total",
            "Messages delivered by Dapr on the task-updates topic.",
            &self.messages_received,
        );
        let _ = writeln!(
            out,
            "# HELP realtime_messages_dropped_total Received messages not pushed, by reason.\n\
             # TYPE realtime_messages_dropped_total counter\n\
             realtime_messages_dropped_total{{reason=\"invalid\"}} {}\n\
             realtime_messages_dropped_total{{reason=\"duplicate\"}} {}",
            self.messages_invalid.load(Relaxed),
            self.messages_duplicate.load(Relaxed),
        );
        counter(
            &mut out,
            "realtime_frames_sent_total",
            "WebSocket frames written to clients.",
            &self.frames_sent,
        );
        counter(
            &mut out,
            "realtime_frames_replayed_total",
            "Frames written from resume buffers on reconnect.",
            &self.frames_replayed,
        );
        counter(
            &mut out,
            "realtime_resyncs_total",
            "Resumes that asked for more than the buffer held (resync sent).",
            &self.resyncs,
        );
        counter(
            &mut out,
            "realtime_slow_disconnects_total",
            "Clients disconnected for not keeping up with their frames.",
            &self.slow_disconnects,
        );
        counter(
            &mut out,
            "realtime_auth_failures_total",
            "WebSocket upgrades refused for a missing, invalid or expired token.",
            &self.auth_failures,
        );
        gauge(
            &mut out,
            "realtime_buffered_users",
            "Users with a resume buffer.",
            buffers.users as i64,
        );
        gauge(
            &mut out,
            "realtime_buffered_messages",
            "Messages held in resume buffers.",
            buffers.messages as i64,
        );
        self.fanout_seconds.render(
            &mut out,
            "realtime_fanout_seconds",
            "Seconds from a message's arrival from Dapr to its frame being written to a socket.",
        );
        self.event_to_socket_seconds.render(
            &mut out,
            "realtime_event_to_socket_seconds",
            "Seconds from the event's occurred_at to its frame being written to a socket.",
        );
        out
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: &AtomicU64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
        value.load(Relaxed)
    );
}

fn gauge(out: &mut String, name: &str, help: &str, value: i64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(60));
        let mut out = String::new();
        h.render(&mut out, "x_seconds", "help");
        assert!(out.contains("# TYPE x_seconds histogram\n"));
        assert!(out.contains("x_seconds_bucket{le=\"0.0005\"} 1\n"));
        assert!(out.contains("x_seconds_bucket{le=\"0.005\"} 2\n"));
        assert!(out.contains("x_seconds_bucket{le=\"10\"} 2\n"));
        assert!(out.contains("x_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(out.contains("x_seconds_sum 60.0033\n"));
        assert!(out.contains("x_seconds_count 3\n"));
    }

    #[test]
    fn exposition_names_every_metric() {
        let m = Metrics::default();
        m.connections.fetch_add(2, Relaxed);
        Metrics::inc(&m.messages_received);
        let text = m.render(BufferStats {
            users: 1,
            messages: 5,
        });
        for line in [
            "# TYPE realtime_connections gauge",
            "realtime_connections 2",
            "realtime_messages_received_total 1",
            "realtime_messages_dropped_total{reason=\"invalid\"} 0",
            "realtime_frames_sent_total 0",
            "realtime_slow_disconnects_total 0",
            "realtime_buffered_messages 5",
            "# TYPE realtime_fanout_seconds histogram",
            "# TYPE realtime_event_to_socket_seconds histogram",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        // Every sample line is `name{labels} value`.
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = l.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{l}");
        }
    }
}
