//! Dates and times in everyday English: "tomorrow at 5pm", "on friday",
//! "next monday", "in 3 days", "2026-12-01 09:30", "tonight".
//!
//! The phrases are found among a message's words and taken out of it, so the
//! words left over can be the task's title.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc, Weekday};

use crate::due::{Due, TimeZone};

/// A message's words, each either still free or already understood.
pub(super) struct Words {
    words: Vec<String>,
    taken: Vec<bool>,
}

impl Words {
    pub(super) fn new(message: &str) -> Words {
        let words: Vec<String> = message.split_whitespace().map(str::to_owned).collect();
        let taken = vec![false; words.len()];
        Words { words, taken }
    }

    /// The lowercase word at `i` without surrounding punctuation, if still free.
    pub(super) fn get(&self, i: usize) -> Option<String> {
        if *self.taken.get(i)? {
            return None;
        }
        let word = self.words.get(i)?;
        Some(
            word.trim_matches(|c: char| {
                matches!(c, ',' | '.' | '!' | '?' | ';' | ':' | '"' | '\'')
            })
            .to_lowercase(),
        )
    }

    /// The word at `i` as written.
    pub(super) fn raw(&self, i: usize) -> Option<&str> {
        self.words.get(i).map(String::as_str)
    }

    pub(super) fn len(&self) -> usize {
        self.words.len()
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
            .all(|(k, p)| self.get(i + k).as_deref() == Some(p))
    }

    /// Takes the first occurrence of any of `phrases`; returns which one.
    pub(super) fn take_phrase<'p>(&mut self, phrases: &[&'p str]) -> Option<&'p str> {
        for i in 0..self.len() {
            for phrase in phrases {
                if self.matches(i, phrase) {
                    self.take(i, phrase.split(' ').count());
                    return Some(phrase);
                }
            }
        }
        None
    }

    /// The free words, as written, joined by single spaces.
    pub(super) fn rest(&self) -> String {
        self.words
            .iter()
            .zip(&self.taken)
            .filter(|(_, taken)| !**taken)
            .map(|(w, _)| w.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Finds a due date among the words (taking them), relative to `now` in `tz`.
/// A day without a time is an all-day due date; a time without a day is
/// today, or tomorrow if that time has passed.
pub(super) fn take_due(words: &mut Words, now: DateTime<Utc>, tz: &TimeZone) -> Option<Due> {
    let day = take_day(words, tz.local(now).date());
    let time = take_time(words);
    compose(day, time, now, tz)
}

/// A due date from an optional day and time (see [`take_due`]).
pub(super) fn compose(
    day: Option<NaiveDate>,
    time: Option<NaiveTime>,
    now: DateTime<Utc>,
    tz: &TimeZone,
) -> Option<Due> {
    let today = tz.local(now).date();
    match (day, time) {
        (Some(day), Some(time)) => Some(Due::At(tz.resolve(day.and_time(time)))),
        (Some(day), None) => Some(Due::AllDay(day)),
        (None, Some(time)) => {
            let at = tz.resolve(today.and_time(time));
            if at.with_timezone(&Utc) > now {
                Some(Due::At(at))
            } else {
                let tomorrow = today.succ_opt()?;
                Some(Due::At(tz.resolve(tomorrow.and_time(time))))
            }
        }
        (None, None) => None,
    }
}

const WEEKDAYS: [(&str, Weekday); 14] = [
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// A weekday by its English name or three-letter abbreviation.
pub(super) fn weekday(word: &str) -> Option<Weekday> {
    WEEKDAYS
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(_, w)| *w)
}

pub(super) fn take_day(words: &mut Words, today: NaiveDate) -> Option<NaiveDate> {
    for i in 0..words.len() {
        let Some(word) = words.get(i) else { continue };
        // "on"/"by"/"due" before a day belong to it.
        let lead =
            usize::from(i > 0 && matches!(words.get(i - 1).as_deref(), Some("on" | "by" | "due")));
        let found: Option<(NaiveDate, usize)> = match word.as_str() {
            "today" | "tonight" => Some((today, 1)),
            "tomorrow" | "tmr" => today.succ_opt().map(|d| (d, 1)),
            "next" => match words.get(i + 1).as_deref() {
                Some("week") => today.checked_add_days(Days::new(7)).map(|d| (d, 2)),
                Some("month") => today.checked_add_months(Months::new(1)).map(|d| (d, 2)),
                Some(w) => weekday(w).map(|w| (following(today, w, true), 2)),
                None => None,
            },
            "in" => in_n_days(words, i, today),
            w => weekday(w)
                .map(|w| (following(today, w, false), 1))
                .or_else(|| {
                    NaiveDate::parse_from_str(w, "%Y-%m-%d")
                        .ok()
                        .map(|d| (d, 1))
                }),
        };
        if let Some((day, len)) = found {
            words.take(i - lead, len + lead);
            return Some(day);
        }
    }
    None
}

/// "in 3 days", "in 2 weeks", "in a month".
fn in_n_days(words: &Words, i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let count = match words.get(i + 1)?.as_str() {
        "a" | "an" | "one" => 1,
        n => n.parse::<u32>().ok().filter(|n| *n <= 3_660)?,
    };
    let unit = words.get(i + 2)?;
    let day = match unit.trim_end_matches('s') {
        "day" => today.checked_add_days(Days::new(count.into())),
        "week" => today.checked_add_days(Days::new(u64::from(count) * 7)),
        "month" => today.checked_add_months(Months::new(count)),
        "year" => today.checked_add_months(Months::new(count.checked_mul(12)?)),
        _ => None,
    }?;
    Some((day, 3))
}

/// `today` if it is `weekday`, else the next one.
pub(super) fn on_or_after(today: NaiveDate, weekday: Weekday) -> NaiveDate {
    if today.weekday() == weekday {
        today
    } else {
        following(today, weekday, false)
    }
}

/// The next `weekday` after `today` (a week later if `skip_this_week` and
/// it falls in the current week).
fn following(today: NaiveDate, weekday: Weekday, skip_this_week: bool) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    let ahead = if ahead == 0 { 7 } else { ahead };
    let ahead = if skip_this_week && ahead < 7 - today.weekday().num_days_from_monday() {
        ahead + 7
    } else {
        ahead
    };
    today + Days::new(ahead.into())
}

pub(super) fn take_time(words: &mut Words) -> Option<NaiveTime> {
    for i in 0..words.len() {
        let Some(word) = words.get(i) else { continue };
        let lead = usize::from(i > 0 && matches!(words.get(i - 1).as_deref(), Some("at" | "@")));
        let named = match word.as_str() {
            "noon" | "midday" => NaiveTime::from_hms_opt(12, 0, 0),
            "midnight" => NaiveTime::from_hms_opt(23, 59, 0),
            "tonight" => NaiveTime::from_hms_opt(20, 0, 0),
            _ => None,
        };
        if let Some(time) = named {
            words.take(i - lead, 1 + lead);
            return Some(time);
        }
        // "5pm", "5:30pm", "17:30", or "5 pm" / "5:30 pm".
        let next = words.get(i + 1);
        let (text, len) = match next.as_deref() {
            Some(ampm @ ("am" | "pm")) if is_clock(&word) => (format!("{word}{ampm}"), 2),
            _ => (word.clone(), 1),
        };
        if let Some(time) = clock(&text, lead == 1) {
            words.take(i - lead, len + lead);
            return Some(time);
        }
    }
    None
}

fn is_clock(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_digit() || c == ':')
}

/// A clock time: `5pm`, `5:30am`, `17:30`; a bare hour (`5`) only after "at".
fn clock(text: &str, after_at: bool) -> Option<NaiveTime> {
    let (digits, offset) = if let Some(d) = text.strip_suffix("pm") {
        (d, Some(12))
    } else if let Some(d) = text.strip_suffix("am") {
        (d, Some(0))
    } else {
        (text, None)
    };
    if !is_clock(digits) {
        return None;
    }
    let (hour, minute) = match digits.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        Some(_) => return None,
        None if offset.is_some() || after_at => (digits.parse::<u32>().ok()?, 0),
        None => return None,
    };
    let hour = match offset {
        Some(add) if (1..=12).contains(&hour) => hour % 12 + add,
        Some(_) => return None,
        None => hour,
    };
    NaiveTime::from_hms_opt(hour, minute, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{tz, utc};

    /// Wednesday 4 March 2026, 10:00 in London.
    const NOW: &str = "2026-03-04T10:00:00Z";

    fn due_in(message: &str) -> (Option<String>, String) {
        let mut words = Words::new(message);
        let due = take_due(&mut words, utc(NOW), &tz("Europe/London"));
        (due.map(|d| d.to_string()), words.rest())
    }

    #[test]
    fn days_and_times_in_everyday_words() {
        for (message, due, rest) in [
            ("buy milk tomorrow", "2026-03-05", "buy milk"),
            (
                "buy milk tomorrow at 5pm",
                "2026-03-05T17:00:00Z",
                "buy milk",
            ),
            (
                "call mum on friday at 9:30 am",
                "2026-03-06T09:30:00Z",
                "call mum",
            ),
            ("pay rent next monday", "2026-03-09", "pay rent"),
            ("review in 3 days", "2026-03-07", "review"),
            ("renew passport in a month", "2026-04-04", "renew passport"),
            (
                "dentist 2026-04-01 at 14:15",
                "2026-04-01T14:15:00+01:00",
                "dentist",
            ),
            ("lunch at noon", "2026-03-04T12:00:00Z", "lunch"),
            ("stretch at 9", "2026-03-05T09:00:00Z", "stretch"),
            ("taxes by sunday", "2026-03-08", "taxes"),
        ] {
            let (got, left) = due_in(message);
            assert_eq!(got.as_deref(), Some(due), "{message}");
            assert_eq!(left, rest, "{message}");
        }
    }

    #[test]
    fn plain_numbers_and_words_are_left_alone() {
        for message in ["buy 3 apples", "read chapter 12", "plan the monthly review"] {
            let (got, left) = due_in(message);
            assert_eq!(got, None, "{message}");
            assert_eq!(left, message);
        }
    }

    #[test]
    fn next_weekday_skips_the_current_week() {
        let wednesday: NaiveDate = "2026-03-04".parse().unwrap();
        assert_eq!(
            following(wednesday, Weekday::Fri, false).to_string(),
            "2026-03-06"
        );
        assert_eq!(
            following(wednesday, Weekday::Fri, true).to_string(),
            "2026-03-13"
        );
        assert_eq!(
            following(wednesday, Weekday::Mon, true).to_string(),
            "2026-03-09"
        );
        assert_eq!(
            following(wednesday, Weekday::Wed, false).to_string(),
            "2026-03-11"
        );
    }

    #[test]
    fn clock_times() {
        assert_eq!(clock("12am", false), NaiveTime::from_hms_opt(0, 0, 0));
        assert_eq!(clock("12pm", false), NaiveTime::from_hms_opt(12, 0, 0));
        assert_eq!(clock("13pm", false), None);
        assert_eq!(clock("25:00", false), None);
        assert_eq!(clock("7", false), None);
        assert_eq!(clock("7", true), NaiveTime::from_hms_opt(7, 0, 0));
    }
}
