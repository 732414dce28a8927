//! [`Player`]: what the [`TtGame`](super::TtGame) and [`WxGame`](super::WxGame) facades share.
//! The two dialects run the same engine calls and shape the same successes; they differ in the
//! error a failure becomes (`fail`) and in a few rows, which each facade adds itself.

use super::options::{KeyListOption, SetUserCloudStorageOption};
use super::results::{ok_msg, GetUserCloudStorageResult, RelationDataResult};
use super::Engine;
use crate::{Call, GeneralResult};
use cloud_kv::{Caller, UserGameData};
use std::future::Future;
use storage_core::{Error, Result};

/// One player's engine and caller, and how the dialect reports a failure of `api`.
#[derive(Debug, Clone)]
pub(crate) struct Player<E> {
    engine: Engine,
    caller: Caller,
    fail: fn(&str, &Error) -> E,
}

impl<E: Send + 'static> Player<E> {
    pub(crate) fn new(engine: Engine, caller: Caller, fail: fn(&str, &Error) -> E) -> Self {
        Player {
            engine,
            caller,
            fail,
        }
    }

    /// Who calls: the game, the player, the context.
    pub(crate) fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The same player, its failures reported by `fail` (an API family with its own shape).
    pub(crate) fn with_fail<E2>(&self, fail: fn(&str, &Error) -> E2) -> Player<E2> {
        Player {
            engine: self.engine.clone(),
            caller: self.caller.clone(),
            fail,
        }
    }

    /// A [`Call`] of `api`: `op` runs against the engine as the caller; its success is shaped by
    /// `ok`, its failure by the dialect's `fail`.
    pub(crate) fn call<T, S, Fut>(
        &self,
        api: &'static str,
        op: impl FnOnce(Engine, Caller) -> Fut,
        ok: impl FnOnce(T) -> S + Send + 'static,
    ) -> Call<S, E>
    where
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let run = op(self.engine.clone(), self.caller.clone());
        let fail = self.fail;
        Call::new(async move { run.await.map(ok).map_err(|e| fail(api, &e)) })
    }

    /// A relation read of `api`: success `{data: UserGameData[], errMsg: "<api>:ok"}`.
    pub(crate) fn relation_read<Fut>(
        &self,
        api: &'static str,
        op: impl FnOnce(Engine, Caller) -> Fut,
    ) -> Call<RelationDataResult, E>
    where
        Fut: Future<Output = Result<Vec<UserGameData>>> + Send + 'static,
    {
        self.call(api, op, move |data| RelationDataResult {
            data,
            err_msg: ok_msg(api),
        })
    }

    /// `setUserCloudStorage({KVDataList})`.
    pub(crate) fn set(&self, option: SetUserCloudStorageOption) -> Call<GeneralResult, E> {
        const API: &str = "setUserCloudStorage";
        let op = |engine: Engine, caller| async move {
            engine
                .set_user_cloud_storage(&caller, &option.kv_data_list)
                .await
        };
        self.call(API, op, |()| GeneralResult::ok(API))
    }

    /// `getUserCloudStorage({keyList})`; with `data`, the pairs are also under Douyin's older
    /// field name.
    pub(crate) fn get(
        &self,
        option: KeyListOption,
        data: bool,
    ) -> Call<GetUserCloudStorageResult, E> {
        const API: &str = "getUserCloudStorage";
        let op = |engine: Engine, caller| async move {
            engine
                .get_user_cloud_storage(&caller, &option.key_list)
                .await
        };
        self.call(API, op, move |pairs| GetUserCloudStorageResult {
            data: data.then(|| pairs.clone()),
            kv_data_list: pairs,
            err_msg: ok_msg(API),
        })
    }

    /// `removeUserCloudStorage({keyList})`.
    pub(crate) fn remove(&self, option: KeyListOption) -> Call<GeneralResult, E> {
        const API: &str = "removeUserCloudStorage";
        let op = |engine: Engine, caller| async move {
            engine
                .remove_user_cloud_storage(&caller, &option.key_list)
                .await
        };
        self.call(API, op, |()| GeneralResult::ok(API))
    }
}
