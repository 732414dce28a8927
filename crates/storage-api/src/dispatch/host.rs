//! The host operations by name: what a host (not a mini-program) does to the store: list
//! namespaces, remove an app's or a user's data, and configure games (leaderboard keys,
//! relations and profiles of the default stored relation provider, interactive keys, players'
//! session keys).

use super::outcome::Outcome;
use super::{namespaces, Args, Refusal};
use crate::cloud::{Cloud, InteractiveKey, Platform, Profile};
use crate::Mpstore;
use serde_json::{json, Value};
use storage_core::{block_on, JsValue, Result};

/// Every dialect with its API object's name and its APIs, in the order hosts number them:
/// `[{"name", "object", "syncObject", "apis": [{"name", "family", "sync", "promise", "writes", "since"?,
/// "inPlugins", "listener"?, "firedBy"?}]}]`: a listener (`onInteractiveStorageModified`) is kept by
/// the host and called with the `key` of each success of `firedBy`.
pub fn dialects() -> Value {
    Value::Array(
        storage_core::Dialect::ALL
            .iter()
            .map(|d| {
                let apis: Vec<Value> = super::Api::all(*d)
                    .map(|a| {
                        let mut api = json!({
                            "name": a.name(),
                            "family": match a.family() {
                                super::Family::Local => "local",
                                super::Family::Cloud => "cloud",
                            },
                            "sync": a.is_sync(),
                            "promise": a.has_promise(),
                            "writes": a.writes(),
                            "inPlugins": a.in_plugins(),
                        });
                        if let Some(since) = a.since() {
                            api["since"] = since.into();
                        }
                        if let Some(by) = a.fired_by() {
                            api["listener"] = true.into();
                            api["firedBy"] = by.into();
                        }
                        api
                    })
                    .collect();
                json!({
                    "name": d.name(),
                    "object": d.spec().object,
                    "syncObject": d.spec().sync_object,
                    "apis": apis,
                })
            })
            .collect(),
    )
}

/// A JavaScript value as the plain JSON `JSON.stringify` makes of it (a dump is plain JSON whose
/// tagged values are ordinary objects).
fn plain(v: &JsValue) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The host operations' names.
pub const METHODS: [&str; 18] = [
    "dialects",
    "namespaces",
    "dump",
    "import",
    "restore",
    "reset",
    "removeApp",
    "removeUser",
    "setLeaderboardKeys",
    "addFriendship",
    "joinGroup",
    "recommend",
    "setProfile",
    "setClock",
    "advanceClock",
    "imRankShown",
    "setInteractiveKeys",
    "registerSession",
];

/// Runs `host.<method>(args)`. Success is a return of the operation's result; a failure is a
/// `host_error` refusal (these are not mini-program APIs, so they have no platform shape).
pub fn call(
    store: &Mpstore,
    cloud: &Cloud,
    method: &str,
    args: Args,
) -> std::result::Result<Outcome, Refusal> {
    let text = |i: usize| match args.get(i) {
        JsValue::String(s) => Ok(s),
        _ => Err(Refusal::new(
            "bad_request",
            format!("host.{method}: argument {i} must be a string"),
        )),
    };
    let done = |r: Result<Value>| r.map(Outcome::returned_json).map_err(Refusal::host_error);
    let relations = || cloud.stored_relations();
    let unit = |r: Result<()>| r.map(|()| json!(null));
    // A namespace named as in a dump (`{"kind": "local", "user", "app", "scope"}`), or none.
    let only = |i: usize| -> std::result::Result<Option<storage_core::Namespace>, Refusal> {
        match args.get(i) {
            JsValue::Undefined | JsValue::Null => Ok(None),
            v => namespaces::from_json(&plain(&v))
                .map(Some)
                .map_err(|e| Refusal::new("bad_request", format!("host.{method}: {e}"))),
        }
    };
    match method {
        "dialects" => Ok(Outcome::returned_json(dialects())),
        "namespaces" => done(block_on(store.namespaces()).map(namespaces::listing)),
        "dump" => done(block_on(store.dump(only(0)?.as_ref()))),
        "reset" => {
            let ns = only(0)?;
            done(block_on(store.reset(ns.as_ref())).map(|n| json!({ "removed": n })))
        }
        "import" | "restore" => {
            let platform = match args.get(1) {
                JsValue::Undefined => storage_core::Dialect::Wx,
                JsValue::String(s) => s.as_str().parse().map_err(|e: storage_core::Error| {
                    Refusal::new("bad_request", format!("host.{method}: {e}"))
                })?,
                _ => {
                    return Err(Refusal::new(
                        "bad_request",
                        format!("host.{method}: argument 1 must be a platform name"),
                    ))
                }
            };
            let dump = plain(&args.get(0));
            let written = if method == "import" {
                block_on(store.import(&dump, platform))
            } else {
                block_on(store.restore(&dump, platform))
            };
            done(written.map(|n| json!({ "namespaces": n })))
        }
        "removeApp" => {
            let (user, app) = (text(0)?, text(1)?);
            done(block_on(store.remove_app(&user, &app)).map(|n| json!({ "removed": n })))
        }
        "removeUser" => {
            let user = text(0)?;
            done(block_on(store.remove_user(&user)).map(|n| json!({ "removed": n })))
        }
        "setLeaderboardKeys" => {
            let game = text(0)?;
            let keys = match args.get(1) {
                JsValue::Array(items) => items
                    .into_iter()
                    .map(|k| match k {
                        JsValue::String(s) => Ok(s),
                        _ => Err(Refusal::new(
                            "bad_request",
                            "host.setLeaderboardKeys: keys must be strings",
                        )),
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()?,
                _ => {
                    return Err(Refusal::new(
                        "bad_request",
                        "host.setLeaderboardKeys: argument 1 must be an array of strings",
                    ))
                }
            };
            done(unit(block_on(cloud.set_leaderboard_keys(&game, &keys))))
        }
        "addFriendship" => {
            let (game, a, b) = (text(0)?, text(1)?, text(2)?);
            done(unit(block_on(relations().add_friendship(&game, &a, &b))))
        }
        "joinGroup" => {
            let (game, group, openid) = (text(0)?, text(1)?, text(2)?);
            done(unit(block_on(
                relations().join_group(&game, &group, &openid),
            )))
        }
        "recommend" => {
            let (game, openid, other) = (text(0)?, text(1)?, text(2)?);
            done(unit(block_on(
                relations().recommend(&game, &openid, &other),
            )))
        }
        "setProfile" => {
            let (game, openid, nickname, avatar) = (text(0)?, text(1)?, text(2)?, text(3)?);
            let profile = Profile::new(nickname, avatar);
            done(unit(block_on(
                relations().set_profile(&game, &openid, &profile),
            )))
        }
        "imRankShown" => {
            // What tt.getImRankList last drew for a player (null when nothing yet).
            let (game, openid) = (text(0)?, text(1)?);
            let shown = block_on(cloud.im_rank_shown(&game, &openid));
            done(shown.map(|s| serde_json::to_value(s).unwrap_or(Value::Null)))
        }
        "setInteractiveKeys" => {
            let game = text(0)?;
            let keys = serde_json::from_value::<Vec<InteractiveKey>>(plain(&args.get(1)))
                .map_err(|e| {
                    Refusal::new(
                        "bad_request",
                        format!("host.setInteractiveKeys: argument 1 must be [{{key, maxOpNum?, dailyLimit?}}]: {e}"),
                    )
                })?;
            done(unit(block_on(cloud.set_interactive_keys(&game, &keys))))
        }
        "registerSession" => {
            let (platform, game, openid, key) = (text(0)?, text(1)?, text(2)?, text(3)?);
            let platform = match platform.as_str() {
                "wx" => Platform::Wx,
                "tt" => Platform::Tt,
                _ => {
                    return Err(Refusal::new(
                        "bad_request",
                        "host.registerSession: argument 0 must be \"wx\" or \"tt\"",
                    ))
                }
            };
            let registered = cloud.register_session(platform, &game, &openid, &key);
            done(unit(block_on(registered)))
        }
        "setClock" | "advanceClock" => {
            let clock = store.clock();
            match (method, args.get(0)) {
                ("setClock", JsValue::Null | JsValue::Undefined) => clock.follow_system(),
                (_, JsValue::Number(ms)) if ms.is_finite() => {
                    // Milliseconds as JavaScript's Date counts them; fractions are dropped.
                    let ms = ms as i64;
                    if method == "setClock" {
                        clock.set(ms)
                    } else {
                        clock.advance(ms)
                    }
                }
                _ => {
                    return Err(Refusal::new(
                        "bad_request",
                        format!("host.{method}: argument 0 must be a number of milliseconds"),
                    ))
                }
            }
            Ok(Outcome::returned_json(json!(clock.now_ms())))
        }
        _ => Err(Refusal::unknown_api(&format!("host.{method}"))),
    }
}
