//! Every JS type of behaviour §1 round-trips through every dialect, async and Sync: exactly when
//! the host asks for exact values, and as the platform stores it otherwise (values.rs has the
//! platforms' rules case by case).

use crate::common::*;
use storage_core::{Dialect, JsDate, JsObject, JsValue};

/// `value` written with `d`'s async and Sync APIs reads back through both as itself (exact
/// values) or as the dialect stores it.
fn round_trip(d: Dialect, value: JsValue) {
    let device = d.spec().values.stored(value.clone());
    for (mp, expected) in [(fresh().with_exact_values(), &value), (fresh(), &device)] {
        set(&mp, d, "async", value.clone());
        set_sync(&mp, d, "sync", value.clone());
        for key in ["async", "sync"] {
            assert_eq!(&value_sync(&mp, d, key), expected, "{d:?} {key} Sync read");
            assert_eq!(
                &crate::common::value(&mp, d, key),
                expected,
                "{d:?} {key} async read"
            );
        }
    }
}

fn object(entries: Vec<(&str, JsValue)>) -> JsValue {
    JsValue::Object(entries.into_iter().collect::<JsObject>())
}

#[test]
fn every_type_round_trips() {
    for d in crate::common::TYPED {
        round_trip(d, "1234567.890".into());
        round_trip(d, "0".into());
        round_trip(d, "false".into());
        round_trip(d, "null".into());
        round_trip(d, "".into());
        round_trip(d, " ".into());
        round_trip(d, "杭州😀\u{0}\n".into());
        round_trip(d, 1100.8989.into());
        round_trip(d, 0.into());
        round_trip(d, (-0.0).into());
        round_trip(d, f64::NAN.into());
        round_trip(d, f64::INFINITY.into());
        round_trip(d, 1e21.into());
        round_trip(d, 5e-324.into());
        round_trip(d, false.into());
        round_trip(d, true.into());
        round_trip(d, JsValue::Null);
        round_trip(d, JsValue::Undefined);
        round_trip(d, JsDate::from_millis(1_557_813_466_123.0).into());
        round_trip(d, JsDate::from_millis(-1.0).into());
        round_trip(d, JsDate::invalid().into());
        round_trip(d, JsValue::Array(vec![]));
        round_trip(d, object(vec![]));
        round_trip(
            d,
            JsValue::Array(vec![
                1.into(),
                "1".into(),
                JsValue::Null,
                JsValue::Undefined,
            ]),
        );
        round_trip(
            d,
            object(vec![
                ("z", 1.into()),
                ("a", 2.into()),
                ("m", object(vec![("y", "".into()), ("b", false.into())])),
            ]),
        );
        round_trip(
            d,
            object(vec![
                ("2", "x".into()),
                ("1", "y".into()),
                ("date", JsDate::from_millis(0.0).into()),
                ("u", JsValue::Undefined),
            ]),
        );
    }
}

#[test]
fn strings_and_numbers_stay_apart() {
    for d in crate::common::TYPED {
        let mp = fresh();
        set_sync(&mp, d, "s", "1100.8989");
        set_sync(&mp, d, "n", 1100.8989);
        assert_eq!(
            value_sync(&mp, d, "s"),
            JsValue::String("1100.8989".into()),
            "{d:?}"
        );
        assert_eq!(value_sync(&mp, d, "n"), JsValue::Number(1100.8989), "{d:?}");
    }
}

#[test]
fn nested_object_key_order_survives_into_json() {
    let mp = fresh();
    let v = object(vec![
        ("z", 1.into()),
        ("a", object(vec![("y", 1.into()), ("b", 2.into())])),
    ]);
    set_sync(&mp, Wx, "k", v);
    let res = storage_core::block_on(mp.wx().get_storage("k")).unwrap();
    assert_eq!(
        serde_json::to_string(&res).unwrap(),
        r#"{"data":{"z":1,"a":{"y":1,"b":2}},"errMsg":"getStorage:ok"}"#
    );
}
