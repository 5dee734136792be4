//! Repeats: "every day", "weekly", "every monday wednesday and friday",
//! "every weekday", "every 3 days", "every other week", "every month on the
//! 1st", "the 15th of every month", "last friday of every month", "every
//! year". More often than daily is refused with a question (the task model
//! repeats by day at the finest).

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc, Weekday};
use serde_json::{Map, Value, json};

use super::dates::{code, month_end, weekday};
use super::words::{Words, count, number, ordinal};
use crate::due::TimeZone;

/// A repeat rule as the API's `recurrence` object describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Repeat {
    pub frequency: &'static str,
    pub interval: u32,
    /// `(ordinal, weekday)`: `(None, Fr)` every friday, `(Some(-1), Fr)` the last one of the month.
    pub by_day: Vec<(Option<i32>, Weekday)>,
    pub by_month_day: Vec<i32>,
}

/// What the words say about repeating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Found {
    Repeat(Repeat),
    /// More often than daily.
    TooOften,
}

impl Repeat {
    fn new(frequency: &'static str) -> Repeat {
        Repeat {
            frequency,
            interval: 1,
            ..Repeat::default()
        }
    }

    pub(super) fn to_json(&self) -> Value {
        let mut rule = Map::new();
        rule.insert("frequency".into(), json!(self.frequency));
        if self.interval > 1 {
            rule.insert("interval".into(), json!(self.interval));
        }
        if !self.by_day.is_empty() {
            let days: Vec<String> = self
                .by_day
                .iter()
                .map(|(n, d)| match n {
                    Some(n) => format!("{n}{}", code(*d)),
                    None => code(*d).to_owned(),
                })
                .collect();
            rule.insert("by_day".into(), json!(days));
        }
        if !self.by_month_day.is_empty() {
            rule.insert("by_month_day".into(), json!(self.by_month_day));
        }
        Value::Object(rule)
    }

    /// Whether `day` is one of the rule's days (interval aside).
    fn allows(&self, day: NaiveDate) -> bool {
        let by_day = self.by_day.is_empty()
            || self.by_day.iter().any(|(n, d)| {
                day.weekday() == *d
                    && match n {
                        None => true,
                        Some(-1) => day + Days::new(7) > month_end(day),
                        Some(n) => (day.day() as i32 - 1) / 7 + 1 == *n,
                    }
            });
        let by_month_day = self.by_month_day.is_empty()
            || self.by_month_day.iter().any(|d| match d {
                -1 => day == month_end(day),
                d => day.day() as i32 == *d,
            });
        by_day && by_month_day
    }

    /// The first day of the series from today on (with `time`, the first
    /// whose moment is still to come).
    pub(super) fn first_day(
        &self,
        today: NaiveDate,
        time: Option<NaiveTime>,
        now: DateTime<Utc>,
        tz: &TimeZone,
    ) -> NaiveDate {
        (0..400)
            .filter_map(|k| today.checked_add_days(Days::new(k)))
            .find(|day| {
                self.allows(*day)
                    && time.is_none_or(|t| tz.resolve(day.and_time(t)).with_timezone(&Utc) > now)
            })
            .unwrap_or(today)
    }
}

const FREQUENCIES: &[(&str, &str)] = &[
    ("every day", "daily"),
    ("each day", "daily"),
    ("everyday", "daily"),
    ("daily", "daily"),
    ("every week", "weekly"),
    ("each week", "weekly"),
    ("weekly", "weekly"),
    ("every month", "monthly"),
    ("each month", "monthly"),
    ("monthly", "monthly"),
    ("every year", "yearly"),
    ("each year", "yearly"),
    ("yearly", "yearly"),
    ("annually", "yearly"),
];

const TOO_OFTEN: &[&str] = &[
    "hourly",
    "every hour",
    "every minute",
    "each hour",
    "every half hour",
];

/// A list of weekdays at `i` ("monday wednesday and friday", "mon, wed, fri").
fn weekdays_at(words: &Words, i: usize) -> Option<(Vec<Weekday>, usize)> {
    let mut days = vec![weekday(words.get(i)?)?];
    let mut end = i + 1;
    loop {
        let skip = usize::from(matches!(words.get(end), Some("and" | "&" | "or")));
        match words.get(end + skip).and_then(weekday) {
            Some(day) => {
                if !days.contains(&day) {
                    days.push(day);
                }
                end += skip + 1;
            }
            None => break,
        }
    }
    Some((days, end - i))
}

/// "of the month", "of every month", "of each month", "each month": with whether it said every.
fn of_month_at(words: &Words, i: usize) -> Option<(bool, usize)> {
    for (phrase, every) in [
        ("of every month", true),
        ("of each month", true),
        ("of the month", false),
        ("every month", true),
        ("each month", true),
        ("monthly", true),
    ] {
        if words.matches(i, phrase) {
            return Some((every, count(phrase)));
        }
    }
    None
}

/// "last friday", "2nd tuesday", "first monday" at `i`.
fn nth_weekday_at(words: &Words, i: usize) -> Option<((i32, Weekday), usize)> {
    let n = ordinal(words.get(i)?).filter(|n| (-1..=5).contains(n) && *n != 0)?;
    let day = weekday(words.get(i + 1)?)?;
    Some(((n, day), 2))
}

/// Finds (and takes) a repeat among the words.
pub(super) fn take_repeat(words: &mut Words) -> Option<Found> {
    if words.take_phrase(TOO_OFTEN).is_some() {
        return Some(Found::TooOften);
    }
    for i in 0..words.len() {
        let Some(word) = words.get(i) else { continue };
        let every = matches!(word, "every" | "each");
        // "[every] [the] last friday of [every|the] month"
        let at =
            i + usize::from(every) + usize::from(words.get(i + usize::from(every)) == Some("the"));
        if let Some(((n, day), len)) = nth_weekday_at(words, at)
            && let Some((month_every, tail)) = of_month_at(words, at + len)
            && (every || month_every)
        {
            let start = lead_on(words, i);
            words.take(start, at + len + tail - start);
            let mut rule = Repeat::new("monthly");
            rule.by_day.push((Some(n), day));
            return Some(Found::Repeat(rule));
        }
        // "[on] the 15th of every month", "every last day of the month"
        if let Some((day, len)) = month_day_at(words, at)
            && let Some((month_every, tail)) = of_month_at(words, at + len)
            && (every || month_every)
        {
            let start = lead_on(words, i);
            words.take(start, at + len + tail - start);
            let mut rule = Repeat::new("monthly");
            rule.by_month_day.push(day);
            return Some(Found::Repeat(rule));
        }
        if let Some(&(phrase, frequency)) = FREQUENCIES.iter().find(|(p, _)| words.matches(i, p)) {
            words.take(i, count(phrase));
            let mut rule = Repeat::new(frequency);
            refine(words, &mut rule);
            return Some(Found::Repeat(rule));
        }
        if !every {
            // "tuesdays and thursdays", "on fridays", "mon wed fri": plural
            // weekdays, or several, repeat.
            if let Some((days, len)) = weekdays_at(words, i)
                && (word.ends_with("days") || days.len() >= 2)
            {
                let start = lead_on(words, i);
                words.take(start, i + len - start);
                let mut rule = Repeat::new("weekly");
                rule.by_day = days.into_iter().map(|d| (None, d)).collect();
                return Some(Found::Repeat(rule));
            }
            // "on weekdays"
            if matches!(word, "weekdays") {
                words.take(lead_on(words, i), i + 1 - lead_on(words, i));
                return Some(Found::Repeat(weekdays()));
            }
            continue;
        }
        let next = words.get(i + 1);
        match next {
            Some("weekday" | "weekdays" | "workday" | "workdays") => {
                words.take(i, 2);
                return Some(Found::Repeat(weekdays()));
            }
            Some("work") if words.get(i + 2) == Some("day") => {
                words.take(i, 3);
                return Some(Found::Repeat(weekdays()));
            }
            Some("weekend" | "weekends") => {
                words.take(i, 2);
                let mut rule = Repeat::new("weekly");
                rule.by_day = vec![(None, Weekday::Sat), (None, Weekday::Sun)];
                return Some(Found::Repeat(rule));
            }
            Some("morning" | "afternoon" | "evening" | "night") => {
                // The part of the day stays for the time reader.
                words.take(i, 1);
                return Some(Found::Repeat(Repeat::new("daily")));
            }
            _ => {}
        }
        if let Some((days, len)) = weekdays_at(words, i + 1) {
            words.take(i, 1 + len);
            let mut rule = Repeat::new("weekly");
            rule.by_day = days.into_iter().map(|d| (None, d)).collect();
            return Some(Found::Repeat(rule));
        }
        // "every other week", "every 3 days", "every other friday"
        let interval = match next {
            Some("other" | "second") => Some(2),
            Some(n) => number(n).filter(|n| *n >= 2),
            None => None,
        };
        let Some(interval) = interval else { continue };
        if let Some((days, len)) = weekdays_at(words, i + 2) {
            words.take(i, 2 + len);
            let mut rule = Repeat::new("weekly");
            rule.interval = interval;
            rule.by_day = days.into_iter().map(|d| (None, d)).collect();
            return Some(Found::Repeat(rule));
        }
        let frequency = match words.get(i + 2).map(|u| u.trim_end_matches('s')) {
            Some("day") => "daily",
            Some("week") => "weekly",
            Some("month") => "monthly",
            Some("year") => "yearly",
            Some("minute" | "min" | "hour" | "hr") => {
                words.take(i, 3);
                return Some(Found::TooOften);
            }
            _ => continue,
        };
        words.take(i, 3);
        let mut rule = Repeat::new(frequency);
        rule.interval = interval;
        refine(words, &mut rule);
        return Some(Found::Repeat(rule));
    }
    None
}

fn weekdays() -> Repeat {
    let mut rule = Repeat::new("weekly");
    rule.by_day = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
    .into_iter()
    .map(|d| (None, d))
    .collect();
    rule
}

/// Where a phrase at `i` starts if an "on" before it belongs to it.
fn lead_on(words: &Words, i: usize) -> usize {
    match words.before(i) {
        Some((k, "on")) if k + 1 == i => k,
        _ => i,
    }
}

/// "15th", "1st", "last day" at `i` (after an optional "the"), and its length.
fn month_day_at(words: &Words, i: usize) -> Option<(i32, usize)> {
    if words.matches(i, "last day") {
        return Some((-1, 2));
    }
    let word = words.get(i)?;
    if word.parse::<u32>().is_ok() {
        return None;
    }
    let n = ordinal(word).filter(|n| *n > 0)?;
    Some((n, 1))
}

/// "every week on tuesday", "every month on the 1st", "every 15th".
fn refine(words: &mut Words, rule: &mut Repeat) {
    for i in 0..words.len() {
        if words.get(i) != Some("on") {
            continue;
        }
        match rule.frequency {
            "weekly" => {
                if let Some((days, len)) = weekdays_at(words, i + 1) {
                    words.take(i, 1 + len);
                    rule.by_day = days.into_iter().map(|d| (None, d)).collect();
                    return;
                }
            }
            "monthly" => {
                let the = usize::from(words.get(i + 1) == Some("the"));
                if let Some((day, len)) = month_day_at(words, i + 1 + the) {
                    words.take(i, 1 + the + len);
                    rule.by_month_day.push(day);
                    return;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> (Option<Value>, String) {
        let mut words = Words::new(text);
        let found = take_repeat(&mut words).map(|f| match f {
            Found::Repeat(r) => r.to_json(),
            Found::TooOften => json!("too often"),
        });
        (found, words.rest())
    }

    #[test]
    fn repeats_in_everyday_words() {
        for (text, want, rest) in [
            (
                "gym every monday wednesday and friday",
                json!({"frequency": "weekly", "by_day": ["MO", "WE", "FR"]}),
                "gym",
            ),
            (
                "bins every other friday",
                json!({"frequency": "weekly", "interval": 2, "by_day": ["FR"]}),
                "bins",
            ),
            (
                "rent every month on the 1st",
                json!({"frequency": "monthly", "by_month_day": [1]}),
                "rent",
            ),
            (
                "payroll last friday of every month",
                json!({"frequency": "monthly", "by_day": ["-1FR"]}),
                "payroll",
            ),
            (
                "card on the 15th of every month",
                json!({"frequency": "monthly", "by_month_day": [15]}),
                "card",
            ),
            (
                "sync every 2 weeks on tuesday",
                json!({"frequency": "weekly", "interval": 2, "by_day": ["TU"]}),
                "sync",
            ),
            ("pills every hour", json!("too often"), "pills"),
        ] {
            assert_eq!(rule(text), (Some(want), rest.to_owned()), "{text}");
        }
        assert_eq!(rule("plan the month").0, None);
    }

    #[test]
    fn the_first_day_is_the_first_the_rule_allows() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
        let now: DateTime<Utc> = "2026-03-04T10:00:00Z".parse().unwrap();
        let tz = TimeZone::parse("Europe/London").unwrap();
        let mut last_friday = Repeat::new("monthly");
        last_friday.by_day.push((Some(-1), Weekday::Fri));
        assert_eq!(
            last_friday.first_day(today, None, now, &tz).to_string(),
            "2026-03-27"
        );
        let daily = Repeat::new("daily");
        let seven = NaiveTime::from_hms_opt(7, 0, 0);
        assert_eq!(
            daily.first_day(today, seven, now, &tz).to_string(),
            "2026-03-05"
        );
    }
}
