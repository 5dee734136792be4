//! A small, typed client for the Dapr sidecar's HTTP API.
//!
//! The client never performs I/O itself: every call builds an [`http::Request`]
//! and hands it to a [`Transport`], then parses the [`http::Response`]. Wasm
//! components plug in Spin's outbound HTTP, the native shim and the tests plug
//! in a native HTTP client, and the request/response mapping is unit-tested
//! without a sidecar.
//!
//! Only the building blocks this system uses are covered: state (with ETags and
//! transactions), pub/sub, jobs, secrets, service invocation, and the
//! Conversation API (alpha2) with the metadata that finds its component.

mod client;
mod conversation;
mod error;
mod jobs;
mod pubsub;
mod state;

pub use client::{DaprClient, Transport, TransportError};
pub use conversation::Component;
pub use error::DaprError;
pub use jobs::{FailurePolicy, Job};
pub use pubsub::{CloudEvent, SubscriptionReply, TopicSubscription};
pub use state::{BulkItem, StateOp, Versioned};
