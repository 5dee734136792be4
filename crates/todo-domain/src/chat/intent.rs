//! What a message is understood as, and its plain-JSON form (the form the
//! phrasing corpus states its expectations in, and the `understood` field of
//! a chat reply).

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::shift::Shift;

/// What the user asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    /// Create a task (a `POST /tasks` body), optionally with subtasks (their
    /// titles, created under it) or under an existing task (`parent`).
    Add {
        body: Value,
        subtasks: Vec<String>,
        parent: Option<TaskRef>,
    },
    /// List tasks: `GET /tasks` query parameters, what to call the list, and
    /// for "what did I do ..." the local days the tasks were completed in
    /// (`[from, until)`), which the list endpoint has no parameter for.
    List {
        query: Vec<(String, String)>,
        heading: String,
        done_between: Option<(NaiveDate, NaiveDate)>,
    },
    /// Change a task: a `PATCH /tasks/{id}` body.
    Update {
        target: TaskRef,
        patch: Value,
        action: Action,
    },
    /// Move a task's due date by an amount ("postpone it by a day"): the
    /// new date depends on the current one, so it is worked out once the
    /// task is known.
    Shift { target: TaskRef, by: Shift },
    /// Delete a task.
    Delete(TaskRef),
    /// Change every task a list query matches; carried out only after the
    /// user confirms the tasks it lists.
    Bulk {
        action: BulkAction,
        query: Vec<(String, String)>,
        patch: Option<Value>,
        heading: String,
    },
    /// Take back the conversation's last change.
    Undo,
    /// "yes": go ahead with what was asked about.
    Yes,
    /// "no": drop what was asked about.
    No,
    /// Explain what the chat understands.
    Help,
    /// The message is ambiguous or incomplete: ask instead of guessing.
    Ask(Question),
    /// Nothing recognisable; the text is echoed in the answer.
    NotUnderstood(String),
}

/// How a message points at a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskRef {
    /// "#12", "task 12".
    Id(u64),
    /// "the second one": 1-based position in the last list shown
    /// (`usize::MAX`: the last one).
    Position(usize),
    /// "it", "that": the task the conversation touched last.
    Last,
    /// Words of the title.
    Title(String),
    /// "#2 and #3": several tasks by number, changed alike.
    Ids(Vec<u64>),
}

/// Which change an [`Intent::Update`] makes, for the answer's wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Complete,
    Reopen,
    Reschedule,
    Reprioritize,
    Edit,
}

/// What a bulk request does to each task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    Complete,
    Reopen,
    Delete,
    Update,
}

impl BulkAction {
    pub fn as_str(self) -> &'static str {
        match self {
            BulkAction::Complete => "complete",
            BulkAction::Reopen => "reopen",
            BulkAction::Delete => "delete",
            BulkAction::Update => "update",
        }
    }
}

/// A question asked back, and what it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Question {
    /// "at 7": morning or evening? (the hour as written)
    AmPm(u32),
    /// Adding without a title.
    Title,
    /// A reminder or a move without a time.
    When,
    /// A bare phrase with nothing else recognised: add it as a task?
    ConfirmAdd(String),
    /// A date that does not exist ("31 february").
    InvalidDate(String),
    /// A repeat more often than daily.
    TooOften,
    /// A reminder "before" a task that has no due date.
    NeedsDue,
    /// A change without saying which task.
    WhichTask,
    /// A due date to move by an amount, on a task that has none (or an
    /// all-day task moved by hours).
    NoDueToShift,
}

impl Question {
    /// The question's kind, as named in the API and the corpus.
    pub fn kind(&self) -> &'static str {
        match self {
            Question::AmPm(_) => "am_pm",
            Question::Title => "title",
            Question::When => "when",
            Question::ConfirmAdd(_) => "confirm_add",
            Question::InvalidDate(_) => "invalid_date",
            Question::TooOften => "too_often",
            Question::NeedsDue => "needs_due",
            Question::WhichTask => "which_task",
            Question::NoDueToShift => "no_due_to_shift",
        }
    }
}

impl TaskRef {
    pub fn to_json(&self) -> Value {
        match self {
            TaskRef::Id(id) => json!({"id": id}),
            TaskRef::Position(usize::MAX) => json!({"position": -1}),
            TaskRef::Position(n) => json!({"position": n}),
            TaskRef::Last => json!("it"),
            TaskRef::Title(words) => json!({"title": words}),
            TaskRef::Ids(ids) => json!({"ids": ids}),
        }
    }
}

/// Query pairs as one JSON object (names are unique in a chat query).
pub fn pairs_json(query: &[(String, String)]) -> Value {
    Value::Object(
        query
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

impl Intent {
    /// The intent's kind, as named in the API.
    pub fn name(&self) -> &'static str {
        match self {
            Intent::Add { .. } => "add",
            Intent::List { .. } => "list",
            Intent::Update { .. } | Intent::Shift { .. } => "update",
            Intent::Delete(_) => "delete",
            Intent::Bulk { .. } => "bulk",
            Intent::Undo => "undo",
            Intent::Yes => "yes",
            Intent::No => "no",
            Intent::Help => "help",
            Intent::Ask(_) => "ask",
            Intent::NotUnderstood(_) => "not_understood",
        }
    }

    /// Everything understood, as plain JSON (wording such as headings left out).
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        match self {
            Intent::Add {
                body,
                subtasks,
                parent,
            } => {
                out.insert("add".into(), body.clone());
                if !subtasks.is_empty() {
                    out.insert("subtasks".into(), json!(subtasks));
                }
                if let Some(parent) = parent {
                    out.insert("parent".into(), parent.to_json());
                }
            }
            Intent::List {
                query,
                done_between,
                ..
            } => {
                out.insert("list".into(), pairs_json(query));
                if let Some((from, until)) = done_between {
                    out.insert(
                        "done_between".into(),
                        json!([from.to_string(), until.to_string()]),
                    );
                }
            }
            Intent::Update { target, patch, .. } => {
                out.insert(
                    "update".into(),
                    json!({"target": target.to_json(), "patch": patch}),
                );
            }
            Intent::Shift { target, by } => {
                out.insert(
                    "shift".into(),
                    json!({"target": target.to_json(), "by": by.iso()}),
                );
            }
            Intent::Delete(target) => {
                out.insert("delete".into(), target.to_json());
            }
            Intent::Bulk {
                action,
                query,
                patch,
                ..
            } => {
                let mut bulk = Map::new();
                bulk.insert("action".into(), json!(action.as_str()));
                bulk.insert("query".into(), pairs_json(query));
                if let Some(patch) = patch {
                    bulk.insert("patch".into(), patch.clone());
                }
                out.insert("bulk".into(), Value::Object(bulk));
            }
            Intent::Undo | Intent::Yes | Intent::No | Intent::Help => {
                out.insert(self.name().into(), json!(true));
            }
            Intent::Ask(question) => {
                out.insert("ask".into(), json!(question.kind()));
            }
            Intent::NotUnderstood(text) => {
                out.insert("not_understood".into(), json!(text));
            }
        }
        Value::Object(out)
    }
}
