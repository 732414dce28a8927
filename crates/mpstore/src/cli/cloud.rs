//! `mpstore cloud …`: game cloud data through the `tt` / `wx` mini-game facades, and the host's
//! game configuration (leaderboard keys, friendships).

use super::args::{CallContext, Cli, CloudArgs, CloudOp, Platform, RelationType};
use super::{fail, open_code, outcome_code, parse_args, print, store};
use crate::bridge::{call_cloud, outcome};
use crate::exit;
use serde_json::json;
use storage_api::dispatch::cloud;
use storage_api::Mpstore;
use storage_core::{block_on, Dialect, Error, JsObject, JsValue};

/// The dialect of a cloud command, or the exit code refusing it.
fn cloud_dialect(platform: Platform) -> Result<Dialect, i32> {
    match platform.dialect() {
        d @ (Dialect::Tt | Dialect::Wx) => Ok(d),
        d => Err(fail(
            exit::INVALID,
            &format!(
                "{} has no game cloud data here: use --platform tt or wx",
                d.name()
            ),
        )),
    }
}

/// Runs one cloud command; returns the exit code.
pub fn run(cli: &Cli, args: &CloudArgs) -> i32 {
    if let Err(code) = cloud_dialect(cli.select.platform) {
        return code;
    }
    let Some(dir) = cli.store.data_dir.clone().or_else(store::default_data_dir) else {
        return fail(
            exit::FAILURE,
            "no user data directory is known here: pass --data-dir",
        );
    };
    let mpstore = match store::open(&dir, false) {
        Ok(s) => {
            crate::stop::flush_on_stop(&s);
            s
        }
        Err(e) => {
            return fail(
                open_code(&e),
                &format!("cannot open the store in {}: {e}", dir.display()),
            )
        }
    };
    let code = run_on(cli, args, &mpstore);
    crate::stop::done();
    code
}

/// Runs one cloud command on an already open store; returns the exit code.
pub fn run_on(cli: &Cli, args: &CloudArgs, mpstore: &Mpstore) -> i32 {
    let dialect = match cloud_dialect(cli.select.platform) {
        Ok(d) => d,
        Err(code) => return code,
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
            let r = block_on(cloud_host.set_leaderboard_keys(&args.game, keys));
            return host_done(cli, r);
        }
        CloudOp::Friends { openids } => {
            let Some(me) = &args.openid else {
                return fail(
                    exit::INVALID,
                    "cloud friends needs --openid (whose friends they are)",
                );
            };
            let relations = cloud_host.stored_relations();
            for other in openids {
                if let Err(e) = block_on(relations.add_friendship(&args.game, me, other)) {
                    return host_done(cli, Err(e));
                }
            }
            return host_done(cli, Ok(()));
        }
        CloudOp::Call(call) => match parse_args(&call.args) {
            Ok(args) => (call.method.as_str(), args),
            Err(e) => return fail(exit::INVALID, &e),
        },
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
    match call_cloud(&cloud_host.mini_game(ctx), dialect, method, call_args) {
        Ok(done) => {
            print(cli, &outcome::result(&done));
            outcome_code(&done)
        }
        Err(e) => fail(exit::INVALID, &e.message),
    }
}

/// The end of a host-configuration command: `{"ok": true}`, or the code of its storage error.
fn host_done(cli: &Cli, r: Result<(), Error>) -> i32 {
    match r {
        Ok(()) => print(cli, &json!({"ok": true})),
        Err(e) => fail(exit::code_of(&e), &e.to_string()),
    }
}
