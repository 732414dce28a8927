//! What the store knows of its keys' records without reading them: for recently written (or
//! read-before-write) keys, the [`Header`] their record holds, or that they hold none.
//!
//! A set needs the old record's header before it writes (an overwrite keeps the key's place in
//! the insertion order, the quota check needs the old charge, and an old value in the value log
//! is retired); reading it is a sled `get`, a large share of a small set. Keeping the headers of
//! recently written keys in memory skips that read.
//!
//! **Coherence.** Every write of a namespace holds its lock stripe, so a header is only ever
//! *stored* here by the writer that holds the stripe of its namespace, after sled accepted the
//! write (or after reading it from sled under that stripe); *forgetting* a key (eviction, a
//! clear) is safe from anywhere, since a key not found here is read from sled. So what is here
//! always equals what sled holds. Nothing is kept across a close: a reopened store starts
//! empty, so damage or changes made to the files while the store was closed are seen.
//!
//! **Bound.** At most [`KnownKeys::DEFAULT_MAX_KEYS`] keys across the store, and
//! [`KnownKeys::DEFAULT_MAX_KEY_BYTES`] of key bytes (keys longer than [`MAX_KEY_LEN`] bytes are
//! never kept; their writes read the header as before), evicted by CLOCK (second chance), an
//! approximation of least-recently-used that costs no bookkeeping on a hit beyond one flag.

use crate::layout::Header;
use foldhash::quality::RandomState;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Keys longer than this (namespace prefix included) are never kept.
const MAX_KEY_LEN: usize = 4096;

/// The headers known for recently written keys, shared by the whole store (see the module docs).
#[derive(Debug)]
pub(crate) struct KnownKeys {
    clock: Mutex<Clock>,
}

/// What is known of a key.
pub(crate) type Known = Option<Header>;

/// Where a key was found, so that recording its new header after the write skips hashing it
/// again (checked: if the key was evicted meanwhile, it is looked up as usual).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place(usize);

impl KnownKeys {
    /// How many keys a store keeps by default. Each costs about 130 bytes besides its own
    /// (measured: 65,536 keys of 70 bytes, the size of the full stack's keys, a namespace tag
    /// and a sealed name, took 12.8 MiB), so a full set takes about 6.5 MiB.
    pub(crate) const DEFAULT_MAX_KEYS: usize = 32_768;
    /// How many bytes of keys a store keeps by default: with keys of the full stack's size the
    /// bound on keys is reached first; with long keys this one keeps the memory bounded.
    pub(crate) const DEFAULT_MAX_KEY_BYTES: usize = 4 << 20;

    /// Keeps at most `max_keys` keys (at least 1) holding at most `max_key_bytes` bytes.
    pub(crate) fn new(max_keys: usize, max_key_bytes: usize) -> Self {
        Self {
            clock: Mutex::new(Clock {
                index: HashMap::default(),
                slots: Vec::new(),
                free: Vec::new(),
                hand: 0,
                key_bytes: 0,
                max_keys: max_keys.max(1),
                max_key_bytes,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Clock> {
        // Nothing panics while holding the lock; and a key missing here is only read from sled.
        self.clock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What is known of the entry key `ekey`: `None` if nothing (read it from sled), else its
    /// header (`None` inside: it holds no record) and where it was found.
    pub(crate) fn get(&self, ekey: &[u8]) -> Option<(Known, Place)> {
        let mut clock = self.lock();
        let &at = clock.index.get(ekey)?;
        let slot = &mut clock.slots[at];
        slot.used = true;
        Some((slot.known, Place(at)))
    }

    /// Records that `ekey` now holds `known`; `place` is where [`KnownKeys::get`] found it, if
    /// it did. The caller holds the stripe of the key's namespace and has just written `known`
    /// to sled, or read it there.
    pub(crate) fn set(&self, ekey: &[u8], known: Known, place: Option<Place>) {
        let mut clock = self.lock();
        if let Some(Place(at)) = place {
            if let Some(slot) = clock.slots.get_mut(at) {
                if slot.key.as_deref() == Some(ekey) {
                    slot.known = known;
                    slot.used = true;
                    return;
                }
            }
        }
        clock.set(ekey, known);
    }

    /// Records several keys at once (a batch), under one lock.
    pub(crate) fn set_all<'a>(&self, keys: impl IntoIterator<Item = (&'a [u8], Known)>) {
        let mut clock = self.lock();
        for (ekey, known) in keys {
            clock.set(ekey, known);
        }
    }

    /// Forgets what is known of each of `ekeys`.
    pub(crate) fn forget<'a>(&self, ekeys: impl IntoIterator<Item = &'a [u8]>) {
        let mut clock = self.lock();
        for ekey in ekeys {
            clock.forget(ekey);
        }
    }

    /// Every key known and what is known of it (for tests).
    #[cfg(test)]
    pub(crate) fn all(&self) -> Vec<(Vec<u8>, Known)> {
        let clock = self.lock();
        let mut all: Vec<_> = (clock.index.iter())
            .map(|(k, &slot)| (k.to_vec(), clock.slots[slot].known))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Forgets everything (for tests: what a reopen does).
    #[cfg(test)]
    pub(crate) fn forget_everything(&self) {
        let mut clock = self.lock();
        let keys: Vec<Arc<[u8]>> = clock.index.keys().cloned().collect();
        for key in keys {
            clock.forget(&key);
        }
    }
}

/// The CLOCK: keys in slots, a hand sweeping them; a slot used since the hand last passed gets a
/// second chance.
#[derive(Debug)]
struct Clock {
    /// Where each key's slot is.
    index: HashMap<Arc<[u8]>, usize, RandomState>,
    slots: Vec<Slot>,
    /// Slots emptied by `forget`, to reuse first.
    free: Vec<usize>,
    hand: usize,
    /// The bytes of the keys held.
    key_bytes: usize,
    max_keys: usize,
    max_key_bytes: usize,
}

#[derive(Debug)]
struct Slot {
    /// `None` when the slot is free.
    key: Option<Arc<[u8]>>,
    known: Known,
    /// Used since the hand last passed.
    used: bool,
}

impl Clock {
    fn set(&mut self, ekey: &[u8], known: Known) {
        if let Some(&slot) = self.index.get(ekey) {
            let slot = &mut self.slots[slot];
            slot.known = known;
            slot.used = true;
            return;
        }
        if ekey.len() > MAX_KEY_LEN || ekey.len() > self.max_key_bytes {
            return;
        }
        while self.index.len() >= self.max_keys || self.key_bytes + ekey.len() > self.max_key_bytes
        {
            self.evict_one();
        }
        let key: Arc<[u8]> = ekey.into();
        let slot = Slot {
            key: Some(key.clone()),
            known,
            used: true,
        };
        let at = match self.free.pop() {
            Some(at) => {
                self.slots[at] = slot;
                at
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.key_bytes += ekey.len();
        self.index.insert(key, at);
    }

    fn forget(&mut self, ekey: &[u8]) {
        if let Some(at) = self.index.remove(ekey) {
            self.key_bytes -= ekey.len();
            self.slots[at].key = None;
            self.free.push(at);
        }
    }

    /// Evicts the first key the hand finds unused since it last passed (clearing the flags of
    /// the used ones it passes). Only called with at least one key held.
    fn evict_one(&mut self) {
        debug_assert!(!self.index.is_empty());
        loop {
            if self.hand >= self.slots.len() {
                self.hand = 0;
            }
            let slot = &mut self.slots[self.hand];
            self.hand += 1;
            match &slot.key {
                None => {}
                Some(_) if slot.used => slot.used = false,
                Some(key) => {
                    let key = key.clone();
                    self.forget(&key);
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(seq: u64) -> Known {
        Some(Header {
            seq,
            charge: seq * 10,
            logged: None,
        })
    }

    fn get(known: &KnownKeys, ekey: &[u8]) -> Option<Known> {
        known.get(ekey).map(|(known, _)| known)
    }

    fn keys(known: &KnownKeys) -> Vec<Vec<u8>> {
        known.all().into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn set_get_and_forget() {
        let known = KnownKeys::new(8, 1 << 20);
        assert_eq!(get(&known, b"a"), None, "nothing known yet");
        known.set(b"a", header(1), None);
        known.set(b"b", None, None);
        assert_eq!(get(&known, b"a"), Some(header(1)));
        assert_eq!(get(&known, b"b"), Some(None), "known to hold no record");
        known.set(b"a", header(2), None);
        assert_eq!(get(&known, b"a"), Some(header(2)), "updated in place");
        // Where a key was found: used if it still holds the key, ignored if not.
        let (_, place) = known.get(b"a").unwrap();
        known.set(b"a", header(3), Some(place));
        assert_eq!(get(&known, b"a"), Some(header(3)));
        known.forget([&b"a"[..]]);
        known.set(b"c", header(4), Some(place));
        known.set(b"a", header(5), Some(place));
        assert_eq!(
            get(&known, b"c"),
            Some(header(4)),
            "not overwritten through a stale place"
        );
        assert_eq!(get(&known, b"a"), Some(header(5)));
        known.forget([&b"a"[..], b"c", b"zz"]);
        assert_eq!(get(&known, b"a"), None);
        assert_eq!(keys(&known), [b"b".to_vec()]);
        known.set_all([(&b"c"[..], header(3)), (b"b", header(4))]);
        assert_eq!(
            known.all(),
            [(b"b".to_vec(), header(4)), (b"c".to_vec(), header(3))]
        );
        known.forget_everything();
        assert_eq!(known.all(), []);
    }

    #[test]
    fn the_bound_on_keys_evicts_keys_unused_since_the_hand_passed() {
        let known = KnownKeys::new(3, 1 << 20);
        for k in [b"a", b"b", b"c"] {
            known.set(k, header(1), None);
        }
        // The hand clears every flag on its first sweep, then evicts "a", the oldest.
        known.set(b"d", header(1), None);
        assert_eq!(keys(&known), [b"b".to_vec(), b"c".to_vec(), b"d".to_vec()]);
        // "b" is used again: it gets a second chance, "c" goes.
        assert!(known.get(b"b").is_some());
        known.set(b"e", header(1), None);
        assert_eq!(keys(&known), [b"b".to_vec(), b"d".to_vec(), b"e".to_vec()]);
        // Forgotten slots are reused, and never counted twice.
        known.forget([&b"b"[..]]);
        known.set(b"f", header(1), None);
        known.set(b"g", header(1), None);
        assert_eq!(known.all().len(), 3);
    }

    #[test]
    fn the_bound_on_key_bytes_holds_and_long_keys_are_never_kept() {
        let known = KnownKeys::new(100, 10);
        known.set(b"abcd", header(1), None);
        known.set(b"efgh", header(2), None);
        known.set(b"ijkl", header(3), None);
        let held: usize = keys(&known).iter().map(Vec::len).sum();
        assert!(held <= 10, "{held} bytes of keys");
        assert_eq!(get(&known, b"ijkl"), Some(header(3)), "the newest is kept");
        known.set(&[7; 11], header(4), None);
        assert_eq!(get(&known, &[7; 11]), None, "longer than the whole budget");
        let big = KnownKeys::new(100, 1 << 30);
        big.set(&[7; MAX_KEY_LEN + 1], header(5), None);
        assert_eq!(get(&big, &[7; MAX_KEY_LEN + 1]), None);
        big.set(&[7; MAX_KEY_LEN], header(5), None);
        assert_eq!(get(&big, &[7; MAX_KEY_LEN]), Some(header(5)));
    }

    #[test]
    fn a_bound_of_zero_keeps_one() {
        let known = KnownKeys::new(0, 1 << 20);
        known.set(b"a", header(1), None);
        known.set(b"b", header(2), None);
        assert_eq!(known.all(), [(b"b".to_vec(), header(2))]);
    }
}

/// The store's use of what it knows: every write path keeps it equal to what sled holds.
#[cfg(test)]
mod backend_tests {
    use crate::layout::{entry_key, ns_prefix, EntryRecord};
    use crate::{Durability, SledBackend, SledOptions};
    use proptest::collection::vec;
    use proptest::prelude::*;
    use storage_core::testkit::model::BackendModel;
    use storage_core::testkit::strategies::{raw_key, raw_namespace, raw_op};
    use storage_core::{block_on, Backend, Error, Limits, Op, Usage};

    /// Every header known in memory equals the record on disk (or its absence).
    fn agrees_with_disk(s: &SledBackend) -> Result<(), String> {
        for (ekey, known) in s.catalog.known_keys().all() {
            let stored = s.raw_entries().get(&ekey).unwrap();
            let stored = stored.map(|r| EntryRecord::decode_header(&r).unwrap());
            if stored != known {
                return Err(format!("{ekey:?}: known {known:?}, stored {stored:?}"));
            }
        }
        Ok(())
    }

    fn open(path: &std::path::Path, keys: usize) -> SledBackend {
        let options = SledOptions::default().durability(Durability::Buffered);
        SledBackend::open_with(path, options)
            .unwrap()
            .with_known_keys(keys)
            .with_states_per_stripe(1)
    }

    fn put(key: &str, len: usize, charge: u64) -> Op {
        Op::Put {
            key: key.into(),
            value: vec![key.as_bytes()[0]; len],
            charge,
        }
    }

    fn del(key: &str) -> Op {
        Op::Delete { key: key.into() }
    }

    #[derive(Debug, Clone)]
    enum Step {
        Apply(usize, Vec<Op>, Limits),
        Clear(usize),
        Drop(usize),
        Reopen,
    }

    /// A put of a value stored in the value log.
    fn large_put() -> impl Strategy<Value = Op> {
        (raw_key(), 4090usize..9000, any::<u8>(), 0u64..50).prop_map(|(key, len, b, charge)| {
            Op::Put {
                key,
                value: vec![b; len],
                charge,
            }
        })
    }

    fn step() -> impl Strategy<Value = Step> {
        let limits = prop_oneof![
            Just(Limits::NONE),
            (0u64..200, 0u64..6).prop_map(|(max_bytes, max_entries)| Limits {
                max_bytes,
                max_entries
            }),
        ];
        let op = prop_oneof![6 => raw_op(), 1 => large_put()];
        prop_oneof![
            10 => (0usize..3, vec(op, 0..5), limits).prop_map(|(n, ops, l)| Step::Apply(n, ops, l)),
            1 => (0usize..3).prop_map(Step::Clear),
            1 => (0usize..3).prop_map(Step::Drop),
            1 => Just(Step::Reopen),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 64,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// With room for 2 keys' headers, every write evicts some: results, listings, values
        /// and usage still match the model, and what is known always matches the disk.
        #[test]
        fn a_tiny_bound_changes_nothing_but_the_reads(
            namespaces in vec(raw_namespace(), 3),
            steps in vec(step(), 1..40),
        ) {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().join("store");
            let mut store = open(&path, 2);
            let mut model = BackendModel::default();
            for step in &steps {
                let touched = match step {
                    Step::Apply(n, ops, limits) => {
                        let got = block_on(store.apply(&namespaces[*n], ops, *limits));
                        prop_assert_eq!(got, model.apply(&namespaces[*n], ops, *limits));
                        *n
                    }
                    Step::Clear(n) => {
                        block_on(store.clear(&namespaces[*n])).unwrap();
                        model.clear(&namespaces[*n]);
                        *n
                    }
                    Step::Drop(n) => {
                        block_on(store.drop_namespace(&namespaces[*n])).unwrap();
                        model.clear(&namespaces[*n]);
                        *n
                    }
                    Step::Reopen => {
                        drop(store);
                        store = open(&path, 2);
                        prop_assert!(store.catalog.known_keys().all().is_empty());
                        0
                    }
                };
                prop_assert!(store.catalog.known_keys().all().len() <= 2);
                agrees_with_disk(&store).map_err(TestCaseError::fail)?;
                let ns = &namespaces[touched];
                let listing = block_on(store.list(ns)).unwrap();
                prop_assert_eq!(&listing.keys, &model.keys(ns));
                prop_assert_eq!(listing.usage, model.usage(ns));
                for key in &listing.keys {
                    prop_assert_eq!(block_on(store.get(ns, key)).unwrap(), model.get(ns, key));
                }
            }
        }
    }

    /// The contract holds when a store knows only one key's header at a time.
    #[test]
    fn conformance_with_one_known_key() {
        storage_core::testkit::conformance(|| {
            SledBackend::temporary_with(SledOptions::default().durability(Durability::Buffered))
                .expect("temporary store")
                .with_known_keys(1)
        });
    }

    /// What a store knows of `ns`'s key `key` after the write paths, and whether its next set
    /// then lists last (a key known absent) or keeps its place (a key known present).
    #[test]
    fn every_write_path_leaves_what_it_wrote_known() {
        // (steps on namespace "ns", then what is known of "a" (None: nothing; Some(None):
        // absent; Some(Some(charge)): present with that charge), and the listing)
        type Case = (
            &'static [&'static str],
            Option<Option<u64>>,
            &'static [&'static str],
        );
        let cases: &[Case] = &[
            (&["+a"], Some(Some(1)), &["a"]),
            (&["+a", "+b", "+a"], Some(Some(1)), &["a", "b"]),
            (&["+a", "-a"], Some(None), &[]),
            (&["-a"], Some(None), &[]),
            (&["+a", "-a", "+b", "+a"], Some(Some(1)), &["b", "a"]),
            (&["+a", "clear"], None, &[]),
            (&["+a", "drop"], None, &[]),
            (
                &["+a", "+b", "clear", "+b", "+a"],
                Some(Some(1)),
                &["b", "a"],
            ),
            (&["+a", "reopen"], None, &["a"]),
            (&["+a", "reopen", "+b", "+a"], Some(Some(1)), &["a", "b"]),
            (&["batch +a +a +b"], Some(Some(1)), &["a", "b"]),
            (&["+a", "batch -a +b +a"], Some(Some(1)), &["b", "a"]),
            (&["+a", "batch +b -a"], Some(None), &["b"]),
            // In the value log, then inline, then in the log again, by single sets and batches.
            (&["+A", "+a"], Some(Some(1)), &["a"]),
            (
                &["+a", "+A", "batch +a +b", "+A"],
                Some(Some(9)),
                &["a", "b"],
            ),
            // A refused write changes nothing known (a charge of 9 exceeds the limit of 5).
            (&["+a", "refused +A"], Some(Some(1)), &["a"]),
            // A key only read by a refused write is not kept: what is kept is what writes did.
            (&["refused +A"], None, &[]),
        ];
        for (steps, known, listed) in cases {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().join("store");
            let mut s = open(&path, 100);
            for step in *steps {
                let op = |word: &str| match word {
                    "+a" => put("a", 10, 1),
                    "+A" => put("a", 10_000, 9),
                    "+b" => put("b", 10, 1),
                    "-a" => del("a"),
                    _ => panic!("bad op {word}"),
                };
                let mut words = step.split_whitespace();
                match words.next().unwrap() {
                    "clear" => block_on(s.clear(b"ns")).unwrap(),
                    "drop" => block_on(s.drop_namespace(b"ns")).unwrap(),
                    "reopen" => {
                        drop(s);
                        s = open(&path, 100);
                    }
                    "batch" => {
                        let ops: Vec<Op> = words.map(op).collect();
                        block_on(s.apply(b"ns", &ops, Limits::NONE)).unwrap();
                    }
                    "refused" => {
                        let limits = Limits {
                            max_bytes: 5,
                            max_entries: 10,
                        };
                        let ops: Vec<Op> = words.map(op).collect();
                        let got = block_on(s.apply(b"ns", &ops, limits));
                        assert!(matches!(got, Err(Error::LimitExceeded { .. })), "{got:?}");
                    }
                    word => {
                        block_on(s.apply(b"ns", &[op(word)], Limits::NONE)).unwrap();
                    }
                }
                agrees_with_disk(&s).unwrap_or_else(|e| panic!("{steps:?} at {step}: {e}"));
            }
            let ekey = entry_key(&ns_prefix(b"ns").unwrap(), b"a");
            let got = s
                .catalog
                .known_keys()
                .get(&ekey)
                .map(|(h, _)| h.map(|h| h.charge));
            assert_eq!(got, *known, "{steps:?}");
            let listing = block_on(s.list(b"ns")).unwrap();
            let expected: Vec<Vec<u8>> = listed.iter().map(|k| k.as_bytes().to_vec()).collect();
            assert_eq!(listing.keys, expected, "{steps:?}");
            let bytes = listing.usage.bytes;
            assert_eq!(
                listing.usage,
                Usage {
                    bytes,
                    entries: listed.len() as u64
                }
            );
        }
    }

    /// Keys of other namespaces, even one whose name is a byte prefix of the cleared one's,
    /// stay known across a clear.
    #[test]
    fn clearing_a_namespace_forgets_its_keys_only() {
        let s = SledBackend::temporary().unwrap();
        for ns in [&b"n"[..], b"nn", b""] {
            block_on(s.apply(ns, &[put("a", 1, 1), put("b", 1, 1)], Limits::NONE)).unwrap();
        }
        block_on(s.clear(b"n")).unwrap();
        let known: Vec<Vec<u8>> = s
            .catalog
            .known_keys()
            .all()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let mut expected: Vec<Vec<u8>> = [&b""[..], b"nn"]
            .iter()
            .flat_map(|ns| ["a", "b"].map(|k| entry_key(&ns_prefix(ns).unwrap(), k.as_bytes())))
            .collect();
        expected.sort();
        assert_eq!(known, expected);
        agrees_with_disk(&s).unwrap();
    }
}
