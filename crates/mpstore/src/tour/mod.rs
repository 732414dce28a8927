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

mod scenarios;
mod server;

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
    tour.game_server();
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
            let keys: Vec<String> = ["xxx", "level"]
                .map(str::to_owned)
                .into_iter()
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
