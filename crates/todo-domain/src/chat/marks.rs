//! Priorities, tags and categories, as marks (`!high`, `p1`, `#shopping`,
//! `@errands`) or in words ("high priority", "asap", "tagged shopping",
//! "in category errands"). p1 is urgent, p2 high, p3 medium, p4 low.

use super::words::{Words, count};

/// Priority phrases, most specific first, with the priority they name.
const PRIORITIES: &[(&str, &str)] = &[
    ("with high priority", "high"),
    ("with low priority", "low"),
    ("with medium priority", "medium"),
    ("with urgent priority", "urgent"),
    ("top priority", "urgent"),
    ("highest priority", "urgent"),
    ("urgent priority", "urgent"),
    ("high priority", "high"),
    ("medium priority", "medium"),
    ("normal priority", "medium"),
    ("low priority", "low"),
    ("lowest priority", "low"),
    ("priority urgent", "urgent"),
    ("priority high", "high"),
    ("priority medium", "medium"),
    ("priority normal", "medium"),
    ("priority low", "low"),
    ("priority to urgent", "urgent"),
    ("priority to high", "high"),
    ("priority to medium", "medium"),
    ("priority to low", "low"),
    ("not urgent", "low"),
    ("not important", "low"),
    ("no rush", "low"),
    ("urgent", "urgent"),
    ("urgently", "urgent"),
    ("asap", "urgent"),
    ("critical", "urgent"),
    ("!!!", "urgent"),
    ("!urgent", "urgent"),
    ("p1", "urgent"),
    ("important", "high"),
    ("!!", "high"),
    ("!high", "high"),
    ("!important", "high"),
    ("p2", "high"),
    ("!medium", "medium"),
    ("!normal", "medium"),
    ("p3", "medium"),
    ("!low", "low"),
    ("p4", "low"),
];

/// Bare level words, understood only where a priority is expected ("make it high").
const LEVELS: &[(&str, &str)] = &[
    ("high", "high"),
    ("low", "low"),
    ("medium", "medium"),
    ("normal", "medium"),
];

/// Finds (and takes) a priority; `bare` also accepts "high"/"low" alone.
pub(super) fn take_priority(words: &mut Words, bare: bool) -> Option<&'static str> {
    let mut phrases: Vec<&(&str, &str)> = PRIORITIES.iter().collect();
    if bare {
        phrases.extend(LEVELS.iter());
    }
    for i in 0..words.len() {
        if let Some((phrase, level)) = phrases.iter().find(|(p, _)| words.matches(i, p)) {
            words.take(i, count(phrase));
            return Some(level);
        }
    }
    None
}

/// Words that end a list of tags.
const NOT_TAGS: &[&str] = &[
    "tomorrow", "today", "tonight", "every", "remind", "with", "on", "at", "by", "in", "for",
    "due", "high", "low", "urgent", "priority", "category",
];

/// Finds (and takes) `#tags` and tags in words ("tagged a and b", "tags: a, b").
pub(super) fn take_tags(words: &mut Words) -> Vec<String> {
    let mut tags = Vec::new();
    for i in 0..words.len() {
        let Some(raw) = words.raw(i) else { continue };
        let clean = raw.trim_end_matches([',', '.', '!', '?', ';', ':', ')']);
        if let Some(t) = clean.strip_prefix('#')
            && t.parse::<u64>().is_err()
            && let Some(t) = tag_exact(t)
        {
            push(&mut tags, t);
            words.take(i, 1);
        }
    }
    const LEADS: &[&str] = &[
        "with tags",
        "with tag",
        "with the tags",
        "with the tag",
        "tagged as",
        "tagged with",
        "tagged",
        "tag it as",
        "tag it",
        "tags",
        "tag",
    ];
    while let Some((i, lead)) = words.find(LEADS) {
        let mut end = i + count(lead);
        let mut found = Vec::new();
        while let Some(word) = words.get(end) {
            if NOT_TAGS.contains(&word) {
                break;
            }
            let Some(t) = tag_exact(word) else { break };
            found.push(t);
            end += 1;
            let more = words.comma_after(end - 1);
            if words.get(end) == Some("and") {
                end += 1;
            } else if !more {
                break;
            }
        }
        if found.is_empty() {
            break;
        }
        words.take(i, end - i);
        for t in found {
            push(&mut tags, t);
        }
    }
    tags
}

fn tag_exact(word: &str) -> Option<String> {
    (!word.is_empty()
        && word
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_'))
    .then(|| word.to_lowercase())
}

fn push(tags: &mut Vec<String>, tag: String) {
    if !tags.contains(&tag) {
        tags.push(tag);
    }
}

/// A word before "tasks" that names a tag ("my shopping tasks").
pub(super) fn tag_word(word: &str) -> Option<String> {
    let word = word.trim_start_matches('#');
    tag_exact(word.strip_suffix("'s").unwrap_or(word))
}

/// Finds (and takes) a category: `@errands`, "in category errands",
/// "category: errands", "in the work category", "under work" (last word).
pub(super) fn take_category(words: &mut Words) -> Option<String> {
    for i in 0..words.len() {
        let Some(raw) = words.raw(i) else { continue };
        let clean = raw.trim_end_matches([',', '.', '!', '?', ';', ':', ')']);
        if let Some(name) = clean
            .strip_prefix('@')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
        {
            words.take(i, 1);
            return Some(name);
        }
    }
    const LEADS: &[&str] = &[
        "in the category",
        "in category",
        "with category",
        "with the category",
        "under category",
        "category",
    ];
    if let Some((i, lead)) = words.find(LEADS)
        && let Some(name) = words.raw(i + count(lead)).map(clean_word)
        && !name.is_empty()
    {
        words.take(i, count(lead) + 1);
        return Some(name);
    }
    // "in the work category"
    for i in 0..words.len() {
        if words.matches(i, "in the")
            && words.get(i + 3) == Some("category")
            && let Some(name) = words.raw(i + 2).map(clean_word)
        {
            words.take(i, 4);
            return Some(name);
        }
    }
    // "under work": only as the last word, and never "under #4" (a parent).
    let last = (0..words.len()).rev().find(|k| words.is_free(*k))?;
    if last > 0
        && words.get(last - 1) == Some("under")
        && let Some(name) = words.raw(last).map(clean_word)
        && !name.starts_with('#')
        && name.chars().all(char::is_alphanumeric)
    {
        words.take(last - 1, 2);
        return Some(name);
    }
    None
}

fn clean_word(raw: &str) -> String {
    raw.trim_matches(|c: char| !(c.is_alphanumeric() || c == '#' || c == '-' || c == '_'))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_in_marks_and_words() {
        for (text, want) in [
            ("fix it asap", "urgent"),
            ("fix it p2", "high"),
            ("fix it (low priority)", "low"),
            ("fix it, priority: urgent", "urgent"),
            ("fix it not urgent", "low"),
        ] {
            let mut words = Words::new(text);
            assert_eq!(take_priority(&mut words, false), Some(want), "{text}");
            assert_eq!(words.rest().trim_end_matches(','), "fix it", "{text}");
        }
        let mut words = Words::new("clean high shelves");
        assert_eq!(take_priority(&mut words, false), None);
    }

    #[test]
    fn tags_and_categories() {
        let mut words = Words::new("buy milk #Shopping tagged home and food @errands");
        assert_eq!(take_tags(&mut words), ["shopping", "home", "food"]);
        assert_eq!(take_category(&mut words).as_deref(), Some("errands"));
        assert_eq!(words.rest(), "buy milk");
        let mut words = Words::new("write report under work");
        assert_eq!(take_category(&mut words).as_deref(), Some("work"));
        let mut words = Words::new("look under the bed");
        assert_eq!(take_category(&mut words), None);
    }
}
