//! Model-based stress of the whole stack: many threads and tokio tasks calling every dialect's
//! local-storage APIs at once, on a handful of namespaces kept near their 10 MB quotas, over
//! encrypted sled, checked continuously against a model.
//!
//! Each namespace is filled with ballast to just under its quota, then worked on by six workers,
//! one per door: `wx`, `my` and `tt`, each in its Sync form on an OS thread and in its async form
//! as a tokio task (a third of whose calls go through `success` / `fail` / `complete` callbacks
//! in a task of their own, checked to run exactly once each, in order, with the same payload). A worker owns its keys (no other worker writes them), so its own model says
//! exactly what each of its reads must return, in its dialect's shape, and which of its keys
//! `getStorageInfo` must list; whether a write is stored or refused for the quota depends on the
//! other workers, so the model takes the outcome the store reports and checks everything after
//! it. Reads of other workers' keys must return a value that worker did write (or nothing).
//!
//! While the workers run, a checker thread keeps reading every namespace's listing and usage at
//! one instant: no namespace ever passes its quota, and the usage always counts the entries
//! listed. Between rounds, with every worker stopped, the whole store is compared with the
//! models: the same keys, each worker's keys in its own insertion order, the same values, and
//! usage (bytes and entries) equal to the sum of the model's charges, in every dialect's
//! `getStorageInfo`.
//!
//! Short by default (a few seconds); `MPSTORE_STRESS_ROUNDS` and `MPSTORE_STRESS_OPS` (per worker
//! per round) make it longer; `MPSTORE_STRESS_SEED` replays a run's choices.

use mpstore_tests::rng::Rng;
use serde_json::Value;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use storage_api::{
    Call, GetStorageOption, KvItem, MiniProgram, Mpstore, MyError, MySyncFailure, SetStorageOption,
    TtError, WxError,
};
use storage_core::codes::ApiKind;
use storage_core::policy::TEN_MB;
use storage_core::{block_on, Dialect, Error, JsDate, JsObject, JsValue, Namespace, Scope};
use storage_crypto::RawKeyProvider;
use storage_sled::{Durability, SledOptions};

// ---- configuration ----

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Room left under each namespace's quota after the ballast, in UTF-16 units: a few of the
/// larger writes fill it, so the quota refuses writes all the time.
const HEADROOM: u64 = 60_000;
/// Keys each worker owns.
const OWN_KEYS: u64 = 5;

// ---- the doors: one dialect in one calling form ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    WxSync,
    WxAsync,
    MySync,
    MyAsync,
    TtSync,
    TtAsync,
}

const DOORS: [Door; 6] = [
    Door::WxSync,
    Door::WxAsync,
    Door::MySync,
    Door::MyAsync,
    Door::TtSync,
    Door::TtAsync,
];

/// What a write did.
#[derive(Debug, PartialEq)]
enum Write {
    Stored,
    /// Refused with the dialect's documented quota error.
    Refused,
}

/// What a read saw.
#[derive(Debug, PartialEq)]
enum Read {
    Missing,
    Found(JsValue),
    /// The dialect's documented `encrypt mismatch` failure.
    Mismatch,
}

fn json<T: serde::Serialize>(t: T) -> Value {
    serde_json::to_value(t).unwrap()
}

impl Door {
    fn dialect(self) -> Dialect {
        match self {
            Door::WxSync | Door::WxAsync => Dialect::Wx,
            Door::MySync | Door::MyAsync => Dialect::My,
            Door::TtSync | Door::TtAsync => Dialect::Tt,
        }
    }

    fn is_async(self) -> bool {
        matches!(self, Door::WxAsync | Door::MyAsync | Door::TtAsync)
    }

    /// The documented failure of `api` (its async name) through this door, from the one table.
    fn failure(self, api: &str, kind: ApiKind, err: &Error) -> Value {
        let name = if self.is_async() {
            api.to_owned()
        } else {
            format!("{api}Sync")
        };
        match self {
            Door::WxSync | Door::WxAsync => json(WxError::new(&name, kind, err)),
            Door::TtSync | Door::TtAsync => json(TtError::new(&name, kind, err)),
            Door::MyAsync => json(MyError::new(kind, err)),
            Door::MySync => json(MySyncFailure::new(kind, err)),
        }
    }

    fn quota_error(self, api: &str) -> Value {
        let err = Error::QuotaExceeded { after: 0, limit: 0 };
        self.failure(api, ApiKind::LocalWrite, &err)
    }

    /// `setStorage` (with `encrypt`, which only the async WeChat door passes).
    async fn set(
        self,
        mp: &MiniProgram,
        key: &str,
        value: JsValue,
        encrypt: bool,
        callbacks: bool,
    ) -> Write {
        let option = SetStorageOption::new(key, value.clone()).encrypt(encrypt);
        let result = match self {
            Door::WxSync => mp.wx().set_storage_sync(key, value).map_err(json),
            Door::WxAsync => settle(mp.wx().set_storage_with(option), callbacks)
                .await
                .map(drop)
                .map_err(json),
            Door::MySync => mp
                .my()
                .set_storage_sync(key, value)
                .into_result()
                .map(drop)
                .map_err(json),
            Door::MyAsync => settle(mp.my().set_storage(key, value), callbacks)
                .await
                .map(drop)
                .map_err(json),
            Door::TtSync => mp.tt().set_storage_sync(key, value).map_err(json),
            Door::TtAsync => settle(mp.tt().set_storage(key, value), callbacks)
                .await
                .map(drop)
                .map_err(json),
        };
        match result {
            Ok(()) => Write::Stored,
            Err(e) if e == self.quota_error("setStorage") => Write::Refused,
            Err(e) => panic!("{self:?} setStorage({key:?}) failed: {e}"),
        }
    }

    /// WeChat's `batchSetStorage`: all or nothing.
    async fn set_batch(self, mp: &MiniProgram, items: &[(String, JsValue)]) -> Write {
        let kv = items
            .iter()
            .map(|(k, v)| KvItem::new(k.as_str(), v.clone()));
        let result = match self {
            Door::WxSync => mp.wx().batch_set_storage_sync(kv).map_err(json),
            Door::WxAsync => mp.wx().batch_set_storage(kv).await.map(drop).map_err(json),
            _ => unreachable!("only WeChat has batches"),
        };
        match result {
            Ok(()) => Write::Stored,
            Err(e) if e == self.quota_error("batchSetStorage") => Write::Refused,
            Err(e) => panic!("{self:?} batchSetStorage failed: {e}"),
        }
    }

    async fn remove(self, mp: &MiniProgram, key: &str) {
        let result = match self {
            Door::WxSync => mp.wx().remove_storage_sync(key).map_err(json),
            Door::WxAsync => mp.wx().remove_storage(key).await.map(drop).map_err(json),
            Door::MySync => mp
                .my()
                .remove_storage_sync(key)
                .into_result()
                .map(drop)
                .map_err(json),
            Door::MyAsync => mp.my().remove_storage(key).await.map(drop).map_err(json),
            Door::TtSync => mp.tt().remove_storage_sync(key).map_err(json),
            Door::TtAsync => mp.tt().remove_storage(key).await.map(drop).map_err(json),
        };
        result.unwrap_or_else(|e| panic!("{self:?} removeStorage({key:?}) failed: {e}"));
    }

    async fn clear(self, mp: &MiniProgram) {
        let result = match self {
            Door::WxSync => mp.wx().clear_storage_sync().map_err(json),
            Door::WxAsync => mp.wx().clear_storage().await.map(drop).map_err(json),
            Door::MySync => mp
                .my()
                .clear_storage_sync()
                .into_result()
                .map(drop)
                .map_err(json),
            Door::MyAsync => mp.my().clear_storage().await.map(drop).map_err(json),
            Door::TtSync => mp.tt().clear_storage_sync().map_err(json),
            Door::TtAsync => mp.tt().clear_storage().await.map(drop).map_err(json),
        };
        result.unwrap_or_else(|e| panic!("{self:?} clearStorage failed: {e}"));
    }

    /// `getStorage`, read as each dialect reports a missing key. Stored values are never `""`
    /// or `null`, which some forms cannot tell from a missing key.
    async fn get(self, mp: &MiniProgram, key: &str, encrypt: bool, callbacks: bool) -> Read {
        let missing = |v: JsValue| match v {
            JsValue::String(s) if s.is_empty() => Read::Missing,
            JsValue::Null => Read::Missing,
            v => Read::Found(v),
        };
        let result = match self {
            Door::WxSync => mp.wx().get_storage_sync(key).map(missing).map_err(json),
            Door::WxAsync => {
                let option = GetStorageOption::new(key).encrypt(encrypt);
                settle(mp.wx().get_storage_with(option), callbacks)
                    .await
                    .map(|r| Read::Found(r.data))
                    .map_err(json)
            }
            Door::MySync => mp
                .my()
                .get_storage_sync(key)
                .into_result()
                .map(|r| missing(r.data))
                .map_err(json),
            Door::MyAsync => settle(mp.my().get_storage(key), callbacks)
                .await
                .map(|r| missing(r.data))
                .map_err(json),
            Door::TtSync => mp.tt().get_storage_sync(key).map(missing).map_err(json),
            Door::TtAsync => settle(mp.tt().get_storage(key), callbacks)
                .await
                .map(|r| Read::Found(r.data))
                .map_err(json),
        };
        let kind = ApiKind::LocalRead;
        match result {
            Ok(read) => read,
            Err(e)
                if e == self.failure("getStorage", kind, &Error::NotFound { key: key.into() }) =>
            {
                Read::Missing
            }
            Err(e) if e == self.failure("getStorage", kind, &Error::EncryptMismatch) => {
                Read::Mismatch
            }
            Err(e) => panic!("{self:?} getStorage({key:?}) failed: {e}"),
        }
    }

    /// `getStorageInfo`: (keys, currentSize).
    async fn info(self, mp: &MiniProgram) -> (Vec<String>, u64) {
        let shown = match self {
            Door::WxSync => mp
                .wx()
                .get_storage_info_sync()
                .map(|i| (i.keys, i.current_size))
                .map_err(json),
            Door::WxAsync => mp
                .wx()
                .get_storage_info()
                .await
                .map(|i| (i.keys, i.current_size))
                .map_err(json),
            Door::MySync => mp
                .my()
                .get_storage_info_sync()
                .into_result()
                .map(|i| (i.keys, i.current_size))
                .map_err(json),
            Door::MyAsync => mp
                .my()
                .get_storage_info()
                .await
                .map(|i| (i.keys, i.current_size))
                .map_err(json),
            Door::TtSync => mp
                .tt()
                .get_storage_info_sync()
                .map(|i| (i.keys, i.current_size))
                .map_err(json),
            Door::TtAsync => mp
                .tt()
                .get_storage_info()
                .await
                .map(|i| (i.keys, i.current_size))
                .map_err(json),
        };
        shown.unwrap_or_else(|e| panic!("{self:?} getStorageInfo failed: {e}"))
    }
}

/// Awaits `call` through its callbacks, in a task of its own on the runtime, and checks the
/// platforms' rule: exactly one of `success` and `fail` runs, then `complete`, with the same
/// payload. Returns what the Promise form would have.
async fn through_callbacks<S, F>(call: Call<S, F>) -> Result<S, F>
where
    S: Clone + PartialEq + std::fmt::Debug + Send + 'static,
    F: Clone + PartialEq + std::fmt::Debug + Send + 'static,
{
    #[derive(Debug)]
    enum Event<S, F> {
        Success(S),
        Fail(F),
        Complete(Result<S, F>),
    }
    let log = Arc::new(Mutex::new(Vec::new()));
    let (a, b, c) = (log.clone(), log.clone(), log.clone());
    let pending = call
        .success(move |s| a.lock().unwrap().push(Event::Success(s)))
        .fail(move |f| b.lock().unwrap().push(Event::Fail(f)))
        .complete(move |r| c.lock().unwrap().push(Event::Complete(r)));
    tokio::spawn(pending)
        .await
        .expect("the callback task panicked");
    let events = std::mem::take(&mut *log.lock().unwrap());
    CALLBACK_CALLS.fetch_add(1, Ordering::Relaxed);
    match <[Event<S, F>; 2]>::try_from(events) {
        Ok([Event::Success(s), Event::Complete(Ok(again))]) if s == again => Ok(s),
        Ok([Event::Fail(f), Event::Complete(Err(again))]) if f == again => Err(f),
        other => panic!("callbacks broke the exactly-once rule: {other:?}"),
    }
}

/// Calls made through callbacks, for the figures.
static CALLBACK_CALLS: AtomicU64 = AtomicU64::new(0);

/// Awaits `call` as a Promise or, when `callbacks`, through its callbacks.
async fn settle<S, F>(call: Call<S, F>, callbacks: bool) -> Result<S, F>
where
    S: Clone + PartialEq + std::fmt::Debug + Send + 'static,
    F: Clone + PartialEq + std::fmt::Debug + Send + 'static,
{
    if callbacks {
        through_callbacks(call).await
    } else {
        call.await
    }
}

// ---- the model ----

/// One stored entry as its owner's model has it.
#[derive(Debug, Clone)]
struct Entry {
    key: String,
    value: JsValue,
    encrypt: bool,
    /// What it counts toward the namespace's usage (in the writing dialect's unit).
    charge: u64,
}

/// A worker's keys, in insertion order.
#[derive(Debug, Clone, Default)]
struct Model {
    entries: Vec<Entry>,
}

impl Model {
    fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
    fn set(&mut self, entry: Entry) {
        match self.entries.iter_mut().find(|e| e.key == entry.key) {
            Some(e) => *e = entry,
            None => self.entries.push(entry),
        }
    }
    fn remove(&mut self, key: &str) {
        self.entries.retain(|e| e.key != key);
    }
}

fn fingerprint(value: &JsValue) -> u64 {
    let mut h = DefaultHasher::new();
    storage_core::value::encode(value).hash(&mut h);
    h.finish()
}

/// Everything the workers share.
struct Shared {
    store: Mpstore,
    /// Every (value fingerprint, encrypt) ever sent to each key, recorded before the call.
    written: Mutex<HashMap<String, Vec<(u64, bool)>>>,
    ops: AtomicU64,
    refused: AtomicU64,
    foreign_reads: AtomicU64,
}

impl Shared {
    fn record(&self, key: &str, value: &JsValue, encrypt: bool) {
        let mut w = self.written.lock().unwrap();
        w.entry(key.to_owned())
            .or_default()
            .push((fingerprint(value), encrypt));
    }
}

/// The namespaces under stress.
fn namespaces(store: &Mpstore) -> Vec<MiniProgram> {
    let app = store
        .mini_program("stress-user", "app-a", Scope::App)
        .unwrap();
    vec![
        app.web_view(),
        app.plugin("plugin-1").unwrap(),
        store
            .mini_program("stress-user-2", "app-b", Scope::App)
            .unwrap(),
        app,
    ]
}

/// One worker: a door, the namespace it works on, its keys and its model.
struct Worker {
    id: usize,
    door: Door,
    mp: MiniProgram,
    /// Other workers' keys in the same namespace.
    neighbours: Vec<String>,
    model: Model,
}

impl Worker {
    fn key(&self, j: u64) -> String {
        // Non-ASCII, separators and emoji: keys are any Unicode.
        format!("w{}/k{j}:键🔑", self.id)
    }

    fn charge(&self, key: &str, value: &JsValue, encrypt: bool) -> u64 {
        let policy = self.door.dialect().policy();
        policy
            .check_entry(key, value, encrypt)
            .expect("generated entries are within limits")
    }

    /// `value` as this worker's dialect stores it (a read returns this).
    fn stored(&self, value: &JsValue) -> JsValue {
        self.door.dialect().spec().values.stored(value.clone())
    }

    /// One round of `ops` random calls, each checked against the model.
    async fn run(&mut self, shared: &Shared, seed: u64, round: u64, ops: u64) {
        let mut rng = Rng::new(seed, (round << 20) | self.id as u64);
        for i in 0..ops {
            let key = self.key(rng.below(OWN_KEYS));
            let context = format!("worker {} ({:?}) round {round} op {i}", self.id, self.door);
            let roll = rng.below(100);
            match roll {
                0..=34 => {
                    let encrypt = self.door == Door::WxAsync && rng.below(4) == 0;
                    let value = value(&mut rng, &format!("{}:{round}:{i}", self.id));
                    let stored = self.stored(&value);
                    let charge = self.charge(&key, &value, encrypt);
                    shared.record(&key, &stored, encrypt);
                    let callbacks = self.door.is_async() && rng.below(3) == 0;
                    match self
                        .door
                        .set(&self.mp, &key, value, encrypt, callbacks)
                        .await
                    {
                        Write::Stored => self.model.set(Entry {
                            key,
                            value: stored,
                            encrypt,
                            charge,
                        }),
                        Write::Refused => {
                            shared.refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                35..=41 if self.door.dialect() == Dialect::Wx => {
                    let n = 2 + rng.below(2);
                    let items: Vec<(String, JsValue)> = (0..n)
                        .map(|j| {
                            let k = self.key((rng.below(OWN_KEYS) + j) % OWN_KEYS);
                            (k, value(&mut rng, &format!("{}:{round}:{i}:{j}", self.id)))
                        })
                        .collect();
                    let mut items = items;
                    items.sort_by(|a, b| a.0.cmp(&b.0));
                    items.dedup_by(|a, b| a.0 == b.0);
                    for (k, v) in &items {
                        shared.record(k, &self.stored(v), false);
                    }
                    match self.door.set_batch(&self.mp, &items).await {
                        Write::Stored => {
                            for (k, v) in items {
                                let charge = self.charge(&k, &v, false);
                                self.model.set(Entry {
                                    key: k,
                                    value: self.stored(&v),
                                    encrypt: false,
                                    charge,
                                });
                            }
                        }
                        Write::Refused => {
                            shared.refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                35..=49 => {
                    self.door.remove(&self.mp, &key).await;
                    self.model.remove(&key);
                }
                50..=74 => {
                    let expected = self.model.get(&key).cloned();
                    let encrypt = expected.as_ref().is_some_and(|e| e.encrypt);
                    let callbacks = self.door.is_async() && rng.below(3) == 0;
                    let read = self.door.get(&self.mp, &key, encrypt, callbacks).await;
                    let want = match expected {
                        None => Read::Missing,
                        Some(e) if e.encrypt && self.door != Door::WxAsync => Read::Mismatch,
                        Some(e) => Read::Found(e.value),
                    };
                    assert_eq!(read, want, "{context}: read of own key {key:?}");
                }
                75..=84 if !self.neighbours.is_empty() => {
                    let other = &self.neighbours[rng.below(self.neighbours.len() as u64) as usize];
                    let read = self.door.get(&self.mp, other, false, false).await;
                    let written = shared
                        .written
                        .lock()
                        .unwrap()
                        .get(other)
                        .cloned()
                        .unwrap_or_default();
                    match read {
                        Read::Missing => {}
                        Read::Found(v) => assert!(
                            written.iter().any(|(f, _)| *f == fingerprint(&v)),
                            "{context}: read of {other:?} returned a value never written: {v:?}"
                        ),
                        Read::Mismatch => assert!(
                            written.iter().any(|(_, encrypt)| *encrypt),
                            "{context}: {other:?} was never written with encrypt"
                        ),
                    }
                    shared.foreign_reads.fetch_add(1, Ordering::Relaxed);
                }
                75..=95 => {
                    let (keys, size) = self.door.info(&self.mp).await;
                    assert!(size <= TEN_MB / 1024, "{context}: currentSize {size} KB");
                    for j in 0..OWN_KEYS {
                        let k = self.key(j);
                        assert_eq!(
                            keys.contains(&k),
                            self.model.get(&k).is_some(),
                            "{context}: getStorageInfo lists own key {k:?}"
                        );
                    }
                    let own: Vec<&String> = keys
                        .iter()
                        .filter(|k| k.starts_with(&format!("w{}/", self.id)))
                        .collect();
                    let modelled: Vec<&String> =
                        self.model.entries.iter().map(|e| &e.key).collect();
                    assert_eq!(own, modelled, "{context}: insertion order of own keys");
                }
                _ => {
                    // A private namespace of this worker: set, then clear, then nothing is left.
                    let private = self.mp.plugin(format!("private-{}", self.id)).unwrap();
                    let v = value(&mut rng, "private");
                    assert_eq!(
                        self.door.set(&private, "p", v, false, false).await,
                        Write::Stored,
                        "{context}"
                    );
                    self.door.clear(&private).await;
                    assert_eq!(self.door.info(&private).await, (vec![], 0), "{context}");
                }
            }
            shared.ops.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A value no other call sends (for Strings and containers), of a size that often hits the
/// quota: mostly small, sometimes large. Never `""`, `null` or `undefined` (see [`Door::get`]).
fn value(rng: &mut Rng, tag: &str) -> JsValue {
    let len = match rng.below(100) {
        0..=59 => rng.below(100),
        60..=89 => rng.below(5_000),
        90..=97 => rng.below(50_000),
        _ => rng.below(190_000),
    } as usize;
    let fill = if rng.below(4) == 0 { '杭' } else { 'x' };
    let text = || {
        let mut s = format!("<{tag}>");
        s.extend(std::iter::repeat_n(fill, len));
        s
    };
    match rng.below(10) {
        0..=5 => JsValue::from(text()),
        // Not a top-level NaN: Alipay stores it as `null`, which reads as a missing key.
        6 => JsValue::Number([-0.0, 0.5, 1100.8989, 1e300, -5.0][rng.below(5) as usize]),
        7 => JsValue::Bool(rng.below(2) == 0),
        8 => {
            let o: JsObject = [
                ("tag", JsValue::from(tag)),
                ("when", JsDate::from_millis(1_557_813_466_000.0).into()),
                ("n", JsValue::Number(f64::NAN)),
                (
                    "list",
                    JsValue::from(vec![JsValue::Null, JsValue::Undefined, text().into()]),
                ),
            ]
            .into_iter()
            .collect();
            o.into()
        }
        _ => JsValue::from(vec![JsValue::from(tag), JsValue::from(len as f64)]),
    }
}

/// Fills a namespace to `HEADROOM` under its quota; returns the ballast (key, charge).
fn ballast(mp: &MiniProgram) -> Vec<(String, u64)> {
    let mut left = TEN_MB - HEADROOM;
    let mut out = Vec::new();
    for i in 0.. {
        if left == 0 {
            break;
        }
        let key = format!("ballast-{i}");
        let len = (left.min(1_000_000) - key.len() as u64) as usize;
        let value = JsValue::from("b".repeat(len));
        mp.wx().set_storage_sync(key.as_str(), value).unwrap();
        left -= (key.len() + len) as u64;
        out.push((key, (key_len(i) + len) as u64));
    }
    out
}

fn key_len(i: usize) -> usize {
    format!("ballast-{i}").len()
}

/// Checks, while workers run, what must hold at every instant: no namespace over its quota,
/// usage counting exactly the entries listed with it.
fn watch(store: &Mpstore, running: &AtomicBool) -> u64 {
    let namespaces: Vec<Namespace> = namespaces(store)
        .iter()
        .map(|m| m.namespace().clone())
        .collect();
    let mut checks = 0;
    while running.load(Ordering::Acquire) {
        for listed in block_on(store.namespaces()).unwrap() {
            assert!(
                listed.usage.bytes <= TEN_MB,
                "{:?} passed its quota: {:?}",
                listed.namespace,
                listed.usage
            );
        }
        for ns in &namespaces {
            let listing = block_on(store.backend().list(&ns.encode())).unwrap();
            assert_eq!(listing.keys.len() as u64, listing.usage.entries, "{ns:?}");
            assert!(
                listing.usage.bytes <= TEN_MB,
                "{ns:?} passed its quota: {:?}",
                listing.usage
            );
            checks += 1;
        }
    }
    checks
}

/// With every worker stopped: the store is exactly the ballast plus every worker's model.
fn verify(
    store: &Mpstore,
    mp: &MiniProgram,
    ballast: &[(String, u64)],
    workers: &[&Worker],
    context: &str,
) {
    let (keys, _) = block_on(Door::WxAsync.info(mp));
    let expected_count =
        ballast.len() + workers.iter().map(|w| w.model.entries.len()).sum::<usize>();
    assert_eq!(keys.len(), expected_count, "{context}: keys {keys:?}");
    let ballast_keys: Vec<&String> = ballast.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys.iter().take(ballast.len()).collect::<Vec<_>>(),
        ballast_keys,
        "{context}"
    );
    let mut bytes: u64 = ballast.iter().map(|(_, c)| c).sum();
    for w in workers {
        let own: Vec<&String> = keys
            .iter()
            .filter(|k| k.starts_with(&format!("w{}/", w.id)))
            .collect();
        let modelled: Vec<&String> = w.model.entries.iter().map(|e| &e.key).collect();
        assert_eq!(
            own, modelled,
            "{context}: worker {} keys in insertion order",
            w.id
        );
        for e in &w.model.entries {
            let read = block_on(Door::WxAsync.get(mp, &e.key, e.encrypt, false));
            assert_eq!(read, Read::Found(e.value.clone()), "{context}: {:?}", e.key);
            bytes += e.charge;
        }
    }
    let listing = block_on(store.backend().list(&mp.namespace().encode())).unwrap();
    let usage = (listing.usage.bytes, listing.usage.entries);
    assert_eq!(usage, (bytes, expected_count as u64), "{context}: usage");
    assert!(bytes <= TEN_MB, "{context}: over quota");
    for door in DOORS {
        let (k, size) = block_on(door.info(mp));
        assert_eq!(
            (k.len(), size),
            (keys.len(), bytes.div_ceil(1024)),
            "{context}: {door:?}"
        );
    }
}

#[test]
fn every_dialect_at_once_near_the_quota_matches_the_model() {
    let rounds = env_or("MPSTORE_STRESS_ROUNDS", 5);
    let ops = env_or("MPSTORE_STRESS_OPS", 60);
    let seed = env_or("MPSTORE_STRESS_SEED", {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        nanos ^ u64::from(std::process::id())
    });
    println!("stress: {rounds} rounds of {ops} ops per worker, MPSTORE_STRESS_SEED={seed}");

    let dir = tempfile::tempdir().unwrap();
    // The crash campaign covers durability; this test covers concurrency.
    let options = SledOptions::default().durability(Durability::Buffered);
    let store = Mpstore::open_with(dir.path(), &RawKeyProvider::new([3; 32]), options).unwrap();
    let spaces = namespaces(&store);
    let ballasts: Vec<Vec<(String, u64)>> = spaces.iter().map(ballast).collect();
    let mut workers: Vec<Worker> = Vec::new();
    for (n, mp) in spaces.iter().enumerate() {
        for (d, door) in DOORS.into_iter().enumerate() {
            workers.push(Worker {
                id: n * DOORS.len() + d,
                door,
                mp: mp.clone(),
                neighbours: Vec::new(),
                model: Model::default(),
            });
        }
    }
    for n in 0..spaces.len() {
        let ids: Vec<usize> = (0..DOORS.len()).map(|d| n * DOORS.len() + d).collect();
        for &id in &ids {
            let neighbours = ids
                .iter()
                .filter(|&&o| o != id)
                .flat_map(|&o| (0..OWN_KEYS).map(move |j| format!("w{o}/k{j}:键🔑")))
                .collect();
            workers[id].neighbours = neighbours;
        }
    }
    let shared = Arc::new(Shared {
        store: store.clone(),
        written: Mutex::default(),
        ops: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        foreign_reads: AtomicU64::new(0),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let mut watched = 0;
    for round in 0..rounds {
        let running = AtomicBool::new(true);
        let done: Vec<Worker> = std::thread::scope(|s| {
            let watcher = s.spawn(|| watch(&shared.store, &running));
            let mut threads = Vec::new();
            let mut tasks = Vec::new();
            for mut w in workers.drain(..) {
                let shared = Arc::clone(&shared);
                if w.door.is_async() {
                    tasks.push(runtime.spawn(async move {
                        w.run(&shared, seed, round, ops).await;
                        w
                    }));
                } else {
                    threads.push(s.spawn(move || {
                        block_on(w.run(&shared, seed, round, ops));
                        w
                    }));
                }
            }
            let mut done: Vec<Worker> = threads
                .into_iter()
                .map(|t| t.join().expect("a worker thread panicked"))
                .collect();
            for t in tasks {
                done.push(runtime.block_on(t).expect("a worker task panicked"));
            }
            running.store(false, Ordering::Release);
            watched += watcher
                .join()
                .expect("the watcher found a broken invariant");
            done
        });
        workers = done;
        workers.sort_by_key(|w| w.id);
        for (n, mp) in spaces.iter().enumerate() {
            let mine: Vec<&Worker> = workers.iter().filter(|w| w.id / DOORS.len() == n).collect();
            verify(
                &store,
                mp,
                &ballasts[n],
                &mine,
                &format!("round {round}, namespace {n}"),
            );
        }
    }
    println!(
        "stress: {} operations ({} refused by the quota, {} reads of other workers' keys, {} through callbacks), {} instants checked, seed {seed}",
        shared.ops.load(Ordering::Relaxed),
        shared.refused.load(Ordering::Relaxed),
        shared.foreign_reads.load(Ordering::Relaxed),
        CALLBACK_CALLS.load(Ordering::Relaxed),
        watched,
    );
    assert!(
        shared.refused.load(Ordering::Relaxed) > 0,
        "the quota never refused a write: not near it"
    );
}
