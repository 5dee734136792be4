//! "postpone it by a day", "push #3 back 2 weeks", "delay the report an
//! hour": a due date moved by an amount rather than to a day. The amount is
//! read here; where it lands depends on the task's current due date, so the
//! executor applies it ([`Shift::apply`]) once it has the task.

use chrono::{Days, Duration, Months, NaiveDateTime};

use super::when::compact;
use super::words::{Words, number};
use crate::due::{Due, TimeZone};

/// How far to move a due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shift {
    pub amount: u32,
    pub unit: ShiftUnit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShiftUnit {
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
}

fn unit(word: &str) -> Option<ShiftUnit> {
    Some(match word.trim_end_matches('s') {
        "minute" | "min" => ShiftUnit::Minutes,
        "hour" | "hr" => ShiftUnit::Hours,
        "day" => ShiftUnit::Days,
        "week" | "wk" => ShiftUnit::Weeks,
        "month" => ShiftUnit::Months,
        _ => return None,
    })
}

/// Takes an amount such as "by a day", "2 weeks", "by 3d", "an hour later"
/// out of a move. "in 2 days" is left alone: that names a day from now.
pub(super) fn take_shift(words: &mut Words) -> Option<Shift> {
    for i in 0..words.len() {
        if i > 0 && words.get(i - 1) == Some("in") {
            continue;
        }
        let (shift, length) = match words.get(i).and_then(compact) {
            Some((amount, c)) => {
                let unit = match c {
                    'm' => ShiftUnit::Minutes,
                    'h' => ShiftUnit::Hours,
                    'd' => ShiftUnit::Days,
                    _ => ShiftUnit::Weeks,
                };
                (Shift { amount, unit }, 1)
            }
            None => {
                let Some(amount) = words.get(i).and_then(number) else {
                    continue;
                };
                let Some(unit) = words.get(i + 1).and_then(unit) else {
                    continue;
                };
                (Shift { amount, unit }, 2)
            }
        };
        if shift.amount == 0 {
            continue;
        }
        let from = if i > 0 && words.get(i - 1) == Some("by") {
            i - 1
        } else {
            i
        };
        let mut end = i + length;
        if matches!(words.get(end), Some("later" | "more")) {
            end += 1;
        }
        words.take(from, end - from);
        return Some(shift);
    }
    None
}

impl Shift {
    /// The amount as an ISO 8601 duration: `P1D`, `P2W`, `PT1H`, `P3M`.
    pub fn iso(&self) -> String {
        let n = self.amount;
        match self.unit {
            ShiftUnit::Minutes => format!("PT{n}M"),
            ShiftUnit::Hours => format!("PT{n}H"),
            ShiftUnit::Days => format!("P{n}D"),
            ShiftUnit::Weeks => format!("P{n}W"),
            ShiftUnit::Months => format!("P{n}M"),
        }
    }

    /// The due date moved by this amount: days, weeks and months keep the
    /// local time of day in the task's zone (a task due at 9am stays at
    /// 9am across a clock change); minutes and hours move the instant. An
    /// all-day task moves by whole days only: `None` for minutes or hours.
    pub fn apply(&self, due: &Due, tz: &TimeZone) -> Option<Due> {
        let amount = u64::from(self.amount);
        match due {
            Due::AllDay(day) => match self.unit {
                ShiftUnit::Minutes | ShiftUnit::Hours => None,
                ShiftUnit::Days => day.checked_add_days(Days::new(amount)),
                ShiftUnit::Weeks => day.checked_add_days(Days::new(amount * 7)),
                ShiftUnit::Months => day.checked_add_months(Months::new(self.amount)),
            }
            .map(Due::AllDay),
            Due::At(at) => {
                let local = |shift: fn(NaiveDateTime, u32) -> Option<NaiveDateTime>| {
                    let here = tz.local(at.to_utc());
                    shift(here, self.amount).map(|moved| Due::At(tz.resolve(moved)))
                };
                match self.unit {
                    ShiftUnit::Minutes => {
                        Some(Due::At(*at + Duration::minutes(i64::from(self.amount))))
                    }
                    ShiftUnit::Hours => {
                        Some(Due::At(*at + Duration::hours(i64::from(self.amount))))
                    }
                    ShiftUnit::Days => local(|t, n| t.checked_add_days(Days::new(n.into()))),
                    ShiftUnit::Weeks => {
                        local(|t, n| t.checked_add_days(Days::new(u64::from(n) * 7)))
                    }
                    ShiftUnit::Months => local(|t, n| t.checked_add_months(Months::new(n))),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift_in(message: &str) -> (Option<Shift>, String) {
        let mut words = Words::new(message);
        let shift = take_shift(&mut words);
        (shift, words.rest())
    }

    fn by(amount: u32, unit: ShiftUnit) -> Option<Shift> {
        Some(Shift { amount, unit })
    }

    #[test]
    fn amounts_are_read_as_people_say_them() {
        assert_eq!(
            shift_in("it by a day"),
            (by(1, ShiftUnit::Days), "it".into())
        );
        assert_eq!(
            shift_in("#3 back 2 weeks"),
            (by(2, ShiftUnit::Weeks), "#3 back".into())
        );
        assert_eq!(
            shift_in("the report an hour"),
            (by(1, ShiftUnit::Hours), "the report".into())
        );
        assert_eq!(shift_in("it by 3d"), (by(3, ShiftUnit::Days), "it".into()));
        assert_eq!(
            shift_in("it three months later"),
            (by(3, ShiftUnit::Months), "it".into())
        );
        assert_eq!(
            shift_in("it 30 mins"),
            (by(30, ShiftUnit::Minutes), "it".into())
        );
    }

    #[test]
    fn days_from_now_and_plain_numbers_are_not_amounts() {
        assert_eq!(shift_in("it to in 2 days").0, None);
        assert_eq!(shift_in("#3 to friday").0, None);
        assert_eq!(shift_in("it by 0 days").0, None);
    }

    fn due(s: &str) -> Due {
        Due::parse(s).unwrap()
    }

    #[test]
    fn days_keep_the_local_time_across_a_clock_change() {
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        // 28 March 2026, 9am CET; the clocks go forward on the 29th.
        let moved = Shift {
            amount: 1,
            unit: ShiftUnit::Days,
        }
        .apply(&due("2026-03-28T09:00:00+01:00"), &berlin)
        .unwrap();
        assert_eq!(moved, due("2026-03-29T09:00:00+02:00"));
        // Hours move the instant.
        let later = Shift {
            amount: 2,
            unit: ShiftUnit::Hours,
        }
        .apply(&due("2026-03-28T09:00:00+01:00"), &berlin)
        .unwrap();
        assert_eq!(later, due("2026-03-28T11:00:00+01:00"));
    }

    #[test]
    fn all_day_tasks_move_by_days_weeks_and_months_only() {
        let utc = TimeZone::parse("UTC").unwrap();
        let on = due("2026-01-31");
        let month = Shift {
            amount: 1,
            unit: ShiftUnit::Months,
        };
        assert_eq!(month.apply(&on, &utc), Some(due("2026-02-28")));
        let weeks = Shift {
            amount: 2,
            unit: ShiftUnit::Weeks,
        };
        assert_eq!(weeks.apply(&on, &utc), Some(due("2026-02-14")));
        let hour = Shift {
            amount: 1,
            unit: ShiftUnit::Hours,
        };
        assert_eq!(hour.apply(&on, &utc), None);
    }
}
