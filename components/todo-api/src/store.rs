//! Reading tasks: listings through the per-user index, one task by its
//! key (layout: `records`). Writes are in `commit`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use dapr_http::{DaprClient, DaprError, Transport};
use todo_domain::{CalendarQuery, Page, Selection, Task, TaskQuery, TaskSummary, TaskView, micros};

use crate::migrate;
pub use crate::records::STORE;
use crate::records::{self, Meta, chunk_key, task_key};

/// A user's meta, moved to the current layout first when it is not.
async fn current_meta<T: Transport>(dapr: &DaprClient<T>, user: &str) -> Result<Meta, DaprError> {
    let (meta, _) = records::meta(dapr, user).await?;
    if !meta.needs_migration() {
        return Ok(meta);
    }
    migrate::run(dapr, user).await?;
    Ok(records::meta(dapr, user).await?.0)
}

/// The user's whole index: the sealed chunks (one bulk call; none while
/// the user has at most one chunk of ids) and the meta's open chunk.
async fn index<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
    meta: Meta,
) -> Result<Vec<TaskSummary>, DaprError> {
    let keys: Vec<String> = meta.sealed_chunks().map(|n| chunk_key(user, n)).collect();
    let chunks = dapr
        .get_bulk_state::<Vec<TaskSummary>>(STORE, &keys)
        .await?;
    let mut summaries =
        Vec::with_capacity(chunks.len() * records::CHUNK as usize + meta.open.len());
    for chunk in chunks.into_iter().filter_map(|item| item.value) {
        summaries.extend(chunk.value);
    }
    summaries.extend(meta.open);
    Ok(summaries)
}

/// The tasks `ids` (one bulk call), by id; missing ones are left out.
async fn tasks_by_id<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
    ids: impl IntoIterator<Item = u64>,
) -> Result<HashMap<u64, Task>, DaprError> {
    let keys: Vec<String> = ids.into_iter().map(|id| task_key(user, id)).collect();
    Ok(dapr
        .get_bulk_state::<Task>(STORE, &keys)
        .await?
        .into_iter()
        .filter_map(|item| item.value.map(|v| (v.value.id, v.value)))
        .collect())
}

/// One page of a listing, with the tasks it shows.
pub struct Listing {
    selection: Selection,
    tasks: HashMap<u64, Task>,
}

impl Listing {
    /// The page as the API answers it.
    pub fn page(&self, now: DateTime<Utc>) -> Page<TaskView<'_>> {
        self.selection.page(|id| self.tasks.get(&id), now)
    }
}

/// `query`'s page of `user`'s tasks: meta, index, then only the page's
/// tasks (3 calls; a search also reads the tasks whose long description
/// only can tell whether they match).
pub async fn list<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
    query: &TaskQuery,
    now: DateTime<Utc>,
) -> Result<Listing, DaprError> {
    let meta = current_meta(dapr, user).await?;
    let mut summaries = index(dapr, user, meta).await?;
    let undecided: Vec<u64> = summaries
        .iter()
        .filter(|s| query.needs_whole_task(s))
        .map(|s| s.id)
        .collect();
    if !undecided.is_empty() {
        let whole = tasks_by_id(dapr, user, undecided).await?;
        for summary in &mut summaries {
            if let Some(task) = whole.get(&summary.id) {
                *summary = TaskSummary::whole(task);
            }
        }
    }
    let selection = query.select(&summaries, now);
    let tasks = tasks_by_id(dapr, user, selection.ids.iter().copied()).await?;
    Ok(Listing { selection, tasks })
}

/// The tasks the calendar of `query` may show: those due within a day of
/// the range (a task's local day is within 14 hours of UTC's) and every
/// pending recurring task (its projections may fall in it). The calendar
/// itself decides exactly.
pub async fn calendar_tasks<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
    query: &CalendarQuery,
) -> Result<Vec<Task>, DaprError> {
    let meta = current_meta(dapr, user).await?;
    let summaries = index(dapr, user, meta).await?;
    let day = TimeDelta::days(1);
    let from = micros(query.from.and_time(NaiveTime::MIN).and_utc() - day);
    let to = micros(query.to.and_time(NaiveTime::MIN).and_utc() + day + day);
    let ids = summaries
        .iter()
        .filter(|s| {
            (s.recurring && !s.completed) || s.due_starts.is_some_and(|t| (from..to).contains(&t))
        })
        .map(|s| s.id);
    let mut tasks: Vec<Task> = tasks_by_id(dapr, user, ids).await?.into_values().collect();
    tasks.sort_by_key(|t| t.id);
    Ok(tasks)
}

/// Every task of `user`, by id (the index, then every task key).
pub async fn all_tasks<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
) -> Result<Vec<Task>, DaprError> {
    let meta = current_meta(dapr, user).await?;
    let ids: Vec<u64> = index(dapr, user, meta)
        .await?
        .iter()
        .map(|s| s.id)
        .collect();
    let mut tasks: Vec<Task> = tasks_by_id(dapr, user, ids).await?.into_values().collect();
    tasks.sort_by_key(|t| t.id);
    Ok(tasks)
}

/// One task, if it exists: one key (a user still in the old layout is
/// moved over first, found by the miss).
pub async fn task<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
    id: u64,
) -> Result<Option<Task>, DaprError> {
    if let Some(found) = dapr.get_state::<Task>(STORE, &task_key(user, id)).await? {
        return Ok(Some(found.value));
    }
    let (meta, _) = records::meta(dapr, user).await?;
    if !meta.needs_migration() {
        return Ok(None);
    }
    migrate::run(dapr, user).await?;
    Ok(dapr
        .get_state::<Task>(STORE, &task_key(user, id))
        .await?
        .map(|found| found.value))
}

/// The parent links (`id -> parent_task_id`) met following parents up from
/// task `start`, at most `max_depth + 1` of them: what
/// `todo_domain::check_parent` needs. A missing task ends the walk (it has
/// no entry).
pub async fn parent_links<T: Transport>(
    dapr: &DaprClient<T>,
    user: &str,
    start: u64,
    max_depth: usize,
) -> Result<HashMap<u64, Option<u64>>, DaprError> {
    let mut links = HashMap::new();
    let mut next = Some(start);
    while let Some(id) = next {
        if links.contains_key(&id) || links.len() > max_depth {
            break; // a loop among other tasks, or deeper than anyone checks
        }
        let Some(task) = task(dapr, user, id).await? else {
            break;
        };
        links.insert(id, task.parent_task_id);
        next = task.parent_task_id;
    }
    Ok(links)
}
