//! WeChat's interactive storage on the [`WxGame`] facade: `wx.getUserInteractiveStorage` and
//! `wx.modifyFriendInteractiveStorage` (the rules are [`cloud_kv`]'s; the listener
//! `wx.onInteractiveStorageModified` lives in the JavaScript hosts, which call it with the key of
//! each successful modification).

use super::options::KeyListOption;
use super::player::Player;
use super::results::ok_msg;
use super::{Engine, WxGame};
use crate::{Call, GeneralResult};
use cloud_kv::ModifyOption;
use serde::{Deserialize, Serialize};
use std::fmt;
use storage_core::codes::{platform_error_in, ApiKind};
use storage_core::{Dialect, Error, JsValue};

/// `{encryptedData, iv, cloudID, errMsg: "getUserInteractiveStorage:ok"}`: the player's values
/// sealed for the game's server (see [`cloud_kv::open_sealed`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetUserInteractiveStorageResult {
    /// base64 of the AES-128-CBC ciphertext of `{kv_list, watermark}`.
    #[serde(rename = "encryptedData")]
    pub encrypted_data: String,
    /// base64 of the 16-byte iv.
    pub iv: String,
    /// An opaque id (WeChat's cloud functions resolve it; nothing here does).
    #[serde(rename = "cloudID")]
    pub cloud_id: String,
    /// `"getUserInteractiveStorage:ok"`.
    #[serde(rename = "errMsg")]
    pub err_msg: String,
}

/// `wx.modifyFriendInteractiveStorage`'s options as the game passed them. `title`, `imageUrl`,
/// `imageUrlId` and `quiet` are accepted and change nothing (**decided**: mpstore shows no
/// dialog and no share prompt; the player always confirms, and there are no share-card
/// launches, so `toUser` is always needed).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ModifyFriendInteractiveStorageOption {
    /// `'1'`–`'50'`, configured for the game.
    #[serde(default = "undefined")]
    pub key: JsValue,
    /// A whole number from 1 to the key's `maxOpNum`.
    #[serde(rename = "opNum", default = "undefined")]
    pub op_num: JsValue,
    /// `'add'`.
    #[serde(default = "undefined")]
    pub operation: JsValue,
    /// The friend's openid.
    #[serde(rename = "toUser", default = "undefined")]
    pub to_user: JsValue,
}

fn undefined() -> JsValue {
    JsValue::Undefined
}

impl ModifyFriendInteractiveStorageOption {
    /// `{key, opNum, operation: 'add', toUser}`.
    pub fn add(key: &str, op_num: u32, to_user: &str) -> Self {
        ModifyFriendInteractiveStorageOption {
            key: key.into(),
            op_num: f64::from(op_num).into(),
            operation: "add".into(),
            to_user: to_user.into(),
        }
    }
}

/// A failure of an interactive storage API, `{errMsg: "<api>:fail <reason>", errCode?}`:
/// `errCode` where WeChat has one (`-17008`, `-17012`, `-17007`), from the one table
/// [`storage_core::codes`].
///
/// ```
/// use storage_api::cloud::WxInteractiveError;
/// use storage_core::{CloudRule, Error};
/// let err = WxInteractiveError::new("getUserInteractiveStorage", &CloudRule::InvalidInteractiveKey.into());
/// assert_eq!(serde_json::to_value(&err).unwrap(),
///     serde_json::json!({"errMsg": "getUserInteractiveStorage:fail invalid key", "errCode": -17008}));
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct WxInteractiveError {
    /// `"<api>:fail <reason>"`.
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    /// WeChat's code, where it has one.
    #[serde(rename = "errCode", skip_serializing_if = "Option::is_none")]
    pub err_code: Option<i64>,
    #[serde(skip)]
    cause: Error,
}

impl WxInteractiveError {
    /// How WeChat's interactive `api` reports `err`.
    pub fn new(api: &str, err: &Error) -> Self {
        let e = platform_error_in(Dialect::Wx, ApiKind::Cloud, api, err);
        WxInteractiveError {
            err_msg: format!("{api}:fail {}", e.message),
            err_code: e.code,
            cause: err.clone(),
        }
    }
}

crate::results::keeps_cause!(WxInteractiveError => err_msg, err_code);

impl crate::dispatch::Failure for WxInteractiveError {
    fn cause(&self) -> &Error {
        &self.cause
    }
}

impl fmt::Display for WxInteractiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.err_msg)
    }
}

impl std::error::Error for WxInteractiveError {}

impl WxGame {
    fn interactive(&self) -> Player<WxInteractiveError> {
        self.player.with_fail(WxInteractiveError::new)
    }

    /// `wx.getUserInteractiveStorage({keyList})` (either context; Promise form too): success
    /// `{encryptedData, iv, cloudID, errMsg}`.
    pub fn get_user_interactive_storage_with(
        &self,
        option: KeyListOption,
    ) -> Call<GetUserInteractiveStorageResult, WxInteractiveError> {
        const API: &str = "getUserInteractiveStorage";
        let op = |engine: Engine, caller| async move {
            engine
                .get_user_interactive_storage(&caller, &option.key_list)
                .await
        };
        self.interactive()
            .call(API, op, |sealed| GetUserInteractiveStorageResult {
                encrypted_data: sealed.encrypted_data,
                iv: sealed.iv,
                cloud_id: sealed.cloud_id,
                err_msg: ok_msg(API),
            })
    }

    /// `wx.getUserInteractiveStorage({keyList})` with typed keys.
    pub fn get_user_interactive_storage(
        &self,
        keys: impl IntoIterator<Item = impl Into<String>>,
    ) -> Call<GetUserInteractiveStorageResult, WxInteractiveError> {
        self.get_user_interactive_storage_with(KeyListOption::keys(keys))
    }

    /// `wx.modifyFriendInteractiveStorage({key, opNum, operation, toUser})` (open data context
    /// only): success `{errMsg: "modifyFriendInteractiveStorage:ok"}`.
    ///
    /// ```
    /// use storage_api::cloud::{GameContext, InteractiveKey, ModifyFriendInteractiveStorageOption};
    /// use storage_api::Mpstore;
    /// use storage_core::block_on;
    /// let store = Mpstore::in_memory();
    /// let cloud = store.cloud();
    /// block_on(cloud.set_interactive_keys("game", &[InteractiveKey::new("1")])).unwrap();
    /// block_on(cloud.stored_relations().add_friendship("game", "ann", "bob")).unwrap();
    /// let wx = store.mini_game(GameContext::new("game").logged_in("ann").open_data()).wx();
    /// let gift = ModifyFriendInteractiveStorageOption::add("1", 1, "bob");
    /// let ok = block_on(wx.modify_friend_interactive_storage(gift)).unwrap();
    /// assert_eq!(ok.err_msg, "modifyFriendInteractiveStorage:ok");
    /// ```
    pub fn modify_friend_interactive_storage(
        &self,
        option: ModifyFriendInteractiveStorageOption,
    ) -> Call<GeneralResult, WxInteractiveError> {
        const API: &str = "modifyFriendInteractiveStorage";
        let option = ModifyOption {
            key: option.key,
            op_num: option.op_num,
            operation: option.operation,
            to_user: option.to_user,
        };
        let op = |engine: Engine, caller| async move {
            engine
                .modify_friend_interactive_storage(&caller, &option)
                .await
        };
        self.interactive()
            .call(API, op, |_key| GeneralResult::ok(API))
    }
}
