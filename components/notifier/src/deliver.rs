//! Delivering `reminder.due` once per reminder per occurrence, and the
//! user's notification list.

use chrono::{DateTime, Utc};
use dapr_http::SubscriptionReply;
use serde::{Deserialize, Serialize};
use service_kit::paged_log::{Appended, PagedLog};
use service_kit::{Ctx, Dapr, FieldError, Incoming, Problem, Response, subscriber};
use todo_domain::{LogPaging, ReminderDue, Topic, UserId};

use crate::{PUBSUB, STORE};

/// One entry of `GET /api/{user_id}/notifications`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub task_id: u64,
    pub reminder_id: u32,
    pub title: String,
    pub remind_at: DateTime<Utc>,
    pub occurrence: u32,
    pub delivered_at: DateTime<Utc>,
    /// Milliseconds between the reminder time and delivery.
    pub late_ms: i64,
    pub read: bool,
}

fn log_of(dapr: &Dapr) -> PagedLog<'_> {
    PagedLog::new(dapr, STORE, "notifications")
}

/// One notification's id: unique per user, reminder, occurrence and time,
/// so a reminder is delivered once however often its job fires or its
/// event is delivered, and again only if it is moved to another time.
pub fn notification_id(
    task_id: u64,
    reminder_id: u32,
    occurrence: u32,
    remind_at: DateTime<Utc>,
) -> String {
    format!(
        "t{task_id}-r{reminder_id}-o{occurrence}-{}",
        remind_at.timestamp()
    )
}

pub async fn on_reminder(ctx: &Ctx, req: &Incoming) -> SubscriptionReply {
    let event = match subscriber::accept(ctx.service, Topic::Reminders, req, |data| {
        ReminderDue::from_incoming(data).map_err(|e| e.to_string())
    }) {
        Ok(event) => event,
        Err(dropped) => return dropped,
    };
    let (dapr, now) = (&ctx.dapr, ctx.now);
    let id = notification_id(
        event.task_id,
        event.reminder_id.0,
        event.occurrence,
        event.remind_at,
    );
    let user = event.user_id.as_str();
    let notification = Notification {
        id: id.clone(),
        task_id: event.task_id,
        reminder_id: event.reminder_id.0,
        title: event.title.clone(),
        remind_at: event.remind_at,
        occurrence: event.occurrence,
        delivered_at: now,
        late_ms: (now - event.remind_at).num_milliseconds(),
        read: false,
    };
    match log_of(dapr).append(user, &id, &notification).await {
        Ok(Appended::Duplicate) => {
            // Kafka redelivers after a crash; the reminder was told once.
            tracing::info!(user_id = %user, task_id = %event.task_id, "duplicate reminder ignored");
            SubscriptionReply::Success
        }
        Ok(Appended::Stored) => {
            tracing::info!(
                user_id = %user,
                task_id = %event.task_id,
                title = %event.title,
                remind_at = %event.remind_at,
                late_ms = %notification.late_ms,
                "REMINDER",
            );
            if let Err(e) = dapr
                .publish(
                    PUBSUB,
                    Topic::TaskUpdates.name(),
                    &event.device_update(),
                    user,
                )
                .await
            {
                // The notification is stored and listed; only the live push is lost.
                tracing::warn!(
                    user_id = %user,
                    error = %e,
                    "could not push the notification to devices",
                );
            }
            SubscriptionReply::Success
        }
        Err(e) => {
            tracing::error!(
                user_id = %user,
                error = %e,
                "could not store the notification; will retry",
            );
            SubscriptionReply::Retry
        }
    }
}

pub async fn list(dapr: &Dapr, req: &Incoming, user: &UserId) -> Result<Response, Problem> {
    let mut unread_only = false;
    let mut errors = Vec::new();
    for (key, value) in &req.query {
        match (key.as_str(), value.as_str()) {
            ("unread", "true") => unread_only = true,
            ("unread", "false") => unread_only = false,
            ("unread", other) => {
                return Err(Problem::bad_request(format!(
                    "unread must be true or false, not '{other}'"
                )));
            }
            (key, _) if LogPaging::PARAMS.contains(&key) => {}
            _ => errors.push(FieldError::new(
                key.clone(),
                "unknown parameter; use unread=true|false, limit or cursor",
            )),
        }
    }
    // A cursor belongs to the filter it was issued with.
    let paging = LogPaging::from_pairs(&req.query, &format!("notifications\u{1f}{unread_only}"))
        .map_err(|e| errors.extend(e))
        .ok();
    let paging = match paging {
        Some(paging) if errors.is_empty() => paging,
        _ => return Err(Problem::invalid(errors)),
    };
    let items: Vec<Notification> = log_of(dapr).read_all(user).await?;
    Ok(service_kit::json(
        http::StatusCode::OK,
        &paging.page(items, |n| !unread_only || !n.read),
    ))
}

pub async fn mark_read(dapr: &Dapr, user: &UserId, id: &str) -> Result<Response, Problem> {
    let changed = log_of(dapr)
        .update(user, |n: &mut Notification| {
            let hit = n.id == id && !n.read;
            if hit {
                n.read = true;
            }
            hit
        })
        .await?;
    if changed {
        return Ok(service_kit::empty(http::StatusCode::NO_CONTENT));
    }
    let exists = log_of(dapr)
        .read_all::<Notification>(user)
        .await?
        .iter()
        .any(|n| n.id == id);
    if exists {
        Ok(service_kit::empty(http::StatusCode::NO_CONTENT))
    } else {
        Err(Problem::not_found(format!(
            "notification '{id}' does not exist"
        )))
    }
}
