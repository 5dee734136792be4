//! When a task is due: a day, a time of day, or a moment counted from now
//! ("in 2 hours"), read together and turned into a due date. A day without
//! a time is an all-day due date; a time without a day is today, or
//! tomorrow if that time has passed.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::clock::{Clock, Part, clock_at, hm, part_at};
use super::dates::{Calendar, Day, month_first};
use super::words::{Words, number};
use crate::due::{Due, TimeZone};

/// Words that belong to the day or time that follows them.
const DAY_LEADS: &[&str] = &["on", "by", "for", "due", "until", "till", "before", "at"];
const TIME_LEADS: &[&str] = &["at", "@", "by", "around", "from", "before"];

/// Everything a message says about when.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct When {
    pub day: Option<NaiveDate>,
    pub time: Option<NaiveTime>,
    /// "in 2 hours": a local moment.
    pub exact: Option<NaiveDateTime>,
    /// "at 7" with nothing to say morning or evening.
    pub bare_hour: Option<u32>,
    /// A date that does not exist, as written.
    pub invalid: Option<String>,
}

impl When {
    pub(super) fn is_empty(&self) -> bool {
        *self == When::default()
    }
}

/// The calendar a message is read with.
pub(super) fn calendar(now: DateTime<Utc>, tz: &TimeZone, past: bool) -> Calendar {
    Calendar {
        today: tz.local(now).date(),
        month_first: month_first(tz.name()),
        past,
    }
}

/// Takes the lead word before `i` (e.g. "on" in "on friday"), if any.
fn take_lead(words: &mut Words, i: usize, leads: &[&str]) {
    if let Some((k, w)) = words.before(i)
        && k + 1 == i
        && leads.contains(&w)
    {
        words.take(k, 1);
    }
}

/// Finds (and takes) a day named among the words.
pub(super) fn take_day(words: &mut Words, cal: &Calendar) -> Option<Day> {
    for i in 0..words.len() {
        if let Some((day, len)) = cal.day_at(words, i) {
            words.take(i, len);
            take_lead(words, i, DAY_LEADS);
            return Some(day);
        }
    }
    None
}

/// "in 2 hours", "in 30 minutes", "in an hour", "in 45 mins", "half an hour".
fn take_from_now(words: &mut Words) -> Option<Duration> {
    for i in 0..words.len() {
        if words.get(i) != Some("in") {
            continue;
        }
        if words.matches(i + 1, "half an hour") {
            words.take(i, 4);
            return Some(Duration::minutes(30));
        }
        let (count, unit_at) = match words.get(i + 1).and_then(compact) {
            Some((n, unit)) => {
                let minutes = if unit == 'h' { n * 60 } else { n };
                if unit == 'h' || unit == 'm' {
                    words.take(i, 2);
                    return Some(Duration::minutes(minutes.into()));
                }
                continue;
            }
            None => (words.get(i + 1).and_then(number), i + 2),
        };
        let Some(count) = count else { continue };
        let minutes = match words.get(unit_at).map(|u| u.trim_end_matches('s')) {
            Some("minute" | "min" | "mn") => count,
            Some("hour" | "hr") => count * 60,
            _ => continue,
        };
        words.take(i, unit_at + 1 - i);
        return Some(Duration::minutes(minutes.into()));
    }
    None
}

/// "30m", "2h", "1d", "1w", "15min" -> (15, 'm').
pub(super) fn compact(word: &str) -> Option<(u32, char)> {
    let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
    let unit = &word[digits.len()..];
    let n = digits.parse().ok()?;
    let unit = match unit {
        "m" | "min" | "mins" => 'm',
        "h" | "hr" | "hrs" => 'h',
        "d" => 'd',
        "w" | "wk" | "wks" => 'w',
        _ => return None,
    };
    Some((n, unit))
}

/// Reads (and takes) everything said about when, relative to `now` in `tz`.
pub(super) fn take_when(words: &mut Words, now: DateTime<Utc>, tz: &TimeZone) -> When {
    let cal = calendar(now, tz, false);
    let mut when = When::default();
    if let Some(ahead) = take_from_now(words) {
        let at = tz.local(now) + ahead;
        when.exact = Some(at);
        return when;
    }
    // "tonight", "this evening": today at that part of the day.
    if let Some(p) =
        words.take_phrase(&["tonight", "this morning", "this afternoon", "this evening"])
    {
        when.day = Some(cal.today);
        let part = match p {
            "this morning" => Part::Morning,
            "this afternoon" => Part::Afternoon,
            "this evening" => Part::Evening,
            _ => Part::Night,
        };
        when.time = Some(part.time());
        words.take_phrase(&["at"]);
        take_clock(words, &mut when, Some(part));
        return when;
    }
    match take_day(words, &cal) {
        Some(Day::On(day)) => when.day = Some(day),
        Some(Day::Invalid(text)) => when.invalid = Some(text),
        None => {}
    }
    let part = (0..words.len()).find_map(|i| part_at(words, i).map(|(p, len)| (i, p, len)));
    let part = part.map(|(i, p, len)| {
        words.take(i, len);
        p
    });
    take_clock(words, &mut when, part);
    if when.time.is_none()
        && when.bare_hour.is_none()
        && let Some(part) = part
    {
        when.time = Some(part.time());
    }
    when
}

/// The clock time among the words, read in `part` of the day if one was said.
fn take_clock(words: &mut Words, when: &mut When, part: Option<Part>) {
    for i in 0..words.len() {
        let Some((clock, len)) = clock_at(words, i) else {
            continue;
        };
        words.take(i, len);
        take_lead(words, i, TIME_LEADS);
        match (clock, part) {
            (Clock::At(t), _) => when.time = Some(t),
            (Clock::Bare(h), Some(part)) => when.time = Some(part.hour(h)),
            (Clock::Bare(h), None) => when.bare_hour = Some(h),
        }
        return;
    }
}

/// The due date `when` comes to, if it names one.
pub(super) fn due(when: &When, now: DateTime<Utc>, tz: &TimeZone) -> Option<Due> {
    if let Some(exact) = when.exact {
        // To the minute: "in 2 hours" said at 10:00:27 is 12:00.
        let exact = exact.date().and_time(hm(
            chrono::Timelike::hour(&exact),
            chrono::Timelike::minute(&exact),
        ));
        return Some(Due::At(tz.resolve(exact)));
    }
    compose(when.day, when.time, now, tz)
}

/// A due date from an optional day and time (see the module's rules).
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
                Some(Due::At(tz.resolve(today.succ_opt()?.and_time(time))))
            }
        }
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{tz, utc};

    /// Wednesday 4 March 2026, 10:00 in London.
    const NOW: &str = "2026-03-04T10:00:00Z";

    fn due_in(message: &str) -> (Option<String>, String) {
        let mut words = Words::new(message);
        let when = take_when(&mut words, utc(NOW), &tz("Europe/London"));
        let due = due(&when, utc(NOW), &tz("Europe/London"));
        (due.map(|d| d.to_string()), words.rest())
    }

    #[test]
    fn days_and_times_in_everyday_words() {
        for (message, due, rest) in [
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
            ("review in 3 days", "2026-03-07", "review"),
            ("stretch in 2 hours", "2026-03-04T12:00:00Z", "stretch"),
            (
                "dentist 2026-04-01 at 14:15",
                "2026-04-01T14:15:00+01:00",
                "dentist",
            ),
            ("yoga tomorrow morning", "2026-03-05T09:00:00Z", "yoga"),
            ("call at 7 in the evening", "2026-03-04T19:00:00Z", "call"),
            (
                "walk the dog tonight",
                "2026-03-04T20:00:00Z",
                "walk the dog",
            ),
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
    fn a_bare_hour_is_not_guessed() {
        let mut words = Words::new("call bob at 7");
        let when = take_when(&mut words, utc(NOW), &tz("Europe/London"));
        assert_eq!(when.bare_hour, Some(7));
        assert_eq!(due(&when, utc(NOW), &tz("Europe/London")), None);
    }
}
