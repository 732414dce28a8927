//! Properties of the value model and the namespace encoding, over the kit's strategies.

use proptest::prelude::*;
use storage_core::testkit::strategies::{js_value, namespace};
use storage_core::value::{decode, encode};
use storage_core::{JsValue, Namespace};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(storage_core::testkit::cases()))]

    #[test]
    fn every_value_round_trips(v in js_value(32)) {
        prop_assert_eq!(decode(&encode(&v)).unwrap(), v);
    }

    #[test]
    fn any_bytes_decode_to_a_value_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(v) = decode(&bytes) {
            prop_assert_eq!(decode(&encode(&v)).unwrap(), v);
        }
    }

    #[test]
    fn measured_text_is_json_stringify(v in js_value(32)) {
        // serde_json parses what JSON.stringify wrote; measured text and size agree.
        if let Some(json) = v.to_json_string() {
            prop_assert!(serde_json::from_str::<JsValue>(&json).is_ok(), "{}", json);
        }
        let text = v.serialized_text();
        let size = v.serialized_size();
        prop_assert_eq!(size.utf16, text.encode_utf16().count() as u64);
        prop_assert_eq!(size.utf8, text.len() as u64);
    }

    #[test]
    fn namespace_encoding_is_injective_and_prefix_free(a in namespace(), b in namespace()) {
        let (ea, eb) = (a.encode(), b.encode());
        prop_assert_eq!(Namespace::decode(&ea).unwrap(), a.clone());
        if a != b {
            prop_assert_ne!(&ea, &eb);
            prop_assert!(!eb.starts_with(&ea) && !ea.starts_with(&eb), "{:?} / {:?}", a, b);
        }
    }

    #[test]
    fn any_bytes_decode_to_a_namespace_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(ns) = Namespace::decode(&bytes) {
            prop_assert_eq!(ns.encode(), bytes);
        }
    }
}
