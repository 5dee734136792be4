//! Every end-to-end suite in one test binary (one link, one pool of test
//! threads), each file a module; helpers shared by several suites live in
//! the `e2e` library (`e2e/src`), and every response of the public API read
//! through them is checked against the OpenAPI document (`e2e::openapi`;
//! only `Stack::raw` is unchecked). They run against the stack that
//! `scripts/stack test` starts: real daprd sidecars, the real scheduler and
//! a real Kafka broker.
//!
//! Tests whose names start with `disruptive_` stop, kill or restart parts
//! of the shared stack; `scripts/stack test` runs everything else first
//! (`--skip disruptive_`), then those alone, one at a time.
//! `e2e/tests/k8s_drills.rs` stays a binary of its own: only
//! `scripts/stack k8s test` runs it.

mod api_auth;
mod api_bad_input;
mod api_calendar;
mod api_events;
mod api_query;
mod api_tasks;
mod audit;
mod chat;
mod chat_model;
mod components;
mod contract_events;
mod contract_openapi;
mod crash;
mod dead_letter;
mod invocation;
mod mcp;
mod methods;
mod outage;
mod realtime;
mod recovery;
mod recurring;
mod reminders;
mod restarts;
mod security;
mod sidecar_routes;
mod skeleton;
mod tracing;
mod web_app;
mod ws_abuse;
