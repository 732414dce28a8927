//! WeChat's interactive storage on the [`WxGame`] facade: `wx.getUserInteractiveStorage`,
//! `wx.modifyFriendInteractiveStorage` (the rules are [`cloud_kv`]'s) and the listeners of
//! `wx.onInteractiveStorageModified`, called with the key of each successful modification.

use super::options::KeyListOption;
use super::player::Player;
use super::results::ok_msg;
use super::{Engine, WxGame};
use crate::{Call, GeneralResult};
use cloud_kv::ModifyOption;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
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

/// A player's `wx.onInteractiveStorageModified` callback.
type Listener = Arc<dyn Fn(&str) + Send + Sync>;
/// A game and a player's openid (none: nobody logged in).
type PlayerId = (String, Option<String>);

/// The `wx.onInteractiveStorageModified` listeners of one store, per game and player: shared by
/// the store's clones and every [`Cloud`](super::Cloud) of it, as a JavaScript host keeps them
/// per store.
#[derive(Default)]
pub(crate) struct InteractiveListeners {
    by_player: Mutex<HashMap<PlayerId, Vec<Listener>>>,
}

impl fmt::Debug for InteractiveListeners {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InteractiveListeners")
    }
}

impl InteractiveListeners {
    fn add(&self, player: PlayerId, listener: Listener) {
        let mut by_player = self
            .by_player
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        by_player.entry(player).or_default().push(listener);
    }

    fn fire(&self, player: &PlayerId, key: &str) {
        // Called on a copy, so a listener may register another.
        let listeners = (self
            .by_player
            .lock()
            .unwrap_or_else(PoisonError::into_inner))
        .get(player)
        .cloned()
        .unwrap_or_default();
        for listener in listeners {
            listener(key);
        }
    }
}

impl WxGame {
    fn interactive(&self) -> Player<WxInteractiveError> {
        self.player.with_fail(WxInteractiveError::new)
    }

    /// This player's game and openid, whose listeners a modification fires.
    fn player_id(&self) -> PlayerId {
        let caller = self.player.caller();
        (caller.game.clone(), caller.openid.clone())
    }

    /// `wx.onInteractiveStorageModified(callback)`: `listener` is called with the `key` of each
    /// successful `modifyFriendInteractiveStorage` of this player in this game, from any context
    /// and any facade of this store: after the call's `success`, before its `complete` (in the
    /// Promise form, before the awaiting code goes on); never after a failure.
    ///
    /// ```
    /// # use storage_api::cloud::{GameContext, InteractiveKey, ModifyFriendInteractiveStorageOption};
    /// # use storage_api::Mpstore;
    /// # use storage_core::block_on;
    /// # use std::sync::{Arc, Mutex};
    /// let store = Mpstore::in_memory();
    /// let cloud = store.cloud();
    /// block_on(cloud.set_interactive_keys("game", &[InteractiveKey::new("1")])).unwrap();
    /// block_on(cloud.stored_relations().add_friendship("game", "ann", "bob")).unwrap();
    /// let ann = GameContext::new("game").logged_in("ann");
    /// let keys = Arc::new(Mutex::new(Vec::new()));
    /// let seen = keys.clone();
    /// store.mini_game(ann.clone()).wx().on_interactive_storage_modified(move |key| {
    ///     seen.lock().unwrap().push(key.to_owned())
    /// });
    /// let gift = ModifyFriendInteractiveStorageOption::add("1", 1, "bob");
    /// block_on(store.mini_game(ann.open_data()).wx().modify_friend_interactive_storage(gift)).unwrap();
    /// assert_eq!(*keys.lock().unwrap(), ["1"]);
    /// ```
    pub fn on_interactive_storage_modified(&self, listener: impl Fn(&str) + Send + Sync + 'static) {
        self.listeners.add(self.player_id(), Arc::new(listener));
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
        let (listeners, player, key) =
            (self.listeners.clone(), self.player_id(), option.key.clone());
        let op = |engine: Engine, caller| async move {
            engine
                .modify_friend_interactive_storage(&caller, &option)
                .await
        };
        self.interactive()
            .call(API, op, |_key| GeneralResult::ok(API))
            .firing(move || {
                // A success means the key was one of the Strings '1' to '50'.
                if let JsValue::String(key) = &key {
                    listeners.fire(&player, key.as_str());
                }
            })
    }
}
