//! The game cloud-data APIs over the bridge: each request becomes one call of storage-api's
//! `tt` / `wx` mini-game facade, as the caller described by the request's game context.

use super::outcome::{failed, no_values as none, settle, Ending, Outcome};
use super::request::{prop, unknown_api, Args, ProtocolError};
use crate::tagged::TagError;
use storage_api::cloud::{
    GameContext, GetCloudStorageByRelationOption, GetGroupCloudStorageOption, HostKind,
    KeyListOption, MiniGame, SetUserCloudStorageOption, TtCloudError,
};
use storage_api::WxError;
use storage_core::codes::ApiKind;
use storage_core::{CloudRule, Dialect, Error, JsValue};

const TT: [&str; 4] = [
    "setUserCloudStorage",
    "getUserCloudStorage",
    "removeUserCloudStorage",
    "getCloudStorageByRelation",
];

const WX: [&str; 6] = [
    "setUserCloudStorage",
    "getUserCloudStorage",
    "removeUserCloudStorage",
    "getUserCloudStorageKeys",
    "getFriendCloudStorage",
    "getGroupCloudStorage",
];

/// Whether `dialect` has the cloud method `method`.
pub fn is_cloud_method(dialect: Dialect, method: &str) -> bool {
    match dialect {
        Dialect::Tt => TT.contains(&method),
        Dialect::Wx => WX.contains(&method),
        Dialect::My => false,
    }
}

/// The caller a game context describes.
pub fn game_context(
    game: String,
    openid: Option<String>,
    open_data: bool,
    is_game: bool,
) -> GameContext {
    let mut ctx = GameContext::new(game);
    if let Some(openid) = openid {
        ctx = ctx.logged_in(openid);
    }
    if open_data {
        ctx = ctx.open_data();
    }
    if !is_game {
        ctx = ctx.in_host(HostKind::MiniApp);
    }
    ctx
}

/// Runs `dialect.method(args)` as the caller of `game`.
pub fn call(
    game: &MiniGame,
    dialect: Dialect,
    method: &str,
    args: Result<Vec<JsValue>, TagError>,
) -> Result<Outcome, ProtocolError> {
    if !is_cloud_method(dialect, method) {
        return Err(unknown_api(&format!("{}.{method}", dialect.name())));
    }
    let args = match args {
        Ok(args) => Args(args),
        // A lone surrogate cannot be a key or a value: the rule of the list it sits in.
        Err(_) => {
            let rule = if method == "setUserCloudStorage" {
                CloudRule::InvalidItem
            } else {
                CloudRule::InvalidKeyList
            };
            return Ok(failure(dialect, method, &rule.into()));
        }
    };
    let o = args.options(0);
    Ok(match dialect {
        Dialect::Tt => {
            let tt = game.tt();
            match method {
                "setUserCloudStorage" => {
                    settle(tt.set_user_cloud_storage_with(set_option(&o)).wait(), none)
                }
                "getUserCloudStorage" => {
                    settle(tt.get_user_cloud_storage_with(key_list(&o)).wait(), none)
                }
                "removeUserCloudStorage" => {
                    settle(tt.remove_user_cloud_storage_with(key_list(&o)).wait(), none)
                }
                _ => settle(tt.get_cloud_storage_by_relation(relation(&o)).wait(), none),
            }
        }
        _ => {
            let wx = game.wx();
            match method {
                "setUserCloudStorage" => {
                    settle(wx.set_user_cloud_storage_with(set_option(&o)).wait(), none)
                }
                "getUserCloudStorage" => {
                    settle(wx.get_user_cloud_storage_with(key_list(&o)).wait(), none)
                }
                "removeUserCloudStorage" => {
                    settle(wx.remove_user_cloud_storage_with(key_list(&o)).wait(), none)
                }
                "getUserCloudStorageKeys" => settle(wx.get_user_cloud_storage_keys().wait(), none),
                "getFriendCloudStorage" => {
                    settle(wx.get_friend_cloud_storage_with(key_list(&o)).wait(), none)
                }
                _ => settle(
                    wx.get_group_cloud_storage(GetGroupCloudStorageOption {
                        share_ticket: prop(&o, "shareTicket"),
                        groupid: prop(&o, "groupid"),
                        key_list: prop(&o, "keyList"),
                    })
                    .wait(),
                    none,
                ),
            }
        }
    })
}

fn set_option(o: &storage_core::JsObject) -> SetUserCloudStorageOption {
    SetUserCloudStorageOption {
        kv_data_list: prop(o, "KVDataList"),
    }
}

fn key_list(o: &storage_core::JsObject) -> KeyListOption {
    KeyListOption {
        key_list: prop(o, "keyList"),
    }
}

fn relation(o: &storage_core::JsObject) -> GetCloudStorageByRelationOption {
    GetCloudStorageByRelationOption {
        kind: prop(o, "type"),
        key_list: prop(o, "keyList"),
        extra: prop(o, "extra"),
    }
}

/// How `dialect.method` reports `err` when the arguments never reached the facade, shaped by
/// the facade's own error types.
pub(crate) fn failure(dialect: Dialect, method: &str, err: &Error) -> Outcome {
    match dialect {
        Dialect::Tt => failed(Ending::Fail, &TtCloudError::new(method, err)),
        _ => failed(Ending::Fail, &WxError::new(method, ApiKind::Cloud, err)),
    }
}
