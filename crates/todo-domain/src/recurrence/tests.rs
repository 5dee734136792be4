//! The recurrence engine seen from outside: rules, series and DST.

use serde_json::{Value, json};

use super::*;
use crate::test_support::{due, tz, utc};

fn rule(body: Value) -> Recurrence {
    Recurrence::parse(&body).unwrap_or_else(|e| panic!("{body}: {e}"))
}

fn refusal(body: Value) -> RecurrenceError {
    Recurrence::parse(&body).expect_err("the rule should be refused")
}

/// The next `n` due dates of a series starting at `first`, each instance
/// completed exactly when it is due.
fn series(body: Value, first: &str, zone: &str, n: usize) -> Vec<String> {
    let zone = tz(zone);
    let mut rule = rule(body);
    let mut current = due(first);
    rule.pin_anchor(&current, &zone);
    let mut out = Vec::new();
    for occurrence in 1..=n as u32 {
        let Some(next) = rule.next_due(&current, &zone, occurrence, current.starts_at(&zone))
        else {
            break;
        };
        out.push(next.to_string());
        current = next;
    }
    out
}

fn next_after_completion(
    body: Value,
    current: &str,
    zone: &str,
    completed: &str,
) -> Option<String> {
    let zone = tz(zone);
    let mut rule = rule(body);
    let current = due(current);
    rule.pin_anchor(&current, &zone);
    rule.next_due(&current, &zone, 1, utc(completed))
        .map(|d| d.to_string())
}

#[test]
fn daily_at_nine_in_london_keeps_local_time_across_both_dst_changes() {
    assert_eq!(
        series(
            json!({"frequency": "daily"}),
            "2026-03-27T09:00:00Z",
            "Europe/London",
            3
        ),
        [
            "2026-03-28T09:00:00Z",
            "2026-03-29T09:00:00+01:00",
            "2026-03-30T09:00:00+01:00"
        ]
    );
    assert_eq!(
        series(
            json!({"frequency": "daily"}),
            "2026-10-24T09:00:00+01:00",
            "Europe/London",
            2
        ),
        ["2026-10-25T09:00:00Z", "2026-10-26T09:00:00Z"]
    );
}

#[test]
fn daily_at_nine_in_new_york_keeps_local_time_across_both_dst_changes() {
    assert_eq!(
        series(
            json!({"frequency": "daily"}),
            "2026-03-07T09:00:00-05:00",
            "America/New_York",
            2
        ),
        ["2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00"]
    );
    assert_eq!(
        series(
            json!({"frequency": "daily"}),
            "2026-10-31T09:00:00-04:00",
            "America/New_York",
            2
        ),
        ["2026-11-01T09:00:00-05:00", "2026-11-02T09:00:00-05:00"]
    );
}

#[test]
fn a_time_skipped_by_dst_moves_forward_once_then_returns() {
    assert_eq!(
        series(
            json!({"frequency": "daily"}),
            "2026-03-28T01:30:00Z",
            "Europe/London",
            2
        ),
        ["2026-03-29T02:30:00+01:00", "2026-03-30T01:30:00+01:00"]
    );
}

#[test]
fn a_time_repeated_by_dst_is_its_first_occurrence() {
    assert_eq!(
        series(
            json!({"frequency": "daily"}),
            "2026-10-31T01:30:00-04:00",
            "America/New_York",
            1
        ),
        ["2026-11-01T01:30:00-04:00"]
    );
}

#[test]
fn an_instant_with_another_offset_is_read_in_the_tasks_zone() {
    // 09:00+05:00 is 04:00 in London: the series is at 04:00 London time.
    assert_eq!(
        series(
            json!({"frequency": "daily"}),
            "2026-03-28T09:00:00+05:00",
            "Europe/London",
            1
        ),
        ["2026-03-29T04:00:00+01:00"]
    );
}

#[test]
fn monthly_from_the_31st_clamps_to_short_months_and_returns() {
    assert_eq!(
        series(json!({"frequency": "monthly"}), "2026-01-31", "UTC", 4),
        ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]
    );
    assert_eq!(
        series(json!({"frequency": "monthly"}), "2028-01-31", "UTC", 2),
        ["2028-02-29", "2028-03-31"]
    );
}

#[test]
fn monthly_keeps_its_day_and_time_in_the_zone() {
    assert_eq!(
        series(
            json!({"frequency": "monthly", "interval": 2}),
            "2026-01-31T18:00:00+01:00",
            "Europe/Berlin",
            3
        ),
        [
            "2026-03-31T18:00:00+02:00",
            "2026-05-31T18:00:00+02:00",
            "2026-07-31T18:00:00+02:00"
        ]
    );
}

#[test]
fn yearly_on_29_february_falls_on_the_28th_in_common_years() {
    assert_eq!(
        series(json!({"frequency": "yearly"}), "2028-02-29", "UTC", 4),
        ["2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"]
    );
}

#[test]
fn by_month_day_follows_rfc_5545_and_skips_months_without_the_day() {
    assert_eq!(
        series(
            json!({"frequency": "monthly", "by_month_day": [31]}),
            "2026-01-31",
            "UTC",
            3
        ),
        ["2026-03-31", "2026-05-31", "2026-07-31"]
    );
    assert_eq!(
        series(
            json!({"rrule": "FREQ=MONTHLY;BYMONTHDAY=-1"}),
            "2026-01-31",
            "UTC",
            3
        ),
        ["2026-02-28", "2026-03-31", "2026-04-30"]
    );
}

#[test]
fn the_third_friday_of_every_month() {
    assert_eq!(
        series(
            json!({"rrule": "FREQ=MONTHLY;BYDAY=3FR"}),
            "2026-01-16T10:00:00Z",
            "UTC",
            3
        ),
        [
            "2026-02-20T10:00:00Z",
            "2026-03-20T10:00:00Z",
            "2026-04-17T10:00:00Z"
        ]
    );
}

#[test]
fn the_last_weekday_of_every_month() {
    assert_eq!(
        series(
            json!({"frequency": "monthly", "by_day": ["MO", "TU", "WE", "TH", "FR"], "by_set_pos": [-1]}),
            "2026-01-30",
            "UTC",
            4
        ),
        ["2026-02-27", "2026-03-31", "2026-04-30", "2026-05-29"]
    );
}

#[test]
fn the_last_friday_of_every_month() {
    assert_eq!(
        series(
            json!({"frequency": "monthly", "by_day": ["-1FR"]}),
            "2026-01-30",
            "UTC",
            3
        ),
        ["2026-02-27", "2026-03-27", "2026-04-24"]
    );
}

#[test]
fn thanksgiving_is_the_fourth_thursday_of_november() {
    assert_eq!(
        series(
            json!({"rrule": "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH"}),
            "2026-11-26",
            "UTC",
            2
        ),
        ["2027-11-25", "2028-11-23"]
    );
}

#[test]
fn weekly_on_several_days_and_every_other_week() {
    assert_eq!(
        series(
            json!({"frequency": "weekly", "by_day": ["MO", "WE", "FR"]}),
            "2026-03-02",
            "UTC",
            4
        ),
        ["2026-03-04", "2026-03-06", "2026-03-09", "2026-03-11"]
    );
    assert_eq!(
        series(
            json!({"frequency": "weekly", "interval": 2}),
            "2026-03-05",
            "UTC",
            2
        ),
        ["2026-03-19", "2026-04-02"]
    );
}

#[test]
fn count_ends_the_series() {
    // The first instance is occurrence 1: COUNT=3 allows two more.
    assert_eq!(
        series(
            json!({"frequency": "daily", "count": 3}),
            "2026-03-01",
            "UTC",
            10
        ),
        ["2026-03-02", "2026-03-03"]
    );
}

#[test]
fn until_ends_the_series_inclusively() {
    assert_eq!(
        series(
            json!({"frequency": "daily", "until": "2026-03-03"}),
            "2026-03-01T09:00:00Z",
            "UTC",
            10
        ),
        ["2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z"]
    );
    assert_eq!(
        series(
            json!({"rrule": "FREQ=WEEKLY;UNTIL=20260315T090000Z"}),
            "2026-03-01T09:00:00Z",
            "UTC",
            10
        ),
        ["2026-03-08T09:00:00Z", "2026-03-15T09:00:00Z"]
    );
}

#[test]
fn missed_occurrences_are_skipped_to_the_first_after_completion() {
    let daily = json!({"frequency": "daily"});
    let late = next_after_completion(
        daily.clone(),
        "2026-03-01T09:00:00Z",
        "UTC",
        "2026-03-05T10:00:00Z",
    );
    assert_eq!(late.as_deref(), Some("2026-03-06T09:00:00Z"));
    let before_nine = next_after_completion(
        daily.clone(),
        "2026-03-01T09:00:00Z",
        "UTC",
        "2026-03-05T08:00:00Z",
    );
    assert_eq!(before_nine.as_deref(), Some("2026-03-05T09:00:00Z"));
    let all_day = next_after_completion(daily, "2026-03-01", "UTC", "2026-03-05T08:00:00Z");
    assert_eq!(all_day.as_deref(), Some("2026-03-06"));
}

#[test]
fn an_early_completion_moves_to_the_occurrence_after_the_due_date() {
    let weekly = json!({"frequency": "weekly"});
    let next = next_after_completion(weekly, "2026-03-06", "UTC", "2026-03-02T12:00:00Z");
    assert_eq!(next.as_deref(), Some("2026-03-13"));
}

#[test]
fn a_series_years_overdue_resumes_after_the_completion() {
    let next = next_after_completion(
        json!({"frequency": "monthly"}),
        "2001-01-31",
        "UTC",
        "2026-03-05T12:00:00Z",
    );
    assert_eq!(next.as_deref(), Some("2026-03-31"));
}

#[test]
fn after_completion_counts_from_the_completion_day_at_the_due_time() {
    let every_three_days = json!({"frequency": "daily", "interval": 3, "mode": "after_completion"});
    let next = next_after_completion(
        every_three_days,
        "2026-03-01T09:00:00Z",
        "UTC",
        "2026-03-10T22:00:00Z",
    );
    assert_eq!(next.as_deref(), Some("2026-03-13T09:00:00Z"));
    let monthly = json!({"frequency": "monthly", "mode": "after_completion"});
    let next = next_after_completion(
        monthly,
        "2026-01-15",
        "Europe/Berlin",
        "2026-01-31T12:00:00Z",
    );
    assert_eq!(next.as_deref(), Some("2026-02-28"));
    let mondays = json!({"frequency": "weekly", "by_day": ["MO"], "mode": "after_completion"});
    let next = next_after_completion(mondays, "2026-03-02", "UTC", "2026-03-04T12:00:00Z");
    assert_eq!(next.as_deref(), Some("2026-03-16"));
}

#[test]
fn projections_cover_the_range_and_respect_count() {
    let zone = tz("UTC");
    let mut weekly = rule(json!({"frequency": "weekly", "count": 4}));
    let current = due("2026-03-02");
    weekly.pin_anchor(&current, &zone);
    let got: Vec<String> = weekly
        .occurrences_between(
            &current,
            &zone,
            1,
            utc("2026-03-10T00:00:00Z"),
            utc("2026-06-01T00:00:00Z"),
            100,
        )
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(got, ["2026-03-16", "2026-03-23"]);
    let mut daily = rule(json!({"frequency": "daily", "mode": "after_completion", "interval": 2}));
    daily.pin_anchor(&current, &zone);
    let got = daily.occurrences_between(
        &current,
        &zone,
        1,
        utc("2026-03-01T00:00:00Z"),
        utc("2026-03-09T00:00:00Z"),
        3,
    );
    assert_eq!(
        got.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["2026-03-04", "2026-03-06", "2026-03-08"]
    );
}

#[test]
fn the_json_form_round_trips_with_its_rrule_text() {
    let mut original = rule(json!({
        "frequency": "monthly",
        "interval": 2,
        "by_day": ["fr", "3FR"],
        "until": "2027-01-01",
        "mode": "after_completion"
    }));
    original.pin_anchor(&due("2026-01-16T10:00:00Z"), &tz("UTC"));
    let wire = serde_json::to_value(&original).unwrap();
    assert_eq!(
        wire["rrule"],
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=FR,3FR;UNTIL=20270101"
    );
    assert_eq!(wire["by_day"], json!(["FR", "3FR"]));
    assert_eq!(
        wire["anchor"],
        json!({"month": 1, "day": 16, "time": "10:00:00"})
    );
    let back: Recurrence = serde_json::from_value(wire).unwrap();
    assert_eq!(back, original);
}

#[test]
fn an_rrule_alone_is_a_whole_rule() {
    let from_text =
        rule(json!({"rrule": "RRULE:FREQ=WEEKLY;BYDAY=MO,WE", "mode": "fixed_schedule"}));
    let from_fields = rule(json!({"frequency": "weekly", "by_day": ["MO", "WE"]}));
    assert_eq!(from_text, from_fields);
}

#[test]
fn refusals_name_the_part_and_what_is_accepted() {
    for (body, field, says) in [
        (json!("weekly"), "", "must be an object"),
        (json!({}), "frequency", "is required"),
        (json!({"frequency": "hourly"}), "frequency", "daily, weekly"),
        (
            json!({"frequency": "daily", "every": 2}),
            "",
            "unknown field 'every'",
        ),
        (
            json!({"frequency": "daily", "interval": 0}),
            "interval",
            "from 1 to 1000",
        ),
        (
            json!({"frequency": "daily", "interval": "2"}),
            "interval",
            "integer",
        ),
        (
            json!({"frequency": "weekly", "by_day": ["3FR"]}),
            "by_day",
            "monthly or yearly",
        ),
        (
            json!({"frequency": "monthly", "by_day": ["6FR"]}),
            "by_day",
            "-5 to 5",
        ),
        (
            json!({"frequency": "monthly", "by_day": ["XX"]}),
            "by_day",
            "not a weekday",
        ),
        (
            json!({"frequency": "monthly", "by_month_day": [32]}),
            "by_month_day",
            "1 to 31",
        ),
        (
            json!({"frequency": "weekly", "by_month_day": [1]}),
            "by_month_day",
            "weekly",
        ),
        (
            json!({"frequency": "monthly", "by_set_pos": [-1]}),
            "by_set_pos",
            "needs by_day",
        ),
        (
            json!({"frequency": "daily", "count": 2, "until": "2026-12-31"}),
            "count",
            "not both",
        ),
        (json!({"frequency": "daily", "count": 0}), "count", "from 1"),
        (
            json!({"frequency": "daily", "until": "soon"}),
            "until",
            "must be a date",
        ),
        (
            json!({"frequency": "daily", "mode": "whenever"}),
            "mode",
            "after_completion",
        ),
        (
            json!({"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}),
            "",
            "matches no date",
        ),
        (
            json!({"rrule": "FREQ=DAILY;BYSECOND=1"}),
            "rrule",
            "BYSECOND is not supported",
        ),
        (
            json!({"rrule": "FREQ=DAILY", "frequency": "weekly"}),
            "rrule",
            "disagrees with frequency",
        ),
        (json!({"rrule": 7}), "rrule", "RRULE text"),
    ] {
        let err = refusal(body.clone());
        assert_eq!(err.field(), field, "{body}: {err}");
        assert!(err.to_string().contains(says), "{body}: {err}");
    }
}

#[test]
fn null_parts_are_absent() {
    let rule = rule(json!({"frequency": "daily", "interval": null, "count": null, "rrule": null}));
    assert_eq!(rule, Recurrence::new(Frequency::Daily));
}
