//! Pages of a newest-first list: `limit` and the `cursor` of the previous
//! page, answered as `{items, next_cursor, total}`. The cursor counts the
//! entries already shown, so a page is one slice of the filtered list.

use serde::Serialize;

use crate::FieldError;

/// Page size when the client names none, and the largest it may ask for.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

/// Which slice of a list the client asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub limit: usize,
    /// Entries to skip, from the cursor.
    pub offset: usize,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// One page.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    pub total: usize,
}

impl Paging {
    /// Takes the query pair `key=value` if it is `limit` or `cursor`:
    /// `None` for any other key, else whether the value was understood.
    pub fn accept(&mut self, key: &str, value: &str) -> Option<Result<(), FieldError>> {
        let invalid = |message: String| Err(FieldError::new(key, message));
        Some(match key {
            "limit" => match value.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => {
                    self.limit = n;
                    Ok(())
                }
                _ => invalid(format!("must be a number from 1 to {MAX_LIMIT}")),
            },
            "cursor" => match value.strip_prefix('o').and_then(cursor_offset) {
                Some(n) => {
                    self.offset = n;
                    Ok(())
                }
                None => invalid("use the next_cursor of a previous page".into()),
            },
            _ => return None,
        })
    }

    /// The requested page of `matching`, already filtered and in the order shown.
    pub fn page<T>(&self, matching: impl IntoIterator<Item = T>) -> Page<T> {
        let mut total = 0;
        let mut items = Vec::new();
        for item in matching {
            if total >= self.offset && items.len() < self.limit {
                items.push(item);
            }
            total += 1;
        }
        let next = self.offset + items.len();
        Page {
            next_cursor: (next < total).then(|| format!("o{next}")),
            items,
            total,
        }
    }
}

/// The offset of a cursor `o<1-19 digits>` (the OpenAPI pattern). An offset
/// past the end is an empty last page, also where `usize` is 32 bits.
fn cursor_offset(digits: &str) -> Option<usize> {
    if !(1..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(usize::try_from(n).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paging(pairs: &[(&str, &str)]) -> Result<Paging, FieldError> {
        let mut paging = Paging::default();
        for (key, value) in pairs {
            paging.accept(key, value).expect("a paging parameter")?;
        }
        Ok(paging)
    }

    #[test]
    fn pages_follow_each_other_without_gap_or_overlap() {
        let first = paging(&[("limit", "2")]).unwrap().page(1..=5);
        assert_eq!((first.items, first.total), (vec![1, 2], 5));
        let cursor = first.next_cursor.unwrap();
        let second = paging(&[("limit", "2"), ("cursor", &cursor)])
            .unwrap()
            .page(1..=5);
        assert_eq!(second.items, [3, 4]);
        let last = paging(&[("limit", "2"), ("cursor", &second.next_cursor.unwrap())])
            .unwrap()
            .page(1..=5);
        assert_eq!((last.items, last.next_cursor), (vec![5], None));
    }

    #[test]
    fn cursors_are_o_and_digits_and_a_huge_one_is_past_the_end() {
        assert_eq!(
            paging(&[("cursor", "o011090032670")])
                .unwrap()
                .page(0..3)
                .items
                .len(),
            0
        );
        assert!(paging(&[("cursor", "o9999999999999999999")]).is_ok());
        for bad in ["o", "o+5", "5", "o-1", "o12345678901234567890", "o1 "] {
            assert!(paging(&[("cursor", bad)]).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_page_is_fifty() {
        let page = Paging::default().page(0..120);
        assert_eq!(page.items.len(), DEFAULT_LIMIT);
        assert_eq!(page.next_cursor.as_deref(), Some("o50"));
    }

    #[test]
    fn bad_values_name_their_parameter_and_other_keys_are_not_taken() {
        assert_eq!(paging(&[("limit", "0")]).unwrap_err().field, "limit");
        assert_eq!(paging(&[("limit", "501")]).unwrap_err().field, "limit");
        assert_eq!(paging(&[("cursor", "12")]).unwrap_err().field, "cursor");
        assert!(Paging::default().accept("unread", "true").is_none());
    }
}
