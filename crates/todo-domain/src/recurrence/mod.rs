//! Recurring rules and the dates they produce.
//!
//! A [`Recurrence`] is a frequency (daily, weekly, monthly, yearly) with an
//! interval, optionally narrowed by the RFC 5545 RRULE subset (BYDAY with
//! ordinals, BYMONTHDAY, BYMONTH, BYSETPOS) and ended by COUNT or UNTIL.
//! Dates are computed on the local calendar of the task's time zone, so a
//! daily 09:00 task stays at 09:00 across DST changes.
//!
//! - `fixed_schedule` (default): occurrences follow the rule from the due
//!   date; occurrences missed before the task was completed are skipped, so
//!   the next due date is the first occurrence after the completion time.
//! - `after_completion`: the next due date is one interval after the day the
//!   task was completed, at the due date's local time (then the first date the
//!   BY parts allow, if any).
//!
//! COUNT counts the instances of the series; missed occurrences that were
//! skipped do not use one up.

mod expand;
mod parse;
mod rrule;
#[cfg(test)]
mod tests;

use std::fmt;

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::due::{Due, TimeZone};
use expand::Dates;

/// The largest accepted `interval`.
pub const MAX_INTERVAL: u32 = 1_000;
/// The largest accepted `count`.
pub const MAX_COUNT: u32 = 1_000;

/// How often the rule's periods come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Frequency {
    fn rrule_name(self) -> &'static str {
        match self {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Yearly => "YEARLY",
        }
    }
}

/// What the next due date counts from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The rule's own schedule, from the due date.
    #[default]
    FixedSchedule,
    /// One interval after the task was completed.
    AfterCompletion,
}

/// A BYDAY entry: a weekday, optionally the nth of its month or year
/// (negative: from the end). Text: `FR`, `3FR`, `-1FR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WeekdayNum {
    pub ordinal: Option<i8>,
    pub weekday: Weekday,
}

impl WeekdayNum {
    /// Parses `[+|-][n]XX` where XX is MO, TU, WE, TH, FR, SA or SU.
    pub fn parse(text: &str) -> Result<WeekdayNum, String> {
        let upper = text.trim().to_ascii_uppercase();
        let split = upper.len().saturating_sub(2);
        let (number, code) = upper.split_at(split);
        let weekday = match code {
            "MO" => Weekday::Mon,
            "TU" => Weekday::Tue,
            "WE" => Weekday::Wed,
            "TH" => Weekday::Thu,
            "FR" => Weekday::Fri,
            "SA" => Weekday::Sat,
            "SU" => Weekday::Sun,
            _ => {
                return Err(format!(
                    "'{text}' is not a weekday: use MO, TU, WE, TH, FR, SA or SU, optionally with an ordinal such as 3FR or -1FR"
                ));
            }
        };
        let ordinal = match number {
            "" => None,
            n => Some(
                n.trim_start_matches('+')
                    .parse::<i8>()
                    .ok()
                    .filter(|n| *n != 0)
                    .ok_or_else(|| {
                        format!("'{text}': the ordinal must be a non-zero number such as 3 or -1")
                    })?,
            ),
        };
        Ok(WeekdayNum { ordinal, weekday })
    }

    fn sort_key(self) -> (i16, u32) {
        (
            self.ordinal.map_or(0, i16::from),
            self.weekday.num_days_from_monday(),
        )
    }
}

impl fmt::Display for WeekdayNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.ordinal {
            write!(f, "{n}")?;
        }
        let code = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
        f.write_str(code[self.weekday.num_days_from_monday() as usize])
    }
}

/// What a series keeps from its first due date: the day (and month) a
/// monthly or yearly series returns to after a shorter month, and the local
/// time of day, which a DST gap may have shifted in one instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Anchor {
    pub month: u32,
    pub day: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<NaiveTime>,
}

impl Anchor {
    fn of(due: &Due, tz: &TimeZone) -> Anchor {
        let (date, time) = match due {
            Due::At(at) => {
                let local = tz.local(at.with_timezone(&Utc));
                (local.date(), Some(local.time()))
            }
            Due::AllDay(day) => (*day, None),
        };
        Anchor {
            month: date.month(),
            day: date.day(),
            time,
        }
    }
}

/// Why a recurrence rule was refused; `field` is the rule's part (`interval`,
/// `by_day`, `rrule`, ...) or empty for the rule as a whole.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RecurrenceError {
    field: &'static str,
    message: String,
}

impl RecurrenceError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        RecurrenceError {
            field,
            message: message.into(),
        }
    }

    /// The part of the rule at fault, or `""` for the whole rule.
    pub fn field(&self) -> &'static str {
        self.field
    }
}

/// A recurring rule. Serde: see [`Recurrence::parse`] for what is accepted;
/// it serializes every part plus its `rrule` text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recurrence {
    pub frequency: Frequency,
    /// Every `interval` periods; at least 1.
    pub interval: u32,
    pub by_day: Vec<WeekdayNum>,
    /// Days of the month, 1..=31 or -31..=-1 (from the end).
    pub by_month_day: Vec<i8>,
    /// Months, 1..=12.
    pub by_month: Vec<u32>,
    /// Positions within each period's dates, 1-based or negative from the end.
    pub by_set_pos: Vec<i16>,
    /// How many instances the series has in all.
    pub count: Option<u32>,
    /// The last day (or instant) an occurrence may fall on.
    pub until: Option<Due>,
    pub mode: Mode,
    /// Set from the due date when the rule is attached; see [`Anchor`].
    pub anchor: Option<Anchor>,
}

impl Recurrence {
    /// A plain rule: every period of `frequency`, forever, on the fixed schedule.
    pub fn new(frequency: Frequency) -> Recurrence {
        Recurrence {
            frequency,
            interval: 1,
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            by_month: Vec::new(),
            by_set_pos: Vec::new(),
            count: None,
            until: None,
            mode: Mode::default(),
            anchor: None,
        }
    }

    /// Parses the JSON form: `{"frequency": "monthly", "interval": 1,
    /// "by_day": ["3FR"], "by_month_day": [-1], "by_month": [1],
    /// "by_set_pos": [-1], "count": 5, "until": "2026-12-31", "mode":
    /// "fixed_schedule"}`, or the same rule as RFC 5545 text in `"rrule":
    /// "FREQ=MONTHLY;BYDAY=3FR"` (with `mode` beside it). Parts given both
    /// ways must agree. Every part is checked, including that the rule can
    /// produce a date at all.
    pub fn parse(value: &serde_json::Value) -> Result<Recurrence, RecurrenceError> {
        parse::from_json(value)
    }

    /// The RFC 5545 text of the rule (without `mode`).
    pub fn to_rrule(&self) -> String {
        rrule::format(self)
    }

    /// Pins the series to its first due date; see [`Anchor`].
    pub fn pin_anchor(&mut self, first: &Due, tz: &TimeZone) {
        self.anchor = Some(Anchor::of(first, tz));
    }

    /// The due date of the instance after `current` (the `occurrence`th of
    /// the series), completed at `completed_at`; `None` when the series is over.
    pub fn next_due(
        &self,
        current: &Due,
        tz: &TimeZone,
        occurrence: u32,
        completed_at: DateTime<Utc>,
    ) -> Option<Due> {
        if self.count.is_some_and(|count| occurrence >= count) {
            return None;
        }
        let series = Series::new(self, current, tz);
        let next = match self.mode {
            Mode::FixedSchedule => {
                let completed_day = tz.local(completed_at).date();
                series
                    .after_current(completed_day)
                    .find(|due| series.is_after(due, completed_at))
            }
            Mode::AfterCompletion => series.one_interval_after(tz.local(completed_at).date()),
        }?;
        self.allows(&next, tz).then_some(next)
    }

    /// The dues of the series after `current` that start in `[from, to)`, at
    /// most `limit`, assuming each instance is completed on time (so nothing
    /// is skipped). For the calendar's projected occurrences.
    pub fn occurrences_between(
        &self,
        current: &Due,
        tz: &TimeZone,
        occurrence: u32,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Vec<Due> {
        let series = Series::new(self, current, tz);
        let remaining = self.count.map_or(usize::MAX, |count| {
            count.saturating_sub(occurrence) as usize
        });
        let dues: Box<dyn Iterator<Item = Due> + '_> = match self.mode {
            Mode::FixedSchedule => {
                // Without COUNT, nothing before `from` matters: skip to it.
                let skip_to = if self.count.is_none() {
                    tz.local(from).date()
                } else {
                    series.date
                };
                Box::new(series.after_current(skip_to))
            }
            Mode::AfterCompletion => Box::new(std::iter::successors(
                series.one_interval_after(series.date),
                move |due| {
                    let day = due.local_date(tz);
                    series.one_interval_after(day)
                },
            )),
        };
        dues.take(remaining)
            .take_while(|due| self.allows(due, tz) && due.starts_at(tz) < to)
            .filter(|due| due.starts_at(tz) >= from)
            .take(limit)
            .collect()
    }

    /// Whether UNTIL lets `due` be part of the series.
    fn allows(&self, due: &Due, tz: &TimeZone) -> bool {
        match &self.until {
            None => true,
            Some(Due::AllDay(last)) => due.local_date(tz) <= *last,
            Some(Due::At(last)) => due.starts_at(tz) <= last.with_timezone(&Utc),
        }
    }

    fn has_by_parts(&self) -> bool {
        !(self.by_day.is_empty()
            && self.by_month_day.is_empty()
            && self.by_month.is_empty()
            && self.by_set_pos.is_empty())
    }
}

/// One series seen from its current instance: where its dates fall, and at
/// what local time.
#[derive(Clone, Copy)]
struct Series<'r> {
    rule: &'r Recurrence,
    tz: &'r TimeZone,
    current: &'r Due,
    date: NaiveDate,
    anchor: Anchor,
}

impl<'r> Series<'r> {
    fn new(rule: &'r Recurrence, current: &'r Due, tz: &'r TimeZone) -> Self {
        Series {
            rule,
            tz,
            current,
            date: current.local_date(tz),
            anchor: rule.anchor.unwrap_or_else(|| Anchor::of(current, tz)),
        }
    }

    /// The instance due on local `date`: all-day if the current one is, else
    /// at the series' local time of day.
    fn due_on(&self, date: NaiveDate) -> Due {
        match self.current {
            Due::AllDay(_) => Due::AllDay(date),
            Due::At(at) => {
                let time = self
                    .anchor
                    .time
                    .unwrap_or_else(|| self.tz.local(at.with_timezone(&Utc)).time());
                Due::At(self.tz.resolve(date.and_time(time)))
            }
        }
    }

    /// The scheduled dues after the current one, from local day `skip_to` on.
    fn after_current(self, skip_to: NaiveDate) -> impl Iterator<Item = Due> + 'r {
        let from = skip_to.max(self.date);
        Dates::new(self.rule, self.anchor, self.date, from)
            .map(move |date| self.due_on(date))
            .filter(move |due| self.is_after_current(due))
    }

    fn is_after_current(&self, due: &Due) -> bool {
        match self.current {
            Due::AllDay(day) => due.local_date(self.tz) > *day,
            Due::At(_) => due.starts_at(self.tz) > self.current.starts_at(self.tz),
        }
    }

    /// Whether `due` is after a completion at `completed_at`: a later local
    /// day for all-day tasks, a later instant otherwise.
    fn is_after(&self, due: &Due, completed_at: DateTime<Utc>) -> bool {
        match due {
            Due::AllDay(day) => *day > self.tz.local(completed_at).date(),
            Due::At(_) => due.starts_at(self.tz) > completed_at,
        }
    }

    /// One interval after local day `day`, then the first date the BY parts allow.
    fn one_interval_after(&self, day: NaiveDate) -> Option<Due> {
        let rule = self.rule;
        let base = match rule.frequency {
            Frequency::Daily => day.checked_add_days(chrono::Days::new(rule.interval.into())),
            Frequency::Weekly => {
                day.checked_add_days(chrono::Days::new(u64::from(rule.interval) * 7))
            }
            Frequency::Monthly => day.checked_add_months(Months::new(rule.interval)),
            Frequency::Yearly => {
                day.checked_add_months(Months::new(rule.interval.checked_mul(12)?))
            }
        }?;
        let date = if rule.has_by_parts() {
            let anchor = Anchor {
                month: base.month(),
                day: base.day(),
                time: self.anchor.time,
            };
            Dates::new(rule, anchor, base, base).next()?
        } else {
            base
        };
        Some(self.due_on(date))
    }
}

impl Serialize for Recurrence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            frequency: Frequency,
            interval: u32,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            by_day: Vec<String>,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            by_month_day: &'a [i8],
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            by_month: &'a [u32],
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            by_set_pos: &'a [i16],
            #[serde(skip_serializing_if = "Option::is_none")]
            count: Option<u32>,
            #[serde(skip_serializing_if = "Option::is_none")]
            until: Option<&'a Due>,
            mode: Mode,
            rrule: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            anchor: Option<Anchor>,
        }
        Wire {
            frequency: self.frequency,
            interval: self.interval,
            by_day: self.by_day.iter().map(ToString::to_string).collect(),
            by_month_day: &self.by_month_day,
            by_month: &self.by_month,
            by_set_pos: &self.by_set_pos,
            count: self.count,
            until: self.until.as_ref(),
            mode: self.mode,
            rrule: self.to_rrule(),
            anchor: self.anchor,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Recurrence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Recurrence::parse(&value).map_err(serde::de::Error::custom)
    }
}
