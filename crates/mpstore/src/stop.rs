//! Stopping on a signal: SIGTERM, SIGINT and SIGHUP flush the open store before the process
//! exits (with 128 + the signal's number), so a buffered bridge keeps every write it
//! acknowledged. A second signal while the flush runs waits for it.

use std::sync::Mutex;
use storage_api::Mpstore;

/// The store a stop signal flushes: the one the command opened.
static OPEN: Mutex<Option<Mpstore>> = Mutex::new(None);

/// Blocks the stop signals in this thread, and so in every thread it starts later (sled's
/// included), and starts the one thread that waits for them. Call it first in `main`.
pub fn install() {
    #[cfg(unix)]
    // SAFETY: the set is initialised by sigemptyset before use; pthread_sigmask only changes
    // this thread's mask, before any other thread exists.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::sigaddset(&mut set, signal);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("mpstore-stop".into())
            .spawn(move || {
                let mut signal = 0;
                // SAFETY: `set` is the initialised set above, moved into this thread.
                while libc::sigwait(&set, &mut signal) != 0 {}
                stop(signal)
            });
        if spawned.is_err() {
            // No waiting thread: let the signals act as they would have.
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}

/// Makes `store` the one a stop signal flushes.
pub fn flush_on_stop(store: &Mpstore) {
    *OPEN.lock().unwrap_or_else(|e| e.into_inner()) = Some(store.clone());
}

/// The command is done with its store: flushes it (a stop signal meanwhile waits for that) and
/// lets it go, so it closes before the process exits.
pub fn done() {
    let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(store) = open.take() {
        if let Err(e) = store.flush() {
            eprintln!("mpstore: the last writes may be lost: {e}");
        }
    }
}

fn stop(signal: i32) -> ! {
    let open = OPEN.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(store) = open {
        if let Err(e) = store.flush() {
            eprintln!("mpstore: stopping on signal {signal}: the last writes may be lost: {e}");
        }
    }
    std::process::exit(128 + signal)
}
