//! Short answers: yes, no, undo, help.

use super::intent::Intent;

const UNDO: &[&str] = &[
    "undo",
    "undo that",
    "undo it",
    "undo this",
    "undo last",
    "undo last change",
    "undo the last change",
    "undo the last thing",
    "undo last action",
    "undo the last action",
    "undo my last change",
    "take that back",
    "take it back",
    "revert",
    "revert that",
    "revert it",
    "revert the last change",
    "go back",
    "oops",
    "oops undo",
    "oops undo that",
];
const YES: &[&str] = &[
    "yes",
    "y",
    "yeah",
    "yea",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "go ahead",
    "go on",
    "yes please",
    "yes do it",
    "do it",
    "confirm",
    "confirmed",
    "correct",
    "right",
    "please do",
    "sounds good",
    "absolutely",
    "of course",
    "proceed",
];
const NO: &[&str] = &[
    "no",
    "n",
    "nope",
    "nah",
    "never mind",
    "nevermind",
    "cancel",
    "cancel that",
    "stop",
    "no thanks",
    "no thank you",
    "don't",
    "dont",
    "do not",
    "forget it",
    "abort",
    "not now",
];
const HELP: &[&str] = &[
    "help",
    "?",
    "what can you do",
    "what can i say",
    "what do you understand",
    "how does this work",
    "how do i use this",
    "how do i use you",
    "commands",
    "help me",
    "hi",
    "hello",
];

/// A short answer, if the whole message is one ("yes, go ahead" counts:
/// every part says the same).
pub(super) fn read(message: &str) -> Option<Intent> {
    let parts: Vec<&str> = message
        .split([',', '!', '.', ';'])
        .filter(|p| !p.trim().is_empty())
        .collect();
    if parts.len() > 1 {
        let answers: Vec<Option<Intent>> = parts.iter().map(|p| one(p)).collect();
        if let Some(Some(first)) = answers.first()
            && answers.iter().all(|a| a.as_ref() == Some(first))
        {
            return Some(first.clone());
        }
    }
    one(message)
}

fn one(message: &str) -> Option<Intent> {
    let plain: String = message
        .to_lowercase()
        .replace('’', "'")
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace() || *c == '\'' || *c == '?')
        .collect();
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    let plain = plain.trim_end_matches('?').trim();
    let plain = if plain.is_empty() && message.contains('?') {
        "?"
    } else {
        plain
    };
    let plain = plain.strip_prefix("please ").unwrap_or(plain);
    let plain = plain.strip_suffix(" please").unwrap_or(plain);
    if UNDO.contains(&plain) {
        Some(Intent::Undo)
    } else if YES.contains(&plain) {
        Some(Intent::Yes)
    } else if NO.contains(&plain) {
        Some(Intent::No)
    } else if HELP.contains(&plain) {
        Some(Intent::Help)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_messages_only() {
        assert_eq!(read("Yes please!"), Some(Intent::Yes));
        assert_eq!(read("yes, go ahead"), Some(Intent::Yes));
        assert_eq!(read("oops, undo"), Some(Intent::Undo));
        assert_eq!(read("never mind"), Some(Intent::No));
        assert_eq!(read("?"), Some(Intent::Help));
        // A command that starts like an answer is not one.
        assert_eq!(read("no, move it to friday"), None);
        assert_eq!(read("cancel the dentist"), None);
    }
}
