//! Expanding a rule into occurrence dates, RFC 5545 style: the rule's
//! frequency and interval lay a grid of periods (days, weeks, months or
//! years) from the series start; the BY parts pick dates inside each period;
//! BYSETPOS picks among those.
//!
//! One deliberate difference from RFC 5545: a plain monthly or yearly rule
//! whose day does not exist in a month (the 31st, 29 February) falls on the
//! month's last day instead of skipping the month, which is what people mean
//! by "every month on the 31st".

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::{Anchor, Frequency, Recurrence, WeekdayNum};

/// How many consecutive periods may produce no date before the expansion
/// gives up: a rule can be unsatisfiable for one start (a daily rule with
/// interval 7 limited to Mondays, started on a Tuesday) though valid in general.
const MAX_EMPTY_PERIODS: u32 = 1_000;

/// The dates of `rule`'s occurrences on or after `from`, in order, for a series
/// whose period grid starts at `start` and whose day is pinned by `anchor`.
pub(super) struct Dates<'r> {
    rule: &'r Recurrence,
    anchor: Anchor,
    start: NaiveDate,
    from: NaiveDate,
    period: u64,
    pending: std::vec::IntoIter<NaiveDate>,
    empty_run: u32,
    done: bool,
}

impl<'r> Dates<'r> {
    pub(super) fn new(
        rule: &'r Recurrence,
        anchor: Anchor,
        start: NaiveDate,
        from: NaiveDate,
    ) -> Self {
        // Periods wholly before `from` cannot hold a wanted date: skip them
        // without expanding, so a series years overdue costs no more than one.
        let elapsed = periods_between(rule.frequency, start, from);
        let period = (elapsed / u64::from(rule.interval.max(1))).saturating_sub(1);
        Dates {
            rule,
            anchor,
            start,
            from,
            period,
            pending: Vec::new().into_iter(),
            empty_run: 0,
            done: false,
        }
    }

    /// The candidate dates of period `k`, sorted, after BYSETPOS; `None` past
    /// the end of the calendar.
    fn expand(&self, k: u64) -> Option<Vec<NaiveDate>> {
        let rule = self.rule;
        let step = k.checked_mul(u64::from(rule.interval))?;
        let mut dates = match rule.frequency {
            Frequency::Daily => {
                let day = self.start.checked_add_days(Days::new(step))?;
                let keep = (rule.by_month.is_empty() || rule.by_month.contains(&day.month()))
                    && (rule.by_month_day.is_empty() || matches_month_day(rule, day))
                    && (rule.by_day.is_empty()
                        || rule.by_day.iter().any(|d| d.weekday == day.weekday()));
                if keep { vec![day] } else { Vec::new() }
            }
            Frequency::Weekly => {
                let monday = self
                    .start
                    .checked_sub_days(Days::new(u64::from(
                        self.start.weekday().num_days_from_monday(),
                    )))?
                    .checked_add_days(Days::new(step.checked_mul(7)?))?;
                let weekdays: Vec<Weekday> = if rule.by_day.is_empty() {
                    vec![self.start.weekday()]
                } else {
                    rule.by_day.iter().map(|d| d.weekday).collect()
                };
                weekdays
                    .into_iter()
                    .filter_map(|w| {
                        monday.checked_add_days(Days::new(u64::from(w.num_days_from_monday())))
                    })
                    .filter(|d| rule.by_month.is_empty() || rule.by_month.contains(&d.month()))
                    .collect()
            }
            Frequency::Monthly => {
                let first = self
                    .start
                    .with_day(1)?
                    .checked_add_months(Months::new(u32::try_from(step).ok()?))?;
                if rule.by_month.is_empty() || rule.by_month.contains(&first.month()) {
                    in_month(rule, self.anchor, first.year(), first.month())
                } else {
                    Vec::new()
                }
            }
            Frequency::Yearly => {
                let year = self.start.year().checked_add(i32::try_from(step).ok()?)?;
                in_year(rule, self.anchor, year)
            }
        };
        dates.sort_unstable();
        dates.dedup();
        Some(select_positions(&rule.by_set_pos, dates))
    }
}

impl Iterator for Dates<'_> {
    type Item = NaiveDate;

    fn next(&mut self) -> Option<NaiveDate> {
        loop {
            if let Some(date) = self.pending.by_ref().find(|d| *d >= self.from) {
                return Some(date);
            }
            if self.done || self.empty_run >= MAX_EMPTY_PERIODS {
                return None;
            }
            match self.expand(self.period) {
                Some(dates) => {
                    self.empty_run = if dates.is_empty() {
                        self.empty_run + 1
                    } else {
                        0
                    };
                    self.pending = dates.into_iter();
                    self.period += 1;
                }
                None => self.done = true,
            }
        }
    }
}

/// Whole periods of `frequency` from `start` to `to` (0 if `to` is not later).
fn periods_between(frequency: Frequency, start: NaiveDate, to: NaiveDate) -> u64 {
    if to <= start {
        return 0;
    }
    let days = u64::try_from((to - start).num_days()).unwrap_or(0);
    let months = (to.year() - start.year()) * 12 + to.month() as i32 - start.month() as i32;
    match frequency {
        Frequency::Daily => days,
        Frequency::Weekly => days / 7,
        Frequency::Monthly => u64::try_from(months).unwrap_or(0),
        Frequency::Yearly => u64::try_from(to.year() - start.year()).unwrap_or(0),
    }
}

/// The dates a monthly period (or one BYMONTH month of a yearly period) holds.
fn in_month(rule: &Recurrence, anchor: Anchor, year: i32, month: u32) -> Vec<NaiveDate> {
    let Some(last) = last_day(year, month) else {
        return Vec::new();
    };
    if rule.by_month_day.is_empty() && rule.by_day.is_empty() {
        return clamped(year, month, anchor.day).into_iter().collect();
    }
    let days = (1..=last).filter_map(|d| NaiveDate::from_ymd_opt(year, month, d));
    days.filter(|d| rule.by_month_day.is_empty() || matches_month_day(rule, *d))
        .filter(|d| {
            rule.by_day.is_empty() || rule.by_day.iter().any(|w| nth_in(*w, *d, Scope::Month))
        })
        .collect()
}

/// The dates a yearly period holds.
fn in_year(rule: &Recurrence, anchor: Anchor, year: i32) -> Vec<NaiveDate> {
    if !rule.by_month.is_empty() {
        return rule
            .by_month
            .iter()
            .flat_map(|m| in_month(rule, anchor, year, *m))
            .collect();
    }
    if rule.by_day.is_empty() && rule.by_month_day.is_empty() {
        return clamped(year, anchor.month, anchor.day)
            .into_iter()
            .collect();
    }
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Vec::new();
    };
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| rule.by_month_day.is_empty() || matches_month_day(rule, *d))
        .filter(|d| {
            rule.by_day.is_empty() || rule.by_day.iter().any(|w| nth_in(*w, *d, Scope::Year))
        })
        .collect()
}

/// Whether `date` is one of BYMONTHDAY's days (negative counts from the month's end).
fn matches_month_day(rule: &Recurrence, date: NaiveDate) -> bool {
    let Some(last) = last_day(date.year(), date.month()) else {
        return false;
    };
    let day = i64::from(date.day());
    let from_end = day - i64::from(last) - 1;
    rule.by_month_day
        .iter()
        .any(|d| i64::from(*d) == day || i64::from(*d) == from_end)
}

/// What an ordinal weekday counts within.
#[derive(Clone, Copy)]
enum Scope {
    Month,
    Year,
}

/// Whether `date` is the weekday `w` names, and, with an ordinal, the nth
/// such day of its month or year (negative: counted from the end).
fn nth_in(w: WeekdayNum, date: NaiveDate, scope: Scope) -> bool {
    if date.weekday() != w.weekday {
        return false;
    }
    let Some(n) = w.ordinal else {
        return true;
    };
    let (position, days_left) = match scope {
        Scope::Month => {
            let last = last_day(date.year(), date.month()).unwrap_or(31);
            (date.day0() / 7, (last - date.day()) / 7)
        }
        Scope::Year => {
            let last = if date.leap_year() { 366 } else { 365 };
            (date.ordinal0() / 7, (last - date.ordinal()) / 7)
        }
    };
    if n > 0 {
        i64::from(n) == i64::from(position) + 1
    } else {
        i64::from(-n) == i64::from(days_left) + 1
    }
}

/// Picks the BYSETPOS positions (1-based; negative from the end) of a sorted set.
fn select_positions(positions: &[i16], dates: Vec<NaiveDate>) -> Vec<NaiveDate> {
    if positions.is_empty() {
        return dates;
    }
    let len = dates.len() as i64;
    let mut picked: Vec<NaiveDate> = positions
        .iter()
        .filter_map(|p| {
            let p = i64::from(*p);
            let index = if p > 0 { p - 1 } else { len + p };
            usize::try_from(index)
                .ok()
                .and_then(|i| dates.get(i).copied())
        })
        .collect();
    picked.sort_unstable();
    picked.dedup();
    picked
}

/// `day` of the month, or the month's last day if it is shorter.
fn clamped(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    let last = last_day(year, month)?;
    NaiveDate::from_ymd_opt(year, month, day.min(last))
}

/// The number of days in a month.
pub(super) fn last_day(year: i32, month: u32) -> Option<u32> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = first.checked_add_months(Months::new(1))?;
    next.pred_opt().map(|d| d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn month_lengths_include_leap_february() {
        assert_eq!(last_day(2028, 2), Some(29));
        assert_eq!(last_day(2026, 2), Some(28));
        assert_eq!(last_day(2100, 2), Some(28));
        assert_eq!(last_day(2026, 12), Some(31));
        assert_eq!(last_day(2026, 13), None);
    }

    #[test]
    fn ordinal_weekdays_count_from_either_end() {
        let third_friday = WeekdayNum {
            ordinal: Some(3),
            weekday: Weekday::Fri,
        };
        assert!(nth_in(third_friday, date("2026-03-20"), Scope::Month));
        assert!(!nth_in(third_friday, date("2026-03-13"), Scope::Month));
        let last_friday = WeekdayNum {
            ordinal: Some(-1),
            weekday: Weekday::Fri,
        };
        assert!(nth_in(last_friday, date("2026-03-27"), Scope::Month));
        assert!(!nth_in(last_friday, date("2026-03-20"), Scope::Month));
        let first_monday_of_year = WeekdayNum {
            ordinal: Some(1),
            weekday: Weekday::Mon,
        };
        assert!(nth_in(
            first_monday_of_year,
            date("2026-01-05"),
            Scope::Year
        ));
        let last_thursday_of_year = WeekdayNum {
            ordinal: Some(-1),
            weekday: Weekday::Thu,
        };
        assert!(nth_in(
            last_thursday_of_year,
            date("2026-12-31"),
            Scope::Year
        ));
    }

    #[test]
    fn set_positions_pick_from_either_end() {
        let days: Vec<NaiveDate> = ["2026-03-02", "2026-03-03", "2026-03-31"].map(date).into();
        assert_eq!(
            select_positions(&[-1], days.clone()),
            vec![date("2026-03-31")]
        );
        assert_eq!(select_positions(&[1, 2], days.clone()), days[..2].to_vec());
        assert_eq!(select_positions(&[9], days), Vec::<NaiveDate>::new());
    }

    #[test]
    fn whole_periods_are_counted_by_calendar_units() {
        let start = date("2026-01-31");
        assert_eq!(
            periods_between(Frequency::Monthly, start, date("2026-03-01")),
            2
        );
        assert_eq!(
            periods_between(Frequency::Weekly, start, date("2026-02-14")),
            2
        );
        assert_eq!(
            periods_between(Frequency::Yearly, start, date("2028-01-01")),
            2
        );
        assert_eq!(
            periods_between(Frequency::Daily, start, date("2026-01-01")),
            0
        );
    }
}
