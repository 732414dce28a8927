//! Spare byte buffers, kept per thread, for the short-lived vectors a write builds and drops
//! within the call (an [`crate::Op`]'s key and record, and the sealed forms a decorator makes of
//! them): a buffer taken here and given back after the call costs no allocation the next time.
//!
//! Measured on a 100-byte `setStorageSync` through the whole stack: each allocation and free
//! of these vectors cost about as much as copying the bytes into them.
//!
//! What a spare buffer held is not wiped (as freed memory is not): it holds bytes the process
//! already had, until the next write overwrites them. A thread keeps at most
//! [`SPARES`] buffers of at most [`MAX_SPARE`] bytes of capacity each; larger ones are freed.
//!
//! ```
//! let mut key = storage_core::buffers::take(16);
//! key.extend_from_slice(b"city");
//! // ... hand it to a backend inside an `Op`, then, once the call returned:
//! storage_core::buffers::give(key);
//! assert!(storage_core::buffers::take(0).capacity() >= 16);
//! ```

use std::cell::RefCell;

/// How many spare buffers a thread keeps.
pub const SPARES: usize = 8;

/// The largest capacity (in bytes) a spare buffer may have; larger buffers are freed.
pub const MAX_SPARE: usize = 64 * 1024;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer with room for at least `capacity` bytes: a spare one of this thread if there
/// is one, else a new one.
pub fn take(capacity: usize) -> Vec<u8> {
    let spare = SPARE
        .try_with(|spare| spare.try_borrow_mut().ok().and_then(|mut s| s.pop()))
        .ok()
        .flatten();
    match spare {
        Some(mut buf) => {
            buf.reserve(capacity);
            buf
        }
        None => Vec::with_capacity(capacity),
    }
}

/// Gives `buf` back for a later [`take`] on this thread (emptied), or frees it when the thread
/// keeps enough spares or it is larger than [`MAX_SPARE`].
pub fn give(mut buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > MAX_SPARE {
        return;
    }
    buf.clear();
    let _ = SPARE.try_with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut() {
            if spare.len() < SPARES {
                spare.push(buf);
            }
        }
    });
}

/// Gives back the key and value buffers of `ops` (see [`give`]), once the backend they were
/// handed to is done with them.
pub fn give_ops(ops: impl IntoIterator<Item = crate::Op>) {
    for op in ops {
        match op {
            crate::Op::Put { key, value, .. } => {
                give(key);
                give(value);
            }
            crate::Op::Delete { key } => give(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_taken_again_empty() {
        let mut buf = take(100);
        buf.extend_from_slice(b"bytes");
        let at = buf.as_ptr();
        give(buf);
        let again = take(10);
        assert_eq!((again.as_ptr(), again.len()), (at, 0));
        assert!(again.capacity() >= 100);
    }

    #[test]
    fn a_thread_keeps_at_most_its_spares_and_never_a_large_one() {
        for _ in 0..SPARES + 3 {
            give(Vec::with_capacity(8));
        }
        give(Vec::with_capacity(MAX_SPARE + 1));
        let kept: Vec<Vec<u8>> = (0..SPARES + 3).map(|_| take(0)).collect();
        let small = kept.iter().filter(|b| b.capacity() == 8).count();
        assert_eq!(small, SPARES);
        assert!(kept.iter().all(|b| b.capacity() <= MAX_SPARE));
    }

    #[test]
    fn take_always_has_the_room_asked_for() {
        give(Vec::with_capacity(4));
        assert!(take(1000).capacity() >= 1000);
    }
}
