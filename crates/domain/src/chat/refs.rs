//! How a message points at one task: "#12", "task 12", "it", "the second
//! one", "the last one", or words of its title ("the dentist task").

use super::intent::TaskRef;
use super::words::ordinal;

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .map(|_| &text[prefix.len()..])
}

fn strip_suffix_ci<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    text.get(cut..)
        .filter(|tail| tail.eq_ignore_ascii_case(suffix))
        .map(|_| &text[..cut])
}

/// What `text` points at; `None` when it is empty.
pub(super) fn task_ref(text: &str) -> Option<TaskRef> {
    let mut text = text.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '.' | '!' | '?' | ',' | ':' | '"' | '\'')
    });
    if text.is_empty() {
        return None;
    }
    for prefix in ["the ", "my "] {
        text = strip_prefix_ci(text, prefix).unwrap_or(text);
    }
    for suffix in [" task", " item", " todo"] {
        text = strip_suffix_ci(text, suffix).unwrap_or(text);
    }
    let text = text.trim();
    let lower = text.to_lowercase();
    let id = ["task #", "task number ", "number ", "task ", "no. ", "#"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower);
    if let Ok(id) = id.trim().parse::<u64>() {
        return Some(TaskRef::Id(id));
    }
    if matches!(
        lower.as_str(),
        "it" | "that" | "this" | "that one" | "this one" | "same" | "same one" | "last task"
    ) {
        return Some(TaskRef::Last);
    }
    let ordinal_text = lower
        .strip_suffix(" one")
        .or_else(|| lower.strip_suffix(" on the list"))
        .unwrap_or(&lower)
        .trim();
    if let Some(n) = ordinal(ordinal_text) {
        return Some(TaskRef::Position(if n < 0 {
            usize::MAX
        } else {
            n as usize
        }));
    }
    if lower == "one" || text.is_empty() {
        return None;
    }
    Some(TaskRef::Title(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(task_ref("#12"), Some(TaskRef::Id(12)));
        assert_eq!(task_ref("task 4"), Some(TaskRef::Id(4)));
        assert_eq!(task_ref("it"), Some(TaskRef::Last));
        assert_eq!(task_ref("the second one"), Some(TaskRef::Position(2)));
        assert_eq!(
            task_ref("the last one"),
            Some(TaskRef::Position(usize::MAX))
        );
        assert_eq!(
            task_ref("the dentist task"),
            Some(TaskRef::Title("dentist".into()))
        );
        assert_eq!(task_ref("  "), None);
    }
}
