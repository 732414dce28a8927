//! [`WriteGate`]: writes pass it shared, a host operation that needs a still store (a backup)
//! closes it: no write is then in flight, and new ones wait until it reopens.
//!
//! A write pays one atomic add on the way in and one subtraction on the way out; the lock and
//! the wakers are touched only while the gate is closed.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::{Poll, Waker};

/// The bit of [`WriteGate::state`] set while the gate is closed; the bits below count writes in.
const CLOSED: u64 = 1 << 63;

/// A gate every write of a store passes, which a host operation can close to see the store
/// still. A write pays one atomic add on the way in and one subtraction on the way out; the lock
/// and the wakers are touched only while the gate is closed.
///
/// ```
/// use storage_core::{block_on, WriteGate};
/// let gate = WriteGate::default();
/// let write = gate.enter_blocking();
/// drop(write);
/// let closed = block_on(gate.close());
/// // No write is in flight here, and none starts until `closed` is dropped.
/// drop(closed);
/// ```
#[derive(Debug, Default)]
pub struct WriteGate {
    /// `CLOSED` while closed, plus the writes in (and those backing out of a closed gate).
    state: AtomicU64,
    waiting: Mutex<Waiting>,
    /// Where blocking writers wait for the gate to reopen.
    reopened: Condvar,
}

/// Who waits on the gate.
#[derive(Debug, Default)]
struct Waiting {
    /// Async writers waiting for the gate to reopen.
    writers: Vec<Waker>,
    /// The closer, waiting for the writes in to finish.
    closer: Option<Waker>,
    /// Whether someone holds the gate closed (a second closer waits like a writer).
    held: bool,
}

/// A write inside the gate; dropping it lets the write out.
#[derive(Debug)]
#[must_use = "the write is inside the gate only while this lives"]
pub struct Inside<'a>(&'a WriteGate);

/// The gate, closed with no write in flight; dropping it reopens the gate.
#[derive(Debug)]
#[must_use = "the gate stays closed only while this lives"]
pub struct Closed<'a>(&'a WriteGate);

impl WriteGate {
    fn waiting(&self) -> MutexGuard<'_, Waiting> {
        // Nothing panics while holding the lock, so a poisoned one still holds a valid state.
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn try_enter(&self) -> Option<Inside<'_>> {
        if self.state.fetch_add(1, Ordering::AcqRel) & CLOSED == 0 {
            return Some(Inside(self));
        }
        self.leave();
        None
    }

    fn leave(&self) {
        if self.state.fetch_sub(1, Ordering::AcqRel) == CLOSED | 1 {
            // The last write out of a closed gate: its closer may go on.
            if let Some(closer) = self.waiting().closer.take() {
                closer.wake();
            }
        }
    }

    /// Enters the gate, waiting on this thread while it is closed.
    pub fn enter_blocking(&self) -> Inside<'_> {
        loop {
            if let Some(inside) = self.try_enter() {
                return inside;
            }
            let mut waiting = self.waiting();
            while self.state.load(Ordering::Acquire) & CLOSED != 0 {
                waiting = self
                    .reopened
                    .wait(waiting)
                    .unwrap_or_else(|e| e.into_inner());
            }
        }
    }

    /// Enters the gate; while it is closed, the future waits without holding its thread.
    pub fn enter(&self) -> impl Future<Output = Inside<'_>> + Send + '_ {
        std::future::poll_fn(move |cx| {
            if let Some(inside) = self.try_enter() {
                return Poll::Ready(inside);
            }
            let mut waiting = self.waiting();
            // Reopening clears the bit under this lock, so a waker pushed here is woken.
            if self.state.load(Ordering::Acquire) & CLOSED == 0 {
                cx.waker().wake_by_ref();
            } else {
                waiting.writers.push(cx.waker().clone());
            }
            Poll::Pending
        })
    }

    /// Closes the gate and resolves once no write is in flight; the gate reopens when the
    /// returned value is dropped. A second closer waits for the first to reopen it.
    pub fn close(&self) -> impl Future<Output = Closed<'_>> + Send + '_ {
        // Reopens the gate if the future is dropped before it resolves.
        let mut closing: Option<Closed<'_>> = None;
        std::future::poll_fn(move |cx| {
            let mut waiting = self.waiting();
            if closing.is_none() {
                if waiting.held {
                    waiting.writers.push(cx.waker().clone());
                    return Poll::Pending;
                }
                waiting.held = true;
                self.state.fetch_or(CLOSED, Ordering::AcqRel);
                closing = Some(Closed(self));
            }
            // The last write out takes this lock to wake the closer, so none is missed.
            if self.state.load(Ordering::Acquire) == CLOSED {
                if let Some(closed) = closing.take() {
                    drop(waiting);
                    return Poll::Ready(closed);
                }
            }
            waiting.closer = Some(cx.waker().clone());
            Poll::Pending
        })
    }

    /// Whether the gate is closed now (for tests and diagnostics).
    pub fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & CLOSED != 0
    }

    fn reopen(&self) {
        let mut waiting = self.waiting();
        self.state.fetch_and(!CLOSED, Ordering::AcqRel);
        waiting.held = false;
        waiting.closer = None;
        for writer in waiting.writers.drain(..) {
            writer.wake();
        }
        drop(waiting);
        self.reopened.notify_all();
    }
}

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

impl Drop for Closed<'_> {
    fn drop(&mut self) {
        self.0.reopen();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block_on;
    use std::pin::pin;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use std::task::{Context, Waker};

    fn poll<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn closing_waits_for_the_writes_in_and_holds_new_ones() {
        let gate = WriteGate::default();
        let inside = gate.enter_blocking();
        let mut close = pin!(gate.close());
        assert!(poll(close.as_mut()).is_pending(), "a write is in");
        assert!(
            poll(pin!(gate.enter())).is_pending(),
            "closing holds writes"
        );
        drop(inside);
        let closed = match poll(close.as_mut()) {
            Poll::Ready(closed) => closed,
            Poll::Pending => panic!("no write is in"),
        };
        let mut waiting = pin!(gate.enter());
        assert!(poll(waiting.as_mut()).is_pending());
        drop(closed);
        assert!(poll(waiting.as_mut()).is_ready(), "reopened");
    }

    #[test]
    fn a_close_dropped_before_it_resolves_reopens_the_gate() {
        let gate = WriteGate::default();
        let inside = gate.enter_blocking();
        {
            let mut close = pin!(gate.close());
            assert!(poll(close.as_mut()).is_pending());
            assert!(gate.is_closed());
        }
        assert!(!gate.is_closed());
        drop(inside);
        drop(gate.enter_blocking());
    }

    #[test]
    fn a_blocked_writer_thread_enters_once_the_gate_reopens() {
        let gate = Arc::new(WriteGate::default());
        let closed = block_on(gate.close());
        let entered = Arc::new(AtomicBool::new(false));
        let writer = {
            let (gate, entered) = (gate.clone(), entered.clone());
            std::thread::spawn(move || {
                let _inside = gate.enter_blocking();
                entered.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!entered.load(Ordering::SeqCst), "entered a closed gate");
        drop(closed);
        writer.join().unwrap();
        assert!(entered.load(Ordering::SeqCst));
    }

    #[test]
    fn a_second_closer_waits_for_the_first() {
        let gate = WriteGate::default();
        let first = block_on(gate.close());
        let mut second = pin!(gate.close());
        assert!(poll(second.as_mut()).is_pending());
        drop(first);
        assert!(poll(second.as_mut()).is_ready());
    }
}
