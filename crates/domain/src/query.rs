//! Listing tasks: filters, sorting and cursor paging (`GET /tasks?...`).

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::due::Due;
use crate::error::ValidationErrors;
use crate::input::normalize_tag;
use crate::task::{Priority, Task, TaskView};

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 50;
/// The largest accepted `limit`.
pub const MAX_LIMIT: usize = 500;

const PARAMS: &[&str] = &[
    "q",
    "status",
    "priority",
    "tags",
    "category",
    "due_before",
    "due_after",
    "overdue",
    "sort",
    "limit",
    "cursor",
];

/// Which tasks by completion (`status=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    /// `pending`: not completed.
    Pending,
    /// `completed`.
    Completed,
    /// `all` (the default).
    #[default]
    All,
}

/// What to sort by (`sort=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortField {
    /// `due_date`: by when the due date starts (`starts_at`); tasks without
    /// a due date come last in both directions.
    DueDate,
    /// `priority`: ascending is low first; `-priority` is urgent first.
    Priority,
    /// `created_at` (the default).
    #[default]
    CreatedAt,
    /// `updated_at`.
    UpdatedAt,
    /// `title`, case-insensitively.
    Title,
}

/// A sort order. Ties are always broken by id ascending.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sort {
    /// The key.
    pub field: SortField,
    /// `-` prefix.
    pub descending: bool,
}

/// A validated list query. Build it with [`TaskQuery::from_pairs`].
///
/// `due_after` is inclusive and `due_before` exclusive, both compared with
/// the task's `starts_at`; a date bound (`2026-03-01`) means midnight in each
/// task's own zone, so `due_after=2026-03-01&due_before=2026-03-02` is every
/// task due on 1 March, wherever it is. Tasks without a due date never match
/// a due bound.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskQuery {
    /// Lowercased substring of title, description or a tag.
    pub q: Option<String>,
    /// Completion.
    pub status: StatusFilter,
    /// Any of these priorities (empty: any priority).
    pub priorities: Vec<Priority>,
    /// All of these tags (lowercase).
    pub tags: Vec<String>,
    /// Equal to this category, case-insensitively.
    pub category: Option<String>,
    /// Starts before this.
    pub due_before: Option<Due>,
    /// Starts at or after this.
    pub due_after: Option<Due>,
    /// Overdue (`true`) or not (`false`) at `now`.
    pub overdue: Option<bool>,
    /// Order.
    pub sort: Sort,
    /// Page size, 1-500.
    pub limit: usize,
    /// Where the page starts (from the cursor).
    pub offset: usize,
}

impl Default for TaskQuery {
    /// Every task, by `created_at` then id, [`DEFAULT_LIMIT`] per page, first page.
    fn default() -> Self {
        TaskQuery {
            q: None,
            status: StatusFilter::All,
            priorities: Vec::new(),
            tags: Vec::new(),
            category: None,
            due_before: None,
            due_after: None,
            overdue: None,
            sort: Sort::default(),
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// One page of results. Serde: `{items, next_cursor, total}`; `items` are
/// task views (with `overdue`), `next_cursor` is `null` on the last page.
#[derive(Clone, Debug, Serialize)]
pub struct Page<'a> {
    /// The tasks of this page.
    pub items: Vec<TaskView<'a>>,
    /// Pass as `cursor` (with the same query) for the next page.
    pub next_cursor: Option<String>,
    /// How many tasks match, over all pages.
    pub total: usize,
}

impl TaskQuery {
    /// Parses decoded query pairs. Unknown and repeated parameters are
    /// errors naming them; empty values count as not given. A cursor issued
    /// for a different query (any parameter other than `limit` differs) is rejected.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<TaskQuery, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let values = collect_params(pairs, PARAMS, &mut errors);
        let get = |name: &str| values.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let mut query = TaskQuery::default();

        if let Some(q) = get("q") {
            query.q = Some(q.to_lowercase());
        }
        if let Some(status) = get("status") {
            match status {
                "pending" => query.status = StatusFilter::Pending,
                "completed" => query.status = StatusFilter::Completed,
                "all" => query.status = StatusFilter::All,
                _ => errors.push("status", "must be one of pending, completed, all"),
            }
        }
        if let Some(list) = get("priority") {
            for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match Priority::parse(&item.to_ascii_lowercase()) {
                    Some(p) if !query.priorities.contains(&p) => query.priorities.push(p),
                    Some(_) => {}
                    None => errors.push(
                        "priority",
                        format!("'{item}' is not a priority; use a comma list of low, medium, high, urgent"),
                    ),
                }
            }
        }
        if let Some(list) = get("tags") {
            for item in list.split(',').filter(|s| !s.trim().is_empty()) {
                match normalize_tag(item) {
                    Ok(tag) if !query.tags.contains(&tag) => query.tags.push(tag),
                    Ok(_) => {}
                    Err(message) => errors.push("tags", format!("'{item}' {message}")),
                }
            }
        }
        if let Some(category) = get("category") {
            query.category = Some(category.trim().to_lowercase());
        }
        for (name, slot) in [
            ("due_before", &mut query.due_before),
            ("due_after", &mut query.due_after),
        ] {
            if let Some(value) = get(name) {
                match Due::parse(value.trim()) {
                    Ok(due) => *slot = Some(due),
                    Err(e) => errors.push(name, e.to_string()),
                }
            }
        }
        if let Some(overdue) = get("overdue") {
            match overdue {
                "true" => query.overdue = Some(true),
                "false" => query.overdue = Some(false),
                _ => errors.push("overdue", "must be true or false"),
            }
        }
        if let Some(sort) = get("sort") {
            match parse_sort(sort) {
                Some(s) => query.sort = s,
                None => errors.push(
                    "sort",
                    "must be one of due_date, priority, created_at, updated_at, title, \
                     optionally prefixed with - for descending",
                ),
            }
        }
        if let Some(limit) = get("limit") {
            match limit.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => query.limit = n,
                _ => errors.push(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                ),
            }
        }
        if let Some(cursor) = get("cursor")
            && errors.is_empty()
        {
            match decode_cursor(cursor, fingerprint(&query.canonical())) {
                Ok(offset) => query.offset = offset,
                Err(message) => errors.push("cursor", message),
            }
        }
        errors.into_result(query)
    }

    /// Filters, sorts and pages `tasks` (one user's tasks) at `now`.
    pub fn run<'a>(
        &self,
        tasks: impl IntoIterator<Item = &'a Task>,
        now: DateTime<Utc>,
    ) -> Page<'a> {
        let mut matches: Vec<(SortKey, &'a Task)> = tasks
            .into_iter()
            .filter(|t| self.matches(t, now))
            .map(|t| (self.sort_key(t), t))
            .collect();
        let descending = self.sort.descending;
        matches.sort_unstable_by(|(ka, a), (kb, b)| {
            compare_keys(ka, kb, descending).then(a.id.cmp(&b.id))
        });
        let total = matches.len();
        let start = self.offset.min(total);
        let end = start.saturating_add(self.limit).min(total);
        let items = matches[start..end]
            .iter()
            .map(|(_, t)| t.view(now))
            .collect();
        let next_cursor = (end < total).then(|| encode_cursor(end, fingerprint(&self.canonical())));
        Page {
            items,
            next_cursor,
            total,
        }
    }

    /// Whether `task` passes every filter at `now`.
    pub fn matches(&self, task: &Task, now: DateTime<Utc>) -> bool {
        match self.status {
            StatusFilter::Pending if task.completed => return false,
            StatusFilter::Completed if !task.completed => return false,
            _ => {}
        }
        if !self.priorities.is_empty() && !self.priorities.contains(&task.priority) {
            return false;
        }
        if !self.tags.iter().all(|tag| task.tags.contains(tag)) {
            return false;
        }
        if let Some(category) = &self.category
            && task
                .category
                .as_ref()
                .is_none_or(|c| c.to_lowercase() != *category)
        {
            return false;
        }
        if self.due_before.is_some() || self.due_after.is_some() {
            let Some(starts) = task.due_starts_at() else {
                return false;
            };
            if let Some(before) = &self.due_before
                && starts >= before.starts_at(&task.timezone)
            {
                return false;
            }
            if let Some(after) = &self.due_after
                && starts < after.starts_at(&task.timezone)
            {
                return false;
            }
        }
        if let Some(overdue) = self.overdue
            && task.is_overdue(now) != overdue
        {
            return false;
        }
        if let Some(q) = &self.q
            && !text_matches(task, q)
        {
            return false;
        }
        true
    }

    fn sort_key(&self, task: &Task) -> SortKey {
        match self.sort.field {
            SortField::DueDate => SortKey::Due(task.due_starts_at()),
            SortField::Priority => SortKey::Priority(task.priority),
            SortField::CreatedAt => SortKey::Time(task.created_at),
            SortField::UpdatedAt => SortKey::Time(task.updated_at),
            SortField::Title => SortKey::Title(task.title.to_lowercase()),
        }
    }

    /// Everything that selects and orders results (not `limit` or the cursor),
    /// in a fixed form, for the cursor fingerprint.
    fn canonical(&self) -> String {
        let mut priorities: Vec<&str> = self.priorities.iter().map(|p| p.as_str()).collect();
        priorities.sort_unstable();
        let mut tags: Vec<&str> = self.tags.iter().map(String::as_str).collect();
        tags.sort_unstable();
        let due = |d: &Option<Due>| {
            d.as_ref()
                .and_then(|d| serde_json::to_string(d).ok())
                .unwrap_or_default()
        };
        format!(
            "v1\u{1f}q={:?}\u{1f}status={:?}\u{1f}priority={}\u{1f}tags={:?}\u{1f}category={:?}\
             \u{1f}due_before={}\u{1f}due_after={}\u{1f}overdue={:?}\u{1f}sort={:?}",
            self.q,
            self.status,
            priorities.join(","),
            tags,
            self.category,
            due(&self.due_before),
            due(&self.due_after),
            self.overdue,
            self.sort,
        )
    }
}

/// Splits query pairs into known parameters, reporting unknown and repeated
/// ones. Empty values are dropped.
pub(crate) fn collect_params<'p>(
    pairs: &'p [(String, String)],
    known: &[&str],
    errors: &mut ValidationErrors,
) -> Vec<(&'p str, &'p str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in pairs {
        let key = key.as_str();
        if !known.contains(&key) {
            if !errors.has(key) {
                errors.push(
                    key,
                    format!(
                        "is not a known query parameter; expected {}",
                        known.join(", ")
                    ),
                );
            }
            continue;
        }
        if seen.contains(&key) {
            if !errors.has(key) {
                errors.push(key, "is given more than once; use one comma list");
            }
            continue;
        }
        seen.push(key);
        if !value.trim().is_empty() {
            out.push((key, value.as_str()));
        }
    }
    out
}

fn parse_sort(s: &str) -> Option<Sort> {
    let (descending, name) = match s.trim().strip_prefix('-') {
        Some(name) => (true, name),
        None => (false, s.trim()),
    };
    let field = match name {
        "due_date" => SortField::DueDate,
        "priority" => SortField::Priority,
        "created_at" => SortField::CreatedAt,
        "updated_at" => SortField::UpdatedAt,
        "title" => SortField::Title,
        _ => return None,
    };
    Some(Sort { field, descending })
}

fn text_matches(task: &Task, q: &str) -> bool {
    task.title.to_lowercase().contains(q)
        || task.tags.iter().any(|t| t.contains(q))
        || task
            .description
            .as_ref()
            .is_some_and(|d| d.to_lowercase().contains(q))
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Due(Option<DateTime<Utc>>),
    Priority(Priority),
    Time(DateTime<Utc>),
    Title(String),
}

fn compare_keys(a: &SortKey, b: &SortKey, descending: bool) -> Ordering {
    let directed = |o: Ordering| if descending { o.reverse() } else { o };
    match (a, b) {
        (SortKey::Due(None), SortKey::Due(None)) => Ordering::Equal,
        (SortKey::Due(None), SortKey::Due(Some(_))) => Ordering::Greater,
        (SortKey::Due(Some(_)), SortKey::Due(None)) => Ordering::Less,
        _ => directed(a.cmp(b)),
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

fn fingerprint(canonical: &str) -> u64 {
    fnv1a(canonical.as_bytes(), FNV_OFFSET)
}

fn check_word(fp: u64, offset: u64) -> u64 {
    fnv1a(&offset.to_be_bytes(), fnv1a(&fp.to_be_bytes(), FNV_OFFSET))
}

/// 32 hex digits: the offset masked by the query fingerprint, then a check
/// word over both. Not a secret, just opaque and bound to its query.
pub(crate) fn encode_cursor(offset: usize, fp: u64) -> String {
    let offset = offset as u64;
    format!("{:016x}{:016x}", offset ^ fp, check_word(fp, offset))
}

pub(crate) fn decode_cursor(cursor: &str, fp: u64) -> Result<usize, &'static str> {
    const MALFORMED: &str = "is not a cursor returned by this API; start again without one";
    let cursor = cursor.trim();
    if cursor.len() != 32 || !cursor.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(MALFORMED);
    }
    let (masked, check) = cursor.split_at(16);
    let (Ok(masked), Ok(check)) = (
        u64::from_str_radix(masked, 16),
        u64::from_str_radix(check, 16),
    ) else {
        return Err(MALFORMED);
    };
    let offset = masked ^ fp;
    if check_word(fp, offset) != check {
        return Err(
            "was issued for a different query; repeat the query it came from or start again without a cursor",
        );
    }
    usize::try_from(offset).map_err(|_| MALFORMED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    fn pairs(s: &str) -> Vec<(String, String)> {
        s.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    fn query(s: &str) -> TaskQuery {
        TaskQuery::from_pairs(&pairs(s)).unwrap()
    }

    fn ids(page: &Page<'_>) -> Vec<u64> {
        page.items.iter().map(|v| v.task.id).collect()
    }

    fn now() -> DateTime<Utc> {
        utc("2026-03-10T12:00:00Z")
    }

    /// Six tasks with varied fields.
    fn sample() -> Vec<Task> {
        vec![
            task_with(|t| {
                t.id = 1;
                t.title = "Buy milk".into();
                t.tags = vec!["shopping".into(), "home".into()];
                t.priority = Priority::Low;
                t.due_date = Some(due("2026-03-05"));
                t.category = Some("Errands".into());
                t.created_at = utc("2026-01-03T00:00:00Z");
            }),
            task_with(|t| {
                t.id = 2;
                t.title = "write report".into();
                t.description = Some("Quarterly NUMBERS".into());
                t.tags = vec!["work".into()];
                t.priority = Priority::Urgent;
                t.due_date = Some(due("2026-03-20T09:00:00+01:00"));
                t.created_at = utc("2026-01-01T00:00:00Z");
            }),
            task_with(|t| {
                t.id = 3;
                t.title = "Call mum".into();
                t.priority = Priority::High;
                t.completed = true;
                t.completed_at = Some(utc("2026-03-01T00:00:00Z"));
                t.due_date = Some(due("2026-03-01T18:00:00Z"));
                t.created_at = utc("2026-01-02T00:00:00Z");
            }),
            task_with(|t| {
                t.id = 4;
                t.title = "Archive mail".into();
                t.tags = vec!["work".into(), "home".into()];
                t.created_at = utc("2026-01-02T00:00:00Z");
            }),
            task_with(|t| {
                t.id = 5;
                t.title = "Renew passport".into();
                t.priority = Priority::High;
                t.due_date = Some(due("2026-03-05"));
                t.timezone = tz("America/New_York");
                t.created_at = utc("2026-01-05T00:00:00Z");
            }),
            task_with(|t| {
                t.id = 6;
                t.title = "Plan trip".into();
                t.created_at = utc("2026-01-04T00:00:00Z");
            }),
        ]
    }

    fn run(s: &str) -> Vec<u64> {
        let tasks = sample();
        ids(&query(s).run(&tasks, now()))
    }

    #[test]
    fn the_default_order_is_created_at_then_id() {
        assert_eq!(run(""), vec![2, 3, 4, 1, 6, 5]);
    }

    #[test]
    fn q_searches_title_description_and_tags_case_insensitively() {
        assert_eq!(run("q=REPORT"), vec![2]);
        assert_eq!(run("q=numbers"), vec![2]);
        assert_eq!(run("q=shop"), vec![1]);
        assert_eq!(run("q=zzz"), Vec::<u64>::new());
    }

    #[test]
    fn status_filters_by_completion() {
        assert_eq!(run("status=completed"), vec![3]);
        assert_eq!(run("status=pending&sort=title"), vec![4, 1, 6, 5, 2]);
        assert_eq!(run("status=all").len(), 6);
    }

    #[test]
    fn priority_takes_a_comma_list() {
        assert_eq!(run("priority=high,urgent"), vec![2, 3, 5]);
        assert_eq!(run("priority=low"), vec![1]);
    }

    #[test]
    fn tags_must_all_match() {
        assert_eq!(run("tags=home"), vec![4, 1]);
        assert_eq!(run("tags=Home,work"), vec![4]);
    }

    #[test]
    fn category_matches_case_insensitively() {
        assert_eq!(run("category=errands"), vec![1]);
    }

    #[test]
    fn due_bounds_are_half_open_and_dates_use_each_tasks_zone() {
        // Task 1 is due 5 March in UTC, task 5 on 5 March in New York.
        assert_eq!(
            run("due_after=2026-03-05&due_before=2026-03-06"),
            vec![1, 5]
        );
        assert_eq!(run("due_before=2026-03-05T00:00:00Z"), vec![3]);
        assert_eq!(run("due_after=2026-03-06"), vec![2]);
        // 5 March 02:00 UTC is 4 March in New York: task 5 is after it, task 1 before.
        assert_eq!(
            run("due_after=2026-03-05T02:00:00Z&due_before=2026-03-05T06:00:00Z"),
            vec![5]
        );
    }

    #[test]
    fn overdue_true_keeps_pending_tasks_past_their_due_time() {
        assert_eq!(run("overdue=true"), vec![1, 5]);
        assert_eq!(run("overdue=false"), vec![2, 3, 4, 6]);
    }

    #[test]
    fn due_date_sort_puts_undated_tasks_last_in_both_directions_with_ties_by_id() {
        assert_eq!(run("sort=due_date"), vec![3, 1, 5, 2, 4, 6]);
        assert_eq!(run("sort=-due_date"), vec![2, 5, 1, 3, 4, 6]);
    }

    #[test]
    fn priority_sort_is_low_first_ascending_and_urgent_first_descending() {
        assert_eq!(run("sort=priority"), vec![1, 4, 6, 3, 5, 2]);
        assert_eq!(run("sort=-priority"), vec![2, 3, 5, 4, 6, 1]);
    }

    #[test]
    fn title_created_and_updated_sorts_break_ties_by_id() {
        assert_eq!(run("sort=title"), vec![4, 1, 3, 6, 5, 2]);
        assert_eq!(run("sort=-title"), vec![2, 5, 6, 3, 1, 4]);
        assert_eq!(run("sort=-created_at"), vec![5, 6, 1, 3, 4, 2]);
        // Every sample task has the same updated_at: pure id order.
        assert_eq!(run("sort=updated_at"), vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(run("sort=-updated_at"), vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn cursors_page_through_results_and_total_counts_all_matches() {
        let tasks = sample();
        let first = query("limit=4&sort=title").run(&tasks, now());
        assert_eq!(ids(&first), vec![4, 1, 3, 6]);
        assert_eq!(first.total, 6);
        let cursor = first.next_cursor.clone().unwrap();
        let second = query(&format!("limit=4&sort=title&cursor={cursor}")).run(&tasks, now());
        assert_eq!(ids(&second), vec![5, 2]);
        assert_eq!(second.total, 6);
        assert_eq!(second.next_cursor, None);
        // The limit may change between pages.
        let third = query(&format!("sort=title&limit=1&cursor={cursor}")).run(&tasks, now());
        assert_eq!(ids(&third), vec![5]);
    }

    #[test]
    fn a_cursor_used_with_another_query_or_tampered_with_is_rejected() {
        let tasks = sample();
        let cursor = query("limit=2&sort=title")
            .run(&tasks, now())
            .next_cursor
            .unwrap();
        let errors = TaskQuery::from_pairs(&pairs(&format!("limit=2&sort=-title&cursor={cursor}")))
            .unwrap_err();
        assert!(errors.has("cursor"));
        assert!(errors.to_string().contains("different query"));
        let mut tampered = cursor.clone().into_bytes();
        tampered[15] = if tampered[15] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(
            TaskQuery::from_pairs(&pairs(&format!("limit=2&sort=title&cursor={tampered}")))
                .is_err()
        );
        assert!(TaskQuery::from_pairs(&pairs("cursor=nonsense")).is_err());
    }

    #[test]
    fn unknown_repeated_and_invalid_parameters_are_all_reported_by_name() {
        let errors = TaskQuery::from_pairs(&pairs(
            "color=red&status=done&priority=high,extreme&sort=size&limit=501&overdue=yes&due_before=tomorrow&status=all",
        ))
        .unwrap_err();
        for field in [
            "color",
            "status",
            "priority",
            "sort",
            "limit",
            "overdue",
            "due_before",
        ] {
            assert!(errors.has(field), "{field}: {errors}");
        }
        assert!(
            errors
                .to_string()
                .contains("color: is not a known query parameter")
        );
        assert!(TaskQuery::from_pairs(&pairs("limit=0")).is_err());
        assert_eq!(query("limit=500").limit, 500);
        assert_eq!(query("").limit, DEFAULT_LIMIT);
    }

    #[test]
    fn ten_thousand_tasks_filter_and_sort_quickly() {
        let base = task_with(|_| {});
        let tasks: Vec<Task> = (0..10_000u64)
            .map(|i| {
                let mut t = base.clone();
                t.id = i + 1;
                t.title = format!("Task {}", i * 7919 % 10_000);
                t.tags = vec![format!("t{}", i % 10)];
                t.due_date = (i % 3 != 0).then(|| due("2026-03-05T09:00:00Z"));
                t
            })
            .collect();
        let started = std::time::Instant::now();
        let page = query("q=task&sort=-due_date&limit=500").run(&tasks, now());
        let page2 = query("tags=t3&sort=title").run(&tasks, now());
        assert_eq!(page.total, 10_000);
        assert_eq!(page2.total, 1_000);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
