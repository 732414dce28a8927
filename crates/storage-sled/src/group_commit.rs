//! Group commit: concurrent writers share one flush instead of paying one each.
//!
//! A writer makes its write through [`GroupCommit::commit`], which hands it the next
//! *generation* number once the write is done, then waits until a flush that started after its
//! write has finished: on its own thread ([`GroupCommit::wait_durable`]), or as a future
//! ([`GroupCommit::poll_durable`]) whose waker the end of that flush wakes. A thread that waits
//! and finds no flush running becomes the leader: it notes the newest generation handed out,
//! flushes (sled's flush covers every write completed before it starts, so every generation up
//! to the noted one), marks everything up to that generation durable and wakes the others. A
//! waiter whose generation a running flush already covers simply waits for it. A future never
//! leads: the store's flusher thread leads for it (see `crate::disk`).
//!
//! Writers are never held back while a flush runs (sled's plain inserts and the flush run
//! concurrently): they go on writing, and queue up behind the running flush; when it ends, one of
//! them leads the next flush for all of them. So the slower the flush, the larger the groups.
//!
//! **Gathering.** The writers a flush wakes come back one by one, and the first to wait would
//! otherwise lead a flush for itself alone, leaving the rest to the next one (groups then
//! alternate, one small, one large). So when the last flush covered several writes, its next
//! leader first gives the others a moment to commit theirs: until as many writes as the last
//! flush covered are waiting, or half the last flush's time has passed. A lone writer never
//! waits: its last flush covered one write.

use crate::health::Health;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// The longest a leader gathers writers, whatever the last flush took.
const MAX_GATHER: Duration = Duration::from_millis(10);

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
    /// Flushes run so far (for tests and diagnostics).
    flushes: u64,
    /// How many writes the last flush covered, and how long it took (see the module docs).
    last_group: u64,
    last_took: Duration,
    /// Futures waiting for their generation to be durable.
    waiting: Vec<(u64, Waker)>,
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

    /// Waits on this thread until `generation` is durable, running `flush` itself if no other
    /// writer is. A failed flush stops the store (`health`); then this and every later wait
    /// returns the cause.
    pub(crate) fn wait_durable(
        &self,
        generation: u64,
        health: &Health,
        flush: impl Fn() -> Result<(), String>,
    ) -> Result<(), String> {
        let mut s = self.lock();
        loop {
            if let Some(cause) = health.cause() {
                return Err(cause);
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
            if s.last_group > 1 {
                // Writers arriving meanwhile wait for this flush, and look again after it.
                s.target = u64::MAX;
                let (expected, budget) = (s.durable + s.last_group, s.last_took / 2);
                drop(s);
                self.gather(expected, budget.min(MAX_GATHER));
                s = self.lock();
            }
            s.target = self.requested.load(Ordering::SeqCst);
            let (no, target, before) = (s.flush_no, s.target, s.durable);
            drop(s);
            let started = Instant::now();
            let result = flush();
            let took = started.elapsed();
            if let Err(cause) = &result {
                // Before the lock: a future that registers after the wake-up below sees it.
                health.stop(cause.clone());
            }
            s = self.lock();
            s.flushing = false;
            s.flushes += 1;
            s.last_group = target.saturating_sub(before);
            s.last_took = took;
            let woken = match result {
                Ok(()) => {
                    s.durable = s.durable.max(target);
                    // Everyone this flush covered; and one writer waiting for the next flush,
                    // to lead it (the rest sleep until it ends).
                    self.done[(no % 2) as usize].notify_all();
                    self.done[((no + 1) % 2) as usize].notify_one();
                    take_covered(&mut s.waiting, target)
                }
                Err(_) => {
                    for waiting in &self.done {
                        waiting.notify_all();
                    }
                    std::mem::take(&mut s.waiting)
                        .into_iter()
                        .map(|(_, w)| w)
                        .collect()
                }
            };
            drop(s);
            woken.into_iter().for_each(Waker::wake);
            s = self.lock();
        }
    }

    /// Lets other writers run until `expected` generations were handed out or `budget` passed.
    fn gather(&self, expected: u64, budget: Duration) {
        let deadline = Instant::now() + budget;
        while self.requested.load(Ordering::SeqCst) < expected && Instant::now() < deadline {
            std::thread::yield_now();
        }
    }

    /// Whether `generation` is durable yet, for a future: `Pending` registers `cx`'s waker,
    /// which the flush that covers `generation` (or a failure) wakes. Someone must run that
    /// flush: the caller asks the store's flusher thread.
    pub(crate) fn poll_durable(
        &self,
        generation: u64,
        health: &Health,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), String>> {
        let mut s = self.lock();
        if let Some(cause) = health.cause() {
            return Poll::Ready(Err(cause));
        }
        if s.durable >= generation {
            return Poll::Ready(Ok(()));
        }
        match s
            .waiting
            .iter_mut()
            .find(|(g, w)| *g == generation && w.will_wake(cx.waker()))
        {
            Some(_) => {}
            None => s.waiting.push((generation, cx.waker().clone())),
        }
        Poll::Pending
    }

    /// Whether every generation up to `generation` is durable.
    pub(crate) fn is_durable(&self, generation: u64) -> bool {
        self.lock().durable >= generation
    }

    /// Wakes every waiting future (the store stopped: each finds out when it polls).
    pub(crate) fn wake_all(&self) {
        let woken = std::mem::take(&mut self.lock().waiting);
        woken.into_iter().for_each(|(_, w)| w.wake());
    }

    /// How many flushes have run.
    pub(crate) fn flushes(&self) -> u64 {
        self.lock().flushes
    }
}

/// The wakers of `waiting` whose generation is up to `durable`, taken out of it.
fn take_covered(waiting: &mut Vec<(u64, Waker)>, durable: u64) -> Vec<Waker> {
    let mut woken = Vec::new();
    waiting.retain(|(g, w)| {
        if *g <= durable {
            woken.push(w.clone());
            false
        } else {
            true
        }
    });
    woken
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{mpsc, Barrier};

    /// A commit that writes nothing, then a wait for it, on a store that runs.
    fn write_and_wait(
        gc: &GroupCommit,
        flush: impl Fn() -> Result<(), String>,
    ) -> Result<(), String> {
        write_and_wait_in(gc, &Health::default(), flush)
    }

    fn write_and_wait_in(
        gc: &GroupCommit,
        health: &Health,
        flush: impl Fn() -> Result<(), String>,
    ) -> Result<(), String> {
        let ((), generation) = gc.commit(|| ());
        gc.wait_durable(generation, health, flush)
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
        gc.wait_durable(gc.latest(), &Health::default(), || panic!("needless flush"))
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
                        gc.wait_durable(generation, &Health::default(), || Ok(()))
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

    /// After a flush that covered three writes, the next leader waits for two more writers
    /// arriving a little after it, so one flush covers all three again; without gathering it
    /// would flush its own write alone and the other two would need a third flush.
    #[test]
    fn a_leader_gathers_as_many_writers_as_the_last_flush_covered() {
        let gc = GroupCommit::default();
        let health = Health::default();
        for _ in 0..3 {
            gc.commit(|| ());
        }
        let slow = || {
            std::thread::sleep(Duration::from_millis(200));
            Ok(())
        };
        gc.wait_durable(3, &health, slow).unwrap();
        std::thread::scope(|s| {
            let leader = s.spawn(|| write_and_wait(&gc, || Ok(())));
            std::thread::sleep(Duration::from_millis(5));
            let late: Vec<_> = (0..2)
                .map(|_| s.spawn(|| write_and_wait(&gc, || Ok(()))))
                .collect();
            leader.join().unwrap().unwrap();
            late.into_iter().for_each(|w| w.join().unwrap().unwrap());
        });
        assert_eq!(
            gc.flushes(),
            2,
            "one flush of three, then one of the next three"
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
            let leader = s.spawn(|| gc.wait_durable(first, &Health::default(), || gate.hold()));
            gate.wait_held(); // the leader's flush covers both writes
            let follower = s
                .spawn(|| gc.wait_durable(second, &Health::default(), || panic!("a second flush")));
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
            gc.wait_durable(generation, &Health::default(), || Ok(()))
                .unwrap();
        });
        assert_eq!(gc.flushes(), 2);
    }

    #[test]
    fn a_failed_flush_stops_the_store_for_its_writers_and_every_later_one() {
        let gc = GroupCommit::default();
        let health = Health::default();
        assert_eq!(
            write_and_wait_in(&gc, &health, || Err("disk full".into())),
            Err("disk full".into())
        );
        assert_eq!(
            write_and_wait_in(&gc, &health, || Ok(())),
            Err("disk full".into())
        );
        assert_eq!(health.cause(), Some("disk full".into()));
        assert_eq!(gc.flushes(), 1, "no flush runs once one has failed");
    }

    #[test]
    fn a_stopped_store_starts_no_flush() {
        let gc = GroupCommit::default();
        let health = Health::default();
        health.stop("commit failed".into());
        assert_eq!(
            write_and_wait_in(&gc, &health, || panic!("a flush")),
            Err("commit failed".into())
        );
    }

    /// A waker that counts its wakes.
    struct Count(AtomicU64);

    impl std::task::Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_future_is_woken_by_the_flush_that_covers_it_and_not_before() {
        let gc = GroupCommit::default();
        let health = Health::default();
        let count = std::sync::Arc::new(Count(AtomicU64::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let ((), first) = gc.commit(|| ());
        assert!(gc.poll_durable(first, &health, &mut cx).is_pending());
        assert!(
            gc.poll_durable(first, &health, &mut cx).is_pending(),
            "polled twice"
        );
        gc.wait_durable(first, &health, || Ok(())).unwrap();
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "woken once");
        assert!(gc.poll_durable(first, &health, &mut cx).is_ready());
        // A later generation is not covered by a flush that noted an earlier one.
        let ((), second) = gc.commit(|| ());
        assert!(gc.poll_durable(second, &health, &mut cx).is_pending());
        health.stop("disk full".into());
        gc.wake_all();
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        assert_eq!(
            gc.poll_durable(second, &health, &mut cx),
            Poll::Ready(Err("disk full".into()))
        );
    }
}
