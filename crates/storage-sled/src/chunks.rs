//! Values stored in chunks (format 3, see `crate::layout`): reading a chunked value back whole,
//! and staging the batch that replaces an entry (removing its old chunks). Format 4 writes large
//! values to the value log instead; only tests still write chunks here (as a format 3 build did,
//! to check that such values are read and replaced exactly).
//!
//! Atomicity: an entry's record, its new chunks and the removal of the chunks its old value had
//! beyond the new count all go in one `apply_batch`, so a crash leaves the old value or the new
//! one, never a mix. Consistency of reads: a chunked value is read with one sled `get` per chunk,
//! which a concurrent overwrite could interleave with; the caller reads it under the namespace's
//! stripe lock, which every write of the namespace holds while it writes (not while it waits for
//! its flush), so the record and its chunks are read at one instant.

use crate::layout::{chunk_count, chunk_key, EntryRecord, Header, Stored};
use storage_core::{Error, Result};

/// Adds to `batch` the writes that replace the entry `ekey`, whose stored value has
/// `old_chunks` chunks (0: inline or absent; of whatever size), by `new` (`(seq, charge,
/// value)`; `None` removes it), a value above `chunk` bytes going in chunks of `chunk` bytes.
/// Returns the new entry's header (`None` if removed).
///
/// Chunk keys are numbered from 0 whatever their size, so removing the numbers from the new
/// count up to `old_chunks` leaves exactly the new value's chunks.
pub(crate) fn stage(
    batch: &mut sled::Batch,
    ekey: &[u8],
    old_chunks: u32,
    new: Option<(u64, u64, &[u8])>,
    chunk: usize,
) -> Result<Option<Header>> {
    let header = match new {
        Some((seq, charge, value)) => {
            let chunks = chunk_count(value.len(), chunk)?;
            if chunks == 0 {
                batch.insert(ekey, EntryRecord::encode(seq, charge, value));
            } else {
                let record = EntryRecord::encode_chunked(seq, charge, value.len() as u64, chunks);
                batch.insert(ekey, record);
                for (i, bytes) in (0..chunks).zip(value.chunks(chunk)) {
                    batch.insert(chunk_key(ekey, i), bytes);
                }
            }
            Some(Header {
                seq,
                charge,
                chunks,
                logged: None,
            })
        }
        None => {
            batch.remove(ekey);
            None
        }
    };
    let kept = header.map_or(0, |h| h.chunks);
    for i in kept..old_chunks {
        batch.remove(chunk_key(ekey, i));
    }
    Ok(header)
}

/// The value of the entry `ekey` whose stored record is `record`: inline, or read from its
/// chunks. The caller holds the namespace's stripe lock if the value is chunked (see the module
/// docs).
///
/// The reader does not assume the chunk size of the build that wrote the value (it depends on
/// the store's segment size and has changed between builds): the first chunk's length is the
/// size, every chunk but the last must have it, the last must hold the rest (1 to that size
/// bytes), and so the record's chunk count must be exactly what its length takes at that size.
/// A missing chunk, or any length that breaks these rules, is [`Error::Corrupt`].
pub(crate) fn read_value(
    entries: &sled::Tree,
    ekey: &[u8],
    record: &[u8],
    sled_error: impl Fn(sled::Error) -> Error,
) -> Result<Vec<u8>> {
    let (len, chunks) = match EntryRecord::decode(record)?.2 {
        Stored::Inline(value) => return Ok(value.to_vec()),
        Stored::Chunked { len, chunks } => (len, chunks),
        Stored::Logged(_) => {
            return Err(Error::Corrupt(
                "a value log record where a chunked one was read".into(),
            ))
        }
    };
    let read = |i: u32| match entries.get(chunk_key(ekey, i)).map_err(&sled_error)? {
        Some(chunk) => Ok(chunk),
        None => Err(Error::Corrupt(format!(
            "chunk {i} of {chunks} of a {len}-byte value is missing"
        ))),
    };
    let first = read(0)?;
    // `decode` checked there are at least two chunks and `len` fits a `usize`.
    let len = len as usize;
    let size = first.len();
    let last = (size > 0)
        .then(|| size.checked_mul(chunks as usize - 1))
        .flatten()
        .and_then(|before_last| len.checked_sub(before_last))
        .filter(|&last| (1..=size).contains(&last))
        .ok_or_else(|| {
            Error::Corrupt(format!(
                "chunk 0 of {chunks} of a {len}-byte value holds {size} bytes: {chunks} chunks \
                 of that size cannot hold the value"
            ))
        })?;
    // Allocate as the chunks arrive beyond a modest start, so a damaged record (a huge count of
    // chunks of a consistent length) cannot ask for a huge buffer up front.
    let mut value = Vec::with_capacity(len.min(64 << 20));
    value.extend_from_slice(&first);
    for i in 1..chunks {
        let want = if i + 1 < chunks { size } else { last };
        let chunk = read(i)?;
        if chunk.len() != want {
            return Err(Error::Corrupt(format!(
                "chunk {i} of {chunks} of a {len}-byte value holds {} bytes, not {want}",
                chunk.len()
            )));
        }
        value.extend_from_slice(&chunk);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use crate::layout::{chunk_count, chunk_key, entry_key, ns_prefix, CHUNK_SPACE};
    use crate::{Durability, SledBackend, SledOptions, FORMAT_FILE, SEGMENT_SIZE_BYTES};
    use std::path::Path;
    use storage_core::{block_on, Backend, Error, Limits, Op};

    /// sled's default log segment size, which stores created before [`SEGMENT_SIZE_BYTES`]
    /// keep.
    const SLED_DEFAULT_SEGMENT: usize = 512 << 10;

    /// A buffered store in its own directory, dropped before the directory.
    struct Store {
        backend: SledBackend,
        dir: tempfile::TempDir,
    }

    impl std::ops::Deref for Store {
        type Target = SledBackend;
        fn deref(&self) -> &SledBackend {
            &self.backend
        }
    }

    impl Store {
        /// A new store whose sled log has segments of `segment_size` bytes: [`SEGMENT_SIZE_BYTES`]
        /// as this build creates them, or another size as an earlier build created them (sled
        /// lays the store out first, then the backend opens it with the size its `conf` says).
        fn with_segments(segment_size: usize) -> Store {
            let dir = tempfile::tempdir().unwrap();
            if segment_size != SEGMENT_SIZE_BYTES {
                std::fs::write(dir.path().join(FORMAT_FILE), "mpstore-sled format 3\n").unwrap();
                let db = sled::Config::new()
                    .path(dir.path())
                    .segment_size(segment_size)
                    .mode(sled::Mode::LowSpace)
                    .open()
                    .unwrap();
                db.flush().unwrap();
                drop(db);
                wait_for_sled_to_let_go(dir.path());
            }
            let backend = open(dir.path());
            Store { backend, dir }
        }

        /// Closes and reopens the store (writing chunks again, as a format 3 build).
        fn reopen(self) -> Store {
            let Store { backend, dir } = self;
            drop(backend);
            Store {
                backend: open(dir.path()),
                dir,
            }
        }

        /// The store, writing chunks of `n` bytes from now on, as a build with that chunk size
        /// would.
        fn writing_chunks_of(self, n: usize) -> Store {
            Store {
                backend: self.backend.with_chunk_size(n),
                dir: self.dir,
            }
        }
    }

    /// Opens the store as a format 3 build would write it: large values in chunks of the size
    /// its segment size gives (format 4 writes them to the value log instead; these tests keep
    /// checking that chunks written by format 3 are read and replaced exactly).
    fn open(path: &Path) -> SledBackend {
        let backend = SledBackend::open_with(
            path,
            SledOptions {
                durability: Durability::Buffered,
                ..SledOptions::default()
            },
        )
        .unwrap();
        let chunk = backend.chunk_size();
        backend.with_chunk_size(chunk)
    }

    /// sled's I/O jobs hold its file lock a moment after its handles are dropped.
    fn wait_for_sled_to_let_go(path: &Path) {
        use std::os::fd::AsRawFd;
        let file = std::fs::File::open(path.join("db")).unwrap();
        // SAFETY: `flock` on a descriptor this function owns for the whole loop.
        while unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            std::thread::yield_now();
        }
        // SAFETY: as above; the lock was taken just now, on this descriptor.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
    }

    /// A store with sled's default 512 KiB segments, so 4096-byte chunks (the tables below are
    /// written for it; `both_stores` gives a store of each segment size).
    fn store() -> Store {
        Store::with_segments(SLED_DEFAULT_SEGMENT)
    }

    /// A store with sled's default 512 KiB segments, and one as this build creates them.
    fn both_stores() -> [Store; 2] {
        [store(), Store::with_segments(SEGMENT_SIZE_BYTES)]
    }

    /// A value of `len` bytes no other length produces.
    fn value(len: usize, tag: u8) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8 ^ tag).collect()
    }

    fn put(key: &str, len: usize, tag: u8) -> Op {
        Op::Put {
            key: key.into(),
            value: value(len, tag),
            charge: 1,
        }
    }

    fn del(key: &str) -> Op {
        Op::Delete { key: key.into() }
    }

    /// Every chunk key in the raw tree, in order.
    fn chunk_keys(s: &SledBackend) -> Vec<Vec<u8>> {
        s.raw_entries()
            .scan_prefix(CHUNK_SPACE)
            .keys()
            .map(|k| k.unwrap().to_vec())
            .collect()
    }

    /// The chunk keys an entry of `ns` under `key` whose value has `n` chunks owns.
    fn owned(ns: &[u8], key: &str, n: u32) -> Vec<Vec<u8>> {
        let ekey = entry_key(&ns_prefix(ns).unwrap(), key.as_bytes());
        (0..n).map(|i| chunk_key(&ekey, i)).collect()
    }

    #[test]
    fn the_chunk_size_follows_the_segment_size() {
        // (segment size, chunk size)
        let cases = [
            (SLED_DEFAULT_SEGMENT, 4096),
            (SEGMENT_SIZE_BYTES, 4096),
            (1 << 30, 4096),
            (256 << 10, 2048),
            (64 << 10, 512),
            (0, 512),
        ];
        for (segments, chunk) in cases {
            assert_eq!(crate::layout::chunk_size(segments), chunk, "{segments}");
        }
        for (store, chunk) in both_stores().iter().zip([4096, BIG_CHUNK]) {
            assert_eq!(store.chunk_size(), chunk);
        }
    }

    /// The chunk size of stores with [`SEGMENT_SIZE_BYTES`] segments.
    const BIG_CHUNK: usize = 4096;

    #[test]
    fn values_around_the_threshold_read_back_with_exactly_their_chunks() {
        // (value length, chunks stored), the same for both segment sizes
        let cases = [
            (0, 0),
            (1, 0),
            (4095, 0),
            (4096, 0),
            (4097, 2),
            (8191, 2),
            (8192, 2),
            (8193, 3),
            (100 << 10, 25),
            ((100 << 10) + 50, 26),
            (1 << 20, 256),
            ((1 << 20) + 1, 257),
        ];
        for (len, chunks) in cases {
            for store in both_stores() {
                let chunk = store.chunk_size();
                block_on(store.apply(b"ns", &[put("k", len, 7)], Limits::NONE)).unwrap();
                let got = block_on(store.get(b"ns", b"k")).unwrap();
                assert_eq!(got, Some(value(len, 7)), "{len} in chunks of {chunk}");
                let owns = owned(b"ns", "k", chunks);
                assert_eq!(chunk_keys(&store), owns, "{len} in chunks of {chunk}");
                let record = store.raw_entries().get(b"\0\0\0\x02nsk").unwrap().unwrap();
                assert!(
                    record.len() <= 16 + chunk,
                    "{len}: a record of {}",
                    record.len()
                );
            }
        }
    }

    #[test]
    fn overwrites_and_deletes_leave_exactly_the_last_values_chunks() {
        // (ops applied together, then the length "k" holds or None, and "j")
        type Case = (Vec<Op>, Option<usize>, Option<usize>);
        let cases: Vec<Case> = vec![
            (vec![put("k", 100 << 10, 1)], Some(100 << 10), None),
            // Fewer chunks, then more, then inline, then chunked again.
            (vec![put("k", 8193, 2)], Some(8193), None),
            (vec![put("k", 50_000, 3)], Some(50_000), None),
            (vec![put("k", 4096, 4)], Some(4096), None),
            (vec![put("k", 4097, 5)], Some(4097), None),
            (vec![del("k")], None, None),
            (vec![del("k")], None, None),
            // Batches: the last op on a key wins, with its chunks and no others.
            (
                vec![put("k", 30_000, 6), put("j", 9000, 7)],
                Some(30_000),
                Some(9000),
            ),
            (
                vec![put("k", 5000, 8), put("k", 20_000, 9)],
                Some(20_000),
                Some(9000),
            ),
            (
                vec![put("k", 90_000, 10), put("k", 10, 11)],
                Some(10),
                Some(9000),
            ),
            (
                vec![put("k", 90_000, 12), del("k"), put("j", 4097, 13)],
                None,
                Some(4097),
            ),
            (vec![put("k", 12_000, 14), del("j")], Some(12_000), None),
            (vec![del("k"), put("k", 4500, 15)], Some(4500), None),
        ];
        let s = store();
        let mut tags = (0u8, 0u8);
        for (step, (ops, k, j)) in cases.into_iter().enumerate() {
            for op in &ops {
                if let Op::Put { key, value, .. } = op {
                    let tag = value.get(1).map_or(0, |b| b ^ 1);
                    if key == b"k" {
                        tags.0 = tag
                    } else {
                        tags.1 = tag
                    }
                }
            }
            block_on(s.apply(b"ns", &ops, Limits::NONE)).unwrap();
            let mut expected_chunks = Vec::new();
            for (key, len, tag) in [("j", j, tags.1), ("k", k, tags.0)] {
                let got = block_on(s.get(b"ns", key.as_bytes())).unwrap();
                assert_eq!(got, len.map(|len| value(len, tag)), "step {step}: {key}");
                let n = len.map_or(0, |len| {
                    crate::layout::chunk_count(len, s.chunk_size()).unwrap()
                });
                expected_chunks.extend(owned(b"ns", key, n));
            }
            assert_eq!(chunk_keys(&s), expected_chunks, "step {step}");
        }
    }

    #[test]
    fn clearing_or_dropping_removes_the_namespaces_chunks_and_no_others() {
        for drop_it in [false, true] {
            let s = store();
            // "a" is a byte prefix of "ab": their chunk ranges must not overlap either.
            for ns in [&b"a"[..], b"ab", b""] {
                let ops = [put("x", 9000, 1), put("y", 100, 2), put("z", 4097, 3)];
                block_on(s.apply(ns, &ops, Limits::NONE)).unwrap();
            }
            if drop_it {
                block_on(s.drop_namespace(b"a")).unwrap();
            } else {
                block_on(s.clear(b"a")).unwrap();
            }
            let mut expected = Vec::new();
            for ns in [&b""[..], b"ab"] {
                expected.extend(owned(ns, "x", 3));
                expected.extend(owned(ns, "z", 2));
            }
            expected.sort();
            assert_eq!(chunk_keys(&s), expected);
            assert_eq!(block_on(s.get(b"a", b"x")).unwrap(), None);
            assert_eq!(block_on(s.get(b"ab", b"x")).unwrap(), Some(value(9000, 1)));
            let names: Vec<Vec<u8>> = block_on(s.namespaces())
                .unwrap()
                .into_iter()
                .map(|(ns, _)| ns)
                .collect();
            assert_eq!(names, [b"".to_vec(), b"ab".to_vec()]);
        }
    }

    #[test]
    fn missing_or_damaged_chunks_are_corrupt_and_clearing_removes_them() {
        let ekey = entry_key(&ns_prefix(b"ns").unwrap(), b"k");
        // (what is done to the stored chunks of a value of 3 chunks of `c` bytes, the last one
        // holding c / 4 + 1 bytes)
        type Damage = fn(&sled::Tree, &[u8], usize);
        let damage: [(&str, Damage); 8] = [
            ("first missing", |t, e, _| {
                drop(t.remove(chunk_key(e, 0)).unwrap())
            }),
            ("last missing", |t, e, _| {
                drop(t.remove(chunk_key(e, 2)).unwrap())
            }),
            ("middle cut short", |t, e, _| {
                drop(t.insert(chunk_key(e, 1), vec![0; 100]).unwrap())
            }),
            ("last too long", |t, e, c| {
                drop(t.insert(chunk_key(e, 2), vec![0; c]).unwrap())
            }),
            ("last empty", |t, e, _| {
                drop(t.insert(chunk_key(e, 2), vec![]).unwrap())
            }),
            ("first empty", |t, e, _| {
                drop(t.insert(chunk_key(e, 0), vec![]).unwrap())
            }),
            // A first chunk of another length implies another chunk size, which the record's
            // length and count (or the other chunks) then contradict.
            ("first cut short", |t, e, _| {
                drop(t.insert(chunk_key(e, 0), vec![0; 100]).unwrap())
            }),
            ("first too long", |t, e, c| {
                drop(t.insert(chunk_key(e, 0), vec![0; c + 1]).unwrap())
            }),
        ];
        for s in both_stores() {
            let c = s.chunk_size();
            let len = 2 * c + c / 4 + 1;
            for (what, damage) in damage {
                block_on(s.apply(b"ns", &[put("k", len, 1)], Limits::NONE)).unwrap();
                assert_eq!(chunk_keys(&s).len(), 3, "{what}");
                damage(s.raw_entries(), &ekey, c);
                let got = block_on(s.get(b"ns", b"k"));
                assert!(
                    matches!(got, Err(Error::Corrupt(_))),
                    "{what}, {c}: {got:?}"
                );
                // Overwriting replaces every chunk, and clearing removes whatever is left.
                block_on(s.apply(b"ns", &[put("k", len, 2)], Limits::NONE)).unwrap();
                assert_eq!(
                    block_on(s.get(b"ns", b"k")).unwrap(),
                    Some(value(len, 2)),
                    "{what}, {c}"
                );
                damage(s.raw_entries(), &ekey, c);
                block_on(s.clear(b"ns")).unwrap();
                assert_eq!(chunk_keys(&s), Vec::<Vec<u8>>::new(), "{what}, {c}");
                assert_eq!(block_on(s.get(b"ns", b"k")).unwrap(), None, "{what}, {c}");
            }
        }
    }

    #[test]
    fn values_written_in_chunks_of_another_size_read_back_and_are_overwritten_exactly() {
        // (length written by the earlier writer, length written over it by the later one)
        let cases = [
            (100 << 10, 100 << 10),
            (100 << 10, 10),
            (100 << 10, 5000),
            (100 << 10, 300 << 10),
            (5000, 100 << 10),
            (300 << 10, 9000),
            (9000, 0),
        ];
        // (chunk size of the earlier writer, of the later one): a store that an earlier build
        // wrote with 4096-byte chunks under large segments, reopened by this build; and back.
        for (earlier, later) in [
            (4096, BIG_CHUNK),
            (16 << 10, 4096),
            (4096, 1000),
            (1000, 116 << 10),
        ] {
            let mut s = Store::with_segments(SEGMENT_SIZE_BYTES).writing_chunks_of(earlier);
            let keys: Vec<String> = (0..cases.len()).map(|i| format!("k{i}")).collect();
            for (key, (len, _)) in keys.iter().zip(cases) {
                block_on(s.apply(b"ns", &[put(key, len, 1)], Limits::NONE)).unwrap();
            }
            s = s.reopen().writing_chunks_of(later);
            let context = format!("chunks of {earlier} read by a writer of {later}");
            for (key, (len, _)) in keys.iter().zip(cases) {
                let got = block_on(s.get(b"ns", key.as_bytes())).unwrap();
                assert_eq!(got, Some(value(len, 1)), "{context}: {key}");
            }
            let mut expected = Vec::new();
            for (key, (_, len)) in keys.iter().zip(cases) {
                block_on(s.apply(b"ns", &[put(key, len, 2)], Limits::NONE)).unwrap();
                let got = block_on(s.get(b"ns", key.as_bytes())).unwrap();
                assert_eq!(got, Some(value(len, 2)), "{context}: {key}");
                expected.extend(owned(b"ns", key, chunk_count(len, later).unwrap()));
            }
            expected.sort();
            assert_eq!(chunk_keys(&s), expected, "{context}");
            // Insertion order and usage survive the change of size.
            let listing = block_on(s.list(b"ns")).unwrap();
            let listed: Vec<Vec<u8>> = keys.iter().map(|k| k.as_bytes().to_vec()).collect();
            assert_eq!(listing.keys, listed, "{context}");
            assert_eq!(listing.usage.entries, cases.len() as u64, "{context}");
        }
    }

    #[test]
    fn a_damaged_chunked_record_is_corrupt() {
        let s = store();
        block_on(s.apply(b"ns", &[put("k", 9000, 1)], Limits::NONE)).unwrap();
        let ekey = entry_key(&ns_prefix(b"ns").unwrap(), b"k");
        let mut record = s.raw_entries().get(&ekey).unwrap().unwrap().to_vec();
        record.truncate(record.len() - 1);
        s.raw_entries().insert(&ekey, record).unwrap();
        let got = block_on(s.get(b"ns", b"k"));
        assert!(matches!(got, Err(Error::Corrupt(_))), "{got:?}");
        // A write finds the damage when it must read the record: here, as after a reopen, once
        // nothing is known of the key in memory.
        s.known_keys().forget_everything();
        let write = block_on(s.apply(b"ns", &[put("k", 10, 1)], Limits::NONE));
        assert!(matches!(write, Err(Error::Corrupt(_))), "{write:?}");
        block_on(s.clear(b"ns")).unwrap();
        assert_eq!(chunk_keys(&s), Vec::<Vec<u8>>::new());
    }
}
