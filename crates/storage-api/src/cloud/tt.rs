//! [`TtGame`]: Douyin's `tt.setUserCloudStorage` family.

use super::options::{GetCloudStorageByRelationOption, KeyListOption, SetUserCloudStorageOption};
use super::player::Player;
use super::results::{GetUserCloudStorageResult, RelationDataResult, TtCloudError};
use super::Engine;
use crate::{Call, GeneralResult};
use cloud_kv::{Caller, KvData};

/// Douyin's cloud APIs for one player of one game, from one context. Every method returns a
/// [`Call`]: await it (Promise form) or add callbacks (callback form). Failures are
/// [`TtCloudError`]s, `{errMsg, errorCode}`.
#[derive(Debug, Clone)]
pub struct TtGame {
    pub(super) player: Player<TtCloudError>,
}

impl TtGame {
    pub(crate) fn new(engine: Engine, caller: Caller) -> Self {
        TtGame {
            player: Player::new(engine, caller, TtCloudError::new),
        }
    }

    /// `tt.setUserCloudStorage({KVDataList})` with typed pairs: success
    /// `{errMsg: "setUserCloudStorage:ok"}`.
    ///
    /// ```
    /// # use storage_api::cloud::{GameContext, KvData};
    /// # use storage_api::Mpstore;
    /// # use storage_core::block_on;
    /// let tt = Mpstore::in_memory().mini_game(GameContext::new("game").logged_in("o1")).tt();
    /// let err = block_on(tt.set_user_cloud_storage(&[KvData::new("k".repeat(129), "")])).unwrap_err();
    /// assert_eq!(err.err_msg, "setUserCloudStorage:fail some keys in list meet length exceed");
    /// assert_eq!(err.error_code, 999999);
    /// ```
    pub fn set_user_cloud_storage(&self, pairs: &[KvData]) -> Call<GeneralResult, TtCloudError> {
        self.set_user_cloud_storage_with(SetUserCloudStorageOption::pairs(pairs))
    }

    /// `tt.setUserCloudStorage({KVDataList})` with the option as the game passed it.
    pub fn set_user_cloud_storage_with(
        &self,
        option: SetUserCloudStorageOption,
    ) -> Call<GeneralResult, TtCloudError> {
        self.player.set(option)
    }

    /// `tt.getUserCloudStorage({keyList})` with typed keys: success
    /// `{KVDataList, data, errMsg: "getUserCloudStorage:ok"}` (open data context only).
    pub fn get_user_cloud_storage(
        &self,
        keys: impl IntoIterator<Item = impl Into<String>>,
    ) -> Call<GetUserCloudStorageResult, TtCloudError> {
        self.get_user_cloud_storage_with(KeyListOption::keys(keys))
    }

    /// `tt.getUserCloudStorage({keyList})` with the option as the game passed it.
    pub fn get_user_cloud_storage_with(
        &self,
        option: KeyListOption,
    ) -> Call<GetUserCloudStorageResult, TtCloudError> {
        // Douyin also lists the pairs under the older `data` field.
        self.player.get(option, true)
    }

    /// `tt.removeUserCloudStorage({keyList})` with typed keys: success
    /// `{errMsg: "removeUserCloudStorage:ok"}`.
    pub fn remove_user_cloud_storage(
        &self,
        keys: impl IntoIterator<Item = impl Into<String>>,
    ) -> Call<GeneralResult, TtCloudError> {
        self.remove_user_cloud_storage_with(KeyListOption::keys(keys))
    }

    /// `tt.removeUserCloudStorage({keyList})` with the option as the game passed it.
    pub fn remove_user_cloud_storage_with(
        &self,
        option: KeyListOption,
    ) -> Call<GeneralResult, TtCloudError> {
        self.player.remove(option)
    }

    /// `tt.getCloudStorageByRelation({type, keyList, extra})`: success
    /// `{data: UserGameData[], errMsg: "getCloudStorageByRelation:ok"}` (open data context only;
    /// at most 100 players, the caller included; ranked when `extra.sortKey` is given).
    pub fn get_cloud_storage_by_relation(
        &self,
        option: GetCloudStorageByRelationOption,
    ) -> Call<RelationDataResult, TtCloudError> {
        let op = |engine: Engine, caller| async move {
            engine
                .get_cloud_storage_by_relation(
                    &caller,
                    &option.kind,
                    &option.key_list,
                    &option.extra,
                )
                .await
        };
        self.player.relation_read("getCloudStorageByRelation", op)
    }
}
