//! What the page reads and does: namespaces and usage, entries in order with types and sizes,
//! paging, search and filters, edits through the dispatch (the platform's own refusals), dumps
//! in and out, players and leaderboards, and the live counter.

mod common;

use common::{ask, get, ns_param, post, Ask};
use serde_json::{json, Value};
use storage_api::dispatch::{self, Api, Args};
use storage_api::Mpstore;
use storage_core::value::tagged::to_tagged;
use storage_core::{Dialect, JsDate, JsValue, Scope};

fn local(user: &str, app: &str) -> Value {
    json!({"kind": "local", "user": user, "app": app, "scope": "app"})
}

/// A store with `keys` set in order through wx.setStorageSync in u/a.
fn seeded(keys: &[(&str, JsValue)]) -> Mpstore {
    let store = Mpstore::in_memory();
    let mp = store.mini_program("u", "a", Scope::App).unwrap();
    let mp = mp.with_exact_values();
    for (k, v) in keys {
        mp.tt().set_storage_sync(*k, v.clone()).unwrap();
    }
    store
}

fn page(store: &Mpstore, query: &str) -> Value {
    get(
        store,
        &format!("/api/entries?ns={}&{query}", ns_param(&local("u", "a"))),
    )
}

fn keys_of(page: &Value) -> Vec<String> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn entries_come_in_insertion_order_with_their_types() {
    let store = seeded(&[
        ("z", JsValue::from("text")),
        ("a", JsValue::Undefined),
        ("m", JsDate::from_millis(0.0).into()),
        ("n", JsValue::Number(f64::NAN)),
    ]);
    let p = page(&store, "");
    assert_eq!(keys_of(&p), ["z", "a", "m", "n"]);
    let types: Vec<_> = p["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(types, ["String", "Undefined", "Date", "Number"]);
    assert_eq!(p["entries"][1]["value"], to_tagged(&JsValue::Undefined));
    assert_eq!(
        p["entries"][2]["value"],
        to_tagged(&JsDate::from_millis(0.0).into())
    );
    assert_eq!(
        p["entries"][3]["value"],
        to_tagged(&JsValue::Number(f64::NAN))
    );
}

#[test]
fn sizes_are_in_the_chosen_dialects_unit() {
    // "é" is one UTF-16 unit and two UTF-8 bytes: key and value count 2 units under wx, 3 bytes
    // under tt (a top-level String measures as its text).
    let store = seeded(&[("k", JsValue::from("é"))]);
    for (dialect, unit, size) in [("wx", "UTF-16 units", 2), ("tt", "bytes", 3)] {
        let p = page(&store, &format!("dialect={dialect}"));
        assert_eq!(
            (
                p["unit"].as_str().unwrap(),
                p["entries"][0]["size"].as_u64().unwrap()
            ),
            (unit, size),
            "{dialect}"
        );
    }
    let refused = ask(
        &store,
        "GET",
        "/api/namespaces?dialect=klingon",
        Ask::default(),
    );
    assert_eq!(refused.status, 400);
}

#[test]
fn pages_search_and_filters() {
    let many: Vec<(String, JsValue)> = (0..120)
        .map(|i| {
            (
                format!("key{i:03}"),
                if i % 3 == 0 {
                    JsValue::from(i)
                } else {
                    JsValue::from(format!("v{i}"))
                },
            )
        })
        .collect();
    let refs: Vec<(&str, JsValue)> = many.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let store = seeded(&refs);
    let cases: [(&str, usize, usize, Option<&str>); 6] = [
        ("offset=0&limit=50", 120, 50, Some("key000")),
        ("offset=100&limit=50", 120, 20, Some("key100")),
        ("offset=500", 120, 0, None),
        ("q=KEY11", 10, 10, Some("key110")),
        ("type=Number", 40, 40, Some("key000")),
        ("q=v5&type=String", 8, 8, Some("key005")),
    ];
    for (query, matched, shown, first) in cases {
        let p = page(&store, query);
        assert_eq!(p["total"], 120, "{query}");
        assert_eq!(p["matched"].as_u64().unwrap() as usize, matched, "{query}");
        let keys = keys_of(&p);
        assert_eq!(keys.len(), shown, "{query}");
        assert_eq!(keys.first().map(String::as_str), first, "{query}");
    }
}

/// The same call made straight through the dispatch on a twin store: what the page must show.
fn direct(twin: &Mpstore, dialect: Dialect, api: &str, args: Vec<JsValue>) -> Value {
    let mp = twin.mini_program("u", "a", Scope::App).unwrap();
    let outcome =
        dispatch::local::call(&mp, Api::find(dialect, api).unwrap(), Ok(Args(args))).unwrap();
    json!({"ending": outcome.ending().name(), "failed": outcome.is_failure(), "result": outcome.tagged()})
}

fn call(store: &Mpstore, dialect: &str, api: &str, args: Value) -> Value {
    post(
        store,
        "/api/call",
        json!({"ns": local("u", "a"), "dialect": dialect, "api": api, "args": args}),
    )
}

#[test]
fn edits_answer_exactly_what_the_platform_answers() {
    let big = "x".repeat(1024 * 1024 + 1);
    let cases: Vec<(Dialect, &str, Value)> = vec![
        (
            Dialect::Wx,
            "setStorage",
            json!([{"key": "k", "data": {"$js": "undefined"}}]),
        ),
        (Dialect::Wx, "setStorage", json!([{"key": "", "data": 1}])),
        (
            Dialect::Wx,
            "setStorage",
            json!([{"key": "big", "data": big}]),
        ),
        (
            Dialect::My,
            "setStorage",
            json!([{"key": "k", "data": "x".repeat(204_801)}]),
        ),
        (
            Dialect::Tt,
            "setStorage",
            json!([{"key": "big", "data": big}]),
        ),
        (Dialect::Wx, "getStorage", json!([{"key": "missing"}])),
        (Dialect::Tt, "removeStorage", json!([{"key": 7}])),
        (Dialect::My, "clearStorage", json!([{}])),
    ];
    let (store, twin) = (Mpstore::in_memory(), Mpstore::in_memory());
    for (dialect, api, args) in cases {
        let values: Vec<JsValue> = args
            .as_array()
            .unwrap()
            .iter()
            .map(|a| storage_core::value::tagged::from_tagged(a).unwrap())
            .collect();
        let want = direct(&twin, dialect, api, values);
        assert_eq!(
            call(&store, dialect.name(), api, args.clone()),
            want,
            "{dialect:?} {api} {args:.80}"
        );
    }
}

#[test]
fn an_edit_reads_back_through_the_api() {
    let store = Mpstore::in_memory();
    let set = call(
        &store,
        "wx",
        "setStorage",
        json!([{"key": "when", "data": {"$js": "date", "value": 5}}]),
    );
    assert_eq!(set["failed"], false, "{set}");
    let mp = store.mini_program("u", "a", Scope::App).unwrap();
    assert_eq!(
        mp.wx().get_storage_sync("when").unwrap(),
        JsDate::from_millis(5.0).into()
    );
    call(&store, "wx", "removeStorage", json!([{"key": "when"}]));
    assert_eq!(mp.wx().get_storage_sync("when").unwrap(), JsValue::from(""));
}

#[test]
fn calls_the_inspector_cannot_make_are_refused_as_its_own_errors() {
    let store = Mpstore::in_memory();
    let cases = [
        json!({"ns": local("u", "a"), "dialect": "my", "api": "batchSetStorage", "args": []}),
        json!({"ns": local("u", "a"), "dialect": "wx", "api": "setUserCloudStorage", "args": []}),
        json!({"ns": {"kind": "local", "user": "u"}, "api": "setStorage", "args": []}),
        json!({"ns": local("u", "a"), "api": "setStorage", "args": [{"$js": "nonsense"}]}),
        json!({"ns": {"kind": "game_host", "game": "g", "subject": "x"}, "api": "setStorage"}),
    ];
    for body in cases {
        let got = ask(
            &store,
            "POST",
            "/api/call",
            Ask::default().body(body.clone()),
        );
        assert_eq!(got.status, 400, "{body}: {}", got.text());
        assert!(got.json()["error"].is_string(), "{body}");
    }
}

#[test]
fn namespaces_show_usage_against_the_dialects_quota() {
    let store = seeded(&[("k", JsValue::from("v"))]);
    store
        .mini_program("u2", "b", Scope::WebView)
        .unwrap()
        .wx()
        .set_storage_sync("key", 1)
        .unwrap();
    let o = get(&store, "/api/namespaces?dialect=my");
    let local: Vec<_> = o["local"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["ns"].clone(), n["entries"].clone(), n["quota"].clone()))
        .collect();
    let quota = json!(Dialect::My.policy().quota);
    assert_eq!(
        local,
        [
            (local_ns("u", "a", "app"), json!(1), quota.clone()),
            (local_ns("u2", "b", "webview"), json!(1), quota),
        ]
    );
    assert_eq!(o["changes"], json!(store.changes()));
}

fn local_ns(user: &str, app: &str, scope: &str) -> Value {
    json!({"kind": "local", "user": user, "app": app, "scope": scope})
}

#[test]
fn export_then_import_round_trips_through_another_store() {
    let store = seeded(&[
        ("b", JsValue::Undefined),
        ("a", JsValue::from(vec![JsValue::from(1)])),
    ]);
    let dump = get(&store, "/api/export");
    assert_eq!(dump, storage_core::block_on(store.dump(None)).unwrap());
    let one = get(
        &store,
        &format!("/api/export?ns={}", ns_param(&local("u", "a"))),
    );
    assert_eq!(one["namespaces"].as_array().unwrap().len(), 1);
    let copy = Mpstore::in_memory();
    assert_eq!(
        post(&copy, "/api/import?dialect=tt", dump.clone()),
        json!({"namespaces": 1})
    );
    assert_eq!(storage_core::block_on(copy.dump(None)).unwrap(), dump);
    for bad in [
        json!({}),
        json!({"format": "mpstore-dump", "version": 9, "namespaces": []}),
    ] {
        assert_eq!(
            ask(
                &copy,
                "POST",
                "/api/import",
                Ask::default().body(bad.clone())
            )
            .status,
            400,
            "{bad}"
        );
    }
}

#[test]
fn the_live_counter_moves_with_every_write_and_only_then() {
    let store = Mpstore::in_memory();
    let before = get(&store, "/api/namespaces")["changes"].as_u64().unwrap();
    call(&store, "wx", "setStorage", json!([{"key": "", "data": 1}]));
    assert_eq!(store.changes(), before, "a refused write changes nothing");
    call(&store, "wx", "setStorage", json!([{"key": "k", "data": 1}]));
    assert_eq!(store.changes(), before + 1);
    store
        .mini_program("u", "a", Scope::App)
        .unwrap()
        .tt()
        .set_storage_sync("k2", 2)
        .unwrap();
    assert_eq!(
        get(&store, "/api/namespaces")["changes"].as_u64().unwrap(),
        before + 2
    );
}

#[test]
fn a_value_or_a_dump_larger_than_a_web_servers_default_limit_goes_through() {
    // Control characters: a byte each stored, six (`\u0001`) as JSON text.
    let controls = "\u{1}".repeat(500_000);
    let store = Mpstore::in_memory();
    let set = call(
        &store,
        "tt",
        "setStorage",
        json!([{"key": "big", "data": controls}]),
    );
    assert_eq!(set["failed"], false, "{set:.200}");
    let big = "x".repeat(1_000_000);
    let data: Vec<Value> = (0..4)
        .map(|i| json!({"key": format!("k{i}"), "value": big}))
        .collect();
    let dump = json!({"format": "mpstore-dump", "version": 1, "namespaces": [
        {"kind": "local", "user": "u", "app": "big", "scope": "app", "data": data}
    ]});
    assert_eq!(
        post(&store, "/api/import?dialect=tt", dump),
        json!({"namespaces": 1})
    );
}
