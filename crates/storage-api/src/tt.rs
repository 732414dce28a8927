//! [`Tt`]: Douyin's `tt.*` local-storage APIs (behaviour §4, `tt`).

use crate::call::Call;
use crate::local::Local;
use crate::options::{GetStorageOption, SetStorageOption};
use crate::results::{GeneralResult, GetStorageInfoResult, GetStorageResult, StorageInfo, TtError};
use crate::wx_tt;
use storage_core::{JsValue, Policy};

const POLICY: &Policy = &Policy::TT;

/// Douyin's local storage for one namespace: `tt.setStorage`, `tt.getStorageSync`…
///
/// Shaped like [`crate::Wx`] (positional Sync forms, `errMsg`), with Douyin's limits (1 MiB of
/// UTF-8 per value, key not counted) and its `errNo` codes. Douyin has no `encrypt` option and no
/// batch APIs; the `encrypt` field of an option object is ignored.
///
/// ```
/// use storage_api::Mpstore;
/// use storage_core::Scope;
/// let tt = Mpstore::in_memory().mini_program("user", "app", Scope::App).unwrap().tt();
/// tt.set_storage_sync("key", "value").unwrap();
/// assert_eq!(tt.get_storage_sync("key").unwrap(), "value".into());
/// let err = tt.get_storage("missing").wait().unwrap_err();
/// assert_eq!((err.err_msg.as_str(), err.err_no), ("getStorage:fail data not found, key == missing", 21101));
/// ```
#[derive(Clone)]
pub struct Tt {
    local: Local,
}

impl std::fmt::Debug for Tt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tt")
            .field("namespace", &*self.local.ns)
            .finish()
    }
}

impl Tt {
    pub(crate) fn new(local: Local) -> Self {
        Tt { local }
    }

    /// `tt.setStorage({key, data})`: success `{errMsg: "setStorage:ok"}`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// assert_eq!(block_on(tt.set_storage("key", "value")).unwrap().err_msg, "setStorage:ok");
    /// ```
    pub fn set_storage(
        &self,
        key: impl Into<JsValue>,
        data: impl Into<JsValue>,
    ) -> Call<GeneralResult, TtError> {
        self.set_storage_with(SetStorageOption::new(key, data))
    }

    /// `tt.setStorage({key, data})` with the full option object (`encrypt` is ignored).
    ///
    /// ```
    /// # use storage_api::{Mpstore, SetStorageOption};
    /// # use storage_core::{block_on, Scope};
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// let no_data = SetStorageOption { key: "k".into(), data: None, encrypt: false };
    /// let err = block_on(tt.set_storage_with(no_data)).unwrap_err();
    /// assert_eq!((err.err_msg.as_str(), err.err_no), ("setStorage:fail invalid param", 20001));
    /// ```
    pub fn set_storage_with(&self, option: SetStorageOption) -> Call<GeneralResult, TtError> {
        // Douyin has no `encrypt`.
        let option = SetStorageOption {
            encrypt: false,
            ..option
        };
        wx_tt::set_storage(&self.local, POLICY, option)
    }

    /// `tt.getStorage({key})`: success `{data, errMsg: "getStorage:ok"}`; a missing key fails
    /// with `getStorage:fail data not found, key == <key>`, errNo 21101.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// tt.set_storage_sync("k", 0).unwrap();
    /// assert_eq!(block_on(tt.get_storage("k")).unwrap().data, 0.into());
    /// ```
    pub fn get_storage(&self, key: impl Into<JsValue>) -> Call<GetStorageResult, TtError> {
        self.get_storage_with(GetStorageOption::new(key))
    }

    /// `tt.getStorage({key})` with the full option object (`encrypt` is ignored).
    ///
    /// ```
    /// # use storage_api::{GetStorageOption, Mpstore};
    /// # use storage_core::{block_on, JsValue, Scope};
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// let err = block_on(tt.get_storage_with(GetStorageOption::new(JsValue::Null))).unwrap_err();
    /// assert_eq!(err.err_no, 20001);
    /// ```
    pub fn get_storage_with(&self, option: GetStorageOption) -> Call<GetStorageResult, TtError> {
        let option = GetStorageOption {
            encrypt: false,
            ..option
        };
        wx_tt::get_storage(&self.local, option)
    }

    /// `tt.removeStorage({key})`: removing a missing key succeeds.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// assert_eq!(block_on(tt.remove_storage("missing")).unwrap().err_msg, "removeStorage:ok");
    /// ```
    pub fn remove_storage(&self, key: impl Into<JsValue>) -> Call<GeneralResult, TtError> {
        wx_tt::remove_storage(&self.local, key.into())
    }

    /// `tt.clearStorage()`: empties this namespace only.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// assert_eq!(block_on(tt.clear_storage()).unwrap().err_msg, "clearStorage:ok");
    /// ```
    pub fn clear_storage(&self) -> Call<GeneralResult, TtError> {
        wx_tt::clear_storage(&self.local)
    }

    /// `tt.getStorageInfo()`: `{keys, currentSize, limitSize, errMsg}`, sizes in KB (of UTF-8).
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// assert_eq!(block_on(tt.get_storage_info()).unwrap().err_msg, "getStorageInfo:ok");
    /// ```
    pub fn get_storage_info(&self) -> Call<GetStorageInfoResult, TtError> {
        wx_tt::get_storage_info(&self.local, POLICY)
    }

    /// `tt.setStorageSync(key, data)`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// let err = tt.set_storage_sync("", 1).unwrap_err();
    /// assert_eq!((err.err_msg.as_str(), err.err_no), ("setStorageSync:fail key is illegal", 20000));
    /// ```
    pub fn set_storage_sync(
        &self,
        key: impl Into<JsValue>,
        data: impl Into<JsValue>,
    ) -> std::result::Result<(), TtError> {
        self.set_storage_sync_with(SetStorageOption::new(key, data))
    }

    /// `tt.setStorageSync(key, data)` with arguments as a bridge received them (`data: None` when
    /// the argument was absent).
    ///
    /// ```
    /// # use storage_api::{Mpstore, SetStorageOption};
    /// # use storage_core::Scope;
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// let opt = SetStorageOption { key: true.into(), data: Some(1.into()), encrypt: false };
    /// assert_eq!(tt.set_storage_sync_with(opt).unwrap_err().err_no, 20001);
    /// ```
    pub fn set_storage_sync_with(
        &self,
        option: SetStorageOption,
    ) -> std::result::Result<(), TtError> {
        wx_tt::set_storage_sync(&self.local, POLICY, option)
    }

    /// `tt.getStorageSync(key)`: the value, or `""` for a missing key.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// assert_eq!(tt.get_storage_sync("missing").unwrap(), "".into());
    /// ```
    pub fn get_storage_sync(
        &self,
        key: impl Into<JsValue>,
    ) -> std::result::Result<JsValue, TtError> {
        wx_tt::get_storage_sync(&self.local, key.into())
    }

    /// `tt.removeStorageSync(key)`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// tt.remove_storage_sync("missing").unwrap();
    /// ```
    pub fn remove_storage_sync(&self, key: impl Into<JsValue>) -> std::result::Result<(), TtError> {
        wx_tt::remove_storage_sync(&self.local, key.into())
    }

    /// `tt.clearStorageSync()`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// tt.clear_storage_sync().unwrap();
    /// ```
    pub fn clear_storage_sync(&self) -> std::result::Result<(), TtError> {
        wx_tt::clear_storage_sync(&self.local)
    }

    /// `tt.getStorageInfoSync()`: `{keys, currentSize, limitSize}`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// tt.set_storage_sync("k", "杭州").unwrap();
    /// assert_eq!(tt.get_storage_info_sync().unwrap().current_size, 1);
    /// ```
    pub fn get_storage_info_sync(&self) -> std::result::Result<StorageInfo, TtError> {
        wx_tt::get_storage_info_sync(&self.local, POLICY)
    }
}
