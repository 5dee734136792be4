//! STUB for scratch compile only.
use chrono::{DateTime, FixedOffset, NaiveDate, Offset, TimeZone as _, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);
impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(chrono_tz::UTC)
    }
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DueError {
    #[error("unknown time zone '{0}'")]
    Tz(String),
    #[error("'{0}' is not a date or time")]
    Bad(String),
}
impl TimeZone {
    pub fn parse(name: &str) -> Result<TimeZone, DueError> {
        name.parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| DueError::Tz(name.into()))
    }
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
    pub fn name(&self) -> &str {
        self.0.name()
    }
}
impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}
impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TimeZone::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Due {
    At(DateTime<FixedOffset>),
    AllDay(NaiveDate),
}
impl Due {
    pub fn parse(s: &str) -> Result<Due, DueError> {
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Due::AllDay(d));
        }
        DateTime::parse_from_rfc3339(s)
            .map(Due::At)
            .map_err(|_| DueError::Bad(s.into()))
    }
    pub fn starts_at(&self, tz: &TimeZone) -> DateTime<Utc> {
        match self {
            Due::At(t) => t.with_timezone(&Utc),
            Due::AllDay(d) => {
                tz.0.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
                    .earliest()
                    .unwrap()
                    .with_timezone(&Utc)
            }
        }
    }
    pub fn overdue_at(&self, tz: &TimeZone) -> DateTime<Utc> {
        match self {
            Due::At(t) => t.with_timezone(&Utc),
            Due::AllDay(d) => Due::AllDay(d.succ_opt().unwrap()).starts_at(tz),
        }
    }
    pub fn reminder_anchor(&self, tz: &TimeZone) -> DateTime<Utc> {
        match self {
            Due::At(t) => t.with_timezone(&Utc),
            Due::AllDay(d) => {
                tz.0.from_local_datetime(&d.and_hms_opt(9, 0, 0).unwrap())
                    .earliest()
                    .unwrap()
                    .with_timezone(&Utc)
            }
        }
    }
    pub fn local_date(&self, tz: &TimeZone) -> NaiveDate {
        match self {
            Due::At(t) => t.with_timezone(&tz.0).date_naive(),
            Due::AllDay(d) => *d,
        }
    }
}
impl Serialize for Due {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Due::At(t) => s.serialize_str(&t.to_rfc3339()),
            Due::AllDay(d) => s.serialize_str(&d.to_string()),
        }
    }
}
impl<'de> Deserialize<'de> for Due {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Due::parse(&s).map_err(serde::de::Error::custom)
    }
}
#[allow(dead_code)]
fn _x(t: DateTime<FixedOffset>) -> FixedOffset {
    t.offset().fix()
}
