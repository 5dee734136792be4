//! Reminders: "remind me 1 hour before", "reminders 1 day and 2 hours
//! before", "remind me 15 and 5 minutes before", "the day before", "remind
//! me at 10am", "remind me tomorrow at 9am", "and remind me" (at the due time).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::clock::{Clock, clock_at};
use super::dates::{Calendar, Day};
use super::when::compact;
use super::words::{Words, count, number};
use crate::due::TimeZone;

/// A reminder read from a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Remind {
    /// Before the due time, as an ISO 8601 duration (`PT0S`: at it).
    Before(String),
    /// At a time of day, on a day if one was said (else the due date's day).
    At(Option<NaiveDate>, NaiveTime),
}

const TRIGGERS: &[&str] = &[
    "and remind me",
    "remind me",
    "with a reminder",
    "with reminders",
    "with reminder",
    "and a reminder",
    "set a reminder",
    "reminders",
    "reminder",
    "alert me",
    "notify me",
    "ping me",
];

const BEFORE: &[&str] = &["before", "earlier", "ahead", "prior", "beforehand"];

fn iso(n: u32, unit: char) -> String {
    match unit {
        'm' => format!("PT{n}M"),
        'h' => format!("PT{n}H"),
        'd' => format!("P{n}D"),
        _ => format!("P{n}W"),
    }
}

fn unit(word: &str) -> Option<char> {
    match word.trim_end_matches('s') {
        "minute" | "min" | "mn" | "m" => Some('m'),
        "hour" | "hr" | "h" => Some('h'),
        "day" | "d" => Some('d'),
        "week" | "wk" | "w" => Some('w'),
        _ => None,
    }
}

/// "1 hour before", "15 and 5 minutes before", "1 day and 2 hours before",
/// "30m before", "the day before" at `i`: the durations and the length.
fn durations_at(words: &Words, i: usize) -> Option<(Vec<String>, usize)> {
    if let Some(p) = words.phrase_at(
        i,
        &["the day before", "the night before", "the week before"],
    ) {
        let d = if p.contains("week") { "P1W" } else { "P1D" };
        return Some((vec![d.to_owned()], 3));
    }
    let mut found = Vec::new();
    let mut pending: Vec<u32> = Vec::new();
    let mut k = i;
    loop {
        let word = words.get(k)?;
        if let Some((n, u)) = compact(word) {
            found.push(iso(n, u));
            k += 1;
        } else if let Some(n) = number(word) {
            if let Some(u) = words.get(k + 1).and_then(unit) {
                for p in pending.drain(..) {
                    found.push(iso(p, u));
                }
                found.push(iso(n, u));
                k += 2;
            } else {
                // "15 and 5 minutes": the unit comes later.
                pending.push(n);
                k += 1;
            }
        } else {
            return None;
        }
        match words.get(k) {
            Some("and" | "&") => k += 1,
            Some(w) if BEFORE.contains(&w) => {
                if !pending.is_empty() {
                    return None;
                }
                return Some((found, k + 1 - i));
            }
            _ if words.comma_after(k - 1) => {}
            _ => return None,
        }
    }
}

/// Finds (and takes) every reminder in the message. `said_remind` is set
/// when a trigger ("remind me", "reminder") with nothing after it was found.
pub(super) fn take_reminders(
    words: &mut Words,
    now: DateTime<Utc>,
    tz: &TimeZone,
) -> (Vec<Remind>, bool) {
    let mut found = Vec::new();
    let mut bare_trigger = false;
    let cal = super::when::calendar(now, tz, false);
    while let Some((i, trigger)) = words.find(TRIGGERS) {
        let after = i + count(trigger);
        words.take(i, count(trigger));
        let after = after + usize::from(words.get(after) == Some("me"));
        match read_after(words, after, &cal) {
            Some(mut items) => found.append(&mut items),
            None => bare_trigger = true,
        }
    }
    // "... and 10 minutes before" without a trigger of its own.
    for i in 0..words.len() {
        if let Some((items, len)) = durations_at(words, i) {
            words.take(i, len);
            if let Some((k, "and")) = words.before(i)
                && k + 1 == i
            {
                words.take(k, 1);
            }
            found.extend(items.into_iter().map(Remind::Before));
        }
    }
    (found, bare_trigger)
}

/// The reminders said right after a trigger, taking them.
fn read_after(words: &mut Words, at: usize, cal: &Calendar) -> Option<Vec<Remind>> {
    let mut items = Vec::new();
    let mut k = at;
    loop {
        if let Some((mut d, len)) = durations_at(words, k) {
            words.take(k, len);
            items.append(&mut d);
            k += len;
        } else if words.matches(k, "at the time") || words.matches(k, "on time") {
            let len = if words.get(k) == Some("at") { 3 } else { 2 };
            words.take(k, len);
            items.push("PT0S".to_owned());
            k += len;
        } else if let Some(at_time) = absolute_at(words, k, cal) {
            let (remind, len) = at_time;
            words.take(k, len);
            return Some(
                items
                    .into_iter()
                    .map(Remind::Before)
                    .chain(std::iter::once(remind))
                    .collect(),
            );
        } else {
            break;
        }
        if words.get(k) == Some("and") && (durations_at(words, k + 1).is_some()) {
            words.take(k, 1);
            k += 1;
        } else {
            break;
        }
    }
    (!items.is_empty()).then(|| items.into_iter().map(Remind::Before).collect())
}

/// "at 10am", "tomorrow at 9am", "on friday at 8am" at `k`.
fn absolute_at(words: &Words, k: usize, cal: &Calendar) -> Option<(Remind, usize)> {
    let mut len = 0;
    let mut day = None;
    let on = usize::from(words.get(k) == Some("on"));
    if let Some((Day::On(d), l)) = cal.day_at(words, k + on) {
        day = Some(d);
        len = on + l;
    }
    let at = usize::from(matches!(words.get(k + len), Some("at" | "@")));
    let (clock, l) = clock_at(words, k + len + at)?;
    let Clock::At(time) = clock else { return None };
    Some((Remind::At(day, time), len + at + l))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<Remind>, bool, String) {
        let mut words = Words::new(text);
        let now: DateTime<Utc> = "2026-03-04T10:00:00Z".parse().unwrap();
        let (found, bare) = take_reminders(&mut words, now, &TimeZone::parse("UTC").unwrap());
        (found, bare, words.rest())
    }

    fn before(items: &[&str]) -> Vec<Remind> {
        items
            .iter()
            .map(|d| Remind::Before((*d).to_owned()))
            .collect()
    }

    #[test]
    fn several_reminders_in_one_phrase() {
        assert_eq!(
            read("dentist remind me 1 day before and 1 hour before"),
            (before(&["P1D", "PT1H"]), false, "dentist".to_owned())
        );
        assert_eq!(
            read("meeting reminders 1 day and 2 hours before").0,
            before(&["P1D", "PT2H"])
        );
        assert_eq!(
            read("meeting remind me 15 and 5 minutes before").0,
            before(&["PT15M", "PT5M"])
        );
        assert_eq!(read("call remind me 30m before").0, before(&["PT30M"]));
        assert_eq!(
            read("call remind me at 10am").0,
            vec![Remind::At(None, NaiveTime::from_hms_opt(10, 0, 0).unwrap())]
        );
        assert_eq!(
            read("pills and remind me"),
            (vec![], true, "pills".to_owned())
        );
    }
}
