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
//! **Bound.** At most [`KnownKeys::DEFAULT_MAX_BYTES`] of memory by default, each key counted
//! at its length plus [`ENTRY_COST`], in `quick_cache`'s sharded cache (which keeps keys written
//! again over keys written once). Keys longer than [`MAX_KEY_LEN`] bytes are never kept; their
//! writes read the header as before.

use crate::layout::Header;
use foldhash::quality::RandomState;
use quick_cache::sync::Cache;
use quick_cache::Weighter;

/// Keys longer than this (namespace prefix included) are never kept.
const MAX_KEY_LEN: usize = 4096;

/// What one key costs besides its bytes: the cache's entry, its index and the key's allocation.
const ENTRY_COST: usize = 128;

/// The headers known for recently written keys, shared by the whole store (see the module docs).
pub(crate) struct KnownKeys {
    /// `None` when the bound leaves room for no key.
    cache: Option<Cache<Box<[u8]>, Known, Cost, RandomState>>,
}

/// What is known of a key.
pub(crate) type Known = Option<Header>;

/// A key's share of the bound.
#[derive(Clone)]
struct Cost;

impl Weighter<Box<[u8]>, Known> for Cost {
    fn weight(&self, key: &Box<[u8]>, _: &Known) -> u64 {
        if key.len() > MAX_KEY_LEN {
            u64::MAX
        } else {
            (ENTRY_COST + key.len()) as u64
        }
    }
}

impl KnownKeys {
    /// How much memory a store's known keys take by default: about 32,000 keys of the full
    /// stack's size (a namespace tag and a sealed name, 70 bytes).
    pub(crate) const DEFAULT_MAX_BYTES: usize = 6 << 20;

    /// Keeps keys costing at most `max_bytes` in all.
    pub(crate) fn new(max_bytes: usize) -> Self {
        let cache = (max_bytes >= ENTRY_COST).then(|| {
            Cache::with(
                max_bytes / (ENTRY_COST + 70),
                max_bytes as u64,
                Cost,
                RandomState::default(),
                Default::default(),
            )
        });
        Self { cache }
    }

    /// Room for about `n` keys of `len` bytes (tests use a tiny bound to exercise eviction).
    #[cfg(test)]
    pub(crate) fn room_for(n: usize, len: usize) -> usize {
        n * (ENTRY_COST + len)
    }

    /// What is known of the entry key `ekey`: `None` if nothing (read it from sled), else its
    /// header (`None` inside: it holds no record).
    pub(crate) fn get(&self, ekey: &[u8]) -> Option<Known> {
        self.cache.as_ref()?.get(ekey)
    }

    /// Records that `ekey` now holds `known`. The caller holds the stripe of the key's namespace
    /// and has just written `known` to sled, or read it there.
    pub(crate) fn set(&self, ekey: &[u8], known: Known) {
        if let Some(cache) = &self.cache {
            cache.insert(ekey.into(), known);
        }
    }

    /// Records several keys at once (a batch).
    pub(crate) fn set_all<'a>(&self, keys: impl IntoIterator<Item = (&'a [u8], Known)>) {
        for (ekey, known) in keys {
            self.set(ekey, known);
        }
    }

    /// Forgets what is known of each of `ekeys`.
    pub(crate) fn forget<'a>(&self, ekeys: impl IntoIterator<Item = &'a [u8]>) {
        if let Some(cache) = &self.cache {
            for ekey in ekeys {
                cache.remove(ekey);
            }
        }
    }

    /// Every key known and what is known of it (for tests).
    #[cfg(test)]
    pub(crate) fn all(&self) -> Vec<(Vec<u8>, Known)> {
        let mut all: Vec<_> = (self.cache.iter().flat_map(|c| c.iter()))
            .map(|(k, known)| (k.to_vec(), known))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// The memory the keys known take, as counted against the bound (for tests).
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> u64 {
        self.cache.as_ref().map_or(0, Cache::weight)
    }

    /// Forgets everything (for tests: what a reopen does).
    #[cfg(test)]
    pub(crate) fn forget_everything(&self) {
        if let Some(cache) = &self.cache {
            cache.clear();
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

    fn keys(known: &KnownKeys) -> Vec<Vec<u8>> {
        known.all().into_iter().map(|(k, _)| k).collect()
    }

    fn roomy() -> KnownKeys {
        KnownKeys::new(1 << 20)
    }

    #[test]
    fn set_get_and_forget() {
        let known = roomy();
        assert_eq!(known.get(b"a"), None, "nothing known yet");
        known.set(b"a", header(1));
        known.set(b"b", None);
        assert_eq!(known.get(b"a"), Some(header(1)));
        assert_eq!(known.get(b"b"), Some(None), "known to hold no record");
        known.set(b"a", header(2));
        assert_eq!(known.get(b"a"), Some(header(2)), "updated in place");
        known.forget([&b"a"[..], b"zz"]);
        assert_eq!(known.get(b"a"), None);
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
    fn the_bound_holds_and_keys_written_again_outlive_keys_written_once() {
        let bound = KnownKeys::room_for(64, 8);
        let known = KnownKeys::new(bound);
        for i in 0..10_000u32 {
            known.set(b"hot!", header(i as u64));
            known.set(&(i as u64).to_be_bytes(), header(1));
            assert!(known.bytes() <= bound as u64, "{} bytes", known.bytes());
        }
        assert_eq!(known.get(b"hot!"), Some(header(9_999)));
    }

    #[test]
    fn long_keys_are_never_kept_and_drop_what_was_known() {
        let known = KnownKeys::new(1 << 30);
        known.set(&[7; MAX_KEY_LEN], header(5));
        assert_eq!(known.get(&[7; MAX_KEY_LEN]), Some(header(5)));
        known.set(&[7; MAX_KEY_LEN + 1], header(5));
        assert_eq!(known.get(&[7; MAX_KEY_LEN + 1]), None);
        // A key too costly for a small bound is not kept, and no older header of it survives.
        let small = KnownKeys::new(KnownKeys::room_for(2, 8));
        small.set(b"k", header(1));
        small.set(b"k", header(2));
        assert_eq!(small.get(b"k"), Some(header(2)));
        assert_eq!(small.get(&[1; 1000]), None);
    }

    #[test]
    fn a_bound_without_room_for_a_key_keeps_nothing() {
        let known = KnownKeys::new(0);
        known.set(b"a", header(1));
        assert_eq!(known.all(), []);
    }
}

/// The store's use of what it knows: every write path keeps it equal to what sled holds.
#[cfg(test)]
mod backend_tests {
    use super::KnownKeys;
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
                prop_assert!(store.catalog.known_keys().bytes() <= KnownKeys::room_for(2, 16) as u64);
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
                .map(|h| h.map(|h| h.charge));
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
