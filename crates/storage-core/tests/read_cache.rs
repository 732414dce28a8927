//! `ReadCache`: the backend contract still holds, reads are served from memory, writes of any kind
//! invalidate, no race leaves a stale value cached, and the bytes never pass the capacity.

use async_trait::async_trait;
use proptest::prelude::*;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use storage_core::{
    block_on, testkit, Backend, Error, JsObject, JsString, JsValue, Limits, Listing, MemoryBackend,
    Namespace, Op, Policy, ReadCache, Result, Scope, SetOptions, Store, StoredValue, Usage,
};

/// Small enough that the kit's stores keep evicting.
const TINY: u64 = 2 * 1024;

#[test]
fn passes_the_conformance_kit_while_evicting() {
    testkit::conformance(|| ReadCache::new(MemoryBackend::new(), TINY));
}

#[test]
fn passes_the_conformance_kit_sharded() {
    testkit::conformance(|| ReadCache::new(MemoryBackend::new(), 8 << 20));
}

#[test]
fn passes_the_conformance_kit_disabled() {
    testkit::conformance(|| ReadCache::new(MemoryBackend::new(), 0));
}

/// The backend underneath, counting the reads that reach it; optionally yielding inside reads and
/// writes (to widen race windows), and optionally pending once inside `apply` (to cancel there).
#[derive(Default)]
struct Under {
    memory: MemoryBackend,
    gets: AtomicUsize,
    yield_inside: bool,
    pend_in_apply: AtomicBool,
    /// In `get`, after reading the value.
    got: Gate,
    /// In `apply`, before the write.
    applying: Gate,
    /// In `apply`, after the write.
    applied: Gate,
}

impl Under {
    fn racy() -> Self {
        Under {
            yield_inside: true,
            ..Under::default()
        }
    }

    fn pause(&self) {
        if self.yield_inside {
            for _ in 0..3 {
                std::thread::yield_now();
            }
        }
    }

    fn gets(&self) -> usize {
        self.gets.load(Ordering::SeqCst)
    }
}

/// A point inside the backend underneath where, once armed, the first thread to arrive stops
/// until the test lets it go: to run a race in one exact order, without sleeps.
#[derive(Default)]
struct Gate {
    armed: AtomicBool,
    arrived: Mutex<Option<Sender<()>>>,
    go: Mutex<Option<Receiver<()>>>,
}

/// The test's side of an armed [`Gate`].
struct Held {
    arrived: Receiver<()>,
    go: Sender<()>,
}

impl Held {
    fn wait(&self) {
        self.arrived.recv().expect("a thread arrives at the gate");
    }
    fn release(&self) {
        self.go.send(()).expect("the held thread waits");
    }
}

impl Gate {
    fn arm(&self) -> Held {
        let (arrived_tx, arrived) = channel();
        let (go, go_rx) = channel();
        *self.arrived.lock().unwrap() = Some(arrived_tx);
        *self.go.lock().unwrap() = Some(go_rx);
        self.armed.store(true, Ordering::SeqCst);
        Held { arrived, go }
    }

    fn pass(&self) {
        if self.armed.swap(false, Ordering::SeqCst) {
            let arrived = self.arrived.lock().unwrap().take().expect("armed");
            let go = self.go.lock().unwrap().take().expect("armed");
            arrived.send(()).expect("the test waits");
            go.recv().expect("the test releases");
        }
    }
}

/// Pending once, then ready.
struct PendOnce(bool);

impl Future for PendOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[async_trait]
impl Backend for Under {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        let value = self.memory.get(ns, key).await;
        self.pause();
        self.got.pass();
        value
    }
    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        if self.pend_in_apply.swap(false, Ordering::SeqCst) {
            PendOnce(false).await;
        }
        self.pause();
        self.applying.pass();
        let usage = self.memory.apply(ns, ops, limits).await;
        self.applied.pass();
        self.pause();
        usage
    }
    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        self.memory.list(ns).await
    }
    async fn clear(&self, ns: &[u8]) -> Result<()> {
        self.memory.clear(ns).await
    }
    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        self.memory.drop_namespace(ns).await
    }
    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        self.memory.namespaces().await
    }
}

fn put(key: &[u8], value: &[u8]) -> Op {
    Op::Put {
        key: key.to_vec(),
        value: value.to_vec(),
        charge: value.len() as u64,
    }
}

fn del(key: &[u8]) -> Op {
    Op::Delete { key: key.to_vec() }
}

fn get<B: Backend>(b: &B, ns: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    block_on(b.get(ns, key)).expect("get")
}

fn apply<B: Backend>(b: &B, ns: &[u8], ops: &[Op]) {
    block_on(b.apply(ns, ops, Limits::NONE)).expect("apply");
}

/// After `setup`, reads `ns`/`k` twice with capacity `cap`: checks what the second read answers
/// and how many reads reached the backend underneath in all.
fn reads(
    name: &str,
    cap: u64,
    setup: impl Fn(&ReadCache<Under>),
    value: Option<&[u8]>,
    under: usize,
) {
    let cache = ReadCache::new(Under::default(), cap);
    setup(&cache);
    get(&cache, b"ns", b"k");
    let second = get(&cache, b"ns", b"k");
    assert_eq!(
        (second, cache.inner().gets()),
        (value.map(<[u8]>::to_vec), under),
        "{name}"
    );
}

/// Writes `v` under `ns`/`k`.
fn set(v: &[u8]) -> impl Fn(&ReadCache<Under>) + '_ {
    move |c| apply(c, b"ns", &[put(b"k", v)])
}

#[test]
fn what_reaches_the_backend_underneath() {
    let big = &[7u8; 100 * 1024];
    reads(
        "a hit is served from memory",
        1 << 20,
        set(b"v"),
        Some(b"v"),
        1,
    );
    reads("a miss is remembered too", 1 << 20, |_| {}, None, 1);
    reads("capacity 0 disables the cache", 0, set(b"v"), Some(b"v"), 2);
    reads(
        "larger than a shard: not cached",
        64 << 10,
        set(big),
        Some(big),
        2,
    );
    reads("100 KiB in 1 MiB: cached", 1 << 20, set(big), Some(big), 1);
}

/// Writes `keys` (values of `len` bytes), reads each of them twice in a row of passes; returns
/// how many reads of the second pass reached the backend underneath.
fn second_pass_misses(cache: &ReadCache<Under>, keys: std::ops::Range<u64>, len: usize) -> usize {
    for k in keys.clone() {
        apply(cache, b"ns", &[put(&k.to_le_bytes(), &vec![k as u8; len])]);
    }
    let pass = || {
        keys.clone()
            .for_each(|k| drop(get(cache, b"ns", &k.to_le_bytes())))
    };
    pass();
    let before = cache.inner().gets();
    pass();
    cache.inner().gets() - before
}

#[test]
fn a_hot_set_smaller_than_the_cache_stays_cached_however_its_keys_fall_on_the_shards() {
    // The capacity is one budget for all shards: a fixed part per shard would miss here whenever
    // more keys fell on one shard than its part holds (nearly always, with these counts).
    for (name, cap, n, len) in [
        ("78 values of 100 KiB in 8 MiB", 8 << 20, 78, 100 << 10),
        ("4 values of 900 KiB in 4 MiB", 4 << 20, 4, 900 << 10),
        ("2000 values of 1 KiB in 3 MiB", 3 << 20, 2000, 1 << 10),
    ] {
        let cache = ReadCache::new(Under::default(), cap);
        assert_eq!(second_pass_misses(&cache, 0..n, len), 0, "{name}");
    }
}

#[test]
fn the_least_recently_used_entry_of_the_whole_cache_is_evicted() {
    let cache = ReadCache::new(Under::default(), 8 << 20);
    assert_eq!(second_pass_misses(&cache, 0..78, 100 << 10), 0, "old set");
    // A new set as large: every old entry goes before any new one.
    assert_eq!(
        second_pass_misses(&cache, 1000..1078, 100 << 10),
        0,
        "new set"
    );
    let again = cache.inner().gets();
    get(&cache, b"ns", &0u64.to_le_bytes());
    assert_eq!(cache.inner().gets(), again + 1, "the old set was evicted");
}

/// Caches `ns`/`k` = "old", runs `write`, then checks what a read of `ns`/`k` answers.
fn after(name: &str, write: impl Fn(&ReadCache<Under>), expected: Option<&[u8]>) {
    let cache = ReadCache::new(Under::default(), 1 << 20);
    apply(&cache, b"ns", &[put(b"k", b"old"), put(b"other", b"x")]);
    assert_eq!(get(&cache, b"ns", b"k"), Some(b"old".to_vec()));
    assert_eq!(get(&cache, b"ns", b"k"), Some(b"old".to_vec()));
    assert_eq!(cache.inner().gets(), 1, "{name}: the second read was a hit");
    write(&cache);
    assert_eq!(
        get(&cache, b"ns", b"k"),
        expected.map(<[u8]>::to_vec),
        "{name}"
    );
}

#[test]
fn every_write_invalidates() {
    let ops = |ns: &'static [u8], ops: Vec<Op>| move |c: &ReadCache<Under>| apply(c, ns, &ops);
    let refused = |c: &ReadCache<Under>| {
        let none = Limits {
            max_bytes: 0,
            max_entries: 0,
        };
        let r = block_on(c.apply(b"ns", &[put(b"k", b"too big")], none));
        assert!(matches!(r, Err(Error::LimitExceeded { .. })), "{r:?}");
    };
    let clear = |ns: &'static [u8]| move |c: &ReadCache<Under>| block_on(c.clear(ns)).unwrap();
    after("put", ops(b"ns", vec![put(b"k", b"new")]), Some(b"new"));
    after("delete", ops(b"ns", vec![del(b"k")]), None);
    after(
        "put among others",
        ops(b"ns", vec![put(b"a", b"1"), put(b"k", b"new")]),
        Some(b"new"),
    );
    after(
        "put then delete, one batch",
        ops(b"ns", vec![put(b"k", b"new"), del(b"k")]),
        None,
    );
    after("a refused write changes nothing", refused, Some(b"old"));
    after("clear", clear(b"ns"), None);
    after(
        "drop_namespace",
        |c| block_on(c.drop_namespace(b"ns")).unwrap(),
        None,
    );
    after(
        "another namespace's write",
        ops(b"ns2", vec![put(b"k", b"new")]),
        Some(b"old"),
    );
    after(
        "clear of a namespace ns is a prefix of",
        clear(b"nsx"),
        Some(b"old"),
    );
    after("clear of a prefix of ns", clear(b"n"), Some(b"old"));
    // Not allowed by the contract (the cache must be the only writer): it stays stale.
    after(
        "a write under the cache",
        |c| apply(c.inner(), b"ns", &[put(b"k", b"new")]),
        Some(b"old"),
    );
}

#[test]
fn a_write_cancelled_half_way_still_lets_reads_cache() {
    let cache = ReadCache::new(Under::default(), 1 << 20);
    apply(&cache, b"ns", &[put(b"k", b"old")]);
    cache.inner().pend_in_apply.store(true, Ordering::SeqCst);
    {
        let ops = [put(b"k", b"new")];
        let mut write = pin!(cache.apply(b"ns", &ops, Limits::NONE));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(write.as_mut().poll(&mut cx).is_pending());
    } // dropped before it reached the backend
    assert_eq!(get(&cache, b"ns", b"k"), Some(b"old".to_vec()));
    assert_eq!(get(&cache, b"ns", b"k"), Some(b"old".to_vec()));
    assert_eq!(cache.inner().gets(), 1, "the second read was a hit");
}

#[test]
fn cached_bytes_never_pass_the_capacity() {
    for cap in [1u64, 300, TINY, 64 * 1024, 1 << 20, 3 << 20, 8 << 20] {
        let cache = ReadCache::new(MemoryBackend::new(), cap);
        for i in 0..2000u64 {
            let key = i.to_le_bytes();
            let len = ((i * 7919) % 3000) as usize;
            if i % 3 != 0 {
                apply(&cache, b"ns", &[put(&key, &vec![1; len])]);
            }
            get(&cache, b"ns", &key);
            assert!(
                cache.cached_bytes() <= cap,
                "cap {cap}: {} cached",
                cache.cached_bytes()
            );
        }
        assert_eq!(cache.capacity_bytes(), cap);
        if cap >= TINY {
            assert!(
                cache.cached_entries() > 0,
                "cap {cap}: something stays cached"
            );
        }
    }
}

#[test]
fn readers_evicting_from_each_others_shards_keep_the_budget_and_the_values() {
    let cap = 4 << 20;
    let cache = ReadCache::new(MemoryBackend::new(), cap);
    let value = |k: u64| vec![k as u8; 1024 + (k as usize * 7919) % (60 << 10)];
    for k in 0..400u64 {
        apply(&cache, b"ns", &[put(&k.to_le_bytes(), &value(k))]);
    }
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let cache = &cache;
            s.spawn(move || {
                for i in 0..3000u64 {
                    let k = (i * 31 + t * 97) % 400;
                    assert_eq!(get(cache, b"ns", &k.to_le_bytes()), Some(value(k)));
                    assert!(cache.cached_bytes() <= cap);
                }
            });
        }
    });
    assert!(cache.cached_bytes() <= cap && cache.cached_entries() > 0);
}

#[test]
fn the_bytes_counted_are_namespace_key_value_and_overhead() {
    let cache = ReadCache::new(MemoryBackend::new(), 1 << 20);
    apply(&cache, b"ns", &[put(b"key", &[0; 100])]);
    get(&cache, b"ns", b"key");
    get(&cache, b"ns", b"missing");
    let overhead = ReadCache::<MemoryBackend>::ENTRY_OVERHEAD;
    // Each entry: the namespace's length (8 bytes), the namespace, the key, the value (the
    // overhead covers the handle and its decoded memo).
    let value = 8 + 2 + 3 + 100 + overhead;
    let miss = 8 + 2 + 7 + overhead;
    assert_eq!(cache.cached_bytes(), value + miss);
    assert_eq!(cache.cached_entries(), 2);
}

#[test]
fn filling_the_memo_never_adds_to_the_bytes_counted() {
    let (store, ns) = cached_store(1 << 20);
    let value = JsValue::from("v".repeat(1000));
    block_on(store.set(&ns, &Policy::WX, "k", &value, Default::default())).unwrap();
    let first = block_on(store.backend().get_shared(&ns.encode(), b"k")).unwrap();
    let counted = store.backend().cached_bytes();
    assert_eq!(
        counted,
        8 + ns.encode().len() as u64
            + 1
            + first.map_or(0, |v| v.len() as u64)
            + ReadCache::<MemoryBackend>::ENTRY_OVERHEAD
    );
    for _ in 0..2 {
        assert_eq!(
            block_on(store.get(&ns, "k", false)).unwrap(),
            Some(value.clone())
        );
    }
    assert_eq!(
        store.backend().cached_bytes(),
        counted,
        "the memo is in the overhead"
    );
}

/// A store over a read cache of `capacity` bytes, and a namespace in it.
fn cached_store(capacity: u64) -> (Store<ReadCache<MemoryBackend>>, Namespace) {
    let store = Store::new(ReadCache::new(MemoryBackend::new(), capacity));
    (store, Namespace::local("u", "app", Scope::App).unwrap())
}

/// Stores `value`, reads it twice through a store over a cache of `capacity`: whether the two
/// answers share one text (a String's), and that a write in between is seen.
fn shares(name: &str, capacity: u64, value: JsValue, shared: bool) {
    let (store, ns) = cached_store(capacity);
    let set = |v: &JsValue| {
        block_on(store.set(&ns, &Policy::WX, "k", v, Default::default())).expect("set");
    };
    let read = || {
        block_on(store.get(&ns, "k", false))
            .expect("get")
            .expect("stored")
    };
    set(&value);
    let (first, second) = (read(), read());
    assert_eq!((&first, &second), (&value, &value), "{name}");
    let same_text = match (&first, &second) {
        (JsValue::String(a), JsValue::String(b)) => JsString::ptr_eq(a, b),
        _ => false,
    };
    assert_eq!(same_text, shared, "{name}: one text shared by both reads");
    let newer = JsValue::from(vec![value, JsValue::from("newer")]);
    set(&newer);
    assert_eq!(read(), newer, "{name}: a write in between is seen");
}

#[test]
fn a_cached_string_is_shared_not_copied() {
    let long = || JsValue::from("杭州".repeat(20 * 1024));
    shares("a 120 KiB string", 1 << 20, long(), true);
    shares("a short string", 1 << 20, JsValue::from("v"), true);
    shares("the empty string", 1 << 20, JsValue::from(""), true);
    shares("no cache: decoded anew", 0, long(), false);
    shares("larger than a shard: decoded anew", 64 << 10, long(), false);
    shares("a number", 1 << 20, JsValue::from(1.5), false);
    let object: JsObject = [("a", "b")].into_iter().collect();
    shares("an object: decoded anew", 1 << 20, object.into(), false);
    shares(
        "an array",
        1 << 20,
        JsValue::from(vec![JsValue::from("x")]),
        false,
    );
}

#[test]
fn a_memoised_value_still_checks_how_it_is_read() {
    let (store, ns) = cached_store(1 << 20);
    let encrypted = SetOptions { encrypt: true };
    let value = JsValue::from("secret");
    block_on(store.set(&ns, &Policy::WX, "k", &value, encrypted)).unwrap();
    for _ in 0..2 {
        let read = |encrypt| block_on(store.get(&ns, "k", encrypt));
        assert_eq!(read(true).unwrap(), Some(value.clone()));
        assert!(matches!(read(false), Err(Error::EncryptMismatch)));
    }
}

/// A hit hands out the cached handle itself; a write makes the next read a new one.
#[test]
fn get_shared_hands_out_the_cached_handle() {
    let cache = ReadCache::new(Under::default(), 1 << 20);
    apply(&cache, b"ns", &[put(b"k", b"old")]);
    let shared = || {
        block_on(cache.get_shared(b"ns", b"k"))
            .unwrap()
            .expect("stored")
    };
    let (a, b) = (shared(), shared());
    assert!(StoredValue::ptr_eq(&a, &b));
    assert_eq!((a.bytes(), cache.inner().gets()), (&b"old"[..], 1));
    apply(&cache, b"ns", &[put(b"k", b"new")]);
    let c = shared();
    assert_eq!(c.bytes(), b"new");
    assert!(!StoredValue::ptr_eq(&a, &c));
    assert_eq!(
        a.bytes(),
        b"old",
        "a handle already handed out keeps its bytes"
    );
}

/// The bytes `get_many` answers for `pairs`.
fn many<B: Backend>(b: &B, pairs: &[(&[u8], &[u8])]) -> Vec<Option<StoredValue>> {
    let answers = block_on(b.get_many(pairs)).expect("get_many");
    assert_eq!(answers.len(), pairs.len(), "one answer per pair");
    answers
}

/// A batch answers its hits with the cached handles and asks the backend underneath once for
/// all its misses, which it caches.
#[test]
fn get_many_answers_hits_from_memory_and_reads_the_misses_in_one_batch() {
    let cache = ReadCache::new(Under::default(), 1 << 20);
    apply(&cache, b"ns", &[put(b"a", b"1"), put(b"b", b"2")]);
    apply(&cache, b"other", &[put(b"a", b"3")]);
    let a = block_on(cache.get_shared(b"ns", b"a"))
        .unwrap()
        .expect("stored");
    assert_eq!(cache.inner().gets(), 1);
    let pairs: [(&[u8], &[u8]); 5] = [
        (b"ns", b"a"),
        (b"ns", b"b"),
        (b"other", b"a"),
        (b"ns", b"missing"),
        (b"ns", b"a"),
    ];
    let bytes = |answers: &[Option<StoredValue>]| -> Vec<Option<Vec<u8>>> {
        answers
            .iter()
            .map(|v| v.as_ref().map(|v| v.bytes().to_vec()))
            .collect()
    };
    let expected = [
        Some(b"1".to_vec()),
        Some(b"2".to_vec()),
        Some(b"3".to_vec()),
        None,
        Some(b"1".to_vec()),
    ];
    let first = many(&cache, &pairs);
    assert_eq!(bytes(&first), expected);
    assert!(
        StoredValue::ptr_eq(first[0].as_ref().unwrap(), &a),
        "a hit is the cached handle"
    );
    assert!(
        StoredValue::ptr_eq(first[4].as_ref().unwrap(), &a),
        "so is a repeat"
    );
    assert_eq!(cache.inner().gets(), 4, "the three misses, read beneath");
    let again = many(&cache, &pairs);
    assert_eq!(bytes(&again), expected);
    assert_eq!(
        cache.inner().gets(),
        4,
        "the misses were cached, the missing key too"
    );
    assert!(StoredValue::ptr_eq(
        again[1].as_ref().unwrap(),
        first[1].as_ref().unwrap()
    ));
    apply(&cache, b"ns", &[put(b"b", b"22")]);
    assert_eq!(
        bytes(&many(&cache, &pairs[1..2])),
        [Some(b"22".to_vec())],
        "a write invalidates"
    );
}

/// A batch that read the old value before a write, and would cache it after the write has
/// returned, must not: the next read sees the write.
#[test]
fn a_batch_overtaken_by_a_whole_write_does_not_cache_what_it_read() {
    let cache = ReadCache::new(Under::default(), 1 << 20);
    apply(&cache, b"ns", &[put(b"k", b"old")]);
    let reader = cache.inner().got.arm();
    std::thread::scope(|s| {
        let slow = s.spawn(|| many(&cache, &[(b"ns", b"k")]));
        reader.wait(); // it has read "old" underneath
        apply(&cache, b"ns", &[put(b"k", b"new")]);
        reader.release();
        let slow = slow.join().unwrap();
        assert_eq!(
            slow[0].as_ref().map(StoredValue::bytes),
            Some(&b"old"[..]),
            "it overlapped the write"
        );
    });
    assert_eq!(get(&cache, b"ns", b"k"), Some(b"new".to_vec()));
    assert_eq!(
        many(&cache, &[(b"ns", b"k")])[0]
            .as_ref()
            .map(StoredValue::bytes),
        Some(&b"new"[..])
    );
}

/// One step of the model test.
#[derive(Debug, Clone)]
enum Step {
    Get(usize, u8),
    GetMany(Vec<(usize, u8)>),
    Apply(usize, Vec<(u8, Option<usize>)>, bool),
    Clear(usize),
    Drop(usize),
}

/// Namespaces that are prefixes of each other.
const NAMESPACES: [&[u8]; 3] = [b"", b"a", b"ab"];

fn step() -> impl Strategy<Value = Step> {
    let ns = 0..NAMESPACES.len();
    let key = 0u8..6;
    prop_oneof![
        6 => (ns.clone(), key.clone()).prop_map(|(n, k)| Step::Get(n, k)),
        3 => prop::collection::vec((ns.clone(), key.clone()), 0..8).prop_map(Step::GetMany),
        4 => (
            ns.clone(),
            prop::collection::vec((key, prop::option::of(0usize..700)), 0..4),
            any::<bool>()
        )
            .prop_map(|(n, ops, tight)| Step::Apply(n, ops, tight)),
        1 => ns.clone().prop_map(Step::Clear),
        1 => ns.prop_map(Step::Drop),
    ]
}

/// Runs `step` on `b`; the answer, for comparison with the model.
fn run<B: Backend>(b: &B, step: &Step, version: usize) -> String {
    match step {
        Step::Get(n, k) => format!("{:?}", block_on(b.get(NAMESPACES[*n], &[*k]))),
        Step::GetMany(pairs) => {
            let keys: Vec<[u8; 1]> = pairs.iter().map(|(_, k)| [*k]).collect();
            let pairs: Vec<(&[u8], &[u8])> = pairs
                .iter()
                .zip(&keys)
                .map(|((n, _), k)| (NAMESPACES[*n], &k[..]))
                .collect();
            let answers = block_on(b.get_many(&pairs)).map(|a| {
                a.into_iter()
                    .map(|v| v.map(StoredValue::into_vec))
                    .collect::<Vec<_>>()
            });
            format!("{answers:?}")
        }
        Step::Apply(n, ops, tight) => {
            let ops: Vec<Op> = ops
                .iter()
                .map(|(k, v)| match v {
                    // The version makes every put write new bytes.
                    Some(len) => put(
                        &[*k],
                        &[vec![version as u8; *len], version.to_le_bytes().to_vec()].concat(),
                    ),
                    None => del(&[*k]),
                })
                .collect();
            let limits = if *tight {
                Limits {
                    max_bytes: 1500,
                    max_entries: 3,
                }
            } else {
                Limits::NONE
            };
            format!("{:?}", block_on(b.apply(NAMESPACES[*n], &ops, limits)))
        }
        Step::Clear(n) => format!("{:?}", block_on(b.clear(NAMESPACES[*n]))),
        Step::Drop(n) => format!("{:?}", block_on(b.drop_namespace(NAMESPACES[*n]))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(testkit::cases()))]

    #[test]
    fn answers_as_the_backend_underneath_would(
        steps in prop::collection::vec(step(), 1..60),
        cap in prop_oneof![Just(0u64), 1u64..4000, Just(8u64 << 20)],
    ) {
        let cache = ReadCache::new(MemoryBackend::new(), cap);
        let model = MemoryBackend::new();
        for (i, s) in steps.iter().enumerate() {
            prop_assert_eq!(run(&cache, s, i), run(&model, s, i), "step {}: {:?}", i, s);
            prop_assert!(cache.cached_bytes() <= cap);
        }
        for ns in NAMESPACES {
            prop_assert_eq!(block_on(cache.list(ns)).unwrap(), block_on(model.list(ns)).unwrap());
        }
    }
}

/// A read that read the old value before a write, and would cache it after the write has
/// returned, must not: the next read sees the write.
#[test]
fn a_read_overtaken_by_a_whole_write_does_not_cache_what_it_read() {
    let cache = ReadCache::new(Under::default(), 1 << 20);
    apply(&cache, b"ns", &[put(b"k", b"old")]);
    let reader = cache.inner().got.arm();
    std::thread::scope(|s| {
        let slow = s.spawn(|| get(&cache, b"ns", b"k"));
        reader.wait(); // it has read "old" underneath
        apply(&cache, b"ns", &[put(b"k", b"new")]);
        reader.release();
        assert_eq!(
            slow.join().unwrap(),
            Some(b"old".to_vec()),
            "it overlapped the write"
        );
    });
    assert_eq!(get(&cache, b"ns", b"k"), Some(b"new".to_vec()));
}

/// While a write is in flight, one read may see the new value underneath and another, slower,
/// the old one; neither may cache: else a later read would go back to "old" after a read saw
/// "new".
#[test]
fn no_read_caches_while_a_write_is_in_flight() {
    let cache = ReadCache::new(Under::default(), 1 << 20);
    apply(&cache, b"ns", &[put(b"k", b"old")]);
    let (writer, reader) = (cache.inner().applying.arm(), cache.inner().got.arm());
    std::thread::scope(|s| {
        let write = s.spawn(|| apply(&cache, b"ns", &[put(b"k", b"new")]));
        writer.wait(); // the write has begun, not yet reached the backend
        let slow = s.spawn(|| get(&cache, b"ns", b"k"));
        reader.wait(); // the slow read has read "old" underneath
        let committed = cache.inner().applied.arm();
        writer.release();
        committed.wait(); // "new" is in the backend; the write has not returned
        let first = get(&cache, b"ns", b"k");
        reader.release();
        let slow = slow.join().unwrap();
        let then = get(&cache, b"ns", b"k");
        committed.release(); // before asserting, so a failure cannot leave the writer stuck
        write.join().unwrap();
        assert_eq!(
            [first, slow, then],
            [
                Some(b"new".to_vec()),
                Some(b"old".to_vec()),
                Some(b"new".to_vec())
            ],
            "a read went back to old"
        );
    });
    assert_eq!(get(&cache, b"ns", b"k"), Some(b"new".to_vec()));
}

/// A batch is seen whole: once a read saw one of its keys new, no read sees another of its keys
/// old, even one that was cached before the batch began.
#[test]
fn a_batch_in_flight_is_seen_whole() {
    let cache = ReadCache::new(Under::default(), 1 << 20);
    apply(&cache, b"ns", &[put(b"a", b"old"), put(b"b", b"old")]);
    assert_eq!(get(&cache, b"ns", b"a"), Some(b"old".to_vec())); // "a" is cached, "b" is not
    let committed = cache.inner().applied.arm();
    std::thread::scope(|s| {
        let write = s.spawn(|| apply(&cache, b"ns", &[put(b"a", b"new"), put(b"b", b"new")]));
        committed.wait(); // both are new underneath; the write has not returned
        let seen = [get(&cache, b"ns", b"b"), get(&cache, b"ns", b"a")];
        committed.release(); // before asserting, so a failure cannot leave the writer stuck
        write.join().unwrap();
        assert_eq!(
            seen,
            [Some(b"new".to_vec()), Some(b"new".to_vec())],
            "half a batch"
        );
    });
}

const KEYS: usize = 4;
const WRITES: u64 = 1500;

/// Writers put rising versions; each publishes the last version whose write has returned.
/// Readers check that no read ever answers older than what was published before it began, nor
/// older than their own previous read of the key.
#[test]
fn no_reader_sees_a_value_older_than_a_completed_write() {
    for cap in [TINY, 8 << 20] {
        let cache = ReadCache::new(Under::racy(), cap);
        let done: Vec<AtomicU64> = (0..KEYS).map(|_| AtomicU64::new(0)).collect();
        let finished = AtomicBool::new(false);
        let version = |v: Option<Vec<u8>>| {
            v.map_or(0, |b| {
                u64::from_be_bytes(b[..8].try_into().expect("8 bytes"))
            })
        };
        std::thread::scope(|s| {
            let writers: Vec<_> = (0..2)
                .map(|w| {
                    let (cache, done) = (&cache, &done);
                    s.spawn(move || {
                        for v in 1..=WRITES {
                            // Writer `w` owns keys w, w + 2, ...
                            let k = w + 2 * (v as usize % (KEYS / 2));
                            let value = [v.to_be_bytes().as_slice(), &[0; 40]].concat();
                            apply(cache, b"ns", &[put(&[k as u8], &value)]);
                            done[k].store(v, Ordering::Release);
                        }
                    })
                })
                .collect();
            for _ in 0..2 {
                let (cache, done, finished) = (&cache, &done, &finished);
                s.spawn(move || {
                    let mut seen = [0u64; KEYS];
                    let mut i = 0usize;
                    while !finished.load(Ordering::Acquire) {
                        i += 1;
                        let k = i % KEYS;
                        let floor = done[k].load(Ordering::Acquire).max(seen[k]);
                        let got = version(get(cache, b"ns", &[k as u8]));
                        assert!(
                            got >= floor,
                            "cap {cap}: key {k} read version {got} after {floor}"
                        );
                        seen[k] = got;
                    }
                });
            }
            for w in writers {
                w.join().expect("writer");
            }
            finished.store(true, Ordering::Release);
        });
        for (k, d) in done.iter().enumerate() {
            assert_eq!(
                version(get(&cache, b"ns", &[k as u8])),
                d.load(Ordering::Acquire)
            );
        }
    }
}
