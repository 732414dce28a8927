//! The game cloud-data APIs by name: each call becomes one call of the `tt` / `wx` mini-game
//! facade, as the caller a game context describes.

use super::outcome::{failed, no_values as none, settle, Ending, Outcome};
use super::{prop, Api, Args, Family, LoneSurrogate, Refusal};
use crate::cloud::{
    GameContext, GetCloudStorageByRelationOption, GetGroupCloudStorageOption, GetImRankOption,
    HostKind, KeyListOption, MiniGame, ModifyFriendInteractiveStorageOption, SetImRankDataOption,
    SetUserCloudStorageOption, SetUserGroupOption, TtCloudError, WxInteractiveError,
};
use crate::WxError;
use storage_core::codes::ApiKind;
use storage_core::{CloudRule, Dialect, Error};

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

/// Runs `api(args)` as the caller of `game`; refused when `api` is not a cloud API.
pub fn call(
    game: &MiniGame,
    api: Api,
    args: Result<Args, LoneSurrogate>,
) -> Result<Outcome, Refusal> {
    if api.family() != Family::Cloud {
        return Err(Refusal::unknown_api(&format!(
            "{}.{}",
            api.dialect().name(),
            api.name()
        )));
    }
    let (dialect, method) = (api.dialect(), api.name());
    if api.is_listener() {
        return Err(Refusal::new(
            "bad_request",
            format!("{method} registers a listener: the host keeps it"),
        ));
    }
    let args = match args {
        Ok(args) => args,
        // A lone surrogate cannot be a key or a value: the rule of the list it sits in.
        Err(LoneSurrogate) => {
            let rule = match method {
                "setUserCloudStorage" => CloudRule::InvalidItem,
                "setUserGroup" => CloudRule::InvalidGroupId,
                m if m.contains("ImRank") => CloudRule::ImRankParams,
                // No configured key or friend's openid holds one.
                "modifyFriendInteractiveStorage" => CloudRule::InvalidOpenid,
                _ => CloudRule::InvalidKeyList,
            };
            return Ok(failure(api, &rule.into()));
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
                "getCloudStorageByRelation" => {
                    settle(tt.get_cloud_storage_by_relation(relation(&o)).wait(), none)
                }
                "setUserGroup" => settle(
                    tt.set_user_group(SetUserGroupOption {
                        group_id: prop(&o, "groupId"),
                    })
                    .wait(),
                    none,
                ),
                "setImRankData" => settle(tt.set_im_rank_data(im_rank_set(&o)).wait(), none),
                "setImRankDataInOpenContext" => settle(
                    tt.set_im_rank_data_in_open_context(im_rank_set(&o)).wait(),
                    none,
                ),
                "getImRankList" => settle(tt.get_im_rank_list(im_rank_get(&o)).wait(), none),
                _ => settle(tt.get_im_rank_data(im_rank_get(&o)).wait(), none),
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
                "getUserInteractiveStorage" => settle(
                    wx.get_user_interactive_storage_with(key_list(&o)).wait(),
                    none,
                ),
                "modifyFriendInteractiveStorage" => {
                    let option = ModifyFriendInteractiveStorageOption {
                        key: prop(&o, "key"),
                        op_num: prop(&o, "opNum"),
                        operation: prop(&o, "operation"),
                        to_user: prop(&o, "toUser"),
                    };
                    settle(wx.modify_friend_interactive_storage(option).wait(), none)
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

fn im_rank_set(o: &storage_core::JsObject) -> SetImRankDataOption {
    SetImRankDataOption {
        data_type: prop(o, "dataType"),
        value: prop(o, "value"),
        priority: prop(o, "priority"),
        extra: prop(o, "extra"),
        zone_id: prop(o, "zoneId"),
    }
}

fn im_rank_get(o: &storage_core::JsObject) -> GetImRankOption {
    GetImRankOption {
        relation_type: prop(o, "relationType"),
        data_type: prop(o, "dataType"),
        rank_type: prop(o, "rankType"),
        zone_id: prop(o, "zoneId"),
        suffix: prop(o, "suffix"),
        rank_title: prop(o, "rankTitle"),
        page_num: prop(o, "pageNum"),
        page_size: prop(o, "pageSize"),
    }
}

/// How `api` reports `err` when the arguments never reached the facade, shaped by the facade's
/// own error types.
pub fn failure(api: Api, err: &Error) -> Outcome {
    let method = api.name();
    match api.dialect() {
        Dialect::Tt => failed(Ending::Fail, &TtCloudError::new(method, err)),
        _ if matches!(
            method,
            "getUserInteractiveStorage" | "modifyFriendInteractiveStorage"
        ) =>
        {
            failed(Ending::Fail, &WxInteractiveError::new(method, err))
        }
        _ => failed(Ending::Fail, &WxError::new(method, ApiKind::Cloud, err)),
    }
}
