//! Concurrent durable sets from 1, 2, 4 and 8 threads: group commit shares one fsync among the
//! writers waiting for it, so throughput should grow with the number of writers; SQLite with
//! `synchronous=FULL` (a connection per writer, one database) at the same counts. Then as many
//! writers as tasks on one async thread (the door a simulator's event loop uses), where a write's
//! wait costs no thread a sleep and a wake-up.

use super::Ctx;
use crate::harness::{median, rotate};
use crate::peers::{full_stack, key, raw_sled, value, Sqlite};
use crate::report::{Report, Row, Section, Target, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};
use storage_api::{Mpstore, Wx};
use storage_core::Scope;
use storage_sled::Durability;

/// The writer counts measured.
pub const THREADS: [usize; 4] = [1, 2, 4, 8];

/// Adds the concurrency section.
pub fn run(ctx: &Ctx, report: &mut Report) {
    let dir = ctx.dir("concurrency");
    let store = full_stack(&dir, Durability::Durable);
    let writers: Vec<Wx> = (0..THREADS[THREADS.len() - 1])
        .map(|t| wx(&store, t))
        .collect();
    let v = value(100);
    let full = |t: usize, i: u64| {
        writers[t]
            .set_storage_sync(key(i % 100).as_str(), v.as_str())
            .expect("set");
    };
    let raw = raw_sled(&dir.join("raw"));
    let raw_op = |t: usize, i: u64| {
        // New bytes every call: sled skips an insert of the value a key already holds.
        let mut bytes = v.clone().into_bytes();
        bytes[..8].copy_from_slice(&i.to_be_bytes());
        raw.insert(format!("writer-{t}/{}", key(i % 100)), bytes)
            .expect("insert");
        raw.flush().expect("flush");
    };
    // A connection per writer (a connection is used by one thread at a time).
    let lite: Vec<Mutex<Sqlite>> = (0..THREADS[THREADS.len() - 1])
        .map(|_| Mutex::new(Sqlite::open(&dir.join("full.sqlite"), Durability::Durable)))
        .collect();
    let lite_op = |t: usize, i: u64| {
        let key = format!("writer-{t}/{}", key(i % 100));
        lite[t].lock().expect("connection").set(&key, v.as_bytes());
    };
    // Every store in the same rounds, so their scaling is compared under the same load.
    let mut raw_rates = vec![Vec::new(); THREADS.len()];
    let mut lite_rates = vec![Vec::new(); THREADS.len()];
    let mut task_rates = vec![Vec::new(); THREADS.len()];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let rates = rotate(ctx.rounds, &THREADS, |&threads| {
        let i = THREADS.iter().position(|&t| t == threads).expect("listed");
        raw_rates[i].push(throughput(threads, &raw_op, ctx.window));
        lite_rates[i].push(throughput(threads, &lite_op, ctx.window));
        task_rates[i].push(task_throughput(
            &runtime,
            &writers[..threads],
            &v,
            ctx.window,
        ));
        throughput(threads, &full, ctx.window)
    });
    let mut rows = rows(&rates, "", Some(Target::AtLeast(5.0)));
    rows.extend(super::concurrency::rows(
        &raw_rates,
        "raw sled insert + flush, ",
        None,
    ));
    rows.extend(super::concurrency::rows(&lite_rates, "SQLite FULL, ", None));
    rows.extend(super::concurrency::rows(
        &task_rates,
        "async wx.setStorage on one thread, ",
        None,
    ));
    let last = THREADS.len() - 1;
    let versus: Vec<f64> = rates[last]
        .iter()
        .zip(&lite_rates[last])
        .map(|(a, b)| a / b)
        .collect();
    rows.push(
        Row::ratio(
            format!("full stack ÷ SQLite FULL, {}", label(THREADS[last])),
            Value::Rate(median(&rates[last])),
            median(&versus),
        )
        .target(Target::AtLeast(2.0)),
    );
    report.sections.push(Section {
        title: "concurrent durable sets (group commit)".into(),
        baseline: format!(
            "Total acknowledged-durable `wx.setStorageSync` calls per second (100 B values), each \
             thread writing its own namespace, over windows of {} ms; ratios to one writer, \
             paired per round. Then the same for raw sled `insert` + `flush` from as many \
             threads, measured in the same rounds (how sled itself scales without \
             transactions), and for SQLite WAL with synchronous=FULL, a connection per thread \
             on one database; then the full stack's async `wx.setStorage` from as many tasks on \
             one thread (each awaits its write before the next; the store's flusher thread \
             waits for the disk); last, the full stack's 8 writers against SQLite's 8.",
            ctx.window.as_millis()
        ),
        rows,
    });
}

fn label(threads: usize) -> String {
    match threads {
        1 => "1 writer".into(),
        n => format!("{n} writers"),
    }
}

fn wx(store: &Mpstore, t: usize) -> Wx {
    store
        .mini_program(format!("writer-{t}"), "bench-app", Scope::App)
        .expect("namespace")
        .wx()
}

/// Calls per second of `threads` threads calling `op(thread, call)` together for `window`.
pub(crate) fn throughput(
    threads: usize,
    op: &(dyn Fn(usize, u64) + Sync),
    window: Duration,
) -> f64 {
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let start = Barrier::new(threads + 1);
    let elapsed = std::thread::scope(|s| {
        for t in 0..threads {
            let (stop, done, start) = (&stop, &done, &start);
            s.spawn(move || {
                start.wait();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    op(t, i);
                    i += 1;
                }
                done.fetch_add(i, Ordering::Relaxed);
            });
        }
        start.wait();
        let t = Instant::now();
        std::thread::sleep(window);
        stop.store(true, Ordering::Relaxed);
        t
    });
    // The writers finish their last call after `stop`; count the time until all have.
    done.load(Ordering::Relaxed) as f64 / elapsed.elapsed().as_secs_f64()
}

/// Calls per second of one task per writer on `runtime`'s one thread, each awaiting
/// `wx.setStorage` in a loop for `window`.
fn task_throughput(
    runtime: &tokio::runtime::Runtime,
    writers: &[Wx],
    v: &str,
    window: Duration,
) -> f64 {
    let start = Instant::now();
    let done: u64 = runtime.block_on(async {
        let tasks: Vec<_> = writers
            .iter()
            .map(|wx| {
                let (wx, v) = (wx.clone(), v.to_owned());
                tokio::spawn(async move {
                    let mut i = 0;
                    while start.elapsed() < window {
                        wx.set_storage(key(i % 100), v.as_str()).await.expect("set");
                        i += 1;
                    }
                    i
                })
            })
            .collect();
        let mut done = 0;
        for task in tasks {
            done += task.await.expect("a writer task");
        }
        done
    });
    done as f64 / start.elapsed().as_secs_f64()
}

/// Rows of rates per thread count: ratios to one thread, paired per round; `target` on 8.
fn rows(rates: &[Vec<f64>], prefix: &str, target: Option<Target>) -> Vec<Row> {
    let mut rows = vec![Row::plain(
        format!("{prefix}{}", label(1)),
        Value::Rate(median(&rates[0])),
    )];
    for (i, &threads) in THREADS.iter().enumerate().skip(1) {
        let ratios: Vec<f64> = rates[i].iter().zip(&rates[0]).map(|(a, b)| a / b).collect();
        let row = Row::ratio(
            format!("{prefix}{}", label(threads)),
            Value::Rate(median(&rates[i])),
            median(&ratios),
        );
        rows.push(match target {
            Some(t) if threads == 8 => row.target(t),
            _ => row,
        });
    }
    rows
}
