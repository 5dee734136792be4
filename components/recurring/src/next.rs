//! One delivery from `task-events`: for a completed recurring task, have
//! todo-api create the next instance.

use dapr_http::SubscriptionReply;
use http::Method;
use service_kit::{Ctx, Dapr, Incoming, subscriber};
use todo_domain::{NewInstance, TaskEvent, TaskEventType, Topic};

/// What a valid task event asks of this service.
#[derive(Debug, PartialEq)]
enum Plan {
    /// Create this instance (idempotently).
    Create(Box<NewInstance>),
    /// Nothing to do, and why (for the log).
    Skip(&'static str),
}

/// Decides from the event alone; the completion time counts for
/// `after_completion` and for skipping missed occurrences.
fn plan(event: &TaskEvent) -> Plan {
    if event.event_type != TaskEventType::Completed {
        return Plan::Skip("not a completion");
    }
    if event.task.recurrence.is_none() {
        return Plan::Skip("not recurring");
    }
    let completed_at = event.task.completed_at.unwrap_or(event.occurred_at);
    match event.task.next_instance(completed_at) {
        Some(instance) => Plan::Create(Box::new(instance)),
        None => Plan::Skip("the series has ended"),
    }
}

pub async fn on_task_event(ctx: &Ctx, topic: Topic, request: &Incoming) -> SubscriptionReply {
    let event = match subscriber::task_event(ctx.service, topic, request) {
        Ok(event) => event,
        Err(dropped) => return dropped,
    };
    match plan(&event) {
        Plan::Skip(why) => {
            if event.event_type == TaskEventType::Completed {
                tracing::info!(event_id = %event.event_id, reason = %why, "no next instance");
            }
            SubscriptionReply::Success
        }
        Plan::Create(instance) => create(&ctx.dapr, &event, &instance).await,
    }
}

/// Asks todo-api for the instance. todo-api answers 201 the first time and
/// 200 for the same (series, occurrence) again, so retries are harmless.
async fn create(dapr: &Dapr, event: &TaskEvent, instance: &NewInstance) -> SubscriptionReply {
    let body = match serde_json::to_vec(instance) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(
                event_id = %event.event_id,
                error = %e,
                "could not encode the next instance",
            );
            return SubscriptionReply::Drop;
        }
    };
    let path = format!("/internal/users/{}/instances", event.user_id.as_str());
    let headers = [(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    )];
    let response = match dapr
        .invoke("todo-api", Method::POST, &path, &headers, body)
        .await
    {
        Ok(response) => response,
        Err(e) => {
            tracing::warn!(
                event_id = %event.event_id,
                error = %e,
                "todo-api unreachable; will retry",
            );
            return SubscriptionReply::Retry;
        }
    };
    let status = response.status();
    if status.is_success() {
        tracing::info!(
            event_id = %event.event_id,
            user_id = %event.user_id.as_str(),
            task_id = %event.task_id,
            occurrence = %instance.occurrence,
            due_date = %instance.due_date,
            created = %(status == http::StatusCode::CREATED),
            "next instance ensured",
        );
        SubscriptionReply::Success
    } else if status.is_client_error() {
        // todo-api refuses this instance for good (invalid or forbidden):
        // retrying cannot help; the event goes to the dead-letter topic.
        tracing::warn!(
            event_id = %event.event_id,
            status = %status,
            body = %(String::from_utf8_lossy(response.body())),
            "todo-api refused the next instance; dead-lettering the event",
        );
        SubscriptionReply::Drop
    } else {
        tracing::warn!(event_id = %event.event_id, status = %status, "todo-api failed; will retry");
        SubscriptionReply::Retry
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use todo_domain::{IncomingEvent, validate_incoming};

    fn event(task: serde_json::Value, event_type: &str) -> TaskEvent {
        let value = json!({
            "event_id": "e-1", "event_type": event_type, "schema_version": 1,
            "user_id": "alice", "task_id": 3, "task_version": 2, "seq": 4,
            "occurred_at": "2027-01-31T10:00:00Z", "task": task,
        });
        match validate_incoming(&value) {
            Ok(IncomingEvent::Task(e)) => *e,
            other => panic!("not a task event: {other:?}"),
        }
    }

    fn task(extra: serde_json::Value) -> serde_json::Value {
        let mut task = json!({
            "id": 3, "user_id": "alice", "title": "Invoice", "description": null,
            "completed": true, "completed_at": "2027-01-31T10:00:00Z",
            "priority": "high", "tags": ["work"], "category": "admin",
            "parent_task_id": null, "created_at": "2027-01-01T00:00:00Z",
            "updated_at": "2027-01-31T10:00:00Z", "due_date": "2027-01-31",
            "timezone": "UTC", "reminders": [], "recurrence": null,
            "series_id": null, "occurrence": 1, "version": 2,
        });
        for (k, v) in extra.as_object().expect("an object") {
            task[k] = v.clone();
        }
        task
    }

    #[test]
    fn a_completed_monthly_task_on_the_31st_plans_the_end_of_february() {
        let e = event(
            task(json!({
                "recurrence": {"frequency": "monthly"},
                "series_id": "s-1",
            })),
            "task.completed",
        );
        let Plan::Create(instance) = plan(&e) else {
            panic!("expected an instance")
        };
        assert_eq!(instance.due_date.to_string(), "2027-02-28");
        assert_eq!(instance.occurrence, 2);
        assert_eq!(instance.idempotency_key(), "series:s-1:occurrence:2");
        assert_eq!(instance.category.as_deref(), Some("admin"));
    }

    #[test]
    fn other_events_and_plain_tasks_plan_nothing() {
        let recurring = task(json!({"recurrence": {"frequency": "daily"}, "series_id": "s"}));
        assert_eq!(
            plan(&event(recurring, "task.updated")),
            Plan::Skip("not a completion")
        );
        assert_eq!(
            plan(&event(task(json!({})), "task.completed")),
            Plan::Skip("not recurring")
        );
        let ended = task(json!({
            "recurrence": {"frequency": "daily", "count": 1}, "series_id": "s"
        }));
        assert_eq!(
            plan(&event(ended, "task.completed")),
            Plan::Skip("the series has ended")
        );
    }
}
