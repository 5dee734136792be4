//! What a conversation remembers between messages. Kept in Dapr state by
//! todo-api; here it is plain data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::intent::{BulkAction, Intent, Question, TaskRef};
use super::reply::Outcome;
use super::undo::Change;
use crate::due::TimeZone;
use crate::task::{Task, TaskId};

/// How many turns (user and assistant) a conversation keeps.
pub const MAX_TURNS: usize = 40;

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// `user` or `assistant`.
    pub role: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// Why a reference picks no single task.
#[derive(Clone, Debug, PartialEq)]
pub enum Unresolved {
    /// Nothing matched (described for the answer).
    NotFound(String),
    /// Several tasks matched; the user picks one.
    Ambiguous(Vec<Task>),
}

impl From<Unresolved> for Outcome {
    fn from(unresolved: Unresolved) -> Outcome {
        match unresolved {
            Unresolved::NotFound(what) => Outcome::NotFound(what),
            Unresolved::Ambiguous(tasks) => Outcome::Ambiguous(tasks),
        }
    }
}

/// What the conversation is waiting for an answer to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pending {
    /// A bulk change listed and waiting for "yes" (or "no").
    Bulk {
        action: BulkAction,
        ids: Vec<TaskId>,
        #[serde(default)]
        patch: Option<Value>,
    },
    /// A question was asked about `message`; the answer completes it.
    Clarify { message: String, question: String },
    /// "Shall I add it?" about a bare phrase.
    ConfirmAdd { title: String },
}

/// A conversation's memory: its recent turns, the tasks it listed last (for
/// "the second one"), the task it touched last (for "it"), what it is
/// waiting for an answer to, and its last change (for "undo").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    #[serde(default)]
    pub turns: Vec<Turn>,
    #[serde(default)]
    pub last_listed: Vec<TaskId>,
    #[serde(default)]
    pub last_task: Option<TaskId>,
    #[serde(default)]
    pub pending: Option<Pending>,
    #[serde(default)]
    pub undo: Option<Change>,
}

impl Conversation {
    /// A new, empty conversation.
    pub fn new(id: impl Into<String>) -> Conversation {
        Conversation {
            id: id.into(),
            ..Conversation::default()
        }
    }

    /// The task `target` points at among the user's `tasks`, or the outcome
    /// to answer with when it points at none or at several.
    pub fn resolve(&self, target: &TaskRef, tasks: &[Task]) -> Result<TaskId, Unresolved> {
        let exists = |id: TaskId| tasks.iter().any(|t| t.id == id);
        match target {
            TaskRef::Id(id) if exists(*id) => Ok(*id),
            TaskRef::Id(id) => Err(Unresolved::NotFound(format!("#{id}"))),
            TaskRef::Last => self.last_task.filter(|id| exists(*id)).ok_or_else(|| {
                Unresolved::NotFound("the task you mean (name it or give its number)".into())
            }),
            TaskRef::Position(n) => {
                let index = if *n == usize::MAX {
                    self.last_listed.len().checked_sub(1)
                } else {
                    n.checked_sub(1)
                };
                index
                    .and_then(|i| self.last_listed.get(i))
                    .copied()
                    .filter(|id| exists(*id))
                    .ok_or_else(|| {
                        Unresolved::NotFound(format!(
                            "item {} of the last list (ask me to list your tasks first)",
                            if *n == usize::MAX {
                                "last".to_owned()
                            } else {
                                n.to_string()
                            }
                        ))
                    })
            }
            TaskRef::Title(words) => by_title(words, tasks),
            // Several tasks are changed one by one by the caller, never resolved to one.
            TaskRef::Ids(ids) => Err(Unresolved::NotFound(format!(
                "one task among {}",
                ids.iter()
                    .map(|id| format!("#{id}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Understands `message` in this conversation: an answer to the question
    /// asked last completes the message it was about ("pm" after "at 7:
    /// morning or evening?", "tomorrow" after "when?"), and "yes" to "shall I
    /// add it?" adds it.
    /// Returns the intent and the message it was read from (the completed
    /// one, when the message answered a question).
    pub fn understand(&self, message: &str, now: DateTime<Utc>, tz: &TimeZone) -> (Intent, String) {
        let fresh = super::understand(message, now, tz);
        let plain = (fresh.clone(), message.to_owned());
        match &self.pending {
            Some(Pending::ConfirmAdd { title }) if fresh == Intent::Yes => (
                Intent::Add {
                    body: json!({"title": title}),
                    subtasks: Vec::new(),
                    parent: None,
                },
                format!("add {title}"),
            ),
            Some(Pending::Clarify {
                message: asked,
                question,
            }) => {
                let answer_like = matches!(
                    &fresh,
                    Intent::Ask(Question::ConfirmAdd(_) | Question::Title | Question::When)
                        | Intent::NotUnderstood(_)
                );
                if !answer_like {
                    return plain;
                }
                let combined = complete(asked, question, message);
                let again = super::understand(&combined, now, tz);
                match &again {
                    Intent::Ask(q) if q.kind() == question => plain,
                    _ => (again, combined),
                }
            }
            _ => plain,
        }
    }

    /// Records a user message, the outcome it had and the answer given.
    /// A question asked becomes the pending one (about `message`).
    pub fn record(&mut self, message: &str, outcome: &Outcome, answer: &str, now: DateTime<Utc>) {
        match outcome {
            Outcome::Asked(Question::ConfirmAdd(title)) => {
                self.pending = Some(Pending::ConfirmAdd {
                    title: title.clone(),
                });
            }
            Outcome::Asked(question) => {
                self.pending = Some(Pending::Clarify {
                    message: message.to_owned(),
                    question: question.kind().to_owned(),
                });
            }
            _ => {}
        }
        match outcome {
            Outcome::Listed { tasks, .. } => {
                self.last_listed = tasks.iter().map(|t| t.id).collect();
            }
            Outcome::Ambiguous(tasks) => {
                self.last_listed = tasks.iter().map(|t| t.id).collect();
            }
            Outcome::Added(task, _) | Outcome::Updated(_, task) => self.last_task = Some(task.id),
            Outcome::Confirm { tasks, .. } | Outcome::Bulk { tasks, .. } => {
                self.last_listed = tasks.iter().map(|t| t.id).collect();
            }
            Outcome::Deleted(task) => {
                self.last_task = None;
                self.last_listed.retain(|id| *id != task.id);
            }
            _ => {}
        }
        self.remember(message, answer, now);
    }

    /// Keeps a message and the answer given as the latest turns.
    pub fn remember(&mut self, message: &str, answer: &str, now: DateTime<Utc>) {
        for (role, text) in [("user", message), ("assistant", answer)] {
            self.turns.push(Turn {
                role: role.to_owned(),
                text: text.to_owned(),
                at: now,
            });
        }
        let excess = self.turns.len().saturating_sub(MAX_TURNS);
        self.turns.drain(..excess);
    }
}

/// The message `asked` about, completed by `answer` to the question `kind`.
fn complete(asked: &str, kind: &str, answer: &str) -> String {
    let answer = answer.trim();
    if kind == "am_pm" {
        let lower = answer.to_lowercase();
        let evening = ["pm", "p.m", "evening", "afternoon", "night", "tonight"]
            .iter()
            .any(|w| lower.contains(w));
        let part = if lower.contains("afternoon") {
            "in the afternoon"
        } else if evening {
            "in the evening"
        } else {
            "in the morning"
        };
        return format!("{asked} {part}");
    }
    format!("{asked} {answer}")
}

/// The one task whose title is, or else contains every word of, `words`;
/// pending tasks win over completed ones.
fn by_title(words: &str, tasks: &[Task]) -> Result<TaskId, Unresolved> {
    let wanted = words.trim().to_lowercase();
    if wanted.is_empty() {
        return Err(Unresolved::NotFound(
            "a task: say which one (its title or #number)".into(),
        ));
    }
    let exact: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.title.to_lowercase() == wanted)
        .collect();
    let candidates = if exact.is_empty() {
        let terms: Vec<&str> = wanted.split_whitespace().collect();
        tasks
            .iter()
            .filter(|t| {
                let title = t.title.to_lowercase();
                terms.iter().all(|term| title.contains(term))
            })
            .collect()
    } else {
        exact
    };
    let pending: Vec<&Task> = candidates
        .iter()
        .copied()
        .filter(|t| !t.completed)
        .collect();
    let pick = if pending.is_empty() {
        candidates
    } else {
        pending
    };
    match pick.as_slice() {
        [] => Err(Unresolved::NotFound(format!("a task matching \"{words}\""))),
        [one] => Ok(one.id),
        many => Err(Unresolved::Ambiguous(
            many.iter().map(|t| (*t).clone()).collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Action;
    use crate::test_support::{task_with, utc};
    use serde_json::json;

    fn tasks() -> Vec<Task> {
        [
            (1, "Buy milk", false),
            (2, "Buy bread", false),
            (3, "Call mum", true),
            (4, "Call mum", false),
        ]
        .into_iter()
        .map(|(id, title, completed)| {
            task_with(|t| {
                t.id = id;
                t.title = title.into();
                t.completed = completed;
            })
        })
        .collect()
    }

    #[test]
    fn titles_resolve_to_one_pending_task_or_ask() {
        let chat = Conversation::new("c");
        let tasks = tasks();
        assert_eq!(
            chat.resolve(&TaskRef::Title("buy milk".into()), &tasks),
            Ok(1)
        );
        assert_eq!(
            chat.resolve(&TaskRef::Title("call mum".into()), &tasks),
            Ok(4)
        );
        let Err(Unresolved::Ambiguous(both)) = chat.resolve(&TaskRef::Title("buy".into()), &tasks)
        else {
            panic!("two tasks match 'buy'");
        };
        assert_eq!(both.iter().map(|t| t.id).collect::<Vec<_>>(), [1, 2]);
        assert!(matches!(
            chat.resolve(&TaskRef::Title("walk dog".into()), &tasks),
            Err(Unresolved::NotFound(_))
        ));
        assert!(matches!(
            chat.resolve(&TaskRef::Id(9), &tasks),
            Err(Unresolved::NotFound(_))
        ));
    }

    #[test]
    fn positions_and_it_use_what_the_conversation_showed_and_touched() {
        let mut chat = Conversation::new("c");
        let tasks = tasks();
        assert!(chat.resolve(&TaskRef::Position(2), &tasks).is_err());
        assert!(chat.resolve(&TaskRef::Last, &tasks).is_err());
        let listed = Outcome::Listed {
            heading: "Your tasks".into(),
            tasks: vec![tasks[1].clone(), tasks[0].clone()],
            total: 2,
        };
        chat.record("list", &listed, "...", utc("2026-03-04T10:00:00Z"));
        assert_eq!(chat.resolve(&TaskRef::Position(2), &tasks), Ok(1));
        assert_eq!(chat.resolve(&TaskRef::Position(usize::MAX), &tasks), Ok(1));
        assert!(chat.resolve(&TaskRef::Position(3), &tasks).is_err());
        chat.record(
            "done 2",
            &Outcome::Updated(Action::Complete, tasks[1].clone()),
            "ok",
            utc("2026-03-04T10:01:00Z"),
        );
        assert_eq!(chat.resolve(&TaskRef::Last, &tasks), Ok(2));
    }

    #[test]
    fn an_answer_completes_the_message_the_question_was_about() {
        let now = utc("2026-03-04T10:00:00Z");
        let tz = TimeZone::parse("Europe/London").unwrap();
        let mut chat = Conversation::new("c");
        let (asked, _) = chat.understand("add call bob at 7", now, &tz);
        assert_eq!(asked, Intent::Ask(Question::AmPm(7)));
        chat.record(
            "add call bob at 7",
            &Outcome::Asked(Question::AmPm(7)),
            "?",
            now,
        );
        let (intent, message) = chat.understand("pm", now, &tz);
        assert_eq!(message, "add call bob at 7 in the evening");
        assert_eq!(
            intent.to_json()["add"]["due_date"],
            json!("2026-03-04T19:00:00Z")
        );
        // Another command is not taken as the answer.
        assert_eq!(
            chat.understand("show my tasks", now, &tz).1,
            "show my tasks"
        );

        let mut chat = Conversation::new("c");
        chat.record(
            "remind me to call mom",
            &Outcome::Asked(Question::When),
            "?",
            now,
        );
        let (intent, _) = chat.understand("tomorrow at 6pm", now, &tz);
        assert_eq!(intent.to_json()["add"]["title"], json!("call mom"));

        let mut chat = Conversation::new("c");
        let bare = Question::ConfirmAdd("buy milk".into());
        chat.record("buy milk", &Outcome::Asked(bare), "?", now);
        assert_eq!(
            chat.understand("yes", now, &tz).0.to_json(),
            json!({"add": {"title": "buy milk"}})
        );
    }

    #[test]
    fn only_the_latest_turns_are_kept() {
        let mut chat = Conversation::new("c");
        for i in 0..MAX_TURNS {
            chat.record(
                &format!("m{i}"),
                &Outcome::Help,
                "help",
                utc("2026-03-04T10:00:00Z"),
            );
        }
        assert_eq!(chat.turns.len(), MAX_TURNS);
        assert_eq!(chat.turns[0].text, format!("m{}", MAX_TURNS / 2));
    }
}
