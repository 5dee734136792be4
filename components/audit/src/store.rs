//! The audit log in audit's own state store.

use service_kit::paged_log::{Appended, PagedLog};
use service_kit::{Dapr, Problem};
use todo_domain::{Page, UserId};

use crate::entry::{AuditEntry, AuditQuery};

/// audit's state store component.
const STORE: &str = todo_domain::names::store::AUDIT;

fn log(dapr: &Dapr) -> PagedLog<'_> {
    PagedLog::new(dapr, STORE, "audit")
}

/// Stores `entry` once; a redelivered event is a no-op.
pub async fn record(dapr: &Dapr, entry: &AuditEntry) -> Result<Appended, dapr_http::DaprError> {
    log(dapr).append(&entry.user_id, &entry.id, entry).await
}

/// One page of `user_id`'s log, newest first.
pub async fn list(
    dapr: &Dapr,
    user_id: &UserId,
    query: &AuditQuery,
) -> Result<Page<AuditEntry>, Problem> {
    let entries: Vec<AuditEntry> = log(dapr).read_all(user_id).await?;
    Ok(query.page(entries))
}
