//! The tour's scenarios, one per platform: each step a documented call and what the platform
//! answers.

use super::{args, bridge_error, info_summary, ranking_summary, Tour};
use crate::bridge::call_cloud;
use crate::bridge::outcome::result;
use serde_json::{json, Value};
use storage_api::dispatch::{cloud, host, Args};
use storage_core::{Dialect, Scope};

impl Tour {
    pub(super) fn alipay(&mut self) {
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

    pub(super) fn wechat(&mut self) {
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
    pub(super) fn more_hosts(&mut self) {
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

    pub(super) fn douyin(&mut self) {
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
        // Douyin's ImRank leaderboards: a score from the main context, the day's list from the
        // open data context.
        self.cloud_step(
            &ann,
            "tt.setImRankData({dataType: 0, value: '103', zoneId: 'test'})",
            "setImRankData",
            json!([{"dataType": 0, "value": "103", "zoneId": "test"}]),
            "success",
        );
        self.cloud_step(
            &ann_open,
            "(open data context) tt.getImRankData({relationType: 'friend', dataType: 0, rankType: 'day', zoneId: 'test'})",
            "getImRankData",
            json!([{"relationType": "friend", "dataType": 0, "rankType": "day", "zoneId": "test"}]),
            "success",
        );
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
}
