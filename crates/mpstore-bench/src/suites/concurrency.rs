//! Concurrent durable sets from 1, 2, 4 and 8 threads: group commit shares one fsync among the
//! writers waiting for it, so throughput should grow with the number of writers.

use super::Ctx;
use crate::harness::{median, rotate};
use crate::peers::{full_stack, key, value};
use crate::report::{Report, Row, Section, Target, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::Instant;
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
    let rates = rotate(ctx.rounds, &THREADS, |&threads| {
        throughput(&writers[..threads], &v, ctx.window)
    });
    let mut rows = vec![Row::plain(label(1), Value::Rate(median(&rates[0])))];
    for (i, &threads) in THREADS.iter().enumerate().skip(1) {
        let ratios: Vec<f64> = rates[i].iter().zip(&rates[0]).map(|(a, b)| a / b).collect();
        let row = Row::ratio(
            label(threads),
            Value::Rate(median(&rates[i])),
            median(&ratios),
        );
        rows.push(if threads == 8 {
            row.target(Target::AtLeast(3.0))
        } else {
            row
        });
    }
    report.sections.push(Section {
        title: "concurrent durable sets (group commit)".into(),
        baseline: format!(
            "Total acknowledged-durable `wx.setStorageSync` calls per second (100 B values), each \
             thread writing its own namespace, over windows of {} ms; ratios to one writer, \
             paired per round.",
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

/// Calls per second of `writers` writing together for `window`.
fn throughput(writers: &[Wx], v: &str, window: std::time::Duration) -> f64 {
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let start = Barrier::new(writers.len() + 1);
    let elapsed = std::thread::scope(|s| {
        for wx in writers {
            let (stop, done, start) = (&stop, &done, &start);
            s.spawn(move || {
                start.wait();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    wx.set_storage_sync(key(i % 100).as_str(), v).expect("set");
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
