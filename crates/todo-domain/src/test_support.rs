//! Helpers shared by the unit tests.

use chrono::{DateTime, Utc};

use crate::due::{Due, TimeZone};
use crate::task::{Priority, Task, UserId};

/// An instant from RFC 3339.
pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test instant")
        .with_timezone(&Utc)
}

/// A due date from its wire form.
pub fn due(s: &str) -> Due {
    Due::parse(s).expect("test due date")
}

/// A time zone from its IANA name.
pub fn tz(name: &str) -> TimeZone {
    TimeZone::parse(name).expect("test time zone")
}

/// The test user.
pub fn alice() -> UserId {
    UserId::parse("alice").expect("test user")
}

/// A plain pending task 1 of alice created at 2026-01-01T00:00:00Z, changed by `f`.
pub fn task_with(f: impl FnOnce(&mut Task)) -> Task {
    let created = utc("2026-01-01T00:00:00Z");
    let mut task = Task {
        id: 1,
        user_id: alice(),
        title: "Write report".into(),
        description: None,
        completed: false,
        completed_at: None,
        priority: Priority::Medium,
        tags: Vec::new(),
        category: None,
        parent_task_id: None,
        created_at: created,
        updated_at: created,
        due_date: None,
        timezone: TimeZone::default(),
        reminders: Vec::new(),
        recurrence: None,
        series_id: None,
        occurrence: 1,
        version: 1,
    };
    f(&mut task);
    task
}
