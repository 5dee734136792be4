//! STUB for scratch compile only.
use crate::due::{Due, TimeZone};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurrence {
    pub frequency: Frequency,
    #[serde(default)]
    pub anchor_day: Option<u32>,
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad recurrence: {0}")]
pub struct RecurrenceError(String);
impl Recurrence {
    pub fn parse(v: &serde_json::Value) -> Result<Recurrence, RecurrenceError> {
        serde_json::from_value(v.clone()).map_err(|e| RecurrenceError(e.to_string()))
    }
    pub fn pin_anchor(&mut self, first: &Due, tz: &TimeZone) {
        self.anchor_day = Some(first.local_date(tz).day());
    }
    fn step(&self, d: NaiveDate) -> NaiveDate {
        match self.frequency {
            Frequency::Daily => d + Duration::days(1),
            Frequency::Weekly => d + Duration::days(7),
            Frequency::Monthly | Frequency::Yearly => {
                let m = if self.frequency == Frequency::Monthly {
                    1
                } else {
                    12
                };
                let first = d.with_day(1).unwrap() + Months::new(m);
                let want = self.anchor_day.unwrap_or(d.day());
                let mut day = want;
                loop {
                    if let Some(x) = first.with_day(day) {
                        return x;
                    }
                    day -= 1;
                }
            }
        }
    }
    pub fn next_due(
        &self,
        current: &Due,
        tz: &TimeZone,
        _occurrence: u32,
        _completed_at: DateTime<Utc>,
    ) -> Option<Due> {
        Some(match current {
            Due::AllDay(d) => Due::AllDay(self.step(*d)),
            Due::At(t) => {
                let local = t.with_timezone(&tz.tz());
                let nd = self.step(local.date_naive());
                let nt = nd.and_time(local.time());
                use chrono::TimeZone as _;
                let z = tz.tz().from_local_datetime(&nt).earliest()?;
                Due::At(z.fixed_offset())
            }
        })
    }
    pub fn occurrences_between(
        &self,
        current: &Due,
        tz: &TimeZone,
        occurrence: u32,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Vec<Due> {
        let mut out = Vec::new();
        let mut c = current.clone();
        let mut n = occurrence;
        for _ in 0..5000 {
            let Some(next) = self.next_due(&c, tz, n, from) else {
                break;
            };
            n += 1;
            let s = next.starts_at(tz);
            if s >= to || out.len() >= limit {
                break;
            }
            if s >= from {
                out.push(next.clone());
            }
            c = next;
        }
        out
    }
}
