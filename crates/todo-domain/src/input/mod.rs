//! Wire to domain at the edge: request bodies checked field by field, every
//! problem collected, nothing trusted further in.
//!
//! - [`fields`]: the one list of a task's fields, the limits, and a reader per field;
//! - [`new_task`]: a whole task (`POST`, `PUT`);
//! - [`patch`]: a partial update (`PATCH`);
//! - [`actions`]: the bodies of due-date, reminder and completion actions.

mod actions;
mod fields;
mod new_task;
mod patch;

pub use actions::{CompletionInput, DueDateChange, ReminderInput};
#[cfg(test)]
pub(crate) use fields::TASK_FIELDS;
pub use fields::{
    MAX_CATEGORY_CHARS, MAX_DESCRIPTION_CHARS, MAX_TAG_CHARS, MAX_TAGS, MAX_TITLE_CHARS,
};
pub(crate) use fields::{body_fields, consistency, normalize_tag, tracked_fields};
pub use new_task::NewTask;
pub use patch::TaskPatch;
