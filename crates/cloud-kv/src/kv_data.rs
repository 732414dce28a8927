//! The platforms' data shapes (`KVData`, `UserGameData`) and the reading of JS-typed arguments
//! (`KVDataList`, `keyList`) into them.

use serde::{Deserialize, Serialize};
use storage_core::{CloudRule, JsValue};

/// One key-value pair of a player's cloud data: the platforms' `KVData`.
///
/// ```
/// let kv = cloud_kv::KvData::new("score", "100");
/// assert_eq!(serde_json::to_string(&kv).unwrap(), r#"{"key":"score","value":"100"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KvData {
    /// The key.
    pub key: String,
    /// The value: always a string (games store `JSON.stringify` output).
    pub value: String,
}

impl KvData {
    /// A pair.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        KvData {
            key: key.into(),
            value: value.into(),
        }
    }

    /// The pair as a JS object `{key, value}`, as a mini-game would pass it.
    pub fn to_js(&self) -> JsValue {
        let object: storage_core::JsObject =
            [("key", self.key.as_str()), ("value", self.value.as_str())]
                .into_iter()
                .collect();
        object.into()
    }
}

/// One player's entry in a relation read: the platforms' `UserGameData`.
///
/// ```
/// let user = cloud_kv::UserGameData {
///     avatar_url: "https://a/1.png".into(),
///     nickname: "Ann".into(),
///     openid: "o1".into(),
///     kv_data_list: vec![cloud_kv::KvData::new("k", "v")],
/// };
/// assert_eq!(
///     serde_json::to_string(&user).unwrap(),
///     r#"{"avatarUrl":"https://a/1.png","nickname":"Ann","openid":"o1","KVDataList":[{"key":"k","value":"v"}]}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserGameData {
    /// The player's avatar URL (empty when the relation provider knows none).
    #[serde(rename = "avatarUrl")]
    pub avatar_url: String,
    /// The player's nickname (empty when the relation provider knows none).
    pub nickname: String,
    /// The player's openid in this game.
    pub openid: String,
    /// The player's pairs among the requested keys, in the order the keys were asked for.
    #[serde(rename = "KVDataList")]
    pub kv_data_list: Vec<KvData>,
}

/// Reads a `KVDataList` argument: rules 1–3 of the crate's validation order (an Array, not
/// empty, every item `{key: String, value: String}` with a non-empty key). Extra fields of an
/// item are ignored.
pub fn parse_kv_data_list(list: &JsValue) -> Result<Vec<KvData>, CloudRule> {
    let JsValue::Array(items) = list else {
        return Err(CloudRule::ListNotArray);
    };
    if items.is_empty() {
        return Err(CloudRule::ListEmpty);
    }
    items.iter().map(parse_item).collect()
}

fn parse_item(item: &JsValue) -> Result<KvData, CloudRule> {
    let JsValue::Object(object) = item else {
        return Err(CloudRule::InvalidItem);
    };
    match (object.get("key"), object.get("value")) {
        (Some(JsValue::String(key)), Some(JsValue::String(value))) if !key.is_empty() => {
            Ok(KvData::new(key.as_str(), value.as_str()))
        }
        _ => Err(CloudRule::InvalidItem),
    }
}

/// Reads a `keyList` argument: an Array of Strings (it may be empty). Repeated keys are kept
/// once, at their first position.
pub fn parse_key_list(list: &JsValue) -> Result<Vec<String>, CloudRule> {
    let JsValue::Array(items) = list else {
        return Err(CloudRule::InvalidKeyList);
    };
    let keys = items
        .iter()
        .map(|item| match item {
            JsValue::String(key) => Ok(key.as_str().to_owned()),
            _ => Err(CloudRule::InvalidKeyList),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(dedup(keys))
}

/// `keys` with repeats removed, first positions kept.
pub(crate) fn dedup(keys: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    keys.into_iter()
        .filter(|k| seen.insert(k.clone()))
        .collect()
}
