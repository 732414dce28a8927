//! Fault injection under the facades (local storage and game cloud data): a wrapper backend fails, delays or corrupts
//! chosen calls, and every `wx` / `my` / `tt` API, in every form, and every game cloud API must then
//!
//! - fail with the dialect's documented error for a storage failure (the row of
//!   `storage_core::codes` that every dialect uses for a backend failure or a corrupt record:
//!   WeChat `internal error`, Alipay error 3, Douyin 21103 for writes and 20000 for reads,
//!   Douyin cloud 999993),
//! - change nothing stored (the inner backend's records are byte for byte what they were),
//! - and leave a store that works again, with everything it held, once the fault clears.
//!
//! The wrapper sits in two places: directly under the facades (`Mpstore` → faulty → memory), and
//! under the encryption decorator (`Mpstore` → encrypted → faulty → memory), where a corrupted
//! record must fail authentication. A delay (the wrapper's future yields to the executor several
//! times) must change no result at all. A sweep fails the n-th call the stack makes to the inner
//! backend, for every n a call makes, so every step inside the decorator is hit once.

use async_trait::async_trait;
use cloud_kv::KvData;
use serde::Serialize;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use storage_api::cloud::{GameContext, MiniGame, TtCloudError};
use storage_api::{KvItem, MiniProgram, Mpstore, MyError, MySyncFailure, TtError, WxError};
use storage_core::codes::ApiKind;
use storage_core::{
    block_on, Backend, Dialect, Error, Limits, Listing, MemoryBackend, Op, ReadPair, Result, Scope,
    StoredValue, Usage,
};
use storage_crypto::{EncryptedBackend, RawKeyProvider};

// ---- the fault-injecting backend ----

/// A method of [`Backend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Apply,
    List,
    Clear,
    Drop,
    Namespaces,
}

const ALL: &[Method] = &[
    Method::Get,
    Method::Apply,
    Method::List,
    Method::Clear,
    Method::Drop,
    Method::Namespaces,
];

/// What happens to a chosen call.
#[derive(Debug, Clone)]
enum Fault {
    /// The call fails with this error and does not reach the inner backend.
    Fail(Error),
    /// The call yields to the executor this many times before it runs.
    Delay(u32),
    /// A `get` returns the stored bytes with the first one inverted (a damaged record).
    Corrupt,
}

/// Which calls fail.
#[derive(Debug, Clone, Default)]
struct Plan {
    /// Faults on every call of these methods.
    on: Vec<(Method, Fault)>,
    /// The number of calls (of any method) to let through before one fails with
    /// `Error::Backend`; `None`: no such fault.
    fail_call: Option<u64>,
}

/// Faults injected by every wrapper of this test binary, for the campaign's figures.
static INJECTED: AtomicU64 = AtomicU64::new(0);

/// Prints the faults injected so far (run with `--test-threads=1 --nocapture` for the total).
fn report(test: &str) {
    eprintln!(
        "{test}: {} faults injected so far",
        INJECTED.load(Ordering::Relaxed)
    );
}

/// A backend that forwards every method to `inner`, except the calls its [`Plan`] picks.
struct Faulty<B> {
    inner: B,
    plan: Mutex<Plan>,
    calls: AtomicU64,
    injected: AtomicU64,
}

impl<B: Backend> Faulty<B> {
    fn new(inner: B) -> Self {
        Faulty {
            inner,
            plan: Mutex::default(),
            calls: AtomicU64::new(0),
            injected: AtomicU64::new(0),
        }
    }

    fn set(&self, plan: Plan) {
        *self.plan.lock().unwrap() = plan;
        self.calls.store(0, Ordering::SeqCst);
    }

    fn heal(&self) {
        self.set(Plan::default());
    }

    /// The fault for this call of `method`, counted when one is injected.
    fn fault(&self, method: Method) -> Option<Fault> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let plan = self.plan.lock().unwrap();
        let fault = if plan.fail_call == Some(n) {
            Some(Fault::Fail(Error::Backend(format!(
                "injected failure of call {n}"
            ))))
        } else {
            plan.on
                .iter()
                .find(|(m, _)| *m == method)
                .map(|(_, f)| f.clone())
        };
        if fault.is_some() {
            self.injected.fetch_add(1, Ordering::Relaxed);
            INJECTED.fetch_add(1, Ordering::Relaxed);
        }
        fault
    }

    /// Runs the fault before the call: `Err` to fail it, `Ok(corrupt)` to let it through.
    async fn before(&self, method: Method) -> Result<bool> {
        match self.fault(method) {
            None => Ok(false),
            Some(Fault::Fail(e)) => Err(e),
            Some(Fault::Delay(n)) => {
                YieldTimes(n).await;
                Ok(false)
            }
            Some(Fault::Corrupt) => Ok(true),
        }
    }
}

/// A future that returns `Pending` `n` times (waking itself each time), then completes: a delay
/// that needs no timer and no runtime.
struct YieldTimes(u32);

impl Future for YieldTimes {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl<B: Backend> Backend for Faulty<B> {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        let corrupt = self.before(Method::Get).await?;
        let mut found = self.inner.get(ns, key).await?;
        if let (true, Some(bytes)) = (corrupt, found.as_mut()) {
            match bytes.first_mut() {
                Some(b) => *b = !*b,
                None => bytes.push(0xff),
            }
        }
        Ok(found)
    }
    async fn get_shared(&self, ns: &[u8], key: &[u8]) -> Result<Option<StoredValue>> {
        // Through `get`, so its faults and corruptions reach the store's reads too.
        Ok(self.get(ns, key).await?.map(StoredValue::from))
    }
    async fn get_many(&self, pairs: &[ReadPair<'_>]) -> Result<Vec<Option<StoredValue>>> {
        // Pair by pair through `get`, as the trait's default does, for the same reason.
        let mut answers = Vec::with_capacity(pairs.len());
        for &(ns, key) in pairs {
            answers.push(self.get(ns, key).await?.map(StoredValue::from));
        }
        Ok(answers)
    }
    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        self.before(Method::Apply).await?;
        self.inner.apply(ns, ops, limits).await
    }
    fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        // The trait's default: the Sync APIs' writes meet the same faults and delays.
        block_on(self.apply(ns, ops, limits))
    }
    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        self.before(Method::List).await?;
        self.inner.list(ns).await
    }
    async fn clear(&self, ns: &[u8]) -> Result<()> {
        self.before(Method::Clear).await?;
        self.inner.clear(ns).await
    }
    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        self.before(Method::Drop).await?;
        self.inner.drop_namespace(ns).await
    }
    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        self.before(Method::Namespaces).await?;
        self.inner.namespaces().await
    }
}

// ---- the stacks ----

/// A store with the faulty wrapper somewhere under its facades, and the memory backend at the
/// bottom whose records are compared before and after.
struct Stack {
    store: Mpstore,
    faulty: Arc<Faulty<Arc<MemoryBackend>>>,
    raw: Arc<MemoryBackend>,
}

#[derive(Debug, Clone, Copy)]
enum Layout {
    /// `Mpstore` → faulty → memory.
    Plain,
    /// `Mpstore` → encrypted → faulty → memory.
    Encrypted,
}

impl Stack {
    fn new(layout: Layout) -> Stack {
        let raw = Arc::new(MemoryBackend::new());
        let faulty = Arc::new(Faulty::new(Arc::clone(&raw)));
        let store = match layout {
            Layout::Plain => Mpstore::from_arc(faulty.clone()),
            Layout::Encrypted => {
                let key = RawKeyProvider::new([5; 32]);
                Mpstore::with_backend(
                    block_on(EncryptedBackend::open(faulty.clone(), &key)).unwrap(),
                )
            }
        };
        let stack = Stack { store, faulty, raw };
        // What every case starts from: two apps of one user, entries of several types.
        let wx = stack.app().wx();
        wx.set_storage_sync("k1", "v1").unwrap();
        wx.set_storage_sync("k2", json_value(json!({"a": [1, 2], "b": null})))
            .unwrap();
        block_on(
            wx.set_storage_with(storage_api::SetStorageOption::new("secret", 7).encrypt(true)),
        )
        .unwrap();
        stack
            .other()
            .tt()
            .set_storage_sync("o", "other app")
            .unwrap();
        let pairs = [KvData::new("score", "1"), KvData::new("level", "1")];
        block_on(stack.game().tt().set_user_cloud_storage(&pairs)).unwrap();
        stack
    }

    /// A logged-in player of a game, in the open data context (where reads are allowed).
    fn game(&self) -> MiniGame {
        self.store
            .cloud()
            .mini_game(GameContext::new("game").logged_in("player").open_data())
    }

    fn app(&self) -> MiniProgram {
        self.store.mini_program("user", "app", Scope::App).unwrap()
    }

    fn other(&self) -> MiniProgram {
        self.store
            .mini_program("user", "other", Scope::App)
            .unwrap()
    }

    /// Every record of the bottom backend: (namespace, key, value), in order.
    fn records(&self) -> Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        let raw = &self.raw;
        let mut namespaces = block_on(raw.namespaces()).unwrap();
        namespaces.sort();
        let mut out = Vec::new();
        for (ns, _) in namespaces {
            for key in block_on(raw.list(&ns)).unwrap().keys {
                let value = block_on(raw.get(&ns, &key)).unwrap().unwrap();
                out.push((ns.clone(), key, value));
            }
        }
        out
    }

    /// Whether the records are what they were `before` a failed call. Under encryption, a
    /// failed first write to a namespace may leave that namespace's new data key in the
    /// decorator's keyring (namespace `k`, keys `w…`) or in its claim (a namespace `c…` of 41
    /// bytes): it holds no data, is invisible through the `Backend` trait, and is reused by the
    /// next write; every other record must be intact.
    fn unchanged_since(&self, before: &[(Vec<u8>, Vec<u8>, Vec<u8>)]) -> bool {
        let new_data_key = |(ns, key, _): &&(Vec<u8>, Vec<u8>, Vec<u8>)| {
            (ns.as_slice() == b"k" && key.first() == Some(&b'w'))
                || (ns.first() == Some(&b'c') && ns.len() == 41)
        };
        let after = self.records();
        let kept: Vec<_> = after
            .iter()
            .filter(|r| before.contains(r) || !new_data_key(r))
            .cloned()
            .collect();
        kept == before
    }

    /// What the two apps show through the facades: keys, values, sizes.
    fn visible(&self) -> Value {
        let show = |mp: MiniProgram| {
            let info = mp.wx().get_storage_info_sync().unwrap();
            let values: Vec<Value> = info
                .keys
                .iter()
                .map(|k| {
                    match mp.wx().get_storage_sync(k.as_str()) {
                        Ok(v) => serde_json::to_value(v).unwrap(),
                        // The encrypt entry reads only through async getStorage({encrypt}).
                        Err(e) => json!({"sync read failed": e.err_msg}),
                    }
                })
                .collect();
            json!({"keys": info.keys, "size": info.current_size, "values": values})
        };
        let cloud = block_on(self.game().wx().get_user_cloud_storage(["score", "level"]))
            .unwrap_or_else(|e| panic!("cloud read failed: {e:?}"));
        json!([
            show(self.app()),
            show(self.other()),
            serde_json::to_value(cloud).unwrap()
        ])
    }
}

fn json_value(v: Value) -> storage_core::JsValue {
    serde_json::from_value(v).unwrap()
}

// ---- the API table ----

/// A facade call's outcome: `Ok` with its success payload, or `Err` with its failure payload,
/// both as the JSON a mini-program sees.
type Outcome = std::result::Result<Value, Value>;

fn shown<S: Serialize, F: Serialize>(r: std::result::Result<S, F>) -> Outcome {
    match r {
        Ok(s) => Ok(serde_json::to_value(s).unwrap()),
        Err(f) => Err(serde_json::to_value(f).unwrap()),
    }
}

/// How a form of API reports a failure.
#[derive(Debug, Clone, Copy)]
enum Form {
    Wx,
    Tt,
    MyAsync,
    MySync,
    /// Douyin's game cloud APIs (`{errMsg, errorCode}`).
    TtCloud,
    /// WeChat's mini-game cloud APIs.
    WxCloud,
}

/// One public API call: its dialect's form, its name, its kind, and the call itself.
struct Api {
    form: Form,
    name: &'static str,
    kind: ApiKind,
    call: fn(&Stack) -> Outcome,
}

const fn api(form: Form, name: &'static str, kind: ApiKind, call: fn(&Stack) -> Outcome) -> Api {
    Api {
        form,
        name,
        kind,
        call,
    }
}

use ApiKind::{Cloud as C, LocalRead as R, LocalWrite as W};
use Form::{MyAsync, MySync, Tt, TtCloud, Wx, WxCloud};

/// Every local-storage API of every dialect, in every form, with arguments that succeed on the
/// fixture when nothing fails.
const APIS: &[Api] = &[
    api(Wx, "setStorage", W, |s| {
        shown(block_on(s.app().wx().set_storage("k1", "new")))
    }),
    api(Wx, "getStorage", R, |s| {
        shown(block_on(s.app().wx().get_storage("k1")))
    }),
    api(Wx, "removeStorage", W, |s| {
        shown(block_on(s.app().wx().remove_storage("k1")))
    }),
    api(Wx, "clearStorage", W, |s| {
        shown(block_on(s.app().wx().clear_storage()))
    }),
    api(Wx, "getStorageInfo", R, |s| {
        shown(block_on(s.app().wx().get_storage_info()))
    }),
    api(Wx, "batchSetStorage", W, |s| {
        let items = [KvItem::new("b1", 1), KvItem::new("k1", "batch")];
        shown(block_on(s.app().wx().batch_set_storage(items)))
    }),
    api(Wx, "batchGetStorage", R, |s| {
        shown(block_on(
            s.app().wx().batch_get_storage(["k1", "k2", "none"]),
        ))
    }),
    api(Wx, "setStorageSync", W, |s| {
        shown(s.app().wx().set_storage_sync("k3", 3))
    }),
    api(Wx, "getStorageSync", R, |s| {
        shown(s.app().wx().get_storage_sync("k2"))
    }),
    api(Wx, "removeStorageSync", W, |s| {
        shown(s.app().wx().remove_storage_sync("k2"))
    }),
    api(Wx, "clearStorageSync", W, |s| {
        shown(s.app().wx().clear_storage_sync())
    }),
    api(Wx, "getStorageInfoSync", R, |s| {
        shown(s.app().wx().get_storage_info_sync())
    }),
    api(Wx, "batchSetStorageSync", W, |s| {
        shown(
            s.app()
                .wx()
                .batch_set_storage_sync([KvItem::new("b2", true)]),
        )
    }),
    api(Wx, "batchGetStorageSync", R, |s| {
        shown(s.app().wx().batch_get_storage_sync(["k1"]))
    }),
    api(MyAsync, "setStorage", W, |s| {
        shown(block_on(s.app().my().set_storage("k1", "my")))
    }),
    api(MyAsync, "getStorage", R, |s| {
        shown(block_on(s.app().my().get_storage("missing")))
    }),
    api(MyAsync, "removeStorage", W, |s| {
        shown(block_on(s.app().my().remove_storage("missing")))
    }),
    api(MyAsync, "clearStorage", W, |s| {
        shown(block_on(s.app().my().clear_storage()))
    }),
    api(MyAsync, "getStorageInfo", R, |s| {
        shown(block_on(s.app().my().get_storage_info()))
    }),
    api(MySync, "setStorageSync", W, |s| {
        shown(s.app().my().set_storage_sync("m", 1.5).into_result())
    }),
    api(MySync, "getStorageSync", R, |s| {
        shown(s.app().my().get_storage_sync("k1").into_result())
    }),
    api(MySync, "removeStorageSync", W, |s| {
        shown(s.app().my().remove_storage_sync("k1").into_result())
    }),
    api(MySync, "clearStorageSync", W, |s| {
        shown(s.app().my().clear_storage_sync().into_result())
    }),
    api(MySync, "getStorageInfoSync", R, |s| {
        shown(s.app().my().get_storage_info_sync().into_result())
    }),
    api(Tt, "setStorage", W, |s| {
        shown(block_on(s.app().tt().set_storage("t", "tt")))
    }),
    api(Tt, "getStorage", R, |s| {
        shown(block_on(s.app().tt().get_storage("k1")))
    }),
    api(Tt, "removeStorage", W, |s| {
        shown(block_on(s.app().tt().remove_storage("k1")))
    }),
    api(Tt, "clearStorage", W, |s| {
        shown(block_on(s.app().tt().clear_storage()))
    }),
    api(Tt, "getStorageInfo", R, |s| {
        shown(block_on(s.app().tt().get_storage_info()))
    }),
    api(Tt, "setStorageSync", W, |s| {
        shown(s.app().tt().set_storage_sync("k1", "sync"))
    }),
    api(Tt, "getStorageSync", R, |s| {
        shown(s.app().tt().get_storage_sync("k1"))
    }),
    api(Tt, "removeStorageSync", W, |s| {
        shown(s.app().tt().remove_storage_sync("none"))
    }),
    api(Tt, "clearStorageSync", W, |s| {
        shown(s.app().tt().clear_storage_sync())
    }),
    api(Tt, "getStorageInfoSync", R, |s| {
        shown(s.app().tt().get_storage_info_sync())
    }),
    api(TtCloud, "setUserCloudStorage", C, |s| {
        shown(block_on(
            s.game()
                .tt()
                .set_user_cloud_storage(&[KvData::new("score", "2")]),
        ))
    }),
    api(TtCloud, "getUserCloudStorage", C, |s| {
        shown(block_on(s.game().tt().get_user_cloud_storage(["score"])))
    }),
    api(TtCloud, "removeUserCloudStorage", C, |s| {
        shown(block_on(s.game().tt().remove_user_cloud_storage(["score"])))
    }),
    api(WxCloud, "setUserCloudStorage", C, |s| {
        shown(block_on(
            s.game()
                .wx()
                .set_user_cloud_storage(&[KvData::new("level", "3")]),
        ))
    }),
    api(WxCloud, "getUserCloudStorage", C, |s| {
        shown(block_on(
            s.game().wx().get_user_cloud_storage(["score", "level"]),
        ))
    }),
    api(WxCloud, "removeUserCloudStorage", C, |s| {
        shown(block_on(s.game().wx().remove_user_cloud_storage(["score"])))
    }),
    api(WxCloud, "getUserCloudStorageKeys", C, |s| {
        shown(block_on(s.game().wx().get_user_cloud_storage_keys()))
    }),
    api(WxCloud, "getFriendCloudStorage", C, |s| {
        shown(block_on(s.game().wx().get_friend_cloud_storage(["score"])))
    }),
];

impl Api {
    /// The failure this API must report for `err`, built from the one error table.
    fn documented(&self, err: &Error) -> Value {
        match self.form {
            Wx => serde_json::to_value(WxError::new(self.name, self.kind, err)),
            Tt => serde_json::to_value(TtError::new(self.name, self.kind, err)),
            MyAsync => serde_json::to_value(MyError::new(self.kind, err)),
            MySync => serde_json::to_value(MySyncFailure::new(self.kind, err)),
            TtCloud => serde_json::to_value(TtCloudError::new(self.name, err)),
            WxCloud => serde_json::to_value(WxError::new(self.name, self.kind, err)),
        }
        .unwrap()
    }

    fn dialect(&self) -> Dialect {
        match self.form {
            Wx | WxCloud => Dialect::Wx,
            Tt | TtCloud => Dialect::Tt,
            MyAsync | MySync => Dialect::My,
        }
    }
}

// ---- the checks ----

/// The injected failure every case uses, and the one a damaged record becomes.
fn backend_failure() -> Error {
    Error::Backend("injected".into())
}

/// Runs `api` on a fresh `layout` stack under `plan`, and checks the outcome: with `must_fail`,
/// exactly the documented failure; otherwise the documented failure or the fault-free result.
/// A failure must leave every record as it was; a success must leave what the fault-free call
/// leaves. Then, the fault healed, the store holds what it should and takes new writes.
fn check(layout: Layout, api: &Api, plan: Plan, must_fail: bool) -> Outcome {
    let context = format!("{layout:?} {:?}.{} under {plan:?}", api.dialect(), api.name);
    // The fault-free twin: what the call returns and leaves when nothing goes wrong.
    let twin = Stack::new(layout);
    let clean = (api.call)(&twin);
    assert!(clean.is_ok(), "{context}: fails with no fault: {clean:?}");
    let after_clean = twin.visible();

    let stack = Stack::new(layout);
    let before = stack.records();
    let visible_before = stack.visible();
    stack.faulty.set(plan);
    let outcome = (api.call)(&stack);
    stack.faulty.heal();
    match &outcome {
        Err(failure) => {
            assert_eq!(failure, &api.documented(&backend_failure()), "{context}");
            assert_eq!(
                stack.records(),
                before,
                "{context}: a failed call changed records"
            );
            assert_eq!(stack.visible(), visible_before, "{context}");
        }
        Ok(_) => {
            assert!(!must_fail, "{context}: succeeded: {outcome:?}");
            assert_eq!(
                outcome, clean,
                "{context}: a delayed call changed its result"
            );
            assert_eq!(stack.visible(), after_clean, "{context}");
        }
    }
    // Healed: new writes land and read back; the other app never noticed.
    let wx = stack.app().wx();
    wx.set_storage_sync("after", "healed")
        .unwrap_or_else(|e| panic!("{context}: {e}"));
    assert_eq!(
        wx.get_storage_sync("after").unwrap(),
        "healed".into(),
        "{context}"
    );
    assert_eq!(
        stack.other().tt().get_storage_sync("o").unwrap(),
        "other app".into(),
        "{context}"
    );
    outcome
}

fn on(methods: &[Method], fault: Fault) -> Plan {
    Plan {
        on: methods.iter().map(|&m| (m, fault.clone())).collect(),
        fail_call: None,
    }
}

/// Every API under every layout with `plan`; returns the number of calls that failed.
fn every_api(plan: impl Fn() -> Plan, must_fail: bool) -> usize {
    let mut failed = 0;
    for layout in [Layout::Plain, Layout::Encrypted] {
        for api in APIS {
            failed += usize::from(check(layout, api, plan(), must_fail).is_err());
        }
    }
    failed
}

#[test]
fn every_call_fails_with_the_documented_error_when_the_backend_fails() {
    let failed = every_api(|| on(ALL, Fault::Fail(backend_failure())), true);
    assert_eq!(failed, APIS.len() * 2);
    report("every_call_fails_with_the_documented_error_when_the_backend_fails");
}

#[test]
fn an_unavailable_backend_is_reported_as_the_same_storage_failure() {
    every_api(
        || on(ALL, Fault::Fail(Error::Unavailable("partition".into()))),
        true,
    );
    report("an_unavailable_backend_is_reported_as_the_same_storage_failure");
}

#[test]
fn failing_writes_fail_writes_and_leave_reads_working() {
    for layout in [Layout::Plain, Layout::Encrypted] {
        for api in APIS {
            let plan = on(
                &[Method::Apply, Method::Clear, Method::Drop],
                Fault::Fail(backend_failure()),
            );
            let outcome = check(layout, api, plan, false);
            // Reads never write (the decorator's keys of existing namespaces are stored).
            let writes = matches!(api.kind, W)
                || api.name.starts_with("set")
                || api.name.starts_with("remove");
            assert_eq!(outcome.is_err(), writes, "{layout:?} {}", api.name);
        }
    }
    report("failing_writes_fail_writes_and_leave_reads_working");
}

#[test]
fn failing_reads_fail_or_succeed_but_never_half_apply() {
    every_api(
        || on(&[Method::Get, Method::List], Fault::Fail(backend_failure())),
        false,
    );
    report("failing_reads_fail_or_succeed_but_never_half_apply");
}

#[test]
fn delays_change_no_result() {
    let failed = every_api(|| on(ALL, Fault::Delay(3)), false);
    assert_eq!(failed, 0);
    report("delays_change_no_result");
}

#[test]
fn damaged_records_read_as_a_storage_failure() {
    let failed = every_api(|| on(&[Method::Get], Fault::Corrupt), false);
    assert!(failed > 0, "no read noticed the damage");
    report("damaged_records_read_as_a_storage_failure");
}

#[test]
fn a_failure_at_any_step_of_any_call_changes_nothing() {
    // Fail call n of the stack's calls to the inner backend, for n = 0, 1, … until the API call
    // makes fewer than n calls: every step of every call (in the decorator too) fails once.
    let mut injected = 0;
    for layout in [Layout::Plain, Layout::Encrypted] {
        for api in APIS {
            for n in 0.. {
                let plan = Plan {
                    on: Vec::new(),
                    fail_call: Some(n),
                };
                if check(layout, api, plan, false).is_ok() {
                    break;
                }
                injected += 1;
            }
        }
    }
    assert!(injected >= APIS.len() * 2, "{injected} steps failed");
    report("a_failure_at_any_step_of_any_call_changes_nothing");
}

#[test]
fn a_first_write_to_a_new_namespace_fails_cleanly_at_every_step() {
    // A namespace's first write under encryption makes and stores its data key: fail each step.
    for n in 0.. {
        let stack = Stack::new(Layout::Encrypted);
        let before = stack.records();
        stack.faulty.set(Plan {
            on: Vec::new(),
            fail_call: Some(n),
        });
        let fresh = stack
            .store
            .mini_program("user", "fresh", Scope::WebView)
            .unwrap();
        let outcome = fresh.tt().set_storage_sync("k", "v");
        stack.faulty.heal();
        match outcome {
            Ok(()) => break,
            Err(e) => {
                assert_eq!(e, TtError::new("setStorageSync", W, &backend_failure()));
                assert!(stack.unchanged_since(&before), "step {n}");
                assert_eq!(fresh.tt().get_storage_sync("k").unwrap(), "".into());
                fresh.tt().set_storage_sync("k", "v").unwrap();
                assert_eq!(fresh.tt().get_storage_sync("k").unwrap(), "v".into());
            }
        }
    }
    report("a_first_write_to_a_new_namespace_fails_cleanly_at_every_step");
}

#[test]
fn the_wrapper_counts_what_it_injected() {
    let stack = Stack::new(Layout::Plain);
    stack
        .faulty
        .set(on(&[Method::Apply], Fault::Fail(backend_failure())));
    assert!(stack.app().wx().set_storage_sync("x", 1).is_err());
    assert!(stack.app().wx().get_storage_sync("k1").is_ok());
    assert_eq!(stack.faulty.injected.load(Ordering::Relaxed), 1);
    report("the_wrapper_counts_what_it_injected");
}

#[test]
fn the_wrapper_with_no_fault_is_a_conforming_backend() {
    // Whatever the tests above see under a fault is the fault's doing, not the wrapper's.
    storage_core::testkit::conformance(|| Faulty::new(MemoryBackend::new()));
}

#[test]
fn a_host_removal_failing_part_way_leaves_each_namespace_whole_and_can_be_retried() {
    // `remove_user` drops the user's namespaces one by one: a failure part way is reported, each
    // namespace is either untouched or entirely gone, nothing of anyone else changes, and a
    // retry once the fault clears finishes the job.
    let shown = |mp: &MiniProgram| {
        let wx = mp.wx();
        let keys = wx.get_storage_info_sync().unwrap().keys;
        let values: Vec<Value> = keys
            .iter()
            .map(|k| match wx.get_storage_sync(k.as_str()) {
                Ok(v) => serde_json::to_value(v).unwrap(),
                Err(e) => json!(e.err_msg),
            })
            .collect();
        json!({"keys": keys, "values": values})
    };
    let empty = json!({"keys": [], "values": []});
    let mut partial = 0;
    for layout in [Layout::Plain, Layout::Encrypted] {
        for n in 0.. {
            let stack = Stack::new(layout);
            let web_view = stack.app().web_view();
            web_view.tt().set_storage_sync("w", "web").unwrap();
            let stranger = stack
                .store
                .mini_program("stranger", "app", Scope::App)
                .unwrap();
            stranger.wx().set_storage_sync("s", 1).unwrap();
            let spaces = [stack.app(), stack.other(), web_view];
            let before: Vec<Value> = spaces.iter().map(shown).collect();
            let (stranger_before, cloud_before) = (shown(&stranger), stack.visible()[2].clone());
            stack.faulty.set(Plan {
                on: Vec::new(),
                fail_call: Some(n),
            });
            let outcome = block_on(stack.store.remove_user("user"));
            stack.faulty.heal();
            let context = format!("{layout:?}, inner call {n} failing");
            assert_eq!(shown(&stranger), stranger_before, "{context}");
            assert_eq!(stack.visible()[2], cloud_before, "{context}: game data");
            match outcome {
                Ok(removed) => {
                    assert_eq!(removed, 3, "{context}");
                    assert!(spaces.iter().all(|mp| shown(mp) == empty), "{context}");
                    break;
                }
                Err(e) => {
                    assert!(matches!(e, Error::Backend(_)), "{context}: {e}");
                    let now: Vec<Value> = spaces.iter().map(shown).collect();
                    for (was, is) in before.iter().zip(&now) {
                        assert!(is == was || *is == empty, "{context}: {was} became {is}");
                    }
                    partial += usize::from(now.contains(&empty));
                    block_on(stack.store.remove_user("user")).unwrap();
                    assert!(spaces.iter().all(|mp| shown(mp) == empty), "{context}");
                    assert_eq!(shown(&stranger), stranger_before, "{context}");
                }
            }
        }
    }
    eprintln!("host removals that failed part way, with some namespaces already gone: {partial}");
    report("a_host_removal_failing_part_way_leaves_each_namespace_whole_and_can_be_retried");
}
