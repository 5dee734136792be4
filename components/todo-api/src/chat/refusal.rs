//! How a failed write becomes the chat's answer: what the user can fix is
//! told (a 4xx refusal), anything else (the store is down) stays an error.

use service_kit::Problem;
use todo_domain::chat::Outcome;
use todo_domain::{Task, ValidationErrors};

/// A write's result as an outcome: a 4xx refusal is told to the user,
/// anything else (the store is down) stays an error.
pub(super) fn answer(
    result: Result<Task, Problem>,
    done: impl FnOnce(Task) -> Outcome,
) -> Result<Outcome, Problem> {
    match result {
        Ok(task) => Ok(done(task)),
        Err(problem) if user_error(&problem) => Ok(refused(&problem)),
        Err(problem) => Err(problem),
    }
}

/// A refusal, told as the reason the API gave.
pub(super) fn refused(problem: &Problem) -> Outcome {
    Outcome::Invalid(ValidationErrors::single("", problem.detail()))
}

/// Whether a write failed in a way the user can fix (told, not raised).
pub(super) fn user_error(problem: &Problem) -> bool {
    (400..500).contains(&problem.status())
}
