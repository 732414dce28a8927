//! Raw [`Backend`] calls against [`BackendModel`].

use super::model::BackendModel;
use super::strategies::{raw_key, raw_namespace, raw_op};
use super::{check, ok};
use crate::backend::{Backend, Limits, Op, ReadPair};
use crate::block_on;
use crate::error::Error;
use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Where a step's limit sits relative to the exact usage the step leads to.
#[derive(Debug, Clone, Copy)]
enum LimitAt {
    /// No limit.
    Unlimited,
    /// `max_bytes` = exact bytes after the write + the offset (-1, 0 or 1).
    Bytes(i64),
    /// `max_entries` = exact entries after the write + the offset.
    Entries(i64),
}

#[derive(Debug, Clone)]
enum Step {
    Apply {
        ns: usize,
        ops: Vec<Op>,
        limit: LimitAt,
        /// Through `apply_blocking` rather than `apply`: both doors must act alike.
        blocking: bool,
    },
    Get {
        ns: usize,
        key: Vec<u8>,
    },
    /// A batched read: pairs across namespaces, repeats allowed.
    GetMany {
        pairs: Vec<(usize, Vec<u8>)>,
    },
    Clear {
        ns: usize,
    },
    Drop {
        ns: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let limit = prop_oneof![
        Just(LimitAt::Unlimited),
        (-1i64..=1).prop_map(LimitAt::Bytes),
        (-1i64..=1).prop_map(LimitAt::Entries),
    ];
    prop_oneof![
        8 => (0usize..8, vec(raw_op(), 0..6), limit, any::<bool>())
            .prop_map(|(ns, ops, limit, blocking)| Step::Apply { ns, ops, limit, blocking }),
        2 => (0usize..8, raw_key()).prop_map(|(ns, key)| Step::Get { ns, key }),
        2 => vec((0usize..8, raw_key()), 0..12).prop_map(|pairs| Step::GetMany { pairs }),
        1 => (0usize..8).prop_map(|ns| Step::Clear { ns }),
        1 => (0usize..8).prop_map(|ns| Step::Drop { ns }),
    ]
}

fn limits_for(model: &BackendModel, ns: &[u8], ops: &[Op], at: LimitAt) -> Limits {
    let after = model.usage_after(ns, ops);
    let shift = |n: u64, by: i64| n.saturating_add_signed(by);
    match at {
        LimitAt::Unlimited => Limits::NONE,
        LimitAt::Bytes(by) => Limits {
            max_bytes: shift(after.bytes, by),
            max_entries: u64::MAX,
        },
        LimitAt::Entries(by) => Limits {
            max_bytes: u64::MAX,
            max_entries: shift(after.entries, by),
        },
    }
}

/// Random sequences of raw backend calls give exactly what the model gives, and after every
/// call every namespace lists, counts and reads exactly as the model does.
pub fn backend_matches_model<B: Backend>(factory: impl Fn() -> B) {
    let input = (btree_set(raw_namespace(), 1..5), vec(step(), 1..30));
    check("backend_matches_model", input, |(namespaces, steps)| {
        let namespaces: Vec<Vec<u8>> = namespaces.into_iter().collect();
        let backend = factory();
        let mut model = BackendModel::default();
        for step in steps {
            run_step(&backend, &mut model, &namespaces, &step)?;
            same_state(&backend, &model, &namespaces)?;
        }
        Ok(())
    });
}

fn run_step<B: Backend>(
    backend: &B,
    model: &mut BackendModel,
    namespaces: &[Vec<u8>],
    step: &Step,
) -> Result<(), TestCaseError> {
    let pick = |i: usize| namespaces[i % namespaces.len()].as_slice();
    match step {
        Step::Apply {
            ns,
            ops,
            limit,
            blocking,
        } => {
            let ns = pick(*ns);
            let limits = limits_for(model, ns, ops, *limit);
            let expected = model.apply(ns, ops, limits);
            let got = if *blocking {
                backend.apply_blocking(ns, ops, limits)
            } else {
                block_on(backend.apply(ns, ops, limits))
            };
            match (&expected, &got) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "usage returned by apply"),
                (Err(Error::LimitExceeded { .. }), Err(Error::LimitExceeded { .. })) => {
                    prop_assert_eq!(&expected, &got, "LimitExceeded must report before/after")
                }
                _ => prop_assert!(false, "apply: model {:?}, backend {:?}", expected, got),
            }
        }
        Step::Get { ns, key } => {
            let ns = pick(*ns);
            let got = read(backend, ns, key)?;
            prop_assert_eq!(got, model.get(ns, key), "get");
        }
        Step::GetMany { pairs } => {
            let pairs: Vec<ReadPair<'_>> = pairs
                .iter()
                .map(|(ns, key)| (pick(*ns), &key[..]))
                .collect();
            read_many(backend, model, &pairs)?;
        }
        Step::Clear { ns } => {
            let ns = pick(*ns);
            ok(block_on(backend.clear(ns)), "clear")?;
            model.clear(ns);
        }
        Step::Drop { ns } => {
            let ns = pick(*ns);
            ok(block_on(backend.drop_namespace(ns)), "drop_namespace")?;
            model.clear(ns);
        }
    }
    Ok(())
}

/// Reads `key` through [`Backend::get_shared`], [`Backend::get`] and `get_shared` again (a
/// caching backend answers the first from underneath and the others from memory): all three must
/// agree (the contract of `get_shared`).
fn read<B: Backend>(backend: &B, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>, TestCaseError> {
    let shared = |r: Option<crate::backend::StoredValue>| r.map(|v| v.bytes().to_vec());
    let first = shared(ok(block_on(backend.get_shared(ns, key)), "get_shared")?);
    let got = ok(block_on(backend.get(ns, key)), "get")?;
    let again = shared(ok(block_on(backend.get_shared(ns, key)), "get_shared")?);
    prop_assert_eq!(&first, &got, "get_shared must answer as get");
    prop_assert_eq!(&again, &got, "get_shared must answer as get");
    Ok(got)
}

/// Reads `pairs` through [`Backend::get_many`] twice (a caching backend answers the second from
/// memory): each answer must be the model's, in the order of `pairs`.
fn read_many<B: Backend>(
    backend: &B,
    model: &BackendModel,
    pairs: &[ReadPair<'_>],
) -> Result<(), TestCaseError> {
    let expected: Vec<Option<Vec<u8>>> = pairs.iter().map(|(ns, key)| model.get(ns, key)).collect();
    for _ in 0..2 {
        let got = ok(block_on(backend.get_many(pairs)), "get_many")?;
        let got: Vec<Option<Vec<u8>>> = got
            .into_iter()
            .map(|v| v.map(|v| v.bytes().to_vec()))
            .collect();
        prop_assert_eq!(&got, &expected, "get_many must answer as get, pair by pair");
    }
    Ok(())
}

fn same_state<B: Backend>(
    backend: &B,
    model: &BackendModel,
    namespaces: &[Vec<u8>],
) -> Result<(), TestCaseError> {
    for ns in namespaces {
        let listing = ok(block_on(backend.list(ns)), "list")?;
        prop_assert_eq!(&listing.keys, &model.keys(ns), "keys in insertion order");
        prop_assert_eq!(listing.usage, model.usage(ns), "usage");
        for key in &listing.keys {
            let got = read(backend, ns, key)?;
            prop_assert_eq!(got, model.get(ns, key), "value");
        }
    }
    // Every stored entry of every namespace in one batch, each twice, with a missing key.
    let keys: Vec<(&[u8], Vec<u8>)> = namespaces
        .iter()
        .flat_map(|ns| model.keys(ns).into_iter().map(move |key| (&ns[..], key)))
        .collect();
    let mut pairs: Vec<ReadPair<'_>> = keys.iter().map(|(ns, key)| (*ns, &key[..])).collect();
    pairs.extend(pairs.clone().into_iter().rev());
    pairs.push((&namespaces[0], b"never written \xff"));
    read_many(backend, model, &pairs)?;
    let mut listed = ok(block_on(backend.namespaces()), "namespaces")?;
    listed.sort();
    prop_assert_eq!(listed, model.namespaces(), "namespaces holding data");
    Ok(())
}
