//! Values as each platform stores them (docs/api.md, "values in every dialect"): what a read
//! returns after `setStorage`, `setStorageSync` and `batchSetStorage`, in every dialect, and
//! exactly what was given when the host asks for exact values.

use storage_api::dispatch::{local, Api, Args, Payload};
use storage_api::{MiniProgram, Mpstore};
use storage_core::{Dialect, JsDate, JsObject, JsValue, Scope};

fn program() -> MiniProgram {
    Mpstore::in_memory()
        .mini_program("u", "app", Scope::App)
        .unwrap()
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let mut o = JsObject::new();
    for (k, v) in pairs {
        o.insert(*k, v.clone());
    }
    JsValue::Object(o)
}

fn call(mp: &MiniProgram, d: Dialect, api: &str, args: Vec<JsValue>) -> Payload {
    let api = Api::find(d, api).unwrap_or_else(|| panic!("{d:?} has no {api}"));
    local::call(mp, api, Ok(Args(args))).unwrap().into_payload()
}

/// What `getStorage` of `key` answers in `data`.
fn read(mp: &MiniProgram, d: Dialect, key: &str) -> JsValue {
    match call(mp, d, "getStorage", vec![object(&[("key", key.into())])]) {
        Payload::Shaped { values, .. } => values
            .into_iter()
            .find(|(name, _)| *name == "data")
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("{d:?}: no data for {key}")),
        Payload::Value(v) => panic!("{d:?}: getStorage returned {v:?}"),
    }
}

/// `value` written by each form the dialect has, then read back.
fn round_trips(mp: &MiniProgram, d: Dialect, value: &JsValue) -> Vec<(&'static str, JsValue)> {
    let mut out = Vec::new();
    call(
        mp,
        d,
        "setStorage",
        vec![object(&[("key", "async".into()), ("data", value.clone())])],
    );
    out.push(("setStorage", read(mp, d, "async")));
    let sync = match d.spec().sync_object {
        true => vec![object(&[("key", "sync".into()), ("data", value.clone())])],
        false => vec!["sync".into(), value.clone()],
    };
    call(mp, d, "setStorageSync", sync);
    out.push(("setStorageSync", read(mp, d, "sync")));
    if d.spec().batch {
        let item = object(&[("key", "batch".into()), ("value", value.clone())]);
        call(
            mp,
            d,
            "batchSetStorage",
            vec![object(&[("kvList", JsValue::Array(vec![item]))])],
        );
        out.push(("batchSetStorage", read(mp, d, "batch")));
    }
    out
}

fn date(millis: f64) -> JsValue {
    JsValue::Date(JsDate::from_millis(millis))
}

const EPOCH: &str = "1970-01-01T00:00:00.000Z";

/// `{at: Date(0), gone: undefined, n: NaN, list: [undefined, -0, Infinity, Date(0)]}`.
fn nested() -> JsValue {
    object(&[
        ("at", date(0.0)),
        ("gone", JsValue::Undefined),
        ("n", f64::NAN.into()),
        (
            "list",
            JsValue::Array(vec![
                JsValue::Undefined,
                (-0.0).into(),
                f64::INFINITY.into(),
                date(0.0),
            ]),
        ),
    ])
}

/// [`nested`] through `JSON.stringify` and back.
fn nested_as_json() -> JsValue {
    object(&[
        ("at", EPOCH.into()),
        ("n", JsValue::Null),
        (
            "list",
            JsValue::Array(vec![JsValue::Null, 0.0.into(), JsValue::Null, EPOCH.into()]),
        ),
    ])
}

use Dialect::*;

#[test]
fn each_dialect_stores_values_as_its_platform_does() {
    // (dialect, what a nested value reads back as, what a top-level Date reads back as)
    for (d, nested_back, date_back) in [
        (Wx, nested_as_json(), date(0.0)),
        (Qq, nested_as_json(), date(0.0)),
        (Ks, nested_as_json(), date(0.0)),
        (My, nested_as_json(), EPOCH.into()),
        (Dd, nested_as_json(), EPOCH.into()),
        (Swan, nested_as_json(), EPOCH.into()),
        (Tt, nested(), date(0.0)),
        (TtApp, nested(), date(0.0)),
        (Lark, nested(), date(0.0)),
    ] {
        let mp = program();
        // `JsValue`'s equality is `Object.is`: NaN equals NaN, -0 differs from 0.
        for (form, back) in round_trips(&mp, d, &nested()) {
            assert_eq!(back, nested_back, "{d:?} {form}");
        }
        for (form, back) in round_trips(&mp, d, &date(0.0)) {
            assert_eq!(back, date_back, "{d:?} {form}");
        }
    }
}

#[test]
fn top_level_scalars_keep_their_type_where_the_platform_keeps_them() {
    // WeChat's family keeps a top-level Number; a JSON round trip makes NaN null and -0 zero.
    for (dialects, nan_back, minus_zero_back) in [
        (
            &[Wx, Qq, Ks, Tt, TtApp, Lark][..],
            f64::NAN.into(),
            (-0.0).into(),
        ),
        (&[My, Dd, Swan][..], JsValue::Null, 0.0.into()),
    ] {
        for &d in dialects {
            let mp = program();
            for (value, back) in [(f64::NAN, &nan_back), (-0.0, &minus_zero_back)] {
                for (form, read) in round_trips(&mp, d, &value.into()) {
                    assert_eq!(&read, back, "{d:?} {form} {value}");
                }
            }
        }
    }
}

#[test]
fn json_safe_values_are_unchanged_everywhere() {
    let plain = object(&[
        ("cityName", "杭州".into()),
        ("adCode", 330100.into()),
        (
            "tags",
            JsValue::Array(vec![true.into(), JsValue::Null, "x".into()]),
        ),
    ]);
    for d in Dialect::ALL {
        let mp = program();
        for value in [
            plain.clone(),
            "".into(),
            1.5.into(),
            true.into(),
            JsValue::Null,
        ] {
            for (form, back) in round_trips(&mp, d, &value) {
                assert_eq!(back, value, "{d:?} {form}");
            }
        }
    }
}

#[test]
fn exact_values_keep_everything_in_every_dialect() {
    for d in Dialect::ALL {
        let mp = program().with_exact_values();
        for (form, back) in round_trips(&mp, d, &nested()) {
            assert_eq!(back, nested(), "{d:?} {form}");
        }
        for (form, back) in round_trips(&mp, d, &date(0.0)) {
            assert_eq!(back, date(0.0), "{d:?} {form}");
        }
    }
}

#[test]
fn exact_values_carry_to_other_scopes_of_the_program() {
    let mp = program().with_exact_values();
    for scoped in [mp.web_view(), mp.plugin("p").unwrap()] {
        assert_eq!(round_trips(&scoped, My, &date(0.0))[0].1, date(0.0));
    }
}
