//! Values stored in chunks (format 3, see `crate::layout`): writing an entry with its chunks in
//! one sled batch, and reading a chunked value back whole.
//!
//! Atomicity: an entry's record, its new chunks and the removal of the chunks its old value had
//! beyond the new count all go in one `apply_batch`, so a crash leaves the old value or the new
//! one, never a mix. Consistency of reads: a chunked value is read with one sled `get` per chunk,
//! which a concurrent overwrite could interleave with; the caller reads it under the namespace's
//! stripe lock, which every write of the namespace holds while it writes (not while it waits for
//! its flush), so the record and its chunks are read at one instant.

use crate::layout::{chunk_count, chunk_key, EntryRecord, Header, Stored, CHUNK};
use storage_core::{Error, Result};

/// Adds to `batch` the writes that replace the entry `ekey`, whose stored value has
/// `old_chunks` chunks (0: inline or absent), by `new` (`(seq, charge, value)`; `None` removes
/// it). Returns the new entry's header (`None` if removed).
pub(crate) fn stage(
    batch: &mut sled::Batch,
    ekey: &[u8],
    old_chunks: u32,
    new: Option<(u64, u64, &[u8])>,
) -> Result<Option<Header>> {
    let header = match new {
        Some((seq, charge, value)) => {
            let chunks = chunk_count(value.len())?;
            if chunks == 0 {
                batch.insert(ekey, EntryRecord::encode(seq, charge, value));
            } else {
                let record = EntryRecord::encode_chunked(seq, charge, value.len() as u64, chunks);
                batch.insert(ekey, record);
                for (i, chunk) in (0..chunks).zip(value.chunks(CHUNK)) {
                    batch.insert(chunk_key(ekey, i), chunk);
                }
            }
            Some(Header {
                seq,
                charge,
                chunks,
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
/// docs). A missing chunk, or one of the wrong length, is [`Error::Corrupt`].
pub(crate) fn read_value(
    entries: &sled::Tree,
    ekey: &[u8],
    record: &[u8],
    sled_error: impl Fn(sled::Error) -> Error,
) -> Result<Vec<u8>> {
    let (len, chunks) = match EntryRecord::decode(record)?.2 {
        Stored::Inline(value) => return Ok(value.to_vec()),
        Stored::Chunked { len, chunks } => (len, chunks),
    };
    // `decode` checked that `len` fills exactly `chunks` chunks; allocate as the chunks arrive
    // beyond a modest start, so a damaged record cannot ask for a huge buffer up front.
    let mut value = Vec::with_capacity((len as usize).min(64 << 20));
    for i in 0..chunks {
        let want = if i + 1 < chunks {
            CHUNK
        } else {
            len as usize - CHUNK * (chunks as usize - 1)
        };
        match entries.get(chunk_key(ekey, i)).map_err(&sled_error)? {
            Some(chunk) if chunk.len() == want => value.extend_from_slice(&chunk),
            Some(chunk) => {
                return Err(Error::Corrupt(format!(
                    "chunk {i} of {chunks} of a {len}-byte value holds {} bytes, not {want}",
                    chunk.len()
                )))
            }
            None => {
                return Err(Error::Corrupt(format!(
                    "chunk {i} of {chunks} of a {len}-byte value is missing"
                )))
            }
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use crate::layout::{chunk_key, entry_key, ns_prefix, CHUNK_SPACE};
    use crate::{Durability, SledBackend, SledOptions};
    use storage_core::{block_on, Backend, Error, Limits, Op};

    fn store() -> SledBackend {
        SledBackend::temporary_with(SledOptions {
            durability: Durability::Buffered,
            ..SledOptions::default()
        })
        .unwrap()
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
    fn values_around_the_threshold_read_back_with_exactly_their_chunks() {
        // (value length, chunks stored)
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
        ];
        for (len, chunks) in cases {
            let s = store();
            block_on(s.apply(b"ns", &[put("k", len, 7)], Limits::NONE)).unwrap();
            let got = block_on(s.get(b"ns", b"k")).unwrap();
            assert_eq!(got, Some(value(len, 7)), "{len}");
            assert_eq!(chunk_keys(&s), owned(b"ns", "k", chunks), "{len}");
            let record = s.raw_entries().get(b"\0\0\0\x02nsk").unwrap().unwrap();
            assert!(
                record.len() <= 16 + 4096,
                "{len}: a record of {}",
                record.len()
            );
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
                let n = len.map_or(0, |len| crate::layout::chunk_count(len).unwrap());
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
        // (what is done to the stored chunks of a 3-chunk value)
        type Damage = fn(&sled::Tree, &[u8]);
        let damage: [(&str, Damage); 4] = [
            ("first missing", |t, e| {
                drop(t.remove(chunk_key(e, 0)).unwrap())
            }),
            ("last missing", |t, e| {
                drop(t.remove(chunk_key(e, 2)).unwrap())
            }),
            ("one cut short", |t, e| {
                drop(t.insert(chunk_key(e, 1), vec![0; 100]).unwrap())
            }),
            ("last too long", |t, e| {
                drop(t.insert(chunk_key(e, 2), vec![0; 4096]).unwrap())
            }),
        ];
        for (what, damage) in damage {
            let s = store();
            block_on(s.apply(b"ns", &[put("k", 9000, 1)], Limits::NONE)).unwrap();
            damage(s.raw_entries(), &ekey);
            let got = block_on(s.get(b"ns", b"k"));
            assert!(matches!(got, Err(Error::Corrupt(_))), "{what}: {got:?}");
            // Overwriting replaces every chunk, and clearing removes whatever is left.
            block_on(s.apply(b"ns", &[put("k", 9000, 2)], Limits::NONE)).unwrap();
            assert_eq!(
                block_on(s.get(b"ns", b"k")).unwrap(),
                Some(value(9000, 2)),
                "{what}"
            );
            damage(s.raw_entries(), &ekey);
            block_on(s.clear(b"ns")).unwrap();
            assert_eq!(chunk_keys(&s), Vec::<Vec<u8>>::new(), "{what}");
            assert_eq!(block_on(s.get(b"ns", b"k")).unwrap(), None, "{what}");
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
        let write = block_on(s.apply(b"ns", &[put("k", 10, 1)], Limits::NONE));
        assert!(matches!(write, Err(Error::Corrupt(_))), "{write:?}");
        block_on(s.clear(b"ns")).unwrap();
        assert_eq!(chunk_keys(&s), Vec::<Vec<u8>>::new());
    }
}
