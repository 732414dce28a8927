//! The async door on the default backend: a durable `wx.setStorage(...).await` waits for the
//! disk without holding the executor's thread (storage-sled's flusher thread does the waiting).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use storage_api::Mpstore;
use storage_core::{Backend, Scope};
use storage_sled::{Durability, SledBackend};

/// 100 durable `wx.setStorage` tasks on a current-thread runtime complete and share flushes,
/// and a task beside them keeps running while they wait: were a write to block the runtime's
/// one thread for its flush, that task would never see a write in flight.
#[test]
fn durable_async_writes_wait_for_the_disk_without_blocking_the_runtime() {
    const WRITERS: usize = 100;
    let sled = Arc::new(SledBackend::temporary().unwrap());
    assert_eq!(sled.durability(), Durability::Durable);
    let store = Mpstore::from_arc(Arc::clone(&sled) as Arc<dyn Backend>);
    let wx = store.mini_program("u", "app", Scope::App).unwrap().wx();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let ticks_while_waiting = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let ticker = tokio::spawn({
            let (in_flight, ticks, done) =
                (in_flight.clone(), ticks_while_waiting.clone(), done.clone());
            async move {
                while !done.load(Ordering::SeqCst) {
                    if in_flight.load(Ordering::SeqCst) > 0 {
                        ticks.fetch_add(1, Ordering::SeqCst);
                    }
                    tokio::task::yield_now().await;
                }
            }
        });
        let writers: Vec<_> = (0..WRITERS)
            .map(|i| {
                let (wx, in_flight) = (wx.clone(), in_flight.clone());
                tokio::spawn(async move {
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let stored = wx.set_storage(format!("k{i}"), i as f64).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    stored.unwrap();
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap();
        }
        done.store(true, Ordering::SeqCst);
        ticker.await.unwrap();
    });
    assert!(
        ticks_while_waiting.load(Ordering::SeqCst) > 0,
        "the runtime ran nothing else while writes waited for the disk"
    );
    let flushes = sled.flushes();
    assert!(
        (1..WRITERS as u64).contains(&flushes),
        "{flushes} flushes for {WRITERS} writes"
    );
    for i in 0..WRITERS {
        assert_eq!(
            wx.get_storage_sync(format!("k{i}").as_str()).unwrap(),
            (i as f64).into()
        );
    }
}
