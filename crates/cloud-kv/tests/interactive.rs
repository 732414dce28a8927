//! WeChat interactive storage: the client's `modifyFriendInteractiveStorage` and
//! `getUserInteractiveStorage` (sealed results opened as a game server does), the server's
//! `setUserInteractiveData`, the per-key and per-day limits on the host's clock, and a property
//! test against a simple model.

use cloud_kv::{
    open_sealed, sign, Caller, CloudKv, InteractiveKey, ModifyOption, Period, Platform,
    ServerRequest, StoredRelations,
};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use storage_core::{block_on, CloudRule, Error, JsValue, MemoryBackend};

const GAME: &str = "wx-game";
/// base64 of 16 bytes: a session key as WeChat's `code2Session` hands it.
const SESSION: &str = "tiihtNczf5v6AKRyjwEUhQ==";
/// Monday 2026-12-07 10:00 in Beijing.
const MONDAY_10AM: i64 = 1_796_608_800_000;

fn js(v: Value) -> JsValue {
    serde_json::from_value(v).expect("JSON is a JsValue")
}

/// A game with keys '1' (opNum 1, 3 a day) and '2' (opNum up to 5, no daily limit); ann, bob
/// and cat friends of each other, dan a friend of nobody; every player logged in with a session.
struct World {
    cloud: CloudKv<Arc<MemoryBackend>>,
}

impl World {
    fn new() -> Self {
        let backend = Arc::new(MemoryBackend::new());
        let cloud = CloudKv::new(backend.clone()).with_clock(cloud_kv::Clock::fixed(MONDAY_10AM));
        let keys = [
            InteractiveKey::new("1").daily_limit(3),
            InteractiveKey::new("2").max_op_num(5),
        ];
        block_on(cloud.set_interactive_keys(GAME, &keys)).unwrap();
        let relations = StoredRelations::new(backend);
        for (a, b) in [("ann", "bob"), ("ann", "cat"), ("bob", "cat")] {
            block_on(relations.add_friendship(GAME, a, b)).unwrap();
        }
        for who in ["ann", "bob", "cat", "dan"] {
            block_on(cloud.sessions().register(Platform::Wx, GAME, who, SESSION)).unwrap();
        }
        World { cloud }
    }

    fn modify(&self, from: &str, option: Value) -> Result<String, Error> {
        let caller = Caller::new(Platform::Wx, GAME).logged_in(from).open_data();
        block_on(
            self.cloud
                .modify_friend_interactive_storage(&caller, &modify_option(&option)),
        )
    }

    /// `from` adds `n` to `to`'s key.
    fn add(&self, from: &str, to: &str, key: &str, n: f64) -> Result<String, Error> {
        self.modify(
            from,
            json!({"key": key, "opNum": n, "operation": "add", "toUser": to}),
        )
    }

    /// `who`'s values among `keys`, read as the game's server reads them: sealed by the client,
    /// opened with the session key.
    fn read(&self, who: &str, keys: &[&str]) -> Value {
        let caller = Caller::new(Platform::Wx, GAME).logged_in(who);
        let sealed = block_on(
            self.cloud
                .get_user_interactive_storage(&caller, &js(json!(keys))),
        )
        .expect("getUserInteractiveStorage");
        let plain = open_sealed(SESSION, &sealed.encrypted_data, &sealed.iv).expect("opens");
        let plain: Value = serde_json::from_slice(&plain).expect("JSON");
        assert_eq!(plain["watermark"]["appid"], GAME);
        assert_eq!(
            plain["watermark"]["timestamp"],
            self.cloud.clock().now_ms() / 1000
        );
        plain["kv_list"].clone()
    }

    fn values(&self, who: &str) -> Vec<(String, i32)> {
        let keys: Vec<String> = (1..=50).map(|k| k.to_string()).collect();
        block_on(self.cloud.interactive_values(GAME, who, &keys)).unwrap()
    }

    /// `setUserInteractiveData` for `who`, signed with the session key: the errcode.
    fn server_set(&self, who: &str, body: &str) -> i64 {
        let signature = sign(SESSION, body.as_bytes());
        let request = ServerRequest {
            platform: Platform::Wx,
            game: GAME,
            openid: who,
            sig_method: "hmac_sha256",
            signature: &signature,
            body: body.as_bytes(),
        };
        block_on(self.cloud.set_user_interactive_data(&request)).errcode
    }
}

fn modify_option(option: &Value) -> ModifyOption {
    let field = |name: &str| {
        option
            .get(name)
            .map_or(JsValue::Undefined, |v| js(v.clone()))
    };
    ModifyOption {
        key: field("key"),
        op_num: field("opNum"),
        operation: field("operation"),
        to_user: field("toUser"),
    }
}

fn fail(rule: CloudRule) -> Result<String, Error> {
    Err(Error::Cloud(rule))
}

#[test]
fn modify_checks_its_options_in_the_documented_order() {
    let w = World::new();
    let ok = Ok("1".to_owned());
    use CloudRule::*;
    // (options, expected): each case breaks the first rule it names and none before it.
    let cases: Vec<(Value, Result<String, Error>)> = vec![
        (
            json!({"key": "1", "opNum": 1, "operation": "add", "toUser": "bob"}),
            ok.clone(),
        ),
        (
            json!({"key": "0", "opNum": 0, "operation": "sub", "toUser": "dan"}),
            fail(InvalidInteractiveKey),
        ),
        (
            json!({"key": "51", "opNum": 1, "operation": "add", "toUser": "bob"}),
            fail(InvalidInteractiveKey),
        ),
        (
            json!({"key": "01", "opNum": 1, "operation": "add", "toUser": "bob"}),
            fail(InvalidInteractiveKey),
        ),
        (
            json!({"key": 1, "opNum": 1, "operation": "add", "toUser": "bob"}),
            fail(InvalidInteractiveKey),
        ),
        // in range, but not configured for the game
        (
            json!({"key": "3", "opNum": 1, "operation": "add", "toUser": "bob"}),
            fail(InvalidInteractiveKey),
        ),
        (
            json!({"key": "1", "opNum": 2, "operation": "sub", "toUser": "dan"}),
            fail(InvalidOpNum),
        ),
        (
            json!({"key": "1", "opNum": 0, "operation": "add", "toUser": "bob"}),
            fail(InvalidOpNum),
        ),
        (
            json!({"key": "1", "opNum": "1", "operation": "add", "toUser": "bob"}),
            fail(InvalidOpNum),
        ),
        (
            json!({"key": "2", "opNum": 1.5, "operation": "add", "toUser": "bob"}),
            fail(InvalidOpNum),
        ),
        (
            json!({"key": "2", "opNum": 6, "operation": "add", "toUser": "bob"}),
            fail(InvalidOpNum),
        ),
        (
            json!({"key": "2", "opNum": 5, "operation": "sub", "toUser": "dan"}),
            fail(InvalidOperation),
        ),
        (
            json!({"key": "2", "opNum": 5, "toUser": "bob"}),
            fail(InvalidOperation),
        ),
        (
            json!({"key": "2", "opNum": 5, "operation": "add", "toUser": "dan"}),
            fail(InvalidOpenid),
        ),
        (
            json!({"key": "2", "opNum": 5, "operation": "add", "toUser": "ann"}),
            fail(InvalidOpenid),
        ),
        (
            json!({"key": "2", "opNum": 5, "operation": "add", "toUser": ""}),
            fail(InvalidOpenid),
        ),
        (
            json!({"key": "2", "opNum": 5, "operation": "add"}),
            fail(InvalidOpenid),
        ),
        (
            json!({"key": "2", "opNum": 5, "operation": "add", "toUser": "cat"}),
            Ok("2".into()),
        ),
    ];
    for (option, expected) in cases {
        assert_eq!(w.modify("ann", option.clone()), expected, "{option}");
    }
    // Only the two successes changed anything.
    assert_eq!(w.values("bob"), [("1".to_owned(), 1)]);
    assert_eq!(w.values("cat"), [("2".to_owned(), 5)]);
    assert_eq!(w.values("ann"), []);
}

#[test]
fn the_gates_come_first() {
    let w = World::new();
    let option =
        modify_option(&json!({"key": "1", "opNum": 1, "operation": "add", "toUser": "bob"}));
    let keys = js(json!(["1"]));
    let base = Caller::new(Platform::Wx, GAME);
    let cases = [
        (
            base.clone().open_data(),
            CloudRule::NotLoggedIn,
            CloudRule::NotLoggedIn,
        ),
        (
            base.clone()
                .logged_in("ann")
                .in_host(cloud_kv::HostKind::MiniApp),
            CloudRule::NotAGame,
            CloudRule::NotAGame,
        ),
        // modify needs the open data context; the read does not
        (
            base.clone().logged_in("nobody-with-a-session"),
            CloudRule::NotOpenDataContext,
            CloudRule::NoSessionKey,
        ),
    ];
    for (caller, modify, read) in cases {
        let m = block_on(w.cloud.modify_friend_interactive_storage(&caller, &option));
        assert_eq!(m, fail(modify), "{caller:?}");
        let r = block_on(w.cloud.get_user_interactive_storage(&caller, &keys));
        assert_eq!(r.map(|_| ()), Err(Error::Cloud(read)), "{caller:?}");
    }
    assert!(w.values("bob").is_empty());
}

#[test]
fn the_daily_allowance_counts_op_num_per_sender_and_key_until_beijing_midnight() {
    let w = World::new();
    // Key '1' allows 3 a day from each sender, to all friends together.
    assert_eq!(w.add("ann", "bob", "1", 1.0), Ok("1".into()));
    assert_eq!(w.add("ann", "cat", "1", 1.0), Ok("1".into()));
    assert_eq!(w.add("ann", "bob", "1", 1.0), Ok("1".into()));
    assert_eq!(
        w.add("ann", "cat", "1", 1.0),
        fail(CloudRule::InteractiveDailyLimit)
    );
    // Another sender has an allowance of their own; key '2' has no daily limit.
    assert_eq!(w.add("bob", "cat", "1", 1.0), Ok("1".into()));
    for _ in 0..20 {
        assert_eq!(w.add("ann", "bob", "2", 5.0), Ok("2".into()));
    }
    // One millisecond before Beijing midnight, still refused; at midnight, a new day.
    let midnight = Period::Day.end(MONDAY_10AM);
    w.cloud.clock().set(midnight - 1);
    assert_eq!(
        w.add("ann", "cat", "1", 1.0),
        fail(CloudRule::InteractiveDailyLimit)
    );
    w.cloud.clock().set(midnight);
    for _ in 0..3 {
        assert_eq!(w.add("ann", "cat", "1", 1.0), Ok("1".into()));
    }
    assert_eq!(
        w.add("ann", "cat", "1", 1.0),
        fail(CloudRule::InteractiveDailyLimit)
    );
    assert_eq!(
        w.values("bob"),
        [("1".to_owned(), 2), ("2".to_owned(), 100)]
    );
    assert_eq!(w.values("cat"), [("1".to_owned(), 5)]);
}

#[test]
fn concurrent_adds_never_pass_the_daily_allowance_and_none_is_lost() {
    let w = Arc::new(World::new());
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let w = w.clone();
            std::thread::spawn(move || w.add("ann", ["bob", "cat"][i % 2], "1", 1.0).is_ok())
        })
        .collect();
    let ok = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|ok| *ok)
        .count();
    assert_eq!(ok, 3);
    let total: i32 = ["bob", "cat"]
        .iter()
        .flat_map(|p| w.values(p))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(total, 3);
}

#[test]
fn the_sealed_result_lists_the_keys_asked_that_were_written_in_order() {
    let w = World::new();
    w.add("ann", "bob", "2", 4.0).unwrap();
    w.add("cat", "bob", "1", 1.0).unwrap();
    assert_eq!(
        w.read("bob", &["1", "2", "7", "1"]),
        json!([{"key": "1", "value": "1"}, {"key": "2", "value": "4"}])
    );
    assert_eq!(w.read("bob", &[]), json!([]));
    assert_eq!(w.read("ann", &["1"]), json!([]));
    // keyList errors, in order: not an Array of Strings, then a key outside '1'–'50'.
    let bob = Caller::new(Platform::Wx, GAME).logged_in("bob");
    let cases = [
        (json!("1"), CloudRule::InvalidKeyList),
        (json!([1]), CloudRule::InvalidKeyList),
        (json!(["1", "x"]), CloudRule::InvalidInteractiveKey),
        (json!(["0"]), CloudRule::InvalidInteractiveKey),
        (json!(["51"]), CloudRule::InvalidInteractiveKey),
    ];
    for (list, rule) in cases {
        let r = block_on(
            w.cloud
                .get_user_interactive_storage(&bob, &js(list.clone())),
        );
        assert_eq!(r.map(|_| ()), Err(Error::Cloud(rule)), "{list}");
    }
}

#[test]
fn a_session_key_that_is_not_base64_of_16_bytes_seals_nothing() {
    let w = World::new();
    block_on(
        w.cloud
            .sessions()
            .register(Platform::Wx, GAME, "bob", "session-key"),
    )
    .unwrap();
    let bob = Caller::new(Platform::Wx, GAME).logged_in("bob");
    let r = block_on(
        w.cloud
            .get_user_interactive_storage(&bob, &js(json!(["1"]))),
    );
    assert_eq!(r.map(|_| ()), Err(Error::Cloud(CloudRule::NoSessionKey)));
}

#[test]
fn set_user_interactive_data_answers_with_wechat_errcodes() {
    let w = World::new();
    w.add("ann", "bob", "1", 1.0).unwrap();
    // (body, errcode)
    let cases = [
        (
            r#"{"kv_list":[{"key":"1","value":10},{"key":"50","value":-3}]}"#,
            0,
        ),
        (r#"{"kv_list":[{"key":"2","value":7.0}]}"#, 0),
        (r#"{"kv_list":[{"key":"51","value":1}]}"#, 87082),
        (r#"{"kv_list":[{"key":"a","value":1}]}"#, 87082),
        (r#"{"kv_list":[{"key":"1","value":"1"}]}"#, 47001),
        (r#"{"kv_list":[{"key":"1","value":1.5}]}"#, 47001),
        (r#"{"kv_list":[{"key":"1","value":2147483648}]}"#, 47001),
        (r#"{"kv_list":[{"key":1,"value":1}]}"#, 47001),
        (r#"{"kv_list":[]}"#, 47001),
        (r#"{"kv_list":{}}"#, 47001),
        ("not json", 47001),
    ];
    for (body, errcode) in cases {
        assert_eq!(w.server_set("bob", body), errcode, "{body}");
    }
    assert_eq!(
        w.values("bob"),
        [
            ("1".to_owned(), 10),
            ("2".to_owned(), 7),
            ("50".to_owned(), -3)
        ]
    );
    // A friend's add counts from the value set.
    w.add("cat", "bob", "1", 1.0).unwrap();
    assert_eq!(w.read("bob", &["1"]), json!([{"key": "1", "value": "11"}]));
    // openid, signature and sig_method
    assert_eq!(
        w.server_set("", r#"{"kv_list":[{"key":"1","value":1}]}"#),
        87081
    );
    assert_eq!(
        w.server_set("eve", r#"{"kv_list":[{"key":"1","value":1}]}"#),
        87009
    );
    let body = br#"{"kv_list":[{"key":"1","value":1}]}"#;
    let request = ServerRequest {
        platform: Platform::Wx,
        game: GAME,
        openid: "bob",
        sig_method: "md5",
        signature: &sign(SESSION, body),
        body,
    };
    assert_eq!(
        block_on(w.cloud.set_user_interactive_data(&request)).errcode,
        87009
    );
    assert_eq!(w.values("bob")[0], ("1".to_owned(), 11));
}

#[test]
fn values_saturate_at_the_bounds_of_32_bits() {
    let w = World::new();
    assert_eq!(
        w.server_set("bob", r#"{"kv_list":[{"key":"2","value":2147483645}]}"#),
        0
    );
    for _ in 0..3 {
        w.add("ann", "bob", "2", 5.0).unwrap();
    }
    assert_eq!(w.values("bob"), [("2".to_owned(), i32::MAX)]);
}

#[test]
fn host_configuration_is_checked_and_replaced_whole() {
    let w = World::new();
    let bad = [
        InteractiveKey::new("0"),
        InteractiveKey::new("51"),
        InteractiveKey::new(" 1"),
        InteractiveKey::new("1").max_op_num(0),
    ];
    for key in bad {
        assert!(
            block_on(
                w.cloud
                    .set_interactive_keys(GAME, std::slice::from_ref(&key))
            )
            .is_err(),
            "{key:?}"
        );
    }
    let keys = [InteractiveKey::new("50").max_op_num(2)];
    block_on(w.cloud.set_interactive_keys(GAME, &keys)).unwrap();
    assert_eq!(block_on(w.cloud.interactive_keys(GAME)).unwrap(), keys);
    assert_eq!(
        w.add("ann", "bob", "1", 1.0),
        fail(CloudRule::InvalidInteractiveKey)
    );
    assert_eq!(w.add("ann", "bob", "50", 2.0), Ok("50".into()));
}

// ---- property test: adds, server sets and days, against a model ----

#[derive(Debug, Clone)]
enum Step {
    Add {
        from: usize,
        to: usize,
        key: usize,
        n: u32,
    },
    Set {
        who: usize,
        key: usize,
        value: i32,
    },
    NextDay,
}

const PLAYERS: [&str; 3] = ["ann", "bob", "cat"];
const KEYS: [&str; 2] = ["1", "2"];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..3usize, 0..3usize, 0..2usize, 0..7u32)
            .prop_map(|(from, to, key, n)| Step::Add { from, to, key, n }),
        2 => (0..3usize, 0..2usize, -5..5i32).prop_map(|(who, key, value)| Step::Set { who, key, value }),
        1 => Just(Step::NextDay),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_sequence_matches_the_model(steps in prop::collection::vec(step(), 1..40)) {
        let w = World::new();
        // model: values per (player, key); today's use of key '1' per sender
        let mut values: HashMap<(usize, usize), i64> = HashMap::new();
        let mut used: HashMap<usize, u32> = HashMap::new();
        for s in &steps {
            match *s {
                Step::Add { from, to, key, n } => {
                    let max = if key == 0 { 1 } else { 5 };
                    let friends = from != to; // all three are friends of each other
                    let expected = if n < 1 || n > max {
                        fail(CloudRule::InvalidOpNum)
                    } else if !friends {
                        fail(CloudRule::InvalidOpenid)
                    } else if key == 0 && used.get(&from).copied().unwrap_or(0) + n > 3 {
                        fail(CloudRule::InteractiveDailyLimit)
                    } else {
                        if key == 0 {
                            *used.entry(from).or_default() += n;
                        }
                        *values.entry((to, key)).or_default() += i64::from(n);
                        Ok(KEYS[key].to_owned())
                    };
                    prop_assert_eq!(w.add(PLAYERS[from], PLAYERS[to], KEYS[key], n.into()), expected);
                }
                Step::Set { who, key, value } => {
                    let body = json!({"kv_list": [{"key": KEYS[key], "value": value}]}).to_string();
                    prop_assert_eq!(w.server_set(PLAYERS[who], &body), 0);
                    values.insert((who, key), value.into());
                }
                Step::NextDay => {
                    w.cloud.clock().advance(86_400_000);
                    used.clear();
                }
            }
        }
        for (p, who) in PLAYERS.iter().enumerate() {
            let expected: Vec<(String, i32)> = (0..2)
                .filter_map(|k| values.get(&(p, k)).map(|v| (KEYS[k].to_owned(), *v as i32)))
                .collect();
            prop_assert_eq!(&w.values(who)[..], &expected[..], "{}", who);
            let listed: Vec<Value> = expected
                .iter()
                .map(|(k, v)| json!({"key": k, "value": v.to_string()}))
                .collect();
            prop_assert_eq!(w.read(who, &KEYS), Value::Array(listed));
        }
    }
}
