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

/// The same text in every form a `JsString` meets: converted, compared and ordered as a `str`.
fn check_string(text: &str) {
    let from_str = JsString::from(text);
    let from_string = JsString::from(text.to_owned());
    assert_eq!(from_str, from_string, "{text:?}");
    assert_eq!(
        (from_str.as_str(), &*from_string, from_str.len()),
        (text, text, text.len())
    );
    let owned = text.to_owned();
    assert!(from_str == text && from_str == *text && from_str == owned);
    assert!(text == from_str && *text == from_str && owned == from_str);
    assert_eq!(String::from(from_str.clone()), text);
    assert_eq!(
        (from_str.to_string(), format!("{from_str:?}")),
        (text.to_owned(), format!("{text:?}"))
    );
    assert_eq!(JsValue::from(text), JsValue::String(from_str.clone()));
    assert_eq!(JsValue::from(text.to_owned()), JsValue::from(from_str));
}

#[test]
fn a_js_string_reads_as_its_text() {
    check_string("");
    check_string("1234567.890");
    check_string("杭州😀");
    check_string("a\"\\\n\u{1}\u{2028}");
    assert_eq!(JsString::default(), "");
}

#[test]
fn a_js_string_clone_shares_its_text() {
    let a = JsString::from("x".repeat(1000));
    let b = a.clone();
    assert!(JsString::ptr_eq(&a, &b));
    assert!(
        !JsString::ptr_eq(&a, &JsString::from(a.as_str())),
        "equal, not shared"
    );
    let JsValue::String(c) = JsValue::String(a.clone()).clone() else {
        unreachable!()
    };
    assert!(
        JsString::ptr_eq(&a, &c),
        "cloning the JsValue shares it too"
    );
}

#[test]
fn js_strings_order_and_hash_as_their_text() {
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};
    let hash = |h: &dyn Fn(&mut DefaultHasher)| {
        let mut s = DefaultHasher::new();
        h(&mut s);
        s.finish()
    };
    for (a, b) in [("", "a"), ("a", "b"), ("ab", "b"), ("Z", "a"), ("杭", "😀")] {
        assert_eq!(
            JsString::from(a).cmp(&JsString::from(b)),
            a.cmp(b),
            "{a:?} vs {b:?}"
        );
        let (sa, a) = (JsString::from(a), a);
        assert_eq!(hash(&|h| sa.hash(h)), hash(&|h| a.hash(h)), "{a:?}");
    }
    let set: std::collections::HashSet<JsString> = ["a", "b", "a"].map(JsString::from).into();
    assert!(set.contains("a") && set.len() == 2, "borrowed as a str");
}

#[test]
fn a_js_string_is_a_plain_string_to_serde() {
    for text in ["", "杭州😀", "with \"quotes\""] {
        let json = serde_json::to_string(&JsString::from(text)).unwrap();
        assert_eq!(json, serde_json::to_string(text).unwrap());
        let back: JsString = serde_json::from_str(&json).unwrap();
        assert_eq!(back, text);
        let value: JsValue = serde_json::from_str(&json).unwrap();
        assert_eq!(value, JsValue::from(text));
    }
    assert!(serde_json::from_str::<JsString>("1").is_err());
}

/// `text` stored after a header, read back as a view of the stored bytes.
fn in_record(text: &str) -> JsString {
    let bytes = std::sync::Arc::new([b"hd".as_slice(), &encode(&JsValue::from(text))].concat());
    match decode_shared(&bytes, 2).unwrap() {
        JsValue::String(s) => s,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_js_string_in_a_record_reads_as_one_of_its_own() {
    for text in ["", "v", "杭州😀", &"x".repeat(300)] {
        let (view, own) = (in_record(text), JsString::from(text));
        assert_eq!((&view, view.as_str(), view.len()), (&own, text, text.len()));
        assert_eq!(view.cmp(&own), std::cmp::Ordering::Equal);
        assert_eq!(format!("{view:?} {view}"), format!("{own:?} {own}"));
        assert_eq!(String::from(view.clone()), text);
        assert_eq!(&*std::sync::Arc::<str>::from(view.clone()), text);
        assert!(JsString::ptr_eq(&view, &view.clone()));
        let set: std::collections::HashSet<JsString> = [view].into();
        assert!(set.contains(text), "hashes as its text");
    }
}

/// What `decode_shared` answers for `body` stored after a two-byte header: exactly what
/// `decode` answers for `body`.
fn same_as_decode(body: &[u8]) {
    let bytes = std::sync::Arc::new([b"hd".as_slice(), body].concat());
    assert_eq!(decode_shared(&bytes, 2), decode(body), "{body:?}");
}

#[test]
fn decode_shared_answers_as_decode() {
    same_as_decode(&encode(&JsValue::from("text")));
    same_as_decode(&encode(&JsValue::from("")));
    same_as_decode(&encode(&JsValue::from(vec![JsValue::from("a")])));
    same_as_decode(&encode(&JsValue::from(1.5)));
    same_as_decode(&[5, 2, 0xff, 0xfe]); // not UTF-8
    same_as_decode(&[5, 2, b'a', b'b', 0]); // trailing bytes
    same_as_decode(&[5, 2, 0xff, 0xfe, 0]); // both: reported as decode reports them
    same_as_decode(&[5, 9, b'a']); // shorter than its length
    same_as_decode(&[5, 0x80]); // length varint cut short
    same_as_decode(&[5]);
    same_as_decode(&[]);
    same_as_decode(&[99]);
}

proptest::proptest! {
    #[test]
    fn decode_shared_answers_as_decode_for_any_bytes(
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
        string in proptest::prelude::any::<bool>(),
    ) {
        // Half the cases start as a String does, so its branches are reached often.
        let body = if string { [[5u8].as_slice(), &body].concat() } else { body };
        same_as_decode(&body);
    }
}
