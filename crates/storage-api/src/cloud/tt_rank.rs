//! Douyin's user groups and ImRank leaderboards on [`TtGame`]: `tt.setUserGroup`,
//! `tt.setImRankData`, `tt.setImRankDataInOpenContext`, `tt.getImRankList`,
//! `tt.getImRankData` (behaviour §5.1; the rules are [`cloud_kv`]'s).
//!
//! ```
//! use storage_api::cloud::{GameContext, GetImRankOption, SetImRankDataOption};
//! use storage_api::Mpstore;
//! use storage_core::block_on;
//! use serde_json::json;
//! let store = Mpstore::in_memory();
//! let game = GameContext::new("game").logged_in("ann");
//! let tt = store.mini_game(game.clone()).tt();
//! block_on(tt.set_im_rank_data(SetImRankDataOption::score(103))).unwrap();
//! let open = store.mini_game(game.open_data()).tt();
//! let res = block_on(open.get_im_rank_data(GetImRankOption::new("all", 0, "day"))).unwrap();
//! let res = serde_json::to_value(res).unwrap();
//! assert_eq!(res["errMsg"], "getImRankData:ok");
//! assert_eq!((&res["data"]["items"][0]["value"], &res["data"]["self_user_info"]["rank"]), (&json!("103"), &json!(1)));
//! ```

use super::results::{ok_msg, TtCloudError};
use super::tt::TtGame;
use super::Engine;
use crate::{Call, GeneralResult};
use cloud_kv::{GetImRankOption, ImRankPage, SetImRankDataOption};
use serde::{Deserialize, Serialize};
use storage_core::JsValue;

fn undefined() -> JsValue {
    JsValue::Undefined
}

/// `tt.setUserGroup({groupId})`.
///
/// ```
/// use storage_api::cloud::SetUserGroupOption;
/// let bridged: SetUserGroupOption = serde_json::from_str(r#"{"groupId": "g1"}"#).unwrap();
/// assert_eq!(bridged, SetUserGroupOption::group("g1"));
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SetUserGroupOption {
    /// The group: a non-empty String.
    #[serde(rename = "groupId", default = "undefined")]
    pub group_id: JsValue,
}

impl SetUserGroupOption {
    /// `{groupId}`.
    pub fn group(group_id: &str) -> Self {
        SetUserGroupOption {
            group_id: group_id.into(),
        }
    }
}

/// `{data: {items, self_user_info}, errMsg: "getImRankData:ok"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetImRankDataResult {
    /// One page of the ranked list, and the caller's own entry.
    pub data: ImRankPage,
    /// `"getImRankData:ok"`.
    #[serde(rename = "errMsg")]
    pub err_msg: String,
}

impl TtGame {
    /// `tt.setUserGroup({groupId})`: success `{errMsg: "setUserGroup:ok"}`; the caller is then
    /// in that group (and no other) for `getCloudStorageByRelation({type: "group"})`.
    pub fn set_user_group(&self, option: SetUserGroupOption) -> Call<GeneralResult, TtCloudError> {
        const API: &str = "setUserGroup";
        let op = |engine: Engine, caller| async move {
            engine.set_user_group(&caller, &option.group_id).await
        };
        self.player.call(API, op, |()| GeneralResult::ok(API))
    }

    /// `tt.setImRankData(options)` (main context): success `{errMsg: "setImRankData:ok"}`.
    pub fn set_im_rank_data(
        &self,
        option: SetImRankDataOption,
    ) -> Call<GeneralResult, TtCloudError> {
        const API: &str = "setImRankData";
        let op =
            |engine: Engine, caller| async move { engine.set_im_rank_data(&caller, &option).await };
        self.player.call(API, op, |()| GeneralResult::ok(API))
    }

    /// `tt.setImRankDataInOpenContext(options)` (open data context): success
    /// `{errMsg: "setImRankDataInOpenContext:ok"}`.
    pub fn set_im_rank_data_in_open_context(
        &self,
        option: SetImRankDataOption,
    ) -> Call<GeneralResult, TtCloudError> {
        const API: &str = "setImRankDataInOpenContext";
        let op = |engine: Engine, caller| async move {
            engine
                .set_im_rank_data_in_open_context(&caller, &option)
                .await
        };
        self.player.call(API, op, |()| GeneralResult::ok(API))
    }

    /// `tt.getImRankList(options)` (main context): success `{errMsg: "getImRankList:ok"}`; the
    /// leaderboard the platform would draw is recorded for the host
    /// ([`cloud_kv::CloudKv::im_rank_shown`]).
    pub fn get_im_rank_list(&self, option: GetImRankOption) -> Call<GeneralResult, TtCloudError> {
        const API: &str = "getImRankList";
        let op =
            |engine: Engine, caller| async move { engine.get_im_rank_list(&caller, &option).await };
        self.player.call(API, op, |()| GeneralResult::ok(API))
    }

    /// `tt.getImRankData(options)` (open data context): success
    /// `{data: {items, self_user_info}, errMsg: "getImRankData:ok"}`.
    pub fn get_im_rank_data(
        &self,
        option: GetImRankOption,
    ) -> Call<GetImRankDataResult, TtCloudError> {
        const API: &str = "getImRankData";
        let op =
            |engine: Engine, caller| async move { engine.get_im_rank_data(&caller, &option).await };
        self.player.call(API, op, |data| GetImRankDataResult {
            data,
            err_msg: ok_msg(API),
        })
    }
}
