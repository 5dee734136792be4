//! Listing tasks: filters, sorting and cursor paging (`GET /tasks?...`).

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::due::Due;
use crate::due::TimeZone;
use crate::error::ValidationErrors;
use crate::input::normalize_tag;
use crate::page::{
    CursorKind, DEFAULT_LIMIT, Page, decode_cursor, encode_cursor, fingerprint, parse_limit,
};
use crate::task::{Priority, Task, TaskId, TaskView};

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
    /// The page starts after this row (from the cursor).
    pub after: Option<Cursor>,
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
            after: None,
        }
    }
}

/// The rows of one page, picked from the index: the task ids to read, in
/// page order, with the page's `next_cursor` and `total`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The page's task ids, in order.
    pub ids: Vec<TaskId>,
    /// Pass as `cursor` (with the same query) for the next page.
    pub next_cursor: Option<String>,
    /// How many tasks match, over all pages.
    pub total: usize,
}

impl Selection {
    /// The page, from the selected tasks as `task` finds them (a task that
    /// vanished between reading the index and reading the task is left out).
    pub fn page<'a>(
        &self,
        mut task: impl FnMut(TaskId) -> Option<&'a Task>,
        now: DateTime<Utc>,
    ) -> Page<TaskView<'a>> {
        Page {
            items: self
                .ids
                .iter()
                .filter_map(|id| task(*id))
                .map(|t| t.view(now))
                .collect(),
            next_cursor: self.next_cursor.clone(),
            total: self.total,
        }
    }
}

/// Descriptions up to this many bytes are kept in the index; a longer one
/// is only flagged, and a search reads that task whole.
pub const INDEXED_DESCRIPTION_BYTES: usize = 200;

/// What lists filter and sort on and the calendar picks by, for one task:
/// the per-user index keeps one per task so a listing reads the index and
/// then only its page's tasks. Serde: one-letter names, defaults left out,
/// times as microseconds since the epoch (compact and quick to decode).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskSummary {
    /// The task id.
    #[serde(rename = "i")]
    pub id: TaskId,
    /// The title.
    #[serde(rename = "t")]
    pub title: String,
    /// The description when it is short (see [`INDEXED_DESCRIPTION_BYTES`]).
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The task has a longer description, not kept here.
    #[serde(rename = "l", default, skip_serializing_if = "is_false")]
    pub long_description: bool,
    /// Tags.
    #[serde(rename = "g", default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Category.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Priority.
    #[serde(rename = "p", default, skip_serializing_if = "is_medium")]
    pub priority: Priority,
    /// Completed.
    #[serde(rename = "k", default, skip_serializing_if = "is_false")]
    pub completed: bool,
    /// `created_at`, microseconds.
    #[serde(rename = "a")]
    pub created: i64,
    /// `updated_at`, microseconds.
    #[serde(rename = "u")]
    pub updated: i64,
    /// When the due date starts, microseconds.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub due_starts: Option<i64>,
    /// From when it is overdue while pending, microseconds.
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    pub overdue_at: Option<i64>,
    /// The task's zone when it has a due date and the zone is not UTC.
    #[serde(rename = "z", default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// It repeats.
    #[serde(rename = "r", default, skip_serializing_if = "is_false")]
    pub recurring: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_medium(p: &Priority) -> bool {
    *p == Priority::Medium
}

/// Microseconds since the epoch (the index's time unit).
pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

impl TaskSummary {
    /// The summary of `task` as the index keeps it.
    pub fn of(task: &Task) -> TaskSummary {
        Self::with_description_up_to(task, INDEXED_DESCRIPTION_BYTES)
    }

    /// The summary of `task` with its whole description, so a search is
    /// decided on it alone (for tasks read whole).
    pub fn whole(task: &Task) -> TaskSummary {
        Self::with_description_up_to(task, usize::MAX)
    }

    fn with_description_up_to(task: &Task, limit: usize) -> TaskSummary {
        let description = task.description.as_ref();
        let short = description.filter(|d| d.len() <= limit);
        let due = task.due_date.as_ref();
        TaskSummary {
            id: task.id,
            title: task.title.clone(),
            description: short.cloned(),
            long_description: description.is_some() && short.is_none(),
            tags: task.tags.clone(),
            category: task.category.clone(),
            priority: task.priority,
            completed: task.completed,
            created: micros(task.created_at),
            updated: micros(task.updated_at),
            due_starts: due.map(|d| micros(d.starts_at(&task.timezone))),
            overdue_at: due.map(|d| micros(d.overdue_at(&task.timezone))),
            timezone: (due.is_some() && task.timezone != TimeZone::default())
                .then(|| task.timezone.name().to_owned()),
            recurring: task.recurrence.is_some(),
        }
    }

    /// The task's zone (UTC when none is kept).
    pub fn zone(&self) -> TimeZone {
        self.timezone
            .as_deref()
            .and_then(|name| TimeZone::parse(name).ok())
            .unwrap_or_default()
    }

    /// Pending, has a due date, and `now` (microseconds) is past its overdue point.
    pub fn is_overdue(&self, now: i64) -> bool {
        !self.completed && self.overdue_at.is_some_and(|at| now >= at)
    }

    /// Whether the lowercase `q` is in the title, a tag or the description;
    /// `None` when only the description could tell and it is not indexed.
    pub fn text_matches(&self, q: &str) -> Option<bool> {
        if self.title.to_lowercase().contains(q)
            || self.tags.iter().any(|t| t.contains(q))
            || self
                .description
                .as_ref()
                .is_some_and(|d| d.to_lowercase().contains(q))
        {
            return Some(true);
        }
        if self.long_description {
            None
        } else {
            Some(false)
        }
    }
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
            match parse_limit(limit) {
                Ok(n) => query.limit = n,
                Err(message) => errors.push("limit", message),
            }
        }
        if let Some(cursor) = get("cursor")
            && errors.is_empty()
        {
            match Cursor::decode(cursor, query.sort.field, fingerprint(&query.canonical())) {
                Ok(after) => query.after = Some(after),
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
    ) -> Page<TaskView<'a>> {
        let tasks: Vec<&'a Task> = tasks.into_iter().collect();
        let summaries: Vec<TaskSummary> = tasks.iter().map(|t| TaskSummary::whole(t)).collect();
        let selection = self.select(&summaries, now);
        let by_id: std::collections::HashMap<TaskId, &'a Task> =
            tasks.iter().map(|t| (t.id, *t)).collect();
        selection.page(|id| by_id.get(&id).copied(), now)
    }

    /// Filters and sorts `summaries` (one user's index) at `now` and picks
    /// this query's page: the ids to read, in order. Rows come after the
    /// cursor's row in the query's order (keyset paging), so a later page
    /// costs what the first does and writes between pages neither repeat nor
    /// skip rows; only the page itself is sorted.
    pub fn select(&self, summaries: &[TaskSummary], now: DateTime<Utc>) -> Selection {
        let now = micros(now);
        let descending = self.sort.descending;
        let mut total = 0;
        let mut rows: Vec<(SortKey, TaskId)> = Vec::new();
        for summary in summaries {
            if !self.matches_summary(summary, now) {
                continue;
            }
            total += 1;
            let key = self.sort_key(summary);
            if let Some(after) = &self.after
                && order(&key, summary.id, &after.key, after.id, descending) != Ordering::Greater
            {
                continue;
            }
            rows.push((key, summary.id));
        }
        let by_order =
            |a: &(SortKey, TaskId), b: &(SortKey, TaskId)| order(&a.0, a.1, &b.0, b.1, descending);
        let more = rows.len() > self.limit;
        if more {
            rows.select_nth_unstable_by(self.limit, by_order);
            rows.truncate(self.limit);
        }
        rows.sort_unstable_by(by_order);
        let fp = fingerprint(&self.canonical());
        let next_cursor = more
            .then(|| rows.last())
            .flatten()
            .map(|(key, id)| Cursor::encode(key, *id, fp));
        Selection {
            ids: rows.into_iter().map(|(_, id)| id).collect(),
            next_cursor,
            total,
        }
    }

    /// Whether `task` passes every filter at `now`.
    pub fn matches(&self, task: &Task, now: DateTime<Utc>) -> bool {
        self.matches_summary(&TaskSummary::whole(task), micros(now))
    }

    fn matches_summary(&self, task: &TaskSummary, now: i64) -> bool {
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
            let Some(starts) = task.due_starts else {
                return false;
            };
            let zone = task.zone();
            if let Some(before) = &self.due_before
                && starts >= micros(before.starts_at(&zone))
            {
                return false;
            }
            if let Some(after) = &self.due_after
                && starts < micros(after.starts_at(&zone))
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
            && !task.text_matches(q).unwrap_or(true)
        {
            return false;
        }
        true
    }

    /// Whether `task`, whose summary matched with an undecided search
    /// ([`TaskSummary::text_matches`] is `None`: its description is not in
    /// the index), really matches: the caller reads such tasks whole.
    pub fn needs_whole_task(&self, summary: &TaskSummary) -> bool {
        self.q
            .as_ref()
            .is_some_and(|q| summary.text_matches(q).is_none())
    }

    fn sort_key(&self, task: &TaskSummary) -> SortKey {
        match self.sort.field {
            SortField::DueDate => SortKey::Due(task.due_starts),
            SortField::Priority => SortKey::Priority(task.priority),
            SortField::CreatedAt => SortKey::Time(task.created),
            SortField::UpdatedAt => SortKey::Time(task.updated),
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

/// A row's place in the query's order (with its id, which breaks ties).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Due(Option<i64>),
    Priority(Priority),
    Time(i64),
    Title(String),
}

/// Where a page ends: the last row's sort key and id, from a cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    key: SortKey,
    id: TaskId,
}

/// How row (`ka`, `a`) compares with row (`kb`, `b`) in the query's order.
fn order(ka: &SortKey, a: TaskId, kb: &SortKey, b: TaskId, descending: bool) -> Ordering {
    compare_keys(ka, kb, descending).then(a.cmp(&b))
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

impl Cursor {
    /// The cursor after row (`key`, `id`) of the query `fp`: the key's
    /// bytes, then the id (see [`crate::page`] for the envelope).
    fn encode(key: &SortKey, id: TaskId, fp: u64) -> String {
        let mut bytes = Vec::with_capacity(24);
        match key {
            SortKey::Due(None) => bytes.push(0),
            SortKey::Due(Some(t)) => {
                bytes.push(1);
                bytes.extend_from_slice(&t.to_be_bytes());
            }
            SortKey::Priority(p) => bytes.push(*p as u8),
            SortKey::Time(t) => bytes.extend_from_slice(&t.to_be_bytes()),
            SortKey::Title(title) => bytes.extend_from_slice(title.as_bytes()),
        }
        bytes.extend_from_slice(&id.to_be_bytes());
        encode_cursor(CursorKind::TaskRow, &bytes, fp)
    }

    /// The row a cursor of the query `fp`, sorted by `field`, ends at.
    fn decode(cursor: &str, field: SortField, fp: u64) -> Result<Cursor, String> {
        const MALFORMED: &str = "is not a cursor returned by this API; start again without one";
        let payload = decode_cursor(cursor, CursorKind::TaskRow, fp)?;
        let malformed = |_| MALFORMED.to_owned();
        let split = payload.len().checked_sub(8).ok_or(MALFORMED)?;
        let (key, id) = payload.split_at(split);
        let id = u64::from_be_bytes(id.try_into().map_err(malformed)?);
        let instant = |b: &[u8]| -> Result<i64, String> {
            Ok(i64::from_be_bytes(b.try_into().map_err(malformed)?))
        };
        let key = match field {
            SortField::DueDate => match key {
                [0] => SortKey::Due(None),
                [1, rest @ ..] => SortKey::Due(Some(instant(rest)?)),
                _ => return Err(MALFORMED.into()),
            },
            SortField::Priority => match key {
                [p] => SortKey::Priority(*Priority::ALL.get(usize::from(*p)).ok_or(MALFORMED)?),
                _ => return Err(MALFORMED.into()),
            },
            SortField::CreatedAt | SortField::UpdatedAt => SortKey::Time(instant(key)?),
            SortField::Title => {
                SortKey::Title(String::from_utf8(key.to_vec()).map_err(|_| MALFORMED.to_owned())?)
            }
        };
        Ok(Cursor { key, id })
    }
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

    fn ids(page: &Page<TaskView<'_>>) -> Vec<u64> {
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
    fn every_sort_pages_through_every_row_once_by_keyset_cursor() {
        let tasks = sample();
        for sort in [
            "due_date",
            "-due_date",
            "priority",
            "-priority",
            "created_at",
            "-created_at",
            "updated_at",
            "title",
            "-title",
        ] {
            let whole = ids(&query(&format!("sort={sort}")).run(&tasks, now()));
            let mut paged = Vec::new();
            let mut q = format!("sort={sort}&limit=2");
            loop {
                let page = query(&q).run(&tasks, now());
                assert_eq!(page.total, 6, "{sort}");
                assert!(page.next_cursor.as_ref().is_none_or(|c| c.len() >= 34));
                paged.extend(ids(&page));
                match page.next_cursor {
                    Some(c) => q = format!("sort={sort}&limit=2&cursor={c}"),
                    None => break,
                }
            }
            assert_eq!(paged, whole, "{sort}");
        }
    }

    #[test]
    fn writes_between_pages_neither_repeat_nor_skip_rows() {
        let mut tasks = sample();
        // By title: 4 Archive, 1 Buy, 3 Call, 6 Plan, 5 Renew, 2 write.
        let first = query("sort=title&limit=3").run(&tasks, now());
        assert_eq!(ids(&first), vec![4, 1, 3]);
        let cursor = first.next_cursor.unwrap();
        // A row of the first page goes and a new row lands before the cursor:
        // with offsets the next page would skip "Plan trip" and repeat nothing.
        tasks.retain(|t| t.id != 1);
        tasks.push(task_with(|t| {
            t.id = 7;
            t.title = "Aardvark".into();
        }));
        let second = query(&format!("sort=title&limit=3&cursor={cursor}")).run(&tasks, now());
        assert_eq!(ids(&second), vec![6, 5, 2]);
    }

    #[test]
    fn a_search_of_an_unindexed_long_description_is_left_to_the_whole_task() {
        let long = "x".repeat(INDEXED_DESCRIPTION_BYTES) + " needle";
        let task = task_with(|t| {
            t.id = 9;
            t.title = "Hay".into();
            t.description = Some(long.clone());
        });
        let summary = TaskSummary::of(&task);
        assert_eq!(summary.description, None);
        assert!(summary.long_description);
        assert_eq!(summary.text_matches("needle"), None);
        assert_eq!(summary.text_matches("hay"), Some(true));
        assert!(query("q=needle").needs_whole_task(&summary));
        assert!(!query("").needs_whole_task(&summary));
        // From the whole task the search decides.
        assert_eq!(ids(&query("q=needle").run([&task], now())), vec![9]);
        assert!(ids(&query("q=pin").run([&task], now())).is_empty());
    }

    #[test]
    fn a_summary_survives_its_stored_form_and_leaves_defaults_out() {
        let tasks = sample();
        for task in &tasks {
            let summary = TaskSummary::of(task);
            let stored = serde_json::to_string(&summary).unwrap();
            assert_eq!(
                serde_json::from_str::<TaskSummary>(&stored).unwrap(),
                summary
            );
        }
        let plain = serde_json::to_string(&TaskSummary::of(&tasks[5])).unwrap();
        assert!(
            !plain.contains("\"p\"") && !plain.contains("\"k\""),
            "{plain}"
        );
        assert_eq!(
            TaskSummary::of(&tasks[4]).timezone.as_deref(),
            Some("America/New_York")
        );
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

    /// Correctness at size; the speed of one such listing is measured by
    /// `bench/benches/listing.rs`, not here.
    #[test]
    fn ten_thousand_tasks_filter_and_sort() {
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
        let page = query("q=task&sort=-due_date&limit=500").run(&tasks, now());
        let page2 = query("tags=t3&sort=title").run(&tasks, now());
        assert_eq!(page.total, 10_000);
        assert_eq!(page.items.len(), 500);
        // Every dated task (two thirds) comes before the undated ones.
        assert!(page.items.iter().all(|v| v.task.due_date.is_some()));
        assert_eq!(page2.total, 1_000);
        assert!(page2.items.iter().all(|v| v.task.tags == ["t3"]));
        let titles: Vec<&str> = page2.items.iter().map(|v| v.task.title.as_str()).collect();
        assert!(titles.is_sorted(), "{titles:?}");
    }
}
