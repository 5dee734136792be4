//! Calendar words: weekdays, months, written and numeric dates ("15 march",
//! "march 15th", "the 20th", "1/6", "2026-04-01"), "tomorrow", "this
//! weekend", "next week", "end of the month", "in 3 days".
//!
//! A date without a year is the next one to come (or, for questions about
//! what was done, the last one gone). Numeric dates are read day first,
//! except in zones whose people write the month first (the US, the Philippines).

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::words::{Words, number, ordinal};

/// Which way dates without a year are read.
#[derive(Clone, Copy, Debug)]
pub(super) struct Calendar {
    pub today: NaiveDate,
    /// `1/6` is 6 January (else 1 June).
    pub month_first: bool,
    /// Dates without a year are in the past (questions about what was done).
    pub past: bool,
}

/// A day named in a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Day {
    On(NaiveDate),
    /// A date that does not exist ("31 february"), as written.
    Invalid(String),
}

/// Zones whose people write the month first (`12/25`).
pub(super) fn month_first(zone: &str) -> bool {
    zone.starts_with("US/")
        || zone == "Asia/Manila"
        || zone == "Pacific/Honolulu"
        || zone.starts_with("America/Indiana/")
        || zone.starts_with("America/Kentucky/")
        || zone.starts_with("America/North_Dakota/")
        || [
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Los_Angeles",
            "America/Phoenix",
            "America/Anchorage",
            "America/Detroit",
            "America/Boise",
            "America/Juneau",
            "America/Adak",
            "America/Nome",
            "America/Sitka",
            "America/Menominee",
        ]
        .contains(&zone)
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// A weekday by its name, plural or abbreviation ("friday", "fridays", "fri", "thurs").
pub(super) fn weekday(word: &str) -> Option<Weekday> {
    let full = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    if let Some(n) = full
        .iter()
        .position(|d| word == *d || word.strip_suffix('s') == Some(d))
    {
        return Some(WEEKDAYS[n].1);
    }
    let short = match word {
        "tues" => "tue",
        "weds" => "wed",
        "thur" | "thurs" => "thu",
        w => w,
    };
    WEEKDAYS.iter().find(|(d, _)| *d == short).map(|(_, w)| *w)
}

/// The RRULE code of a weekday (`MO`).
pub(super) fn code(day: Weekday) -> &'static str {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][day.num_days_from_monday() as usize]
}

/// A month by its name or abbreviation.
pub(super) fn month(word: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.trim_end_matches('.');
    NAMES
        .iter()
        .position(|m| *m == word || (word.len() >= 3 && m.starts_with(word)))
        .map(|n| n as u32 + 1)
}

/// A day of the month: "15", "15th", "1st".
fn day_number(word: &str) -> Option<u32> {
    let n = word
        .parse::<u32>()
        .ok()
        .or_else(|| ordinal(word).filter(|n| *n > 0).map(|n| n as u32))?;
    (1..=31).contains(&n).then_some(n)
}

fn year(word: &str) -> Option<i32> {
    word.parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
}

/// The next `weekday` after `today` ("friday"; a week on if it is today).
pub(super) fn following(today: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    today + Days::new(if ahead == 0 { 7 } else { ahead.into() })
}

/// `today` if it is `weekday`, else the next one.
pub(super) fn on_or_after(today: NaiveDate, weekday: Weekday) -> NaiveDate {
    if today.weekday() == weekday {
        today
    } else {
        following(today, weekday)
    }
}

/// The last `weekday` up to `today` (today included).
pub(super) fn on_or_before(today: NaiveDate, weekday: Weekday) -> NaiveDate {
    let back = (7 + today.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    today - Days::new(back.into())
}

/// Monday of the week `day` is in.
pub(super) fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Days::new(day.weekday().num_days_from_monday().into())
}

/// The last day of `day`'s month.
pub(super) fn month_end(day: NaiveDate) -> NaiveDate {
    first_of_month(day)
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(day)
}

pub(super) fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

impl Calendar {
    /// `day`/`month`, in the year that makes it the next to come (or the last gone).
    fn month_day(&self, month: u32, day: u32, year: Option<i32>, text: String) -> Day {
        if let Some(year) = year {
            return NaiveDate::from_ymd_opt(year, month, day).map_or(Day::Invalid(text), Day::On);
        }
        let this = self.today.year();
        let Some(date) = NaiveDate::from_ymd_opt(this, month, day)
            .or_else(|| NaiveDate::from_ymd_opt(this + 1, month, day))
        else {
            return Day::Invalid(text);
        };
        let shifted = if self.past && date > self.today {
            NaiveDate::from_ymd_opt(this - 1, month, day)
        } else if !self.past && date < self.today {
            NaiveDate::from_ymd_opt(this + 1, month, day)
        } else {
            Some(date)
        };
        shifted.map_or(Day::Invalid(text), Day::On)
    }

    /// "the 20th": this month's if still to come (or gone), else the next (previous) one's.
    fn nth_of_month(&self, day: u32) -> Option<NaiveDate> {
        let start = first_of_month(self.today);
        (0..3).find_map(|k| {
            let month = if self.past {
                start.checked_sub_months(Months::new(k))?
            } else {
                start.checked_add_months(Months::new(k))?
            };
            let date = month.with_day(day)?;
            let fits = if self.past {
                date <= self.today
            } else {
                date >= self.today
            };
            fits.then_some(date)
        })
    }

    fn weekday(&self, day: Weekday) -> NaiveDate {
        if self.past {
            on_or_before(self.today, day)
        } else {
            following(self.today, day)
        }
    }

    /// A day named by the words starting at `i`, and how many words it takes.
    pub(super) fn day_at(&self, words: &Words, i: usize) -> Option<(Day, usize)> {
        let today = self.today;
        let word = words.get(i)?;
        let next = words.get(i + 1);
        let on = |d: Option<NaiveDate>, len: usize| d.map(|d| (Day::On(d), len));
        const MONTH_END: &[&str] = &[
            "the last day of the month",
            "last day of the month",
            "the last day of this month",
            "last day of this month",
        ];
        if let Some(p) = words.phrase_at(i, MONTH_END) {
            return on(Some(month_end(today)), super::words::count(p));
        }
        match word {
            "today" | "today's" | "todays" => return on(Some(today), 1),
            "tomorrow" | "tmr" | "tmrw" | "tomorow" | "tommorow" | "tomorrow's" => {
                return on(today.succ_opt(), 1);
            }
            "yesterday" | "yesterday's" => return on(today.pred_opt(), 1),
            "day" if words.matches(i, "day after tomorrow") => {
                return on(today.checked_add_days(Days::new(2)), 3);
            }
            "the" if words.matches(i, "the day after tomorrow") => {
                return on(today.checked_add_days(Days::new(2)), 4);
            }
            "weekend" => return on(Some(on_or_after(today, Weekday::Sat)), 1),
            "this" | "the" if next == Some("weekend") => {
                return on(Some(on_or_after(today, Weekday::Sat)), 2);
            }
            "next" => match next? {
                "week" => return on(Some(monday_of(today) + Days::new(7)), 2),
                "month" => return on(today.checked_add_months(Months::new(1)), 2),
                "weekend" => return on(Some(on_or_after(today, Weekday::Sat) + Days::new(7)), 2),
                w => {
                    let day = weekday(w)?;
                    // "next friday" said in a week that still has a friday is the one after.
                    let ahead = following(today, day);
                    let skip = ahead < monday_of(today) + Days::new(7);
                    return on(Some(if skip { ahead + Days::new(7) } else { ahead }), 2);
                }
            },
            "this" => {
                if let Some(day) = next.and_then(weekday) {
                    return on(Some(on_or_after(today, day)), 2);
                }
            }
            "last" => {
                if let Some(day) = next.and_then(weekday) {
                    return on(Some(on_or_before(today.pred_opt()?, day)), 2);
                }
            }
            "end" | "the" => {
                let at = if word == "the" { i + 1 } else { i };
                if words.get(at) == Some("end") {
                    let of = usize::from(words.get(at + 1) == Some("of"));
                    let the = usize::from(of == 1 && words.get(at + 2) == Some("the"));
                    let unit_at = at + 1 + of + the;
                    let len = unit_at + 1 - i;
                    match words.get(unit_at) {
                        Some("week") => return on(Some(on_or_after(today, Weekday::Fri)), len),
                        Some("month") => return on(Some(month_end(today)), len),
                        _ => {}
                    }
                }
            }
            "in" => {
                let count = number(next?)?;
                let unit = words.get(i + 2)?;
                let day = match unit.trim_end_matches('s') {
                    "day" => today.checked_add_days(Days::new(count.into())),
                    "week" => today.checked_add_days(Days::new(u64::from(count) * 7)),
                    "month" => today.checked_add_months(Months::new(count)),
                    "year" => today.checked_add_months(Months::new(count.checked_mul(12)?)),
                    _ => return None,
                };
                return on(day, 3);
            }
            _ => {}
        }
        if let Some(day) = weekday(word) {
            // "friday 13 march": the date says which friday.
            if let Some((date, len)) = self.date_at(words, i + 1) {
                return Some((date, len + 1));
            }
            return on(Some(self.weekday(day)), 1);
        }
        self.date_at(words, i)
    }

    /// A written or numeric date starting at `i`.
    fn date_at(&self, words: &Words, i: usize) -> Option<(Day, usize)> {
        let word = words.get(i)?;
        // "2026-04-01"
        if let Ok(date) = NaiveDate::parse_from_str(word, "%Y-%m-%d") {
            return Some((Day::On(date), 1));
        }
        // "1/6", "25/12/2026"
        if let Some(found) = self.numeric(word) {
            return Some((found, 1));
        }
        let the = usize::from(word == "the");
        let first = words.get(i + the)?;
        // "15 march", "15th of march", "the 15th of march 2027"
        if let Some(day) = day_number(first) {
            let of = usize::from(words.get(i + the + 1) == Some("of"));
            let month_at = i + the + 1 + of;
            if let Some(month) = words.get(month_at).and_then(month) {
                let year = words.get(month_at + 1).and_then(year);
                let len = month_at + 1 + usize::from(year.is_some()) - i;
                let text = format!("{first} {}", words.get(month_at).unwrap_or_default());
                return Some((self.month_day(month, day, year, text), len));
            }
            // "the 20th": needs "the" or an ordinal suffix, and not "the 3rd tuesday".
            let suffixed = first.parse::<u32>().is_err();
            let followed = words.get(i + the + 1);
            let weekday_next = followed.is_some_and(|w| weekday(w).is_some());
            let unit_next = followed.is_some_and(|w| {
                matches!(
                    w.trim_end_matches('s'),
                    "day" | "week" | "month" | "year" | "time" | "minute" | "hour"
                )
            });
            let follower_ok = followed.is_none_or(|w| {
                w.starts_with(['#', '@', '!'])
                    || [
                        "at",
                        "by",
                        "with",
                        "remind",
                        "reminder",
                        "and",
                        "every",
                        "each",
                        "in",
                        "for",
                        "from",
                        "to",
                        "morning",
                        "afternoon",
                        "evening",
                        "night",
                        "noon",
                        "high",
                        "low",
                        "urgent",
                        "medium",
                        "asap",
                        "important",
                        "p1",
                        "p2",
                        "p3",
                        "p4",
                    ]
                    .contains(&w)
            });
            if suffixed && !weekday_next && !unit_next && follower_ok {
                return self
                    .nth_of_month(day)
                    .map(|d| (Day::On(d), the + 1))
                    .or(Some((Day::Invalid(first.to_owned()), the + 1)));
            }
            return None;
        }
        // "march 15", "march 15th, 2027"
        if the == 0
            && let Some(month) = month(first)
            && let Some(day) = words.get(i + 1).and_then(day_number)
        {
            let year = words.get(i + 2).and_then(year);
            let len = 2 + usize::from(year.is_some());
            let text = format!("{first} {}", words.get(i + 1).unwrap_or_default());
            return Some((self.month_day(month, day, year, text), len));
        }
        None
    }

    /// "1/6", "25/12", "12/25/2026" by the zone's order.
    fn numeric(&self, word: &str) -> Option<Day> {
        let parts: Vec<&str> = word.split('/').collect();
        if !(2..=3).contains(&parts.len()) {
            return None;
        }
        let nums: Vec<u32> = parts
            .iter()
            .map(|p| p.parse::<u32>().ok())
            .collect::<Option<_>>()?;
        let (month, day) = if self.month_first {
            (nums[0], nums[1])
        } else {
            (nums[1], nums[0])
        };
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return Some(Day::Invalid(word.to_owned()));
        }
        let year = nums.get(2).map(|y| {
            let y = *y as i32;
            if y < 100 { 2000 + y } else { y }
        });
        Some(self.month_day(month, day, year, word.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal(month_first: bool, past: bool) -> Calendar {
        Calendar {
            today: NaiveDate::from_ymd_opt(2026, 3, 4).unwrap(),
            month_first,
            past,
        }
    }

    fn day(text: &str, calendar: Calendar) -> Option<(String, usize)> {
        let words = Words::new(text);
        calendar.day_at(&words, 0).map(|(d, len)| {
            let d = match d {
                Day::On(d) => d.to_string(),
                Day::Invalid(t) => format!("invalid {t}"),
            };
            (d, len)
        })
    }

    #[test]
    fn written_dates_in_many_forms() {
        let uk = cal(false, false);
        for (text, want, len) in [
            ("15 march", "2026-03-15", 2),
            ("march 15th", "2026-03-15", 2),
            ("the 15th of march", "2026-03-15", 4),
            ("march 3", "2027-03-03", 2),
            ("15 march 2027", "2027-03-15", 3),
            ("the 20th", "2026-03-20", 2),
            ("the 1st", "2026-04-01", 2),
            ("1/6", "2026-06-01", 1),
            ("30/2", "invalid 30/2", 1),
            ("31 february", "invalid 31 february", 2),
            ("friday 13 march", "2026-03-13", 3),
            ("next friday", "2026-03-13", 2),
            ("next monday", "2026-03-09", 2),
            ("end of the month", "2026-03-31", 4),
        ] {
            assert_eq!(day(text, uk), Some((want.to_owned(), len)), "{text}");
        }
        assert_eq!(day("6/1", cal(true, false)).unwrap().0, "2026-06-01");
        assert_eq!(day("monday", cal(false, true)).unwrap().0, "2026-03-02");
        assert_eq!(day("2 march", cal(false, true)).unwrap().0, "2026-03-02");
        assert_eq!(day("3 apples", uk), None);
        assert_eq!(day("the 3rd tuesday", uk), None);
    }

    #[test]
    fn zones_that_write_the_month_first() {
        assert!(month_first("America/New_York"));
        assert!(!month_first("Europe/London"));
        assert!(!month_first("America/Sao_Paulo"));
    }
}
