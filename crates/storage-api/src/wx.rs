//! [`Wx`]: WeChat's `wx.*` local-storage APIs (behaviour §4, `wx`).

use crate::call::Call;
use crate::local::{done, sync, Local};
use crate::options::{GetStorageOption, KvItem, SetStorageOption};
use crate::results::{
    BatchGetStorageResult, GeneralResult, GetStorageInfoResult, GetStorageResult, StorageInfo,
    WxError,
};
use crate::wx_tt;
use storage_core::codes::ApiKind;
use storage_core::{JsValue, Policy};

const POLICY: &Policy = &Policy::WX;

/// WeChat's local storage for one namespace: `wx.setStorage`, `wx.getStorageSync`…
///
/// Asynchronous APIs return a [`Call`] (await it for the Promise style, or add callbacks); `*_sync`
/// APIs return `Result<_, WxError>`, the `Err` being what WeChat throws. Every method taking a key
/// also has a `*_with` form taking the full JS option object, whose key may be any [`JsValue`].
///
/// ```
/// use storage_api::Mpstore;
/// use storage_core::Scope;
/// let wx = Mpstore::in_memory().mini_program("user", "app", Scope::App).unwrap().wx();
/// wx.set_storage_sync("key", "value").unwrap();
/// assert_eq!(wx.get_storage_sync("key").unwrap(), "value".into());
/// assert_eq!(wx.get_storage_sync("missing").unwrap(), "".into());
/// ```
#[derive(Clone)]
pub struct Wx {
    local: Local,
}

impl std::fmt::Debug for Wx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wx")
            .field("namespace", &*self.local.ns)
            .finish()
    }
}

impl Wx {
    pub(crate) fn new(local: Local) -> Self {
        Wx { local }
    }

    /// `wx.setStorage({key, data})`: success `{errMsg: "setStorage:ok"}`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// assert_eq!(block_on(wx.set_storage("key", "value")).unwrap().err_msg, "setStorage:ok");
    /// ```
    pub fn set_storage(
        &self,
        key: impl Into<JsValue>,
        data: impl Into<JsValue>,
    ) -> Call<GeneralResult, WxError> {
        self.set_storage_with(SetStorageOption::new(key, data))
    }

    /// `wx.setStorage({key, data, encrypt})` with the full option object. With `encrypt`, the
    /// entry is charged 1.4× against both limits and must be read with
    /// `getStorage({encrypt: true})`.
    ///
    /// ```
    /// # use storage_api::{GetStorageOption, Mpstore, SetStorageOption};
    /// # use storage_core::{block_on, Scope};
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// block_on(wx.set_storage_with(SetStorageOption::new("token", "s3cret").encrypt(true))).unwrap();
    /// let res = block_on(wx.get_storage_with(GetStorageOption::new("token").encrypt(true))).unwrap();
    /// assert_eq!(res.data, "s3cret".into());
    /// let err = block_on(wx.get_storage("token")).unwrap_err();
    /// assert_eq!(err.err_msg, "getStorage:fail encrypt mismatch");
    /// ```
    pub fn set_storage_with(&self, option: SetStorageOption) -> Call<GeneralResult, WxError> {
        wx_tt::set_storage(&self.local, POLICY, option)
    }

    /// `wx.getStorage({key})`: success `{data, errMsg: "getStorage:ok"}`; a missing key fails
    /// with `getStorage:fail data not found`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// let err = block_on(wx.get_storage("missing")).unwrap_err();
    /// assert_eq!(err.err_msg, "getStorage:fail data not found");
    /// ```
    pub fn get_storage(&self, key: impl Into<JsValue>) -> Call<GetStorageResult, WxError> {
        self.get_storage_with(GetStorageOption::new(key))
    }

    /// `wx.getStorage({key, encrypt})` with the full option object.
    ///
    /// ```
    /// # use storage_api::{GetStorageOption, Mpstore};
    /// # use storage_core::{block_on, Scope};
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// let err = block_on(wx.get_storage_with(GetStorageOption::new(7))).unwrap_err();
    /// assert_eq!(err.err_msg, "getStorage:fail parameter error: parameter.key should be String instead of Number;");
    /// ```
    pub fn get_storage_with(&self, option: GetStorageOption) -> Call<GetStorageResult, WxError> {
        wx_tt::get_storage(&self.local, option)
    }

    /// `wx.removeStorage({key})`: removing a missing key succeeds.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// assert_eq!(block_on(wx.remove_storage("missing")).unwrap().err_msg, "removeStorage:ok");
    /// ```
    pub fn remove_storage(&self, key: impl Into<JsValue>) -> Call<GeneralResult, WxError> {
        wx_tt::remove_storage(&self.local, key.into())
    }

    /// `wx.clearStorage()`: empties this namespace only.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// assert_eq!(block_on(wx.clear_storage()).unwrap().err_msg, "clearStorage:ok");
    /// ```
    pub fn clear_storage(&self) -> Call<GeneralResult, WxError> {
        wx_tt::clear_storage(&self.local)
    }

    /// `wx.getStorageInfo()`: `{keys, currentSize, limitSize, errMsg}`, sizes in KB.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// let info = block_on(wx.get_storage_info()).unwrap();
    /// assert_eq!((info.current_size, info.limit_size), (0, 10240));
    /// ```
    pub fn get_storage_info(&self) -> Call<GetStorageInfoResult, WxError> {
        wx_tt::get_storage_info(&self.local, POLICY)
    }

    /// `wx.batchSetStorage({kvList})`: all items or none.
    ///
    /// ```
    /// # use storage_api::{KvItem, Mpstore};
    /// # use storage_core::{block_on, Scope};
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// let ok = block_on(wx.batch_set_storage(vec![KvItem::new("a", 1), KvItem::new("b", 2)])).unwrap();
    /// assert_eq!(ok.err_msg, "batchSetStorage:ok");
    /// ```
    pub fn batch_set_storage(
        &self,
        kv_list: impl IntoIterator<Item = KvItem>,
    ) -> Call<GeneralResult, WxError> {
        const API: &str = "batchSetStorage";
        let items: Vec<KvItem> = kv_list.into_iter().collect();
        self.local.call(
            API,
            ApiKind::LocalWrite,
            move |l| async move { l.batch_set(&l.policy(POLICY), items).await },
            |()| GeneralResult::ok(API),
        )
    }

    /// `wx.batchGetStorage({keyList})`: success `{dataList, errMsg}`, one value per key, `""`
    /// for a missing key.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// wx.set_storage_sync("a", 1).unwrap();
    /// let res = block_on(wx.batch_get_storage(["a", "b"])).unwrap();
    /// assert_eq!(res.data_list, vec![1.into(), "".into()]);
    /// ```
    pub fn batch_get_storage<K: Into<JsValue>>(
        &self,
        key_list: impl IntoIterator<Item = K>,
    ) -> Call<BatchGetStorageResult, WxError> {
        const API: &str = "batchGetStorage";
        let keys: Vec<JsValue> = key_list.into_iter().map(Into::into).collect();
        self.local.call(
            API,
            ApiKind::LocalRead,
            move |l| async move { l.batch_get(keys).await },
            |data_list| BatchGetStorageResult {
                data_list,
                err_msg: GeneralResult::ok(API).err_msg,
            },
        )
    }

    /// `wx.setStorageSync(key, data)`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// let err = wx.set_storage_sync("", "value").unwrap_err();
    /// assert_eq!((err.err_msg.as_str(), err.errno), ("setStorageSync:fail invalid key", Some(800003)));
    /// ```
    pub fn set_storage_sync(
        &self,
        key: impl Into<JsValue>,
        data: impl Into<JsValue>,
    ) -> std::result::Result<(), WxError> {
        self.set_storage_sync_with(SetStorageOption::new(key, data))
    }

    /// `wx.setStorageSync(key, data)` with arguments as a bridge received them (`data: None` when
    /// the argument was absent). `encrypt` is not a Sync option: it is ignored here.
    ///
    /// ```
    /// # use storage_api::{Mpstore, SetStorageOption};
    /// # use storage_core::Scope;
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// let only_key = SetStorageOption { key: "k".into(), data: None, encrypt: false };
    /// assert!(wx.set_storage_sync_with(only_key).is_err());
    /// ```
    pub fn set_storage_sync_with(
        &self,
        option: SetStorageOption,
    ) -> std::result::Result<(), WxError> {
        wx_tt::set_storage_sync(&self.local, POLICY, option)
    }

    /// `wx.getStorageSync(key)`: the value, or `""` for a missing key.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// assert_eq!(wx.get_storage_sync("missing").unwrap(), "".into());
    /// ```
    pub fn get_storage_sync(
        &self,
        key: impl Into<JsValue>,
    ) -> std::result::Result<JsValue, WxError> {
        wx_tt::get_storage_sync(&self.local, key.into())
    }

    /// `wx.removeStorageSync(key)`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// wx.set_storage_sync("k", "v").unwrap();
    /// wx.remove_storage_sync("k").unwrap();
    /// assert_eq!(wx.get_storage_sync("k").unwrap(), "".into());
    /// ```
    pub fn remove_storage_sync(&self, key: impl Into<JsValue>) -> std::result::Result<(), WxError> {
        wx_tt::remove_storage_sync(&self.local, key.into())
    }

    /// `wx.clearStorageSync()`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// wx.set_storage_sync("k", "v").unwrap();
    /// wx.clear_storage_sync().unwrap();
    /// assert!(wx.get_storage_info_sync().unwrap().keys.is_empty());
    /// ```
    pub fn clear_storage_sync(&self) -> std::result::Result<(), WxError> {
        wx_tt::clear_storage_sync(&self.local)
    }

    /// `wx.getStorageInfoSync()`: `{keys, currentSize, limitSize}`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// wx.set_storage_sync("k", "v").unwrap();
    /// let info = wx.get_storage_info_sync().unwrap();
    /// assert_eq!((info.keys, info.current_size, info.limit_size), (vec!["k".to_string()], 1, 10240));
    /// ```
    pub fn get_storage_info_sync(&self) -> std::result::Result<StorageInfo, WxError> {
        wx_tt::get_storage_info_sync(&self.local, POLICY)
    }

    /// `wx.batchSetStorageSync(kvList)`: all items or none.
    ///
    /// ```
    /// # use storage_api::{KvItem, Mpstore};
    /// # use storage_core::Scope;
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// let err = wx.batch_set_storage_sync([KvItem::new("a", 1), KvItem::new("", 2)]).unwrap_err();
    /// assert_eq!(err.err_msg, "batchSetStorageSync:fail invalid key");
    /// assert_eq!(wx.get_storage_sync("a").unwrap(), "".into());
    /// ```
    pub fn batch_set_storage_sync(
        &self,
        kv_list: impl IntoIterator<Item = KvItem>,
    ) -> std::result::Result<(), WxError> {
        let items = kv_list.into_iter().collect();
        done(
            "batchSetStorageSync",
            ApiKind::LocalWrite,
            self.local
                .batch_set_blocking(&self.local.policy(POLICY), items),
        )
    }

    /// `wx.batchGetStorageSync(keyList)`: one value per key, `""` for a missing key.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// wx.set_storage_sync("a", true).unwrap();
    /// assert_eq!(wx.batch_get_storage_sync(["a", "b"]).unwrap(), vec![true.into(), "".into()]);
    /// ```
    pub fn batch_get_storage_sync<K: Into<JsValue>>(
        &self,
        key_list: impl IntoIterator<Item = K>,
    ) -> std::result::Result<Vec<JsValue>, WxError> {
        let keys = key_list.into_iter().map(Into::into).collect();
        sync(
            "batchGetStorageSync",
            ApiKind::LocalRead,
            self.local.batch_get(keys),
        )
    }
}
