//! Paging, one contract for every list of the API (tasks, search, audit,
//! notifications): `limit` and the `cursor` of the previous page in, a
//! [`Page`] `{items, next_cursor, total}` out.
//!
//! A cursor is lowercase hex of at least 34 digits (the OpenAPI pattern
//! `^[0-9a-f]{34,}$`): a kind byte, where the previous page ended, and a check
//! word over both seeded with the query's fingerprint (the list and every
//! parameter but `limit`). It is opaque and bound to its query, not a secret:
//! a tampered cursor, or one from another query or list, fails the check and
//! is a 422 naming `cursor`. Pages continue after a row, never at an offset,
//! so writes between pages neither repeat nor skip rows.

use serde::Serialize;

use crate::error::ValidationErrors;

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 50;
/// The largest accepted `limit`.
pub const MAX_LIMIT: usize = 500;

/// One page of a list, newest or first in the list's order first.
#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    /// This page's rows.
    pub items: Vec<T>,
    /// Pass as `cursor` (with the same query) for the next page; `None` on the last.
    pub next_cursor: Option<String>,
    /// How many rows match, over all pages.
    pub total: usize,
}

/// `limit`: a whole number from 1 to [`MAX_LIMIT`].
pub(crate) fn parse_limit(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from 1 to {MAX_LIMIT}")),
    }
}

/// What a cursor's position is, so that one list's cursor never reads as another's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CursorKind {
    /// A task list's last row: its sort key and id.
    TaskRow = 1,
    /// A log's last entry: its position counted from the oldest.
    LogPosition = 2,
}

/// The smallest cursor: kind, an 8-byte position, an 8-byte check.
const MIN_CURSOR_BYTES: usize = 17;

const MALFORMED: &str = "is not a cursor returned by this API; start again without one";

/// The fingerprint of a query in its canonical form (every parameter but
/// `limit`, in a fixed order, prefixed with the list's name).
pub(crate) fn fingerprint(canonical: &str) -> u64 {
    fnv1a(canonical.as_bytes(), FNV_OFFSET)
}

/// The cursor after `position` (at least 8 bytes) of the query `fp`.
pub(crate) fn encode_cursor(kind: CursorKind, position: &[u8], fp: u64) -> String {
    let mut bytes = Vec::with_capacity(position.len() + 9);
    bytes.push(kind as u8);
    bytes.extend_from_slice(position);
    bytes.extend_from_slice(&fnv1a(&bytes, fp).to_be_bytes());
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The position a cursor of `kind` for the query `fp` carries, or what is wrong with it.
pub(crate) fn decode_cursor(cursor: &str, kind: CursorKind, fp: u64) -> Result<Vec<u8>, String> {
    let cursor = cursor.trim();
    if cursor.len() < 2 * MIN_CURSOR_BYTES
        || !cursor.len().is_multiple_of(2)
        || !cursor
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(MALFORMED.into());
    }
    let bytes: Vec<u8> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cursor[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .map_err(|_| MALFORMED.to_owned())?;
    let (payload, check) = bytes.split_at(bytes.len() - 8);
    if fnv1a(payload, fp).to_be_bytes() != check {
        return Err(
            "was issued for a different query; repeat the query it came from \
                    or start again without a cursor"
                .into(),
        );
    }
    match payload.split_first() {
        Some((k, position)) if *k == kind as u8 => Ok(position.to_vec()),
        _ => Err(MALFORMED.into()),
    }
}

/// FNV-1a, 64 bit: stable across builds and platforms (unlike `std`'s hasher).
fn fnv1a(bytes: &[u8], seed: u64) -> u64 {
    let mut hash = seed;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Paging of an append-only log shown newest first (audit, notifications).
/// A cursor holds the position of the last entry shown, counted from the
/// oldest, so entries appended or changed between pages do not shift it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogPaging {
    /// Page size.
    pub limit: usize,
    /// Show only entries older than this position (from the cursor).
    before: Option<u64>,
    /// The fingerprint of the query, for the next cursor.
    fp: u64,
}

impl LogPaging {
    /// The query parameters paging takes; the list's own parser leaves them to
    /// [`LogPaging::from_pairs`].
    pub const PARAMS: [&'static str; 2] = ["limit", "cursor"];

    /// `limit` and `cursor` from decoded query pairs (other keys are left to
    /// the caller); empty values count as not given, a repeated one is an
    /// error. `query` is the list's name and its filters in a fixed form: a
    /// cursor is accepted only with the query it came from.
    pub fn from_pairs(pairs: &[(String, String)], query: &str) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut paging = LogPaging {
            limit: DEFAULT_LIMIT,
            before: None,
            fp: fingerprint(query),
        };
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in pairs {
            let Some(key) = Self::PARAMS.iter().copied().find(|p| p == key) else {
                continue;
            };
            if seen.contains(&key) {
                errors.push(key, "is given more than once");
                continue;
            }
            seen.push(key);
            if value.trim().is_empty() {
                continue;
            }
            let taken = match key {
                "limit" => parse_limit(value).map(|n| paging.limit = n),
                _ => decode_cursor(value, CursorKind::LogPosition, paging.fp).and_then(|p| {
                    let p: [u8; 8] = p.try_into().map_err(|_| MALFORMED.to_owned())?;
                    paging.before = Some(u64::from_be_bytes(p));
                    Ok(())
                }),
            };
            if let Err(message) = taken {
                errors.push(key, message);
            }
        }
        errors.into_result(paging)
    }

    /// The page of `oldest_first` (the whole log, as stored), newest first,
    /// of the entries `keep` lets through.
    pub fn page<T, I>(&self, oldest_first: I, mut keep: impl FnMut(&T) -> bool) -> Page<T>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: DoubleEndedIterator + ExactSizeIterator,
    {
        let mut items = Vec::new();
        let mut total = 0;
        let mut last = 0;
        let mut more = false;
        for (position, entry) in oldest_first.into_iter().enumerate().rev() {
            if !keep(&entry) {
                continue;
            }
            total += 1;
            let position = position as u64;
            if self.before.is_some_and(|before| position >= before) {
                continue;
            }
            if items.len() < self.limit {
                items.push(entry);
                last = position;
            } else {
                more = true;
            }
        }
        Page {
            next_cursor: more
                .then(|| encode_cursor(CursorKind::LogPosition, &last.to_be_bytes(), self.fp)),
            items,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paging(pairs: &[(&str, &str)], query: &str) -> Result<LogPaging, ValidationErrors> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        LogPaging::from_pairs(&pairs, query)
    }

    #[test]
    fn log_pages_are_newest_first_and_follow_each_other_without_gap_or_overlap() {
        let first = paging(&[("limit", "2")], "log")
            .unwrap()
            .page(1..6, |_| true);
        assert_eq!((first.items, first.total), (vec![5, 4], 5));
        let cursor = first.next_cursor.unwrap();
        assert!(cursor.len() >= 34 && cursor.bytes().all(|b| b.is_ascii_hexdigit()));
        let second = paging(&[("limit", "2"), ("cursor", &cursor)], "log")
            .unwrap()
            .page(1..6, |_| true);
        assert_eq!(second.items, [3, 2]);
        let last = paging(&[("cursor", &second.next_cursor.unwrap())], "log")
            .unwrap()
            .page(1..6, |_| true);
        assert_eq!((last.items, last.next_cursor), (vec![1], None));
    }

    #[test]
    fn entries_appended_between_pages_do_not_shift_the_next_page() {
        let first = paging(&[("limit", "2")], "log")
            .unwrap()
            .page(1..6, |_| true);
        let cursor = first.next_cursor.unwrap();
        let second = paging(&[("limit", "2"), ("cursor", &cursor)], "log")
            .unwrap()
            .page(1..9, |_| true);
        assert_eq!((second.items, second.total), (vec![3, 2], 8));
    }

    #[test]
    fn filtered_pages_count_only_matches_and_end_where_matches_end() {
        let even = |n: &i32| n % 2 == 0;
        let first = paging(&[("limit", "2")], "log").unwrap().page(1..7, even);
        assert_eq!((first.items, first.total), (vec![6, 4], 3));
        let second = paging(&[("cursor", &first.next_cursor.unwrap())], "log")
            .unwrap()
            .page(1..7, even);
        assert_eq!((second.items, second.next_cursor), (vec![2], None));
    }

    #[test]
    fn a_cursor_works_only_with_its_own_query_and_list() {
        let cursor = paging(&[("limit", "1")], "audit\u{1f}type=a")
            .unwrap()
            .page(1..4, |_| true)
            .next_cursor
            .unwrap();
        let other = paging(&[("cursor", &cursor)], "audit\u{1f}type=b").unwrap_err();
        assert!(other.to_string().contains("different query"), "{other}");
        let task_row = encode_cursor(CursorKind::TaskRow, &[0; 9], fingerprint("log"));
        assert!(paging(&[("cursor", &task_row)], "log").is_err());
    }

    #[test]
    fn bad_values_name_their_parameter_and_empty_ones_count_as_not_given() {
        for (key, value) in [
            ("limit", "0"),
            ("limit", "501"),
            ("cursor", "o2"),
            ("cursor", "nonsense"),
        ] {
            assert!(
                paging(&[(key, value)], "log").unwrap_err().has(key),
                "{key}={value}"
            );
        }
        assert!(paging(&[("limit", "1"), ("limit", "2")], "log").is_err());
        let defaults = paging(&[("limit", ""), ("cursor", ""), ("unread", "true")], "log");
        assert_eq!(defaults.unwrap().limit, DEFAULT_LIMIT);
    }

    #[test]
    fn the_default_page_is_fifty() {
        let page = paging(&[], "log").unwrap().page(0..120, |_| true);
        assert_eq!(page.items.len(), DEFAULT_LIMIT);
        assert!(page.next_cursor.is_some());
    }
}
