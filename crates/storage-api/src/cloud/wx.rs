//! [`WxGame`]: WeChat's mini-game `wx.setUserCloudStorage` family.

use super::options::{GetGroupCloudStorageOption, KeyListOption, SetUserCloudStorageOption};
use super::player::Player;
use super::results::{
    ok_msg, GetUserCloudStorageKeysResult, GetUserCloudStorageResult, RelationDataResult,
};
use super::wx_interactive::InteractiveListeners;
use super::Engine;
use crate::{Call, GeneralResult, WxError};
use cloud_kv::{Caller, KvData};
use std::sync::Arc;
use storage_core::codes::ApiKind;

/// WeChat's cloud APIs for one player of one game, from one context. Every method returns a
/// [`Call`]: await it (Promise form) or add callbacks (callback form). Failures are
/// [`WxError`]s, `{errMsg}`.
#[derive(Debug, Clone)]
pub struct WxGame {
    pub(super) player: Player<WxError>,
    pub(super) listeners: Arc<InteractiveListeners>,
}

fn fail(api: &str, e: &storage_core::Error) -> WxError {
    WxError::new(api, ApiKind::Cloud, e)
}

impl WxGame {
    pub(crate) fn new(
        engine: Engine,
        caller: Caller,
        listeners: Arc<InteractiveListeners>,
    ) -> Self {
        WxGame {
            player: Player::new(engine, caller, fail),
            listeners,
        }
    }

    /// `wx.setUserCloudStorage({KVDataList})` with typed pairs: success
    /// `{errMsg: "setUserCloudStorage:ok"}`.
    ///
    /// ```
    /// # use storage_api::cloud::{GameContext, KvData};
    /// # use storage_api::Mpstore;
    /// # use storage_core::block_on;
    /// let wx = Mpstore::in_memory().mini_game(GameContext::new("game").logged_in("o1")).wx();
    /// let err = block_on(wx.set_user_cloud_storage(&[KvData::new("k", "v".repeat(1024))])).unwrap_err();
    /// assert_eq!(err.err_msg, "setUserCloudStorage:fail some key-value in list meet length exceed");
    /// ```
    pub fn set_user_cloud_storage(&self, pairs: &[KvData]) -> Call<GeneralResult, WxError> {
        self.set_user_cloud_storage_with(SetUserCloudStorageOption::pairs(pairs))
    }

    /// `wx.setUserCloudStorage({KVDataList})` with the option as the game passed it.
    pub fn set_user_cloud_storage_with(
        &self,
        option: SetUserCloudStorageOption,
    ) -> Call<GeneralResult, WxError> {
        self.player.set(option)
    }

    /// `wx.getUserCloudStorage({keyList})` with typed keys: success
    /// `{KVDataList, errMsg: "getUserCloudStorage:ok"}` (open data context only).
    pub fn get_user_cloud_storage(
        &self,
        keys: impl IntoIterator<Item = impl Into<String>>,
    ) -> Call<GetUserCloudStorageResult, WxError> {
        self.get_user_cloud_storage_with(KeyListOption::keys(keys))
    }

    /// `wx.getUserCloudStorage({keyList})` with the option as the game passed it.
    pub fn get_user_cloud_storage_with(
        &self,
        option: KeyListOption,
    ) -> Call<GetUserCloudStorageResult, WxError> {
        // WeChat has no `data` field.
        self.player.get(option, false)
    }

    /// `wx.removeUserCloudStorage({keyList})` with typed keys: success
    /// `{errMsg: "removeUserCloudStorage:ok"}`.
    pub fn remove_user_cloud_storage(
        &self,
        keys: impl IntoIterator<Item = impl Into<String>>,
    ) -> Call<GeneralResult, WxError> {
        self.remove_user_cloud_storage_with(KeyListOption::keys(keys))
    }

    /// `wx.removeUserCloudStorage({keyList})` with the option as the game passed it.
    pub fn remove_user_cloud_storage_with(
        &self,
        option: KeyListOption,
    ) -> Call<GeneralResult, WxError> {
        self.player.remove(option)
    }

    /// `wx.getUserCloudStorageKeys()`: success `{keys, errMsg: "getUserCloudStorageKeys:ok"}`,
    /// keys in insertion order (open data context only).
    pub fn get_user_cloud_storage_keys(&self) -> Call<GetUserCloudStorageKeysResult, WxError> {
        const API: &str = "getUserCloudStorageKeys";
        let op = |engine: Engine, caller| async move {
            engine.get_user_cloud_storage_keys(&caller).await
        };
        self.player
            .call(API, op, |keys| GetUserCloudStorageKeysResult {
                keys,
                err_msg: ok_msg(API),
            })
    }

    /// `wx.getFriendCloudStorage({keyList})` with typed keys: success
    /// `{data: UserGameData[], errMsg: "getFriendCloudStorage:ok"}` (open data context only; at
    /// most 100 players, the caller included, unranked).
    pub fn get_friend_cloud_storage(
        &self,
        keys: impl IntoIterator<Item = impl Into<String>>,
    ) -> Call<RelationDataResult, WxError> {
        self.get_friend_cloud_storage_with(KeyListOption::keys(keys))
    }

    /// `wx.getFriendCloudStorage({keyList})` with the option as the game passed it.
    pub fn get_friend_cloud_storage_with(
        &self,
        option: KeyListOption,
    ) -> Call<RelationDataResult, WxError> {
        let op = |engine: Engine, caller| async move {
            engine
                .get_friend_cloud_storage(&caller, &option.key_list)
                .await
        };
        self.player.relation_read("getFriendCloudStorage", op)
    }

    /// `wx.getGroupCloudStorage({shareTicket, groupid, keyList})`: success
    /// `{data: UserGameData[], errMsg: "getGroupCloudStorage:ok"}` (open data context only; the
    /// group is `groupid` if given, else `shareTicket`).
    pub fn get_group_cloud_storage(
        &self,
        option: GetGroupCloudStorageOption,
    ) -> Call<RelationDataResult, WxError> {
        let op = |engine: Engine, caller| async move {
            engine
                .get_group_cloud_storage(
                    &caller,
                    &option.share_ticket,
                    &option.groupid,
                    &option.key_list,
                )
                .await
        };
        self.player.relation_read("getGroupCloudStorage", op)
    }
}
