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
    if let Some(ids) = several_ids(&lower) {
        return Some(TaskRef::Ids(ids));
    }
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

/// "#2 and #3", "#4, #5 & #6", "tasks 2 and 3": two or more numbers, each
/// marked as one (a bare "2 and 3" could be positions, so it is not read).
fn several_ids(lower: &str) -> Option<Vec<u64>> {
    let (marked, rest) = match lower.strip_prefix("tasks ") {
        Some(rest) => (true, rest),
        None => (false, lower),
    };
    let parts: Vec<&str> = rest
        .split([',', '&'])
        .flat_map(|p| p.split(" and "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 2 {
        return None;
    }
    let mut ids = Vec::new();
    for part in parts {
        let number = part.strip_prefix('#').or(marked.then_some(part))?;
        let id = number.trim().parse::<u64>().ok()?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    (ids.len() >= 2).then_some(ids)
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
        assert_eq!(task_ref("#2 and #3"), Some(TaskRef::Ids(vec![2, 3])));
        assert_eq!(
            task_ref("tasks 4, 5 and 6"),
            Some(TaskRef::Ids(vec![4, 5, 6]))
        );
        assert_eq!(task_ref("2 and 3"), Some(TaskRef::Title("2 and 3".into())));
    }
}
