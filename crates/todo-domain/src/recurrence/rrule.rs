//! The RFC 5545 RRULE text form of a rule (`FREQ=MONTHLY;BYDAY=3FR`), both ways.
//!
//! The subset: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL, BYDAY with
//! ordinals, BYMONTHDAY (negative from the month's end), BYMONTH, BYSETPOS,
//! COUNT, UNTIL (a date, or a UTC date-time) and WKST=MO.

use std::fmt::Write as _;

use chrono::{NaiveDate, NaiveDateTime, Utc};

use super::{Frequency, Recurrence, RecurrenceError, WeekdayNum};
use crate::due::Due;

/// The parts of a rule an RRULE carries (everything but `mode` and the anchor).
pub(super) fn parse(text: &str) -> Result<Recurrence, RecurrenceError> {
    let body = text.trim();
    let body = match body.get(..6) {
        Some(prefix) if prefix.eq_ignore_ascii_case("RRULE:") => &body[6..],
        _ => body,
    };
    let mut rule = Recurrence::new(Frequency::Daily);
    let mut seen: Vec<String> = Vec::new();
    for part in body.split(';').filter(|p| !p.trim().is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(err(format!("'{part}' is not KEY=VALUE")));
        };
        let key = key.trim().to_ascii_uppercase();
        let value = value.trim();
        if seen.contains(&key) {
            return Err(err(format!("{key} appears twice")));
        }
        seen.push(key.clone());
        match key.as_str() {
            "FREQ" => rule.frequency = frequency(value)?,
            "INTERVAL" => rule.interval = number(&key, value)?,
            "BYDAY" => rule.by_day = list(value, |v| WeekdayNum::parse(v).map_err(err))?,
            "BYMONTHDAY" => rule.by_month_day = list(value, |v| number(&key, v))?,
            "BYMONTH" => rule.by_month = list(value, |v| number(&key, v))?,
            "BYSETPOS" => rule.by_set_pos = list(value, |v| number(&key, v))?,
            "COUNT" => rule.count = Some(number(&key, value)?),
            "UNTIL" => rule.until = Some(until(value)?),
            "WKST" if value.eq_ignore_ascii_case("MO") => {}
            "WKST" => return Err(err("only WKST=MO (weeks start on Monday) is supported")),
            other => {
                return Err(err(format!(
                    "{other} is not supported; use FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, COUNT or UNTIL"
                )));
            }
        }
    }
    if !seen.iter().any(|k| k == "FREQ") {
        return Err(err("FREQ is required, e.g. FREQ=WEEKLY;BYDAY=MO,WE"));
    }
    Ok(rule)
}

/// The canonical RRULE of `rule` (INTERVAL only when not 1).
pub(super) fn format(rule: &Recurrence) -> String {
    let mut out = format!("FREQ={}", rule.frequency.rrule_name());
    if rule.interval != 1 {
        let _ = write!(out, ";INTERVAL={}", rule.interval);
    }
    list_part(&mut out, "BYDAY", &rule.by_day);
    list_part(&mut out, "BYMONTHDAY", &rule.by_month_day);
    list_part(&mut out, "BYMONTH", &rule.by_month);
    list_part(&mut out, "BYSETPOS", &rule.by_set_pos);
    if let Some(count) = rule.count {
        let _ = write!(out, ";COUNT={count}");
    }
    match &rule.until {
        Some(Due::AllDay(day)) => {
            let _ = write!(out, ";UNTIL={}", day.format("%Y%m%d"));
        }
        Some(Due::At(at)) => {
            let _ = write!(
                out,
                ";UNTIL={}",
                at.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ")
            );
        }
        None => {}
    }
    out
}

/// `;NAME=a,b,c`, or nothing for an empty list.
fn list_part(out: &mut String, name: &str, items: &[impl std::fmt::Display]) {
    if items.is_empty() {
        return;
    }
    let values: Vec<String> = items.iter().map(ToString::to_string).collect();
    let _ = write!(out, ";{name}={}", values.join(","));
}

/// UNTIL in RRULE form (`20261231`, `20261231T235959Z`) or as a due date
/// (`2026-12-31`, RFC 3339), so the JSON form accepts either.
pub(super) fn until(value: &str) -> Result<Due, RecurrenceError> {
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y%m%d") {
        return Ok(Due::AllDay(day));
    }
    if let Some(utc) = value.strip_suffix(['Z', 'z'])
        && let Ok(at) = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
    {
        return Ok(Due::At(at.and_utc().fixed_offset()));
    }
    Due::parse(value).map_err(|_| {
        err(format!(
            "UNTIL '{value}' must be a date (2026-12-31 or 20261231) or a time (2026-12-31T23:59:59Z or 20261231T235959Z)"
        ))
    })
}

fn frequency(value: &str) -> Result<Frequency, RecurrenceError> {
    match value.to_ascii_uppercase().as_str() {
        "DAILY" => Ok(Frequency::Daily),
        "WEEKLY" => Ok(Frequency::Weekly),
        "MONTHLY" => Ok(Frequency::Monthly),
        "YEARLY" => Ok(Frequency::Yearly),
        _ => Err(err(format!(
            "FREQ={value} is not supported; use DAILY, WEEKLY, MONTHLY or YEARLY"
        ))),
    }
}

fn number<N: std::str::FromStr>(key: &str, value: &str) -> Result<N, RecurrenceError> {
    value
        .trim_start_matches('+')
        .parse()
        .map_err(|_| err(format!("{key}={value} is not a number in range")))
}

fn list<T>(
    value: &str,
    item: impl Fn(&str) -> Result<T, RecurrenceError>,
) -> Result<Vec<T>, RecurrenceError> {
    value.split(',').map(|v| item(v.trim())).collect()
}

fn err(message: impl Into<String>) -> RecurrenceError {
    RecurrenceError::new("rrule", message)
}

#[cfg(test)]
mod tests {
    use chrono::Weekday;

    use super::*;

    #[test]
    fn parses_the_supported_parts() {
        let rule = parse("RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=3FR,-1MO;BYMONTHDAY=-1;BYMONTH=1,7;BYSETPOS=-1;COUNT=5").unwrap();
        assert_eq!(rule.frequency, Frequency::Monthly);
        assert_eq!(rule.interval, 2);
        assert_eq!(
            rule.by_day,
            vec![
                WeekdayNum {
                    ordinal: Some(3),
                    weekday: Weekday::Fri
                },
                WeekdayNum {
                    ordinal: Some(-1),
                    weekday: Weekday::Mon
                },
            ]
        );
        assert_eq!(rule.by_month_day, vec![-1]);
        assert_eq!(rule.by_month, vec![1, 7]);
        assert_eq!(rule.by_set_pos, vec![-1]);
        assert_eq!(rule.count, Some(5));
    }

    #[test]
    fn keys_are_case_insensitive_and_wkst_mo_is_accepted() {
        let rule = parse("freq=weekly;byday=mo,we;wkst=MO").unwrap();
        assert_eq!(rule.frequency, Frequency::Weekly);
        assert_eq!(rule.by_day.len(), 2);
    }

    #[test]
    fn until_takes_dates_and_utc_times() {
        assert_eq!(
            until("20261231").unwrap(),
            Due::parse("2026-12-31").unwrap()
        );
        assert_eq!(
            until("20261231T235959Z").unwrap(),
            Due::parse("2026-12-31T23:59:59Z").unwrap()
        );
        assert_eq!(
            until("2026-12-31").unwrap(),
            Due::parse("2026-12-31").unwrap()
        );
        let message = until("31/12/2026").unwrap_err().to_string();
        assert!(message.contains("20261231T235959Z"), "{message}");
        assert!(message.contains("2026-12-31T23:59:59Z"), "{message}");
    }

    #[test]
    fn refuses_what_it_does_not_support_by_name() {
        for (text, says) in [
            ("FREQ=HOURLY", "FREQ=HOURLY"),
            ("FREQ=DAILY;BYHOUR=9", "BYHOUR"),
            ("FREQ=DAILY;WKST=SU", "WKST=MO"),
            ("INTERVAL=2", "FREQ is required"),
            ("FREQ=DAILY;FREQ=WEEKLY", "twice"),
            ("FREQ=DAILY;INTERVAL=x", "INTERVAL=x"),
            ("FREQ=WEEKLY;BYDAY=XX", "XX"),
            ("FREQ", "KEY=VALUE"),
        ] {
            let message = parse(text).unwrap_err().to_string();
            assert!(message.contains(says), "{text}: {message}");
        }
    }

    #[test]
    fn formats_canonically() {
        let mut rule = parse("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261231T120000Z").unwrap();
        assert_eq!(
            format(&rule),
            "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261231T120000Z"
        );
        rule.interval = 3;
        rule.until = Some(Due::parse("2027-06-30").unwrap());
        assert_eq!(
            format(&rule),
            "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR;UNTIL=20270630"
        );
    }
}
