//! [`TtGame`]: Douyin's `tt.setUserCloudStorage` family.

use super::options::{GetCloudStorageByRelationOption, KeyListOption, SetUserCloudStorageOption};
use super::results::{ok_msg, GetUserCloudStorageResult, RelationDataResult, TtCloudError};
use super::Engine;
use crate::{Call, GeneralResult};
use cloud_kv::{Caller, KvData};

/// Douyin's cloud APIs for one player of one game, from one context. Every method returns a
/// [`Call`]: await it (Promise form) or add callbacks (callback form). Failures are
/// [`TtCloudError`]s, `{errMsg, errorCode}`.
#[derive(Debug, Clone)]
pub struct TtGame {
    engine: Engine,
    caller: Caller,
}

impl TtGame {
    pub(crate) fn new(engine: Engine, caller: Caller) -> Self {
        TtGame { engine, caller }
    }

    fn parts(&self) -> (Engine, Caller) {
        (self.engine.clone(), self.caller.clone())
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
        const API: &str = "setUserCloudStorage";
        let (engine, caller) = self.parts();
        Call::new(async move {
            engine
                .set_user_cloud_storage(&caller, &option.kv_data_list)
                .await
                .map(|()| GeneralResult::ok(API))
                .map_err(|e| TtCloudError::new(API, &e))
        })
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
        const API: &str = "getUserCloudStorage";
        let (engine, caller) = self.parts();
        Call::new(async move {
            engine
                .get_user_cloud_storage(&caller, &option.key_list)
                .await
                .map(|pairs| GetUserCloudStorageResult {
                    data: Some(pairs.clone()),
                    kv_data_list: pairs,
                    err_msg: ok_msg(API),
                })
                .map_err(|e| TtCloudError::new(API, &e))
        })
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
        const API: &str = "removeUserCloudStorage";
        let (engine, caller) = self.parts();
        Call::new(async move {
            engine
                .remove_user_cloud_storage(&caller, &option.key_list)
                .await
                .map(|()| GeneralResult::ok(API))
                .map_err(|e| TtCloudError::new(API, &e))
        })
    }

    /// `tt.getCloudStorageByRelation({type, keyList, extra})`: success
    /// `{data: UserGameData[], errMsg: "getCloudStorageByRelation:ok"}` (open data context only;
    /// at most 100 players, the caller included; ranked when `extra.sortKey` is given).
    pub fn get_cloud_storage_by_relation(
        &self,
        option: GetCloudStorageByRelationOption,
    ) -> Call<RelationDataResult, TtCloudError> {
        const API: &str = "getCloudStorageByRelation";
        let (engine, caller) = self.parts();
        Call::new(async move {
            engine
                .get_cloud_storage_by_relation(
                    &caller,
                    &option.kind,
                    &option.key_list,
                    &option.extra,
                )
                .await
                .map(|data| RelationDataResult {
                    data,
                    err_msg: ok_msg(API),
                })
                .map_err(|e| TtCloudError::new(API, &e))
        })
    }
}
