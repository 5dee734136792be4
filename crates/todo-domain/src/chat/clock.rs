//! Times of day: "5pm", "5:30 pm", "17:30", "noon", "at 7" (which asks:
//! morning or evening?), and the parts of the day with their fixed hours:
//! morning 09:00, afternoon 15:00, evening 19:00, night and tonight 20:00,
//! end of day 17:00, first thing 09:00, noon/lunchtime 12:00.

use chrono::NaiveTime;

use super::words::Words;

/// A time read from a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Clock {
    At(NaiveTime),
    /// "at 7": an hour from 1 to 11 without am/pm.
    Bare(u32),
}

/// A part of the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    Morning,
    Afternoon,
    Evening,
    Night,
}

impl Part {
    pub(super) fn time(self) -> NaiveTime {
        let hour = match self {
            Part::Morning => 9,
            Part::Afternoon => 15,
            Part::Evening => 19,
            Part::Night => 20,
        };
        hm(hour, 0)
    }

    /// The hour `h` (1-12) read in this part of the day.
    pub(super) fn hour(self, h: u32) -> NaiveTime {
        match self {
            Part::Morning => hm(h % 12, 0),
            _ => hm(h % 12 + 12, 0),
        }
    }
}

pub(super) fn hm(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)
}

/// A part of the day at `i` ("morning", "in the evening", "this afternoon").
pub(super) fn part_at(words: &Words, i: usize) -> Option<(Part, usize)> {
    let lead = match words.get(i)? {
        "this" => 1,
        "in" if words.get(i + 1) == Some("the") => 2,
        _ => 0,
    };
    let part = match words.get(i + lead)? {
        "morning" | "am" => Part::Morning,
        "afternoon" => Part::Afternoon,
        "evening" | "pm" => Part::Evening,
        "night" => Part::Night,
        _ => return None,
    };
    // A lone "am"/"pm" is a part of the day only in answers ("pm").
    if lead == 0 && matches!(words.get(i), Some("am" | "pm")) && words.len() > 1 {
        return None;
    }
    Some((part, lead + 1))
}

/// A clock time at `i`, and how many words it takes.
pub(super) fn clock_at(words: &Words, i: usize) -> Option<(Clock, usize)> {
    let word = words.get(i)?;
    let after_at = words
        .before(i)
        .is_some_and(|(k, w)| k + 1 == i && matches!(w, "at" | "@" | "around" | "by" | "from"));
    let named = match word {
        "noon" | "midday" | "lunchtime" | "lunch" if word != "lunch" || after_at => Some(hm(12, 0)),
        "midnight" => Some(hm(23, 59)),
        "eod" | "cob" => Some(hm(17, 0)),
        "end" | "close" => {
            let of_day = [
                "end of day",
                "end of the day",
                "close of business",
                "end of business",
            ];
            if let Some(p) = words.phrase_at(i, &of_day) {
                return Some((Clock::At(hm(17, 0)), super::words::count(p)));
            }
            None
        }
        "first" if words.matches(i, "first thing") => return Some((Clock::At(hm(9, 0)), 2)),
        _ => None,
    };
    if let Some(time) = named {
        return Some((Clock::At(time), 1));
    }
    // "5 pm", "5:30 pm", "7 o'clock"
    let next = words.get(i + 1);
    let (text, len) = match next {
        Some(suffix @ ("am" | "pm" | "a.m" | "p.m")) if is_digits(word) => {
            (format!("{word}{}", suffix.replace('.', "")), 2)
        }
        Some("o'clock" | "oclock") if is_digits(word) => (word.to_owned(), 2),
        _ => (word.replace("a.m", "am").replace("p.m", "pm"), 1),
    };
    let oclock = len == 2 && matches!(next, Some("o'clock" | "oclock"));
    clock(&text, after_at || oclock).map(|c| (c, len))
}

fn is_digits(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_digit() || c == ':' || c == '.')
}

/// `5pm`, `5:30am`, `17:30`, `9:30`; a bare hour (`7`) only after "at".
fn clock(text: &str, after_at: bool) -> Option<Clock> {
    let (digits, offset) = if let Some(d) = text.strip_suffix("pm") {
        (d, Some(12))
    } else if let Some(d) = text.strip_suffix("am") {
        (d, Some(0))
    } else {
        (text, None)
    };
    if !is_digits(digits) {
        return None;
    }
    let (hour, minute) = match digits.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        Some(_) => return None,
        None if offset.is_some() || after_at => (digits.parse::<u32>().ok()?, 0),
        None => return None,
    };
    if minute > 59 {
        return None;
    }
    match offset {
        Some(add) if (1..=12).contains(&hour) => Some(Clock::At(hm(hour % 12 + add, minute))),
        Some(_) => None,
        // "at 7": which 7?
        None if minute == 0 && (1..=11).contains(&hour) && !digits.contains(':') => {
            Some(Clock::Bare(hour))
        }
        None if hour <= 23 => Some(Clock::At(hm(hour, minute))),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<(Clock, usize)> {
        let words = Words::new(text);
        (0..words.len()).find_map(|i| clock_at(&words, i))
    }

    #[test]
    fn clock_times() {
        assert_eq!(read("12am"), Some((Clock::At(hm(0, 0)), 1)));
        assert_eq!(read("12pm"), Some((Clock::At(hm(12, 0)), 1)));
        assert_eq!(read("5 pm"), Some((Clock::At(hm(17, 0)), 2)));
        assert_eq!(read("9:30"), Some((Clock::At(hm(9, 30)), 1)));
        assert_eq!(read("13pm"), None);
        assert_eq!(read("25:00"), None);
        assert_eq!(read("buy 7 eggs"), None);
        assert_eq!(read("at 7"), Some((Clock::Bare(7), 1)));
        assert_eq!(read("at 17"), Some((Clock::At(hm(17, 0)), 1)));
        assert_eq!(read("end of the day"), Some((Clock::At(hm(17, 0)), 4)));
    }

    #[test]
    fn parts_of_the_day_have_fixed_hours() {
        assert_eq!(Part::Evening.time(), hm(19, 0));
        assert_eq!(Part::Evening.hour(7), hm(19, 0));
        assert_eq!(Part::Morning.hour(12), hm(0, 0));
        let words = Words::new("at 7 in the evening");
        assert_eq!(part_at(&words, 2), Some((Part::Evening, 3)));
    }
}
