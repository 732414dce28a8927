//! [`My`]: Alipay's `my.*` local-storage APIs (behaviour §4, `my`).

use crate::call::Call;
use crate::local::Local;
use crate::options::{GetStorageOption, SetStorageOption};
use crate::results::{MyData, MyError, MySuccess, MySync, MySyncFailure, StorageInfo};
use std::future::Future;
use storage_core::codes::ApiKind;
use storage_core::{block_on, JsValue, Policy, Result};

const POLICY: &Policy = &Policy::MY;

/// Alipay's local storage for one namespace: `my.setStorage`, `my.getStorageSync`…
///
/// Asynchronous APIs return a [`Call`] whose success is `{success: true}` (get: `{data}`) and
/// whose failure is `{error, errorMessage}`. The `*_sync` APIs never fail: they return a
/// [`MySync`], either the result or `{success: false, error, errorMessage}`. A missing key reads
/// as `{data: null}`, async and Sync. Alipay stores everything encrypted and has no `encrypt`
/// option; the `encrypt` field of an option object is ignored.
///
/// ```
/// use storage_api::{MyData, MySync, Mpstore};
/// use storage_core::{JsValue, Scope};
/// let my = Mpstore::in_memory().mini_program("2088", "2021000000000000", Scope::App).unwrap().my();
/// assert!(my.set_storage_sync("key", "value").is_success());
/// assert_eq!(my.get_storage_sync("key"), MySync::Ok(MyData { data: "value".into() }));
/// assert_eq!(my.get_storage_sync("missing"), MySync::Ok(MyData { data: JsValue::Null }));
/// ```
#[derive(Clone)]
pub struct My {
    local: Local,
}

impl std::fmt::Debug for My {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("My")
            .field("namespace", &*self.local.ns)
            .finish()
    }
}

impl My {
    pub(crate) fn new(local: Local) -> Self {
        My { local }
    }

    fn sync<T, S>(
        kind: ApiKind,
        op: impl Future<Output = Result<T>>,
        shape: impl FnOnce(T) -> S,
    ) -> MySync<S> {
        Self::done(kind, block_on(op), shape)
    }

    /// A Sync API's answer from `result`.
    fn done<T, S>(kind: ApiKind, result: Result<T>, shape: impl FnOnce(T) -> S) -> MySync<S> {
        match result {
            Ok(v) => MySync::Ok(shape(v)),
            Err(e) => MySync::Fail(MySyncFailure::new(kind, &e)),
        }
    }

    /// `my.setStorage({key, data})`: success `{success: true}`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// assert!(block_on(my.set_storage("key", "value")).unwrap().success);
    /// ```
    pub fn set_storage(
        &self,
        key: impl Into<JsValue>,
        data: impl Into<JsValue>,
    ) -> Call<MySuccess, MyError> {
        self.set_storage_with(SetStorageOption::new(key, data))
    }

    /// `my.setStorage({key, data})` with the full option object (`encrypt` is ignored).
    ///
    /// ```
    /// # use storage_api::{Mpstore, SetStorageOption};
    /// # use storage_core::{block_on, JsValue, Scope};
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// let no_key = SetStorageOption { key: JsValue::Undefined, data: Some("v".into()), encrypt: false };
    /// let err = block_on(my.set_storage_with(no_key)).unwrap_err();
    /// assert_eq!((err.error, err.error_message.as_str()), (2, "必填参数为空"));
    /// ```
    pub fn set_storage_with(&self, option: SetStorageOption) -> Call<MySuccess, MyError> {
        self.local.call(
            "setStorage",
            ApiKind::LocalWrite,
            move |l| async move {
                l.set(&l.policy(POLICY), &option.key, option.data, false)
                    .await
            },
            |()| MySuccess::default(),
        )
    }

    /// `my.getStorage({key})`: success `{data}`, `{data: null}` for a missing key.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, JsValue, Scope};
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// assert_eq!(block_on(my.get_storage("missing")).unwrap().data, JsValue::Null);
    /// ```
    pub fn get_storage(&self, key: impl Into<JsValue>) -> Call<MyData, MyError> {
        self.get_storage_with(GetStorageOption::new(key))
    }

    /// `my.getStorage({key})` with the full option object (`encrypt` is ignored).
    ///
    /// ```
    /// # use storage_api::{GetStorageOption, Mpstore};
    /// # use storage_core::{block_on, Scope};
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// let err = block_on(my.get_storage_with(GetStorageOption::new(""))).unwrap_err();
    /// assert_eq!(err.error, 2);
    /// ```
    pub fn get_storage_with(&self, option: GetStorageOption) -> Call<MyData, MyError> {
        self.local.call(
            "getStorage",
            ApiKind::LocalRead,
            move |l| async move { l.get(&option.key, false).await },
            |data| MyData {
                data: data.unwrap_or(JsValue::Null),
            },
        )
    }

    /// `my.removeStorage({key})`: removing a missing key succeeds.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// assert!(block_on(my.remove_storage("missing")).unwrap().success);
    /// ```
    pub fn remove_storage(&self, key: impl Into<JsValue>) -> Call<MySuccess, MyError> {
        let key = key.into();
        self.local.call(
            "removeStorage",
            ApiKind::LocalWrite,
            move |l| async move { l.remove(&key).await },
            |()| MySuccess::default(),
        )
    }

    /// `my.clearStorage()`: empties this namespace only.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// assert!(block_on(my.clear_storage()).unwrap().success);
    /// ```
    pub fn clear_storage(&self) -> Call<MySuccess, MyError> {
        self.local.call(
            "clearStorage",
            ApiKind::LocalWrite,
            |l| async move { l.clear().await },
            |()| MySuccess::default(),
        )
    }

    /// `my.getStorageInfo()`: success `{keys, currentSize, limitSize}`, sizes in KB.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// assert_eq!(block_on(my.get_storage_info()).unwrap().limit_size, 10240);
    /// ```
    pub fn get_storage_info(&self) -> Call<StorageInfo, MyError> {
        self.local.call(
            "getStorageInfo",
            ApiKind::LocalRead,
            |l| async move { l.info(&l.policy(POLICY)).await },
            |info| info,
        )
    }

    /// `my.setStorageSync({key, data})`: `{success: true}`, or `{success: false, error,
    /// errorMessage}`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// let res = my.set_storage_sync("k", "x".repeat(204_801));
    /// assert_eq!(serde_json::to_value(res).unwrap(),
    ///     serde_json::json!({"success": false, "error": 14, "errorMessage": "data长度超限"}));
    /// ```
    pub fn set_storage_sync(
        &self,
        key: impl Into<JsValue>,
        data: impl Into<JsValue>,
    ) -> MySync<MySuccess> {
        self.set_storage_sync_with(SetStorageOption::new(key, data))
    }

    /// `my.setStorageSync({key, data})` with the full option object (`encrypt` is ignored).
    ///
    /// ```
    /// # use storage_api::{Mpstore, SetStorageOption};
    /// # use storage_core::Scope;
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// let no_data = SetStorageOption { key: "k".into(), data: None, encrypt: false };
    /// assert!(!my.set_storage_sync_with(no_data).is_success());
    /// ```
    pub fn set_storage_sync_with(&self, option: SetStorageOption) -> MySync<MySuccess> {
        Self::done(
            ApiKind::LocalWrite,
            self.local
                .set_blocking(&self.local.policy(POLICY), &option.key, option.data),
            |()| MySuccess::default(),
        )
    }

    /// `my.getStorageSync({key})`: `{data}`, `{data: null}` for a missing key.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// my.set_storage_sync("n", 1100.8989);
    /// assert_eq!(serde_json::to_value(my.get_storage_sync("n")).unwrap(), serde_json::json!({"data": 1100.8989}));
    /// ```
    pub fn get_storage_sync(&self, key: impl Into<JsValue>) -> MySync<MyData> {
        let key = key.into();
        Self::sync(ApiKind::LocalRead, self.local.get(&key, false), |data| {
            MyData {
                data: data.unwrap_or(JsValue::Null),
            }
        })
    }

    /// `my.removeStorageSync({key})`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// assert!(my.remove_storage_sync("missing").is_success());
    /// ```
    pub fn remove_storage_sync(&self, key: impl Into<JsValue>) -> MySync<MySuccess> {
        let key = key.into();
        Self::done(
            ApiKind::LocalWrite,
            self.local.remove_blocking(&key),
            |()| MySuccess::default(),
        )
    }

    /// `my.clearStorageSync()`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// assert!(my.clear_storage_sync().is_success());
    /// ```
    pub fn clear_storage_sync(&self) -> MySync<MySuccess> {
        Self::sync(ApiKind::LocalWrite, self.local.clear(), |()| {
            MySuccess::default()
        })
    }

    /// `my.getStorageInfoSync()`: `{keys, currentSize, limitSize}`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// my.set_storage_sync("a", 1);
    /// let info = my.get_storage_info_sync().into_result().unwrap();
    /// assert_eq!(info.keys, ["a"]);
    /// ```
    pub fn get_storage_info_sync(&self) -> MySync<StorageInfo> {
        let policy = self.local.policy(POLICY);
        Self::sync(ApiKind::LocalRead, self.local.info(&policy), |info| info)
    }
}
