//! The `*Sync` path: `block_on` needs no runtime and does not panic inside one.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use storage_core::{block_on, JsValue, MemoryBackend, Namespace, Policy, Scope, Store};

fn round_trip(store: &Store<MemoryBackend>) {
    let ns = Namespace::local("u", "a", Scope::App).unwrap();
    block_on(store.set(&ns, &Policy::WX, "k", &JsValue::from(1), Default::default())).unwrap();
    assert_eq!(
        block_on(store.get(&ns, "k", false)).unwrap(),
        Some(JsValue::from(1))
    );
}

#[test]
fn works_without_a_runtime() {
    round_trip(&Store::new(MemoryBackend::new()));
}

#[test]
fn works_inside_a_multi_thread_runtime() {
    let rt = tokio::runtime::Builder::new_multi_thread().build().unwrap();
    rt.block_on(async { round_trip(&Store::new(MemoryBackend::new())) });
}

#[test]
fn works_inside_a_current_thread_runtime() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async { round_trip(&Store::new(MemoryBackend::new())) });
}

/// Pending until `ready` is set, handing its waker to `wakers` each time it is polled early.
struct Flag<'a> {
    ready: &'a AtomicBool,
    wakers: &'a Mutex<Vec<Waker>>,
}

impl Future for Flag<'_> {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if self.ready.load(Ordering::SeqCst) {
            return Poll::Ready(7);
        }
        self.wakers.lock().unwrap().push(cx.waker().clone());
        Poll::Pending
    }
}

#[test]
fn block_on_waits_for_a_wake_from_another_thread() {
    let (ready, wakers) = (AtomicBool::new(false), Mutex::new(Vec::<Waker>::new()));
    std::thread::scope(|s| {
        s.spawn(|| loop {
            if let Some(waker) = wakers.lock().unwrap().pop() {
                ready.store(true, Ordering::SeqCst);
                break waker.wake();
            }
            std::thread::yield_now();
        });
        assert_eq!(
            block_on(Flag {
                ready: &ready,
                wakers: &wakers
            }),
            7
        );
    });
}

/// Pending once (waking itself), then ready.
struct PendOnce(bool);

impl Future for PendOnce {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if std::mem::replace(&mut self.0, true) {
            return Poll::Ready(1);
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// On its first poll: wakes itself, then blocks on a [`PendOnce`] (whose wait must not swallow
/// that wake, or this hangs), and is pending; ready on the next poll.
struct Outer(Option<u32>);

impl Future for Outer {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if let Some(inner) = self.0 {
            return Poll::Ready(inner + 1);
        }
        cx.waker().wake_by_ref();
        self.0 = Some(block_on(PendOnce(false)));
        Poll::Pending
    }
}

#[test]
fn block_on_nested_inside_a_future_loses_no_wake() {
    assert_eq!(block_on(Outer(None)), 2);
    assert_eq!(block_on(PendOnce(false)), 1);
}

#[test]
fn a_late_wake_from_an_earlier_call_does_no_harm() {
    let (ready, wakers) = (AtomicBool::new(false), Mutex::new(Vec::<Waker>::new()));
    let mut first = Box::pin(Flag {
        ready: &ready,
        wakers: &wakers,
    });
    ready.store(true, Ordering::SeqCst);
    assert_eq!(block_on(first.as_mut()), 7);
    // A waker kept from a poll of an earlier call fires now, between calls.
    let late = {
        let (r, w) = (AtomicBool::new(false), Mutex::new(Vec::<Waker>::new()));
        block_on(async {
            let mut f = pin!(Flag {
                ready: &r,
                wakers: &w
            });
            assert!(poll_once(f.as_mut()).await.is_none());
        });
        w.into_inner().unwrap().pop().expect("a kept waker")
    };
    late.wake();
    assert_eq!(block_on(async { 3 }), 3);
}

/// Polls `f` once: its output, or `None` if it was pending.
async fn poll_once<F: Future + Unpin>(mut f: F) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        Poll::Ready(match Pin::new(&mut f).poll(cx) {
            Poll::Ready(v) => Some(v),
            Poll::Pending => None,
        })
    })
    .await
}
