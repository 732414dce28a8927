//! `mpstore tour`: each seed's scenario, run against the default store (encrypted, durable
//! sled), printed as what the platform would have answered, limits included.
//!
//! Every step goes through the same path as a bridge request (storage-api's facades), and each
//! has the outcome the platform documents (`success`, `fail`, a Sync return or throw). A step
//! that ends otherwise is marked `UNEXPECTED` and the tour exits 1; otherwise it exits 0.

use crate::bridge::outcome::{result, Ending, Outcome};
use crate::bridge::request::ProtocolError;
use crate::bridge::{call_cloud, call_local};
use crate::cli::store;
use crate::exit;
use crate::tagged::from_tagged;
use serde_json::{json, Value};
use std::path::Path;
use storage_api::cloud::Cloud;
use storage_api::dispatch::{cloud, host, Args};
use storage_api::{MiniProgram, Mpstore};
use storage_core::{Dialect, JsValue, Scope};

/// The widest a printed result gets before it is cut with `…`.
const MAX_SHOWN: usize = 150;

/// Runs the tour in `data_dir`, or in a fresh temporary directory; returns the exit code.
pub fn run(data_dir: Option<&Path>) -> i32 {
    let temp = match data_dir {
        Some(_) => None,
        None => match tempfile::tempdir() {
            Ok(t) => Some(t),
            Err(e) => {
                return crate::cli::fail(
                    exit::FAILURE,
                    &format!("cannot make a temporary directory: {e}"),
                )
            }
        },
    };
    let dir = data_dir.map_or_else(
        || {
            temp.as_ref()
                .map(|t| t.path().to_path_buf())
                .unwrap_or_default()
        },
        Path::to_path_buf,
    );
    let store = match store::open(&dir, false) {
        Ok(s) => s,
        Err(e) => {
            return crate::cli::fail(
                exit::CANNOT_OPEN,
                &format!("cannot open the store in {}: {e}", dir.display()),
            )
        }
    };
    println!(
        "mpstore tour: the seeds' scenarios against the default store (encrypted, durable sled in {})",
        dir.display()
    );
    let mut tour = Tour {
        cloud: store.cloud(),
        store,
        unexpected: 0,
    };
    if let Err(e) = tour.start_clean() {
        return crate::cli::fail(exit::FAILURE, &e);
    }
    tour.alipay();
    tour.wechat();
    tour.douyin();
    tour.more_hosts();
    println!();
    if tour.unexpected == 0 {
        println!("Every step answered as the platform documents.");
        exit::OK
    } else {
        println!("{} step(s) answered UNEXPECTEDLY.", tour.unexpected);
        exit::FAILURE
    }
}

struct Tour {
    store: Mpstore,
    cloud: Cloud,
    unexpected: usize,
}

/// JSON (tagged where it needs to be) as a list of call arguments.
fn args(v: Value) -> Vec<JsValue> {
    match from_tagged(&v) {
        Ok(JsValue::Array(items)) => items,
        Ok(other) => vec![other],
        Err(_) => Vec::new(),
    }
}

/// A result as JSON.stringify shows it, cut to [`MAX_SHOWN`] characters.
fn shown(v: &Value) -> String {
    let plain = from_tagged(v)
        .ok()
        .and_then(|v| match v {
            JsValue::Undefined => Some("undefined".to_owned()),
            v => serde_json::to_string(&v).ok(),
        })
        .unwrap_or_else(|| v.to_string());
    if plain.chars().count() > MAX_SHOWN {
        let cut: String = plain.chars().take(MAX_SHOWN).collect();
        format!("{cut}…")
    } else {
        plain
    }
}

/// `{keys, currentSize, limitSize}` in words.
fn info_summary(info: &Value) -> String {
    format!(
        "{} keys, currentSize {} KB of limitSize {} KB",
        info["keys"].as_array().map_or(0, Vec::len),
        info["currentSize"],
        info["limitSize"]
    )
}

/// A relation read's players in order, with the score of their leaderboard value.
fn ranking_summary(result: &Value) -> String {
    let players = result["data"].as_array().cloned().unwrap_or_default();
    players
        .iter()
        .map(|p| {
            let score = p["KVDataList"][0]["value"]
                .as_str()
                .and_then(|v| serde_json::from_str::<Value>(v).ok())
                .map(|v| v["ttgame"]["score"].clone())
                .unwrap_or(Value::Null);
            format!("{} {score}", p["nickname"].as_str().unwrap_or("?"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Tour {
    /// The tour's mini-program of `platform` in `scope`.
    fn app(&mut self, platform: &str, scope: Scope) -> Option<MiniProgram> {
        let user = format!("tour-{platform}-user");
        match self
            .store
            .mini_program(user, format!("tour-{platform}-app"), scope)
        {
            Ok(mp) => Some(mp),
            Err(e) => {
                println!("  cannot open the tour's mini-program: {e}   <- UNEXPECTED");
                self.unexpected += 1;
                None
            }
        }
    }

    /// Removes what an earlier tour left in a reused directory.
    fn start_clean(&self) -> Result<(), String> {
        for platform in Dialect::ALL.map(Dialect::name) {
            host::call(
                &self.store,
                &self.cloud,
                "removeUser",
                Args(args(json!([format!("tour-{platform}-user")]))),
            )
            .map_err(|e| e.message)?;
        }
        for openid in ["tour-ann", "tour-bob", "tour-cat"] {
            let ctx = cloud::game_context("tour-game".into(), Some(openid.into()), false, true);
            let game = self.cloud.mini_game(ctx);
            let keys: Vec<String> = std::iter::once("xxx".to_owned())
                .chain((1..=127).map(|i| format!("k{i}")))
                .collect();
            call_cloud(
                &game,
                Dialect::Tt,
                "removeUserCloudStorage",
                args(json!([{ "keyList": keys }])),
            )
            .map_err(|e| e.message)?;
        }
        Ok(())
    }

    fn show(&mut self, call: &str, outcome: Outcome, expect: &str) {
        let ok = outcome.ending().name() == expect;
        if !ok {
            self.unexpected += 1;
        }
        let verb = match outcome.ending().name() {
            "return" => "returns",
            "throw" => "throws",
            name => name,
        };
        let mark = if ok { "" } else { "   <- UNEXPECTED" };
        println!(
            "  {call}\n      → {verb} {}{mark}",
            shown(&result(&outcome))
        );
    }

    fn local(
        &mut self,
        mp: &MiniProgram,
        dialect: Dialect,
        method: &str,
        call_args: Value,
    ) -> Outcome {
        call_local(mp, dialect, method, args(call_args)).unwrap_or_else(bridge_error)
    }

    fn step(
        &mut self,
        mp: &MiniProgram,
        dialect: Dialect,
        call: &str,
        method: &str,
        a: Value,
        expect: &str,
    ) {
        let outcome = self.local(mp, dialect, method, a);
        self.show(call, outcome, expect);
    }

    /// Runs `rows` in order on `mp`, each a step: (the call as shown, method, arguments,
    /// expected outcome).
    fn steps<const N: usize>(
        &mut self,
        mp: &MiniProgram,
        dialect: Dialect,
        rows: [(&str, &str, Value, &str); N],
    ) {
        for (call, method, a, expect) in rows {
            self.step(mp, dialect, call, method, a, expect);
        }
    }

    /// Fills `mp` with `size`-unit strings until the platform refuses one; shows the count and
    /// the refusal.
    fn fill(&mut self, mp: &MiniProgram, dialect: Dialect, call: &str, size: usize) {
        let value = "x".repeat(size);
        for i in 0..64 {
            let outcome = self.local(
                mp,
                dialect,
                "setStorage",
                json!([{ "key": format!("fill-{i}"), "data": value }]),
            );
            if outcome.ending() != Ending::Success {
                self.show(
                    &format!("{call} × {} succeeded; the next:", i),
                    outcome,
                    "fail",
                );
                return;
            }
        }
        self.show(call, Outcome::success(json!("never refused")), "fail");
    }

    fn alipay(&mut self) {
        println!("\nAlipay (my.*), per user × mini-program: 200 KB per key, 10 MB in all, always encrypted");
        let Some(my) = self.app("my", Scope::App) else {
            return;
        };
        let d = Dialect::My;
        let city = json!({"cityName": "杭州", "adCode": "330100", "spell": "hangzhou"});
        self.step(&my, d, "my.setStorage({key: 'currentCity', data: {cityName: '杭州', adCode: '330100', spell: 'hangzhou'}})",
            "setStorage", json!([{"key": "currentCity", "data": city}]), "success");
        self.step(
            &my,
            d,
            "my.getStorage({key: 'currentCity'})",
            "getStorage",
            json!([{"key": "currentCity"}]),
            "success",
        );
        self.step(
            &my,
            d,
            "my.getStorageSync({key: 'nothing-here'})",
            "getStorageSync",
            json!([{"key": "nothing-here"}]),
            "return",
        );
        let Some(web) = self.app("my", Scope::WebView) else {
            return;
        };
        self.step(
            &web,
            d,
            "(in a web-view of the same app) my.getStorageSync({key: 'currentCity'})",
            "getStorageSync",
            json!([{"key": "currentCity"}]),
            "return",
        );
        self.step(
            &my,
            d,
            "my.setStorage({key: '', data: 1})",
            "setStorage",
            json!([{"key": "", "data": 1}]),
            "fail",
        );
        self.step(
            &my,
            d,
            "my.setStorage({key: 'big', data: <204,801 characters>})",
            "setStorage",
            json!([{"key": "big", "data": "x".repeat(204_801)}]),
            "fail",
        );
        self.step(
            &my,
            d,
            "my.setStorageSync({key: 'big', data: <204,801 characters>})",
            "setStorageSync",
            json!([{"key": "big", "data": "x".repeat(204_801)}]),
            "return",
        );
        self.fill(
            &my,
            d,
            "my.setStorage({key: 'fill-N', data: <200 KB>})",
            204_800,
        );
        let info = self.local(&my, d, "getStorageInfoSync", json!([]));
        let summary = info_summary(&result(&info));
        self.show("my.getStorageInfoSync()", info, "return");
        println!("      ({summary})");
        self.step(
            &my,
            d,
            "my.clearStorage()",
            "clearStorage",
            json!([]),
            "success",
        );
    }

    fn wechat(&mut self) {
        println!(
            "\nWeChat (wx.*), per user × mini-program: 1 MB per entry (key + data), 10 MB in all"
        );
        let Some(wx) = self.app("wx", Scope::App) else {
            return;
        };
        let d = Dialect::Wx;
        self.steps(
            &wx,
            d,
            [
                ("wx.setStorage({key: 'key', data: 'value'})",
                    "setStorage", json!([{"key": "key", "data": "value"}]), "success"),
                ("wx.setStorageSync('key', 'value')", "setStorageSync", json!(["key", "value"]), "return"),
                ("wx.getStorage({key: 'key'})", "getStorage", json!([{"key": "key"}]), "success"),
                ("wx.getStorageSync('key')", "getStorageSync", json!(["key"]), "return"),
                ("wx.getStorageInfo()", "getStorageInfo", json!([{}]), "success"),
                ("wx.removeStorage({key: 'key'})", "removeStorage", json!([{"key": "key"}]), "success"),
                ("wx.getStorageSync('key')", "getStorageSync", json!(["key"]), "return"),
                ("wx.getStorage({key: 'key'})", "getStorage", json!([{"key": "key"}]), "fail"),
                ("wx.setStorageSync('', 'value')", "setStorageSync", json!(["", "value"]), "throw"),
                ("wx.setStorage({key: 'big', data: <1,048,574 characters>})  (3 + 1,048,574 > 1,048,576)",
                    "setStorage", json!([{"key": "big", "data": "x".repeat(1_048_574)}]), "fail"),
                ("wx.setStorage({key: 'secret', data: 's', encrypt: true})",
                    "setStorage", json!([{"key": "secret", "data": "s", "encrypt": true}]), "success"),
                ("wx.getStorageSync('secret')", "getStorageSync", json!(["secret"]), "throw"),
                ("wx.getStorage({key: 'secret', encrypt: true})",
                    "getStorage", json!([{"key": "secret", "encrypt": true}]), "success"),
            ],
        );
        self.fill(
            &wx,
            d,
            "wx.setStorage({key: 'fill-N', data: <1,000,000 characters>})",
            1_000_000,
        );
        self.step(
            &wx,
            d,
            "wx.clearStorage()",
            "clearStorage",
            json!([{}]),
            "success",
        );
        self.step(
            &wx,
            d,
            "wx.clearStorageSync()",
            "clearStorageSync",
            json!([]),
            "return",
        );
    }

    /// One step per dialect served from its specification alone: what sets each apart.
    fn more_hosts(&mut self) {
        println!(
            "\nThe hosts that share these APIs, each in its own words (docs/api.md, \"Sources\")"
        );
        let steps: [(Dialect, &str, &str, Value, &str); 6] = [
            (
                Dialect::Qq,
                "qq.setStorageSync('', 1)",
                "setStorageSync",
                json!(["", 1]),
                "throw",
            ),
            (
                Dialect::Ks,
                "ks.getStorage({key: 'missing'})",
                "getStorage",
                json!([{"key": "missing"}]),
                "fail",
            ),
            (
                Dialect::Swan,
                "swan.getStorage({key: 'missing'})",
                "getStorage",
                json!([{"key": "missing"}]),
                "success",
            ),
            (
                Dialect::TtApp,
                "(Douyin mini-app) tt.setStorageSync('', 1)",
                "setStorageSync",
                json!(["", 1]),
                "throw",
            ),
            (
                Dialect::Dd,
                "dd.getStorage({key: 'missing'})",
                "getStorage",
                json!([{"key": "missing"}]),
                "fail",
            ),
            (
                Dialect::Lark,
                "(Lark) tt.setStorage({key: 'k'})",
                "setStorage",
                json!([{"key": "k"}]),
                "success",
            ),
        ];
        for (d, call, method, args, expect) in steps {
            if let Some(mp) = self.app(d.name(), Scope::App) {
                self.step(&mp, d, call, method, args, expect);
            }
        }
    }

    fn douyin(&mut self) {
        println!("\nDouyin (tt.*) local storage: 1 MB (UTF-8) per value, 10 MB in all");
        let Some(tt) = self.app("tt", Scope::App) else {
            return;
        };
        let d = Dialect::Tt;
        self.step(
            &tt,
            d,
            "tt.setStorageSync('level', 3)",
            "setStorageSync",
            json!(["level", 3]),
            "return",
        );
        self.step(
            &tt,
            d,
            "tt.getStorage({key: 'missing'})",
            "getStorage",
            json!([{"key": "missing"}]),
            "fail",
        );
        self.step(
            &tt,
            d,
            "tt.setStorage({key: 'big', data: <349,526 × '杭' = 1,048,578 UTF-8 bytes>})",
            "setStorage",
            json!([{"key": "big", "data": "杭".repeat(349_526)}]),
            "fail",
        );

        println!("\nDouyin (tt.*) game cloud data of tour-game: 128 pairs per player, key ≤ 128 B, key + value ≤ 1024 B");
        let r1 = host::call(
            &self.store,
            &self.cloud,
            "setLeaderboardKeys",
            Args(args(json!(["tour-game", ["xxx"]]))),
        );
        let r2 = host::call(
            &self.store,
            &self.cloud,
            "addFriendship",
            Args(args(json!(["tour-game", "tour-ann", "tour-bob"]))),
        );
        let r3 = host::call(
            &self.store,
            &self.cloud,
            "setProfile",
            Args(args(json!([
                "tour-game",
                "tour-ann",
                "Ann",
                "https://example.invalid/ann.png"
            ]))),
        );
        let r4 = host::call(
            &self.store,
            &self.cloud,
            "setProfile",
            Args(args(json!([
                "tour-game",
                "tour-bob",
                "Bob",
                "https://example.invalid/bob.png"
            ]))),
        );
        let host_ok = [r1, r2, r3, r4].iter().all(Result::is_ok);
        println!(
            "  (host: 'xxx' is a leaderboard key; tour-ann and tour-bob are friends{})",
            if host_ok {
                ""
            } else {
                " <- UNEXPECTED: host set-up failed"
            }
        );
        if !host_ok {
            self.unexpected += 1;
        }
        let ann = self.game("tour-ann", false);
        let seed_value =
            json!({"ttgame": {"score": 100, "update_time": 1557813466}, "progress": 10})
                .to_string();
        self.cloud_step(&ann, "tt.setUserCloudStorage({KVDataList: [{key: 'xxx', value: JSON.stringify({ttgame: {score: 100, update_time: 1557813466}, progress: 10})}]})",
            "setUserCloudStorage", json!([{"KVDataList": [{"key": "xxx", "value": seed_value}]}]), "success");
        let bob = self.game("tour-bob", false);
        let bob_value = json!({"ttgame": {"score": 250, "update_time": 1557813500}}).to_string();
        self.cloud_step(&bob, "(as tour-bob) tt.setUserCloudStorage({KVDataList: [{key: 'xxx', value: '{\"ttgame\":{\"score\":250,…}}'}]})",
            "setUserCloudStorage", json!([{"KVDataList": [{"key": "xxx", "value": bob_value}]}]), "success");
        let ann_open = self.game("tour-ann", true);
        let ranked = call_cloud(
            &ann_open,
            Dialect::Tt,
            "getCloudStorageByRelation",
            args(json!([{"type": "friend", "keyList": ["xxx"], "extra": {"sortKey": "xxx"}}])),
        )
        .unwrap_or_else(bridge_error);
        let summary = ranking_summary(&result(&ranked));
        self.show("(open data context) tt.getCloudStorageByRelation({type: 'friend', keyList: ['xxx'], extra: {sortKey: 'xxx'}})",
            ranked, "success");
        println!("      (ranked by the score in 'xxx': {summary})");
        self.cloud_step(
            &ann,
            "(main context) tt.getUserCloudStorage({keyList: ['xxx']})",
            "getUserCloudStorage",
            json!([{"keyList": ["xxx"]}]),
            "fail",
        );
        self.cloud_step(&ann, "tt.setUserCloudStorage({KVDataList: [{key: 'xxx', value: '{\"ttgame\":{\"score\":\"high\"}}'}]})",
            "setUserCloudStorage", json!([{"KVDataList": [{"key": "xxx", "value": "{\"ttgame\":{\"score\":\"high\"}}"}]}]), "fail");
        self.cloud_step(&ann, "tt.setUserCloudStorage({KVDataList: [{key: 'note', value: <1,021 bytes>}]})  (4 + 1,021 > 1024)",
            "setUserCloudStorage", json!([{"KVDataList": [{"key": "note", "value": "n".repeat(1021)}]}]), "fail");
        let pairs: Vec<Value> = (1..=127)
            .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
            .collect();
        self.cloud_step(
            &ann,
            "tt.setUserCloudStorage({KVDataList: [k1 … k127]})  (with 'xxx': 128 pairs)",
            "setUserCloudStorage",
            json!([{"KVDataList": pairs}]),
            "success",
        );
        self.cloud_step(
            &ann,
            "tt.setUserCloudStorage({KVDataList: [{key: 'k128', value: 'v'}]})  (the 129th pair)",
            "setUserCloudStorage",
            json!([{"KVDataList": [{"key": "k128", "value": "v"}]}]),
            "fail",
        );
        let nobody =
            self.cloud
                .mini_game(cloud::game_context("tour-game".into(), None, false, true));
        self.cloud_step(
            &nobody,
            "(not logged in) tt.setUserCloudStorage({KVDataList: [{key: 'a', value: 'b'}]})",
            "setUserCloudStorage",
            json!([{"KVDataList": [{"key": "a", "value": "b"}]}]),
            "fail",
        );
        let app = self.cloud.mini_game(cloud::game_context(
            "tour-game".into(),
            Some("tour-ann".into()),
            false,
            false,
        ));
        self.cloud_step(
            &app,
            "(in a mini-app) tt.setUserCloudStorage({KVDataList: [{key: 'a', value: 'b'}]})",
            "setUserCloudStorage",
            json!([{"KVDataList": [{"key": "a", "value": "b"}]}]),
            "fail",
        );
    }

    fn game(&self, openid: &str, open_data: bool) -> storage_api::cloud::MiniGame {
        self.cloud.mini_game(cloud::game_context(
            "tour-game".into(),
            Some(openid.into()),
            open_data,
            true,
        ))
    }

    fn cloud_step(
        &mut self,
        game: &storage_api::cloud::MiniGame,
        call: &str,
        method: &str,
        a: Value,
        expect: &str,
    ) {
        let outcome = call_cloud(game, Dialect::Tt, method, args(a)).unwrap_or_else(bridge_error);
        self.show(call, outcome, expect);
    }
}

/// A request the bridge refused, shown as a failed step (the tour's own requests are well formed,
/// so this only shows if the tour itself is wrong).
fn bridge_error(e: ProtocolError) -> Outcome {
    let payload = json!({"bridge error": e.message});
    Outcome::failure(
        Ending::Fail,
        payload,
        storage_core::Error::InvalidParam(e.message),
    )
}
