//! What the conformance kit cannot see: state that outlives the process. Random calls, with the
//! store closed and reopened (in either durability mode) at random points, must leave exactly
//! what the model holds: the same namespaces, keys in the same order, values and usage. Usage
//! and insertion places are not stored but rebuilt from the entries after each reopen, so every
//! write's result (usage, or the limit refusal with its usage before and after) is compared too.
//! Values include some above the inline threshold (4096 bytes), around it and far above, so
//! large values are written over, shrunk, grown, deleted, cleared and reopened too. The value
//! log's segments are tiny (16 KiB), so they seal and get compacted all the time, and after
//! every reopen the value log's live bytes must be exactly the model's large values.

use proptest::collection::vec;
use proptest::prelude::*;
use storage_core::testkit::model::BackendModel;
use storage_core::testkit::strategies::{raw_key, raw_namespace, raw_op};
use storage_core::{block_on, Backend, Limits, Op};
use storage_sled::{Durability, SledBackend, SledOptions};

#[derive(Debug, Clone)]
enum Step {
    Apply {
        ns: usize,
        ops: Vec<Op>,
        limits: Limits,
    },
    Clear {
        ns: usize,
    },
    Drop {
        ns: usize,
    },
    Reopen {
        durability: Durability,
    },
}

/// A put of a value stored in the value log (some larger than a segment), or just inline at the
/// threshold.
fn large_put() -> impl Strategy<Value = Op> {
    let len = prop_oneof![4090usize..4100, 8190usize..8200, 9000usize..40_000];
    // (A 16 KiB segment holds one or two of these; the longer ones get segments of their own.)
    (raw_key(), len, any::<u8>(), 0u64..50).prop_map(|(key, len, seed, charge)| Op::Put {
        key,
        value: (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect(),
        charge,
    })
}

/// An op of the conformance kit, or a put of a large value.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![4 => raw_op(), 1 => large_put()]
}

fn step() -> impl Strategy<Value = Step> {
    let limits = prop_oneof![
        Just(Limits::NONE),
        (0u64..200, 0u64..6).prop_map(|(max_bytes, max_entries)| Limits {
            max_bytes,
            max_entries
        }),
    ];
    let durability = prop_oneof![Just(Durability::Durable), Just(Durability::Buffered)];
    prop_oneof![
        8 => (0usize..4, vec(op(), 0..6), limits)
            .prop_map(|(ns, ops, limits)| Step::Apply { ns, ops, limits }),
        1 => (0usize..4).prop_map(|ns| Step::Clear { ns }),
        1 => (0usize..4).prop_map(|ns| Step::Drop { ns }),
        2 => durability.prop_map(|durability| Step::Reopen { durability }),
    ]
}

fn open(path: &std::path::Path, durability: Durability) -> SledBackend {
    let options = SledOptions::default()
        .durability(durability)
        .value_log_segment_bytes(16 << 10);
    SledBackend::open_with(path, options).expect("open")
}

/// The bytes of the model's values above the inline threshold: what the value log must count as
/// live.
fn large_bytes(model: &BackendModel) -> u64 {
    let mut total = 0;
    for (ns, _) in model.namespaces() {
        for key in model.keys(&ns) {
            let len = model.get(&ns, &key).map_or(0, |v| v.len());
            if len > 4096 {
                total += len as u64;
            }
        }
    }
    total
}

/// Every namespace of the model (and any the store lists) reads the same in both.
fn same_state(
    store: &SledBackend,
    model: &BackendModel,
    probe: &[u8],
) -> Result<(), TestCaseError> {
    let mut listed = block_on(store.namespaces()).unwrap();
    listed.sort();
    prop_assert_eq!(&listed, &model.namespaces());
    for (ns, _) in &listed {
        let listing = block_on(store.list(ns)).unwrap();
        prop_assert_eq!(&listing.keys, &model.keys(ns));
        prop_assert_eq!(listing.usage, model.usage(ns));
        for key in listing.keys.iter().chain([&probe.to_vec()]) {
            prop_assert_eq!(block_on(store.get(ns, key)).unwrap(), model.get(ns, key));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn state_survives_reopening(
        namespaces in vec(raw_namespace(), 4),
        steps in vec(step(), 1..40),
        probe in raw_key(),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("store");
        let mut store = open(&path, Durability::Durable);
        let mut model = BackendModel::default();
        for step in &steps {
            match step {
                Step::Apply { ns, ops, limits } => {
                    let ns = &namespaces[*ns];
                    let got = block_on(store.apply(ns, ops, *limits));
                    prop_assert_eq!(got, model.apply(ns, ops, *limits));
                }
                Step::Clear { ns } => {
                    block_on(store.clear(&namespaces[*ns])).unwrap();
                    model.clear(&namespaces[*ns]);
                }
                Step::Drop { ns } => {
                    block_on(store.drop_namespace(&namespaces[*ns])).unwrap();
                    model.clear(&namespaces[*ns]);
                }
                Step::Reopen { durability } => {
                    // A clean close keeps buffered writes too.
                    drop(store);
                    store = open(&path, *durability);
                    same_state(&store, &model, &probe)?;
                    prop_assert_eq!(store.value_log_stats().live_bytes, large_bytes(&model));
                }
            }
        }
        drop(store);
        same_state(&open(&path, Durability::Durable), &model, &probe)?;
    }
}

/// One step of an ordering case: `+k` puts `k`, `-k` deletes it, `|` closes and reopens.
fn run_steps(steps: &str) -> Vec<Vec<u8>> {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    let mut store = open(&path, Durability::Durable);
    for step in steps.split_whitespace() {
        let (what, key) = step.split_at(1);
        let op = match what {
            "+" => Op::Put {
                key: key.into(),
                value: key.into(),
                charge: 1,
            },
            "-" => Op::Delete { key: key.into() },
            "|" => {
                drop(store);
                store = open(&path, Durability::Durable);
                continue;
            }
            _ => panic!("bad step {step}"),
        };
        block_on(store.apply(b"ns", &[op], Limits::NONE)).unwrap();
    }
    block_on(store.list(b"ns")).unwrap().keys
}

#[test]
fn places_survive_deletes_and_reopening() {
    // (steps, keys listed at the end)
    let cases: &[(&str, &[&str])] = &[
        ("+a +b +c | +d", &["a", "b", "c", "d"]),
        // The newest key deleted: the next new key still lists last after a reopen.
        ("+a +b +c -c | +d", &["a", "b", "d"]),
        ("+a +b +c -c -b | +d +b", &["a", "d", "b"]),
        ("+a +b -a | +a", &["b", "a"]),
        ("+a +b | -a | +a | +b", &["b", "a"]),
        ("+a +b -a -b | +c +a", &["c", "a"]),
        ("+a | +b | +c | -a | +a", &["b", "c", "a"]),
        ("+a +b +c -a -b -c | | +z", &["z"]),
    ];
    for (steps, expected) in cases {
        let expected: Vec<Vec<u8>> = expected.iter().map(|k| k.as_bytes().to_vec()).collect();
        assert_eq!(run_steps(steps), expected, "{steps}");
    }
}
