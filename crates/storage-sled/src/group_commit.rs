//! Group commit: concurrent writers share one flush instead of paying one each.
//!
//! A writer that has committed its transaction takes the next *generation* number and waits
//! until a flush that started after its commit has finished. The first waiter finding no flush
//! running becomes the leader: it notes the newest generation handed out, flushes (which covers
//! every write committed before the flush started), then marks everything up to that generation
//! durable and wakes the others. Writers arriving during a flush are covered by the next one, led
//! by whichever of them wakes first. No thread of its own, no timer: it runs on the writers'
//! threads and completes under any executor.

use std::sync::{Condvar, Mutex, MutexGuard};

/// Shared flush state of one store.
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// The newest generation handed to a writer.
    requested: u64,
    /// Every generation up to this one is durable.
    durable: u64,
    /// Whether a leader is flushing now.
    flushing: bool,
    /// Set when a flush failed: nothing after it can be promised durable.
    failed: Option<String>,
    /// Flushes run so far (for tests and diagnostics).
    flushes: u64,
}

impl GroupCommit {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock, so a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until every write this thread committed before the call is durable, running `flush`
    /// itself if no other writer is. Returns the flush's error if the flush covering this write
    /// failed, and that error again on every later call.
    pub(crate) fn wait_durable(
        &self,
        flush: impl Fn() -> Result<(), String>,
    ) -> Result<(), String> {
        let mut s = self.lock();
        s.requested += 1;
        let mine = s.requested;
        loop {
            if let Some(e) = &s.failed {
                return Err(e.clone());
            }
            if s.durable >= mine {
                return Ok(());
            }
            if s.flushing {
                s = self.done.wait(s).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            s.flushing = true;
            let target = s.requested;
            drop(s);
            let result = flush();
            s = self.lock();
            s.flushing = false;
            s.flushes += 1;
            match result {
                Ok(()) => s.durable = s.durable.max(target),
                Err(e) => s.failed = Some(e),
            }
            self.done.notify_all();
        }
    }

    /// Records a failed write outside a flush (sled failing to commit): like a failed flush, it
    /// stops every later call. The first failure is kept.
    pub(crate) fn fail(&self, error: String) {
        let mut s = self.lock();
        s.failed.get_or_insert(error);
        self.done.notify_all();
    }

    /// The error of a failed flush or write, if one failed.
    pub(crate) fn failure(&self) -> Option<String> {
        self.lock().failed.clone()
    }

    /// How many flushes have run.
    pub(crate) fn flushes(&self) -> u64 {
        self.lock().flushes
    }

    /// How many generations writers have taken (for tests: a writer has started waiting).
    #[cfg(test)]
    fn requested(&self) -> u64 {
        self.lock().requested
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::mpsc;

    #[test]
    fn a_lone_writer_flushes_once() {
        let gc = GroupCommit::default();
        let calls = AtomicU64::new(0);
        for n in 1..=3 {
            gc.wait_durable(|| {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .unwrap();
            assert_eq!(calls.load(Ordering::SeqCst), n);
        }
        assert_eq!(gc.flushes(), 3);
    }

    /// While a leader's flush is held open, N more writers arrive; releasing it lets exactly one
    /// more flush cover all N of them.
    #[test]
    fn writers_arriving_during_a_flush_share_the_next_one() {
        const WAITERS: u64 = 6;
        let gc = GroupCommit::default();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let release_rx = Mutex::new(release_rx);
        let flush = || {
            started_tx.send(()).unwrap();
            release_rx.lock().unwrap().recv().unwrap();
            Ok(())
        };
        std::thread::scope(|s| {
            let leader = s.spawn(|| gc.wait_durable(flush));
            started_rx.recv().unwrap(); // the leader is inside its flush
            let waiters: Vec<_> = (0..WAITERS)
                .map(|_| s.spawn(|| gc.wait_durable(flush)))
                .collect();
            // Wait (on a condition, not a clock) until every waiter has taken its generation.
            while gc.requested() < WAITERS + 1 {
                std::thread::yield_now();
            }
            release_tx.send(()).unwrap(); // the leader's flush ends
            started_rx.recv().unwrap(); // one waiter leads the second flush
            release_tx.send(()).unwrap();
            leader.join().unwrap().unwrap();
            for w in waiters {
                w.join().unwrap().unwrap();
            }
        });
        assert_eq!(
            gc.flushes(),
            2,
            "one flush for the leader, one for all the waiters"
        );
    }

    #[test]
    fn a_failed_flush_fails_its_writers_and_every_later_one() {
        let gc = GroupCommit::default();
        assert_eq!(
            gc.wait_durable(|| Err("disk full".into())),
            Err("disk full".into())
        );
        assert_eq!(gc.wait_durable(|| Ok(())), Err("disk full".into()));
        assert_eq!(gc.failure(), Some("disk full".into()));
        assert_eq!(gc.flushes(), 1, "no flush runs once one has failed");
    }
}
