use super::*;

fn obj(entries: &[(&str, JsValue)]) -> JsValue {
    JsValue::Object(entries.iter().cloned().collect())
}

/// Checks the measured text, and its lengths in both units.
fn check_text(v: JsValue, text: &str) {
    assert_eq!(v.serialized_text(), text, "text of {v:?}");
    let size = v.serialized_size();
    assert_eq!(
        size.utf16,
        text.encode_utf16().count() as u64,
        "utf16 of {v:?}"
    );
    assert_eq!(size.utf8, text.len() as u64, "utf8 of {v:?}");
}

#[test]
fn serialized_text_is_what_a_js_host_sends() {
    check_text(JsValue::from("1234567.890"), "1234567.890");
    check_text(JsValue::from(""), "");
    check_text(JsValue::from("杭州😀"), "杭州😀");
    check_text(JsValue::from(1100.8989), "1100.8989");
    check_text(JsValue::from(0.0), "0");
    check_text(JsValue::from(-0.0), "0");
    check_text(JsValue::from(1e21), "1e+21");
    check_text(JsValue::from(1e-7), "1e-7");
    check_text(
        JsValue::from(123456789012345680000.0),
        "123456789012345680000",
    );
    check_text(JsValue::from(f64::NAN), "null");
    check_text(JsValue::from(f64::INFINITY), "null");
    check_text(JsValue::from(false), "false");
    check_text(JsValue::Null, "null");
    check_text(JsValue::Undefined, "");
    check_text(JsDate::from_millis(0.0).into(), "1970-01-01T00:00:00.000Z");
    check_text(JsDate::invalid().into(), "null");
    check_text(
        obj(&[
            ("cityName", "杭州".into()),
            ("skip", JsValue::Undefined),
            ("d", JsDate::from_millis(0.0).into()),
            ("n", JsValue::from(f64::NAN)),
        ]),
        r#"{"cityName":"杭州","d":"1970-01-01T00:00:00.000Z","n":null}"#,
    );
    check_text(
        JsValue::from(vec![
            JsValue::Undefined,
            JsValue::from("a\"\\\n\u{1}\u{2028}"),
        ]),
        "[null,\"a\\\"\\\\\\n\\u0001\u{2028}\"]",
    );
    check_text(obj(&[]), "{}");
    check_text(JsValue::from(vec![]), "[]");
}

#[test]
fn json_stringify_returns_nothing_for_undefined() {
    assert_eq!(JsValue::Undefined.to_json_string(), None);
    assert_eq!(
        JsValue::from("x").to_json_string().as_deref(),
        Some("\"x\"")
    );
}

fn nested(depth: usize) -> JsValue {
    let mut v = JsValue::Null;
    for _ in 0..depth {
        v = JsValue::from(vec![v]);
    }
    v
}

#[test]
fn depth_counts_containers() {
    assert_eq!(JsValue::Null.depth(), 0);
    assert_eq!(JsValue::from(vec![]).depth(), 1);
    assert_eq!(obj(&[("a", obj(&[]))]).depth(), 2);
    assert_eq!(nested(MAX_DEPTH).depth(), MAX_DEPTH);
    assert!(nested(MAX_DEPTH + 1).depth() > MAX_DEPTH);
}

fn round_trip(v: JsValue) {
    assert_eq!(decode(&encode(&v)).unwrap(), v);
}

#[test]
fn every_type_round_trips_exactly() {
    round_trip(JsValue::from("1234567.890"));
    round_trip(JsValue::from(1100.8989));
    round_trip(JsValue::from(-0.0));
    round_trip(JsValue::from(f64::NAN));
    round_trip(JsValue::from(f64::NEG_INFINITY));
    round_trip(JsValue::from(""));
    round_trip(JsValue::from(0));
    round_trip(JsValue::from(false));
    round_trip(JsValue::Null);
    round_trip(JsValue::Undefined);
    round_trip(JsDate::from_millis(1_557_813_466_123.0).into());
    round_trip(JsDate::invalid().into());
    round_trip(obj(&[
        ("z", 1.into()),
        ("a", obj(&[("y", JsValue::Undefined)])),
    ]));
    round_trip(nested(MAX_DEPTH));
}

#[test]
fn equality_is_object_is() {
    assert_eq!(JsValue::from(f64::NAN), JsValue::from(f64::NAN));
    assert_ne!(JsValue::from(0.0), JsValue::from(-0.0));
    assert_ne!(JsValue::from("1"), JsValue::from(1));
    assert_ne!(JsValue::Null, JsValue::Undefined);
    assert_ne!(
        obj(&[("a", 1.into()), ("b", 2.into())]),
        obj(&[("b", 2.into()), ("a", 1.into())])
    );
}

fn rejects(bytes: &[u8]) {
    assert!(decode(bytes).is_err(), "{bytes:?} decoded");
}

#[test]
fn malformed_encodings_are_errors() {
    rejects(&[]);
    rejects(&[9]);
    rejects(&[4, 0, 0]);
    rejects(&[5, 5, b'a']);
    rejects(&[5, 1, 0xff]);
    rejects(&[
        5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    rejects(&[7, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    rejects(&[1, 1]);
    // A date that is not a clipped time value.
    let mut d = vec![6];
    d.extend_from_slice(&1.5f64.to_bits().to_le_bytes());
    rejects(&d);
    // Nesting past the limit.
    let mut deep = [7, 1].repeat(MAX_DEPTH + 1);
    deep.push(1);
    rejects(&deep);
}

#[test]
fn lone_surrogates_are_refused() {
    assert_eq!(
        JsValue::from_utf16(&[0x61, 0xdc00]),
        Err(LoneSurrogate { position: 1 })
    );
    assert_eq!(
        JsValue::from_utf16(&[0xd83d]),
        Err(LoneSurrogate { position: 0 })
    );
    assert_eq!(JsValue::from_utf16(&[0x61]).unwrap(), JsValue::from("a"));
}

#[test]
fn serde_gives_plain_json() {
    let v = obj(&[
        ("b", 1.into()),
        ("a", JsValue::from(1.5)),
        ("u", JsValue::Undefined),
        ("d", JsDate::from_millis(0.0).into()),
    ]);
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        r#"{"b":1,"a":1.5,"d":"1970-01-01T00:00:00.000Z"}"#
    );
    let back: JsValue = serde_json::from_str(r#"{"z":[1,"2",null,true],"a":{}}"#).unwrap();
    assert_eq!(
        back,
        obj(&[
            (
                "z",
                JsValue::from(vec![1.into(), "2".into(), JsValue::Null, true.into()])
            ),
            ("a", obj(&[])),
        ])
    );
}
