//! Random sequences of writes, clears, drops, rotations and re-opens (cold caches, keys read back
//! from the keyring) against the backend model, with caches of every size from none to the
//! default: the store always answers exactly as the model, its caches stay within their sizes,
//! and its keyring never keeps a wrap of another generation or a rotation marker.

mod support;

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use std::sync::Arc;
use storage_core::testkit::model::BackendModel;
use storage_core::testkit::strategies::{raw_namespace, raw_op};
use storage_core::{block_on, Backend, Limits, Op};
use storage_crypto::{CacheSizes, EncryptedBackend};
use support::{key, Raw};

#[derive(Debug, Clone)]
enum Step {
    Apply { ns: usize, ops: Vec<Op> },
    Clear { ns: usize },
    Drop { ns: usize },
    Rotate { to: u8 },
    Reopen,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0usize..4, vec(raw_op(), 0..5)).prop_map(|(ns, ops)| Step::Apply { ns, ops }),
        1 => (0usize..4).prop_map(|ns| Step::Clear { ns }),
        2 => (0usize..4).prop_map(|ns| Step::Drop { ns }),
        1 => (1u8..4).prop_map(|to| Step::Rotate { to }),
        2 => Just(Step::Reopen),
    ]
}

/// Cache sizes from none (every call unwraps keys and seals names) to the default.
fn sizes() -> impl Strategy<Value = CacheSizes> {
    prop_oneof![
        3 => (0usize..4, 0usize..6).prop_map(|(namespaces, names)| CacheSizes::default().namespaces(namespaces).names(names)),
        1 => Just(CacheSizes::default()),
    ]
}

fn open(raw: &Raw, n: u8, sizes: CacheSizes) -> EncryptedBackend<Raw> {
    block_on(EncryptedBackend::open_with(Arc::clone(raw), &key(n), sizes)).unwrap()
}

fn assert_matches(
    store: &EncryptedBackend<Raw>,
    sizes: CacheSizes,
    model: &BackendModel,
    namespaces: &[Vec<u8>],
) -> Result<(), TestCaseError> {
    for ns in namespaces {
        let listing = block_on(store.list(ns)).unwrap();
        prop_assert_eq!(&listing.keys, &model.keys(ns));
        prop_assert_eq!(listing.usage, model.usage(ns));
        for k in &listing.keys {
            prop_assert_eq!(block_on(store.get(ns, k)).unwrap(), model.get(ns, k));
        }
    }
    let mut got = block_on(store.namespaces()).unwrap();
    got.sort();
    prop_assert_eq!(got, model.namespaces());
    // The keyring: the head, and wraps of one generation only.
    let keyring = block_on(store.inner().list(b"k")).unwrap().keys;
    let generations: std::collections::BTreeSet<_> = keyring
        .iter()
        .filter(|k| k.first() == Some(&b'w'))
        .map(|k| k[1..9].to_vec())
        .collect();
    prop_assert!(generations.len() <= 1, "{:?}", generations);
    prop_assert!(!keyring.iter().any(|k| k == b"r"));
    let held = store.cached();
    prop_assert!(held.namespaces <= sizes.namespaces && held.names <= sizes.names);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: storage_core::testkit::cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn reopened_and_rotated_stores_match_the_model(
        namespaces in btree_set(raw_namespace(), 4..=4),
        steps in vec(step(), 1..25),
        sizes in sizes(),
    ) {
        let namespaces: Vec<Vec<u8>> = namespaces.into_iter().collect();
        let raw: Raw = Arc::default();
        let mut current = 1;
        let mut store = open(&raw, current, sizes);
        let mut model = BackendModel::default();
        for step in steps {
            match step {
                Step::Apply { ns, ops } => {
                    let ns = &namespaces[ns];
                    let got = block_on(store.apply(ns, &ops, Limits::NONE));
                    prop_assert_eq!(got, model.apply(ns, &ops, Limits::NONE));
                }
                Step::Clear { ns } => {
                    block_on(store.clear(&namespaces[ns])).unwrap();
                    model.clear(&namespaces[ns]);
                }
                Step::Drop { ns } => {
                    block_on(store.drop_namespace(&namespaces[ns])).unwrap();
                    model.clear(&namespaces[ns]);
                }
                Step::Rotate { to } => {
                    block_on(store.rotate(&key(to))).unwrap();
                    current = to;
                }
                Step::Reopen => {
                    drop(store);
                    store = open(&raw, current, sizes);
                }
            }
            assert_matches(&store, sizes, &model, &namespaces)?;
        }
    }
}
