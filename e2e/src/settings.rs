//! Knobs the suites and the benches under `bench/` read from the environment.

use anyhow::{Context, Result};

/// A whole-number knob from the environment, `default` when unset.
pub fn setting(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .with_context(|| format!("{name}={v:?} is not a whole number")),
        Err(_) => Ok(default),
    }
}
