//! Due dates and the time zones they are read in.
//!
//! A due date is either an instant with its UTC offset (`2026-03-01T09:00:00+01:00`)
//! or a calendar date for an all-day task (`2026-03-01`). The task's IANA time
//! zone says which local day an instant falls on, when an all-day task starts
//! and ends, and how recurring series keep their local time across DST.

use std::fmt;

use chrono::{
    DateTime, Days, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    SecondsFormat, TimeZone as _, Utc,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Local time at which an all-day task's relative reminders are anchored.
pub const ALL_DAY_REMINDER_HOUR: u32 = 9;

/// Why a due date or a time zone was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DueError {
    #[error("unknown time zone '{0}': use an IANA name such as Europe/London or America/New_York")]
    UnknownTimeZone(String),
    #[error(
        "'{0}' is not a due date: use RFC 3339 with an offset (2026-03-01T09:00:00+01:00) or a date (2026-03-01)"
    )]
    Invalid(String),
    /// A wall-clock time with no offset and no `timezone` to read it in.
    #[error(
        "'{0}' has no UTC offset: add one (2026-03-01T09:00:00+01:00) or give timezone in the same body to read it as local time there"
    )]
    NeedsZone(String),
    /// A wall-clock time the clocks pass twice (the autumn change).
    #[error(
        "{local} happens twice in {zone} (the clocks go back): add the offset, {first} for the first or {second} for the second"
    )]
    Ambiguous {
        local: String,
        zone: String,
        first: String,
        second: String,
    },
    /// A wall-clock time the clocks skip (the spring change).
    #[error(
        "{local} does not exist in {zone} (the clocks skip forward over it): pick a time before or after the gap"
    )]
    Skipped { local: String, zone: String },
}

/// Reads a wall-clock date-time without offset, as `<input type=datetime-local>`
/// sends it: `2027-03-02T10:00`, `2027-03-02T10:00:00` or with fractions.
pub fn parse_local(s: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// An IANA time zone such as `Europe/London`. Serde: its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeZone(chrono_tz::Tz);

impl Default for TimeZone {
    /// UTC, the zone of a task that names none.
    fn default() -> Self {
        TimeZone(chrono_tz::UTC)
    }
}

impl TimeZone {
    /// Parses an IANA name; case matters, as in the tz database.
    pub fn parse(name: &str) -> Result<TimeZone, DueError> {
        name.parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| DueError::UnknownTimeZone(name.to_owned()))
    }

    /// Every name `parse` accepts (the OpenAPI document's enum is this list).
    pub fn names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }

    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The local wall-clock time of `instant` in this zone.
    pub fn local(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.0).naive_local()
    }

    /// The instant a local wall-clock time denotes, as RFC 5545 resolves
    /// DST transitions: an ambiguous time (the repeated hour in autumn) is
    /// its first occurrence; a time that does not exist (the skipped hour in
    /// spring) is read with the offset in force before the gap, so 02:30 on
    /// the day clocks jump from 02:00 to 03:00 becomes 03:30.
    pub fn resolve(&self, local: NaiveDateTime) -> DateTime<FixedOffset> {
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) => t.fixed_offset(),
            LocalResult::Ambiguous(first, _) => first.fixed_offset(),
            LocalResult::None => {
                // A day before is safely outside the gap: zones change offset
                // at most once a day.
                let probe = local.checked_sub_days(Days::new(1)).unwrap_or(local);
                let before = self.0.offset_from_utc_datetime(&probe).fix();
                let utc = local - before;
                utc.and_utc().with_timezone(&self.0).fixed_offset()
            }
        }
    }

    /// The one instant a local wall-clock time denotes; a time the clocks
    /// pass twice or skip is an error naming the choices, because a person
    /// who picked it in a form meant one of them and the server cannot guess.
    pub fn exact(&self, local: NaiveDateTime) -> Result<DateTime<FixedOffset>, DueError> {
        let shown = local.format("%Y-%m-%dT%H:%M:%S").to_string();
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) => Ok(t.fixed_offset()),
            LocalResult::Ambiguous(first, second) => Err(DueError::Ambiguous {
                local: shown,
                zone: self.name().to_owned(),
                first: first.fixed_offset().offset().to_string(),
                second: second.fixed_offset().offset().to_string(),
            }),
            LocalResult::None => Err(DueError::Skipped {
                local: shown,
                zone: self.name().to_owned(),
            }),
        }
    }

    /// The instant a local day starts (midnight, or the end of a DST gap at midnight).
    pub fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        self.resolve(day.and_time(NaiveTime::MIN))
            .with_timezone(&Utc)
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        TimeZone::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// When a task is due. Serde: RFC 3339 with offset, or `YYYY-MM-DD`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Due {
    /// Due at an instant, written with the offset the client gave.
    At(DateTime<FixedOffset>),
    /// Due some time on a local day of the task's zone.
    AllDay(NaiveDate),
}

impl Due {
    /// Parses the wire form; a date-time without an offset is refused,
    /// since it would not say which instant is meant.
    pub fn parse(s: &str) -> Result<Due, DueError> {
        if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Due::AllDay(day));
        }
        DateTime::parse_from_rfc3339(s)
            .map(Due::At)
            .map_err(|_| DueError::Invalid(s.to_owned()))
    }

    /// Like [`Due::parse`], but a date-time without offset is read as
    /// wall-clock time in `zone` (the `timezone` of the same body) when
    /// there is one; DST-ambiguous or skipped times are refused.
    pub fn parse_in(s: &str, zone: Option<&TimeZone>) -> Result<Due, DueError> {
        match Due::parse(s) {
            Err(DueError::Invalid(_)) => match (parse_local(s), zone) {
                (Some(local), Some(zone)) => zone.exact(local).map(Due::At),
                (Some(_), None) => Err(DueError::NeedsZone(s.to_owned())),
                (None, _) => Err(DueError::Invalid(s.to_owned())),
            },
            other => other,
        }
    }

    /// When the task's due period starts: the instant, or the start of the local day.
    pub fn starts_at(&self, tz: &TimeZone) -> DateTime<Utc> {
        match self {
            Due::At(t) => t.with_timezone(&Utc),
            Due::AllDay(day) => tz.start_of(*day),
        }
    }

    /// From when a pending task is overdue: the instant, or the end of the local day.
    pub fn overdue_at(&self, tz: &TimeZone) -> DateTime<Utc> {
        match self {
            Due::At(t) => t.with_timezone(&Utc),
            Due::AllDay(day) => day
                .succ_opt()
                .map_or(DateTime::<Utc>::MAX_UTC, |next| tz.start_of(next)),
        }
    }

    /// What relative reminders count back from: the instant, or
    /// [`ALL_DAY_REMINDER_HOUR`]:00 local time on an all-day task's day.
    pub fn reminder_anchor(&self, tz: &TimeZone) -> DateTime<Utc> {
        match self {
            Due::At(t) => t.with_timezone(&Utc),
            Due::AllDay(day) => {
                let nine =
                    NaiveTime::from_hms_opt(ALL_DAY_REMINDER_HOUR, 0, 0).unwrap_or(NaiveTime::MIN);
                tz.resolve(day.and_time(nine)).with_timezone(&Utc)
            }
        }
    }

    /// The local day the task is due on in `tz`.
    pub fn local_date(&self, tz: &TimeZone) -> NaiveDate {
        match self {
            Due::At(t) => tz.local(t.with_timezone(&Utc)).date(),
            Due::AllDay(day) => *day,
        }
    }
}

impl fmt::Display for Due {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Due::At(t) => f.write_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            Due::AllDay(day) => write!(f, "{day}"),
        }
    }
}

impl Serialize for Due {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Due {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Due::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{due, tz, utc};

    #[test]
    fn parses_instants_with_offsets_and_plain_dates() {
        assert!(matches!(due("2026-03-01T09:00:00+01:00"), Due::At(_)));
        assert!(matches!(due("2026-03-01T08:00:00Z"), Due::At(_)));
        assert_eq!(
            due("2026-03-01"),
            Due::AllDay(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap())
        );
    }

    #[test]
    fn refuses_what_names_no_instant_or_day() {
        for bad in ["2026-13-01", "2026-02-30", "tomorrow", "", "1/3/2026"] {
            let err = Due::parse(bad).unwrap_err();
            assert_eq!(err, DueError::Invalid(bad.to_owned()));
            assert!(err.to_string().contains("RFC 3339"));
        }
    }

    #[test]
    fn a_local_time_needs_a_zone_and_is_read_there() {
        let err = Due::parse_in("2026-03-01T09:00:00", None).unwrap_err();
        assert_eq!(err, DueError::NeedsZone("2026-03-01T09:00:00".into()));
        assert!(err.to_string().contains("timezone"));
        let london = tz("Europe/London");
        for (local, want) in [
            ("2027-03-02T10:00:00", "2027-03-02T10:00:00+00:00"),
            ("2027-07-02T10:00", "2027-07-02T10:00:00+01:00"),
            ("2027-07-02T10:00:00.000", "2027-07-02T10:00:00+01:00"),
        ] {
            let Due::At(t) = Due::parse_in(local, Some(&london)).unwrap() else {
                panic!("{local} is not an instant");
            };
            assert_eq!(t.to_rfc3339(), want, "{local}");
        }
        // An offset or a plain date is unaffected by the zone.
        assert_eq!(
            Due::parse_in("2027-03-02T10:00:00+05:00", Some(&london)).unwrap(),
            due("2027-03-02T10:00:00+05:00")
        );
        assert_eq!(
            Due::parse_in("2027-03-02", Some(&london)).unwrap(),
            due("2027-03-02")
        );
        assert_eq!(
            Due::parse_in("2027-03-02T25:00", Some(&london)).unwrap_err(),
            DueError::Invalid("2027-03-02T25:00".into())
        );
    }

    #[test]
    fn a_repeated_or_skipped_local_time_is_refused_naming_the_choices() {
        let err = Due::parse_in("2026-11-01T01:30:00", Some(&tz("America/New_York"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "2026-11-01T01:30:00 happens twice in America/New_York (the clocks go back): add the offset, -04:00 for the first or -05:00 for the second"
        );
        let err = Due::parse_in("2026-03-29T01:30", Some(&tz("Europe/London"))).unwrap_err();
        assert_eq!(
            err,
            DueError::Skipped {
                local: "2026-03-29T01:30:00".into(),
                zone: "Europe/London".into()
            }
        );
        assert!(err.to_string().contains("before or after the gap"));
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(tz("America/New_York").name(), "America/New_York");
        assert_eq!(TimeZone::default().name(), "UTC");
        let err = TimeZone::parse("Mars/Olympus").unwrap_err();
        assert!(err.to_string().contains("Europe/London"));
        assert!(TimeZone::parse("+01:00").is_err());
    }

    #[test]
    fn serde_round_trips_the_wire_form() {
        for wire in [
            "2026-03-01T09:00:00+01:00",
            "2026-03-01T09:00:00Z",
            "2026-03-01",
        ] {
            let parsed: Due = serde_json::from_value(serde_json::json!(wire)).unwrap();
            assert_eq!(serde_json::to_value(&parsed).unwrap(), wire);
        }
        let zone: TimeZone = serde_json::from_str("\"Europe/Berlin\"").unwrap();
        assert_eq!(serde_json::to_string(&zone).unwrap(), "\"Europe/Berlin\"");
        assert!(serde_json::from_str::<TimeZone>("\"Nowhere\"").is_err());
    }

    #[test]
    fn an_all_day_task_spans_its_local_day() {
        let ny = tz("America/New_York");
        let day = due("2026-03-01");
        assert_eq!(day.starts_at(&ny), utc("2026-03-01T05:00:00Z"));
        assert_eq!(day.overdue_at(&ny), utc("2026-03-02T05:00:00Z"));
        assert_eq!(day.reminder_anchor(&ny), utc("2026-03-01T14:00:00Z"));
    }

    #[test]
    fn the_local_day_of_an_instant_depends_on_the_zone() {
        let late = due("2026-03-01T23:30:00-05:00");
        assert_eq!(
            late.local_date(&tz("America/New_York")).to_string(),
            "2026-03-01"
        );
        assert_eq!(
            late.local_date(&tz("Europe/London")).to_string(),
            "2026-03-02"
        );
    }

    #[test]
    fn a_skipped_local_time_moves_forward_by_the_gap() {
        let london = tz("Europe/London");
        let local = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        assert_eq!(
            london.resolve(local).to_rfc3339(),
            "2026-03-29T02:30:00+01:00"
        );
    }

    #[test]
    fn a_repeated_local_time_is_its_first_occurrence() {
        let ny = tz("America/New_York");
        let local = NaiveDate::from_ymd_opt(2026, 11, 1)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        assert_eq!(ny.resolve(local).to_rfc3339(), "2026-11-01T01:30:00-04:00");
    }

    #[test]
    fn a_day_starting_in_a_gap_starts_when_the_gap_ends() {
        // Chile springs forward at local midnight.
        let santiago = tz("America/Santiago");
        let start = santiago.start_of(NaiveDate::from_ymd_opt(2026, 9, 6).unwrap());
        assert_eq!(start, utc("2026-09-06T04:00:00Z"));
    }
}
