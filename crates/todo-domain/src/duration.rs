//! ISO 8601 durations for relative reminders (`PT15M`, `P1DT2H`, `P2W`).

use std::fmt;
use std::str::FromStr;

use chrono::TimeDelta;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest accepted duration: 366 days.
pub const MAX_DURATION_SECONDS: i64 = 366 * 86_400;

/// A non-negative ISO 8601 duration made of weeks, days, hours, minutes and
/// seconds (`PnW`, `PnDTnHnMnS` and combinations). Years and months are
/// rejected because their length depends on the calendar. Zero (`PT0S`) is
/// allowed and means "at the due time". At most [`MAX_DURATION_SECONDS`].
///
/// Serde: the canonical string, which keeps the units it was written with
/// (`P1W` stays `P1W`, `PT90M` stays `PT90M`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct IsoDuration {
    weeks: u32,
    days: u32,
    hours: u32,
    minutes: u32,
    seconds: u32,
}

/// Why a string is not an accepted ISO 8601 duration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not of the form `PnWnDTnHnMnS`.
    #[error("'{0}' is not an ISO 8601 duration such as PT15M, PT1H30M, P1D or P1W")]
    Syntax(String),
    /// Starts with `-`.
    #[error("durations must not be negative")]
    Negative,
    /// Uses `Y` or months (`M` before `T`).
    #[error("years and months are not supported; use weeks or days")]
    CalendarUnits,
    /// Fractional values such as `PT1.5H`.
    #[error("fractional values are not supported")]
    Fractional,
    /// Longer than 366 days.
    #[error("durations must be at most 366 days")]
    TooLong,
}

impl IsoDuration {
    /// Parses `PnW`, `PnD`, `PTnHnMnS` and combinations (upper or lower case).
    pub fn parse(input: &str) -> Result<IsoDuration, DurationError> {
        let s = input.trim();
        if s.starts_with('-') {
            return Err(DurationError::Negative);
        }
        let syntax = || DurationError::Syntax(input.to_owned());
        let upper = s.to_ascii_uppercase();
        let rest = upper.strip_prefix('P').ok_or_else(syntax)?;
        if rest.is_empty() {
            return Err(syntax());
        }
        let (date_part, time_part) = match rest.split_once('T') {
            Some((d, t)) => {
                if t.is_empty() {
                    return Err(syntax());
                }
                (d, Some(t))
            }
            None => (rest, None),
        };
        let mut out = IsoDuration::default();
        parse_units(date_part, &['W', 'D'], &mut out, false, input)?;
        if let Some(t) = time_part {
            parse_units(t, &['H', 'M', 'S'], &mut out, true, input)?;
        }
        if out.total_seconds() > MAX_DURATION_SECONDS {
            return Err(DurationError::TooLong);
        }
        Ok(out)
    }

    /// The whole length in seconds.
    pub fn total_seconds(&self) -> i64 {
        i64::from(self.weeks) * 7 * 86_400
            + i64::from(self.days) * 86_400
            + i64::from(self.hours) * 3_600
            + i64::from(self.minutes) * 60
            + i64::from(self.seconds)
    }

    /// The length as a chrono delta.
    pub fn as_delta(&self) -> TimeDelta {
        TimeDelta::seconds(self.total_seconds())
    }

    /// A duration of whole minutes (handy for tests and defaults).
    pub fn minutes(minutes: u32) -> IsoDuration {
        IsoDuration {
            minutes,
            ..IsoDuration::default()
        }
    }
}

/// Parses one designator section (`nWnD` or `nHnMnS`), units in order, each at most once.
fn parse_units(
    part: &str,
    units: &[char],
    out: &mut IsoDuration,
    time: bool,
    input: &str,
) -> Result<(), DurationError> {
    let syntax = || DurationError::Syntax(input.to_owned());
    let mut next_unit = 0usize;
    let mut digits = String::new();
    for c in part.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if c == '.' || c == ',' {
            return Err(DurationError::Fractional);
        }
        if !time && (c == 'Y' || c == 'M') {
            return Err(DurationError::CalendarUnits);
        }
        let position = units[next_unit..]
            .iter()
            .position(|u| *u == c)
            .ok_or_else(syntax)?;
        if digits.is_empty() {
            return Err(syntax());
        }
        // Anything longer than 366 days is rejected later; cap to avoid overflow.
        let value: u32 = digits.parse().map_err(|_| DurationError::TooLong)?;
        let value = value.min(MAX_DURATION_SECONDS as u32 + 1);
        match units[next_unit + position] {
            'W' => out.weeks = value,
            'D' => out.days = value,
            'H' => out.hours = value,
            'M' => out.minutes = value,
            _ => out.seconds = value,
        }
        next_unit += position + 1;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(syntax());
    }
    Ok(())
}

impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("P")?;
        if self.weeks > 0 {
            write!(f, "{}W", self.weeks)?;
        }
        if self.days > 0 {
            write!(f, "{}D", self.days)?;
        }
        if self.hours > 0 || self.minutes > 0 || self.seconds > 0 {
            f.write_str("T")?;
            if self.hours > 0 {
                write!(f, "{}H", self.hours)?;
            }
            if self.minutes > 0 {
                write!(f, "{}M", self.minutes)?;
            }
            if self.seconds > 0 {
                write!(f, "{}S", self.seconds)?;
            }
        } else if self.weeks == 0 && self.days == 0 {
            f.write_str("T0S")?;
        }
        Ok(())
    }
}

impl FromStr for IsoDuration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IsoDuration::parse(s)
    }
}

impl Serialize for IsoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IsoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        IsoDuration::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_common_forms_and_keep_their_units() {
        for (input, seconds, canonical) in [
            ("PT15M", 900, "PT15M"),
            ("PT1H30M", 5_400, "PT1H30M"),
            ("P1D", 86_400, "P1D"),
            ("P1W", 604_800, "P1W"),
            ("P1DT2H", 93_600, "P1DT2H"),
            ("PT0S", 0, "PT0S"),
            ("pt90m", 5_400, "PT90M"),
        ] {
            let d = IsoDuration::parse(input).unwrap();
            assert_eq!(d.total_seconds(), seconds, "{input}");
            assert_eq!(d.to_string(), canonical, "{input}");
        }
    }

    #[test]
    fn durations_reject_negative_calendar_fractional_and_malformed_input() {
        assert_eq!(IsoDuration::parse("-PT5M"), Err(DurationError::Negative));
        assert_eq!(IsoDuration::parse("P1M"), Err(DurationError::CalendarUnits));
        assert_eq!(IsoDuration::parse("P1Y"), Err(DurationError::CalendarUnits));
        assert_eq!(IsoDuration::parse("PT1.5H"), Err(DurationError::Fractional));
        assert_eq!(IsoDuration::parse("P367D"), Err(DurationError::TooLong));
        assert_eq!(
            IsoDuration::parse("PT99999999999999H"),
            Err(DurationError::TooLong)
        );
        for bad in [
            "", "P", "PT", "15M", "PT15", "PTM", "PT5M5H", "P1DT", "PT1H1H",
        ] {
            assert!(
                matches!(IsoDuration::parse(bad), Err(DurationError::Syntax(_))),
                "{bad}"
            );
        }
    }
}
