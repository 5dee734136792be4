//! The pure parts of the todo-api benchmark (`benches/api.rs`): the task
//! corpus it creates, and latency statistics and their table. Nothing here
//! does I/O, so it is unit-tested like any library.

pub mod corpus;
pub mod stats;
