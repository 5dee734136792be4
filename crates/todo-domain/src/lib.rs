//! Pure task domain: no I/O, no clock reads, no randomness. Callers pass
//! `now`, event ids and series ids in; everything here is deterministic and
//! compiles for native and `wasm32-wasip2`.
//!
//! - [`Task`] and its values ([`Priority`], [`UserId`], [`Reminder`]); [`Task::view`]
//!   adds the derived `overdue` flag.
//! - Request bodies checked at the edge: [`NewTask`], [`TaskPatch`],
//!   [`DueDateChange`], [`ReminderInput`], [`CompletionInput`]; every invalid
//!   field is collected into [`ValidationErrors`].
//! - Operations on tasks ([`Task::create`], [`Task::apply_patch`],
//!   [`Task::replace`], [`Task::set_completed`], [`Task::change_due`], ...)
//!   return the [`Changes`] they made; no change, no version bump.
//! - Recurring series: [`Task::next_instance`] and [`idempotency_key`].
//! - Listing and the calendar: [`TaskQuery`] and [`calendar`]; one paging
//!   contract for every list of the API (tasks, audit, notifications): [`Page`],
//!   its cursor format and [`LogPaging`].
//! - The chat interface: [`chat::understand`] turns a message into REST inputs.
//! - Integration events: [`TaskEvent`], [`DeviceUpdate`], [`ReminderDue`],
//!   checked on arrival by [`validate_incoming`].
//! - The names every service and test agrees on: [`names::Topic`], the
//!   pub/sub components and the stores.
//!
//! # Errors and HTTP statuses
//!
//! | error | status |
//! |---|---|
//! | [`ValidationErrors`] from a body, a query (`TaskQuery`, `CalendarQuery`) or an operation | 422, with the field list |
//! | [`check_parent`] errors (missing parent, cycle) | 422 |
//! | [`VersionConflict`] (`version` in a body) | 409 (412 if it came from `If-Match`) |
//! | [`InvalidUserId`] in a path | 404 (no such user) or 400 |
//! | [`EventError`] in a consumer | reply `DROP` (poison) |

pub mod chat;
pub mod due;
pub mod names;
pub mod recurrence;

mod calendar;
mod duration;
mod error;
mod event;
mod input;
mod next_instance;
mod ops;
mod page;
mod query;
mod reminder;
mod task;
#[cfg(test)]
mod test_support;

pub use calendar::{
    Calendar, CalendarDay, CalendarItem, CalendarQuery, MAX_CALENDAR_DAYS, MAX_CALENDAR_ITEMS,
    MAX_PROJECTED_PER_TASK, calendar,
};
pub use due::{Due, DueError, TimeZone};
pub use duration::{DurationError, IsoDuration, MAX_DURATION_SECONDS};
pub use error::{FieldError, ValidationErrors};
pub use event::{
    DeviceUpdate, DeviceUpdateType, EventError, IncomingEvent, MAX_EVENT_ID_CHARS, ReminderDue,
    ReminderEventType, SCHEMA_VERSION, TaskEvent, TaskEventType, reminder_job_name,
    validate_incoming,
};
pub use input::{
    CompletionInput, DueDateChange, MAX_CATEGORY_CHARS, MAX_DESCRIPTION_CHARS, MAX_TAG_CHARS,
    MAX_TAGS, MAX_TITLE_CHARS, NewTask, ReminderInput, TaskPatch,
};
pub use names::Topic;
pub use next_instance::{NewInstance, idempotency_key};
pub use ops::{Changes, MAX_PARENT_DEPTH, VersionConflict, check_parent};
pub use page::{DEFAULT_LIMIT, LogPaging, MAX_LIMIT, Page};
pub use query::{
    Cursor, INDEXED_DESCRIPTION_BYTES, Selection, Sort, SortField, StatusFilter, TaskQuery,
    TaskSummary, micros,
};
pub use recurrence::{Recurrence, RecurrenceError};
pub use reminder::{MAX_REMINDERS, Reminder, ReminderId, ReminderSpec};
pub use task::{InvalidUserId, MAX_USER_ID_CHARS, Priority, Task, TaskId, TaskView, UserId};
