//! What one listing of a 10,000-task user costs the component, natively and
//! without a stack: decoding the user's index (as the state store hands it
//! over: JSON chunks of 128 summaries), selecting a page, decoding the
//! page's 50 tasks and encoding the answer; against decoding the old
//! layout's buckets of whole tasks alone. Prints sizes and CPU
//! milliseconds (min and median of `BENCH_SAMPLES`, default 30).
//!
//! `cargo bench -p bench --bench listing`

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bench::corpus;
use bench::stats::ms;
use todo_domain::{NewTask, Task, TaskQuery, TaskSummary, UserId};

fn time(samples: usize, mut run: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .collect();
    times.sort_unstable();
    (times[0], times[times.len() / 2])
}

fn main() {
    let samples: usize = std::env::var("BENCH_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let now = chrono::Utc::now();
    let owner = UserId::parse("bench").expect("a valid user id");
    let tasks: Vec<Task> = (1..=10_000u64)
        .map(|i| {
            let new = NewTask::from_json(&corpus::task_body(i, now)).expect("the corpus is valid");
            Task::create(i, owner.clone(), new, now, None)
        })
        .collect();
    let index: Vec<String> = tasks
        .chunks(128)
        .map(|chunk| {
            let summaries: Vec<TaskSummary> = chunk.iter().map(TaskSummary::of).collect();
            serde_json::to_string(&summaries).expect("summaries encode")
        })
        .collect();
    let buckets: Vec<String> = tasks
        .chunks(128)
        .map(|chunk| {
            let bucket: BTreeMap<u64, &Task> = chunk.iter().map(|t| (t.id, t)).collect();
            serde_json::to_string(&bucket).expect("tasks encode")
        })
        .collect();
    let stored: BTreeMap<u64, String> = tasks
        .iter()
        .map(|t| (t.id, serde_json::to_string(t).expect("tasks encode")))
        .collect();
    let size = |v: &[String]| v.iter().map(String::len).sum::<usize>();
    println!(
        "10,000 tasks: index {:.2} MB ({} B a summary), old buckets {:.2} MB",
        size(&index) as f64 / 1e6,
        size(&index) / 10_000,
        size(&buckets) as f64 / 1e6
    );
    println!("| work (native, one core) | min ms | median ms |");
    println!("|---|---:|---:|");
    for (name, params) in [
        ("list, default page of 50", ""),
        ("sort title", "sort=title"),
        (
            "filter priority + tags",
            "priority=high,urgent&tags=work,home",
        ),
    ] {
        let pairs: Vec<(String, String)> = params
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.into(), v.into())
            })
            .collect();
        let query = TaskQuery::from_pairs(&pairs).expect("a valid query");
        let (min, median) = time(samples, || {
            let summaries: Vec<TaskSummary> = index
                .iter()
                .flat_map(|c| {
                    serde_json::from_str::<Vec<TaskSummary>>(c).expect("summaries decode")
                })
                .collect();
            let selection = query.select(&summaries, now);
            let page: BTreeMap<u64, Task> = selection
                .ids
                .iter()
                .map(|id| {
                    (
                        *id,
                        serde_json::from_str(&stored[id]).expect("tasks decode"),
                    )
                })
                .collect();
            let body =
                serde_json::to_vec(&selection.page(|id| page.get(&id), now)).expect("pages encode");
            std::hint::black_box(body);
        });
        println!(
            "| index: {name} (decode + select + page) | {} | {} |",
            ms(min),
            ms(median)
        );
    }
    let (min, median) = time(samples, || {
        let all: Vec<BTreeMap<u64, Task>> = buckets
            .iter()
            .map(|b| serde_json::from_str(b).expect("buckets decode"))
            .collect();
        std::hint::black_box(all);
    });
    println!(
        "| old layout: decoding the buckets alone | {} | {} |",
        ms(min),
        ms(median)
    );
}
