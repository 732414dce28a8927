//! proptest strategies for mpstore's inputs: hostile ids and keys, values of every type,
//! namespaces, and raw backend operations.
//!
//! Use them in your own property tests:
//!
//! ```
//! use proptest::prelude::*;
//! use storage_core::testkit::strategies;
//! proptest!(|(ns in strategies::namespace(), key in strategies::key())| {
//!     prop_assert_eq!(storage_core::Namespace::decode(&ns.encode()).unwrap(), ns);
//!     prop_assert!(!key.is_empty());
//! });
//! ```

use crate::backend::Op;
use crate::namespace::{Namespace, Scope};
use crate::value::{JsDate, JsObject, JsValue};
use proptest::collection::vec;
use proptest::prelude::*;

/// Any string of up to `max` chars, control characters, NUL and astral characters included.
pub fn any_string(max: usize) -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..=max).prop_map(String::from_iter)
}

/// Strings chosen to break naive encodings: separators, NUL, look-alikes, emoji, combining
/// marks, and a very long one.
pub fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_string()),
        Just("a ".to_string()),
        Just(" a".to_string()),
        Just("a\0".to_string()),
        Just("\0".to_string()),
        Just("/".to_string()),
        Just(":".to_string()),
        Just("user/app:plugin|x".to_string()),
        Just("😀".to_string()),
        Just("e\u{301}".to_string()),
        Just("\u{e9}".to_string()),
        Just("\u{feff}\u{2028}".to_string()),
        Just("杭州".to_string()),
        Just("x".repeat(1000)),
        any_string(12),
    ]
}

/// A non-empty id (user, app, plugin, game, openid), hostile or random.
pub fn id() -> impl Strategy<Value = String> {
    hostile_string().prop_filter("ids are non-empty", |s| !s.is_empty())
}

/// A non-empty storage key, hostile or random.
pub fn key() -> impl Strategy<Value = String> {
    id()
}

/// A local scope: the app, a web-view, or a plugin with a hostile id.
pub fn scope() -> impl Strategy<Value = Scope> {
    prop_oneof![
        Just(Scope::App),
        Just(Scope::WebView),
        id().prop_map(Scope::Plugin),
    ]
}

/// Any namespace (local, cloud or game host), with hostile ids.
pub fn namespace() -> impl Strategy<Value = Namespace> {
    prop_oneof![
        3 => (id(), id(), scope()).prop_map(|(u, a, s)| Namespace::local(u, a, s).expect("ids are non-empty and short")),
        1 => (id(), id()).prop_map(|(g, o)| Namespace::cloud(g, o).expect("ids are non-empty and short")),
        1 => (id(), id()).prop_map(|(g, s)| Namespace::game_host(g, s).expect("ids are non-empty and short")),
    ]
}

/// Any Number: ordinary values and the edge cases (`-0`, `NaN`, the infinities, extremes).
pub fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        (-1_000_000i64..1_000_000).prop_map(|n| n as f64),
        Just(-0.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(1100.8989),
    ]
}

/// A scalar value of any type, with strings of up to `max_str` chars.
pub fn scalar(max_str: usize) -> impl Strategy<Value = JsValue> {
    prop_oneof![
        Just(JsValue::Undefined),
        Just(JsValue::Null),
        any::<bool>().prop_map(JsValue::Bool),
        number().prop_map(JsValue::Number),
        any_string(max_str).prop_map(JsValue::from),
        Just(JsValue::from("1234567.890")),
        Just(JsValue::from("")),
        any::<f64>().prop_map(|t| JsValue::Date(JsDate::from_millis(t))),
        (-8_640_000_000_000_000i64..=8_640_000_000_000_000)
            .prop_map(|t| JsValue::Date(JsDate::from_millis(t as f64))),
    ]
}

/// A value of any of the eight types, nested a few levels, strings of up to `max_str` chars.
pub fn js_value(max_str: usize) -> impl Strategy<Value = JsValue> {
    scalar(max_str).prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(JsValue::Array),
            vec((any_string(6), inner), 0..4)
                .prop_map(|entries| JsValue::Object(JsObject::from_iter(entries))),
        ]
    })
}

/// Raw namespace bytes for backend-level tests: encoded namespaces plus byte strings that are
/// empty or prefixes of each other.
pub fn raw_namespace() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        Just(b"n".to_vec()),
        Just(b"n\0".to_vec()),
        Just(b"n\0k".to_vec()),
        Just(vec![0xff; 3]),
        namespace().prop_map(|ns| ns.encode()),
        vec(any::<u8>(), 0..16),
    ]
}

/// Raw keys for backend-level tests, from a small pool so that overwrites and deletes hit.
pub fn raw_key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (0u8..6).prop_map(|i| vec![b'k', i]),
        1 => Just(Vec::new()),
        1 => Just(vec![0]),
        1 => Just(vec![b'k']),
        1 => vec(any::<u8>(), 0..300),
    ]
}

/// A raw backend op with a small charge.
pub fn raw_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (raw_key(), vec(any::<u8>(), 0..40), 0u64..50)
            .prop_map(|(key, value, charge)| Op::Put { key, value, charge }),
        1 => raw_key().prop_map(|key| Op::Delete { key }),
    ]
}
