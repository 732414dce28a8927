//! `mpstore cloud …`: game cloud data through the `tt` / `wx` mini-game facades, and the host's
//! game configuration (leaderboard keys, friendships).

use super::args::{CallContext, Cli, CloudArgs, CloudOp, Platform, RelationType};
use super::{fail, print, store};
use crate::bridge::{cloud, host};
use crate::exit;
use serde_json::json;
use storage_core::{CloudRule, Dialect, Error, JsObject, JsValue};

/// Runs one cloud command; returns the exit code.
pub fn run(cli: &Cli, args: &CloudArgs) -> i32 {
    let dialect = match cli.select.platform {
        Platform::Tt => Dialect::Tt,
        Platform::Wx => Dialect::Wx,
        Platform::My => {
            return fail(
                exit::INVALID,
                "Alipay (my) has no game cloud data: use --platform tt or wx",
            )
        }
    };
    let Some(dir) = cli.store.data_dir.clone().or_else(store::default_data_dir) else {
        return fail(
            exit::FAILURE,
            "no user data directory is known here: pass --data-dir",
        );
    };
    let mpstore = match store::open(&dir, false) {
        Ok(s) => s,
        Err(e) => {
            return fail(
                exit::CANNOT_OPEN,
                &format!("cannot open the store in {}: {e}", dir.display()),
            )
        }
    };
    let cloud_host = mpstore.cloud();
    let strings = |items: &[String]| {
        JsValue::Array(items.iter().map(|s| JsValue::from(s.as_str())).collect())
    };
    let options = |entries: Vec<(&str, JsValue)>| {
        vec![JsValue::Object(entries.into_iter().collect::<JsObject>())]
    };

    let (method, call_args) = match &args.op {
        // Host configuration: not a mini-game API.
        CloudOp::Leaderboards { keys } => {
            let r = host::call(
                &mpstore,
                &cloud_host,
                "setLeaderboardKeys",
                vec![args.game.as_str().into(), strings(keys)],
            );
            return host_done(cli, r);
        }
        CloudOp::Friends { openids } => {
            let Some(me) = &args.openid else {
                return fail(
                    exit::INVALID,
                    "cloud friends needs --openid (whose friends they are)",
                );
            };
            for other in openids {
                let call_args = vec![
                    args.game.as_str().into(),
                    me.as_str().into(),
                    other.as_str().into(),
                ];
                if let Err(e) = host::call(&mpstore, &cloud_host, "addFriendship", call_args) {
                    return fail(exit::INVALID, &e.message);
                }
            }
            return print(cli, &json!({"ok": true}));
        }
        CloudOp::Set { pairs } => {
            let mut list = Vec::new();
            for pair in pairs {
                let Some((k, v)) = pair.split_once('=') else {
                    return fail(exit::INVALID, &format!("{pair:?} is not KEY=VALUE"));
                };
                let item: JsObject = [("key", k), ("value", v)].into_iter().collect();
                list.push(JsValue::Object(item));
            }
            (
                "setUserCloudStorage",
                options(vec![("KVDataList", list.into())]),
            )
        }
        CloudOp::Get { keys } => (
            "getUserCloudStorage",
            options(vec![("keyList", strings(keys))]),
        ),
        CloudOp::Remove { keys } => (
            "removeUserCloudStorage",
            options(vec![("keyList", strings(keys))]),
        ),
        CloudOp::Relation {
            kind,
            keys,
            sort_key,
            group_id,
        } => {
            let mut extra = JsObject::new();
            if let Some(k) = sort_key {
                extra.insert("sortKey", k.as_str());
            }
            if let Some(g) = group_id {
                extra.insert("groupId", g.as_str());
            }
            match (dialect, kind) {
                (Dialect::Tt, _) => {
                    let kind = match kind {
                        RelationType::Friend => "friend",
                        RelationType::Group => "group",
                        RelationType::Recommend => "recommend",
                    };
                    let mut entries = vec![("type", kind.into()), ("keyList", strings(keys))];
                    if !extra.is_empty() {
                        entries.push(("extra", extra.into()));
                    }
                    ("getCloudStorageByRelation", options(entries))
                }
                (_, RelationType::Friend) => (
                    "getFriendCloudStorage",
                    options(vec![("keyList", strings(keys))]),
                ),
                (_, RelationType::Group) => {
                    let mut entries = vec![("keyList", strings(keys))];
                    if let Some(g) = group_id {
                        entries.push(("shareTicket", g.as_str().into()));
                    }
                    ("getGroupCloudStorage", options(entries))
                }
                (_, RelationType::Recommend) => {
                    return fail(
                        exit::INVALID,
                        "WeChat has no recommended-players read: use --platform tt",
                    )
                }
            }
        }
    };
    let ctx = cloud::game_context(
        args.game.clone(),
        args.openid.clone(),
        args.context == CallContext::Open,
        !args.mini_app,
    );
    match cloud::call(&cloud_host.mini_game(ctx), dialect, method, Ok(call_args)) {
        Ok(outcome) => {
            let code = if outcome.is_failure() {
                classify(dialect, method, outcome.result())
            } else {
                exit::OK
            };
            print(cli, outcome.result());
            code
        }
        Err(e) => fail(exit::INVALID, &e.message),
    }
}

fn host_done(
    cli: &Cli,
    r: Result<crate::bridge::outcome::Outcome, crate::bridge::request::ProtocolError>,
) -> i32 {
    match r {
        Ok(_) => print(cli, &json!({"ok": true})),
        Err(e) => fail(exit::INVALID, &e.message),
    }
}

/// The exit code of a failed cloud call, by asking the facade's shaping which rule it reports.
fn classify(dialect: Dialect, method: &str, payload: &serde_json::Value) -> i32 {
    use CloudRule::*;
    let rules = [
        ListNotArray,
        ListEmpty,
        InvalidItem,
        KeyTooLong,
        KeyValueTooLong,
        TooManyPairs,
        InvalidLeaderboardValue,
        InvalidKeyList,
        InvalidRelationType,
        GroupNeedsSortKeyAndGroupId,
        GroupNeedsShareTicket,
        NotOpenDataContext,
        NotLoggedIn,
        NotAGame,
    ];
    rules
        .into_iter()
        .map(Error::Cloud)
        .find(|e| cloud::failure(dialect, method, e).result() == payload)
        .map_or(exit::FAILURE, |e| exit::code_of(&e))
}
