//! The pure parts of the benches: the task corpus `benches/api.rs` creates,
//! latency statistics and their table, and the soak's load mix, windows and
//! verdict. Nothing here does I/O, so it is unit-tested like any library.

pub mod corpus;
pub mod soak;
pub mod stats;
