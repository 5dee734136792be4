//! The calendar view: tasks by local day, with projected occurrences of
//! recurring tasks (`GET /calendar?from=...&to=...`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

use crate::due::{Due, TimeZone};
use crate::error::ValidationErrors;
use crate::query::collect_params;
use crate::task::{Priority, Task, TaskId};

/// The longest range, in days (both ends included).
pub const MAX_CALENDAR_DAYS: i64 = 366;
/// The most projected occurrences of one task.
pub const MAX_PROJECTED_PER_TASK: usize = 400;
/// The most items of one calendar; beyond it `truncated` is set and
/// projections are left out first.
pub const MAX_CALENDAR_ITEMS: usize = 20_000;

/// A validated calendar range: `from` to `to`, both included, at most 366 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalendarQuery {
    /// First day.
    pub from: NaiveDate,
    /// Last day (included).
    pub to: NaiveDate,
}

/// Tasks by local day. Serde: `{from, to, days: [{date, items}], truncated}`;
/// only days with items are listed, in date order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calendar {
    /// First day.
    pub from: NaiveDate,
    /// Last day (included).
    pub to: NaiveDate,
    /// Days that have items, earliest first.
    pub days: Vec<CalendarDay>,
    /// Some items were left out to stay under [`MAX_CALENDAR_ITEMS`].
    pub truncated: bool,
}

/// One day of the calendar.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalendarDay {
    /// The local date (in each task's own zone).
    pub date: NaiveDate,
    /// All-day items first, then by start time, then task id.
    pub items: Vec<CalendarItem>,
}

/// A task, or a projected occurrence of one, on a day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalendarItem {
    /// The task (for a projection: the pending task it is projected from).
    pub task_id: TaskId,
    /// Its title.
    pub title: String,
    /// This item's due date.
    pub due_date: Due,
    /// The task's zone.
    pub timezone: TimeZone,
    /// Its priority.
    pub priority: Priority,
    /// Whether the task is completed (always `false` for projections).
    pub completed: bool,
    /// A future occurrence that does not exist as a task yet.
    pub projected: bool,
}

impl CalendarQuery {
    /// A range; `to` must not be before `from` and the range must be at most 366 days.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<CalendarQuery, ValidationErrors> {
        if to < from {
            return Err(ValidationErrors::single("to", "must not be before from"));
        }
        if (to - from).num_days() + 1 > MAX_CALENDAR_DAYS {
            return Err(ValidationErrors::single(
                "to",
                format!("the range must be at most {MAX_CALENDAR_DAYS} days"),
            ));
        }
        Ok(CalendarQuery { from, to })
    }

    /// Parses `from` and `to` (both `YYYY-MM-DD`, both required); other parameters are errors.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<CalendarQuery, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let values = collect_params(pairs, &["from", "to"], &mut errors);
        let mut date = |name: &str| {
            let value = values.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
            match value {
                None => {
                    errors.push(name, "is required (a date such as 2026-03-01)");
                    None
                }
                Some(v) => {
                    let parsed = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
                    if parsed.is_none() {
                        errors.push(name, "must be a date such as 2026-03-01");
                    }
                    parsed
                }
            }
        };
        let from = date("from");
        let to = date("to");
        match (from, to) {
            (Some(from), Some(to)) if errors.is_empty() => CalendarQuery::new(from, to),
            _ => Err(errors),
        }
    }
}

/// The calendar of `tasks` (one user's) for `query`: every task whose due
/// date falls in the range on its own zone's calendar, plus projected
/// occurrences of pending recurring tasks that start at or after `now`
/// (at most [`MAX_PROJECTED_PER_TASK`] per task).
pub fn calendar<'a>(
    tasks: impl IntoIterator<Item = &'a Task>,
    query: &CalendarQuery,
    now: DateTime<Utc>,
) -> Calendar {
    let mut entries: Vec<(NaiveDate, DateTime<Utc>, CalendarItem)> = Vec::new();
    let mut recurring: Vec<&Task> = Vec::new();
    let mut truncated = false;
    for task in tasks {
        let Some(due) = &task.due_date else {
            continue;
        };
        let date = due.local_date(&task.timezone);
        if (query.from..=query.to).contains(&date) {
            if entries.len() >= MAX_CALENDAR_ITEMS {
                truncated = true;
            } else {
                entries.push((date, due.starts_at(&task.timezone), item(task, due, false)));
            }
        }
        if !task.completed && task.recurrence.is_some() {
            recurring.push(task);
        }
    }
    for task in recurring {
        if truncated {
            break;
        }
        let (Some(recurrence), Some(current)) = (&task.recurrence, &task.due_date) else {
            continue;
        };
        let tz = &task.timezone;
        let start = Due::AllDay(query.from).starts_at(tz).max(now);
        let end = match query.to.checked_add_signed(TimeDelta::days(1)) {
            Some(next_day) => Due::AllDay(next_day).starts_at(tz),
            None => continue,
        };
        if start >= end {
            continue;
        }
        let projected = recurrence.occurrences_between(
            current,
            tz,
            task.occurrence,
            start,
            end,
            MAX_PROJECTED_PER_TASK,
        );
        for due in projected.iter().take(MAX_PROJECTED_PER_TASK) {
            if due == current {
                continue;
            }
            let date = due.local_date(tz);
            let starts = due.starts_at(tz);
            if !(query.from..=query.to).contains(&date) || starts < now {
                continue;
            }
            if entries.len() >= MAX_CALENDAR_ITEMS {
                truncated = true;
                break;
            }
            entries.push((date, starts, item(task, due, true)));
        }
    }

    let mut by_day: BTreeMap<NaiveDate, Vec<(DateTime<Utc>, CalendarItem)>> = BTreeMap::new();
    for (date, starts, item) in entries {
        by_day.entry(date).or_default().push((starts, item));
    }
    let days = by_day
        .into_iter()
        .map(|(date, mut items)| {
            items.sort_by(|(sa, a), (sb, b)| {
                let all_day = |i: &CalendarItem| !matches!(i.due_date, Due::AllDay(_));
                all_day(a)
                    .cmp(&all_day(b))
                    .then(sa.cmp(sb))
                    .then(a.task_id.cmp(&b.task_id))
                    .then(a.projected.cmp(&b.projected))
            });
            CalendarDay {
                date,
                items: items.into_iter().map(|(_, i)| i).collect(),
            }
        })
        .collect();
    Calendar {
        from: query.from,
        to: query.to,
        days,
        truncated,
    }
}

fn item(task: &Task, due: &Due, projected: bool) -> CalendarItem {
    CalendarItem {
        task_id: task.id,
        title: task.title.clone(),
        due_date: due.clone(),
        timezone: task.timezone,
        priority: task.priority,
        completed: task.completed && !projected,
        projected,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::input::NewTask;
    use crate::test_support::*;

    fn range(from: &str, to: &str) -> CalendarQuery {
        CalendarQuery::from_pairs(&[
            ("from".to_owned(), from.to_owned()),
            ("to".to_owned(), to.to_owned()),
        ])
        .unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_range_must_be_ordered_and_at_most_366_days() {
        assert!(CalendarQuery::new(date("2026-01-01"), date("2026-12-31")).is_ok());
        assert!(CalendarQuery::new(date("2028-01-01"), date("2028-12-31")).is_ok());
        assert!(CalendarQuery::new(date("2026-01-01"), date("2027-01-02")).is_err());
        assert!(CalendarQuery::new(date("2026-01-02"), date("2026-01-01")).is_err());
        let errors = CalendarQuery::from_pairs(&[
            ("from".to_owned(), "yesterday".to_owned()),
            ("zoom".to_owned(), "1".to_owned()),
        ])
        .unwrap_err();
        assert!(errors.has("from") && errors.has("to") && errors.has("zoom"));
    }

    #[test]
    fn tasks_are_grouped_by_the_local_day_of_their_own_time_zone() {
        // 23:30 UTC on 1 March is already 2 March in Berlin but still 1 March in New York.
        let tasks = vec![
            task_with(|t| {
                t.id = 1;
                t.due_date = Some(due("2026-03-01T23:30:00Z"));
                t.timezone = tz("Europe/Berlin");
            }),
            task_with(|t| {
                t.id = 2;
                t.due_date = Some(due("2026-03-01T23:30:00Z"));
                t.timezone = tz("America/New_York");
            }),
            task_with(|t| {
                t.id = 3;
                t.due_date = Some(due("2026-03-01"));
                t.completed = true;
            }),
            task_with(|t| t.id = 4),
            task_with(|t| {
                t.id = 5;
                t.due_date = Some(due("2026-04-01"));
            }),
        ];
        let cal = calendar(
            &tasks,
            &range("2026-03-01", "2026-03-31"),
            utc("2026-02-01T00:00:00Z"),
        );
        let days: Vec<(String, Vec<u64>)> = cal
            .days
            .iter()
            .map(|d| {
                (
                    d.date.to_string(),
                    d.items.iter().map(|i| i.task_id).collect(),
                )
            })
            .collect();
        assert_eq!(
            days,
            vec![
                ("2026-03-01".to_owned(), vec![3, 2]),
                ("2026-03-02".to_owned(), vec![1]),
            ]
        );
        assert!(cal.days[0].items[0].completed);
        assert!(!cal.truncated);
    }

    #[test]
    fn pending_recurring_tasks_add_projected_future_occurrences() {
        let task = Task::create(
            9,
            alice(),
            NewTask::from_json(&json!({
                "title": "Gym",
                "due_date": "2026-03-02T18:00:00+01:00",
                "timezone": "Europe/Berlin",
                "recurrence": {"frequency": "weekly"}
            }))
            .unwrap(),
            utc("2026-02-01T00:00:00Z"),
            None,
        );
        let cal = calendar(
            [&task],
            &range("2026-03-01", "2026-03-31"),
            utc("2026-02-01T00:00:00Z"),
        );
        let got: Vec<(String, bool)> = cal
            .days
            .iter()
            .flat_map(|d| {
                d.items
                    .iter()
                    .map(move |i| (d.date.to_string(), i.projected))
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-03-02".to_owned(), false),
                ("2026-03-09".to_owned(), true),
                ("2026-03-16".to_owned(), true),
                ("2026-03-23".to_owned(), true),
                ("2026-03-30".to_owned(), true),
            ]
        );
        let json = serde_json::to_value(&cal).unwrap();
        assert_eq!(
            json["days"][1]["items"][0],
            json!({
                "task_id": 9,
                "title": "Gym",
                "due_date": "2026-03-09T18:00:00+01:00",
                "timezone": "Europe/Berlin",
                "priority": "medium",
                "completed": false,
                "projected": true
            })
        );
        // Nothing is projected before now, and completed tasks are not projected.
        let later = calendar(
            [&task],
            &range("2026-03-01", "2026-03-31"),
            utc("2026-03-20T00:00:00Z"),
        );
        assert_eq!(
            later
                .days
                .iter()
                .filter(|d| d.items.iter().any(|i| i.projected))
                .count(),
            2
        );
        let mut done = task.clone();
        done.completed = true;
        let cal = calendar(
            [&done],
            &range("2026-03-01", "2026-03-31"),
            utc("2026-02-01T00:00:00Z"),
        );
        assert_eq!(cal.days.len(), 1);
    }
}
