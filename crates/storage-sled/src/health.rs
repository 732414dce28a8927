//! [`Health`]: whether the store may still serve calls.
//!
//! Once sled or the value log failed inside a write or a flush, memory may hold part of a write
//! that the disk does not, so nothing can be promised any more: the store is *stopped*, and
//! refuses every call until it is reopened, which shows exactly what is on disk. Stopping is
//! the one name for that state, whatever failed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use storage_core::{Error, Result};

/// The store's health: running, or stopped with the first cause.
#[derive(Debug, Default)]
pub(crate) struct Health {
    /// Whether `cause` is set: every call checks it, so the check takes no lock.
    stopped: AtomicBool,
    cause: Mutex<Option<String>>,
}

impl Health {
    /// Every call starts here: `Ok` while the store runs, else the refusal naming the cause.
    pub(crate) fn check(&self) -> Result<()> {
        match self.cause() {
            None => Ok(()),
            Some(cause) => Err(Error::Backend(format!(
                "the store stopped after a failed write to disk ({cause}); reopen it to continue \
                 from what is on disk"
            ))),
        }
    }

    /// Stops the store because of `cause` (the first cause is kept), and returns the error for
    /// the call that failed.
    pub(crate) fn stop(&self, cause: String) -> Error {
        let error = Error::Backend(format!(
            "{cause}; the store refuses further calls until it is reopened"
        ));
        self.lock().get_or_insert(cause);
        self.stopped.store(true, Ordering::Release);
        error
    }

    /// Why the store stopped, if it did.
    pub(crate) fn cause(&self) -> Option<String> {
        if !self.stopped.load(Ordering::Acquire) {
            return None;
        }
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // Nothing panics while holding it: a poisoned cause is still the cause.
        self.cause.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_cause_stops_the_store_for_good() {
        let h = Health::default();
        assert!(h.check().is_ok());
        let e = h.stop("disk full".into());
        assert!(e
            .to_string()
            .contains("disk full; the store refuses further calls"));
        h.stop("a later failure".into());
        assert_eq!(h.cause().as_deref(), Some("disk full"));
        let refused = h.check().unwrap_err().to_string();
        assert!(
            refused.contains("stopped after a failed write to disk (disk full)"),
            "{refused}"
        );
    }
}
