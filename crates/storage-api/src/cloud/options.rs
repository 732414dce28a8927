//! The option objects of the cloud APIs, as a mini-game passes them.
//!
//! Every argument is a [`JsValue`], because a mini-game passes arbitrary JavaScript and each
//! wrong type has its own failure; an absent property is `undefined`. Each option deserializes
//! from the JSON a bridge receives, with the platforms' property names.

use cloud_kv::KvData;
use serde::Deserialize;
use storage_core::JsValue;

fn undefined() -> JsValue {
    JsValue::Undefined
}

fn strings(keys: impl IntoIterator<Item = impl Into<String>>) -> JsValue {
    JsValue::Array(keys.into_iter().map(|k| JsValue::from(k.into())).collect())
}

/// `setUserCloudStorage({KVDataList})`.
///
/// ```
/// use storage_api::cloud::{KvData, SetUserCloudStorageOption};
/// let typed = SetUserCloudStorageOption::pairs(&[KvData::new("level", "3")]);
/// let bridged: SetUserCloudStorageOption =
///     serde_json::from_str(r#"{"KVDataList": [{"key": "level", "value": "3"}]}"#).unwrap();
/// assert_eq!(typed, bridged);
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SetUserCloudStorageOption {
    /// The pairs to write: an Array of `{key, value}` Strings.
    #[serde(rename = "KVDataList", default = "undefined")]
    pub kv_data_list: JsValue,
}

impl SetUserCloudStorageOption {
    /// `{KVDataList}` from typed pairs.
    pub fn pairs(pairs: &[KvData]) -> Self {
        SetUserCloudStorageOption {
            kv_data_list: JsValue::Array(pairs.iter().map(KvData::to_js).collect()),
        }
    }
}

/// `{keyList}`: the option of `getUserCloudStorage`, `removeUserCloudStorage` and WeChat's
/// `getFriendCloudStorage`.
///
/// ```
/// use storage_api::cloud::KeyListOption;
/// let bridged: KeyListOption = serde_json::from_str(r#"{"keyList": ["a", "b"]}"#).unwrap();
/// assert_eq!(bridged, KeyListOption::keys(["a", "b"]));
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct KeyListOption {
    /// The keys: an Array of Strings.
    #[serde(rename = "keyList", default = "undefined")]
    pub key_list: JsValue,
}

impl KeyListOption {
    /// `{keyList}` from typed keys.
    pub fn keys(keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        KeyListOption {
            key_list: strings(keys),
        }
    }
}

/// Douyin's `getCloudStorageByRelation({type, keyList, extra})`.
///
/// ```
/// use storage_api::cloud::GetCloudStorageByRelationOption;
/// let bridged: GetCloudStorageByRelationOption = serde_json::from_str(
///     r#"{"type": "group", "keyList": ["rank"], "extra": {"sortKey": "rank", "groupId": "g1"}}"#,
/// ).unwrap();
/// assert_eq!(bridged, GetCloudStorageByRelationOption::group("g1", "rank", ["rank"]));
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GetCloudStorageByRelationOption {
    /// `"friend"`, `"group"` or `"recommend"`.
    #[serde(rename = "type", default = "undefined")]
    pub kind: JsValue,
    /// The keys to return: an Array of Strings.
    #[serde(rename = "keyList", default = "undefined")]
    pub key_list: JsValue,
    /// `{sortKey, groupId}`: both required for `"group"`; `sortKey` ranks any type.
    #[serde(default = "undefined")]
    pub extra: JsValue,
}

impl GetCloudStorageByRelationOption {
    /// `{type: "friend", keyList}`.
    pub fn friends(keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self::of("friend", keys, JsValue::Undefined)
    }

    /// `{type: "recommend", keyList}`.
    pub fn recommended(keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self::of("recommend", keys, JsValue::Undefined)
    }

    /// `{type: "group", keyList, extra: {sortKey, groupId}}`.
    pub fn group(
        group_id: &str,
        sort_key: &str,
        keys: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let extra: storage_core::JsObject = [("sortKey", sort_key), ("groupId", group_id)]
            .into_iter()
            .collect();
        Self::of("group", keys, extra.into())
    }

    /// The same option ranked by `sort_key` (sets `extra.sortKey`).
    pub fn sorted_by(mut self, sort_key: &str) -> Self {
        let mut extra = match self.extra {
            JsValue::Object(o) => o,
            _ => storage_core::JsObject::new(),
        };
        extra.insert("sortKey", sort_key);
        self.extra = extra.into();
        self
    }

    fn of(kind: &str, keys: impl IntoIterator<Item = impl Into<String>>, extra: JsValue) -> Self {
        GetCloudStorageByRelationOption {
            kind: kind.into(),
            key_list: strings(keys),
            extra,
        }
    }
}

/// WeChat's `getGroupCloudStorage({shareTicket, groupid, keyList})`.
///
/// ```
/// use storage_api::cloud::GetGroupCloudStorageOption;
/// let bridged: GetGroupCloudStorageOption =
///     serde_json::from_str(r#"{"shareTicket": "t1", "keyList": ["rank"]}"#).unwrap();
/// assert_eq!(bridged, GetGroupCloudStorageOption::share_ticket("t1", ["rank"]));
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GetGroupCloudStorageOption {
    /// The share ticket of the group card the game was opened from.
    #[serde(rename = "shareTicket", default = "undefined")]
    pub share_ticket: JsValue,
    /// The group id (base library 3.8.8); used instead of `shareTicket` when given.
    #[serde(default = "undefined")]
    pub groupid: JsValue,
    /// The keys to return: an Array of Strings.
    #[serde(rename = "keyList", default = "undefined")]
    pub key_list: JsValue,
}

impl GetGroupCloudStorageOption {
    /// `{shareTicket, keyList}`.
    pub fn share_ticket(ticket: &str, keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        GetGroupCloudStorageOption {
            share_ticket: ticket.into(),
            groupid: JsValue::Undefined,
            key_list: strings(keys),
        }
    }
}
