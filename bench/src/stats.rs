//! Latency samples, their percentiles and the table the benchmark prints.

use std::time::Duration;

/// The latencies of one kind of request, and how long the whole run took.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    latencies: Vec<Duration>,
    errors: usize,
    wall: Duration,
}

impl Samples {
    /// Samples of a run that took `wall` in all.
    pub fn new(latencies: Vec<Duration>, errors: usize, wall: Duration) -> Samples {
        let mut latencies = latencies;
        latencies.sort_unstable();
        Samples {
            latencies,
            errors,
            wall,
        }
    }

    /// How many requests succeeded.
    pub fn count(&self) -> usize {
        self.latencies.len()
    }

    /// How many failed (not counted in the latencies).
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// The nearest-rank percentile `p` (0-100); zero without samples.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    /// The slowest request.
    pub fn max(&self) -> Duration {
        self.latencies.last().copied().unwrap_or_default()
    }

    /// Successful requests per second over the whole run.
    pub fn rate(&self) -> f64 {
        let secs = self.wall.as_secs_f64();
        if secs > 0.0 {
            self.count() as f64 / secs
        } else {
            0.0
        }
    }
}

/// Milliseconds with one decimal, as the tables print them.
pub fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// A Markdown table row: name, requests, errors, p50, p99, max, rate, note.
pub fn row(name: &str, samples: &Samples, note: &str) -> String {
    format!(
        "| {name} | {} | {} | {} | {} | {} | {:.1} | {note} |",
        samples.count(),
        samples.errors(),
        ms(samples.percentile(50.0)),
        ms(samples.percentile(99.0)),
        ms(samples.max()),
        samples.rate()
    )
}

/// The header of the table [`row`] writes.
pub const HEADER: &str = "| operation | requests | errors | p50 ms | p99 ms | max ms | req/s | note |\n|---|---:|---:|---:|---:|---:|---:|---|";

/// The resident memory in KiB that a `/proc/<pid>/status` text reports
/// (`VmRSS:   1234 kB`).
pub fn vm_rss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(values: &[u64]) -> Samples {
        Samples::new(
            values.iter().map(|v| Duration::from_millis(*v)).collect(),
            0,
            Duration::from_secs(2),
        )
    }

    #[test]
    fn resident_memory_is_read_from_a_status_text() {
        let status = "Name:\trealtime\nVmPeak:\t  9000 kB\nVmRSS:\t  7168 kB\nThreads:\t3\n";
        assert_eq!(vm_rss_kib(status), Some(7168));
        assert_eq!(vm_rss_kib("Name:\tx\n"), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples = millis(&(1..=100).rev().collect::<Vec<_>>());
        assert_eq!(samples.percentile(50.0), Duration::from_millis(50));
        assert_eq!(samples.percentile(99.0), Duration::from_millis(99));
        assert_eq!(samples.percentile(100.0), Duration::from_millis(100));
        assert_eq!(samples.max(), Duration::from_millis(100));
        assert_eq!(millis(&[7]).percentile(99.0), Duration::from_millis(7));
        assert_eq!(millis(&[]).percentile(50.0), Duration::ZERO);
    }

    #[test]
    fn the_rate_counts_successes_over_the_wall_time() {
        let samples = Samples::new(
            vec![Duration::from_millis(1); 10],
            3,
            Duration::from_secs(2),
        );
        assert_eq!(samples.rate(), 5.0);
        assert_eq!(samples.errors(), 3);
        assert!(row("x", &samples, "n").starts_with("| x | 10 | 3 | 1.0 | 1.0 | 1.0 | 5.0 | n |"));
    }
}
