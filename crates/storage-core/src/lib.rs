//! # storage-core
//!
//! The foundation of mpstore: what a mini-program may store ([`JsValue`]), where it lives
//! ([`Namespace`]), the rules each platform applies ([`Policy`], [`CloudPolicy`]), how each
//! platform reports a failure ([`codes`]), the contract every backend keeps ([`Backend`]), the
//! engine that enforces the rules over any backend ([`Store`]), a reference backend
//! ([`MemoryBackend`]), and a decorator that serves hot reads from memory ([`ReadCache`]).
//!
//! This crate does no I/O and needs no async runtime: its futures complete under [`block_on`].
//! With the `testkit` feature it also ships the conformance kit (`testkit`) that every backend
//! runs in one line.
//!
//! ```
//! use storage_core::{block_on, JsObject, JsValue, MemoryBackend, Namespace, Policy, Scope, Store};
//! let store = Store::new(MemoryBackend::new());
//! let ns = Namespace::local("alipay-user", "2021000000000000", Scope::App).unwrap();
//! let city: JsObject = [("cityName", "杭州"), ("adCode", "330100"), ("spell", "hangzhou")]
//!     .into_iter()
//!     .collect();
//! block_on(store.set(&ns, &Policy::MY, "currentCity", &city.clone().into(), Default::default()))
//!     .unwrap();
//! assert_eq!(block_on(store.get(&ns, "currentCity", false)).unwrap(), Some(city.into()));
//! ```

#![warn(missing_docs)]

pub mod backend;
pub mod buffers;
mod closable;
pub mod codes;
pub mod dialect;
pub mod error;
mod memory;
pub mod namespace;
pub mod policy;
mod read_cache;
pub mod server_codes;
mod store;
mod stored_value;
pub mod value;
mod write_gate;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use backend::{Backend, Limits, Listing, Op, ReadPair, StoredValue, Usage};
pub use closable::Closable;
pub use codes::{platform_error, platform_error_in, ApiKind, PlatformError};
pub use dialect::Dialect;
pub use error::{CloudRule, Error, Result};
pub use memory::MemoryBackend;
pub use namespace::{EncodedNamespace, Namespace, NamespaceBytes, Scope};
pub use policy::{CloudPolicy, EntryMeasure, Policy, Unit};
pub use read_cache::ReadCache;
pub use store::{Checked, Entry, NamespaceUsage, SetOptions, StorageInfo, Store};
pub use value::{
    civil_from_days, days_from_civil, JsDate, JsObject, JsString, JsType, JsValue, Size, Values,
};
pub use write_gate::{Closed, Inside, WriteGate};

/// Runs a future to completion on the current thread, with no async runtime.
///
/// This is the `*Sync` path: backends promise their futures complete under it (see
/// [`Backend`]), and it does not panic when called from inside a tokio runtime (it blocks that
/// thread until the future is done).
///
/// Each thread keeps one waker for its calls (a nested call makes its own), so a call whose
/// future is ready at once, as a cached read is, allocates nothing here.
///
/// ```
/// assert_eq!(storage_core::block_on(async { 1 + 1 }), 2);
/// ```
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    waiting::block_on(future)
}

mod waiting {
    use std::cell::Cell;
    use std::future::Future;
    use std::pin::pin;
    use std::sync::{Arc, Condvar, Mutex};
    use std::task::{Context, Poll, Wake, Waker};

    /// Set by a wake, taken by the waiting thread.
    #[derive(Default)]
    struct Signal {
        woken: Mutex<bool>,
        cond: Condvar,
    }

    impl Signal {
        fn wait(&self) {
            let mut woken = self.woken.lock().unwrap_or_else(|e| e.into_inner());
            while !*woken {
                woken = self.cond.wait(woken).unwrap_or_else(|e| e.into_inner());
            }
            *woken = false;
        }
    }

    impl Wake for Signal {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            *self.woken.lock().unwrap_or_else(|e| e.into_inner()) = true;
            self.cond.notify_one();
        }
    }

    thread_local! {
        /// This thread's idle signal and its waker; taken while a call runs, so a nested call
        /// (a future that itself blocks on another) gets a fresh one and no wake is lost.
        static IDLE: Cell<Option<(Arc<Signal>, Waker)>> = const { Cell::new(None) };
    }

    pub(super) fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        let (signal, waker) = IDLE.try_with(Cell::take).ok().flatten().unwrap_or_else(|| {
            let signal = Arc::new(Signal::default());
            let waker = Waker::from(signal.clone());
            (signal, waker)
        });
        let mut cx = Context::from_waker(&waker);
        let output = loop {
            match future.as_mut().poll(&mut cx) {
                Poll::Ready(output) => break output,
                Poll::Pending => signal.wait(),
            }
        };
        // A wake that comes later (a clone of the waker kept somewhere) at worst makes a later
        // call poll once more than needed.
        let _ = IDLE.try_with(|idle| idle.set(Some((signal, waker))));
        output
    }
}

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
