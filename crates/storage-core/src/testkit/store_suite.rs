//! [`Store`] calls against [`StoreModel`], and the real policies at their exact limits.

use super::model::StoreModel;
use super::strategies::{hostile_string, id, js_value, scope};
use super::{check, ok};
use crate::backend::Backend;
use crate::block_on;
use crate::error::Error;
use crate::namespace::Namespace;
use crate::policy::{Dialect, Policy};
use crate::store::{SetOptions, Store};
use crate::value::JsValue;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::mem::discriminant;

/// A dialect's policy with limits small enough for random sequences to hit them often.
fn small(policy: &Policy) -> Policy {
    Policy {
        entry_limit: 60,
        quota: 200,
        ..policy.clone()
    }
}

#[derive(Debug, Clone)]
enum Step {
    Set {
        ns: usize,
        key: usize,
        value: JsValue,
        encrypt: bool,
        /// Through the `*_blocking` door (every write step has both, which must act alike).
        blocking: bool,
    },
    BatchSet {
        ns: usize,
        items: Vec<(usize, JsValue)>,
        blocking: bool,
    },
    Get {
        ns: usize,
        key: usize,
        encrypt: bool,
    },
    Remove {
        ns: usize,
        key: usize,
        blocking: bool,
    },
    Clear {
        ns: usize,
    },
    DropNamespace {
        ns: usize,
    },
    RemoveApp {
        ns: usize,
    },
    RemoveUser {
        ns: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let value = || js_value(24);
    prop_oneof![
        8 => (0usize..8, 0usize..6, value(), proptest::bool::weighted(0.2), any::<bool>())
            .prop_map(|(ns, key, value, encrypt, blocking)| Step::Set {
                ns,
                key,
                value,
                encrypt,
                blocking
            }),
        2 => (0usize..8, vec((0usize..6, value()), 0..4), any::<bool>())
            .prop_map(|(ns, items, blocking)| Step::BatchSet { ns, items, blocking }),
        3 => (0usize..8, 0usize..6, proptest::bool::weighted(0.2))
            .prop_map(|(ns, key, encrypt)| Step::Get { ns, key, encrypt }),
        2 => (0usize..8, 0usize..6, any::<bool>())
            .prop_map(|(ns, key, blocking)| Step::Remove { ns, key, blocking }),
        1 => (0usize..8).prop_map(|ns| Step::Clear { ns }),
        1 => (0usize..8).prop_map(|ns| Step::DropNamespace { ns }),
        1 => (0usize..8).prop_map(|ns| Step::RemoveApp { ns }),
        1 => (0usize..8).prop_map(|ns| Step::RemoveUser { ns }),
    ]
}

/// Namespaces that share users and apps, so host-level removals have neighbours to spare.
fn related_namespaces() -> impl Strategy<Value = Vec<Namespace>> {
    let ids = (id(), id(), id(), id());
    let shapes = vec(
        (
            0usize..2,
            0usize..2,
            scope(),
            proptest::bool::weighted(0.15),
        ),
        1..6,
    );
    (ids, shapes).prop_map(|((u0, u1, a0, a1), shapes)| {
        let users = [u0, u1];
        let apps = [a0, a1];
        let mut out: Vec<Namespace> = Vec::new();
        for (u, a, scope, cloud) in shapes {
            let ns = if cloud {
                // A game whose player id equals a local user id: host removals must spare it.
                Namespace::cloud(apps[a].clone(), users[u].clone())
            } else {
                Namespace::local(users[u].clone(), apps[a].clone(), scope)
            }
            .expect("generated ids are valid");
            if !out.contains(&ns) {
                out.push(ns);
            }
        }
        out
    })
}

/// Random sequences of engine calls under each dialect's rules (shrunk limits) give exactly
/// what the model gives: same results, same errors, and after every call the same keys in the
/// same order, the same usage and the same values everywhere.
pub fn store_matches_model<B: Backend>(factory: impl Fn() -> B) {
    let dialect = prop_oneof![Just(Dialect::Wx), Just(Dialect::My), Just(Dialect::Tt)];
    let keys = vec(hostile_string(), 6);
    let input = (dialect, related_namespaces(), keys, vec(step(), 1..30));
    check(
        "store_matches_model",
        input,
        |(dialect, namespaces, keys, steps)| {
            let policy = small(dialect.policy());
            let store = Store::new(factory());
            let mut model = StoreModel::default();
            for step in &steps {
                run_step(&store, &mut model, &policy, &namespaces, &keys, step)?;
                same_state(&store, &model, &namespaces)?;
            }
            Ok(())
        },
    );
}

/// Both results agree: equal values, or errors of the same kind.
fn agree<T: PartialEq + std::fmt::Debug>(
    what: &str,
    expected: &Result<T, Error>,
    got: &Result<T, Error>,
) -> Result<(), TestCaseError> {
    let same = match (expected, got) {
        (Ok(a), Ok(b)) => a == b,
        (Err(a), Err(b)) => discriminant(a) == discriminant(b),
        _ => false,
    };
    prop_assert!(same, "{}: model {:?}, store {:?}", what, expected, got);
    Ok(())
}

fn run_step<B: Backend>(
    store: &Store<B>,
    model: &mut StoreModel,
    policy: &Policy,
    namespaces: &[Namespace],
    keys: &[String],
    step: &Step,
) -> Result<(), TestCaseError> {
    let ns_at = |i: usize| &namespaces[i % namespaces.len()];
    match step {
        Step::Set {
            ns,
            key,
            value,
            encrypt,
            blocking,
        } => {
            let (ns, key) = (ns_at(*ns), &keys[*key]);
            let items = [(key.clone(), value.clone())];
            let expected = model.set_all(ns, policy, &items, *encrypt);
            let options = SetOptions { encrypt: *encrypt };
            let got = if *blocking {
                store.set_blocking(ns, policy, key, value, options)
            } else {
                block_on(store.set(ns, policy, key, value, options))
            };
            agree("set", &expected, &got)?;
        }
        Step::BatchSet {
            ns,
            items,
            blocking,
        } => {
            let ns = ns_at(*ns);
            let items: Vec<(String, JsValue)> = items
                .iter()
                .map(|(k, v)| (keys[*k].clone(), v.clone()))
                .collect();
            let expected = model.set_all(ns, policy, &items, false);
            let got = if *blocking {
                store.batch_set_blocking(ns, policy, &items)
            } else {
                block_on(store.batch_set(ns, policy, &items))
            };
            agree("batch_set", &expected, &got)?;
        }
        Step::Get { ns, key, encrypt } => {
            let (ns, key) = (ns_at(*ns), &keys[*key]);
            let expected = model.get(ns, key, *encrypt);
            agree("get", &expected, &block_on(store.get(ns, key, *encrypt)))?;
        }
        Step::Remove { ns, key, blocking } => {
            let (ns, key) = (ns_at(*ns), &keys[*key]);
            let expected = model.remove(ns, key);
            let got = if *blocking {
                store.remove_blocking(ns, key)
            } else {
                block_on(store.remove(ns, key))
            };
            agree("remove", &expected, &got)?;
        }
        Step::Clear { ns } => {
            ok(block_on(store.clear(ns_at(*ns))), "clear")?;
            model.clear(ns_at(*ns));
        }
        Step::DropNamespace { ns } => {
            ok(block_on(store.drop_namespace(ns_at(*ns))), "drop_namespace")?;
            model.clear(ns_at(*ns));
        }
        Step::RemoveApp { ns } => {
            let (user, app) = (ns_at(*ns).user(), ns_at(*ns).app());
            let expected = model.drop_local_where(|u, a| u == user && a == app);
            let got = ok(block_on(store.remove_app(user, app)), "remove_app")?;
            prop_assert_eq!(got, expected, "namespaces dropped by remove_app");
        }
        Step::RemoveUser { ns } => {
            let user = ns_at(*ns).user();
            let expected = model.drop_local_where(|u, _| u == user);
            let got = ok(block_on(store.remove_user(user)), "remove_user")?;
            prop_assert_eq!(got, expected, "namespaces dropped by remove_user");
        }
    }
    Ok(())
}

fn same_state<B: Backend>(
    store: &Store<B>,
    model: &StoreModel,
    namespaces: &[Namespace],
) -> Result<(), TestCaseError> {
    for ns in namespaces {
        let (keys, usage) = model.listing(ns);
        let listing = ok(block_on(store.backend().list(&ns.encode())), "list")?;
        let listed: Vec<String> = listing
            .keys
            .iter()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect();
        prop_assert_eq!(listed, keys, "keys in insertion order in {:?}", ns);
        prop_assert_eq!(listing.usage.bytes, usage, "usage of {:?}", ns);
        for entry in model.spaces.get(ns).into_iter().flatten() {
            let got = ok(block_on(store.get(ns, &entry.key, entry.encrypted)), "get")?;
            prop_assert_eq!(got.as_ref(), Some(&entry.value), "value of {:?}", entry.key);
        }
    }
    let mut held: Vec<Namespace> = ok(block_on(store.namespaces()), "namespaces")?
        .into_iter()
        .map(|n| n.namespace)
        .collect();
    held.sort();
    let expected: Vec<Namespace> = model.spaces.keys().cloned().collect();
    prop_assert_eq!(held, expected, "namespaces holding data");
    Ok(())
}

/// One write at a real limit: the expected outcome, then the state must be as the model says.
struct Boundary<'a, B: Backend> {
    store: &'a Store<B>,
    model: StoreModel,
    ns: Namespace,
    policy: &'static Policy,
    /// Cases run so far.
    cases: usize,
}

impl<B: Backend> Boundary<'_, B> {
    fn set(&mut self, key: &str, value: String, encrypt: bool, accepted: bool) {
        let value = JsValue::from(value);
        let items = [(key.to_string(), value.clone())];
        let expected = self.model.set_all(&self.ns, self.policy, &items, encrypt);
        assert_eq!(
            expected.is_ok(),
            accepted,
            "the model disagrees with the case itself at {key:?}: {expected:?}"
        );
        let options = SetOptions { encrypt };
        // Every other case through the blocking door: both must draw the line in one place.
        self.cases += 1;
        let got = if self.cases.is_multiple_of(2) {
            self.store
                .set_blocking(&self.ns, self.policy, key, &value, options)
        } else {
            block_on(self.store.set(&self.ns, self.policy, key, &value, options))
        };
        let same = match (&expected, &got) {
            (Ok(()), Ok(())) => true,
            (Err(a), Err(b)) => discriminant(a) == discriminant(b),
            _ => false,
        };
        assert!(
            same,
            "{:?} at {key:?}: expected {expected:?}, got {got:?}",
            self.policy.dialect
        );
        let (keys, usage) = self.model.listing(&self.ns);
        let listing = block_on(self.store.backend().list(&self.ns.encode())).expect("list");
        assert_eq!(listing.usage.bytes, usage, "usage after {key:?}");
        assert_eq!(listing.keys.len(), keys.len(), "keys after {key:?}");
    }
}

/// Characters of each width, to straddle boundaries: 1 UTF-16 unit / 3 UTF-8 bytes, and an
/// astral character of 2 units / 4 bytes.
const CJK: &str = "杭";
const ASTRAL: &str = "😀";

fn text(ascii: usize, cjk: usize, astral: usize) -> String {
    let mut s = "a".repeat(ascii);
    s.push_str(&CJK.repeat(cjk));
    s.push_str(&ASTRAL.repeat(astral));
    s
}

/// The real policies of behaviour §4 at their exact per-entry limits and total quotas.
pub fn quota_boundaries<B: Backend>(factory: impl Fn() -> B) {
    let ns = |d: Dialect| {
        Namespace::local("boundary-user", d.name(), crate::Scope::App).expect("valid ids")
    };
    let run = |dialect: Dialect, case: &dyn Fn(&mut Boundary<'_, B>)| {
        let store = Store::new(factory());
        let mut b = Boundary {
            store: &store,
            model: StoreModel::default(),
            ns: ns(dialect),
            policy: dialect.policy(),
            cases: 0,
        };
        case(&mut b);
    };

    // WeChat: key + value ≤ 1,048,576 UTF-16 units.
    run(Dialect::Wx, &|b| {
        b.set("k", text(1, 0, 524_287), false, true); // 1 + 1 + 524,287 × 2 = 1,048,576
        b.set("k", text(0, 1, 524_287), false, true); // CJK is one unit too
        b.set("k", text(2, 0, 524_287), false, false); // 1,048,577
        b.set("kk", text(0, 0, 524_287), false, true); // 2 + 1,048,574
        b.set("kk", text(1, 0, 524_287), false, false); // the astral pair straddles the limit
                                                        // encrypt charges 1.4×: 748,982 × 1.4 = 1,048,574.8 → 1,048,575 ≤ limit; 748,983 is not.
        b.set("e", text(748_981, 0, 0), true, true);
        b.set("e", text(748_982, 0, 0), true, false);
    });
    // WeChat: a write that makes the total reach 10,485,760 units is refused.
    run(Dialect::Wx, &|b| {
        for i in 0..9 {
            b.set(&format!("k{i}"), text(1_048_574, 0, 0), false, true);
        }
        b.set("k9", text(1_048_574, 0, 0), false, false); // exactly the quota
        b.set("k9", text(1_048_573, 0, 0), false, true); // one unit below
        b.set("x", String::new(), false, false); // 1 more unit reaches it
        b.set("k9", text(1_048_572, 0, 0), false, true); // shrinking is always fine
    });
    // Alipay: the serialized value ≤ 204,800 UTF-16 units, the key not counted.
    run(Dialect::My, &|b| {
        b.set(&"k".repeat(1000), text(0, 204_800, 0), false, true);
        b.set("k", text(0, 204_798, 1), false, true);
        b.set("k", text(0, 204_799, 1), false, false);
        b.set("k", text(204_801, 0, 0), false, false);
    });
    // Alipay: a total of exactly 10 MB is allowed, one unit more is not.
    run(Dialect::My, &|b| {
        for i in 0..51 {
            b.set(&format!("k{i:02}"), text(204_797, 0, 0), false, true); // 3 + 204,797
        }
        b.set("kk", text(40_958, 0, 0), false, true); // 51 × 204,800 + 40,960 = 10,485,760
        b.set("x", String::new(), false, false);
    });
    // Douyin: the value ≤ 1,048,576 UTF-8 bytes, the key not counted.
    run(Dialect::Tt, &|b| {
        b.set(&"k".repeat(1000), text(1, 349_525, 0), false, true); // 1 + 1,048,575
        b.set("k", text(0, 349_524, 1), false, true); // 1,048,572 + 4
        b.set("k", text(2, 349_524, 1), false, false); // 1,048,578
        b.set("k", text(0, 349_525, 1), false, false); // the astral char straddles the limit
    });
    // Douyin: a total of exactly 10 MB (UTF-8) is allowed, one byte more is not.
    run(Dialect::Tt, &|b| {
        for i in 0..10 {
            b.set(&format!("k{i}"), text(1_048_574, 0, 0), false, true);
        }
        b.set("x", String::new(), false, false);
    });
}
