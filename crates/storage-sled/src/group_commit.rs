//! Group commit: concurrent writers share one flush instead of paying one each.
//!
//! A writer makes its write through [`GroupCommit::commit`], which hands it the next
//! *generation* number once the write is done, then waits in [`GroupCommit::wait_durable`] until
//! a flush that started after its write has finished. The first waiter finding no flush running
//! becomes the leader: it notes the newest generation handed out, flushes (sled's flush covers
//! every write completed before it starts, so every generation up to the noted one), marks
//! everything up to that generation durable and wakes the others. A waiter whose generation a
//! running flush already covers simply waits for it.
//!
//! Writers are never held back while a flush runs (sled's plain inserts and the flush run
//! concurrently): they go on writing, and queue up behind the running flush; when it ends, one of
//! them leads the next flush for all of them. So the slower the flush, the larger the groups. No
//! thread of its own, no timer: it runs on the writers' threads and completes under any
//! executor.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Shared flush state of one store.
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    state: Mutex<State>,
    /// Where writers wait for a flush, by the parity of its number: a writer waits only for the
    /// flush that covers it (the running one, or the next), so the end of a flush wakes the
    /// writers it made durable and one leader for the next flush, not every waiting writer.
    done: [Condvar; 2],
    /// The newest generation handed to a writer (outside the lock: every write takes one).
    requested: AtomicU64,
    /// Whether `State::failed` is set: every call checks it, so reads need no lock.
    stopped: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    /// Every generation up to this one is durable.
    durable: u64,
    /// Whether a leader is flushing now.
    flushing: bool,
    /// The number of the running flush, or of the last one.
    flush_no: u64,
    /// The generation the running flush makes durable.
    target: u64,
    /// Set when a flush or a write failed: nothing after it can be promised durable.
    failed: Option<String>,
    /// Flushes run so far (for tests and diagnostics).
    flushes: u64,
}

impl GroupCommit {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock, so a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `write`, and returns its result with the generation to wait for to make it durable.
    ///
    /// The generation is handed out after `write` returns, so a leader that notes generation
    /// `g` before it flushes knows every write numbered up to `g` was complete by then.
    pub(crate) fn commit<T>(&self, write: impl FnOnce() -> T) -> (T, u64) {
        let out = write();
        // SeqCst: a leader's load of `requested` sees every generation handed out before it,
        // each after its write completed.
        let generation = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        (out, generation)
    }

    /// The generation of the newest commit: waiting for it covers every write committed so far.
    pub(crate) fn latest(&self) -> u64 {
        self.requested.load(Ordering::SeqCst)
    }

    /// Waits until `generation` is durable, running `flush` itself if no other writer is. Returns
    /// the flush's error if the flush covering it failed, and that error again on every later
    /// call.
    pub(crate) fn wait_durable(
        &self,
        generation: u64,
        flush: impl Fn() -> Result<(), String>,
    ) -> Result<(), String> {
        let mut s = self.lock();
        loop {
            if let Some(e) = &s.failed {
                return Err(e.clone());
            }
            if s.durable >= generation {
                return Ok(());
            }
            if s.flushing {
                // A waiter whose write ended before the running flush started is covered by
                // it; a later one by the next.
                let covering = if generation <= s.target {
                    s.flush_no
                } else {
                    s.flush_no + 1
                };
                s = self.done[(covering % 2) as usize]
                    .wait(s)
                    .unwrap_or_else(|e| e.into_inner());
                continue;
            }
            s.flushing = true;
            s.flush_no += 1;
            s.target = self.requested.load(Ordering::SeqCst);
            let (no, target) = (s.flush_no, s.target);
            drop(s);
            let result = flush();
            s = self.lock();
            s.flushing = false;
            s.flushes += 1;
            match result {
                Ok(()) => {
                    s.durable = s.durable.max(target);
                    // Everyone this flush covered; and one writer waiting for the next flush,
                    // to lead it (the rest sleep until it ends).
                    self.done[(no % 2) as usize].notify_all();
                    self.done[((no + 1) % 2) as usize].notify_one();
                }
                Err(e) => {
                    s.failed = Some(e);
                    self.stopped.store(true, Ordering::Release);
                    self.wake_all();
                }
            }
        }
    }

    fn wake_all(&self) {
        for waiting in &self.done {
            waiting.notify_all();
        }
    }

    /// Records a failed write outside a flush (sled failing to commit): like a failed flush, it
    /// stops every later call. The first failure is kept.
    pub(crate) fn fail(&self, error: String) {
        let mut s = self.lock();
        s.failed.get_or_insert(error);
        self.stopped.store(true, Ordering::Release);
        self.wake_all();
    }

    /// The error of a failed flush or write, if one failed.
    pub(crate) fn failure(&self) -> Option<String> {
        if !self.stopped.load(Ordering::Acquire) {
            return None;
        }
        self.lock().failed.clone()
    }

    /// How many flushes have run.
    pub(crate) fn flushes(&self) -> u64 {
        self.lock().flushes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{mpsc, Barrier};

    /// A commit that writes nothing, then a wait for it.
    fn write_and_wait(
        gc: &GroupCommit,
        flush: impl Fn() -> Result<(), String>,
    ) -> Result<(), String> {
        let ((), generation) = gc.commit(|| ());
        gc.wait_durable(generation, flush)
    }

    #[test]
    fn a_lone_writer_flushes_once_per_write() {
        let gc = GroupCommit::default();
        let calls = AtomicU64::new(0);
        for n in 1..=3 {
            write_and_wait(&gc, || {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .unwrap();
            assert_eq!(calls.load(Ordering::SeqCst), n);
        }
        assert_eq!(gc.flushes(), 3);
        // Nothing new since: waiting for the latest generation needs no flush.
        gc.wait_durable(gc.latest(), || panic!("needless flush"))
            .unwrap();
    }

    /// A flush held open until the test releases it.
    struct Gate {
        started: (mpsc::Sender<()>, Mutex<mpsc::Receiver<()>>),
        release: (mpsc::Sender<()>, Mutex<mpsc::Receiver<()>>),
    }

    impl Gate {
        fn new() -> Self {
            let channel = || {
                let (tx, rx) = mpsc::channel();
                (tx, Mutex::new(rx))
            };
            Gate {
                started: channel(),
                release: channel(),
            }
        }

        /// The flush: says it has started, then waits to be released.
        fn hold(&self) -> Result<(), String> {
            self.started.0.send(()).unwrap();
            self.release.1.lock().unwrap().recv().unwrap();
            Ok(())
        }

        /// Returns once a flush is inside [`Gate::hold`].
        fn wait_held(&self) {
            self.started.1.lock().unwrap().recv().unwrap();
        }

        fn release(&self) {
            self.release.0.send(()).unwrap();
        }
    }

    /// Writers that commit while a leader's flush is held open, and then all wait, are covered
    /// by exactly one more flush.
    #[test]
    fn writers_arriving_during_a_flush_share_the_next_one() {
        const WAITERS: usize = 6;
        let gc = GroupCommit::default();
        let gate = Gate::new();
        let all_committed = Barrier::new(WAITERS);
        std::thread::scope(|s| {
            let leader = s.spawn(|| write_and_wait(&gc, || gate.hold()));
            gate.wait_held(); // the leader is inside its flush
            let waiters: Vec<_> = (0..WAITERS)
                .map(|_| {
                    s.spawn(|| {
                        let ((), generation) = gc.commit(|| ());
                        all_committed.wait();
                        gc.wait_durable(generation, || Ok(()))
                    })
                })
                .collect();
            gate.release();
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

    /// A writer whose write is already covered by the running flush waits for that flush and
    /// starts none of its own.
    #[test]
    fn a_writer_covered_by_the_running_flush_starts_no_other() {
        let gc = GroupCommit::default();
        let ((), first) = gc.commit(|| ());
        let ((), second) = gc.commit(|| ());
        let gate = Gate::new();
        std::thread::scope(|s| {
            let leader = s.spawn(|| gc.wait_durable(first, || gate.hold()));
            gate.wait_held(); // the leader's flush covers both writes
            let follower = s.spawn(|| gc.wait_durable(second, || panic!("a second flush")));
            gate.release();
            leader.join().unwrap().unwrap();
            follower.join().unwrap().unwrap();
        });
        assert_eq!(gc.flushes(), 1);
    }

    /// A running flush holds no writer back: a write commits while the flush is still held open.
    #[test]
    fn writers_commit_while_a_flush_runs() {
        let gc = GroupCommit::default();
        let gate = Gate::new();
        std::thread::scope(|s| {
            let leader = s.spawn(|| write_and_wait(&gc, || gate.hold()));
            gate.wait_held();
            // On this thread, while the flush is held open: were commits gated by flushes, this
            // would never return (and the test would hang instead of passing).
            let ((), generation) = gc.commit(|| ());
            assert_eq!(generation, 2);
            gate.release();
            leader.join().unwrap().unwrap();
            gc.wait_durable(generation, || Ok(())).unwrap();
        });
        assert_eq!(gc.flushes(), 2);
    }

    #[test]
    fn a_failed_flush_fails_its_writers_and_every_later_one() {
        let gc = GroupCommit::default();
        assert_eq!(
            write_and_wait(&gc, || Err("disk full".into())),
            Err("disk full".into())
        );
        assert_eq!(write_and_wait(&gc, || Ok(())), Err("disk full".into()));
        assert_eq!(gc.failure(), Some("disk full".into()));
        assert_eq!(gc.flushes(), 1, "no flush runs once one has failed");
    }

    #[test]
    fn a_failed_write_stops_later_ones() {
        let gc = GroupCommit::default();
        gc.fail("commit failed".into());
        gc.fail("a later failure".into());
        assert_eq!(write_and_wait(&gc, || Ok(())), Err("commit failed".into()));
    }
}
