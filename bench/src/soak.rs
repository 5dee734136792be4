//! The pure parts of the soak (`benches/soak.rs`): which operation a
//! client sends next, latencies gathered per time window, and the verdict
//! against the soak's goals (no error, memory growth under 10%, p99 flat).

use std::time::Duration;

use crate::stats::Samples;

/// What one soak request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `GET /tasks?limit=20`
    List,
    /// `GET /tasks/{id}` of a task the client created.
    Get,
    /// `POST /tasks` without reminders.
    Create,
    /// `POST /tasks` with a reminder a minute or two ahead, so reminders
    /// keep firing while the soak runs.
    CreateReminding,
    /// `PATCH /tasks/{id}/complete` of a task without reminders.
    Complete,
    /// `DELETE /tasks/{id}` of a task without reminders.
    Delete,
}

/// The mix, out of 20 requests: mostly reads, as people use a task list.
const MIX: [(Op, u64); 6] = [
    (Op::List, 8),
    (Op::Get, 4),
    (Op::Create, 3),
    (Op::CreateReminding, 2),
    (Op::Complete, 2),
    (Op::Delete, 1),
];

/// The `n`th request's operation: the mix in a fixed order, so every run
/// sends the same load.
pub fn op_for(n: u64) -> Op {
    let total: u64 = MIX.iter().map(|(_, weight)| weight).sum();
    let mut slot = n % total;
    for (op, weight) in MIX {
        if slot < weight {
            return op;
        }
        slot -= weight;
    }
    unreachable!("slot is below the mix's total")
}

/// Latencies and errors, bucketed by when the request was sent.
#[derive(Debug)]
pub struct Windows {
    length: Duration,
    buckets: Vec<(Vec<Duration>, usize)>,
}

impl Windows {
    /// Windows of `length` each (not zero) over a run of `total`.
    pub fn new(length: Duration, total: Duration) -> Windows {
        let length = length.max(Duration::from_secs(1));
        let count = total.as_secs_f64() / length.as_secs_f64();
        Windows {
            length,
            buckets: vec![(Vec::new(), 0); (count.ceil() as usize).max(1)],
        }
    }

    /// Records one request sent `at` after the start; `None` is an error.
    /// A request past the last window counts in the last one.
    pub fn record(&mut self, at: Duration, latency: Option<Duration>) {
        let index =
            ((at.as_secs_f64() / self.length.as_secs_f64()) as usize).min(self.buckets.len() - 1);
        let bucket = &mut self.buckets[index];
        match latency {
            Some(latency) => bucket.0.push(latency),
            None => bucket.1 += 1,
        }
    }

    /// Each window's samples, in order; its wall time is the window's length.
    pub fn samples(&self) -> Vec<Samples> {
        self.buckets
            .iter()
            .map(|(latencies, errors)| Samples::new(latencies.clone(), *errors, self.length))
            .collect()
    }

    /// The window length.
    pub fn length(&self) -> Duration {
        self.length
    }
}

/// One process's resident memory at the start and the end, in KiB.
#[derive(Clone, Debug)]
pub struct Memory {
    pub process: String,
    pub start_kib: u64,
    pub end_kib: u64,
}

impl Memory {
    /// Growth from start to end, in percent (negative when it shrank).
    pub fn growth_percent(&self) -> f64 {
        if self.start_kib == 0 {
            return 0.0;
        }
        (self.end_kib as f64 - self.start_kib as f64) * 100.0 / self.start_kib as f64
    }
}

/// The soak's goals, each met or not, with the figure that decides it.
#[derive(Debug, PartialEq)]
pub struct Verdict {
    pub errors: usize,
    /// The largest growth among the processes, and whose.
    pub worst_growth: Option<(String, f64)>,
    /// The slowest window's p99 over the fastest's.
    pub p99_spread: f64,
}

/// Memory may grow by less than this, in percent.
pub const MEMORY_GOAL_PERCENT: f64 = 10.0;
/// The slowest window's p99 may be at most this many times the fastest's.
pub const P99_FLAT_RATIO: f64 = 1.5;

impl Verdict {
    /// Judges a run from its windows and its processes' memory. Windows
    /// without a sample are left out of the p99 comparison.
    pub fn of(windows: &[Samples], memory: &[Memory]) -> Verdict {
        let errors = windows.iter().map(Samples::errors).sum();
        let worst_growth = memory
            .iter()
            .map(|m| (m.process.clone(), m.growth_percent()))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let p99s: Vec<f64> = windows
            .iter()
            .filter(|w| w.count() > 0)
            .map(|w| w.percentile(99.0).as_secs_f64())
            .collect();
        let fastest = p99s.iter().copied().fold(f64::INFINITY, f64::min);
        let slowest = p99s.iter().copied().fold(0.0, f64::max);
        let p99_spread = if fastest.is_finite() && fastest > 0.0 {
            slowest / fastest
        } else {
            1.0
        };
        Verdict {
            errors,
            worst_growth,
            p99_spread,
        }
    }

    pub fn no_errors(&self) -> bool {
        self.errors == 0
    }

    pub fn memory_held(&self) -> bool {
        self.worst_growth
            .as_ref()
            .is_none_or(|(_, growth)| *growth < MEMORY_GOAL_PERCENT)
    }

    pub fn p99_flat(&self) -> bool {
        self.p99_spread <= P99_FLAT_RATIO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_repeats_every_twenty_requests_in_its_proportions() {
        let first: Vec<Op> = (0..20).map(op_for).collect();
        let again: Vec<Op> = (20..40).map(op_for).collect();
        assert_eq!(first, again);
        let count = |op| first.iter().filter(|o| **o == op).count();
        assert_eq!(count(Op::List), 8);
        assert_eq!(count(Op::Get), 4);
        assert_eq!(count(Op::Create), 3);
        assert_eq!(count(Op::CreateReminding), 2);
        assert_eq!(count(Op::Complete), 2);
        assert_eq!(count(Op::Delete), 1);
    }

    #[test]
    fn requests_land_in_the_window_they_were_sent_in() {
        let minute = Duration::from_secs(60);
        let mut windows = Windows::new(minute, Duration::from_secs(150));
        windows.record(Duration::from_secs(10), Some(Duration::from_millis(5)));
        windows.record(Duration::from_secs(70), None);
        windows.record(Duration::from_secs(130), Some(Duration::from_millis(9)));
        // Past the end: counted in the last window, not lost.
        windows.record(Duration::from_secs(400), Some(Duration::from_millis(7)));
        let samples = windows.samples();
        assert_eq!(samples.len(), 3);
        assert_eq!((samples[0].count(), samples[0].errors()), (1, 0));
        assert_eq!((samples[1].count(), samples[1].errors()), (0, 1));
        assert_eq!(samples[2].count(), 2);
        assert_eq!(samples[2].max(), Duration::from_millis(9));
    }

    fn window(latencies_ms: &[u64], errors: usize) -> Samples {
        Samples::new(
            latencies_ms
                .iter()
                .map(|ms| Duration::from_millis(*ms))
                .collect(),
            errors,
            Duration::from_secs(300),
        )
    }

    fn memory(process: &str, start_kib: u64, end_kib: u64) -> Memory {
        Memory {
            process: process.into(),
            start_kib,
            end_kib,
        }
    }

    #[test]
    fn a_quiet_run_meets_every_goal() {
        let verdict = Verdict::of(
            &[window(&[10, 20], 0), window(&[12, 25], 0), window(&[], 0)],
            &[memory("todo-api", 1000, 1050), memory("kafka", 2000, 1900)],
        );
        assert!(verdict.no_errors() && verdict.memory_held() && verdict.p99_flat());
        assert_eq!(verdict.worst_growth, Some(("todo-api".into(), 5.0)));
        assert_eq!(verdict.p99_spread, 1.25);
    }

    #[test]
    fn errors_growth_and_a_rising_p99_are_each_named() {
        let verdict = Verdict::of(
            &[window(&[10], 0), window(&[40], 2)],
            &[memory("realtime", 1000, 1200)],
        );
        assert_eq!(verdict.errors, 2);
        assert!(!verdict.no_errors());
        assert!(!verdict.memory_held(), "20% growth");
        assert!(!verdict.p99_flat(), "p99 went from 10 to 40 ms");
    }
}
