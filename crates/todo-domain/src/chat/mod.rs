//! The chat interface: a message in everyday English becomes an [`Intent`]
//! expressed in the REST API's own inputs (a task body, a patch, list query
//! parameters), so chat and REST share every rule and validation.
//!
//! Understanding is deterministic and local, one reader per kind of phrase
//! (`words` tokens, `dates`, `clock` times, `when` due dates, `repeat`,
//! `marks` priority/tags/category, `remind`, `add` titles and subtasks, `ask`
//! questions, `bulk`, `change`, `refs` task references, `short` yes/no/undo/
//! help). What is ambiguous becomes a [`Question`] instead of a guess. A
//! [`Conversation`] remembers what was listed, touched and asked last, so
//! "complete the second one", "move it to friday", "yes" and "pm" work.

mod add;
mod ask;
mod bulk;
mod change;
mod clock;
mod conversation;
mod dates;
mod intent;
mod marks;
mod refs;
mod remind;
mod repeat;
mod reply;
mod shift;
mod short;
mod undo;
mod when;
mod words;

use chrono::{DateTime, Utc};

use crate::due::TimeZone;
use add::Form;
pub use conversation::{Conversation, MAX_TURNS, Pending, Turn, Unresolved};
pub use intent::{Action, BulkAction, Intent, Question, TaskRef, pairs_json};
pub use reply::{Outcome, describe, question, reply};
pub use shift::{Shift, ShiftUnit};
pub use undo::{Change, recreate_body, restore_patch};
use words::Words;

/// The longest message the chat accepts, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// Phrases that start a new task, and how they ask for it.
const ADD: &[(&str, Form)] = &[
    ("please remind me to", Form::Remind),
    ("can you remind me to", Form::Remind),
    ("could you remind me to", Form::Remind),
    ("remind me to", Form::Remind),
    ("remind me about", Form::Remind),
    ("remind me", Form::Remind),
    ("set a reminder for", Form::Remind),
    ("set a reminder to", Form::Remind),
    ("set a reminder", Form::Remind),
    ("create a reminder to", Form::Remind),
    ("create a reminder for", Form::Remind),
    ("i'd like to add", Form::Verb),
    ("i would like to add", Form::Verb),
    ("i want to add", Form::Verb),
    ("can you add", Form::Verb),
    ("could you add", Form::Verb),
    ("please add", Form::Verb),
    ("add a new task", Form::Verb),
    ("add new task", Form::Verb),
    ("add", Form::Verb),
    ("create a new task", Form::Verb),
    ("create", Form::Verb),
    ("new task", Form::Verb),
    ("new todo", Form::Verb),
    ("new reminder", Form::Verb),
    ("put", Form::Verb),
    ("schedule", Form::Verb),
    ("note to self", Form::Verb),
    ("todo", Form::Verb),
    ("to-do", Form::Verb),
    ("to do", Form::Verb),
    ("i need to", Form::Verb),
    ("need to", Form::Verb),
    ("i have to", Form::Verb),
    ("i've got to", Form::Verb),
    ("i got to", Form::Verb),
    ("i must", Form::Verb),
    ("i should", Form::Verb),
    ("i want to", Form::Verb),
    ("i gotta", Form::Verb),
    ("i've gotta", Form::Verb),
    ("i'll need to", Form::Verb),
    ("gotta", Form::Verb),
    ("got to", Form::Verb),
    ("don't forget to", Form::Verb),
    ("dont forget to", Form::Verb),
    ("do not forget to", Form::Verb),
    ("don't let me forget to", Form::Verb),
    ("remember to", Form::Verb),
    ("please remember to", Form::Verb),
];

/// Understands one message at `now`, reading dates in `tz`.
pub fn understand(message: &str, now: DateTime<Utc>, tz: &TimeZone) -> Intent {
    let message = message.trim();
    if message.is_empty() {
        return Intent::Help;
    }
    if let Some(found) = short::read(message) {
        return found;
    }
    if let Some(found) = ask::search(&mut Words::new(message)) {
        return found;
    }
    if let Some(found) = bulk::read(message, now, tz) {
        return found;
    }
    if let Some(found) = change::read(message, now, tz) {
        return found;
    }
    let mut words = Words::new(message);
    if ask::is_question(&words) {
        return ask::list(words, now, tz);
    }
    for (verb, form) in ADD {
        if words.matches(0, verb) {
            words.take(0, words::count(verb));
            return add::add(words, *form, now, tz);
        }
    }
    add::add(words, Form::Bare, now, tz)
}

/// The `POST /tasks` body that quick-add text describes, read as an add
/// request ("pay rent every month on the 1st at 9am #home !high remind me 1
/// day before"; a leading verb is optional), or the question the chat would
/// ask back (an hour without am/pm, no title, ...). Subtasks and a parent
/// named in the text are left to the chat. The body is not validated: pass
/// it to [`crate::NewTask::from_json`].
pub fn quick_add(
    text: &str,
    now: DateTime<Utc>,
    tz: &TimeZone,
) -> Result<serde_json::Value, String> {
    let mut words = Words::new(text.trim());
    // The quick-add box is an explicit add: no "shall I add it?" back.
    let mut form = Form::Verb;
    if let Some((verb, found)) = ADD.iter().find(|(verb, _)| words.matches(0, verb)) {
        words.take(0, words::count(verb));
        form = *found;
    }
    match add::add(words, form, now, tz) {
        Intent::Add { body, .. } => Ok(body),
        Intent::Ask(q) => Err(question(&q)),
        _ => Err("that does not read as a task to add".into()),
    }
}

#[cfg(test)]
mod tests;
