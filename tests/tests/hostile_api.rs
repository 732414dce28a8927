//! Hostile input through the Rust API (storage-api over encrypted sled): empty and huge keys and
//! values, keys of the wrong type, invalid Unicode, values nested far too deeply, every special
//! Number, bad ids, a wrong master key, and the same store or namespace opened twice.
//!
//! Every row gets the dialect's documented error (built from the rules and the one error table,
//! never written here), nothing panics or overflows the stack, and the entries stored before are
//! all still there, byte for byte, after every row.

use serde_json::{json, Value};
use storage_api::{
    MiniProgram, Mpstore, MyError, MySyncFailure, SetStorageOption, TtError, WxError,
};
use storage_core::codes::ApiKind::{self, LocalRead as R, LocalWrite as W};
use storage_core::value::MAX_DEPTH;
use storage_core::{block_on, Error, JsType, JsValue, Policy, Scope};
use storage_crypto::{is_wrong_master_key, RawKeyProvider};
use tempfile::TempDir;

const KEY: [u8; 32] = [9; 32];

/// A store holding a few entries that no hostile call may lose.
struct Fixture {
    dir: TempDir,
    store: Mpstore,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Mpstore::open(dir.path(), &RawKeyProvider::new(KEY)).unwrap();
    let f = Fixture { dir, store };
    let mp = f.mp();
    mp.wx()
        .set_storage_sync("keep-1", json_js(json!({"a": [1, "two", null]})))
        .unwrap();
    assert!(mp.my().set_storage_sync("keep-2", "杭州").is_success());
    mp.tt().set_storage_sync("keep-3", -0.0).unwrap();
    f
}

fn json_js(v: Value) -> JsValue {
    serde_json::from_value(v).unwrap()
}

impl Fixture {
    fn mp(&self) -> MiniProgram {
        self.store.mini_program("user", "app", Scope::App).unwrap()
    }

    /// The fixture's entries are all there, with their values, in their order.
    fn intact(&self, context: &str) {
        let wx = self.mp().wx();
        let info = wx.get_storage_info_sync().unwrap();
        assert_eq!(&info.keys[..3], ["keep-1", "keep-2", "keep-3"], "{context}");
        assert_eq!(
            wx.get_storage_sync("keep-1").unwrap(),
            json_js(json!({"a": [1, "two", null]})),
            "{context}"
        );
        assert_eq!(
            wx.get_storage_sync("keep-2").unwrap(),
            "杭州".into(),
            "{context}"
        );
        assert_eq!(
            wx.get_storage_sync("keep-3").unwrap(),
            JsValue::Number(-0.0),
            "{context}"
        );
    }
}

fn shown<S: serde::Serialize, F: serde::Serialize>(r: Result<S, F>) -> Result<Value, Value> {
    r.map(|s| serde_json::to_value(s).unwrap())
        .map_err(|f| serde_json::to_value(f).unwrap())
}

/// `key` and `value` set through every dialect's Sync and async forms: each must fail with the
/// documented error for `err` (or succeed, when `err` is `None`), and lose nothing.
fn check_set(key: JsValue, value: JsValue, err: Option<Error>) {
    let f = fixture();
    let mp = f.mp();
    let expect = |form: &str, api: &str, kind: ApiKind, got: Result<Value, Value>| {
        let want = err.as_ref().map(|e| match form {
            "wx" => serde_json::to_value(WxError::new(api, kind, e)).unwrap(),
            "tt" => serde_json::to_value(TtError::new(api, kind, e)).unwrap(),
            "my" => serde_json::to_value(MyError::new(kind, e)).unwrap(),
            _ => serde_json::to_value(MySyncFailure::new(kind, e)).unwrap(),
        });
        match (got, want) {
            (Err(got), Some(want)) => assert_eq!(got, want, "{form} {api}"),
            (Ok(_), None) => {}
            (got, want) => panic!("{form} {api}: got {got:?}, want {want:?}"),
        }
    };
    let (k, v) = (key.clone(), value.clone());
    expect(
        "wx",
        "setStorageSync",
        W,
        shown(mp.wx().set_storage_sync(k.clone(), v.clone())),
    );
    expect(
        "wx",
        "setStorage",
        W,
        shown(block_on(mp.wx().set_storage(k.clone(), v.clone()))),
    );
    expect(
        "mySync",
        "",
        W,
        shown(mp.my().set_storage_sync(k.clone(), v.clone()).into_result()),
    );
    expect(
        "my",
        "",
        W,
        shown(block_on(mp.my().set_storage(k.clone(), v.clone()))),
    );
    expect(
        "tt",
        "setStorageSync",
        W,
        shown(mp.tt().set_storage_sync(k.clone(), v.clone())),
    );
    expect(
        "tt",
        "setStorage",
        W,
        shown(block_on(mp.tt().set_storage(k, v))),
    );
    f.intact(&format!("set {:.40?}", key));
}

/// The error each dialect's rules give `key` = `value` (so the table holds no message).
fn rule_error(policy: &Policy, key: &str, value: &JsValue) -> Error {
    policy.check_entry(key, value, false).unwrap_err()
}

fn nested(depth: usize) -> JsValue {
    let mut v = JsValue::from("bottom");
    for _ in 0..depth {
        v = JsValue::Array(vec![v]);
    }
    v
}

#[test]
fn empty_keys_fail_with_each_dialects_error() {
    check_set("".into(), "v".into(), Some(Error::EmptyKey));
}

#[test]
fn keys_of_the_wrong_type_fail_with_each_dialects_error() {
    for (key, actual) in [
        (JsValue::Number(5.0), JsType::Number),
        (JsValue::Null, JsType::Null),
        (JsValue::Bool(true), JsType::Boolean),
        (json_js(json!({"k": 1})), JsType::Object),
        (json_js(json!(["k"])), JsType::Array),
    ] {
        let err = Error::WrongType {
            param: "key".into(),
            expected: JsType::String,
            actual,
        };
        check_set(key, "v".into(), Some(err));
    }
}

#[test]
fn huge_values_hit_each_dialects_entry_limit() {
    // One unit past each dialect's own limit, measured its own way.
    let wx = JsValue::from("x".repeat(1_048_576));
    let my = JsValue::from("x".repeat(204_801));
    let tt = JsValue::from("杭".repeat(349_526)); // 1,048,578 UTF-8 bytes, 349,526 UTF-16 units
    let f = fixture();
    let mp = f.mp();
    assert_eq!(
        mp.wx().set_storage_sync("k", wx.clone()).unwrap_err(),
        WxError::new("setStorageSync", W, &rule_error(&Policy::WX, "k", &wx))
    );
    assert_eq!(
        mp.my()
            .set_storage_sync("k", my.clone())
            .into_result()
            .unwrap_err(),
        MySyncFailure::new(W, &rule_error(&Policy::MY, "k", &my))
    );
    assert_eq!(
        mp.tt().set_storage_sync("k", tt.clone()).unwrap_err(),
        TtError::new("setStorageSync", W, &rule_error(&Policy::TT, "k", &tt))
    );
    // The same values are within the other dialects' limits where those are larger.
    mp.wx().set_storage_sync("tt-sized", tt).unwrap();
    mp.tt().set_storage_sync("my-sized", my).unwrap();
    f.intact("huge values");
}

#[test]
fn a_key_larger_than_the_quota_fails_in_every_dialect() {
    let key = "k".repeat(10 * 1024 * 1024 + 1);
    let f = fixture();
    let mp = f.mp();
    let wx = mp.wx().set_storage_sync(key.as_str(), 1).unwrap_err();
    assert_eq!(
        wx,
        WxError::new(
            "setStorageSync",
            W,
            &rule_error(&Policy::WX, &key, &1.into())
        )
    );
    // Alipay and Douyin do not count the key in the entry limit, only in the 10 MB total.
    let quota = Error::QuotaExceeded { after: 0, limit: 0 };
    let my = mp
        .my()
        .set_storage_sync(key.as_str(), 1)
        .into_result()
        .unwrap_err();
    assert_eq!(my, MySyncFailure::new(W, &quota));
    let tt = mp.tt().set_storage_sync(key.as_str(), 1).unwrap_err();
    assert_eq!(tt, TtError::new("setStorageSync", W, &quota));
    // Reading and removing a huge key are fine and find nothing.
    assert_eq!(mp.wx().get_storage_sync(key.as_str()).unwrap(), "".into());
    mp.tt().remove_storage_sync(key.as_str()).unwrap();
    f.intact("huge key");
}

#[test]
fn values_nested_past_the_limit_are_parameter_errors_at_any_depth() {
    let f = fixture();
    let mp = f.mp();
    // At the limit: stored and read back.
    mp.wx()
        .set_storage_sync("deep", nested(MAX_DEPTH - 1))
        .unwrap();
    assert_eq!(
        mp.wx().get_storage_sync("deep").unwrap(),
        nested(MAX_DEPTH - 1)
    );
    // Far past the limit (the depth check stops counting at the limit, so it costs nothing).
    // Rust drops nested values recursively, so the test keeps to depths whose drop fits a
    // test thread's 2 MB stack; through the bridge and the command line, JSON parsing refuses
    // anything deeper than 128 levels first.
    for depth in [MAX_DEPTH + 1, 1_000, 5_000] {
        let err = rule_error(&Policy::WX, "deep", &nested(depth));
        assert!(matches!(err, Error::InvalidParam(_)), "{err:?}");
        assert_eq!(
            mp.wx().set_storage_sync("deep", nested(depth)).unwrap_err(),
            WxError::new("setStorageSync", W, &err)
        );
        assert_eq!(
            block_on(mp.wx().set_storage("deep", nested(depth))).unwrap_err(),
            WxError::new("setStorage", W, &err)
        );
        assert_eq!(
            mp.my()
                .set_storage_sync("deep", nested(depth))
                .into_result()
                .unwrap_err(),
            MySyncFailure::new(W, &err)
        );
        assert_eq!(
            mp.tt().set_storage_sync("deep", nested(depth)).unwrap_err(),
            TtError::new("setStorageSync", W, &err)
        );
        let items = [storage_api::KvItem::new("deep", nested(depth))];
        assert_eq!(
            mp.wx().batch_set_storage_sync(items).unwrap_err(),
            WxError::new("batchSetStorageSync", W, &err)
        );
        // The failed writes left the stored value alone.
        assert_eq!(
            mp.wx().get_storage_sync("deep").unwrap(),
            nested(MAX_DEPTH - 1)
        );
    }
    // JSON nested deeper than any limit is refused by the parser, not by a stack overflow.
    let text = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(serde_json::from_str::<JsValue>(&text).is_err());
    f.intact("deep values");
}

#[test]
fn every_special_number_round_trips_exactly() {
    let f = fixture();
    let mp = f.mp();
    let numbers = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        0.0,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324,
        9_007_199_254_740_993.0,
        1100.8989,
    ];
    for (i, n) in numbers.into_iter().enumerate() {
        let key = format!("n{i}");
        mp.tt().set_storage_sync(key.as_str(), n).unwrap();
        // Object.is equality: NaN is NaN, -0 is not +0.
        assert_eq!(
            mp.wx().get_storage_sync(key.as_str()).unwrap(),
            JsValue::Number(n),
            "{n}"
        );
        assert_eq!(
            block_on(mp.my().get_storage(key.as_str())).unwrap().data,
            JsValue::Number(n)
        );
    }
    // Text beyond f64 never becomes a Number silently: JSON's 1e400 is refused by the parser.
    assert!(serde_json::from_str::<JsValue>("1e400").is_err());
    f.intact("numbers");
}

#[test]
fn invalid_unicode_cannot_become_a_value_and_valid_unicode_is_kept_exactly() {
    assert!(JsValue::from_utf16(&[0xd800]).is_err());
    assert!(JsValue::from_utf16(&[0x61, 0xdc00, 0x62]).is_err());
    let f = fixture();
    let mp = f.mp();
    for key in [
        "\u{0}", "a\u{0}b", "😀", "e\u{301}", "\u{e9}", " ", "a ", "/:\\", "\u{feff}",
    ] {
        let value = JsValue::from_utf16(&[0xd83d, 0xde00, 0x0]).unwrap();
        mp.wx().set_storage_sync(key, value.clone()).unwrap();
        assert_eq!(mp.tt().get_storage_sync(key).unwrap(), value, "{key:?}");
    }
    // NFC and NFD spellings are different keys.
    assert_ne!(mp.wx().get_storage_sync("e\u{301}").unwrap(), "".into());
    let keys = mp.wx().get_storage_info_sync().unwrap().keys;
    assert!(keys.contains(&"\u{e9}".to_string()) && keys.contains(&"e\u{301}".to_string()));
    f.intact("unicode");
}

#[test]
fn absent_data_is_a_parameter_error() {
    let f = fixture();
    let mp = f.mp();
    let mut option = SetStorageOption::new("keep-1", 1);
    option.data = None;
    let wx = block_on(mp.wx().set_storage_with(option.clone())).unwrap_err();
    assert!(
        wx.err_msg.starts_with("setStorage:fail parameter error"),
        "{wx:?}"
    );
    assert!(block_on(mp.my().set_storage_with(option.clone())).is_err());
    assert!(block_on(mp.tt().set_storage_with(option)).is_err());
    f.intact("absent data");
}

#[test]
fn bad_ids_are_errors_not_panics() {
    let f = fixture();
    let long = "u".repeat(storage_core::namespace::MAX_ID_BYTES + 1);
    assert!(f.store.mini_program("", "app", Scope::App).is_err());
    assert!(f.store.mini_program("user", "", Scope::App).is_err());
    assert!(f
        .store
        .mini_program(long.as_str(), "app", Scope::App)
        .is_err());
    assert!(f
        .store
        .mini_program("user", "app", Scope::Plugin(String::new()))
        .is_err());
    assert!(f.mp().plugin("").is_err());
    // Ids holding separators, NUL and prefixes of each other are separate namespaces.
    let a = f
        .store
        .mini_program("user\u{0}app", "x", Scope::App)
        .unwrap();
    a.wx().set_storage_sync("keep-1", "elsewhere").unwrap();
    f.intact("ids");
}

#[test]
fn the_same_store_opened_twice_is_refused_clearly_and_loses_nothing() {
    let f = fixture();
    let second = Mpstore::open(f.dir.path(), &RawKeyProvider::new(KEY));
    let err = second.expect_err("a second open of a store in use");
    assert!(!err.to_string().is_empty());
    // The first handle is unaffected.
    f.mp().wx().set_storage_sync("after", 1).unwrap();
    f.intact("second open");
    // Once closed, it opens again with everything.
    let Fixture { dir, store } = f;
    drop(store);
    let again = Fixture {
        store: Mpstore::open(dir.path(), &RawKeyProvider::new(KEY)).unwrap(),
        dir,
    };
    again.intact("reopened");
    assert_eq!(again.mp().wx().get_storage_sync("after").unwrap(), 1.into());
}

#[test]
fn a_wrong_master_key_is_refused_and_destroys_nothing() {
    let Fixture { dir, store } = fixture();
    drop(store);
    let err = Mpstore::open(dir.path(), &RawKeyProvider::new([1; 32])).unwrap_err();
    assert!(is_wrong_master_key(&err), "{err}");
    let f = Fixture {
        store: Mpstore::open(dir.path(), &RawKeyProvider::new(KEY)).unwrap(),
        dir,
    };
    f.intact("after a wrong key");
}

#[test]
fn the_same_namespace_through_two_handles_is_one_namespace() {
    let f = fixture();
    let (a, b) = (f.mp(), f.mp());
    std::thread::scope(|s| {
        s.spawn(|| (0..50).for_each(|i| a.wx().set_storage_sync(format!("a{i}"), i).unwrap()));
        s.spawn(|| {
            (0..50).for_each(|i| assert!(b.my().set_storage_sync(format!("b{i}"), i).is_success()))
        });
    });
    let keys = a.tt().get_storage_info_sync().unwrap().keys;
    assert_eq!(keys.len(), 103);
    assert_eq!(keys, b.wx().get_storage_info_sync().unwrap().keys);
    f.intact("two handles");
}

#[test]
fn reads_of_hostile_keys_fail_like_writes() {
    let f = fixture();
    let mp = f.mp();
    assert_eq!(
        mp.wx().get_storage_sync("").unwrap_err(),
        WxError::new("getStorageSync", R, &Error::EmptyKey)
    );
    assert_eq!(
        block_on(mp.tt().get_storage(JsValue::Undefined)).unwrap_err(),
        TtError::new(
            "getStorage",
            R,
            &Error::WrongType {
                param: "key".into(),
                expected: JsType::String,
                actual: JsType::Undefined
            }
        )
    );
    assert_eq!(
        block_on(mp.my().remove_storage("")).unwrap_err(),
        MyError::new(W, &Error::EmptyKey)
    );
    f.intact("hostile reads");
}
