//! A message as words, each either still free or already understood.
//!
//! Every reader (dates, times, repeats, marks, ...) finds its phrase among
//! the free words and takes it, so the words left over are the title or the
//! task referred to.

/// Characters that surround a word without being part of it.
fn is_edge(c: char) -> bool {
    matches!(
        c,
        ',' | '.'
            | '!'
            | '?'
            | ';'
            | ':'
            | '"'
            | '\''
            | '('
            | ')'
            | '['
            | ']'
            | '‘'
            | '’'
            | '“'
            | '”'
    )
}

/// A message's words.
#[derive(Clone, Debug)]
pub(super) struct Words {
    raw: Vec<String>,
    lower: Vec<String>,
    taken: Vec<bool>,
}

impl Words {
    pub(super) fn new(message: &str) -> Words {
        let raw: Vec<String> = message.split_whitespace().map(str::to_owned).collect();
        let lower = raw
            .iter()
            .map(|w| {
                let w = w.to_lowercase().replace('’', "'");
                // Keep a leading `!` (priority marks) but no other punctuation.
                if w.starts_with('!') || w.chars().all(|c| c == '?') {
                    w.trim_end_matches([',', '.', ';', ':', ')']).to_owned()
                } else {
                    w.trim_matches(is_edge).to_owned()
                }
            })
            .collect();
        let taken = vec![false; raw.len()];
        Words { raw, lower, taken }
    }

    pub(super) fn len(&self) -> usize {
        self.raw.len()
    }

    /// The lowercase word at `i` without surrounding punctuation, if still free.
    pub(super) fn get(&self, i: usize) -> Option<&str> {
        if *self.taken.get(i)? {
            return None;
        }
        self.lower.get(i).map(String::as_str)
    }

    /// The word at `i` as written, if still free.
    pub(super) fn raw(&self, i: usize) -> Option<&str> {
        if *self.taken.get(i)? {
            return None;
        }
        self.raw.get(i).map(String::as_str)
    }

    /// Whether the word at `i` ends with a comma (a list goes on).
    pub(super) fn comma_after(&self, i: usize) -> bool {
        self.raw.get(i).is_some_and(|w| w.ends_with(','))
    }

    pub(super) fn is_free(&self, i: usize) -> bool {
        self.taken.get(i).is_some_and(|t| !t)
    }

    pub(super) fn take(&mut self, from: usize, count: usize) {
        for slot in self.taken.iter_mut().skip(from).take(count) {
            *slot = true;
        }
    }

    /// Whether the free words starting at `i` are `phrase` (space-separated, lowercase).
    pub(super) fn matches(&self, i: usize, phrase: &str) -> bool {
        phrase
            .split(' ')
            .enumerate()
            .all(|(k, p)| self.get(i + k) == Some(p))
    }

    /// Which of `phrases` starts at `i` (the first listed wins).
    pub(super) fn phrase_at<'p>(&self, i: usize, phrases: &[&'p str]) -> Option<&'p str> {
        phrases.iter().find(|p| self.matches(i, p)).copied()
    }

    /// Where the first of `phrases` occurs, and which.
    pub(super) fn find<'p>(&self, phrases: &[&'p str]) -> Option<(usize, &'p str)> {
        (0..self.len()).find_map(|i| self.phrase_at(i, phrases).map(|p| (i, p)))
    }

    /// Takes the first occurrence of any of `phrases`; returns which one.
    pub(super) fn take_phrase<'p>(&mut self, phrases: &[&'p str]) -> Option<&'p str> {
        let (i, phrase) = self.find(phrases)?;
        self.take(i, count(phrase));
        Some(phrase)
    }

    /// Takes `phrases` at the start of the free words, if one is there.
    pub(super) fn take_leading<'p>(&mut self, phrases: &[&'p str]) -> Option<&'p str> {
        let first = (0..self.len()).find(|i| self.is_free(*i))?;
        let phrase = self.phrase_at(first, phrases)?;
        self.take(first, count(phrase));
        Some(phrase)
    }

    /// Whether `phrase` occurs among the free words.
    pub(super) fn has_phrase(&self, phrase: &str) -> bool {
        self.find(&[phrase]).is_some()
    }

    /// Whether the message contains `word` among its free words.
    pub(super) fn has(&self, word: &str) -> bool {
        self.find(&[word]).is_some()
    }

    /// The previous free word before `i`, with its index.
    pub(super) fn before(&self, i: usize) -> Option<(usize, &str)> {
        (0..i)
            .rev()
            .find(|k| self.is_free(*k))
            .and_then(|k| self.get(k).map(|w| (k, w)))
    }

    /// The free words, as written, joined by single spaces.
    pub(super) fn rest(&self) -> String {
        self.raw
            .iter()
            .zip(&self.taken)
            .filter(|(_, taken)| !**taken)
            .map(|(w, _)| w.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The free words from `i` on, as a new message (for a part read apart).
    pub(super) fn split_off(&mut self, i: usize) -> Words {
        let part: Vec<String> = (i..self.len())
            .filter(|k| self.is_free(*k))
            .map(|k| self.raw[k].clone())
            .collect();
        self.take(i, self.len() - i);
        Words::new(&part.join(" "))
    }
}

/// How many words `phrase` has.
pub(super) fn count(phrase: &str) -> usize {
    phrase.split(' ').count()
}

/// How people say a task is done ("mark #3 as done", "mark all shopping
/// tasks completed", "tick #2 off").
pub(super) const DONE_WORDS: &[&str] = &[
    "as done",
    "as complete",
    "as completed",
    "as finished",
    "done",
    "complete",
    "completed",
    "finished",
    "off",
];

/// A small count in digits or words ("3", "three", "a").
pub(super) fn number(word: &str) -> Option<u32> {
    const WORDS: [&str; 13] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    match word {
        "a" | "an" => Some(1),
        w => WORDS
            .iter()
            .position(|n| *n == w)
            .map(|n| n as u32)
            .or_else(|| w.parse().ok()),
    }
}

/// "first" -> 1, "2nd" -> 2, "last" -> -1 (ordinals up to the tenth).
pub(super) fn ordinal(word: &str) -> Option<i32> {
    const WORDS: [&str; 10] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth",
    ];
    if word == "last" {
        return Some(-1);
    }
    if let Some(n) = WORDS.iter().position(|w| *w == word) {
        return Some(n as i32 + 1);
    }
    ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| word.strip_suffix(s))
        .and_then(|n| n.parse::<i32>().ok())
        .filter(|n| (1..=31).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_compared_without_case_or_punctuation() {
        let mut words = Words::new("Add (Low priority), tomorrow! !high");
        assert_eq!(words.get(1), Some("low"));
        assert_eq!(words.get(2), Some("priority"));
        assert_eq!(words.get(4), Some("!high"));
        assert_eq!(words.take_phrase(&["low priority"]), Some("low priority"));
        assert_eq!(words.rest(), "Add tomorrow! !high");
    }

    #[test]
    fn numbers_and_ordinals() {
        assert_eq!(number("three"), Some(3));
        assert_eq!(number("an"), Some(1));
        assert_eq!(number("45"), Some(45));
        assert_eq!(ordinal("2nd"), Some(2));
        assert_eq!(ordinal("last"), Some(-1));
        assert_eq!(ordinal("32nd"), None);
    }
}
