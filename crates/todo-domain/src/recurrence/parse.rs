//! The JSON form of a rule, and the checks every rule passes however it arrived.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::expand::{Dates, last_day};
use super::{
    Anchor, Frequency, MAX_COUNT, MAX_INTERVAL, Mode, Recurrence, RecurrenceError, WeekdayNum,
    rrule,
};

const FIELDS: &[&str] = &[
    "frequency",
    "interval",
    "by_day",
    "by_month_day",
    "by_month",
    "by_set_pos",
    "count",
    "until",
    "mode",
    "rrule",
    "anchor",
];

/// The most entries a BY list may have.
const MAX_LIST: usize = 64;

pub(super) fn from_json(value: &Value) -> Result<Recurrence, RecurrenceError> {
    let Some(object) = value.as_object() else {
        return Err(RecurrenceError::new(
            "",
            "must be an object such as {\"frequency\": \"weekly\"} or {\"rrule\": \"FREQ=MONTHLY;BYDAY=3FR\"}",
        ));
    };
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(RecurrenceError::new(
            "",
            format!(
                "unknown field '{unknown}'; the fields are {}",
                FIELDS.join(", ")
            ),
        ));
    }
    let given = Given(object);
    let from_text = match given.get("rrule") {
        Some(text) => {
            let text = text.as_str().ok_or_else(|| {
                RecurrenceError::new("rrule", "must be RRULE text such as FREQ=WEEKLY;BYDAY=MO")
            })?;
            Some(rrule::parse(text)?)
        }
        None => None,
    };
    let mut rule = from_parts(&given, from_text.as_ref())?;
    if let Some(mode) = given.get("mode") {
        rule.mode = serde_json::from_value::<Mode>(mode.clone()).map_err(|_| {
            RecurrenceError::new("mode", "must be fixed_schedule or after_completion")
        })?;
    }
    if let Some(anchor) = given.get("anchor") {
        rule.anchor = Some(anchor_of(anchor)?);
    }
    check(rule)
}

/// The object's members, with `null` read as absent.
struct Given<'a>(&'a Map<String, Value>);

impl Given<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }
}

/// The rule's parts from the structured fields; where an RRULE was also
/// given, the fields present must agree with it.
fn from_parts(
    given: &Given<'_>,
    from_text: Option<&Recurrence>,
) -> Result<Recurrence, RecurrenceError> {
    let frequency = match (given.get("frequency"), from_text) {
        (Some(v), _) => Some(serde_json::from_value::<Frequency>(v.clone()).map_err(|_| {
            RecurrenceError::new("frequency", "must be daily, weekly, monthly or yearly")
        })?),
        (None, Some(rule)) => Some(rule.frequency),
        (None, None) => None,
    };
    let Some(frequency) = frequency else {
        return Err(RecurrenceError::new(
            "frequency",
            "is required: daily, weekly, monthly or yearly (or give an rrule)",
        ));
    };
    let mut rule = Recurrence::new(frequency);
    if let Some(v) = given.get("interval") {
        rule.interval = integer(v, "interval", 1, i64::from(MAX_INTERVAL))?;
    }
    if let Some(v) = given.get("by_day") {
        rule.by_day = list(v, "by_day", |item| {
            item.as_str()
                .ok_or_else(|| "entries must be strings such as MO or 3FR".to_owned())
                .and_then(WeekdayNum::parse)
        })?;
    }
    if let Some(v) = given.get("by_month_day") {
        rule.by_month_day = list(v, "by_month_day", whole_number)?;
    }
    if let Some(v) = given.get("by_month") {
        rule.by_month = list(v, "by_month", whole_number)?;
    }
    if let Some(v) = given.get("by_set_pos") {
        rule.by_set_pos = list(v, "by_set_pos", whole_number)?;
    }
    if let Some(v) = given.get("count") {
        rule.count = Some(integer(v, "count", 1, i64::from(MAX_COUNT))?);
    }
    if let Some(v) = given.get("until") {
        let text = v.as_str().ok_or_else(|| {
            RecurrenceError::new(
                "until",
                "must be a date such as 2026-12-31 or an RFC 3339 time",
            )
        })?;
        rule.until =
            Some(rrule::until(text).map_err(|e| RecurrenceError::new("until", e.message))?);
    }
    let Some(text_rule) = from_text else {
        return Ok(rule);
    };
    let differs = [
        ("frequency", rule.frequency != text_rule.frequency),
        ("interval", rule.interval != text_rule.interval),
        ("by_day", rule.by_day != text_rule.by_day),
        ("by_month_day", rule.by_month_day != text_rule.by_month_day),
        ("by_month", rule.by_month != text_rule.by_month),
        ("by_set_pos", rule.by_set_pos != text_rule.by_set_pos),
        ("count", rule.count != text_rule.count),
        ("until", rule.until != text_rule.until),
    ];
    // Only the parts given as fields can disagree; the rest came from the text.
    let disagreements: Vec<&str> = differs
        .into_iter()
        .filter(|(name, differ)| *differ && given.get(name).is_some())
        .map(|(name, _)| name)
        .collect();
    if let Some(first) = disagreements.first() {
        return Err(RecurrenceError::new(
            "rrule",
            format!(
                "disagrees with {}; give each part once, either in rrule or as a field",
                if disagreements.len() == 1 {
                    (*first).to_owned()
                } else {
                    disagreements.join(", ")
                }
            ),
        ));
    }
    Ok(text_rule.clone())
}

/// Checks a rule as a whole and puts its lists in canonical order.
fn check(mut rule: Recurrence) -> Result<Recurrence, RecurrenceError> {
    if !(1..=MAX_INTERVAL).contains(&rule.interval) {
        return Err(RecurrenceError::new(
            "interval",
            format!("must be from 1 to {MAX_INTERVAL}"),
        ));
    }
    if rule.count.is_some_and(|c| !(1..=MAX_COUNT).contains(&c)) {
        return Err(RecurrenceError::new(
            "count",
            format!("must be from 1 to {MAX_COUNT}"),
        ));
    }
    if rule.count.is_some() && rule.until.is_some() {
        return Err(RecurrenceError::new(
            "count",
            "give count or until, not both (RFC 5545)",
        ));
    }
    let max_ordinal: i8 = match rule.frequency {
        Frequency::Monthly => 5,
        Frequency::Yearly if rule.by_month.is_empty() => 53,
        Frequency::Yearly => 5,
        Frequency::Daily | Frequency::Weekly => 0,
    };
    if let Some(bad) = rule.by_day.iter().find(|d| {
        d.ordinal
            .is_some_and(|n| n.unsigned_abs() > max_ordinal.unsigned_abs())
    }) {
        let message = if max_ordinal == 0 {
            format!("'{bad}': ordinals such as 3FR need a monthly or yearly rule")
        } else {
            format!("'{bad}': the ordinal must be from -{max_ordinal} to {max_ordinal}")
        };
        return Err(RecurrenceError::new("by_day", message));
    }
    if rule
        .by_month_day
        .iter()
        .any(|d| *d == 0 || d.unsigned_abs() > 31)
    {
        return Err(RecurrenceError::new(
            "by_month_day",
            "days are 1 to 31, or -1 (last) to -31",
        ));
    }
    if rule.by_month.iter().any(|m| !(1..=12).contains(m)) {
        return Err(RecurrenceError::new("by_month", "months are 1 to 12"));
    }
    if !rule.by_month_day.is_empty() && rule.frequency == Frequency::Weekly {
        return Err(RecurrenceError::new(
            "by_month_day",
            "cannot narrow a weekly rule (RFC 5545); use by_day",
        ));
    }
    if rule
        .by_set_pos
        .iter()
        .any(|p| *p == 0 || p.unsigned_abs() > 366)
    {
        return Err(RecurrenceError::new(
            "by_set_pos",
            "positions are 1 to 366, or negative from the end (-1 = last)",
        ));
    }
    if !rule.by_set_pos.is_empty()
        && rule.by_day.is_empty()
        && rule.by_month_day.is_empty()
        && rule.by_month.is_empty()
    {
        return Err(RecurrenceError::new(
            "by_set_pos",
            "needs by_day, by_month_day or by_month to pick from",
        ));
    }
    if let Some(anchor) = rule.anchor
        && !last_day(2000, anchor.month).is_some_and(|last| (1..=last).contains(&anchor.day))
    {
        return Err(RecurrenceError::new(
            "anchor",
            "month must be 1 to 12 and day a day of that month",
        ));
    }
    rule.by_day.sort_by_key(|d| d.sort_key());
    rule.by_day.dedup();
    rule.by_set_pos.sort_unstable();
    rule.by_set_pos.dedup();
    rule.by_month_day.sort_unstable();
    rule.by_month_day.dedup();
    rule.by_month.sort_unstable();
    rule.by_month.dedup();
    if produces_nothing(&rule) {
        return Err(RecurrenceError::new(
            "",
            format!(
                "{} matches no date (e.g. 30 February); check the by_ parts",
                rule.to_rrule()
            ),
        ));
    }
    Ok(rule)
}

/// Whether the rule yields no date in a long run from a sample start: then it
/// yields none from any start (a leap year and every weekday/month-day
/// combination come within 28 years).
fn produces_nothing(rule: &Recurrence) -> bool {
    if rule.by_day.is_empty() && rule.by_month_day.is_empty() && rule.by_set_pos.is_empty() {
        return false;
    }
    let Some(start) = NaiveDate::from_ymd_opt(2000, 1, 1) else {
        return false;
    };
    let anchor = Anchor {
        month: 1,
        day: 1,
        time: None,
    };
    let mut sample = rule.clone();
    // Interval and the series' length do not change which dates are possible.
    sample.interval = 1;
    Dates::new(&sample, anchor, start, start).next().is_none()
}

fn anchor_of(value: &Value) -> Result<Anchor, RecurrenceError> {
    serde_json::from_value(value.clone()).map_err(|_| {
        RecurrenceError::new(
            "anchor",
            "is set by the server; send it back unchanged or leave it out",
        )
    })
}

fn integer<N: TryFrom<i64>>(
    value: &Value,
    field: &'static str,
    min: i64,
    max: i64,
) -> Result<N, RecurrenceError> {
    value
        .as_i64()
        .filter(|n| (min..=max).contains(n))
        .and_then(|n| N::try_from(n).ok())
        .ok_or_else(|| {
            RecurrenceError::new(field, format!("must be an integer from {min} to {max}"))
        })
}

/// A list entry as an integer; ranges are checked with the rule.
fn whole_number<N: TryFrom<i64>>(value: &Value) -> Result<N, String> {
    value
        .as_i64()
        .and_then(|n| N::try_from(n).ok())
        .ok_or_else(|| format!("entries must be small integers, got {value}"))
}

fn list<T>(
    value: &Value,
    field: &'static str,
    item: impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, RecurrenceError> {
    let items = value
        .as_array()
        .ok_or_else(|| RecurrenceError::new(field, "must be a list"))?;
    if items.len() > MAX_LIST {
        return Err(RecurrenceError::new(
            field,
            format!("at most {MAX_LIST} entries"),
        ));
    }
    items
        .iter()
        .map(|v| item(v).map_err(|m| RecurrenceError::new(field, m)))
        .collect()
}
